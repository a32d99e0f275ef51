"""The case list's sort by next action: the day each recommended step became due (``Recommendation.due_on``), then
the kind's place in the table of legal actions, cases with nothing to do last (next_action.urgency), and the one
function (cases.next_step) the case worker stores it with and GET /cases/{id} shows it with."""

from datetime import date, timedelta

from contracts.receivables import RECEIVABLES
from services.collection.assignment import CaseClaim
from services.collection.cases import action_records, next_step
from services.collection.legal_actions import ACTIONS
from services.collection.next_action import (
    CaseSituation,
    DelinquentClaim,
    action_rank,
    load_policy,
    recommend,
    urgency,
)
from services.collection.stores.cases import case_order
from services.collection.workflow import ActionKind, ActionRecord, ClaimFacts, check_action

A = ActionKind
POLICY = load_policy()
TODAY = date(2025, 6, 2)


def claim(receivable: str, due: date, *history: tuple[ActionKind, date], claim_id: str = "C1",
          department: str | None = None, category: str | None = None) -> DelinquentClaim:
    spec = RECEIVABLES[receivable]
    return DelinquentClaim(department or spec.department, claim_id, receivable, category or spec.default_category, due,
                           80_000, tuple(ActionRecord(kind, on, by="c-0001") for kind, on in history))


def advice(*claims: DelinquentClaim, **facts):
    return recommend(CaseSituation(claims, **facts), POLICY, as_of=TODAY)


def test_each_kind_of_advice_says_from_when_it_is_due() -> None:
    # the statutory 督促 of a tax claim: its ladder's demand_notice step is day 1 after the due date
    demand = advice(claim("fixed_asset_tax", date(2025, 4, 30)))
    assert demand is not None and demand.action == A.DEMAND_NOTICE and demand.due_on == date(2025, 5, 1)
    # a nursery fee's 督促 is day 10 of its ladder
    nursery = advice(claim("nursery_fee", date(2025, 4, 30)))
    assert nursery is not None and nursery.action == A.DEMAND_NOTICE and nursery.due_on == date(2025, 5, 10)
    # a ladder step: the reminder letter of a tax claim, day 30 (督促 and the early call taken)
    letter = advice(claim("fixed_asset_tax", date(2025, 4, 1), (A.DEMAND_NOTICE, date(2025, 4, 5)),
                          (A.REMINDER_PHONE, date(2025, 4, 20))))
    assert letter is not None and letter.action == A.REMINDER_LETTER and letter.lever_id is None
    assert letter.due_on == date(2025, 5, 1)
    # a lever without a window of its own: from the first overdue day of its earliest claim
    call = advice(claim("fixed_asset_tax", date(2025, 5, 20), (A.DEMAND_NOTICE, date(2025, 5, 22))))
    assert call is not None and call.lever_id == "early_call" and call.due_on == date(2025, 5, 21)
    # a welfare hold: a payment consultation, from the first overdue day
    held = advice(claim("fixed_asset_tax", date(2025, 3, 31)), on_hold=True)
    assert held is not None and held.action == A.PAYMENT_CONSULTATION and held.due_on == date(2025, 4, 1)


def test_cases_are_ordered_by_the_day_the_step_became_due_then_by_the_kind() -> None:
    tax_letter = advice(claim("fixed_asset_tax", date(2025, 4, 1), (A.DEMAND_NOTICE, date(2025, 4, 5)),
                              (A.REMINDER_PHONE, date(2025, 4, 20))))          # reminder letter due 2025-05-01
    tax_demand = advice(claim("fixed_asset_tax", date(2025, 4, 30)))           # 督促 due 2025-05-01
    housing_call = advice(claim("municipal_housing_rent", date(2025, 3, 31)))  # phone call due 2025-04-01
    nursery_demand = advice(claim("nursery_fee", date(2025, 4, 30)))           # 督促 due 2025-05-10
    nothing = advice(claim("fixed_asset_tax", TODAY))                          # not overdue: nothing to do
    assert nothing is None
    cases = {"tax_letter": tax_letter, "nothing": nothing, "nursery_demand": nursery_demand,
             "tax_demand": tax_demand, "housing_call": housing_call}
    ordered = sorted(cases, key=lambda name: urgency(cases[name]))
    # same day (5/1): the 督促 comes before the 催告 letter, as in the table of legal actions
    assert ordered == ["housing_call", "tax_demand", "tax_letter", "nursery_demand", "nothing"]


