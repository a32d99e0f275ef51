"""Dates as Japanese departmental systems write them: era (和暦) or ISO, full- or half-width.

Accepted: 令和6年4月1日, 令和元年5月1日, R06.04.01, R6/4/1, H31.4.30, 平成31年5月1日 (paper forms kept the old era
after 1 May 2019, so a date past an era's end is accepted within that era's last year), 2024-04-01,
2024/4/1, 20240401. Refused with a reason: unknown eras, era years beyond the era's last year, dates before the
era began, impossible calendar dates. Libraries were checked and rejected for this (docs/glossary.md notes why).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Era:
    name: str
    letter: str
    start: date
    last_year: int  # the era's last year number (e.g. 平成31)


ERAS: tuple[Era, ...] = (
    Era("令和", "R", date(2019, 5, 1), 99),
    Era("平成", "H", date(1989, 1, 8), 31),
    Era("昭和", "S", date(1926, 12, 25), 64),
    Era("大正", "T", date(1912, 7, 30), 15),
    Era("明治", "M", date(1868, 1, 25), 45),
)
_BY_KEY = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS}

_ERA_RE = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|明治|[RHSTM])\s*(?P<y>元|\d{1,2})\s*(?:年|[./\-])\s*(?P<m>\d{1,2})\s*(?:月|[./\-])\s*"
    r"(?P<d>\d{1,2})\s*日?$"
)
_ISO_RE = re.compile(r"^(?P<y>\d{4})\s*(?:[./\-]|年)\s*(?P<m>\d{1,2})\s*(?:[./\-]|月)\s*(?P<d>\d{1,2})\s*日?$")
_COMPACT_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")


class DateFormatError(ValueError):
    """The text is not a date we accept; the message says why, without echoing the text."""


def _make(y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise DateFormatError("no such calendar date") from None


def parse_japanese_date(text: str) -> date:
    """Parse an era or ISO date; raises DateFormatError with a reason in plain words."""
    value = unicodedata.normalize("NFKC", text).strip().upper()
    if not value:
        raise DateFormatError("empty date")
    if match := _ERA_RE.match(value):
        era = _BY_KEY[match["era"]]
        year_in_era = 1 if match["y"] == "元" else int(match["y"])
        if not 1 <= year_in_era <= era.last_year:
            raise DateFormatError(f"{era.name} has no year {year_in_era}")
        result = _make(era.start.year + year_in_era - 1, int(match["m"]), int(match["d"]))
        if result < era.start:
            raise DateFormatError(f"{era.name} began on {era.start.isoformat()}")
        return result
    if match := _ISO_RE.match(value) or _COMPACT_RE.match(value):
        return _make(int(match["y"]), int(match["m"]), int(match["d"]))
    raise DateFormatError("not a recognised date (expected e.g. 令和6年4月1日, R06.04.01 or 2024-04-01)")


def to_wareki(value: date) -> str:
    """令和6年4月1日 style, with 元年 for the first year; used on notices and in docs."""
    for era in ERAS:
        if value >= era.start:
            year = value.year - era.start.year + 1
            return f"{era.name}{'元' if year == 1 else year}年{value.month}月{value.day}日"
    raise ValueError("dates before 明治 are not supported")


_FISCAL_YEAR_RE = re.compile(r"^(?:(?P<gy>\d{4})|(?P<era>令和|平成|昭和|大正|明治|[RHSTM])\s*(?P<y>元|\d{1,2}))\s*(?:年度|年)?$")


def parse_fiscal_year(text: str) -> int:
    """年度 as departments write it → the Gregorian year it starts in (1 April): 2024, 2024年度, 令和6, R6, R06,
    令和6年度 → 2024. An era's first year is its fiscal year's official name even when the era began after 1 April
    (令和元年度 = 1 April 2019 – 31 March 2020, although 令和 began on 1 May 2019; 平成元年度 = FY1989), so the
    year is counted from the era's first calendar year, not from the date the era began. 平成31年度 and 令和元年度
    name the same fiscal year (both are in use). Raises DateFormatError with a reason."""
    value = unicodedata.normalize("NFKC", text).strip().upper()
    match = _FISCAL_YEAR_RE.match(value)
    if not match:
        raise DateFormatError("must be a fiscal year such as 2024, 令和6, R6 or 令和元年度")
    if match["gy"]:
        return int(match["gy"])
    era = _BY_KEY[match["era"]]
    year_in_era = 1 if match["y"] == "元" else int(match["y"])
    if not 1 <= year_in_era <= era.last_year:
        raise DateFormatError(f"{era.name} has no year {year_in_era}")
    return era.start.year + year_in_era - 1
