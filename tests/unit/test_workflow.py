"""The action record (経過記録) rules: every (category, action) pair on a plain delinquent claim, the 督促 and
seizure day counts, court titles, the small-claims limit, terminal states, the welfare hold, measures in force,
extinction and waiver, the 督促 task, and random histories checked against the invariants."""

import random
from datetime import date, timedelta

import pytest

from contracts.enums import LegalCategory
from services.collection.workflow import (
    ActionKind,
    ActionRecord,
    ClaimFacts,
    Decision,
    Task,
    allowed_actions,
    check_action,
    demand_notice_due,
    demand_notice_task,
    earliest_seizure,
    small_claims_limit,
)

A = ActionKind
FORCED, NON_FORCED, PRIVATE = "forced_public", "non_forced_public", "private"
COURT_CATEGORIES = (NON_FORCED, PRIVATE)
DUE = date(2024, 5, 31)
DEMAND_SENT = date(2024, 6, 20)
TODAY = date(2024, 8, 1)  # well past the 10 days after the 督促
BASIS = "令和6年第3回定例会 議案第45号 (地方自治法96条1項10号)"


def record(kind: ActionKind, on: date, outcome: str | None = None) -> ActionRecord:
    return ActionRecord(kind, on, by="staff-001", outcome=outcome)


def facts(category: str, *, balance: int = 50_000, extinguished: bool = False, on_hold: bool = False,
          due_date: date = DUE) -> ClaimFacts:
    return ClaimFacts(LegalCategory(category), balance, due_date, extinguished=extinguished, on_hold=on_hold)


def check(category: str, kind: ActionKind, history: list[ActionRecord] | None = None, *, on: date = TODAY,
          basis: str = "", **fact_args) -> Decision:
    plain = [record(A.DEMAND_NOTICE, DEMAND_SENT)] if history is None else history
    return check_action(category, kind, history=plain, facts=facts(category, **fact_args), on=on, basis=basis)


# --- every pair on a plain delinquent claim (due 2024-05-31, 督促 sent 2024-06-20, checked 2024-08-01) -------

ALLOWED_EVERYWHERE = [A.REMINDER_LETTER, A.REMINDER_PHONE, A.REMINDER_VISIT, A.REMINDER_WORKPLACE,
                      A.PAYMENT_CONSULTATION, A.INSTALLMENT_AGREEMENT]
REFUSED_EVERYWHERE = [
    (A.DEMAND_NOTICE, "already sent on 2024-06-20"),
    (A.WRITE_OFF, "not extinguished"),
    (A.PAID_IN_FULL, "50,000 yen is still open"),
    (A.SEIZURE_RELEASE, "no seizure (差押) is open"),
]
FORCED_ONLY = [A.ASSET_INVESTIGATION, A.SEIZURE, A.SUSPENSION_OF_EXECUTION, A.COLLECTION_GRACE, A.REALISATION_GRACE]
COURT_ONLY = [A.PAYMENT_ORDER, A.SMALL_CLAIMS_SUIT, A.LAWSUIT, A.SUSPENSION_OF_COLLECTION, A.DEFERRED_PERFORMANCE]
REFUSED_FOR_COURT_CATEGORIES = [
    (A.ASSET_INVESTIGATION, "民事執行法196条, 204条"),
    (A.SEIZURE, "administrative seizure (差押) is 滞納処分 and is for 強制徴収公債権 only (地方税法331条"),
    (A.REALISATION, "is for 強制徴収公債権 only"),
    (A.SUSPENSION_OF_EXECUTION, "use 徴収停止 (地方自治法施行令171条の5)"),
    (A.COLLECTION_GRACE, "徴収猶予 (地方税法15条) is for 強制徴収公債権 only"),
    (A.REALISATION_GRACE, "換価の猶予 (地方税法15条の5, 15条の6) is for 強制徴収公債権 only"),
    (A.COMPULSORY_EXECUTION, "needs a 債務名義 (民事執行法22条)"),
    (A.WAIVER, "give the 議決 or the 条例 provision as the basis"),
    (A.DISPOSITION_COST, "for 強制徴収公債権 only"),
]
REFUSED_FOR_FORCED = [
    (A.PAYMENT_ORDER, "may not use the courts (最大判昭和41年2月23日); 支払督促"),
    (A.SMALL_CLAIMS_SUIT, "may not use the courts"),
    (A.LAWSUIT, "may not use the courts"),
    (A.COMPULSORY_EXECUTION, "may not use the courts"),
    (A.SUSPENSION_OF_COLLECTION, "for 強制徴収公債権 use 執行停止 (地方税法15条の7)"),
    (A.DEFERRED_PERFORMANCE, "履行延期の特約 (地方自治法施行令171条の6) excludes 強制徴収公債権"),
    (A.WAIVER, "強制徴収公債権 cannot be waived by resolution"),
    (A.REALISATION, "no seizure (差押) is recorded"),
    (A.DISPOSITION_COST, "no seizure is recorded"),
    (A.INVOCATION, "there is nothing to invoke"),
]

