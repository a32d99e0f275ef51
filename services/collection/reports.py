"""Management reports (Hatsukaichi's collection rates, Nagoya's outstanding-balance targets, Ina's aging), pure.

All figures come from debtor ledgers (services/collection/ledger.py) computed at two dates, so they follow the
same allocation as every balance the staff see:

- **Collection rates** for fiscal year FY, per department and receivable, as of a date: 現年度分 — the claims of
  FY: 調定額 (principal after adjustments and cancellations) and 収入済額 (paid towards them); 滞納繰越分 — the claims of
  earlier years still unpaid when FY began (1 April): 調定額 = their balance on 31 March, 収入済額 = what was paid
  towards them since; 全体 = both. Rate = 収入済額 ÷ 調定額.
- **Outstanding balance against targets**: 収入未済額 at the end of the previous fiscal year (31 March), the target
  for FY's end, the balance now, the difference from the target and the compression (now ÷ prior year-end).
- **Aging**: unpaid principal past its due date by how long it has been overdue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.collection.ledger import ClaimBalance, ClaimStatus, DebtorLedger

Key = tuple[str, str]  # (department, receivable_type)

AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-90 days", 1, 90), ("91-180 days", 91, 180), ("181-365 days", 181, 365), ("1-2 years", 366, 730),
    ("over 2 years", 731, None),
)


def fiscal_year_start(fiscal_year: int) -> date:
    return date(fiscal_year, 4, 1)


def rate(received: int, assessed: int) -> Decimal | None:
    """Percent with one decimal (rounded half up, as published), None when nothing was assessed."""
    if assessed <= 0:
        return None
    return (Decimal(received) * 100 / Decimal(assessed)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateRow:
    department: str
    receivable_type: str
    current_assessed: int  # 現年度分 調定額
    current_received: int  # 現年度分 収入済額
    carried_assessed: int  # 滞納繰越分 調定額 (balance on 31 March)
    carried_received: int  # 滞納繰越分 収入済額 since 1 April
    current_rate: Decimal | None
    carried_rate: Decimal | None
    overall_rate: Decimal | None


def _claims(ledgers: Iterable[DebtorLedger]) -> dict[tuple[str, str], ClaimBalance]:
    return {(c.claim.department, c.claim.claim_id): c for ledger in ledgers for c in ledger.claims}


def collection_rates(at_start: Iterable[DebtorLedger], now: Iterable[DebtorLedger], fiscal_year: int
                     ) -> list[RateRow]:
    """Rates of FY from the ledgers on 31 March before it (``at_start``) and at the report date (``now``)."""
    before, after = _claims(at_start), _claims(now)
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for key, claim in after.items():
        row = sums[(claim.claim.department, claim.claim.receivable_type)]
        if claim.claim.fiscal_year == fiscal_year:
            row[0] += claim.principal
            row[1] += claim.paid
        elif claim.claim.fiscal_year < fiscal_year and key in before and before[key].balance > 0:
            row[2] += before[key].balance
            row[3] += min(claim.paid - before[key].paid, before[key].balance)
    return [RateRow(d, r, *values, rate(values[1], values[0]), rate(values[3], values[2]),
                    rate(values[1] + values[3], values[0] + values[2]))
            for (d, r), values in sorted(sums.items()) if any(values)]


@dataclass(frozen=True)
class Target:
    outstanding: int | None = None  # 収入未済額 target for the fiscal year's end, yen
    current_rate: Decimal | None = None  # 現年度分 collection rate target, percent
    overall_rate: Decimal | None = None


@dataclass(frozen=True)
class OutstandingRow:
    department: str
    receivable_type: str
    prior_year_end: int  # 前年度末 収入未済額
    target: int | None
    actual: int  # now
    difference: int | None  # actual − target (negative: better than the target)
    achievement: Decimal | None  # target ÷ actual, percent (100 or more: the target is met)
    compression: Decimal | None  # actual ÷ prior year-end, percent


def _outstanding(ledgers: Iterable[DebtorLedger]) -> dict[Key, int]:
    sums: dict[Key, int] = defaultdict(int)
    for ledger in ledgers:
        for c in ledger.claims:
            if c.status is ClaimStatus.DELINQUENT:
                sums[(c.claim.department, c.claim.receivable_type)] += c.balance
    return sums


def outstanding_against_targets(prior_year_end: Iterable[DebtorLedger], now: Iterable[DebtorLedger],
                                targets: Mapping[Key, Target]) -> list[OutstandingRow]:
    before, after = _outstanding(prior_year_end), _outstanding(now)
    rows = []
    for key in sorted(set(before) | set(after) | {k for k, t in targets.items() if t.outstanding is not None}):
        target = targets.get(key, Target()).outstanding
        actual = after.get(key, 0)
        rows.append(OutstandingRow(
            *key, prior_year_end=before.get(key, 0), target=target, actual=actual,
            difference=None if target is None else actual - target,
            achievement=None if target is None else rate(target, actual) if actual else Decimal("100.0"),
            compression=rate(actual, before.get(key, 0))))
    return rows


@dataclass(frozen=True)
class AgingRow:
    department: str
    bucket: str
    claims: int
    balance: int


def aging(ledgers: Iterable[DebtorLedger], as_of: date) -> list[AgingRow]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for ledger in ledgers:
        for c in ledger.claims:
            if c.status is not ClaimStatus.DELINQUENT:
                continue
            overdue = (as_of - c.claim.due_date).days
            bucket = next(name for name, low, high in AGING_BUCKETS if overdue >= low and (high is None or
                                                                                            overdue <= high))
            sums[(c.claim.department, bucket)][0] += 1
            sums[(c.claim.department, bucket)][1] += c.balance
    order = {name: i for i, (name, _, _) in enumerate(AGING_BUCKETS)}
    return [AgingRow(d, b, n, total) for (d, b), (n, total) in sorted(sums.items(), key=lambda kv: (kv[0][0],
                                                                                                   order[kv[0][1]]))]
