"""When every case is recomputed: once per business date, and whenever the assignment policy changes."""

from datetime import date

import pytest

from services.collection.cases import case_facts, full_refresh_cause
from services.collection.ledger import Claim, Payment, build_ledger

DAY = date(2025, 4, 1)


@pytest.mark.parametrize(("last_date", "last_version", "expected"), [
    (None, None, "business date 2025-04-01"),  # never done
    (date(2025, 3, 31), "assignment.v1", "business date 2025-04-01"),  # a new day
    (DAY, "assignment.v1", None),  # done today
    (DAY, "assignment.v0", "policy assignment.v1"),  # a new policy, same day
    (date(2025, 3, 31), "assignment.v0", "policy assignment.v1"),
])
def test_full_refresh_once_per_day_and_per_policy(last_date: date | None, last_version: str | None,
                                                 expected: str | None) -> None:
    assert full_refresh_cause(last_date, last_version, as_of=DAY, policy_version="assignment.v1") == expected


def test_case_facts_hold_only_the_unpaid_claims_past_their_due_date() -> None:
    claims = [Claim("tax", "due-yesterday", "individual_inhabitant_tax", "forced_public", 2024, 1,
                    date(2025, 3, 31), 5_000, date(2024, 6, 1)),
              Claim("tax", "due-today", "individual_inhabitant_tax", "forced_public", 2024, 2,
                    DAY, 5_000, date(2024, 6, 1)),
              Claim("water", "paid", "water_supply_charge", "private", 2024, 1, date(2025, 1, 31), 3_000,
                    date(2025, 1, 5))]
    ledger = build_ledger(claims, [], [], [Payment("water", "p1", "paid", 3_000, date(2025, 2, 3), "counter")], [],
                          DAY)
    facts = case_facts("d1", ledger, as_of=DAY, on_hold=True)
    assert [c.claim_id for c in facts.claims] == ["due-yesterday"] and facts.on_hold
    assert case_facts("d2", None, as_of=DAY, on_hold=False).claims == ()


def test_a_firm_sees_only_the_claims_it_holds_never_tax_or_forced_collection() -> None:
    from services.collection.assignment import assign_case, load_policy
    from services.collection.cases import outsourced_view

    policy = load_policy()
    claims = [Claim("water", "w1", "water_supply_charge", "private", 2024, 1, date(2024, 5, 31), 20_000,
                    date(2024, 5, 1)),
              Claim("housing", "h1", "municipal_housing_rent", "private", 2024, 1, date(2024, 12, 31), 5_000,
                    date(2024, 12, 1))]
    facts = case_facts("d1", build_ledger(claims, [], [], [], [], DAY), as_of=DAY, on_hold=False)
    firm, held = outsourced_view(facts, assign_case(facts, policy))  # type: ignore[misc]
    assert firm in policy.lawyer_teams and [c.claim_id for c in held] == ["w1"]  # the young rent claim stays
    with_tax = claims + [Claim("tax", "t1", "individual_inhabitant_tax", "forced_public", 2024, 1,
                               date(2024, 6, 30), 9_000, date(2024, 6, 1))]
    facts = case_facts("d1", build_ledger(with_tax, [], [], [], [], DAY), as_of=DAY, on_hold=False)
    assert outsourced_view(facts, assign_case(facts, policy)) is None  # a tax arrear keeps the case with staff
