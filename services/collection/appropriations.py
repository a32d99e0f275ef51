"""充当 and 還付 as decided when the money was taken: which claims a central-window payment settled, with how much of
each claim's 本税, 督促手数料, 延滞金 and 滞納処分費, and what of it is due for refund (還付).

The ledger computes allocations on read (ledger.py), so a later payment or a back-dated event could show another
split tomorrow; the department must learn what was decided on the day. So the central window (api/payments.py)
builds the debtor's ledger right after recording the departmental parts, takes the lines of those parts with
``decided`` and stores them (stores/appropriations.py) in the same transaction; the feeds back to the departments
(feeds.py, kinds ``appropriation`` and ``refund``) read what was stored, never the ledger of today. Pure.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from services.collection.allocation import Component
from services.collection.ledger import DebtorLedger


@dataclass(frozen=True, slots=True)
class AppropriationLine:
    """What one payment settled of one claim. ``department`` owns the claim (the feed goes there); the payment is
    ``payment_department``'s (another department's only for a local tax's 過誤納金 applied under 地方税法17条の2)."""

    department: str
    claim_id: str
    payment_department: str
    payment_id: str
    on: date
    principal: int = 0
    demand_fee: int = 0
    late_charge: int = 0
    disposition_cost: int = 0

    @property
    def total(self) -> int:
        return self.principal + self.demand_fee + self.late_charge + self.disposition_cost


@dataclass(frozen=True, slots=True)
class RefundLine:
    """What of a payment is due back to the payer (還付): beyond what its department's claims owed."""

    department: str
    payment_id: str
    claim_id: str | None
    amount: int
    reason: str  # excess, after_extinction
    on: date


_PART = {Component.PRINCIPAL: "principal", Component.DEMAND_FEE: "demand_fee",
         Component.LATE_CHARGE: "late_charge", Component.DISPOSITION_COST: "disposition_cost"}


def decided(ledger: DebtorLedger, payments: Collection[tuple[str, str]], paid_on: date
            ) -> tuple[list[AppropriationLine], list[RefundLine]]:
    """The 充当 lines (one per payment and claim, components summed) and 還付 lines of ``payments`` ((department,
    payment id) pairs, all received on ``paid_on``) in ``ledger``, in the order the ledger allocated them."""
    lines: dict[tuple[str, str, str, str], dict[str, object]] = {}

    def add(department: str, claim_id: str, payment_department: str, payment_id: str, on: date,
            component: Component, amount: int) -> None:
        key = (payment_department, payment_id, department, claim_id)
        line = lines.setdefault(key, {"department": department, "claim_id": claim_id,
                                      "payment_department": payment_department, "payment_id": payment_id, "on": on})
        part = _PART[Component(component)]
        line[part] = int(line.get(part, 0)) + amount  # type: ignore[call-overload]

    for a in ledger.allocations:
        if (a.department, a.payment_id) in payments:
            add(a.department, a.claim_id, a.department, a.payment_id, a.on, a.component, a.amount)
    for ap in ledger.appropriations:
        if (ap.from_department, ap.payment_id) in payments:
            add(ap.department, ap.claim_id, ap.from_department, ap.payment_id, ap.on, ap.component, ap.amount)
    refunds = [RefundLine(o.department, o.payment_id, o.claim_id, o.amount, o.reason, paid_on)
               for o in ledger.overpayments if (o.department, o.payment_id) in payments and o.amount > 0]
    return [AppropriationLine(**line) for line in lines.values()], refunds  # type: ignore[arg-type]