PAIRS = (
    [(c, k, True, "allowed") for c in (FORCED, *COURT_CATEGORIES) for k in ALLOWED_EVERYWHERE]
    + [(c, k, False, why) for c in (FORCED, *COURT_CATEGORIES) for k, why in REFUSED_EVERYWHERE]
    + [(FORCED, k, True, "allowed") for k in FORCED_ONLY]
    + [(c, k, True, "allowed") for c in COURT_CATEGORIES for k in COURT_ONLY]
    + [(c, k, False, why) for c in COURT_CATEGORIES for k, why in REFUSED_FOR_COURT_CATEGORIES]
    + [(FORCED, k, False, why) for k, why in REFUSED_FOR_FORCED]
    + [(NON_FORCED, A.INVOCATION, False, "there is nothing to invoke"),
       (PRIVATE, A.INVOCATION, False, "only once the prescription period has completed")]
)


def test_the_table_covers_every_pair_once() -> None:
    seen = [(c, k) for c, k, _, _ in PAIRS]
    assert len(seen) == len(set(seen)) == 3 * len(ActionKind)


@pytest.mark.parametrize(("category", "kind", "allowed", "fragment"), PAIRS,
                         ids=[f"{c}-{k.value}" for c, k, _, _ in PAIRS])
def test_plain_delinquent_claim(category: str, kind: ActionKind, allowed: bool, fragment: str) -> None:
    decision = check(category, kind)
    assert decision.allowed is allowed, decision.reason
    assert fragment in decision.reason


def test_allowed_actions_matches_the_table() -> None:
    for category in (FORCED, *COURT_CATEGORIES):
        expected = [k for c, k, allowed, _ in PAIRS if c == category and allowed]
        offered = allowed_actions(category, history=[record(A.DEMAND_NOTICE, DEMAND_SENT)], facts=facts(category),
                                  on=TODAY)
        assert sorted(offered) == sorted(expected)
        assert offered == [k for k in ActionKind if k in offered]  # enum order


def test_category_must_match_the_facts_and_be_known() -> None:
    with pytest.raises(ValueError, match="does not match"):
        check_action(PRIVATE, A.SEIZURE, history=[], facts=facts(FORCED), on=TODAY)
    with pytest.raises(ValueError):
        check_action("municipal", A.SEIZURE, history=[], facts=facts(FORCED), on=TODAY)


def test_records_accept_stored_codes() -> None:
    assert ActionRecord("seizure", TODAY, by="x").kind is A.SEIZURE
    assert ClaimFacts("private", 1, DUE).legal_category is LegalCategory.PRIVATE


# --- 督促 before escalation, and the 10-day wait of 地方税法331条1項1号 -------------------------------------