def test_the_kinds_rank_as_the_table_of_legal_actions_runs() -> None:
    kinds = list(ACTIONS)
    assert [action_rank(k) for k in kinds] == list(range(len(kinds)))
    assert action_rank(A.DEMAND_NOTICE) < action_rank(A.REMINDER_LETTER) < action_rank(A.SEIZURE)
    assert action_rank(A.ASSET_INVESTIGATION) < action_rank(A.SEIZURE) < action_rank(A.PAYMENT_ORDER)


def test_the_database_sorts_by_the_same_two_columns_with_nothing_to_do_last() -> None:
    assert case_order("next_action", False) == ("next_action_due ASC NULLS LAST, next_action_rank ASC NULLS LAST, "
                                                "case_id ASC")
    assert case_order("next_action", True).startswith("next_action_due DESC NULLS LAST, next_action_rank DESC")
    assert case_order("delinquent_balance", True) == "delinquent_balance DESC NULLS LAST, case_id DESC"


def test_the_stored_step_is_the_step_the_case_page_shows() -> None:
    """next_step over the worker's CaseClaims and claim_actions rows gives what recommend gives on the same case."""
    due = date(2025, 4, 1)
    rows = [{"department": "tax", "claim_id": "T-1", "kind": "demand_notice", "done_on": due + timedelta(days=4),
             "recorded_by": "c-0001", "outcome": None, "note": "髙橋様へ送付"},
            {"department": "tax", "claim_id": "T-1", "kind": "reminder_phone", "done_on": due + timedelta(days=19),
             "recorded_by": "c-0001", "outcome": None, "note": ""}]
    claims = [CaseClaim("tax", "T-1", "fixed_asset_tax", "forced_public", 2025, due, 80_000),
              CaseClaim("housing", "H-9", "municipal_housing_rent", "private", 2025, date(2025, 5, 31), 30_000)]
    step = next_step(claims, action_records(rows), as_of=TODAY, on_hold=False, corporation=False, guarantor=False,
                     ledger={}, policy=POLICY)
    assert step is not None
    # the housing rent (2 days overdue) needs its phone call from 6/1; the tax letter was due on 5/1: the letter leads
    assert step.action == A.REMINDER_LETTER and step.claim_ids == ("tax:T-1",) and step.due_on == date(2025, 5, 1)
    held = next_step(claims, action_records(rows), as_of=TODAY, on_hold=True, corporation=False, guarantor=False,
                     ledger={}, policy=POLICY)
    assert held is not None and held.action == A.PAYMENT_CONSULTATION and held.due_on == date(2025, 4, 2)


def test_a_claim_whose_principal_is_paid_is_not_advised_a_demand_notice() -> None:
    """The case's balance holds the 延滞金 left; the ledger's facts say the principal is paid, so the advice is a
    step the law allows (a 督促 demands the principal only: 地方税法329条), never one the record would refuse."""
    due = date(2025, 4, 1)
    claims = [CaseClaim("tax", "T-1", "fixed_asset_tax", "forced_public", 2025, due, 3_100, principal_balance=0)]
    paid = {("tax", "T-1"): ClaimFacts("forced_public", 0, due, late_charge_open=3_000, fees_open=100)}
    step = next_step(claims, {}, as_of=TODAY, on_hold=False, corporation=False, guarantor=False, ledger=paid,
                     policy=POLICY)
    assert step is None or step.action != A.DEMAND_NOTICE
    if step is not None:
        assert check_action("forced_public", step.action, history=(), facts=paid[("tax", "T-1")], on=TODAY).allowed
    owed = {("tax", "T-1"): ClaimFacts("forced_public", 3_000, due)}
    demand = next_step(claims, {}, as_of=TODAY, on_hold=False, corporation=False, guarantor=False, ledger=owed,
                       policy=POLICY)
    assert demand is not None and demand.action == A.DEMAND_NOTICE
