"""Central installment plans (分納計画): the schedule a collector agrees with a debtor over chosen claims.

Pure: no I/O. ``plan_schedule`` turns the chosen claims' open balances and the terms (a number of instalments or
an amount per instalment, the first due date, the day of the month) into instalments in integer yen that add up
exactly to the total, and says which claim and component each yen of each instalment settles.

Rules (each stated where the code applies it):
- The total is every chosen claim's open 滞納処分費, 督促手数料, 本税・本料 and 延滞金 (遅延損害金) as of the day
  the plan is agreed. The 延滞金 keeps running on the unpaid principal afterwards; the pledge says it is paid
  separately (its clause ``late_charge``).
- By number: every instalment is ``total // count`` yen and the remainder (``total % count`` yen, fewer than
  ``count``) is added to the FIRST instalment, so the later ones are equal and the debtor pays the odd yen first.
- By amount: every instalment is the amount and the LAST one is what is left (1 yen up to the amount).
- Due dates: the first due date as given, then one a month on ``day_of_month`` (default the first due date's day);
  a day the month does not have is its last day (31 → 30 April, 28/29 February). A due date on a Saturday, a
  Sunday, 12/29–1/3 or a holiday the caller names moves to the next day that is none of these (地方税法20条の5第2項,
  地方自治法施行令: a 期限 on a day the office is closed is the next open day). The project has no national-holiday
  table: the caller passes the city's calendar in ``holidays``.
- What each instalment settles: the claims oldest due date first (then department and claim id), and within a
  claim its components in the law's order (services/collection/allocation.py: public claims 滞納処分費, 督促手数料,
  本税, 延滞金 — principal before the 延滞金, which runs on the unpaid principal; private claims 費用, 遅延損害金,
  元本, 民法489条). Each department's share of each instalment is what its system is told and what its missed
  instalments are detected against.
- Refused, with every reason naming its field: no claims or a claim twice, a negative balance, nothing open, both
  or neither of count and amount, a count outside 1..``MAX_INSTALMENTS``, an amount below 1 yen, a schedule longer
  than ``MAX_INSTALMENTS``, a first due date before the day agreed or more than ``MAX_FIRST_DUE_DAYS`` after it, a
  day of month outside 1..31.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from contracts import LegalCategory
from services.collection.allocation import PRIVATE_ORDER, PUBLIC_ORDER, Component

#: At most 60 monthly instalments (5 years: a longer plan outlives the 5-year prescription it renews).
MAX_INSTALMENTS = 60
#: The first instalment falls due within 3 months of the day the plan is agreed.
MAX_FIRST_DUE_DAYS = 92

COMPONENT_LABELS = {Component.DISPOSITION_COST: "滞納処分費", Component.DEMAND_FEE: "督促手数料",
                    Component.PRINCIPAL: "本税・本料", Component.LATE_CHARGE: "延滞金"}


class PlanRefused(ValueError):
    """The terms cannot make a plan; ``reasons`` each start with the field they are about (joined by "; ")."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


@dataclass(frozen=True, slots=True)
class PlanClaim:
    """One chosen claim and its open balances as of the day the plan is agreed (integer yen)."""

    department: str
    claim_id: str
    due_date: date
    legal_category: str
    principal: int
    late_charge: int = 0
    demand_fee: int = 0
    disposition_cost: int = 0

    @property
    def key(self) -> str:
        return f"{self.department}:{self.claim_id}"

    @property
    def total(self) -> int:
        return self.principal + self.late_charge + self.demand_fee + self.disposition_cost

    def component_order(self) -> tuple[Component, ...]:
        return PRIVATE_ORDER if self.legal_category == LegalCategory.PRIVATE else PUBLIC_ORDER

    def open(self, component: Component) -> int:
        return {Component.PRINCIPAL: self.principal, Component.LATE_CHARGE: self.late_charge,
                Component.DEMAND_FEE: self.demand_fee, Component.DISPOSITION_COST: self.disposition_cost}[component]


@dataclass(frozen=True, slots=True)
class Part:
    """What of one instalment goes to one component of one claim."""

    department: str
    claim_id: str
    component: Component
    amount: int


@dataclass(frozen=True, slots=True)
class PlannedInstalment:
    number: int
    due_date: date
    amount: int
    parts: tuple[Part, ...]

    def share_of(self, department: str) -> int:
        return sum(p.amount for p in self.parts if p.department == department)


@dataclass(frozen=True, slots=True)
class Schedule:
    agreed_on: date
    total: int
    instalments: tuple[PlannedInstalment, ...]

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(sorted({p.department for i in self.instalments for p in i.parts}))

    def department_schedule(self, department: str) -> list[tuple[date, int]]:
        """The department's share of each instalment (instalments that pay nothing of it left out): what its own
        system is told and what a missed instalment of it is detected against."""
        return [(i.due_date, share) for i in self.instalments if (share := i.share_of(department)) > 0]


def closed_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    """A day the office is closed: Saturday, Sunday, 12/29–1/3, or a holiday of the city's calendar."""
    return (day.weekday() >= 5 or day in holidays or (day.month == 12 and day.day >= 29)
            or (day.month == 1 and day.day <= 3))


def next_open_day(day: date, holidays: frozenset[date] = frozenset()) -> date:
    while closed_day(day, holidays):
        day += timedelta(days=1)
    return day


