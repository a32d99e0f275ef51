"""The funnel report (利用勧奨 → 同意 → 引継ぎ → 支援) by period and signal, next to what was collected from the
same people afterwards. Pure: the API passes the referrals it loaded.

Why the collection figures: Toyota's point is that helping people in hardship does not cost the city its money;
the report shows, for the people referred, their arrears when the referral was suggested, their arrears now and
what they paid since, so the two sides can be read together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

from services.welfare_referral.lifecycle import Referral, funnel


@dataclass(frozen=True)
class ReferredPerson:
    """One referral with the collection figures of its debtor."""

    referral: Referral
    suggested_on: date
    signals: tuple[str, ...]
    baseline_arrears: int
    baseline_collected: int
    arrears_now: int
    collected_now: int


@dataclass(frozen=True)
class FunnelRow:
    period: str
    signal: str  # "all" or one signal id
    suggested: int
    informed: int
    consented: int
    referred: int
    acknowledged: int
    connected: int
    declined: int
    closed: int
    arrears_at_suggestion: int
    arrears_now: int
    collected_since: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def period_of(day: date, period: str) -> str:
    """``month`` → 2025-01; ``fiscal_year`` → FY2024 (the year starting 1 April); ``all`` → all."""
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if period == "fiscal_year":
        return f"FY{day.year if day.month >= 4 else day.year - 1}"
    if period == "all":
        return "all"
    raise ValueError(f"period: {period!r} is not one of month, fiscal_year, all")


def funnel_rows(people: Iterable[ReferredPerson], *, period: str = "month", by_signal: bool = True
                ) -> list[FunnelRow]:
    """One row per period for all referrals, and, with ``by_signal``, one per period and signal that fired (a
    referral with two signals counts in both signal rows, once in the ``all`` row)."""
    groups: dict[tuple[str, str], list[ReferredPerson]] = defaultdict(list)
    for person in people:
        key = period_of(person.suggested_on, period)
        groups[(key, "all")].append(person)
        if by_signal:
            for signal in person.signals:
                groups[(key, signal)].append(person)
    rows = []
    for (key, signal), members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] != "all", kv[0][1])):
        counts = funnel(p.referral for p in members)
        rows.append(FunnelRow(
            period=key, signal=signal, **asdict(counts),
            arrears_at_suggestion=sum(p.baseline_arrears for p in members),
            arrears_now=sum(p.arrears_now for p in members),
            collected_since=sum(max(p.collected_now - p.baseline_collected, 0) for p in members)))
    return rows
