"""Next action (次の一手): the ladders and levers of the default policy on typical cases, the welfare hold, the
policy's validation refusals, and random situations checked against the workflow rules."""

import copy
import json
import random
from datetime import date, timedelta

import pytest

from contracts.enums import Department, LegalCategory, PersonKind
from contracts.receivables import RECEIVABLES
from services.collection.next_action import (
    DEFAULT_POLICY_PATH,
    ESCALATION_ACTIONS,
    CaseSituation,
    DelinquentClaim,
    Recommendation,
    demand_notices_due,
    load_policy,
    parse_policy,
    recommend,
)
from services.collection.workflow import ActionKind, ActionRecord, ClaimFacts, check_action

A = ActionKind
DUE = date(2024, 4, 30)
POLICY = load_policy()
RAW = json.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def day(n: int, due: date = DUE) -> date:
    """Day n overdue: day 1 is the day after the due date."""
    return due + timedelta(days=n)


def rec(kind: ActionKind, n: int, outcome: str | None = None) -> ActionRecord:
    return ActionRecord(kind, day(n), by="staff-001", outcome=outcome)


def claim(receivable: str, claim_id: str = "C1", *, history: tuple[ActionRecord, ...] = (), balance: int = 50_000,
          due: date = DUE, category: str | None = None, extinguished: bool = False) -> DelinquentClaim:
    spec = RECEIVABLES[receivable]
    return DelinquentClaim(spec.department, claim_id, receivable, category or spec.default_category, due, balance,
                           history, extinguished=extinguished)


def case(*claims: DelinquentClaim, **facts) -> CaseSituation:
    return CaseSituation(claims, **facts)


# --- table: typical cases on the default policy ------------------------------------------------------------

TAX = "fixed_asset_tax"
HOUSING = "municipal_housing_rent"
WATER = "water_supply_charge"
HOUSING_HISTORY_60 = (rec(A.REMINDER_PHONE, 2), rec(A.DEMAND_NOTICE, 10), rec(A.REMINDER_LETTER, 30),
                      rec(A.REMINDER_VISIT, 60))

