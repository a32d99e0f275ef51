"""The city's rules per receivable that the law leaves to ordinance, as dated data (``policy/ordinances.v*.json``):
which 延滞金 (or 遅延損害金) a claim bears, the 督促手数料 a 督促 adds, and which receivables are local taxes.

Why data: 地方自治法231条の3第2項 lets a city charge 督促手数料 and 延滞金 on 分担金, 使用料 and the other public
claims "条例で定めるところにより", so the amount and the rates are each city's, and they change on dated
amendments. Taxes follow 地方税法 (延滞金: 地方税法326条 and 附則3条の2; the rates are in late_charge_rates); a
private claim bears 遅延損害金 at the legal rate (民法404条, 419条1項) unless a contract says otherwise.

Every receivable of the catalogue must have an entry, and each dated list must cover every day exactly once (the
first period open at the start, the last open at the end, each starting the day after the previous one ends): a
gap would leave a claim without a rule. ``check_categories`` refuses at start an entry that contradicts the
city's legal category for the receivable (a forced-collection claim without a 延滞金 rule, a private claim with a
tax 延滞金). Both errors name the setting ``COLLECTION_ORDINANCES_PATH`` and the receivable. Pure apart from
reading the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.enums import LegalCategory
from contracts.receivables import RECEIVABLES

DEFAULT_ORDINANCES_PATH = Path(__file__).parent / "policy" / "ordinances.v1.json"
SETTING = "COLLECTION_ORDINANCES_PATH"


class LateChargeScheme(StrEnum):
    """Which late charge a claim bears."""

    LOCAL_TAX = "local_tax"  # 延滞金 of 地方税法 (326条 and the parallel articles; 附則3条の2 special rates)
    ORDINANCE_TAX_PATTERN = "ordinance_tax_pattern"  # 延滞金 by ordinance on the tax pattern (same rates, rounding)
    LEGAL_RATE = "legal_rate"  # 遅延損害金 at the legal rate (民法404条, 419条1項)
    NONE = "none"  # no late charge: the ordinance provides none (state why in ``source``)


class Dated(BaseModel):
    """A period of an ordinance's rule; ``from``/``to`` null = open."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: date | None = Field(alias="from")
    end: date | None = Field(alias="to")
    source: str = Field(min_length=1, description="The ordinance and article, or the statute")

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


class LateChargePeriod(Dated):
    scheme: LateChargeScheme


class DemandFeePeriod(Dated):
    amount: int = Field(ge=0, description="督促手数料 per 督促, yen (0: the ordinance charges none)")


def _contiguous(periods: tuple[Dated, ...], where: str) -> None:
    if not periods:
        raise ValueError(f"{where}: no period")
    if periods[0].start is not None:
        raise ValueError(f"{where}: the first period must have no start (\"from\": null)")
    if periods[-1].end is not None:
        raise ValueError(f"{where}: the last period must have no end (\"to\": null)")
    for before, after in zip(periods, periods[1:], strict=False):
        if before.end is None or after.start is None or after.start != before.end + timedelta(days=1):
            raise ValueError(f"{where}: gap or overlap: the period from {after.start} must start the day after "
                             f"{before.end}")


class ReceivableOrdinance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    local_tax: bool = Field(description="A local tax (地方税): its 過誤納金 are applied to other tax arrears first "
                                        "(地方税法17条の2)")
    late_charge: tuple[LateChargePeriod, ...]
    demand_fee: tuple[DemandFeePeriod, ...]


