"""Management reports (Hatsukaichi's collection rates, Nagoya's outstanding-balance targets, Ina's aging), pure.

All figures come from debtor ledgers (services/collection/ledger.py) computed at given dates, so they follow the
same allocation as every balance the staff see.

**The 出納閉鎖 basis (地方自治法235条の5).** A fiscal year's accounts close on 31 May of the next calendar year: what
is received in April and May (the 出納整理期間) on a claim of that year or earlier is that year's revenue. So the
books of FY N are the claims of FY N and earlier, with every receipt and write-off up to 31 May N+1
(``accounts_closing_day``); the carried-over arrears FY N starts with are what was left unpaid when FY N-1's books
closed on 31 May N. A FY2023 claim paid on 2024-04-20 is a FY2023 現年度分 receipt and nothing in FY2024.

- **Collection rates** for FY N as of a date (at most its closing day): 現年度分 — the claims of FY N: 調定額
  (principal after adjustments and cancellations), 収入済額 (paid towards them), 不納欠損額 (written off), 収入未済額
  (the rest); 滞納繰越分 — the claims of earlier years still unpaid when FY N-1's books closed (31 May N; at the
  report date when that is earlier): 調定額 = their balance then, 収入済額 = paid since, 不納欠損額, 収入未済額;
  全体 = both. Rate = 収入済額 ÷ 調定額 in percent with two decimals (``rate``).
- **Outstanding balance against targets**: 収入未済額 when FY N-1's books closed (前年度末, 31 May N: claims of FY N-1
  and earlier), the target for FY N's end, the balance now, the difference and the compression; and the same per
  bureau (局) as a designated city publishes it (``bureau_table``), in thousand yen.
- **Aging**: unpaid principal past its due date by how long it has been overdue.

不納欠損 (``ActionKind.WRITE_OFF`` in the 経過記録) takes a claim off the books: the balance it still had is the
不納欠損額 of the year whose books the write-off falls in, and it is no longer 収入未済額.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from contracts.receivables import RECEIVABLES
from services.collection.ledger import ClaimBalance, ClaimStatus, DebtorLedger

Key = tuple[str, str]  # (department, receivable_type)
ClaimKey = tuple[str, str]  # (department, claim_id)

AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-90 days", 1, 90), ("91-180 days", 91, 180), ("181-365 days", 181, 365), ("1-2 years", 366, 730),
    ("over 2 years", 731, None),
)
RATE_PLACES = Decimal("0.01")


def fiscal_year_start(fiscal_year: int) -> date:
    return date(fiscal_year, 4, 1)


def accounts_closing_day(fiscal_year: int) -> date:
    """出納閉鎖: the accounts of FY N close on 31 May N+1 (地方自治法235条の5); receipts up to that day on claims of FY N
    or earlier are FY N revenue."""
    return date(fiscal_year + 1, 5, 31)


def books_dates(fiscal_year: int, as_of: date) -> tuple[date, date]:
    """(opening, closing) of FY N's books as of a date: the day FY N-1's accounts closed (31 May N, where the
    carried-over arrears are taken) and the last day counted (``as_of``, at most 31 May N+1); both at most
    ``as_of``. 地方自治法235条の5."""
    closing = min(as_of, accounts_closing_day(fiscal_year))
    return min(accounts_closing_day(fiscal_year - 1), closing), closing


def rate(received: int, assessed: int) -> Decimal | None:
    """Percent with two decimals, rounded half up as published (95.40), None when nothing was assessed."""
    if assessed <= 0:
        return None
    return (Decimal(received) * 100 / Decimal(assessed)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateRow:
    department: str
    receivable_type: str
    current_assessed: int  # 現年度分 調定額
    current_received: int  # 現年度分 収入済額
    carried_assessed: int  # 滞納繰越分 調定額 (balance when the previous year's books closed, 31 May)
    carried_received: int  # 滞納繰越分 収入済額 since then
    current_rate: Decimal | None
    carried_rate: Decimal | None
    overall_rate: Decimal | None
    current_written_off: int = 0  # 現年度分 不納欠損額
    carried_written_off: int = 0  # 滞納繰越分 不納欠損額
    current_outstanding: int = 0  # 現年度分 収入未済額
    carried_outstanding: int = 0  # 滞納繰越分 収入未済額


def _claims(ledgers: Iterable[DebtorLedger]) -> dict[ClaimKey, ClaimBalance]:
    return {(c.claim.department, c.claim.claim_id): c for ledger in ledgers for c in ledger.claims}


def collection_rates(at_opening: Iterable[DebtorLedger], at_closing: Iterable[DebtorLedger], fiscal_year: int,
                     write_offs: Mapping[ClaimKey, date] | None = None) -> list[RateRow]:
    """Rates of FY N from the ledgers at the books' opening and closing (``books_dates``), on the 出納閉鎖 basis
    (地方自治法235条の5). ``write_offs``: the day each written-off claim was written off (不納欠損), as recorded up
    to the closing day; a claim written off on or before the opening left the books before FY N."""
    opening_ledgers = list(at_opening)
    before, after = _claims(opening_ledgers), _claims(at_closing)
    written = write_offs or {}
    opening = opening_ledgers[0].as_of if opening_ledgers else None
    sums: dict[Key, list[int]] = defaultdict(lambda: [0] * 8)
    for key, claim in after.items():
        row = sums[(claim.claim.department, claim.claim.receivable_type)]
        off = written.get(key)
        if claim.claim.fiscal_year == fiscal_year:
            row[0] += claim.principal
            row[1] += claim.paid
            row[4 if off is not None else 6] += claim.balance
        elif claim.claim.fiscal_year < fiscal_year and key in before and before[key].balance > 0:
            if off is not None and opening is not None and off <= opening:
                continue  # written off in an earlier year's books
            row[2] += before[key].balance
            row[3] += min(claim.paid - before[key].paid, before[key].balance)
            row[5 if off is not None else 7] += claim.balance
    return [RateRow(d, r, v[0], v[1], v[2], v[3], rate(v[1], v[0]), rate(v[3], v[2]), rate(v[1] + v[3], v[0] + v[2]),
                    current_written_off=v[4], carried_written_off=v[5], current_outstanding=v[6],
                    carried_outstanding=v[7])
            for (d, r), v in sorted(sums.items()) if any(v)]


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


def _outstanding(ledgers: Iterable[DebtorLedger], written_off: Mapping[ClaimKey, date], *,
                 up_to_fiscal_year: int | None = None) -> dict[Key, int]:
    """収入未済額 per receivable: delinquent balances (of claims of ``up_to_fiscal_year`` and earlier), without the
    claims written off (不納欠損) by the ledger's date."""
    sums: dict[Key, int] = defaultdict(int)
    for ledger in ledgers:
        for c in ledger.claims:
            key = (c.claim.department, c.claim.claim_id)
            off = written_off.get(key)
            if c.status is not ClaimStatus.DELINQUENT or (off is not None and off <= ledger.as_of):
                continue
            if up_to_fiscal_year is None or c.claim.fiscal_year <= up_to_fiscal_year:
                sums[(c.claim.department, c.claim.receivable_type)] += c.balance
    return sums


