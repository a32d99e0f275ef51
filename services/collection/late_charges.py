"""Late charges: 延滞金 on forced-collection public claims and 遅延損害金 on private claims.

Every rate is dated data in ``policy/late_charge_rates.v*.json`` (``load_late_charge_rates``), never a literal
here: the 延滞金特例基準割合 changes every year and the legal rate every three. A year or date the table does not
cover raises ``LookupError`` naming it, so a missing announcement stops the computation instead of being guessed.
Pure: no I/O except reading that file.

延滞金 (``late_charge``, 地方税法326条 pattern):
- days run from the day after the due date (納期限の翌日) to the payment date, both counted; ``as_of`` is treated
  as the payment date of what is still unpaid. A principal payment reduces the principal from the day after it
  was paid (the day of payment still bears the charge on the amount paid);
- each day takes the rate of its calendar year and of its phase: ``reduced`` from the day after the due date
  until 1月を経過する日 (``reduced_period_end``), ``full`` afterwards; before 2000 the statutory 7.3% / 14.6%;
- the year has 365 days, leap years too (年365日当たりの割合);
- each segment's base is its principal rounded down to 1,000 yen, nothing when under 2,000 yen; the segments'
  exact amounts are summed unrounded and the sum is rounded once: down to 100 yen, dropped when under 1,000 yen
  (地方税法20条の4の2). The thresholds are data in the table.

遅延損害金 (``delay_damages``, 民法404条, 419条1項): the legal rate in force on the first day of the delay applies to
the whole delay (a claim in delay before 2020-04-01 keeps 5% after it, 改正法附則17条3項); 365-day year; rounded
down to the yen.

徴収猶予 and 換価の猶予 (``graces``: the periods granted, 地方税法15条, 15条の5, 15条の6): for each day of a grace the
延滞金 is halved (地方税法15条の9第1項: 猶予期間に対応する延滞金額の2分の1を免除), and where the year's
猶予特例基準割合 (平均貸付割合 + 0.5%; the 特例基準割合 itself before 2021) is lower, the rate is that
(附則3条の2: the amount above it is exempted too). So a grace day bears min(rate ÷ 2, grace rate): 8.7% → 0.9% in
2022–2025. The full exemption 15条の9 allows for disasters and illness is a decision per case, not computed here.

Which charge a receivable bears is the city's ordinance data (``ordinances.py``): ``charge_for_receivable`` picks
the scheme in force on the first day of delay.

The due date passed in is the effective 納期限 (already moved past a weekend or holiday).

All arithmetic is exact (``Fraction`` of integers and ``Decimal`` percentages), never float.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from math import floor
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts import LegalCategory
from services.collection.ordinances import LateChargeScheme, Ordinances, default_ordinances

DEFAULT_RATES_PATH = Path(__file__).parent / "policy" / "late_charge_rates.v1.json"

# 地方税法附則3条の2, used only to check the table's arithmetic on load: 2000–2013 the 特例基準割合 replaced the
# 7.3% alone; from 2014 the rates are 特例基準割合 + 1% and + 7.3% (from 2021 named 延滞金特例基準割合).
_CURRENT_FORMULA_FROM = 2014
_GRACE_RATE_FROM = 2021  # 猶予特例基準割合 = 平均貸付割合 + 0.5% (附則3条の2, 2021 wording)
_STATUTORY_REDUCED, _STATUTORY_FULL = Decimal("7.3"), Decimal("14.6")


class ChargeKind(StrEnum):
    """Which charge a result is, since the two follow different laws and roundings."""

    TAX_LATE_CHARGE = "tax_late_charge"  # 延滞金
    DELAY_DAMAGES = "delay_damages"  # 遅延損害金
    NONE = "none"  # no charge for this category


class Phase(StrEnum):
    """Which rate a day bears."""

    REDUCED = "reduced"  # 延滞金: 納期限の翌日から1月を経過する日まで
    FULL = "full"  # 延滞金: 1月を経過した日以後
    LEGAL = "legal"  # 遅延損害金: the legal rate
    GRACE = "grace"  # 延滞金 during 徴収猶予・換価の猶予 (地方税法15条の9)


# --- the table ---------------------------------------------------------------------------------------------


class Rounding(BaseModel):
    """How base and charge are rounded; data so that an ordinance with other thresholds is one edit away."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_unit: int = Field(ge=1)
    base_minimum: int = Field(ge=0)
    charge_unit: int = Field(ge=1)
    charge_minimum: int = Field(ge=0)
    source: str = Field(min_length=1)

    def base(self, principal: int) -> int:
        """計算の基礎: the principal rounded down to the unit, 0 when under the minimum."""
        if principal < self.base_minimum:
            return 0
        return principal // self.base_unit * self.base_unit

    def charge(self, total: Fraction) -> int:
        """The exact total rounded down to the unit, 0 when under the minimum."""
        yen = floor(total)
        if yen < self.charge_minimum:
            return 0
        return yen // self.charge_unit * self.charge_unit