# (id, situation, days overdue on as_of, expected (action, lead, lever, claim ids) or None)
CASES = [
    ("new tax arrear: demand notice led by tax",
     case(claim(TAX)), 3, (A.DEMAND_NOTICE, "tax", None, ("C1",))),
    ("tax on the due date itself: nothing due yet",
     case(claim(TAX)), 0, None),
    ("tax not yet due",
     case(claim(TAX)), -10, None),
    ("no claims at all",
     case(), 50, None),
    ("tax after the 督促, early: a phone call (Nagoya: early-stage reminders)",
     case(claim(TAX, history=(rec(A.DEMAND_NOTICE, 5),))), 20, (A.REMINDER_PHONE, "tax", "early_call", ("C1",))),
    ("tax 35 days, 督促 and early call done: the reminder letter",
     case(claim(TAX, history=(rec(A.DEMAND_NOTICE, 5), rec(A.REMINDER_PHONE, 20)))), 35,
     (A.REMINDER_LETTER, "tax", None, ("C1",))),
    ("tax 50 days: the phone step is skipped when the early call took it",
     case(claim(TAX, history=(rec(A.DEMAND_NOTICE, 5), rec(A.REMINDER_PHONE, 20), rec(A.REMINDER_LETTER, 31)))), 50,
     None),
    ("tax 95 days without known assets: ladder seizure after the investigation",
     case(claim(TAX, history=(rec(A.DEMAND_NOTICE, 5), rec(A.REMINDER_LETTER, 31), rec(A.REMINDER_PHONE, 46),
                              rec(A.ASSET_INVESTIGATION, 61)))), 95, (A.SEIZURE, "tax", None, ("C1",))),
    ("housing rent 5 days: a phone call before any letter (Ina)",
     case(claim(HOUSING)), 5, (A.REMINDER_PHONE, "housing", None, ("C1",))),
    ("housing rent 12 days, phoned: the 督促 next",
     case(claim(HOUSING, history=(rec(A.REMINDER_PHONE, 2),))), 12, (A.DEMAND_NOTICE, "housing", None, ("C1",))),
    ("housing rent 40 days, phoned and 督促 sent: steps taken are skipped, the letter next",
     case(claim(HOUSING, history=(rec(A.REMINDER_PHONE, 2), rec(A.DEMAND_NOTICE, 10)))), 40,
     (A.REMINDER_LETTER, "housing", None, ("C1",))),
    ("housing rent 90 days with a guarantor: the guarantor claim lever",
     case(claim(HOUSING, history=HOUSING_HISTORY_60), has_guarantor=True), 90,
     (A.REMINDER_LETTER, "housing", "guarantor_claim", ("C1",))),
    ("housing rent 90 days without a guarantor: every due step taken, nothing new",
     case(claim(HOUSING, history=HOUSING_HISTORY_60)), 90, None),
    ("housing rent 50 days with a guarantor: too early for the guarantor lever",
     case(claim(HOUSING, history=HOUSING_HISTORY_60[:3]), has_guarantor=True), 50, None),
    ("housing rent 125 days, guarantor already claimed on day 70: the ladder goes on to the payment order",
     case(claim(HOUSING, history=(*HOUSING_HISTORY_60, rec(A.REMINDER_LETTER, 70))), has_guarantor=True), 125,
     (A.PAYMENT_ORDER, "housing", None, ("C1",))),
    ("a corporation's water arrear after the 督促: the water-supply lever",
     case(claim(WATER, history=(rec(A.DEMAND_NOTICE, 3),)), debtor_kind="corporation"), 20,
     (A.REMINDER_VISIT, "water", "water_supply_suspension", ("C1",))),
    ("a corporation's water arrear before the 督促: the 督促 first",
     case(claim(WATER), debtor_kind="corporation"), 5, (A.DEMAND_NOTICE, "water", None, ("C1",))),
    ("an individual's water arrear: no supply-suspension lever, an early call",
     case(claim(WATER, history=(rec(A.DEMAND_NOTICE, 3),))), 20, (A.REMINDER_PHONE, "water", "early_call", ("C1",))),
    ("a corporation's water arrear, suspension notice delivered: the ladder goes on",
     case(claim(WATER, history=(rec(A.DEMAND_NOTICE, 3), rec(A.REMINDER_VISIT, 20))), debtor_kind="corporation"), 40,
     (A.REMINDER_LETTER, "water", None, ("C1",))),
    ("nursery fee: the nursery head's reminder first",
     case(claim("nursery_fee")), 3, (A.REMINDER_LETTER, "childcare", None, ("C1",))),
    ("insurance premium 70 days: from phone to the workplace (Nagoya)",
     case(claim("national_health_insurance_tax", history=(rec(A.DEMAND_NOTICE, 5), rec(A.REMINDER_PHONE, 20),
                                                          rec(A.REMINDER_LETTER, 31)))), 70,
     (A.REMINDER_WORKPLACE, "insurance", None, ("C1",))),
    ("the most overdue claim leads the ladder",
     case(claim(HOUSING, "H1", due=day(60)), claim(TAX, "T1")), 80, (A.DEMAND_NOTICE, "tax", None, ("T1",))),
    ("a claim with nothing left to do gives way to the next one",
     case(claim(HOUSING, "H1", history=HOUSING_HISTORY_60), claim(WATER, "W1", due=day(50))), 90,
     (A.DEMAND_NOTICE, "water", None, ("W1",))),
    ("an extinguished claim is never escalated",
     case(claim(TAX, extinguished=True)), 100, None),
    ("a paid claim is never escalated",
     case(claim(TAX, balance=0)), 100, None),
    ("a closed claim is never escalated",
     case(claim(TAX, history=(rec(A.PAID_IN_FULL, 30),))), 100, None),
    # the statutory 督促 ranks above every reminder (催告) and lever, on any claim of the case
    ("nursery fee 12 days, neither step taken: the 督促 (day 10) before the nursery head's reminder (day 1)",
     case(claim("nursery_fee")), 12, (A.DEMAND_NOTICE, "childcare", None, ("C1",))),
    ("housing 40 days needs its letter, a tax claim 15 days has no 督促: the 督促 first",
     case(claim(HOUSING, "H1", due=day(-25), history=(rec(A.REMINDER_PHONE, -23), rec(A.DEMAND_NOTICE, -15))),
          claim(TAX, "T1")), 15, (A.DEMAND_NOTICE, "tax", None, ("T1",))),
    ("the early-call lever waits for another claim's 督促",
     case(claim(TAX, "T1", history=(rec(A.DEMAND_NOTICE, 5),)), claim(WATER, "W1", due=day(10))), 20,
     (A.DEMAND_NOTICE, "water", None, ("W1",))),
    ("the guarantor lever waits for another claim's 督促",
     case(claim(HOUSING, "H1", history=HOUSING_HISTORY_60), claim(TAX, "T1", due=day(80))), 90,
     (A.DEMAND_NOTICE, "tax", None, ("T1",))),
    ("the department's own 督促 counts: no second one, the early call follows",
     case(claim(TAX, history=(ActionRecord(A.DEMAND_NOTICE, day(8), by="department:tax"),))), 20,
     (A.REMINDER_PHONE, "tax", "early_call", ("C1",))),
    ("two tax claims without a 督促: both in one recommendation, another department's waits",
     case(claim(TAX, "T1"), claim(TAX, "T2", due=day(5)), claim(WATER, "W1", due=day(2))), 25,
     (A.DEMAND_NOTICE, "tax", None, ("T1", "T2"))),
    ("records after as_of do not count yet",
     case(claim(HOUSING, history=(rec(A.REMINDER_PHONE, 9),))), 5, (A.REMINDER_PHONE, "housing", None, ("C1",))),
]