def test_nothing_escalates_before_the_due_date_has_passed() -> None:
    assert not check(FORCED, A.DEMAND_NOTICE, [], on=DUE).allowed  # the debtor may still pay on the due date
    assert check(FORCED, A.DEMAND_NOTICE, [], on=DUE + timedelta(days=1)).allowed
    assert "not overdue" in check(PRIVATE, A.REMINDER_LETTER, [], on=DUE).reason


def test_seizure_before_the_demand_notice_is_refused() -> None:
    decision = check(FORCED, A.SEIZURE, [])
    assert not decision.allowed
    assert "no 督促 has been sent" in decision.reason


@pytest.mark.parametrize("kind", [A.PAYMENT_ORDER, A.SMALL_CLAIMS_SUIT, A.LAWSUIT])
def test_court_procedure_before_the_demand_notice_is_refused(kind: ActionKind) -> None:
    assert "no 督促 has been sent" in check(PRIVATE, kind, []).reason


def test_a_late_demand_notice_is_still_allowed() -> None:
    """The 20-day limit is directory (訓示規定): a 督促 sent late is valid, so it is not refused."""
    assert check(FORCED, A.DEMAND_NOTICE, [], on=date(2024, 9, 30)).allowed


@pytest.mark.parametrize(("on", "allowed"), [
    (DEMAND_SENT, False),  # the sending day is day 1
    (date(2024, 6, 29), False),  # D+9: day 10 of the ten days
    (date(2024, 6, 30), False),  # D+10: the day on which ten days have passed; the debtor may pay in full today
    (date(2024, 7, 1), True),  # D+11: not paid through D+10, so the duty to seize has arisen
])
def test_tax_seizure_waits_until_ten_days_after_the_demand_notice_have_passed(on: date, allowed: bool) -> None:
    """Reading of "督促状を発した日から起算して10日を経過した日までに完納しないとき": 起算して counts the sending day,
    so ten days run 06-20 … 06-29, the day they have passed is 06-30, payment in full is possible through 06-30,
    and seizure is lawful from 07-01."""
    decision = check(FORCED, A.SEIZURE, [record(A.DEMAND_NOTICE, DEMAND_SENT)], on=on)
    assert decision.allowed is allowed, decision.reason
    if not allowed:
        assert "possible from 2024-07-01" in decision.reason
        assert "through 2024-06-30" in decision.reason


def test_earliest_seizure_is_the_eleventh_day_counting_the_sending_day() -> None:
    assert earliest_seizure(DEMAND_SENT) == date(2024, 7, 1)
    assert earliest_seizure(date(2024, 2, 20)) == date(2024, 3, 2)  # leap February


def test_the_first_demand_notice_counts_for_the_wait() -> None:
    history = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(A.DEMAND_NOTICE, date(2024, 7, 10))]
    assert check(FORCED, A.SEIZURE, history, on=date(2024, 7, 11)).allowed


def test_realisation_follows_a_seizure() -> None:
    history = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(A.SEIZURE, date(2024, 7, 5))]
    assert check(FORCED, A.REALISATION, history).allowed


def test_records_after_the_day_asked_about_do_not_count() -> None:
    history = [record(A.DEMAND_NOTICE, date(2024, 9, 1))]
    assert "no 督促" in check(FORCED, A.SEIZURE, history).reason
    assert check(FORCED, A.DEMAND_NOTICE, history).allowed


# --- court titles and small claims -------------------------------------------------------------------------


@pytest.mark.parametrize("category", COURT_CATEGORIES)
@pytest.mark.parametrize(("court_record", "allowed"), [
    (None, False),
    (record(A.PAYMENT_ORDER, date(2024, 7, 1)), False),  # filed, not yet final
    (record(A.PAYMENT_ORDER, date(2024, 7, 1), "objection"), False),
    (record(A.LAWSUIT, date(2024, 7, 1), "lost"), False),
    (record(A.PAYMENT_ORDER, date(2024, 7, 1), "final"), True),
    (record(A.SMALL_CLAIMS_SUIT, date(2024, 7, 1), "won"), True),
    (record(A.LAWSUIT, date(2024, 7, 1), "won"), True),
])
def test_compulsory_execution_needs_a_final_court_title(category: str, court_record: ActionRecord | None,
                                                        allowed: bool) -> None:
    history = [record(A.DEMAND_NOTICE, DEMAND_SENT)] + ([court_record] if court_record else [])
    decision = check(category, A.COMPULSORY_EXECUTION, history)
    assert decision.allowed is allowed, decision.reason
    if not allowed:
        assert "債務名義 (民事執行法22条)" in decision.reason


