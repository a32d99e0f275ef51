"""Allocation (充当): which of a debtor's dues a payment settles, and how a lump sum paid at the central window is
split between departments. This is the one module where the allocation rules live; the orders themselves are
written data in ``policy/allocation.v*.json`` (``load_allocation_policy``). Pure: no I/O except reading that file.

Dues. A claim's dues have up to four components: ``disposition_cost`` (滞納処分費), ``demand_fee`` (督促手数料),
``principal`` (本税・本料) and ``late_charge`` (延滞金・遅延損害金). A due is one component of one claim with its open
balance in integer yen. Within a claim the law sets their order (``component_rank``):
- public claims: 滞納処分費, 督促手数料, principal, 延滞金 — costs first (国税徴収法137条 via 地方税法331条6項 gives
  滞納処分費 priority), and the principal before the 延滞金, which is computed on the principal left unpaid;
- private claims: costs (費用), then 遅延損害金, then principal (民法489条1項: 費用, 利息, 元本), unless the parties
  agreed another order (民法490条): a department's ``private_agreed_order`` with its ``agreement`` (the contract
  clause) replaces it for that department's private claims.

Within a department (``allocate_department_payment``):
1. A payment naming a claim goes to that claim only: its principal first, then its late charge. What exceeds the
   claim's open balance is an overpayment for refund (還付); it never spills over to the debtor's other claims.
   A claim with nothing open (settled, cancelled) turns the whole payment into an overpayment. (A payment naming
   a claim the ledger has not seen yet is parked by the ledger, which alone knows which claims exist.)
2. A payment naming no claim goes to the department's open dues in the department's written order: a list of
   sort keys from ``component``, ``due_date``, ``fiscal_year``, ``installment``, ``claim_id``, the first key
   deciding first, each ascending (principal before late charge, older before newer). With ``component`` first,
   the principal of every claim is settled before any late charge: the rule for taxes (the late charge is then
   computed on the remaining principal, so principal first keeps it smallest). With ``component`` last, each
   claim is settled in full, principal then its late charge, before the next claim. An order must contain
   ``claim_id`` and ``component`` so that every due has exactly one place.
3. What exceeds all the department's open dues is an overpayment for refund.

At the central window (``split_central_payment``), for a lump sum that names no claim:
1. The payer's designation comes first: an amount the payer declared for a department goes to that department.
   What exceeds that department's open balance is an overpayment for refund, not moved to another department.
   A designation may name only departments with an open balance and may not total more than the payment. For the
   split, a designated part counts as settling its department's dues in the method's order.
2. The rest is split by the policy's method:
   - ``oldest_first``: principal before late charges, then the oldest due date first, across departments;
   - ``forced_public_first``: forced-collection public claims (強制徴収公債権) first, since the city must proceed to
     滞納処分 on them and public claims prescribe without invocation (援用不要; 2 years for insurance premiums levied
     as 料); within each group as ``oldest_first``;
   - ``pro_rata``: in proportion to each department's open balance, in whole yen by the largest-remainder method;
     equal remainders go to the department with the oldest due (then the lower department code).
3. What exceeds every open balance is an overpayment for refund.
Each department then allocates its part by its own order (rule 2 above).

Amounts are integer yen. A payment or designated amount that is not a positive integer raises ValueError naming the
field; so does a due with a negative balance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts import LegalCategory

DEFAULT_POLICY_PATH = Path(__file__).parent / "policy" / "allocation.v1.json"


class Component(StrEnum):
    """The parts of a claim's dues."""

    DISPOSITION_COST = "disposition_cost"  # 滞納処分費 (費用 for a private claim)
    DEMAND_FEE = "demand_fee"  # 督促手数料 (地方自治法231条の3第2項)
    PRINCIPAL = "principal"  # 本税・本料
    LATE_CHARGE = "late_charge"  # 延滞金・遅延損害金


PUBLIC_ORDER = (Component.DISPOSITION_COST, Component.DEMAND_FEE, Component.PRINCIPAL, Component.LATE_CHARGE)
"""Public claims: costs, fee, principal, then 延滞金 (国税徴収法137条; 地方税法: 延滞金 on the unpaid principal)."""
PRIVATE_ORDER = (Component.DISPOSITION_COST, Component.DEMAND_FEE, Component.LATE_CHARGE, Component.PRINCIPAL)
"""Private claims: 費用, then 遅延損害金, then 元本 (民法489条1項)."""
_COMPONENT_RANK = {component: rank for rank, component in enumerate(PUBLIC_ORDER)}