class Ordinances(BaseModel):
    """The versioned table; validated on load."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    description: str = ""
    receivables: dict[str, ReceivableOrdinance]

    @model_validator(mode="after")
    def _complete(self) -> Ordinances:
        unknown = sorted(set(self.receivables) - set(RECEIVABLES))
        if unknown:
            raise ValueError(f"receivables: unknown receivable type(s) {unknown}")
        missing = sorted(set(RECEIVABLES) - set(self.receivables))
        if missing:
            raise ValueError(f"receivables: no ordinance entry for {missing} (延滞金 scheme and 督促手数料 amount)")
        for code, entry in self.receivables.items():
            _contiguous(entry.late_charge, f"receivables.{code}.late_charge")
            _contiguous(entry.demand_fee, f"receivables.{code}.demand_fee")
            if entry.local_tax and any(p.scheme is not LateChargeScheme.LOCAL_TAX for p in entry.late_charge):
                raise ValueError(f"receivables.{code}: a local tax bears the 延滞金 of 地方税法 (scheme local_tax)")
        return self

    def scheme(self, receivable_type: str, day: date) -> LateChargePeriod:
        """The late-charge rule in force on ``day`` (the periods cover every day: validated)."""
        return next(p for p in self.receivables[receivable_type].late_charge if p.covers(day))

    def demand_fee(self, receivable_type: str, day: date) -> int:
        """The 督促手数料 of a 督促 sent on ``day`` (地方自治法231条の3第2項; for taxes the 税条例)."""
        return next(p for p in self.receivables[receivable_type].demand_fee if p.covers(day)).amount

    def is_local_tax(self, receivable_type: str) -> bool:
        entry = self.receivables.get(receivable_type)
        return entry is not None and entry.local_tax


_ALLOWED: Mapping[LegalCategory, frozenset[LateChargeScheme]] = {
    LegalCategory.FORCED_PUBLIC: frozenset({LateChargeScheme.LOCAL_TAX, LateChargeScheme.ORDINANCE_TAX_PATTERN,
                                            LateChargeScheme.NONE}),
    LegalCategory.NON_FORCED_PUBLIC: frozenset({LateChargeScheme.ORDINANCE_TAX_PATTERN, LateChargeScheme.NONE,
                                                LateChargeScheme.LEGAL_RATE}),
    LegalCategory.PRIVATE: frozenset({LateChargeScheme.LEGAL_RATE}),
}


def check_categories(ordinances: Ordinances, categories: Mapping[str, LegalCategory | str]) -> None:
    """Refuse an entry that contradicts the city's legal category of its receivable (``categories``: receivable →
    category, the catalogue's defaults with the city's overrides). A private claim bears 遅延損害金 (民法404条)
    and no 督促手数料 (231条の3第2項 is for public claims); a local tax is a forced-collection claim."""
    for code, category in categories.items():
        entry = ordinances.receivables.get(code)
        if entry is None:
            raise ValueError(f"{SETTING}: {ordinances.version} has no entry for {code}")
        cat = LegalCategory(category)
        wrong = sorted({p.scheme.value for p in entry.late_charge} - _ALLOWED[cat])
        if wrong:
            raise ValueError(f"{SETTING}: {ordinances.version}: {code} is {cat.value} for this city, which cannot "
                             f"bear late-charge scheme {wrong}")
        if cat is LegalCategory.PRIVATE and any(p.amount for p in entry.demand_fee):
            raise ValueError(f"{SETTING}: {ordinances.version}: {code} is a private claim: no 督促手数料 "
                             "(地方自治法231条の3第2項 is for public claims)")
        if entry.local_tax and cat is not LegalCategory.FORCED_PUBLIC:
            raise ValueError(f"{SETTING}: {ordinances.version}: {code} is a local tax and must be forced_public")


def load_ordinances(path: Path | None = None) -> Ordinances:
    """The table in ``path``, by default the packaged one; a bad table is refused naming the setting."""
    source = Path(path) if path is not None else DEFAULT_ORDINANCES_PATH
    try:
        return Ordinances.model_validate_json(source.read_text(encoding="utf-8"))
    except ValidationError as bad:
        raise ValueError(f"{SETTING} ({source}): {bad}") from None


@lru_cache(maxsize=1)
def default_ordinances() -> Ordinances:
    return load_ordinances()