def test_a_title_does_not_open_compulsory_execution_to_forced_collection_claims() -> None:
    history = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(A.LAWSUIT, date(2024, 7, 1), "won")]
    assert "may not use the courts" in check(FORCED, A.COMPULSORY_EXECUTION, history).reason


@pytest.mark.parametrize("category", COURT_CATEGORIES)
@pytest.mark.parametrize(("balance", "allowed"), [(600_000, True), (600_001, False), (2_400_000, False)])
def test_small_claims_only_up_to_600000_yen(category: str, balance: int, allowed: bool) -> None:
    decision = check(category, A.SMALL_CLAIMS_SUIT, balance=balance)
    assert decision.allowed is allowed, decision.reason
    if not allowed:
        assert "600,000 yen or less (民事訴訟法368条1項)" in decision.reason
        assert check(category, A.PAYMENT_ORDER, balance=balance).allowed
        assert check(category, A.LAWSUIT, balance=balance).allowed


def test_the_small_claims_limit_is_dated() -> None:
    assert small_claims_limit(date(1997, 12, 31)) is None
    assert small_claims_limit(date(2004, 3, 31)) == 300_000
    assert small_claims_limit(date(2004, 4, 1)) == 600_000
    old = check_action(PRIVATE, A.SMALL_CLAIMS_SUIT, history=[record(A.DEMAND_NOTICE, date(2003, 6, 20))],
                       facts=facts(PRIVATE, balance=400_000, due_date=date(2003, 5, 31)), on=date(2003, 8, 1))
    assert not old.allowed and "300,000 yen or less" in old.reason


# --- terminal states, extinction, waiver ----------------------------------------------------------------------


@pytest.mark.parametrize("category", [FORCED, NON_FORCED, PRIVATE])
@pytest.mark.parametrize(("terminal", "words"), [(A.PAID_IN_FULL, "完納"), (A.WRITE_OFF, "不納欠損")])
def test_nothing_after_paid_in_full_or_write_off(category: str, terminal: ActionKind, words: str) -> None:
    history = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(terminal, date(2024, 7, 15))]
    offered = allowed_actions(category, history=history, facts=facts(category, balance=0, extinguished=True),
                              on=TODAY, basis=BASIS)
    assert offered == []
    decision = check(category, A.REMINDER_LETTER, history)
    assert not decision.allowed
    assert f"closed by {words}" in decision.reason and "2024-07-15" in decision.reason


@pytest.mark.parametrize("category", COURT_CATEGORIES)
def test_after_a_waiver_only_the_write_off_follows(category: str) -> None:
    history = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(A.WAIVER, date(2024, 7, 15))]
    assert allowed_actions(category, history=history, facts=facts(category), on=TODAY, basis=BASIS) == [A.WRITE_OFF]
    assert "waived (債権放棄) on 2024-07-15" in check(category, A.PAYMENT_ORDER, history).reason


@pytest.mark.parametrize("category", COURT_CATEGORIES)
def test_waiver_needs_a_basis(category: str) -> None:
    assert not check(category, A.WAIVER, basis="").allowed
    assert not check(category, A.WAIVER, basis="   ").allowed
    decision = check(category, A.WAIVER, basis=BASIS)
    assert decision.allowed and "地方自治法96条1項10号" in decision.reason


def test_forced_collection_claims_cannot_be_waived_even_with_a_basis() -> None:
    assert "cannot be waived" in check(FORCED, A.WAIVER, basis=BASIS).reason