def _month_day(year: int, month: int, day: int) -> date:
    """``day`` of the month, or the month's last day when it has fewer days."""
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day, (first_of_next - timedelta(days=1)).day))


def due_dates(first_due: date, count: int, *, day_of_month: int | None = None,
              holidays: frozenset[date] = frozenset()) -> list[date]:
    """``count`` monthly due dates from ``first_due`` (its month, then each following month on ``day_of_month``),
    each moved past closed days."""
    day = day_of_month or first_due.day
    dates = [next_open_day(first_due, holidays)]
    for n in range(1, count):
        month_index = first_due.month - 1 + n
        dates.append(next_open_day(_month_day(first_due.year + month_index // 12, month_index % 12 + 1, day),
                                   holidays))
    return dates


def amounts_by_count(total: int, count: int) -> list[int]:
    """``count`` instalments of ``total``: equal, the remainder added to the first."""
    base, remainder = divmod(total, count)
    return [base + remainder] + [base] * (count - 1)


def amounts_by_amount(total: int, amount: int) -> list[int]:
    """Instalments of ``amount`` until ``total`` is paid: the last is what is left."""
    full, rest = divmod(total, amount)
    return [amount] * full + ([rest] if rest else [])


def _check(claims: Sequence[PlanClaim], count: int | None, amount: int | None, first_due: date, agreed_on: date,
           day_of_month: int | None) -> list[str]:
    reasons: list[str] = []
    if not claims:
        reasons.append("claims: choose at least one claim")
    seen: set[str] = set()
    for claim in claims:
        if claim.key in seen:
            reasons.append(f"claims: {claim.key} is chosen twice")
        seen.add(claim.key)
        for component in Component:
            if claim.open(component) < 0:
                reasons.append(f"claims: {claim.key} has a negative {component.value} ({claim.open(component)} yen)")
    if claims and not reasons and sum(c.total for c in claims) <= 0:
        reasons.append("claims: nothing is open on the chosen claims")
    if (count is None) == (amount is None):
        reasons.append("count, amount: give either the number of instalments or the amount per instalment")
    elif count is not None and not 1 <= count <= MAX_INSTALMENTS:
        reasons.append(f"count: {count} instalments, but a plan has 1 to {MAX_INSTALMENTS}")
    elif amount is not None and amount < 1:
        reasons.append(f"amount: {amount} yen, but an instalment is at least 1 yen")
    if first_due < agreed_on:
        reasons.append(f"first_due: {first_due.isoformat()} is before the day the plan is agreed "
                       f"({agreed_on.isoformat()})")
    elif first_due > agreed_on + timedelta(days=MAX_FIRST_DUE_DAYS):
        reasons.append(f"first_due: {first_due.isoformat()} is more than {MAX_FIRST_DUE_DAYS} days after the day "
                       f"the plan is agreed ({agreed_on.isoformat()})")
    if day_of_month is not None and not 1 <= day_of_month <= 31:
        reasons.append(f"day_of_month: {day_of_month}, but a day of the month is 1 to 31 (31: the month's last day)")
    return reasons


def _parts(claims: Sequence[PlanClaim], amounts: Iterable[int]) -> list[tuple[Part, ...]]:
    """Each instalment's parts: the dues in order (oldest claim first, components in the law's order), settled
    by the instalments one after the other."""
    dues = [(c, component, c.open(component))
            for c in sorted(claims, key=lambda c: (c.due_date, c.department, c.claim_id))
            for component in c.component_order() if c.open(component) > 0]
    index, left_in_due, result = 0, dues[0][2] if dues else 0, []
    for amount in amounts:
        parts: list[Part] = []
        while amount > 0:
            claim, component, _ = dues[index]
            paid = min(amount, left_in_due)
            parts.append(Part(claim.department, claim.claim_id, component, paid))
            amount -= paid
            left_in_due -= paid
            if left_in_due == 0 and index + 1 < len(dues):
                index += 1
                left_in_due = dues[index][2]
        result.append(tuple(parts))
    return result


def plan_schedule(claims: Sequence[PlanClaim], *, agreed_on: date, first_due: date, count: int | None = None,
                  amount: int | None = None, day_of_month: int | None = None,
                  holidays: frozenset[date] = frozenset()) -> Schedule:
    """The instalments of a plan over ``claims`` (PlanRefused naming each field that makes it impossible)."""
    reasons = _check(claims, count, amount, first_due, agreed_on, day_of_month)
    if reasons:
        raise PlanRefused(reasons)
    total = sum(c.total for c in claims)
    if count is not None and count > total:
        raise PlanRefused([f"count: {count} instalments of a total of {total} yen would leave instalments of 0 yen"])
    amounts = amounts_by_count(total, count) if count is not None else amounts_by_amount(total, amount or 1)
    if len(amounts) > MAX_INSTALMENTS:
        raise PlanRefused([f"amount: {amount} yen a month pays the total of {total} yen in {len(amounts)} "
                           f"instalments, but a plan has at most {MAX_INSTALMENTS}: at least "
                           f"{-(-total // MAX_INSTALMENTS)} yen an instalment"])
    dates = due_dates(first_due, len(amounts), day_of_month=day_of_month, holidays=holidays)
    instalments = tuple(PlannedInstalment(n, d, a, parts)
                        for n, (d, a, parts) in enumerate(zip(dates, amounts, _parts(claims, amounts), strict=True),
                                                          start=1))
    return Schedule(agreed_on, total, instalments)