def outstanding_against_targets(prior_year_end: Iterable[DebtorLedger], now: Iterable[DebtorLedger],
                                targets: Mapping[Key, Target], *, fiscal_year: int | None = None,
                                write_offs: Mapping[ClaimKey, date] | None = None) -> list[OutstandingRow]:
    """``prior_year_end``: the ledgers when FY N-1's books closed (31 May N, 地方自治法235条の5); with ``fiscal_year``
    only claims of FY N-1 and earlier count there (a FY N claim due in April is FY N's). ``now``: at the report
    date. Written-off claims (不納欠損) are no longer outstanding."""
    written = write_offs or {}
    before = _outstanding(prior_year_end, written, up_to_fiscal_year=None if fiscal_year is None else fiscal_year - 1)
    after = _outstanding(now, written)
    rows = []
    for key in sorted(set(before) | set(after) | {k for k, t in targets.items() if t.outstanding is not None}):
        target = targets.get(key, Target()).outstanding
        actual = after.get(key, 0)
        rows.append(OutstandingRow(
            *key, prior_year_end=before.get(key, 0), target=target, actual=actual,
            difference=None if target is None else actual - target,
            achievement=None if target is None else rate(target, actual) if actual else Decimal("100.00"),
            compression=rate(actual, before.get(key, 0))))
    return rows


# --- the outstanding-balance table per bureau (局), as a designated city publishes it -------------------------