class StatutoryRates(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    until_year: int
    reduced: Decimal
    full: Decimal
    source: str = Field(min_length=1)
    grace: None = None  # before 2000 a grace day bears half the rate only (地方税法15条の9)


class YearRates(BaseModel):
    """One calendar year's 延滞金 rates, percent a year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    special_base_rate: Decimal  # 延滞金特例基準割合 (特例基準割合 before 2021)
    reduced: Decimal  # 納期限の翌日から1月を経過する日まで
    full: Decimal  # その後
    grace: Decimal  # 猶予特例基準割合 (from 2021; 特例基準割合 before): the cap on a 猶予 day's rate
    source: str = Field(min_length=1)


class TaxLateChargeRates(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    year_days: int = Field(ge=365, le=366)
    statutory: StatutoryRates
    years: dict[int, YearRates]
    rounding: Rounding

    @model_validator(mode="after")
    def _rates_follow_the_formula(self) -> TaxLateChargeRates:
        """A typo in a rate would silently mischarge every debtor: recompute each year from its base rate."""
        for year, rates in self.years.items():
            if year <= self.statutory.until_year:
                raise ValueError(f"years[{year}]: the statutory rates apply until {self.statutory.until_year}")
            if year >= _CURRENT_FORMULA_FROM:
                expected = (min(_STATUTORY_REDUCED, rates.special_base_rate + 1),
                            min(_STATUTORY_FULL, rates.special_base_rate + Decimal("7.3")))
            else:
                expected = (min(_STATUTORY_REDUCED, rates.special_base_rate), _STATUTORY_FULL)
            if (rates.reduced, rates.full) != expected:
                raise ValueError(f"years[{year}]: reduced/full {rates.reduced}/{rates.full} do not follow from "
                                 f"special_base_rate {rates.special_base_rate} (expected {expected[0]}/{expected[1]})")
            grace = rates.special_base_rate - Decimal("0.5") if year >= _GRACE_RATE_FROM else rates.special_base_rate
            if rates.grace != grace:
                raise ValueError(f"years[{year}]: grace {rates.grace} does not follow from special_base_rate "
                                 f"{rates.special_base_rate} (expected {grace}: 猶予特例基準割合 = 平均貸付割合 + 0.5%)")
        years = sorted(self.years)
        missing = sorted(set(range(years[0], years[-1] + 1)) - set(years)) if years else []
        if missing:
            raise ValueError(f"years: no rates for {missing}: a gap in the table would stop every charge over it")
        return self


class LegalRatePeriod(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: date | None = Field(alias="from")  # None: since before any claim
    end: date | None = Field(alias="to")  # None: open-ended
    rate: Decimal
    source: str = Field(min_length=1)


class DelayDamageRates(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    year_days: int = Field(ge=365, le=366)
    legal_rates: tuple[LegalRatePeriod, ...] = Field(min_length=1)
    rounding: Rounding

    @model_validator(mode="after")
    def _periods_are_contiguous(self) -> DelayDamageRates:
        """Gaps or overlaps would make the rate of a day ambiguous."""
        periods = self.legal_rates
        if periods[0].start is not None:
            raise ValueError("legal_rates: the first period must have no start (\"from\": null)")
        for before, after in zip(periods, periods[1:], strict=False):
            if before.end is None or after.start is None or after.start != before.end + timedelta(days=1):
                raise ValueError(f"legal_rates: the period from {after.start} must start the day after {before.end}")
        return self


class LateChargeRates(BaseModel):
    """The versioned rate table (``late_charge_rates.v*.json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    verify: str = Field(min_length=1)
    tax_late_charge: TaxLateChargeRates
    delay_damages: DelayDamageRates

    def tax_rate(self, year: int, phase: Phase) -> Decimal:
        """The 延滞金 rate (percent a year) of ``year`` in ``phase``; LookupError when the year is missing."""
        table = self.tax_late_charge
        if year <= table.statutory.until_year:
            rates: StatutoryRates | YearRates = table.statutory
        elif year in table.years:
            rates = table.years[year]
        else:
            raise LookupError(f"no 延滞金 rate for {year} in {self.version}.json: add it")
        return rates.reduced if phase is Phase.REDUCED else rates.full

    def grace_rate(self, year: int, phase: Phase) -> Decimal:
        """The rate of a day of 徴収猶予・換価の猶予: half the normal rate (地方税法15条の9第1項), capped at the
        year's 猶予特例基準割合 (附則3条の2)."""
        half = self.tax_rate(year, phase) / 2
        table = self.tax_late_charge
        cap = None if year <= table.statutory.until_year else table.years[year].grace
        return half if cap is None else min(half, cap)

    def legal_rate(self, day: date) -> Decimal:
        """The legal rate (法定利率, percent a year) in force on ``day``; LookupError when no period covers it."""
        for period in self.delay_damages.legal_rates:
            if (period.start is None or period.start <= day) and (period.end is None or day <= period.end):
                return period.rate
        raise LookupError(f"no 法定利率 (遅延損害金) for {day.isoformat()} in {self.version}.json: add it")


def load_late_charge_rates(path: Path | None = None) -> LateChargeRates:
    """The table in ``path``, by default the packaged ``policy/late_charge_rates.v1.json``."""
    source = Path(path) if path is not None else DEFAULT_RATES_PATH
    return LateChargeRates.model_validate_json(source.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_late_charge_rates() -> LateChargeRates:
    """The packaged table, read once (the model is frozen, so sharing it is safe)."""
    return load_late_charge_rates()


# --- results -----------------------------------------------------------------------------------------------


_PHASE_WORDS = {Phase.REDUCED: "within one month (1月を経過する日まで)", Phase.FULL: "after one month",
                Phase.LEGAL: "legal rate (法定利率)",
                Phase.GRACE: "猶予期間: half, capped at the 猶予特例基準割合 (地方税法15条の9, 附則3条の2)"}


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of days with the same principal, year and phase: one line of the explanation to the debtor."""

    start: date
    end: date  # inclusive
    days: int
    principal: int  # the unpaid principal during the run
    base: int  # 計算の基礎: the principal after the base rounding
    rate: Decimal  # percent a year
    phase: Phase
    amount: Fraction  # exact: base × rate / 100 × days / year_days

    def describe(self, year_days: int = 365) -> str:
        return (f"{self.start.isoformat()}–{self.end.isoformat()} {self.days} days: {self.base:,} yen × {self.rate}%"
                f" × {self.days}/{year_days} = {_yen(self.amount)} yen ({_PHASE_WORDS[self.phase]})")


@dataclass(frozen=True, slots=True)
class LateChargeResult:
    kind: ChargeKind
    total: Fraction  # exact, unrounded sum of the segments
    rounded_total: int  # what is charged, after the rounding of the kind
    segments: tuple[Segment, ...]
    notes: tuple[str, ...] = ()  # why something is not charged (thresholds, no ordinance)
    year_days: int = 365
    rates_version: str = ""  # the table the rates came from, for the audit trail

    def explain(self) -> str:
        """The computation in words, for staff and for the debtor's statement."""
        lines = [segment.describe(self.year_days) for segment in self.segments]
        lines.append(f"total {_yen(self.total)} yen → charged {self.rounded_total:,} yen"
                     + (f" (rates: {self.rates_version})" if self.rates_version else ""))
        lines.extend(self.notes)
        return "\n".join(lines)


def _yen(amount: Fraction) -> str:
    """Two decimals, truncated: for display only, the computation keeps the exact fraction."""
    shown = (Decimal(amount.numerator) / Decimal(amount.denominator)).quantize(Decimal("0.01"), ROUND_DOWN)
    return f"{shown:,}"


# --- computation -------------------------------------------------------------------------------------------


def reduced_period_end(due_date: date) -> date:
    """1月を経過する日: the last day of the reduced-rate phase, by 民法140条 and 143条.

    The period starts on the day after the due date (起算日). Starting on the 1st, it ends at the end of that
    month; otherwise on the day before the corresponding day of the next month, or that month's last day when the
    corresponding day does not exist. In effect: the due date's day number in the next month, capped at the
    month's end, and the next month's end when the due date is a month end (2024-01-31 → 2024-02-29,
    2024-04-30 → 2024-05-31, 2024-01-30 → 2024-02-29, 2024-05-15 → 2024-06-15).
    """
    _check_date(due_date, "due_date")
    start = due_date + timedelta(days=1)
    if start.day == 1:
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return date(year, month, last)
    return date(year, month, start.day) - timedelta(days=1)


def late_charge(principal: int, due_date: date, as_of: date, *, payments: Iterable[tuple[date, int]] = (),
                table: LateChargeRates | None = None,
                graces: Iterable[tuple[date, date | None]] = ()) -> LateChargeResult:
    """延滞金 on ``principal`` yen due on ``due_date``, as if the rest were paid on ``as_of``.

    ``payments``: (paid_on, amount) payments of principal; those after ``as_of`` are not counted yet.
    ``graces``: (first day, last day or None while in force) of each 徴収猶予・換価の猶予 granted.
    """
    table = table if table is not None else default_late_charge_rates()
    rules = table.tax_late_charge
    reduced_end = reduced_period_end(due_date)
    periods = _checked_graces(graces)

    def in_grace(day: date) -> bool:
        return any(first <= day and (last is None or day <= last) for first, last in periods)

    def rate_of(day: date) -> tuple[Decimal, Phase]:
        phase = Phase.REDUCED if day <= reduced_end else Phase.FULL
        if in_grace(day):
            return table.grace_rate(day.year, phase), Phase.GRACE
        return table.tax_rate(day.year, phase), phase

    def cuts(start: date, end: date) -> set[date]:
        """Rates change on 1 January, on the day after 1月を経過する日 and where a grace starts or ends."""
        days = {date(year, 1, 1) for year in range(start.year + 1, end.year + 1)}
        days.add(reduced_end + timedelta(days=1))
        for first, last in periods:
            days.add(first)
            if last is not None:
                days.add(last + timedelta(days=1))
        return days

    return _accrue(ChargeKind.TAX_LATE_CHARGE, principal, due_date, as_of, payments, rules.rounding,
                   rules.year_days, rate_of, cuts, table.version)


def delay_damages(principal: int, due_date: date, as_of: date, *, payments: Iterable[tuple[date, int]] = (),
                  table: LateChargeRates | None = None) -> LateChargeResult:
    """遅延損害金 on a private claim of ``principal`` yen due on ``due_date``, as if the rest were paid on ``as_of``.

    The legal rate of the first day of delay applies to the whole delay (民法419条1項), so only payments split it.
    """
    table = table if table is not None else default_late_charge_rates()
    rules = table.delay_damages
    fixed: list[Decimal] = []  # looked up once, and only if something accrues

    def rate_of(_day: date) -> tuple[Decimal, Phase]:
        if not fixed:
            fixed.append(table.legal_rate(due_date + timedelta(days=1)))
        return fixed[0], Phase.LEGAL

    return _accrue(ChargeKind.DELAY_DAMAGES, principal, due_date, as_of, payments, rules.rounding,
                   rules.year_days, rate_of, lambda _start, _end: set(), table.version)


def charge_for(claim_category: str, principal: int, due_date: date, as_of: date, *,
               payments: Iterable[tuple[date, int]] = (), table: LateChargeRates | None = None,
               ordinance_late_charge: bool = False) -> LateChargeResult:
    """The late charge the law gives a claim of ``claim_category`` (債権の分類).

    forced_public → 延滞金; private → 遅延損害金; non_forced_public → 延滞金 only when the city's ordinance provides
    it (``ordinance_late_charge=True``), otherwise nothing: whether to claim 遅延損害金 on such a claim in court is a
    decision for the lawyers, not a default to compute.
    """
    try:
        category = LegalCategory(claim_category)
    except ValueError:
        raise ValueError(f"claim_category: must be one of {[c.value for c in LegalCategory]}, "
                         f"got {claim_category!r}") from None
    if category is LegalCategory.FORCED_PUBLIC:
        return late_charge(principal, due_date, as_of, payments=payments, table=table)
    if category is LegalCategory.PRIVATE:
        return delay_damages(principal, due_date, as_of, payments=payments, table=table)
    if ordinance_late_charge:
        return late_charge(principal, due_date, as_of, payments=payments, table=table)
    _check_amount(principal, "principal", allow_zero=True)
    _check_date(due_date, "due_date")
    _check_date(as_of, "as_of")
    note = "非強制徴収公債権: no 延滞金 without an ordinance providing it (ordinance_late_charge=False)"
    return LateChargeResult(ChargeKind.NONE, Fraction(0), 0, (), (note,))


def _accrue(kind: ChargeKind, principal: int, due_date: date, as_of: date, payments: Iterable[tuple[date, int]],
            rounding: Rounding, year_days: int, rate_of: Callable[[date], tuple[Decimal, Phase]],
            cuts: Callable[[date, date], set[date]], version: str) -> LateChargeResult:
    """Split [day after due date, as_of] where principal, year or phase changes; sum exactly; round once."""
    _check_amount(principal, "principal", allow_zero=True)
    _check_date(due_date, "due_date")
    _check_date(as_of, "as_of")
    paid = _checked_payments(payments, principal, as_of)
    start, end = due_date + timedelta(days=1), as_of
    segments: list[Segment] = []
    notes: list[str] = []
    if start <= end:
        boundaries = {day for day in cuts(start, end) if start < day <= end}
        boundaries |= {paid_on + timedelta(days=1) for paid_on, _ in paid if start <= paid_on < end}
        edges = [start, *sorted(boundaries), end + timedelta(days=1)]
        for first, after in zip(edges, edges[1:], strict=False):
            remaining = principal - sum(amount for paid_on, amount in paid if paid_on < first)
            if remaining == 0:
                break
            base = rounding.base(remaining)
            if base == 0:
                note = (f"from {first.isoformat()} the principal {remaining:,} yen is under the "
                        f"{rounding.base_minimum:,}-yen minimum: no charge")
                if note not in notes:
                    notes.append(note)
                continue
            rate, phase = rate_of(first)
            days = (after - first).days
            amount = Fraction(base) * Fraction(rate) * days / (100 * year_days)
            segments.append(Segment(first, after - timedelta(days=1), days, remaining, base, rate, phase, amount))
    total = sum((segment.amount for segment in segments), Fraction(0))
    rounded = rounding.charge(total)
    if total and not rounded:
        notes.append(f"the total {_yen(total)} yen is under the {rounding.charge_minimum:,}-yen minimum: dropped")
    return LateChargeResult(kind, total, rounded, tuple(segments), tuple(notes), year_days, version)


def _checked_graces(graces: Iterable[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    checked = []
    for index, (first, last) in enumerate(graces):
        _check_date(first, f"graces[{index}].first")
        if last is not None and _check_date(last, f"graces[{index}].last") < first:
            raise ValueError(f"graces[{index}]: ends {last} before it starts {first}")
        checked.append((first, last))
    return checked


def charge_for_receivable(receivable_type: str, principal: int, due_date: date, as_of: date, *,
                          ordinances: Ordinances | None = None, payments: Iterable[tuple[date, int]] = (),
                          table: LateChargeRates | None = None,
                          graces: Iterable[tuple[date, date | None]] = ()) -> LateChargeResult:
    """The late charge a claim of ``receivable_type`` bears by the city's ordinance data (ordinances.py), the
    scheme in force on the first day of delay deciding: 延滞金 of 地方税法 or of an ordinance on its pattern
    (地方自治法231条の3第2項), with ``graces`` halving it (地方税法15条の9); 遅延損害金 at the legal rate (民法404条);
    or none where the ordinance provides none."""
    ordinances = ordinances if ordinances is not None else default_ordinances()
    _check_date(due_date, "due_date")
    period = ordinances.scheme(receivable_type, due_date + timedelta(days=1))
    if period.scheme in (LateChargeScheme.LOCAL_TAX, LateChargeScheme.ORDINANCE_TAX_PATTERN):
        result = late_charge(principal, due_date, as_of, payments=payments, table=table, graces=graces)
        return replace(result, notes=(*result.notes, f"延滞金: {period.source}"))
    if period.scheme is LateChargeScheme.LEGAL_RATE:
        return delay_damages(principal, due_date, as_of, payments=payments, table=table)
    _check_amount(principal, "principal", allow_zero=True)
    _check_date(as_of, "as_of")
    return LateChargeResult(ChargeKind.NONE, Fraction(0), 0, (), (f"no late charge: {period.source}",))


def _checked_payments(payments: Iterable[tuple[date, int]], principal: int, as_of: date) -> list[tuple[date, int]]:
    """The payments made by ``as_of``, sorted; they may not exceed the principal."""
    checked: list[tuple[date, int]] = []
    for index, payment in enumerate(payments):
        paid_on, amount = payment
        _check_date(paid_on, f"payments[{index}].paid_on")
        _check_amount(amount, f"payments[{index}].amount")
        if paid_on <= as_of:
            checked.append((paid_on, amount))
    checked.sort(key=lambda payment: payment[0])
    total = sum(amount for _, amount in checked)
    if total > principal:
        raise ValueError(f"payments: {total:,} yen of principal paid, more than the principal {principal:,} yen")
    return checked


def _check_amount(amount: object, field: str, *, allow_zero: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"{field}: must be an integer amount of yen, got {amount!r}")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValueError(f"{field}: must be a {'non-negative' if allow_zero else 'positive'} amount of yen, "
                         f"got {amount}")
    return amount


def _check_date(day: object, field: str) -> date:
    """Calendar dates only: a datetime would carry a time zone question this module must not answer."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValueError(f"{field}: must be a calendar date, got {day!r}")
    return day


__all__ = [
    "DEFAULT_RATES_PATH", "ChargeKind", "LateChargeRates", "LateChargeResult", "Phase", "Segment", "charge_for",
    "charge_for_receivable",
    "default_late_charge_rates", "delay_damages", "late_charge", "load_late_charge_rates", "reduced_period_end",
]
