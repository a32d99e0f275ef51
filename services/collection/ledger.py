"""The claim ledger's arithmetic: principal, payments, balances and status of a debtor's claims as of a date.

Pure functions over the stored events, so the same code answers "now" and "as of any past date", and events
that arrived out of order give the same result as events in order.

Allocation (充当) follows the written policy in ``allocation.py`` (orders in ``policy/allocation.v*.json``): a
payment naming a claim settles that claim, what exceeds its balance being an overpayment for refund (還付), never
silently absorbed; a payment naming no claim settles the department's open dues in the department's order (oldest
due date first). The dues of a forced-collection claim are its principal and the 延滞金 accrued up to the payment
date on the principal unpaid day by day (late_charges.py): for taxes, principal of every claim first, then the late
charges. The ledger itself only parks a payment naming a claim it has not seen yet until the claim arrives, and
applies what ``allocation.allocate_department_payment`` returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from services.collection.allocation import (
    AllocationPolicy,
    Component,
    DepartmentOrder,
    Due,
    allocate_department_payment,
    default_allocation_policy,
)
from services.collection.late_charges import late_charge


def fiscal_year_of(day: date) -> int:
    """年度: the fiscal year starts on 1 April (令和6年度 = 2024-04-01 … 2025-03-31)."""
    return day.year if day.month >= 4 else day.year - 1


class ClaimStatus(StrEnum):
    OPEN = "open"  # not yet due
    DELINQUENT = "delinquent"  # 滞納: unpaid after the due date
    PAID = "paid"  # 完納
    CANCELLED = "cancelled"  # 調定取消


class ArrearsClass(StrEnum):
    CURRENT_YEAR = "current_year"  # 現年度分
    CARRIED_OVER = "carried_over"  # 滞納繰越分


@dataclass(frozen=True, slots=True)
class Claim:
    department: str
    claim_id: str
    receivable_type: str
    legal_category: str
    fiscal_year: int
    installment: int
    due_date: date
    amount: int
    assessed_on: date


@dataclass(frozen=True, slots=True)
class Adjustment:
    department: str
    claim_id: str
    amount_delta: int
    adjusted_on: date


@dataclass(frozen=True, slots=True)
class Cancellation:
    department: str
    claim_id: str
    cancelled_on: date


@dataclass(frozen=True, slots=True)
class Payment:
    department: str
    payment_id: str
    claim_id: str | None
    amount: int
    paid_on: date
    channel: str


@dataclass(frozen=True, slots=True)
class Reversal:
    department: str
    payment_id: str
    reversed_on: date


@dataclass(slots=True)
class ClaimBalance:
    claim: Claim
    principal: int
    paid: int = 0
    status: ClaimStatus = ClaimStatus.OPEN
    arrears_class: ArrearsClass = ArrearsClass.CURRENT_YEAR
    #: (paid on, yen) of every payment allocated to this claim's principal: late charges run on what is unpaid
    settlements: list[tuple[date, int]] = field(default_factory=list)
    late_charge_paid: int = 0  # 延滞金 collected by allocation (forced-collection claims)

    @property
    def balance(self) -> int:
        return self.principal - self.paid


@dataclass(frozen=True, slots=True)
class Overpayment:
    department: str
    payment_id: str
    amount: int


@dataclass(slots=True)
class DebtorLedger:
    as_of: date
    claims: list[ClaimBalance] = field(default_factory=list)
    parked_payments: list[Payment] = field(default_factory=list)
    overpayments: list[Overpayment] = field(default_factory=list)

    @property
    def balance(self) -> int:
        return sum(c.balance for c in self.claims)

    @property
    def delinquent_balance(self) -> int:
        return sum(c.balance for c in self.claims if c.status is ClaimStatus.DELINQUENT)


def _principal_due(balance: ClaimBalance) -> Due:
    claim = balance.claim
    return Due(claim.department, claim.claim_id, Component.PRINCIPAL, balance.balance, claim.due_date,
               claim.fiscal_year, claim.installment, claim.legal_category)


def _late_charge_due(balance: ClaimBalance, on: date) -> Due | None:
    """延滞金 accrued on a forced-collection claim up to ``on`` and not yet paid, as a due for allocation.

    Only forced-collection claims: for them 地方税法 (and "the example of local taxes") set the late charge and
    that payments settle principal first; a private claim's 遅延損害金 is claimed separately (court, agreement).
    A year missing from the rate table gives no due here: the ledger never fails for it (the claim view says so).
    """
    claim = balance.claim
    if claim.legal_category != "forced_public" or on <= claim.due_date or balance.principal <= 0:
        return None
    try:
        accrued = late_charge(balance.principal, claim.due_date, on, payments=balance.settlements).rounded_total
    except LookupError:
        return None
    owed = accrued - balance.late_charge_paid
    if owed <= 0:
        return None
    return Due(claim.department, claim.claim_id, Component.LATE_CHARGE, owed, claim.due_date, claim.fiscal_year,
               claim.installment, claim.legal_category)


def _late_charges_reached(payment: Payment, principal_dues: list[Due], order: DepartmentOrder) -> bool:
    """Whether allocating ``payment`` can reach a late charge: a payment naming a claim only beyond that claim's
    principal; with principal ranked before every late charge (``component`` first), only beyond the whole
    department's principal. Computing the accrued 延滞金 (per claim, per payment) is the costly part of building a
    ledger, and most payments settle principal only."""
    if payment.claim_id is not None:
        return payment.amount > sum(d.balance for d in principal_dues if d.claim_id == payment.claim_id)
    if order.order and order.order[0] == "component":
        return payment.amount > sum(d.balance for d in principal_dues)
    return True


def build_ledger(
    claims: Iterable[Claim],
    adjustments: Iterable[Adjustment],
    cancellations: Iterable[Cancellation],
    payments: Iterable[Payment],
    reversals: Iterable[Reversal],
    as_of: date,
    *,
    policy: AllocationPolicy | None = None,
) -> DebtorLedger:
    """Balances of one debtor's claims as of ``as_of`` (events dated after it are ignored).

    ``policy``: the allocation policy, by default the packaged ``policy/allocation.v1.json``.
    """
    policy = policy if policy is not None else default_allocation_policy()
    ledger = DebtorLedger(as_of=as_of)
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    for adj in adjustments:
        if adj.adjusted_on <= as_of:
            deltas[(adj.department, adj.claim_id)] += adj.amount_delta
    cancelled = {(c.department, c.claim_id) for c in cancellations if c.cancelled_on <= as_of}
    current_fy = fiscal_year_of(as_of)

    by_key: dict[tuple[str, str], ClaimBalance] = {}
    for claim in sorted(claims, key=lambda c: (c.due_date, c.fiscal_year, c.installment, c.claim_id)):
        if claim.assessed_on > as_of:
            continue
        key = (claim.department, claim.claim_id)
        principal = 0 if key in cancelled else max(claim.amount + deltas[key], 0)
        balance = ClaimBalance(claim, principal)
        balance.arrears_class = (ArrearsClass.CARRIED_OVER if claim.fiscal_year < current_fy
                                 else ArrearsClass.CURRENT_YEAR)
        by_key[key] = balance
        ledger.claims.append(balance)

    reversed_ids = {(r.department, r.payment_id) for r in reversals if r.reversed_on <= as_of}
    effective = sorted(
        (p for p in payments if p.paid_on <= as_of and (p.department, p.payment_id) not in reversed_ids),
        key=lambda p: (p.paid_on, p.payment_id),
    )
    for payment in effective:
        if payment.claim_id is not None and (payment.department, payment.claim_id) not in by_key:
            ledger.parked_payments.append(payment)
            continue
        department = [b for b in ledger.claims if b.claim.department == payment.department]
        order = policy.order_for(payment.department)
        dues = [_principal_due(b) for b in department if b.balance > 0]
        if _late_charges_reached(payment, dues, order):
            dues += [due for b in department if (due := _late_charge_due(b, payment.paid_on)) is not None]
        result = allocate_department_payment(payment.amount, dues, order, claim_id=payment.claim_id)
        for allocation in result.allocations:
            target = by_key[(payment.department, allocation.claim_id)]
            if allocation.component is Component.LATE_CHARGE:
                target.late_charge_paid += allocation.amount
            else:
                target.paid += allocation.amount
                target.settlements.append((payment.paid_on, allocation.amount))
        if result.overpayment:
            ledger.overpayments.append(Overpayment(payment.department, payment.payment_id, result.overpayment))

    for balance in ledger.claims:
        if (balance.claim.department, balance.claim.claim_id) in cancelled:
            balance.status = ClaimStatus.CANCELLED
        elif balance.balance == 0:
            balance.status = ClaimStatus.PAID
        elif as_of > balance.claim.due_date:
            balance.status = ClaimStatus.DELINQUENT
        else:
            balance.status = ClaimStatus.OPEN
    return ledger