def thousand_yen(amount: int) -> int:
    """Yen to thousand yen rounded half up (四捨五入), negative amounts symmetrically (−1,500 → −2): the published
    table rounds each row, so the rows need not add up to the total (Nagoya's 注: 金額は四捨五入により表示)."""
    sign = -1 if amount < 0 else 1
    return sign * int((Decimal(abs(amount)) / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class BureauRow:
    """One row of 未収金の目標値（局別）: in thousand yen (each rounded from yen), the ratio from yen."""

    bureau: str  # 局名; 合計 on the total row
    prior_year_end: int  # 前年度決算 ① 収入未済額, thousand yen
    target: int | None  # 目標 ②, thousand yen
    difference: int | None  # 未収金額差 ② − ①, thousand yen (rounded from the yen difference)
    ratio: Decimal | None  # 圧縮割合 ② / ①, percent with two decimals
    prior_year_end_yen: int
    target_yen: int | None
    total: bool = False


def bureau_table(rows: Iterable[OutstandingRow], bureaus: Mapping[str, tuple[str, ...]],
                 total_label: str = "合計") -> list[BureauRow]:
    """Group the per-receivable ① and ② into the city's bureaus (``bureaus``: bureau → receivable codes, in the
    order published) and add the total row. A bureau's target is the sum of its receivables' targets; it is None
    (not shown) when none is set or when a receivable of the bureau with a balance at ① has none, so a partial sum
    is never published as the bureau's target (and the total's target is then None too). ②/① is computed from yen (2,800,007,000 / 2,934,892,000 → 95.40)."""
    by_receivable: dict[str, list[OutstandingRow]] = defaultdict(list)
    for row in rows:
        by_receivable[row.receivable_type].append(row)
    out: list[BureauRow] = []
    totals: list[int] = [0, 0]
    total_target_known = True
    for bureau, receivables in bureaus.items():
        members = [r for code in receivables for r in by_receivable.get(code, [])]
        prior = sum(r.prior_year_end for r in members)
        missing = any(r.target is None and r.prior_year_end > 0 for r in members)
        set_any = any(r.target is not None for r in members)
        target = sum(r.target or 0 for r in members) if set_any and not missing else None
        out.append(_bureau_row(bureau, prior, target))
        totals[0] += prior
        if target is None:
            total_target_known = False
        else:
            totals[1] += target
    out.append(_bureau_row(total_label, totals[0], totals[1] if total_target_known else None, total=True))
    return out


def _bureau_row(name: str, prior: int, target: int | None, total: bool = False) -> BureauRow:
    return BureauRow(name, thousand_yen(prior), None if target is None else thousand_yen(target),
                     None if target is None else thousand_yen(target - prior),
                     None if target is None else rate(target, prior) if prior else None,
                     prior, target, total)


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


# --- the city's bureaus -------------------------------------------------------------------------------------

DEFAULT_BUREAUS_PATH = Path(__file__).parent / "policy" / "bureaus.v1.json"
BUREAUS_SETTING = "COLLECTION_REPORT_BUREAUS_PATH"


def parse_bureaus(data: object, *, known: Iterable[str], source: str = BUREAUS_SETTING) -> dict[str, tuple[str, ...]]:
    """The city's grouping of receivables into bureaus (局), in the order published; every known receivable in
    exactly one bureau. Raises ValueError naming ``source`` (the setting or file) and the bureau or receivable."""
    if not isinstance(data, Mapping) or not isinstance(data.get("bureaus"), list) or not data["bureaus"]:
        raise ValueError(f"{source}: needs a non-empty list 'bureaus' of {{name, receivables}}")
    known_codes = set(known)
    bureaus: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for index, item in enumerate(data["bureaus"], 1):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{source}: bureau {index} needs a name")
        name = name.strip()
        if name in bureaus:
            raise ValueError(f"{source}: bureau {name!r} appears twice")
        codes = item.get("receivables")
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            raise ValueError(f"{source}: bureau {name!r} needs a non-empty list of receivable codes")
        for code in codes:
            if code not in known_codes:
                raise ValueError(f"{source}: bureau {name!r}: unknown receivable {code!r}")
            if code in owner:
                raise ValueError(f"{source}: receivable {code!r} is in bureau {owner[code]!r} and in {name!r}")
            owner[code] = name
        bureaus[name] = tuple(codes)
    unassigned = sorted(known_codes - set(owner))
    if unassigned:
        raise ValueError(f"{source}: receivable(s) {', '.join(unassigned)} belong to no bureau")
    return bureaus


def load_bureaus(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """The bureaus file named by the setting (default: the shipped sample), validated at the service's start."""
    source = f"{BUREAUS_SETTING} ({path or DEFAULT_BUREAUS_PATH})"
    try:
        data = json.loads((path or DEFAULT_BUREAUS_PATH).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{source}: cannot be read as JSON ({exc.__class__.__name__})") from None
    return parse_bureaus(data, known=RECEIVABLES, source=source)
