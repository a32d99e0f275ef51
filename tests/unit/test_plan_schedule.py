"""Central installment plans (分納計画): the schedule's amounts, due dates and what each instalment settles,
hand-computed; impossible terms refused naming the field."""

import random
from datetime import date, timedelta

import pytest

from services.collection.allocation import Component
from services.collection.plans import (
    MAX_INSTALMENTS,
    PlanClaim,
    PlanRefused,
    amounts_by_amount,
    amounts_by_count,
    closed_day,
    due_dates,
    plan_schedule,
)

AGREED = date(2026, 4, 10)  # a Friday
TAX = PlanClaim("tax", "T-2024-1", date(2024, 6, 30), "forced_public", principal=30_000, late_charge=1_200,
                demand_fee=100)
WATER = PlanClaim("water", "W-77", date(2025, 2, 28), "private", principal=8_000, late_charge=300)
C = Component


def test_by_count_the_remainder_goes_to_the_first_instalment() -> None:
    assert amounts_by_count(39_600, 6) == [6_600] * 6
    assert amounts_by_count(39_601, 6) == [6_601 + 0, 6_600, 6_600, 6_600, 6_600, 6_600]
    assert amounts_by_count(100, 7) == [16, 14, 14, 14, 14, 14, 14]  # 100 = 7×14 + 2: the first pays 14 + 2


def test_by_amount_the_last_instalment_is_what_is_left() -> None:
    assert amounts_by_amount(39_600, 10_000) == [10_000, 10_000, 10_000, 9_600]
    assert amounts_by_amount(30_000, 10_000) == [10_000, 10_000, 10_000]
    assert amounts_by_amount(5_000, 10_000) == [5_000]


@pytest.mark.parametrize("seed", range(40))
def test_instalments_always_add_up_to_the_total_in_whole_yen(seed: int) -> None:
    rng = random.Random(seed)
    claims = [PlanClaim("tax", f"T-{n}", date(2024, 1, 1) + timedelta(days=n), "forced_public",
                        principal=rng.randint(0, 500_000), late_charge=rng.randint(0, 30_000),
                        demand_fee=rng.choice((0, 100)), disposition_cost=rng.choice((0, 0, 2_500)))
              for n in range(rng.randint(1, 5))]
    total = sum(c.total for c in claims)
    if total == 0:
        claims[0] = PlanClaim("tax", "T-0", date(2024, 1, 1), "forced_public", principal=1)
        total = 1
    count = rng.randint(1, min(total, MAX_INSTALMENTS))
    schedule = plan_schedule(claims, agreed_on=AGREED, first_due=AGREED + timedelta(days=rng.randint(0, 60)),
                             count=count)
    assert schedule.total == total
    assert sum(i.amount for i in schedule.instalments) == total
    assert all(isinstance(i.amount, int) and i.amount > 0 for i in schedule.instalments)
    assert all(sum(p.amount for p in i.parts) == i.amount for i in schedule.instalments)
    # every component of every claim is settled exactly by the plan
    for claim in claims:
        for component in Component:
            settled = sum(p.amount for i in schedule.instalments for p in i.parts
                          if (p.department, p.claim_id, p.component) == (claim.department, claim.claim_id, component))
            assert settled == claim.open(component)
    dates = [i.due_date for i in schedule.instalments]
    assert dates == sorted(set(dates))


def test_what_each_instalment_settles_follows_the_law_order() -> None:
    # tax (older) first: 督促手数料 100, 本税 30,000, 延滞金 1,200; then water (private): 遅延損害金 300, 元本 8,000
    schedule = plan_schedule([WATER, TAX], agreed_on=AGREED, first_due=date(2026, 4, 30), amount=10_000)
    assert [i.amount for i in schedule.instalments] == [10_000, 10_000, 10_000, 9_600]
    parts = [[(p.department, p.component, p.amount) for p in i.parts] for i in schedule.instalments]
    assert parts[0] == [("tax", C.DEMAND_FEE, 100), ("tax", C.PRINCIPAL, 9_900)]
    assert parts[1] == [("tax", C.PRINCIPAL, 10_000)]
    assert parts[2] == [("tax", C.PRINCIPAL, 10_000)]
    assert parts[3] == [("tax", C.PRINCIPAL, 100), ("tax", C.LATE_CHARGE, 1_200), ("water", C.LATE_CHARGE, 300),
                        ("water", C.PRINCIPAL, 8_000)]
    assert schedule.departments == ("tax", "water")
    assert schedule.department_schedule("water") == [(date(2026, 7, 30), 8_300)]
    assert schedule.department_schedule("tax") == [(date(2026, 4, 30), 10_000), (date(2026, 6, 1), 10_000),
                                                   (date(2026, 6, 30), 10_000), (date(2026, 7, 30), 1_300)]


