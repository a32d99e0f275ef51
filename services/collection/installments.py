"""分割納付 (installment plans): is a plan on track, and which installment was missed.

Pure. A plan is on track while what the debtor paid towards it since the day it was agreed covers everything that
fell due, each due date allowing ``grace_days`` (a convenience-store payment takes days to reach the ledger).
The first due date where the cumulative payments fall short is a missed installment: the event that staff and the
welfare referral act on. Towards the plan count the payments naming one of its claims, and the department's
payments naming no claim (allocated oldest first, they reach the plan's claims in practice); payments reversed
(口座振替不能) do not count. A renegotiated plan (a later agreement with the same id) replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

#: Days after an installment's due date before it counts as missed.
DEFAULT_GRACE_DAYS = 5


class PlanState(StrEnum):
    ON_TRACK = "on_track"
    MISSED = "missed"  # an installment fell short
    COMPLETED = "completed"  # every installment paid


@dataclass(frozen=True, slots=True)
class Installment:
    due_date: date
    amount: int


@dataclass(frozen=True, slots=True)
class PlanPayment:
    paid_on: date
    amount: int


@dataclass(frozen=True, slots=True)
class MissedInstallment:
    due_date: date
    expected_to_date: int  # cumulative yen due by this installment
    paid_to_date: int  # cumulative yen paid by its grace date
    shortfall: int


@dataclass(frozen=True, slots=True)
class PlanStatus:
    state: PlanState
    expected_to_date: int
    paid_to_date: int
    next_due: Installment | None
    missed: tuple[MissedInstallment, ...]


def plan_status(schedule: Sequence[Installment], payments: Iterable[PlanPayment], *, agreed_on: date, as_of: date,
                grace_days: int = DEFAULT_GRACE_DAYS) -> PlanStatus:
    """The plan as of ``as_of``. Every installment whose grace period has passed is checked against the payments
    made from ``agreed_on`` up to its grace date; each that falls short is reported with its shortfall."""
    if not schedule:
        raise ValueError("schedule: a plan has at least one installment")
    if any(i.amount <= 0 for i in schedule):
        raise ValueError("schedule: every installment is a positive amount of yen")
    if grace_days < 0:
        raise ValueError("grace_days: must not be negative")
    ordered = sorted(schedule, key=lambda i: i.due_date)
    counted = sorted((p for p in payments if agreed_on <= p.paid_on <= as_of), key=lambda p: p.paid_on)
    paid_total = sum(p.amount for p in counted)
    missed, expected = [], 0
    for installment in ordered:
        expected += installment.amount
        deadline = installment.due_date + timedelta(days=grace_days)
        if deadline >= as_of:
            continue
        paid_by_deadline = sum(p.amount for p in counted if p.paid_on <= deadline)
        if paid_by_deadline < expected:
            missed.append(MissedInstallment(installment.due_date, expected, paid_by_deadline,
                                            expected - paid_by_deadline))
    expected_to_date = sum(i.amount for i in ordered if i.due_date <= as_of)
    next_due = next((i for i in ordered if i.due_date > as_of), None)
    total = sum(i.amount for i in ordered)
    if paid_total >= total:
        state = PlanState.COMPLETED
    elif missed and paid_total < expected_to_date:
        state = PlanState.MISSED
    else:
        state = PlanState.ON_TRACK  # a miss made good since counts as back on track (the miss stays reported)
    return PlanStatus(state, expected_to_date, paid_total, next_due, tuple(missed))