@pytest.mark.parametrize("category", [FORCED, NON_FORCED, PRIVATE])
def test_write_off_only_when_extinguished(category: str) -> None:
    assert "not extinguished" in check(category, A.WRITE_OFF).reason
    assert check(category, A.WRITE_OFF, extinguished=True).allowed
    offered = allowed_actions(category, history=[record(A.DEMAND_NOTICE, DEMAND_SENT)],
                              facts=facts(category, extinguished=True), on=TODAY, basis=BASIS)
    assert offered == [A.WRITE_OFF]  # an extinguished claim may not be collected at all


def test_paid_in_full_only_when_nothing_is_open() -> None:
    assert check(PRIVATE, A.PAID_IN_FULL, balance=0).allowed
    assert allowed_actions(PRIVATE, history=[], facts=facts(PRIVATE, balance=0), on=TODAY) == [A.PAID_IN_FULL]
    assert "nothing is open" in check(FORCED, A.SEIZURE, balance=0).reason


# --- welfare hold and measures in force ------------------------------------------------------------------------


@pytest.mark.parametrize(("category", "kind"), [
    (FORCED, A.SEIZURE), (FORCED, A.REMINDER_WORKPLACE),
    (PRIVATE, A.REMINDER_WORKPLACE), (PRIVATE, A.PAYMENT_ORDER), (PRIVATE, A.LAWSUIT),
    (NON_FORCED, A.SMALL_CLAIMS_SUIT),
])
def test_welfare_hold_pauses_escalation(category: str, kind: ActionKind) -> None:
    assert check(category, kind).allowed
    decision = check(category, kind, on_hold=True)
    assert not decision.allowed and "welfare hold is active" in decision.reason


def test_welfare_hold_pauses_realisation_and_compulsory_execution() -> None:
    seized = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(A.SEIZURE, date(2024, 7, 5))]
    assert "welfare hold" in check(FORCED, A.REALISATION, seized, on_hold=True).reason
    titled = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(A.LAWSUIT, date(2024, 7, 5), "won")]
    assert "welfare hold" in check(PRIVATE, A.COMPULSORY_EXECUTION, titled, on_hold=True).reason


@pytest.mark.parametrize(("category", "kind"), [
    (FORCED, A.PAYMENT_CONSULTATION), (FORCED, A.INSTALLMENT_AGREEMENT), (FORCED, A.SUSPENSION_OF_EXECUTION),
    (FORCED, A.ASSET_INVESTIGATION), (FORCED, A.REMINDER_LETTER), (FORCED, A.REMINDER_PHONE),
    (PRIVATE, A.PAYMENT_CONSULTATION), (PRIVATE, A.INSTALLMENT_AGREEMENT), (PRIVATE, A.SUSPENSION_OF_COLLECTION),
    (PRIVATE, A.DEFERRED_PERFORMANCE), (NON_FORCED, A.REMINDER_VISIT),
])
def test_welfare_hold_keeps_consultation_and_relief_open(category: str, kind: ActionKind) -> None:
    assert check(category, kind, on_hold=True).allowed


def test_demand_notice_is_sent_during_a_hold() -> None:
    assert check(FORCED, A.DEMAND_NOTICE, [], on_hold=True).allowed


@pytest.mark.parametrize(("category", "measure", "blocked", "words"), [
    (FORCED, A.SUSPENSION_OF_EXECUTION, A.SEIZURE, "執行停止 is in force since 2024-07-02"),
    (FORCED, A.COLLECTION_GRACE, A.SEIZURE, "徴収猶予 is in force since 2024-07-02"),
    (PRIVATE, A.SUSPENSION_OF_COLLECTION, A.LAWSUIT, "徴収停止 is in force since 2024-07-02"),
    (PRIVATE, A.SUSPENSION_OF_COLLECTION, A.REMINDER_LETTER, "徴収停止"),
    (NON_FORCED, A.DEFERRED_PERFORMANCE, A.PAYMENT_ORDER, "履行延期の特約 of 2024-07-02"),
])
def test_measures_in_force_block_until_ended(category: str, measure: ActionKind, blocked: ActionKind,
                                             words: str) -> None:
    granted = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(measure, date(2024, 7, 2))]
    decision = check(category, blocked, granted)
    assert not decision.allowed and words in decision.reason
    ended = granted + [record(measure, date(2024, 7, 20), "ended")]
    assert check(category, blocked, ended).allowed