def test_month_ends_and_closed_days() -> None:
    # the 31st: 31 Jan 2028 (Mon), 29 Feb 2028 (leap, Tue), 31 Mar 2028 (Fri), 30 Apr 2028 is a Sunday → 1 May
    assert due_dates(date(2028, 1, 31), 4) == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31),
                                               date(2028, 5, 1)]
    # day 30 in a common year: 28 Feb 2027 is a Sunday → Monday 1 March
    assert due_dates(date(2027, 1, 29), 2, day_of_month=30) == [date(2027, 1, 29), date(2027, 3, 1)]
    # 年末年始: 29 Dec 2026 (Tue) moves to 4 Jan 2027 (Mon)
    assert due_dates(date(2026, 11, 30), 2, day_of_month=29) == [date(2026, 11, 30), date(2027, 1, 4)]
    # a holiday of the city's calendar: 憲法記念日 3 May 2027 (Mon) → 6 May? no: 4 and 5 May are holidays too
    holidays = frozenset({date(2027, 5, 3), date(2027, 5, 4), date(2027, 5, 5)})
    assert due_dates(date(2027, 4, 2), 2, day_of_month=3, holidays=holidays) == [date(2027, 4, 2), date(2027, 5, 6)]
    assert closed_day(date(2027, 1, 3)) and not closed_day(date(2027, 1, 4))


def test_a_first_due_date_on_a_closed_day_moves_to_the_next_open_day() -> None:
    schedule = plan_schedule([TAX], agreed_on=AGREED, first_due=date(2026, 4, 11), count=2)  # a Saturday
    assert [i.due_date for i in schedule.instalments] == [date(2026, 4, 13), date(2026, 5, 11)]
    assert [i.amount for i in schedule.instalments] == [15_650, 15_650]


def test_one_instalment_pays_everything() -> None:
    schedule = plan_schedule([TAX], agreed_on=AGREED, first_due=AGREED, count=1)
    assert [(i.number, i.due_date, i.amount) for i in schedule.instalments] == [(1, AGREED, 31_300)]


@pytest.mark.parametrize(("claims", "terms", "fields"), [
    ([], {"count": 3}, ["claims: choose at least one claim"]),
    ([TAX, TAX], {"count": 3}, ["claims: tax:T-2024-1 is chosen twice"]),
    ([PlanClaim("tax", "T-9", date(2024, 1, 1), "forced_public", principal=-5)], {"count": 1},
     ["claims: tax:T-9 has a negative principal"]),
    ([PlanClaim("tax", "T-0", date(2024, 1, 1), "forced_public", principal=0)], {"count": 1},
     ["claims: nothing is open"]),
    ([TAX], {}, ["count, amount: give either"]),
    ([TAX], {"count": 3, "amount": 1_000}, ["count, amount: give either"]),
    ([TAX], {"count": 0}, ["count: 0 instalments, but a plan has 1 to 60"]),
    ([TAX], {"count": 61}, ["count: 61 instalments"]),
    ([TAX], {"amount": 0}, ["amount: 0 yen"]),
    ([TAX], {"amount": 500}, ["amount: 500 yen a month pays the total of 31300 yen in 63 instalments, but a plan has "
                              "at most 60: at least 522 yen"]),
    ([PlanClaim("tax", "T-1", date(2024, 1, 1), "forced_public", principal=3)], {"count": 4},
     ["count: 4 instalments of a total of 3 yen"]),
    ([TAX], {"count": 3, "first_due": date(2026, 4, 9)}, ["first_due: 2026-04-09 is before the day the plan is agreed"]),
    ([TAX], {"count": 3, "first_due": date(2026, 7, 12)}, ["first_due: 2026-07-12 is more than 92 days after"]),
    ([TAX], {"count": 3, "day_of_month": 32}, ["day_of_month: 32"]),
    ([TAX], {"count": 3, "day_of_month": 0}, ["day_of_month: 0"]),
    # several problems at once: each named
    ([], {"count": 0, "first_due": date(2026, 1, 1), "day_of_month": 40},
     ["claims:", "count: 0", "first_due:", "day_of_month: 40"]),
])
def test_impossible_terms_are_refused_naming_the_field(claims: list[PlanClaim], terms: dict[str, object],
                                                       fields: list[str]) -> None:
    terms = {"first_due": date(2026, 4, 30), **terms}
    with pytest.raises(PlanRefused) as refused:
        plan_schedule(claims, agreed_on=AGREED, **terms)  # type: ignore[arg-type]
    assert len(refused.value.reasons) == len(fields)
    for reason, field in zip(refused.value.reasons, fields, strict=True):
        assert reason.startswith(field)