@pytest.mark.parametrize(("situation", "days", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_recommendation(situation: CaseSituation, days: int, expected) -> None:
    got = recommend(situation, POLICY, as_of=day(days))
    if expected is None:
        assert got is None
        return
    action, lead, lever, claim_ids = expected
    assert got is not None
    assert (got.action, got.lead_department, got.lever_id, got.claim_ids) == (action, lead, lever, claim_ids)
    assert "days overdue" in got.reason and "yen open" in got.reason


# --- seizure: the lever only when workflow allows it ------------------------------------------------------


def test_seizure_lever_waits_for_ten_days_after_the_demand_notice() -> None:
    """督促 sent late (day 50): seizure from day 61 (sent on D, payable through D+10, seizure on D+11)."""
    tax = claim(TAX, history=(rec(A.DEMAND_NOTICE, 50),))
    situation = case(tax, assets_known=True)
    before = recommend(situation, POLICY, as_of=day(60))
    assert before is not None and before.action == A.REMINDER_LETTER and before.lever_id is None  # next lawful step
    after = recommend(situation, POLICY, as_of=day(61))
    assert after == Recommendation(Department.TAX, A.SEIZURE, ("C1",), after.reason, "deposit_seizure")
    assert "tax leads" in after.reason and "61 days overdue" in after.reason and "50,000 yen" in after.reason


def test_seizure_lever_needs_the_demand_notice() -> None:
    got = recommend(case(claim(TAX), assets_known=True), POLICY, as_of=day(100))
    assert got is not None and (got.action, got.lever_id) == (A.DEMAND_NOTICE, None)


def test_seizure_lever_needs_known_assets() -> None:
    tax = claim(TAX, history=(rec(A.DEMAND_NOTICE, 5), rec(A.REMINDER_PHONE, 20), rec(A.REMINDER_LETTER, 31)))
    got = recommend(case(tax, assets_known=False), POLICY, as_of=day(50))
    assert got is None  # the ladder's phone step is taken; the investigation is due from day 60


def test_seizure_lever_led_by_tax_for_insurance_claims_too() -> None:
    nhi = claim("national_health_insurance_tax", "N1", history=(rec(A.DEMAND_NOTICE, 5),))
    got = recommend(case(nhi, assets_known=True), POLICY, as_of=day(40))
    assert got is not None
    assert (got.action, got.lead_department, got.lever_id, got.claim_ids) == (A.SEIZURE, "tax", "deposit_seizure",
                                                                            ("N1",))


def test_seizure_lever_names_only_the_seizable_claims() -> None:
    tax = claim(TAX, "T1", history=(rec(A.DEMAND_NOTICE, 5),))
    housing = claim(HOUSING, "H1", due=DUE - timedelta(days=30), history=(rec(A.DEMAND_NOTICE, 5),))
    water = claim(WATER, "W1", history=(rec(A.DEMAND_NOTICE, 5),))
    got = recommend(case(tax, housing, water, assets_known=True), POLICY, as_of=day(40))
    assert got is not None and (got.action, got.claim_ids) == (A.SEIZURE, ("T1",))


@pytest.mark.parametrize("receivable", ["municipal_housing_rent", "water_supply_charge", "school_lunch_fee"])
@pytest.mark.parametrize("category", ["private", "non_forced_public"])
def test_private_and_non_forced_claims_never_get_seizure(receivable: str, category: str) -> None:
    history = (rec(A.DEMAND_NOTICE, 5), rec(A.REMINDER_LETTER, 30))
    for days in (20, 61, 100, 200, 400):
        situation = case(claim(receivable, history=history, category=category), assets_known=True,
                         debtor_kind="corporation", has_guarantor=True)
        got = recommend(situation, POLICY, as_of=day(days))
        assert got is None or got.action not in {A.SEIZURE, A.REALISATION, A.ASSET_INVESTIGATION}


def test_a_recent_demand_notice_on_the_tax_claim_leaves_the_private_claim_to_its_ladder() -> None:
    # the tax claim's 督促 went out 5 days ago and its early call is made: not seizable yet, nothing else due
    tax = claim(TAX, "T1", due=day(40), history=(rec(A.DEMAND_NOTICE, 45), rec(A.REMINDER_PHONE, 46)))
    housing = claim(HOUSING, "H1", history=(rec(A.REMINDER_PHONE, 2), rec(A.DEMAND_NOTICE, 10)))
    got = recommend(case(tax, housing, assets_known=True), POLICY, as_of=day(50))
    assert got is not None
    assert (got.action, got.claim_ids, got.lead_department) == (A.REMINDER_LETTER, ("H1",), "housing")


# --- the welfare hold ---------------------------------------------------------------------------------------


def test_welfare_hold_recommends_consultation_only() -> None:
    tax = claim(TAX, "T1", balance=120_000, history=(rec(A.DEMAND_NOTICE, 5),))
    housing = claim(HOUSING, "H1", due=day(30), balance=35_000)
    got = recommend(case(tax, housing, on_hold=True, assets_known=True, has_guarantor=True), POLICY, as_of=day(200))
    assert got is not None
    assert (got.action, got.lead_department, got.lever_id, got.claim_ids) == (A.PAYMENT_CONSULTATION, "tax", None,
                                                                            ("T1", "H1"))
    assert "paused" in got.reason and "155,000 yen" in got.reason and "200 days overdue" in got.reason


def test_welfare_hold_says_the_statutory_demand_is_still_due() -> None:
    got = recommend(case(claim(TAX, "T1"), on_hold=True), POLICY, as_of=day(5))
    assert got is not None and got.action == A.PAYMENT_CONSULTATION
    assert "督促 is still due on T1" in got.reason


def test_welfare_hold_with_nothing_overdue_or_open() -> None:
    assert recommend(case(claim(TAX), on_hold=True), POLICY, as_of=DUE) is None
    assert recommend(case(claim(TAX, balance=0), on_hold=True), POLICY, as_of=day(10)) is None


# --- the case and the reason --------------------------------------------------------------------------------


def test_reason_states_the_facts_in_words() -> None:
    got = recommend(case(claim(HOUSING, balance=35_000)), POLICY, as_of=day(5))
    assert got is not None
    assert "municipal_housing_rent" in got.reason and "5 days overdue" in got.reason and "35,000 yen" in got.reason
    assert "phone before any letter" in got.reason


def test_case_refuses_bad_claims() -> None:
    with pytest.raises(ValueError, match="appear more than once"):
        case(claim(TAX, "X"), claim(HOUSING, "X"))
    with pytest.raises(ValueError, match="belongs to department 'tax'"):
        DelinquentClaim("housing", "C1", TAX, "forced_public", DUE, 1)
    with pytest.raises(ValueError, match="unknown receivable type"):
        DelinquentClaim("tax", "C1", "dog_tax", "forced_public", DUE, 1)
    with pytest.raises(ValueError):
        CaseSituation((), debtor_kind="company")


# --- the policy: loading and refusals -----------------------------------------------------------------------


def test_default_policy_covers_every_receivable() -> None:
    assert POLICY.version == "escalation.v1"
    assert set(POLICY.ladders) == set(RECEIVABLES)
    assert [lever.id for lever in POLICY.levers] == ["deposit_seizure", "water_supply_suspension", "guarantor_claim",
                                                     "early_call"]
    housing = POLICY.ladder_for(HOUSING).steps
    assert [s.action for s in housing[:2]] == [A.REMINDER_PHONE, A.DEMAND_NOTICE]


def test_policy_loads_with_a_court_category_override_for_housing() -> None:
    policy = load_policy(category_overrides={HOUSING: "non_forced_public"})
    assert policy.ladder_for(HOUSING) == POLICY.ladder_for(HOUSING)


def test_policy_refuses_an_override_that_makes_a_ladder_unlawful() -> None:
    with pytest.raises(ValueError, match=r"receivable nursery_fee \(private\), step 4 \(asset_investigation"):
        load_policy(category_overrides={"nursery_fee": "private"})


def ladder(data: dict, ladder_id: str) -> dict:
    return next(item for item in data["ladders"] if item["id"] == ladder_id)


def lever(data: dict, lever_id: str) -> dict:
    return next(item for item in data["levers"] if item["id"] == lever_id)


def seizure_in_water(data: dict) -> None:
    ladder(data, "water")["steps"].insert(3, {"action": "seizure", "min_days_overdue": 90})


def seizure_too_soon(data: dict) -> None:
    ladder(data, "tax")["steps"] = [{"action": "demand_notice", "min_days_overdue": 1},
                                    {"action": "seizure", "min_days_overdue": 5}]


def court_for_tax(data: dict) -> None:
    ladder(data, "tax")["steps"].append({"action": "payment_order", "min_days_overdue": 120})


def days_decrease(data: dict) -> None:
    ladder(data, "housing")["steps"][2]["min_days_overdue"] = 5


def no_demand_notice(data: dict) -> None:
    del ladder(data, "water")["steps"][0]


def late_demand_notice(data: dict) -> None:
    ladder(data, "water")["steps"][0]["min_days_overdue"] = 25
    ladder(data, "water")["steps"][1]["min_days_overdue"] = 30


def two_demand_notices(data: dict) -> None:
    ladder(data, "tax")["steps"].append({"action": "demand_notice", "min_days_overdue": 120})


def payment_order_before_demand(data: dict) -> None:
    ladder(data, "housing")["steps"].insert(1, {"action": "payment_order", "min_days_overdue": 5})


def not_a_step(data: dict) -> None:
    ladder(data, "tax")["steps"].append({"action": "waiver", "min_days_overdue": 400})


def unknown_action(data: dict) -> None:
    ladder(data, "tax")["steps"].append({"action": "threaten", "min_days_overdue": 400})


def day_zero(data: dict) -> None:
    ladder(data, "housing")["steps"][0]["min_days_overdue"] = 0


def unknown_receivable(data: dict) -> None:
    ladder(data, "tax")["receivables"].append("dog_tax")


def missing_ladder(data: dict) -> None:
    data["ladders"] = [item for item in data["ladders"] if item["id"] != "sewerage"]


def receivable_twice(data: dict) -> None:
    ladder(data, "insurance")["receivables"].append("fixed_asset_tax")


def lever_seizure_for_water(data: dict) -> None:
    lever(data, "water_supply_suspension")["action"] = "seizure"


def lever_court_for_forced_only(data: dict) -> None:
    data["levers"].append({"id": "sue_taxpayers", "when": {"legal_category": "forced_public"},
                           "action": "lawsuit", "reason": "x"})


def lever_id_twice(data: dict) -> None:
    data["levers"].append(copy.deepcopy(lever(data, "early_call")))


def lever_unknown_condition(data: dict) -> None:
    lever(data, "early_call")["when"]["mood"] = "bad"


def lever_min_after_max(data: dict) -> None:
    lever(data, "early_call")["when"]["min_days_overdue"] = 40


def lever_bad_lead(data: dict) -> None:
    lever(data, "guarantor_claim")["lead"] = "police"


def lever_without_reason(data: dict) -> None:
    lever(data, "guarantor_claim")["reason"] = " "


def lever_never_applies(data: dict) -> None:
    lever(data, "guarantor_claim")["when"]["legal_category"] = "forced_public"


REFUSALS = [
    (seizure_in_water, r"ladder 'water', receivable water_supply_charge \(private\), step 4 \(seizure, day 90\): "
                       r"not lawful for this receivable"),
    (seizure_too_soon, r"ladder 'tax', receivable \w+ \(forced_public\), step 2 \(seizure, day 5\): not lawful on "
                       r"its day even with every earlier step taken on its own day: seizure is possible from"),
    (court_for_tax, r"step 6 \(payment_order, day 120\): not lawful for this receivable"),
    (days_decrease, r"ladder 'housing' \(receivables municipal_housing_rent\), step 3 \(reminder_letter\): day 5 "
                    r"comes before day 10 of step 2 \(demand_notice\)"),
    (no_demand_notice, r"ladder 'water' \(receivables water_supply_charge\): has no demand_notice step"),
    (late_demand_notice, r"ladder 'water' .*due from day 25, after the 20 days"),
    (two_demand_notices, r"step 6 \(demand_notice, day 120\): not lawful on its day"),
    (payment_order_before_demand, r"ladder 'housing', receivable municipal_housing_rent \(private\), step 2 "
                                  r"\(payment_order, day 5\): not lawful on its day"),
    (not_a_step, r"'waiver' is not a collection step"),
    (unknown_action, r"unknown action 'threaten'"),
    (day_zero, r"ladder 'housing', step 1 \(reminder_phone\): min_days_overdue: must be a whole number"),
    (unknown_receivable, r"ladder 'tax': unknown receivable type\(s\) dog_tax"),
    (missing_ladder, r"no escalation ladder for receivable\(s\) sewerage_charge"),
    (receivable_twice, r"ladder 'insurance': receivable 'fixed_asset_tax' already has ladder 'tax'"),
    (lever_seizure_for_water, r"lever 'water_supply_suspension' \(seizure\): not lawful for receivable "
                              r"water_supply_charge \(private\)"),
    (lever_court_for_forced_only, r"lever 'sue_taxpayers' \(lawsuit\): not lawful for any legal category"),
    (lever_id_twice, r"levers: id 'early_call' appears more than once"),
    (lever_unknown_condition, r"lever 'early_call': when: unknown key\(s\) mood"),
    (lever_min_after_max, r"lever 'early_call': when.min_days_overdue 40 is after when.max_days_overdue 30"),
    (lever_bad_lead, r"lever 'guarantor_claim': lead 'police'"),
    (lever_without_reason, r"lever 'guarantor_claim': needs a reason"),
    (lever_never_applies, r"lever 'guarantor_claim' \(reminder_letter\): can never apply"),
]


@pytest.mark.parametrize(("mutate", "message"), REFUSALS, ids=[m.__name__ for m, _ in REFUSALS])
def test_policy_refusals(mutate, message: str) -> None:
    data = copy.deepcopy(RAW)
    mutate(data)
    with pytest.raises(ValueError, match=message):
        parse_policy(data)


def test_load_policy_refuses_a_file_that_is_not_json(tmp_path) -> None:
    path = tmp_path / "escalation.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not JSON"):
        load_policy(path)


# --- property: random situations --------------------------------------------------------------------------

AS_OF = date(2024, 10, 1)
_HISTORY_KINDS = [*ESCALATION_ACTIONS, A.INSTALLMENT_AGREEMENT, A.COLLECTION_GRACE, A.SUSPENSION_OF_EXECUTION,
                  A.SUSPENSION_OF_COLLECTION, A.DEFERRED_PERFORMANCE, A.REALISATION_GRACE, A.PAID_IN_FULL,
                  A.WAIVER, A.DEMAND_NOTICE, A.DEMAND_NOTICE, A.REMINDER_PHONE]
_HISTORY_KINDS.sort(key=lambda k: k.value)  # a frozenset's order varies between runs; the seed must not


def random_situation(rng: random.Random) -> CaseSituation:
    claims = []
    for i in range(rng.randint(0, 4)):
        code = rng.choice(sorted(RECEIVABLES))
        category = rng.choice(list(LegalCategory)) if rng.random() < 0.2 else RECEIVABLES[code].default_category
        due = AS_OF - timedelta(days=rng.randint(-30, 400))
        history = []
        if rng.random() < 0.7:  # most 督促 are on record (departments send them): the ladder beyond them is reached
            history.append(ActionRecord(A.DEMAND_NOTICE, due + timedelta(days=rng.randint(1, 20)), by="department:tax"))
        for _ in range(rng.randint(0, 6)):
            kind = rng.choice(_HISTORY_KINDS)
            outcome = rng.choice([None, "final", "won", "ended", "revoked"])
            history.append(ActionRecord(kind, due + timedelta(days=rng.randint(-5, 420)), by="staff", outcome=outcome))
        balance = 0 if rng.random() < 0.05 else rng.randint(1_000, 900_000)
        claims.append(DelinquentClaim(RECEIVABLES[code].department, f"C{i}", code, category, due, balance,
                                      tuple(history), extinguished=rng.random() < 0.05))
    return CaseSituation(tuple(claims), debtor_kind=rng.choice(list(PersonKind)), has_guarantor=rng.random() < 0.5,
                         assets_known=rng.random() < 0.5, on_hold=rng.random() < 0.2)


@pytest.mark.parametrize("seed", range(5))
def test_random_situations_get_only_lawful_recommendations(seed: int) -> None:
    rng = random.Random(seed)
    levers = {lever.id: lever for lever in POLICY.levers}
    seen: set[tuple[str, str | None]] = set()
    for _ in range(200):
        situation = random_situation(rng)
        as_of = AS_OF + timedelta(days=rng.randint(-3, 3))
        got = recommend(situation, POLICY, as_of=as_of)
        assert got == recommend(situation, POLICY, as_of=as_of)  # pure
        if got is None:
            continue
        seen.add((got.action.value, got.lever_id))
        by_id = {c.claim_id: c for c in situation.claims}
        assert got.claim_ids and len(set(got.claim_ids)) == len(got.claim_ids)
        assert set(got.claim_ids) <= set(by_id)
        assert got.action in ESCALATION_ACTIONS
        allowed = []
        for claim_id in got.claim_ids:
            c = by_id[claim_id]
            assert c.due_date < as_of
            facts = ClaimFacts(c.legal_category, c.balance, c.due_date, extinguished=c.extinguished,
                               on_hold=situation.on_hold)
            allowed.append(check_action(c.legal_category, got.action, history=c.history, facts=facts,
                                        on=as_of).allowed)
        assert any(allowed) and all(allowed)
        if situation.on_hold:
            assert got.action == A.PAYMENT_CONSULTATION and got.lever_id is None
            assert "paused" in got.reason
        else:  # the statutory 督促 first: nothing else is recommended while any claim still needs its 督促
            overdue = sorted((c for c in situation.claims if c.days_overdue(as_of) >= 1),
                             key=lambda c: (c.due_date, c.claim_id))
            if demand_notices_due(situation, overdue, POLICY, as_of):
                assert got.action == A.DEMAND_NOTICE
        if got.action in {A.SEIZURE, A.REALISATION, A.ASSET_INVESTIGATION}:
            assert all(by_id[i].legal_category == LegalCategory.FORCED_PUBLIC for i in got.claim_ids)
        if got.lever_id is None:
            assert got.lead_department == by_id[got.claim_ids[0]].department
        else:
            assert got.lever_id in levers
            assert got.lead_department == (levers[got.lever_id].lead or by_id[got.claim_ids[0]].department)
        assert "days overdue" in got.reason and "yen open" in got.reason
    assert len(seen) >= 5  # the generator reaches levers, ladder steps and the hold alike