def test_realisation_grace_blocks_realisation_and_new_seizure() -> None:
    history = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(A.SEIZURE, date(2024, 7, 5)),
               record(A.REALISATION_GRACE, date(2024, 7, 10))]
    assert "換価の猶予 is in force" in check(FORCED, A.REALISATION, history).reason
    assert "no new seizure" in check(FORCED, A.SEIZURE, history).reason
    ended = history + [record(A.REALISATION_GRACE, date(2024, 7, 25), "ended")]
    assert check(FORCED, A.SEIZURE, ended).allowed


def test_collection_grace_before_the_demand_notice_blocks_it() -> None:
    history = [record(A.COLLECTION_GRACE, date(2024, 5, 20))]
    assert "no new 督促" in check(FORCED, A.DEMAND_NOTICE, history).reason
    assert demand_notice_task(DUE, history, date(2024, 6, 10)) is None


# --- the 20-day 督促 rule -----------------------------------------------------------------------------------


def test_demand_notice_due_is_the_twentieth_day_after_the_due_date() -> None:
    assert demand_notice_due(date(2024, 5, 31)) == date(2024, 6, 20)
    assert demand_notice_due(date(2024, 2, 9)) == date(2024, 2, 29)
    assert demand_notice_due(date(2023, 12, 25)) == date(2024, 1, 14)


@pytest.mark.parametrize(("as_of", "expected"), [
    (date(2024, 5, 30), None),  # before the due date
    (date(2024, 5, 31), None),  # on the due date the debtor may still pay
    (date(2024, 6, 1), Task("demand_notice", date(2024, 6, 20), overdue=False, days_left=19)),
    (date(2024, 6, 20), Task("demand_notice", date(2024, 6, 20), overdue=False, days_left=0)),
    (date(2024, 6, 21), Task("demand_notice", date(2024, 6, 20), overdue=True, days_left=-1)),
    (date(2024, 8, 1), Task("demand_notice", date(2024, 6, 20), overdue=True, days_left=-42)),
])
def test_demand_notice_task(as_of: date, expected: Task | None) -> None:
    assert demand_notice_task(DUE, [], as_of) == expected


@pytest.mark.parametrize("closing", [A.DEMAND_NOTICE, A.PAID_IN_FULL, A.WRITE_OFF, A.WAIVER])
def test_no_demand_notice_task_once_sent_or_closed(closing: ActionKind) -> None:
    history = [record(closing, date(2024, 6, 10))]
    assert demand_notice_task(DUE, history, date(2024, 6, 25)) is None
    assert demand_notice_task(DUE, history, date(2024, 6, 5)) is not None  # the record is not yet made then


# --- random histories -------------------------------------------------------------------------------------------

OUTCOMES = [None, None, "won", "final", "lost", "objection", "ended", "revoked"]
CLOSING = [A.PAID_IN_FULL, A.WRITE_OFF, A.WAIVER]
OPEN = [k for k in ActionKind if k not in CLOSING]


