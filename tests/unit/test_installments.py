"""Installment plans: on track, missed (with the shortfall), made good, completed; hand-computed."""

import random
from datetime import date, timedelta

import pytest

from services.collection.installments import Installment, PlanPayment, PlanState, plan_status

AGREED = date(2024, 7, 10)
PLAN = [Installment(date(2024, 7, 31), 10_000), Installment(date(2024, 8, 31), 10_000),
        Installment(date(2024, 9, 30), 10_000)]


def paid(*pairs: tuple[date, int]) -> list[PlanPayment]:
    return [PlanPayment(on, amount) for on, amount in pairs]


@pytest.mark.parametrize(("payments", "as_of", "state", "missed_due", "shortfall"), [
    # nothing due yet
    ([], date(2024, 7, 20), PlanState.ON_TRACK, [], []),
    # the first installment is due 7/31; within the 5 grace days it is not missed yet
    ([], date(2024, 8, 5), PlanState.ON_TRACK, [], []),
    # 8/6: the grace period of 7/31 has passed with nothing paid
    ([], date(2024, 8, 6), PlanState.MISSED, [date(2024, 7, 31)], [10_000]),
    # paid 7/30 and 8/30 in full: on track on 9/1
    (paid((date(2024, 7, 30), 10_000), (date(2024, 8, 30), 10_000)), date(2024, 9, 1), PlanState.ON_TRACK, [], []),
    # a convenience-store payment booked 8/3 (within grace) counts for 7/31
    (paid((date(2024, 8, 3), 10_000)), date(2024, 8, 20), PlanState.ON_TRACK, [], []),
    # 6,000 paid for the first 10,000: missed with a 4,000 shortfall
    (paid((date(2024, 7, 31), 6_000)), date(2024, 8, 10), PlanState.MISSED, [date(2024, 7, 31)], [4_000]),
    # missed in July, made good on 8/20 (16,000 = 6,000 + 10,000 ≥ 10,000 due): back on track, the miss stays
    (paid((date(2024, 7, 31), 6_000), (date(2024, 8, 20), 10_000)), date(2024, 8, 25), PlanState.ON_TRACK,
     [date(2024, 7, 31)], [4_000]),
    # everything paid at once: completed
    (paid((date(2024, 7, 15), 30_000)), date(2024, 7, 20), PlanState.COMPLETED, [], []),
    # a payment before the agreement does not count towards it
    (paid((date(2024, 7, 1), 10_000)), date(2024, 8, 10), PlanState.MISSED, [date(2024, 7, 31)], [10_000]),
])
def test_plan_status(payments: list[PlanPayment], as_of: date, state: PlanState, missed_due: list[date],
                     shortfall: list[int]) -> None:
    status = plan_status(PLAN, payments, agreed_on=AGREED, as_of=as_of)
    assert status.state is state
    assert [m.due_date for m in status.missed] == missed_due
    assert [m.shortfall for m in status.missed] == shortfall


def test_next_installment_and_amounts_to_date() -> None:
    status = plan_status(PLAN, paid((date(2024, 7, 31), 10_000)), agreed_on=AGREED, as_of=date(2024, 8, 15))
    assert status.next_due == Installment(date(2024, 8, 31), 10_000)
    assert (status.expected_to_date, status.paid_to_date) == (10_000, 10_000)


@pytest.mark.parametrize(("schedule", "grace", "message"), [
    ([], 5, "at least one installment"),
    ([Installment(date(2024, 7, 31), 0)], 5, "positive amount"),
    (PLAN, -1, "grace_days"),
])
def test_invalid_plans_are_refused_naming_the_field(schedule: list[Installment], grace: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_status(schedule, [], agreed_on=AGREED, as_of=date(2024, 8, 1), grace_days=grace)


def test_paying_more_never_makes_a_plan_worse() -> None:
    rng = random.Random(20240710)
    for _ in range(1_000):
        schedule = [Installment(AGREED + timedelta(days=30 * (n + 1)), rng.randint(1, 20) * 1_000)
                    for n in range(rng.randint(1, 12))]
        payments = [PlanPayment(AGREED + timedelta(days=rng.randint(0, 400)), rng.randint(1, 20) * 1_000)
                    for _ in range(rng.randint(0, 10))]
        as_of = AGREED + timedelta(days=rng.randint(0, 450))
        before = plan_status(schedule, payments, agreed_on=AGREED, as_of=as_of)
        extra = PlanPayment(AGREED + timedelta(days=rng.randint(0, 400)), rng.randint(1, 20) * 1_000)
        after = plan_status(schedule, [*payments, extra], agreed_on=AGREED, as_of=as_of)
        assert sum(m.shortfall for m in after.missed) <= sum(m.shortfall for m in before.missed)
        assert all(m.shortfall > 0 for m in after.missed)
        if before.state is PlanState.COMPLETED:
            assert after.state is PlanState.COMPLETED
