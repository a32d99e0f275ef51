"""The law's payment order applied to a synthetic city's ground truth, for the checks that compare the ledger
with it (end-to-end and fault tests). The truth's ``balance`` is the amount less every payment; the ledger owes
what the law says, which differs by what payments settled before the principal."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import RECEIVABLES, LegalCategory
from services.collection.late_charges import delay_damages, late_charge
from services.collection.ordinances import Ordinances, default_ordinances


def by_law(claim: dict[str, Any], ordinances: Ordinances | None = None) -> tuple[int, int]:
    """(principal open, late charge fixed and still open) of a ground-truth claim under the payment order the law
    sets, applied to the truth's own payments:

    - a private claim's payment settles the 遅延損害金 accrued to its date before the principal (民法489条);
    - a public claim's settles the 督促手数料 of a 督促 the department sent on or before the payment's date
      (地方自治法231条の3第2項, the ordinance's amount), then the principal;
    - a public claim's 延滞金 is fixed on the day the principal is paid in full (late payers keep owing it)."""
    if claim["cancelled"]:
        return 0, 0
    ordinances = ordinances if ordinances is not None else default_ordinances()
    principal, due = claim["principal"], date.fromisoformat(claim["due_date"])
    private = RECEIVABLES[claim["receivable_type"]].default_category is LegalCategory.PRIVATE
    notice_on = claim.get("department_demand_notice_on")
    fee = 0 if private or notice_on is None else \
        ordinances.demand_fee(claim["receivable_type"], date.fromisoformat(notice_on))
    settled: list[tuple[date, int]] = []
    damages_paid = fee_paid = 0
    for day_text, amount in sorted(claim["payments"]):
        day = date.fromisoformat(day_text)
        if private and day > due:
            accrued = delay_damages(principal, due, day, payments=settled).rounded_total
            to_damages = min(amount, max(accrued - damages_paid, 0))
            damages_paid, amount = damages_paid + to_damages, amount - to_damages
        if fee and notice_on is not None and day_text >= notice_on:
            to_fee = min(amount, fee - fee_paid)
            fee_paid, amount = fee_paid + to_fee, amount - to_fee
        to_principal = min(amount, principal - sum(a for _, a in settled))
        if to_principal:
            settled.append((day, to_principal))
    open_principal = principal - sum(a for _, a in settled)
    fixed_open = 0
    if open_principal == 0 and settled and settled[-1][0] > due:
        charge = delay_damages if private else late_charge
        fixed_open = charge(principal, due, settled[-1][0], payments=settled).rounded_total - damages_paid
    return open_principal, max(fixed_open, 0)
