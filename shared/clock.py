"""One business date for every service (業務日付): the day the system works on.

Every service reads the same setting, ``BUSINESS_DATE`` (YYYY-MM-DD); unset, the business date is today in
Asia/Tokyo. A demo or a test pins it (``make up`` uses the demo city's 2025-01-31) so that collection's cases,
welfare's "suggested on" and the months in arrears, and the lawyer gateway's "today" all agree.

The per-service names used before (``COLLECTION_BUSINESS_DATE``, ``WELFARE_REFERRAL_BUSINESS_DATE``) are
deprecated aliases: still read when ``BUSINESS_DATE`` is unset, refused at start when they name another day than
``BUSINESS_DATE`` (two clocks are the bug this module removes).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
BUSINESS_DATE_VARIABLE = "BUSINESS_DATE"
DEPRECATED_VARIABLES = ("COLLECTION_BUSINESS_DATE", "WELFARE_REFERRAL_BUSINESS_DATE")


def _parse(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def configured_business_date(environ: Mapping[str, str]) -> date | None:
    """The business date the environment pins, or None (then: today in Tokyo). An empty value counts as unset.

    Raises ValueError naming the variable when a value is not a date, or when a deprecated alias names another
    day than ``BUSINESS_DATE`` or than another alias."""
    chosen: tuple[str, date] | None = None
    for name in (BUSINESS_DATE_VARIABLE, *DEPRECATED_VARIABLES):
        raw = environ.get(name, "")
        if not raw.strip():
            continue
        day = _parse(name, raw)
        if chosen is None:
            chosen = (name, day)
        elif chosen[1] != day:
            raise ValueError(f"{name}={day.isoformat()} contradicts {chosen[0]}={chosen[1].isoformat()}: every "
                             f"service runs on one business date; set {BUSINESS_DATE_VARIABLE} only "
                             f"({name} is a deprecated alias)")
    return None if chosen is None else chosen[1]


def business_date(configured: date | None, now: datetime | None = None) -> date:
    """The business date: the configured one, else the calendar date in Asia/Tokyo of ``now`` (default: the
    clock). A UTC evening is already the next morning in Tokyo."""
    if configured is not None:
        return configured
    moment = now or datetime.now(TOKYO)
    if moment.tzinfo is None:
        raise ValueError("now: a business date needs a timezone-aware time")
    return moment.astimezone(TOKYO).date()