class SortKey(StrEnum):
    """The closed set of keys a department's order is written in; each sorts ascending."""

    COMPONENT = "component"  # principal before late charge
    DUE_DATE = "due_date"  # 納期限, oldest first
    FISCAL_YEAR = "fiscal_year"  # 年度, oldest first
    INSTALLMENT = "installment"  # 期別, first first
    CLAIM_ID = "claim_id"  # the final tie-break


class CentralMethod(StrEnum):
    """How a lump sum paid at the central window is split between departments."""

    OLDEST_FIRST = "oldest_first"
    FORCED_PUBLIC_FIRST = "forced_public_first"
    PRO_RATA = "pro_rata"


class DepartmentOrder(BaseModel):
    """The order in which a payment naming no claim settles a department's dues."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order: tuple[SortKey, ...] = Field(description="Sort keys, the first deciding first; each ascending")
    description: str = Field(default="", description="The rule in words")
    private_agreed_order: tuple[Component, ...] | None = Field(
        default=None, description="Another order of a private claim's components agreed with the debtor (民法490条)")
    agreement: str = Field(default="", description="The contract clause that agreed it")

    @model_validator(mode="after")
    def _agreement_named(self) -> DepartmentOrder:
        if self.private_agreed_order is not None:
            if sorted(self.private_agreed_order) != sorted(Component):
                raise ValueError("private_agreed_order: must list every component exactly once")
            if not self.agreement.strip():
                raise ValueError("agreement: an agreed order (民法490条) must name the clause that agreed it")
        return self

    def component_order(self, legal_category: str) -> tuple[Component, ...]:
        if legal_category != LegalCategory.PRIVATE:
            return PUBLIC_ORDER
        return self.private_agreed_order or PRIVATE_ORDER

    @field_validator("order")
    @classmethod
    def _every_due_has_one_place(cls, order: tuple[SortKey, ...]) -> tuple[SortKey, ...]:
        if len(set(order)) != len(order):
            raise ValueError("order: a sort key appears more than once")
        missing = [key.value for key in (SortKey.CLAIM_ID, SortKey.COMPONENT) if key not in order]
        if missing:
            raise ValueError(f"order: must contain {', '.join(missing)} so that every due has exactly one place")
        return order


class CentralWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: CentralMethod
    description: str = Field(min_length=1, description="Why this method, in words")


class AllocationPolicy(BaseModel):
    """The written allocation policy: one order per department, a default, and the central window's method."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    departments: dict[str, DepartmentOrder]
    default: DepartmentOrder
    central_window: CentralWindow

    def order_for(self, department: str) -> DepartmentOrder:
        return self.departments.get(department, self.default)


