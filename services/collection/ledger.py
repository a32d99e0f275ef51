"""The claim ledger's arithmetic: principal, payments, balances and status of a debtor's claims as of a date.

Pure functions over the stored events, so the same code answers "now" and "as of any past date", and events
that arrived out of order give the same result as events in order.

Allocation (充当) follows the written policy in ``allocation.py`` (orders in ``policy/allocation.v*.json``): a
payment naming a claim settles that claim, what exceeds its balance being an overpayment, never silently absorbed;
a payment naming no claim settles the department's open dues in the department's order (oldest due date first).
A claim's dues are its 滞納処分費 and 督促手数料 (from its action record and the ordinances), its principal and
its late charge accrued up to the payment date on the principal unpaid day by day (late_charges.py): public claims
costs, fee, principal, then 延滞金; private claims costs, 遅延損害金, then principal (民法489条).

The law drives the ledger through each claim's legal events (``LegalAction``: its 経過記録, a department's own
督促 recorded the same way, and the payments allocated to it), run through prescription.py:
- a public claim whose 時効 completed is extinguished without invocation (地方自治法236条2項, 地方税法18条2項); a
  private claim once the debtor invoked it (援用, 民法145条). An extinguished claim has status ``extinguished``: it
  is no longer in arrears, cases, task lists or notices; what was open at extinction is what 不納欠損 writes off;
- money paid on a claim already extinguished is 過誤納金, never revenue: it is refunded, or first applied (充当)
  to the same person's other delinquent local taxes when it came from a local tax (地方税法17条の2);
- any overpayment of a local tax goes the same way: other delinquent local-tax dues of the debtor (any department,
  e.g. 国民健康保険税), oldest first, principal before 延滞金, before anything is refunded (地方税法17条の2第1項;
  dues not yet due are left alone: applying to them needs the taxpayer's consent);
- the 延滞金 of a claim whose principal was paid late is fixed on the day of full payment and stays open
  (``late_charge_open``) until paid: the claim stays delinquent and can be demanded on its own;
- 徴収猶予 and 換価の猶予 recorded as actions halve the 延滞金 of their days (地方税法15条の9).
The ledger itself only parks a payment naming a claim it has not seen yet until the claim arrives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from contracts.receivables import RECEIVABLES
from contracts.receivables import legal_category as receivable_category
from services.collection.allocation import (
    AllocationPolicy,
    Component,
    DepartmentOrder,
    Due,
    allocate_department_payment,
    component_rank,
    default_allocation_policy,
)
from services.collection.late_charges import (
    LateChargeRates,
    charge_for_receivable,
    default_late_charge_rates,
)
from services.collection.legal_actions import ACTIONS
from services.collection.ordinances import Ordinances, check_categories, default_ordinances, load_ordinances
from services.collection.prescription import (
    PrescriptionClaim,
    PrescriptionState,
    PrescriptionTable,
    default_prescription_table,
    earliest_extinction,
    legal_events,
    prescription,
)
from services.collection.workflow import ClaimFacts, PaymentInTransit

#: The measures whose days halve the 延滞金 (地方税法15条の9): 徴収猶予 and 換価の猶予, as the table of actions says.
_GRACE_KINDS = tuple(spec.kind.value for spec in ACTIONS.values() if spec.measure and spec.measure.halves_late_charge)


@dataclass(frozen=True, slots=True)
class LegalRules:
    """The dated legal data the ledger applies: prescription periods, ordinance rules, late-charge rates."""

    prescription: PrescriptionTable
    ordinances: Ordinances
    rates: LateChargeRates


_configured: list[LegalRules] = []


def default_legal_rules() -> LegalRules:
    """The rules this process was configured with at start (``configure_legal_rules``), else the packaged ones."""
    return _configured[-1] if _configured else _packaged_rules()


@lru_cache(maxsize=1)
def _packaged_rules() -> LegalRules:
    return LegalRules(default_prescription_table(), default_ordinances(), default_late_charge_rates())


NHI_RECEIVABLES = {"tax": "national_health_insurance_tax", "premium": "national_health_insurance_premium"}


def configure_legal_rules(*, ordinances_path: Path | None, category_overrides: Mapping[str, str],
                          national_health_insurance_levy: str) -> LegalRules:
    """Load and check the city's legal data once at start; refused with the setting named when it is incomplete
    or contradicts the city's legal categories (``COLLECTION_ORDINANCES_PATH``, ``RECEIVABLE_CATEGORY_OVERRIDES``,
    ``NATIONAL_HEALTH_INSURANCE_LEVY``)."""
    if national_health_insurance_levy not in NHI_RECEIVABLES:
        raise ValueError(f"NATIONAL_HEALTH_INSURANCE_LEVY: must be tax or premium, got {national_health_insurance_levy!r}")
    ordinances = load_ordinances(ordinances_path)
    try:
        categories = {code: receivable_category(code, dict(category_overrides)) for code in RECEIVABLES}
    except ValueError as bad:
        raise ValueError(f"RECEIVABLE_CATEGORY_OVERRIDES: {bad}") from None
    check_categories(ordinances, categories)
    levied = NHI_RECEIVABLES[national_health_insurance_levy]
    table = default_prescription_table()
    try:
        table.rule_for(levied, categories[levied], date(2000, 1, 1))
    except ValueError as missing:
        raise ValueError(f"NATIONAL_HEALTH_INSURANCE_LEVY: {missing}") from None
    rules = LegalRules(table, ordinances, default_late_charge_rates())
    _configured.append(rules)
    return rules


def fiscal_year_of(day: date) -> int:
    """年度: the fiscal year starts on 1 April (令和6年度 = 2024-04-01 … 2025-03-31)."""
    return day.year if day.month >= 4 else day.year - 1


class ClaimStatus(StrEnum):
    OPEN = "open"  # not yet due
    DELINQUENT = "delinquent"  # 滞納: unpaid after the due date (principal, fees or a fixed 延滞金)
    PAID = "paid"  # 完納
    CANCELLED = "cancelled"  # 調定取消
    EXTINGUISHED = "extinguished"  # 時効 (援用 for a private claim) or 執行停止 3 years: only 不納欠損 remains


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
    tax_year: int | None = None  # 相当年度 when the department said it (it differs from 年度)


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
class PaymentReport:
    """収納速報: a payment an agent reported before its money (the 確報, a ``Payment`` of the same id) arrived."""

    department: str
    payment_id: str
    claim_id: str
    amount: int
    paid_on: date
    reported_on: date
    expected_by: date  # the 確報 is due by then


@dataclass(frozen=True, slots=True)
class Reversal:
    department: str
    payment_id: str
    reversed_on: date


@dataclass(frozen=True, slots=True)
class LegalAction:
    """One entry of a claim's action record as the law sees it: ``kind`` is a ``workflow.ActionKind`` value (督促,
    催告 by letter, 分納誓約, 差押 and 差押解除, court filings, 執行停止, 徴収猶予, 換価の猶予, 滞納処分費, 援用,
    不納欠損 …), whoever recorded it (collection staff, a document issued, a department's own 督促). ``amount``:
    the 滞納処分費 in yen for a ``disposition_cost``."""

    department: str
    claim_id: str
    on: date
    kind: str
    outcome: str | None = None
    amount: int = 0


@dataclass(slots=True)
class ClaimBalance:
    claim: Claim
    principal: int
    paid: int = 0
    status: ClaimStatus = ClaimStatus.OPEN
    arrears_class: ArrearsClass = ArrearsClass.CURRENT_YEAR
    #: (paid on, yen) of every payment allocated to this claim's principal: late charges run on what is unpaid
    settlements: list[tuple[date, int]] = field(default_factory=list)
    late_charge_paid: int = 0  # 延滞金 / 遅延損害金 collected by allocation
    actions: list[LegalAction] = field(default_factory=list)  # its legal events, in date order
    acknowledged: list[date] = field(default_factory=list)  # dates of payments allocated to it (承認)
    demand_fee: int = 0  # 督促手数料 charged (地方自治法231条の3第2項)
    demand_fee_paid: int = 0
    disposition_cost: int = 0  # 滞納処分費
    disposition_cost_paid: int = 0
    late_charge_fixed: int = 0  # the late charge fixed when the principal was paid in full after the due date
    extinguished_on: date | None = None
    extinguished_by: str | None = None
    prescription_completed_on: date | None = None  # a private claim completed and not yet invoked
    prescription_note: str = ""  # why prescription could not be computed (no rule in the table)
    young_until: date | None = None  # cached earliest_extinction: before the end of this day it cannot be extinct
    #: 速報 for this claim whose 確報 has not arrived and is not yet overdue: the payer has paid, the money is on
    #: its way, so nothing is demanded or escalated meanwhile (workflow.py)
    in_transit: list[PaymentReport] = field(default_factory=list)

    @property
    def balance(self) -> int:
        """The principal still open (本税・本料), also on an extinguished claim (what 不納欠損 writes off)."""
        return self.principal - self.paid

    @property
    def fees_open(self) -> int:
        return self.demand_fee - self.demand_fee_paid + self.disposition_cost - self.disposition_cost_paid

    @property
    def late_charge_open(self) -> int:
        """The fixed late charge still unpaid (0 while the principal is open: the running one is computed)."""
        return max(self.late_charge_fixed - self.late_charge_paid, 0)

    @property
    def outstanding(self) -> int:
        """What the city may still demand, yen: principal, fees and a fixed 延滞金; 0 once extinguished."""
        if self.status in (ClaimStatus.EXTINGUISHED, ClaimStatus.CANCELLED):
            return 0
        return self.balance + self.fees_open + self.late_charge_open

    @property
    def extinguished_amount(self) -> int:
        """What extinction took: the open principal and fees (the 不納欠損額, with the running 延滞金 apart)."""
        if self.status is not ClaimStatus.EXTINGUISHED:
            return 0
        return self.balance + self.fees_open + self.late_charge_open

    @property
    def graces(self) -> list[tuple[date, date | None]]:
        return grace_periods(self.actions)


@dataclass(frozen=True, slots=True)
class Overpayment:
    """Money for refund (還付). ``reason``: ``excess`` (more than was owed) or ``after_extinction`` (paid on a claim
    already extinguished: 過誤納金). ``appropriated``: what went first to other local-tax arrears (17条の2)."""

    department: str
    payment_id: str
    amount: int  # what is left to refund
    reason: str = "excess"
    claim_id: str | None = None
    appropriated: int = 0


@dataclass(frozen=True, slots=True)
class Appropriation:
    """充当 of a local tax's 過誤納金 to another delinquent local-tax due (地方税法17条の2)."""

    payment_id: str
    from_department: str
    department: str
    claim_id: str
    component: Component
    amount: int
    on: date


@dataclass(frozen=True, slots=True)
class PaymentAllocation:
    """充当 of a payment to a component of one of its department's claims, as the allocation decided it."""

    department: str
    payment_id: str
    claim_id: str
    component: Component
    amount: int
    on: date


@dataclass(slots=True)
class DebtorLedger:
    as_of: date
    claims: list[ClaimBalance] = field(default_factory=list)
    parked_payments: list[Payment] = field(default_factory=list)
    overpayments: list[Overpayment] = field(default_factory=list)
    appropriations: list[Appropriation] = field(default_factory=list)
    #: what each payment settled, in the order allocated (appropriations of 過誤納金 are in ``appropriations``)
    allocations: list[PaymentAllocation] = field(default_factory=list)
    #: 速報 whose 確報 did not arrive by the day it was due: a difference to reconcile with the agent
    unconfirmed_reports: list[PaymentReport] = field(default_factory=list)

    @property
    def in_transit(self) -> list[PaymentReport]:
        return [r for c in self.claims for r in c.in_transit]

    @property
    def balance(self) -> int:
        """Open principal of the claims not extinguished."""
        return sum(c.balance for c in self.claims if c.status is not ClaimStatus.EXTINGUISHED)

    @property
    def delinquent_balance(self) -> int:
        return sum(c.balance for c in self.claims if c.status is ClaimStatus.DELINQUENT)


def grace_periods(actions: Iterable[LegalAction]) -> list[tuple[date, date | None]]:
    """(first day, last day or None) of each 徴収猶予 / 換価の猶予: from a grant until a record of the same kind with
    outcome ended or revoked (that day included); a rejected application was never in force."""
    periods: list[tuple[date, date | None]] = []
    for kind in _GRACE_KINDS:
        since: date | None = None
        for action in sorted((a for a in actions if a.kind == kind), key=lambda a: a.on):
            if action.outcome == "rejected":
                continue
            if action.outcome in ("ended", "revoked"):
                if since is not None:
                    periods.append((since, action.on))
                since = None
            elif since is None:
                since = action.on
        if since is not None:
            periods.append((since, None))
    return periods


def _prescription_claim(balance: ClaimBalance) -> PrescriptionClaim:
    claim = balance.claim
    return PrescriptionClaim(claim.claim_id, claim.receivable_type, claim.legal_category, claim.due_date,
                             claim.assessed_on)


def prescription_of(balance: ClaimBalance, as_of: date, rules: LegalRules, *, before: date | None = None
                    ) -> PrescriptionState:
    """The claim's 時効 as of ``as_of`` from its legal events (only those before ``before`` when given) and the
    payments allocated to it; ValueError when the table has no rule for it."""
    cutoff = before if before is not None else as_of + timedelta(days=1)
    events = legal_events([(a.on, a.kind, a.outcome) for a in balance.actions if a.on < cutoff],
                          [day for day in balance.acknowledged if day < cutoff])
    return prescription(_prescription_claim(balance), events, table=rules.prescription, as_of=as_of)


def _waived_on(balance: ClaimBalance, day: date) -> date | None:
    """債権放棄 (地方自治法96条1項10号) extinguishes the claim on the day recorded."""
    return next((a.on for a in balance.actions if a.kind == "waiver" and a.on <= day), None)


def _written_off_on(balance: ClaimBalance, day: date) -> date | None:
    """不納欠損 on record by the day. The centre records one only on a claim it already knows extinguished
    (workflow.py); a department's own (the standard link) comes from its records of the extinction: the ledger
    takes it as the day the claim ended, when its own prescription has not ended it earlier."""
    return next((a.on for a in balance.actions if a.kind == "write_off" and a.on <= day), None)


def _extinct_before(balance: ClaimBalance, day: date, rules: LegalRules) -> date | None:
    """The day the claim was extinguished, if before ``day`` (a claim dies at the end of its last day)."""
    waived = _waived_on(balance, day - timedelta(days=1))
    if waived is not None:
        return waived
    written_off = _written_off_on(balance, day - timedelta(days=1))
    if day <= balance.claim.due_date:
        return written_off
    try:
        if day <= _young_until(balance, rules):
            return written_off  # too young to be extinguished by prescription whatever happened
        state = prescription_of(balance, day - timedelta(days=1), rules, before=day)
    except ValueError:
        return written_off
    return state.extinguished_on or written_off


def _young_until(balance: ClaimBalance, rules: LegalRules) -> date:
    if balance.young_until is None:
        balance.young_until = earliest_extinction(_prescription_claim(balance), rules.prescription)
    return balance.young_until


def fees_at(balance: ClaimBalance, day: date, rules: LegalRules) -> tuple[int, int]:
    """(督促手数料, 滞納処分費) charged on the claim by ``day``: the ordinance's fee for its first 督促 (public claims,
    地方自治法231条の3第2項) and every 滞納処分費 recorded."""
    demand = next((a for a in balance.actions if a.kind == "demand_notice" and a.on <= day), None)
    fee = 0
    if demand is not None and balance.claim.legal_category != "private":
        fee = rules.ordinances.demand_fee(balance.claim.receivable_type, demand.on) \
            if balance.claim.receivable_type in rules.ordinances.receivables else 0
    costs = sum(a.amount for a in balance.actions if a.kind == "disposition_cost" and a.on <= day)
    return fee, costs


def accrued_late_charge(balance: ClaimBalance, on: date, rules: LegalRules) -> int:
    """The late charge the claim has run up by ``on`` on its principal unpaid day by day (ordinance scheme, graces
    halving it); 0 when a rate year is missing (the claim view says which)."""
    claim = balance.claim
    if on <= claim.due_date or balance.principal <= 0 or claim.receivable_type not in rules.ordinances.receivables:
        return 0
    try:
        return charge_for_receivable(claim.receivable_type, balance.principal, claim.due_date, on,
                                     ordinances=rules.ordinances, payments=balance.settlements, table=rules.rates,
                                     graces=balance.graces).rounded_total
    except LookupError:
        return 0


def running_late_charge(balance: ClaimBalance, on: date, rules: LegalRules | None = None) -> int:
    """The late charge still to pay on ``on``: accrued minus what payments already settled."""
    rules = rules if rules is not None else default_legal_rules()
    if balance.status in (ClaimStatus.CANCELLED, ClaimStatus.EXTINGUISHED):
        return 0
    return max(accrued_late_charge(balance, on, rules) - balance.late_charge_paid, 0)


def _dues(balance: ClaimBalance, on: date, rules: LegalRules, *, with_late_charge: bool) -> list[Due]:
    """The claim's open dues on ``on``: fees, principal, and (when asked: it is the costly part) the late charge."""
    claim = balance.claim

    def due(component: Component, amount: int) -> Due:
        return Due(claim.department, claim.claim_id, component, amount, claim.due_date, claim.fiscal_year,
                   claim.installment, claim.legal_category)

    fee, costs = fees_at(balance, on, rules)
    found = []
    if costs - balance.disposition_cost_paid > 0:
        found.append(due(Component.DISPOSITION_COST, costs - balance.disposition_cost_paid))
    if fee - balance.demand_fee_paid > 0:
        found.append(due(Component.DEMAND_FEE, fee - balance.demand_fee_paid))
    if balance.balance > 0:
        found.append(due(Component.PRINCIPAL, balance.balance))
    if with_late_charge:
        owed = accrued_late_charge(balance, on, rules) - balance.late_charge_paid
        if owed > 0:
            found.append(due(Component.LATE_CHARGE, owed))
    return found


def _late_charges_reached(payment: Payment, live: list[ClaimBalance], order: DepartmentOrder,
                          rules: LegalRules) -> bool:
    """Whether allocating ``payment`` can reach a late charge. A private claim's 遅延損害金 comes before its principal
    (民法489条), so any overdue private claim it may settle needs it; otherwise a payment naming a claim reaches it
    only beyond that claim's principal and fees, and with ``component`` first in the order only beyond the whole
    department's. Computing the accrued charge is the costly part of building a ledger: most payments skip it."""
    targets = [b for b in live if payment.claim_id is None or b.claim.claim_id == payment.claim_id]
    if any(b.claim.legal_category == "private" and payment.paid_on > b.claim.due_date and b.balance > 0
           for b in targets):
        return True
    if payment.claim_id is None and not (order.order and order.order[0] == "component"):
        return True
    before_late = 0
    for b in targets:
        fee, costs = fees_at(b, payment.paid_on, rules)
        before_late += b.balance + fee - b.demand_fee_paid + costs - b.disposition_cost_paid
    return payment.amount > before_late


def _apply(balance: ClaimBalance, component: Component, amount: int, on: date, *, acknowledged: bool = True) -> None:
    """Book ``amount`` to a component. A payment by the debtor acknowledges the debt (承認, 民法152条); the city's
    own 充当 does not, so it leaves prescription alone (erring early, on the safe side)."""
    if component is Component.LATE_CHARGE:
        balance.late_charge_paid += amount
    elif component is Component.DEMAND_FEE:
        balance.demand_fee_paid += amount
    elif component is Component.DISPOSITION_COST:
        balance.disposition_cost_paid += amount
    else:
        balance.paid += amount
        balance.settlements.append((on, amount))
    if acknowledged and (not balance.acknowledged or balance.acknowledged[-1] != on):
        balance.acknowledged.append(on)


def build_ledger(
    claims: Iterable[Claim],
    adjustments: Iterable[Adjustment],
    cancellations: Iterable[Cancellation],
    payments: Iterable[Payment],
    reversals: Iterable[Reversal],
    as_of: date,
    *,
    policy: AllocationPolicy | None = None,
    actions: Iterable[LegalAction] = (),
    rules: LegalRules | None = None,
    reports: Iterable[PaymentReport] = (),
) -> DebtorLedger:
    """Balances of one debtor's claims as of ``as_of`` (events dated after it are ignored).

    ``policy``: the allocation policy, by default the packaged ``policy/allocation.v1.json``. ``actions``: the
    claims' legal events (see ``LegalAction``). ``rules``: the dated legal data, by default the packaged tables.
    ``reports``: the agents' 速報; one whose 確報 (a payment of the same id) is not there counts as in transit
    until its ``expected_by`` and as unconfirmed after it. The money itself counts only with the 確報.
    """
    payments = list(payments)
    policy = policy if policy is not None else default_allocation_policy()
    rules = rules if rules is not None else default_legal_rules()
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
    for action in sorted(actions, key=lambda a: a.on):
        target = by_key.get((action.department, action.claim_id))
        if target is not None and action.on <= as_of:
            target.actions.append(action)

    reversed_ids = {(r.department, r.payment_id) for r in reversals if r.reversed_on <= as_of}
    effective = sorted(
        (p for p in payments if p.paid_on <= as_of and (p.department, p.payment_id) not in reversed_ids),
        key=lambda p: (p.paid_on, p.payment_id),
    )
    for payment in effective:
        if payment.claim_id is not None and (payment.department, payment.claim_id) not in by_key:
            ledger.parked_payments.append(payment)
            continue
        _allocate(ledger, payment, by_key, policy, rules)

    for balance in ledger.claims:
        _settle_status(balance, as_of, cancelled, rules)
    received = {(p.department, p.payment_id) for p in payments if p.paid_on <= as_of}
    for report in sorted(reports, key=lambda r: (r.reported_on, r.payment_id)):
        if report.reported_on > as_of or (report.department, report.payment_id) in received:
            continue
        target = by_key.get((report.department, report.claim_id))
        if as_of > report.expected_by:
            ledger.unconfirmed_reports.append(report)
        elif target is not None and target.outstanding > 0:
            target.in_transit.append(report)
    return ledger


def _allocate(ledger: DebtorLedger, payment: Payment, by_key: dict[tuple[str, str], ClaimBalance],
              policy: AllocationPolicy, rules: LegalRules) -> None:
    day = payment.paid_on
    department = [b for b in ledger.claims if b.claim.department == payment.department]
    extinct = {id(b): when for b in department if (when := _extinct_before(b, day, rules)) is not None}
    live = [b for b in department if id(b) not in extinct]
    named = by_key[(payment.department, payment.claim_id)] if payment.claim_id is not None else None
    if named is not None and id(named) in extinct:
        _overpaid(ledger, payment, payment.amount, "after_extinction", by_key, rules, source=named)
        return
    order = policy.order_for(payment.department)
    reached = _late_charges_reached(payment, live, order, rules)
    dues = [d for b in live for d in _dues(b, day, rules, with_late_charge=reached)]
    result = allocate_department_payment(payment.amount, dues, order, claim_id=payment.claim_id)
    for allocation in result.allocations:
        _apply(by_key[(payment.department, allocation.claim_id)], allocation.component, allocation.amount, day)
        ledger.allocations.append(PaymentAllocation(payment.department, payment.payment_id, allocation.claim_id,
                                                    allocation.component, allocation.amount, day))
    if result.overpayment:
        _overpaid(ledger, payment, result.overpayment, "excess", by_key, rules, source=named)


def _is_local_tax_payment(payment: Payment, source: ClaimBalance | None, ledger: DebtorLedger,
                          rules: LegalRules) -> bool:
    if source is not None:
        return rules.ordinances.is_local_tax(source.claim.receivable_type)
    department = [b for b in ledger.claims if b.claim.department == payment.department]
    return bool(department) and all(rules.ordinances.is_local_tax(b.claim.receivable_type) for b in department)


def _overpaid(ledger: DebtorLedger, payment: Payment, amount: int, reason: str,
              by_key: dict[tuple[str, str], ClaimBalance], rules: LegalRules, *, source: ClaimBalance | None) -> None:
    """Refund ``amount``, after applying it to the debtor's other delinquent local-tax dues when it came from a
    local tax (地方税法17条の2第1項: 過誤納金 is applied to the person's 地方団体の徴収金 before it is refunded)."""
    left = amount
    appropriated = 0
    if _is_local_tax_payment(payment, source, ledger, rules):
        day = payment.paid_on
        targets = [b for b in ledger.claims
                   if b is not source and rules.ordinances.is_local_tax(b.claim.receivable_type)
                   and b.claim.due_date < day and _extinct_before(b, day, rules) is None]
        dues = [d for b in targets for d in _dues(b, day, rules, with_late_charge=True)]
        # As the tax order: every claim's costs, fee and principal before any 延滞金, oldest due first.
        dues.sort(key=lambda d: (d.component == Component.LATE_CHARGE, d.due_date, d.fiscal_year, d.installment,
                                 d.department, d.claim_id, component_rank(d)))
        for due in dues:
            if left == 0:
                break
            used = min(left, due.balance)
            _apply(by_key[(due.department, due.claim_id)], Component(due.component), used, day, acknowledged=False)
            ledger.appropriations.append(Appropriation(payment.payment_id, payment.department, due.department,
                                                       due.claim_id, Component(due.component), used, day))
            left -= used
            appropriated += used
    if left or appropriated:
        ledger.overpayments.append(Overpayment(payment.department, payment.payment_id, left, reason,
                                               source.claim.claim_id if source is not None else None, appropriated))


def _settle_status(balance: ClaimBalance, as_of: date, cancelled: set[tuple[str, str]], rules: LegalRules) -> None:
    claim = balance.claim
    if (claim.department, claim.claim_id) in cancelled:
        balance.status = ClaimStatus.CANCELLED
        return
    balance.demand_fee, balance.disposition_cost = fees_at(balance, as_of, rules)
    if balance.balance == 0 and balance.settlements and balance.settlements[-1][0] > claim.due_date:
        balance.late_charge_fixed = accrued_late_charge(balance, balance.settlements[-1][0], rules)
    owed = balance.balance + balance.fees_open + balance.late_charge_open
    waived = _waived_on(balance, as_of)
    if owed > 0 and waived is not None:
        balance.extinguished_on, balance.extinguished_by = waived, "waiver"
        balance.status = ClaimStatus.EXTINGUISHED
        return
    if owed > 0 and as_of > claim.due_date:
        try:
            young = as_of <= _young_until(balance, rules)
            state = None if young else prescription_of(balance, as_of, rules)
        except ValueError as no_rule:
            state, balance.prescription_note = None, str(no_rule)
        if state is not None and state.extinguished_on is not None:
            balance.extinguished_on, balance.extinguished_by = state.extinguished_on, state.extinguished_by
            balance.status = ClaimStatus.EXTINGUISHED
            return
        if state is not None and state.needs_invocation and state.completes_on is not None \
                and state.completes_on < as_of:
            balance.prescription_completed_on = state.completes_on
    written_off = _written_off_on(balance, as_of)
    if owed > 0 and written_off is not None:  # a department's 不納欠損 (_written_off_on)
        balance.extinguished_on, balance.extinguished_by = written_off, "write_off"
        balance.status = ClaimStatus.EXTINGUISHED
        return
    if owed == 0:
        balance.status = ClaimStatus.PAID
    elif as_of > claim.due_date:
        balance.status = ClaimStatus.DELINQUENT
    else:
        balance.status = ClaimStatus.OPEN


def facts_of(balance: ClaimBalance, *, on_hold: bool = False) -> ClaimFacts:
    """What the action rules (workflow.py) need to know of a claim, its prescription result included."""
    claim = balance.claim
    return ClaimFacts(claim.legal_category, balance.balance, claim.due_date, on_hold=on_hold,
                      extinguished_on=balance.extinguished_on,
                      prescription_completed_on=balance.prescription_completed_on,
                      late_charge_open=balance.late_charge_open, fees_open=max(balance.fees_open, 0),
                      payment_in_transit=_in_transit(balance))


def _in_transit(balance: ClaimBalance) -> PaymentInTransit | None:
    if not balance.in_transit:
        return None
    return PaymentInTransit(paid_on=min(r.paid_on for r in balance.in_transit),
                            expected_by=max(r.expected_by for r in balance.in_transit),
                            amount=sum(r.amount for r in balance.in_transit))