def random_case(rng: random.Random) -> tuple[str, list[ActionRecord], ClaimFacts, date]:
    category = rng.choice([FORCED, NON_FORCED, PRIVATE])
    due = date(2020, 1, 1) + timedelta(days=rng.randrange(1500))
    kinds = [rng.choice(CLOSING if rng.random() < 0.05 else OPEN) for _ in range(rng.randrange(8))]
    if rng.random() < 0.6:  # most delinquent claims have their 督促
        kinds.insert(0, A.DEMAND_NOTICE)
    history = [ActionRecord(kind, due + timedelta(days=rng.randrange(-30, 400)), by="s", outcome=rng.choice(OUTCOMES))
               for kind in kinds]
    claim = ClaimFacts(LegalCategory(category), rng.choice([0, 1, 50_000, 600_000, 600_001, 3_000_000]), due,
                       extinguished=rng.random() < 0.15, on_hold=rng.random() < 0.3)
    on = due + timedelta(days=rng.randrange(-10, 420))
    return category, history, claim, on


@pytest.mark.parametrize("seed", range(4))
def test_random_histories_keep_the_invariants(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        category, history, claim, on = random_case(rng)
        basis = rng.choice(["", BASIS])
        offered = allowed_actions(category, history=history, facts=claim, on=on, basis=basis)
        known = [r for r in history if r.on <= on]
        for kind in ActionKind:
            decision = check_action(category, kind, history=history, facts=claim, on=on, basis=basis)
            assert decision.reason
            assert decision.allowed is (kind in offered)
        if category != FORCED:
            assert A.SEIZURE not in offered and A.REALISATION not in offered
            assert A.ASSET_INVESTIGATION not in offered
        else:
            assert not {A.PAYMENT_ORDER, A.SMALL_CLAIMS_SUIT, A.LAWSUIT, A.COMPULSORY_EXECUTION} & set(offered)
        if any(r.kind in (A.PAID_IN_FULL, A.WRITE_OFF) for r in known):
            assert offered == []
        elif any(r.kind == A.WAIVER for r in known):
            assert set(offered) <= {A.WRITE_OFF}
        if A.SEIZURE in offered:
            demand = min(r.on for r in known if r.kind == A.DEMAND_NOTICE)
            assert on >= demand + timedelta(days=11) and not claim.on_hold
        if A.COMPULSORY_EXECUTION in offered:
            assert any(r.kind in (A.PAYMENT_ORDER, A.SMALL_CLAIMS_SUIT, A.LAWSUIT) and r.outcome in ("won", "final")
                       for r in known)
        if claim.extinguished:
            assert set(offered) <= {A.WRITE_OFF}


def test_seizure_release_and_disposition_cost_follow_a_seizure() -> None:
    seized = [record(A.DEMAND_NOTICE, DEMAND_SENT), record(A.SEIZURE, date(2024, 7, 5))]
    assert check(FORCED, A.DISPOSITION_COST, seized).allowed
    assert check(FORCED, A.SEIZURE_RELEASE, seized).allowed
    released = seized + [record(A.SEIZURE_RELEASE, date(2024, 7, 20))]
    assert "no seizure (差押) is open" in check(FORCED, A.SEIZURE_RELEASE, released).reason


def test_a_late_charge_left_keeps_the_claim_open_and_an_extinguished_one_allows_only_write_off() -> None:
    owed = ClaimFacts(LegalCategory.FORCED_PUBLIC, 0, DUE, late_charge_open=19_200)
    assert check_action(FORCED, A.REMINDER_LETTER, history=[], facts=owed, on=TODAY).allowed
    assert "19,200 yen is still open" in check_action(FORCED, A.PAID_IN_FULL, history=[], facts=owed, on=TODAY).reason
    gone = ClaimFacts(LegalCategory.PRIVATE, 4_000, DUE, extinguished_on=date(2024, 7, 1))
    assert gone.extinguished
    assert allowed_actions(PRIVATE, history=[], facts=gone, on=TODAY) == [A.WRITE_OFF]


def test_no_demand_notice_for_a_late_charge_alone() -> None:
    owed = ClaimFacts(LegalCategory.FORCED_PUBLIC, 0, DUE, late_charge_open=19_200)
    assert "a 督促 demands the principal" in check_action(FORCED, A.DEMAND_NOTICE, history=[], facts=owed,
                                                          on=TODAY).reason