def load_allocation_policy(path: Path | None = None) -> AllocationPolicy:
    """The policy in ``path``, by default the packaged ``policy/allocation.v1.json``."""
    source = Path(path) if path is not None else DEFAULT_POLICY_PATH
    return AllocationPolicy.model_validate_json(source.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_allocation_policy() -> AllocationPolicy:
    """The packaged policy, read once (the model is frozen, so sharing it is safe)."""
    return load_allocation_policy()


@dataclass(frozen=True, slots=True)
class Due:
    """One component of one claim with its open balance (integer yen, ≥ 0)."""

    department: str
    claim_id: str
    component: Component
    balance: int
    due_date: date
    fiscal_year: int
    installment: int
    legal_category: str


class Allocation(NamedTuple):
    claim_id: str
    component: Component
    amount: int


@dataclass(frozen=True, slots=True)
class DepartmentAllocation:
    allocations: tuple[Allocation, ...]
    overpayment: int  # for refund (還付)

    @property
    def allocated(self) -> int:
        return sum(a.amount for a in self.allocations)


class CentralPart(NamedTuple):
    department: str
    amount: int
    reason: str


@dataclass(frozen=True, slots=True)
class CentralSplit:
    method: CentralMethod
    parts: tuple[CentralPart, ...]  # one per department that receives money, in the order first funded
    overpayment: int  # beyond every open balance, for refund (還付)

    @property
    def by_department(self) -> dict[str, int]:
        return {part.department: part.amount for part in self.parts}


_SORT_VALUES: dict[SortKey, Callable[[Due], object]] = {
    SortKey.COMPONENT: lambda due: component_rank(due),
    SortKey.DUE_DATE: lambda due: due.due_date,
    SortKey.FISCAL_YEAR: lambda due: due.fiscal_year,
    SortKey.INSTALLMENT: lambda due: due.installment,
    SortKey.CLAIM_ID: lambda due: due.claim_id,
}


def _check_amount(amount: object, field: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"{field}: must be an integer amount of yen, got {amount!r}")
    if amount <= 0:
        raise ValueError(f"{field}: must be a positive amount of yen, got {amount}")
    return amount


def _checked_dues(dues: Iterable[Due]) -> list[Due]:
    checked: list[Due] = []
    seen: set[tuple[str, str, str]] = set()
    for due in dues:
        where = f"{due.department}/{due.claim_id}/{due.component}"
        if due.component not in _COMPONENT_RANK:
            raise ValueError(f"component: {where} is not one of {[c.value for c in Component]}")
        if isinstance(due.balance, bool) or not isinstance(due.balance, int) or due.balance < 0:
            raise ValueError(f"balance: {where} must be a non-negative integer amount of yen, got {due.balance!r}")
        key = (due.department, due.claim_id, str(due.component))
        if key in seen:
            raise ValueError(f"dues: {where} appears more than once")
        seen.add(key)
        checked.append(due)
    return checked


def _as_order(order: DepartmentOrder | Sequence[SortKey | str]) -> DepartmentOrder:
    if isinstance(order, DepartmentOrder):
        return order
    return DepartmentOrder(order=tuple(SortKey(key) for key in order))


def component_rank(due: Due, order: DepartmentOrder | None = None) -> int:
    """Where ``due``'s component comes within its claim: the law's order for its category, or the order agreed for
    the department's private claims (民法489条, 490条)."""
    components = order.component_order(due.legal_category) if order is not None else (
        PRIVATE_ORDER if due.legal_category == LegalCategory.PRIVATE else PUBLIC_ORDER)
    return components.index(Component(due.component))


def sort_dues(dues: Iterable[Due], order: DepartmentOrder | Sequence[SortKey | str]) -> list[Due]:
    """``dues`` in the order a payment naming no claim settles them."""
    chosen = _as_order(order)
    values = {**_SORT_VALUES, SortKey.COMPONENT: lambda due: component_rank(due, chosen)}
    keys = [values[key] for key in chosen.order]
    return sorted(dues, key=lambda due: tuple(value(due) for value in keys))


def allocate_department_payment(
    amount: int,
    dues: Iterable[Due],
    order: DepartmentOrder | Sequence[SortKey | str],
    *,
    claim_id: str | None = None,
) -> DepartmentAllocation:
    """Allocate a payment of ``amount`` yen to one department's open ``dues``.

    Naming ``claim_id``: that claim's principal, then its late charge; the excess is overpayment (never spilled to
    other claims). Naming none: the dues in ``order``; the excess over all of them is overpayment.
    """
    _check_amount(amount, "amount")
    checked = _checked_dues(dues)
    departments = sorted({due.department for due in checked})
    if len(departments) > 1:
        raise ValueError(f"dues: expected one department's dues, got {', '.join(departments)}")
    if claim_id is not None:
        chosen = _as_order(order)
        targets = sorted((d for d in checked if d.claim_id == claim_id), key=lambda d: component_rank(d, chosen))
    else:
        targets = sort_dues(checked, order)
    left = amount
    allocations: list[Allocation] = []
    for due in targets:
        if left == 0:
            break
        used = min(left, due.balance)
        if used:
            allocations.append(Allocation(due.claim_id, Component(due.component), used))
            left -= used
    return DepartmentAllocation(tuple(allocations), left)


_OLDEST_FIRST = "oldest due first across departments"
_FORCED_FIRST = "forced-collection claims first (滞納処分 and prescription risk)"
_FORCED_THEN = "other claims after the forced-collection ones, oldest due first"


def _walk_key(due: Due) -> tuple[object, ...]:
    return (_COMPONENT_RANK[due.component], due.due_date, due.fiscal_year, due.installment, due.department,
            due.claim_id)


def split_central_payment(
    amount: int,
    dues: Iterable[Due],
    method: CentralMethod | str,
    designated: Mapping[str, int] | None = None,
) -> CentralSplit:
    """Split a lump sum of ``amount`` yen paid at the central window between the departments owning ``dues``.

    ``designated``: department → yen the payer declared for it; it takes precedence, the rest follows ``method``.
    """
    _check_amount(amount, "amount")
    checked = [due for due in _checked_dues(dues) if due.balance > 0]
    try:
        method = CentralMethod(method)
    except ValueError:
        raise ValueError(f"method: must be one of {[m.value for m in CentralMethod]}, got {method!r}") from None

    open_balance: dict[str, int] = defaultdict(int)
    oldest: dict[str, date] = {}
    for due in checked:
        open_balance[due.department] += due.balance
        oldest[due.department] = min(oldest.get(due.department, due.due_date), due.due_date)

    funded: dict[str, int] = {}  # insertion order = order first funded
    reasons: dict[str, list[str]] = {}

    def give(department: str, yen: int, reason: str) -> None:
        funded[department] = funded.get(department, 0) + yen
        department_reasons = reasons.setdefault(department, [])
        if reason not in department_reasons:
            department_reasons.append(reason)

    left = amount
    overpayment = 0
    credit: dict[str, int] = {}  # designated yen counted against each department's dues
    for department, yen in (designated or {}).items():
        _check_amount(yen, f"designated[{department}]")
        if open_balance.get(department, 0) <= 0:
            raise ValueError(f"designated[{department}]: department {department!r} has no open balance")
    if designated:
        total = sum(designated.values())
        if total > amount:
            raise ValueError(f"designated: the designations total {total:,} yen, more than the amount {amount:,} yen")
        for department, yen in designated.items():
            used = min(yen, open_balance[department])
            excess = yen - used
            reason = "designated by the payer"
            if excess:
                reason += f" ({excess:,} yen beyond its balance is an overpayment for refund)"
            give(department, used, reason)
            credit[department] = used
            overpayment += excess
            left -= yen

    if left and method is CentralMethod.PRO_RATA:
        left = _split_pro_rata(left, open_balance, credit, oldest, give)
    elif left:
        left = _split_in_order(left, checked, method, credit, give)

    overpayment += left
    parts = tuple(CentralPart(dept, yen, "; then ".join(reasons[dept])) for dept, yen in funded.items() if yen)
    return CentralSplit(method, parts, overpayment)


def _split_pro_rata(left: int, open_balance: Mapping[str, int], credit: Mapping[str, int],
                    oldest: Mapping[str, date], give: Callable[[str, int, str], None]) -> int:
    """Largest-remainder split of ``left`` yen over what each department still owes; returns the yen left over."""
    pool: dict[str, int] = {}
    for dept in sorted(open_balance, key=lambda d: (oldest[d], d)):
        balance = open_balance[dept] - credit.get(dept, 0)
        if balance > 0:
            pool[dept] = balance
    total = sum(pool.values())
    if left >= total:
        for dept, balance in pool.items():
            give(dept, balance, "pro rata to balances (the whole balance)")
        return left - total
    shares: dict[str, int] = {}
    ranking: list[tuple[int, date, str]] = []
    for dept, balance in pool.items():
        shares[dept], remainder = divmod(left * balance, total)
        ranking.append((-remainder, oldest[dept], dept))
    extra = {dept for _, _, dept in sorted(ranking)[: left - sum(shares.values())]}
    for dept, share in shares.items():
        reason = f"pro rata to balances ({pool[dept]:,} of {total:,} yen)"
        if dept in extra:
            share += 1
            reason += "; +1 remainder yen (largest remainder, ties to the oldest claim)"
        if share:
            give(dept, share, reason)
    return 0


def _split_in_order(left: int, dues: Sequence[Due], method: CentralMethod, credit: dict[str, int],
                    give: Callable[[str, int, str], None]) -> int:
    """Walk the dues in the method's order, first counting each department's designated part against its dues."""

    def forced(due: Due) -> bool:
        return method is CentralMethod.FORCED_PUBLIC_FIRST and due.legal_category == LegalCategory.FORCED_PUBLIC

    def reason(due: Due) -> str:
        if method is CentralMethod.OLDEST_FIRST:
            return _OLDEST_FIRST
        return _FORCED_FIRST if forced(due) else _FORCED_THEN

    for due in sorted(dues, key=lambda due: (0 if forced(due) else 1, *_walk_key(due))):
        if left == 0:
            break
        balance = due.balance
        counted = min(credit.get(due.department, 0), balance)
        if counted:
            credit[due.department] -= counted
            balance -= counted
        used = min(left, balance)
        if used:
            give(due.department, used, reason(due))
            left -= used
    return left
