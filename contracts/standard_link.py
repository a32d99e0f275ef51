"""The standard data link's layout (収滞納管理 標準連携), read from its dated, versioned spec file
(``contracts/standard_link/layout.<version>.json``): the columns, their types and each event's mandatory columns.
``render`` (the test generator and the feeds back to departments) and ``parse`` are both derived from it, so the
file is the one place the layout is written.

Rows are mappings from a column's ``field`` (``event``, ``person``, ``principal`` …) to a value: text, ``int`` for
yen, years and numbers, ``date`` for dates. ``parse`` gives each line's row or its problems, naming the column.

Versions: ``2025-04`` (``CURRENT_VERSION``, the default of ``layout``, ``render`` and ``parse``) is what
reconciliation reads (event 91 残高) and what a department still on it gets as its feed with ``?version=2025-04``;
``2026-04`` (``INCOMING_VERSION``) is the incoming link of a standardised 収滞納管理 system
(services/standard_link_adapter) and the layout of the feeds back to the departments (12 還付, 13 充当, 合計,
相当年度): every event kind, the person columns a 調定 needs for matching, and the checks
a version may declare beyond ``required``: per event ``one_of`` (at least one of the columns), ``absent`` (empty or
0), ``positive`` (more than 0), and ``sums`` (a total column must equal its parts: "amounts that do not add up").
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from contracts.receivables import RECEIVABLES
from contracts.text import NO_CONTROL_CHARACTERS

SPEC_DIR = Path(__file__).with_name("standard_link")
CURRENT_VERSION = "2025-04"
INCOMING_VERSION = "2026-04"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(NO_CONTROL_CHARACTERS)


@dataclass(frozen=True)
class Column:
    name: str  # the header, in Japanese
    field: str
    type: str  # code, text, year, integer, yen, date, receivable
    max: int | None = None
    min: int | None = None
    values: Mapping[str, str] | None = None  # a code column's codes and their meaning


@dataclass(frozen=True)
class Event:
    code: str
    name: str
    required: tuple[str, ...]  # column names
    one_of: tuple[tuple[str, ...], ...] = ()  # each group: at least one of its columns
    absent: tuple[str, ...] = ()  # columns that must be empty or 0 for this event
    positive: tuple[str, ...] = ()  # amounts that must be more than 0


@dataclass(frozen=True)
class Sum:
    total: str  # the column that must be the sum of the parts (when given)
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    version: str
    effective_from: date
    columns: tuple[Column, ...]
    events: Mapping[str, Event]
    sums: tuple[Sum, ...] = ()

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def event_code(self, name: str) -> str:
        """The code of an event by its Japanese name (収納 → 11)."""
        return next(e.code for e in self.events.values() if e.name == name)


@cache
def layout(version: str = CURRENT_VERSION) -> Layout:
    """The layout of a version, checked: every required column exists, fields and names are unique."""
    raw = json.loads((SPEC_DIR / f"layout.{version}.json").read_text(encoding="utf-8"))
    columns = tuple(Column(c["name"], c["field"], c["type"], c.get("max"), c.get("min"),
                           MappingProxyType(c["values"]) if "values" in c else None) for c in raw["columns"])
    names = [c.name for c in columns]
    if len(set(names)) != len(names) or len({c.field for c in columns}) != len(columns):
        raise ValueError(f"standard link layout {version}: column names and fields must be unique")
    events = {}
    for code, spec in raw["events"].items():
        one_of = tuple(tuple(group) for group in spec.get("one_of", ()))
        named = [*spec["required"], *(n for g in one_of for n in g), *spec.get("absent", ()), *spec.get("positive", ())]
        unknown = [n for n in named if n not in names]
        if unknown:
            raise ValueError(f"standard link layout {version}: event {code} names unknown columns {unknown}")
        events[code] = Event(code, spec["name"], tuple(spec["required"]), one_of, tuple(spec.get("absent", ())),
                             tuple(spec.get("positive", ())))  # a description may say more
    sums = tuple(Sum(s["total"], tuple(s["parts"])) for s in raw.get("sums", ()))
    if any(n not in names for s in sums for n in (s.total, *s.parts)):
        raise ValueError(f"standard link layout {version}: a sum names an unknown column")
    return Layout(raw["version"], date.fromisoformat(raw["effective_from"]), columns, MappingProxyType(events), sums)


def _text(column: Column, value: Any) -> str:
    if value is None or value == "":
        return ""
    if column.type == "date":
        if not isinstance(value, date):
            raise ValueError(f"{column.name}: a date is needed")
        return value.isoformat()
    if column.type in ("yen", "year", "integer"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{column.name}: a whole number is needed")
        return str(value)
    return str(value)


def render(rows: Sequence[Mapping[str, Any]], version: str = CURRENT_VERSION) -> bytes:
    """A file of the layout: the header, then one line a row (ValueError naming the row and the column when a
    row misses what its event requires or holds what the layout cannot carry)."""
    spec = layout(version)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(spec.header)
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - {c.field for c in spec.columns})
        if unknown:
            raise ValueError(f"row {number}: no column for {', '.join(unknown)}")
        texts = {c.name: _text(c, row.get(c.field)) for c in spec.columns}
        problems = _problems(spec, texts)
        if problems:
            raise ValueError(f"row {number}: " + "; ".join(f"{n}: {r}" for n, r in problems))
        writer.writerow([texts[c.name] for c in spec.columns])
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class ParsedLine:
    line: int
    row: dict[str, Any] | None
    problems: tuple[tuple[str, str], ...] = ()  # (column, reason); the value is never repeated


def _problems(spec: Layout, texts: Mapping[str, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    code = texts.get("レコード種別", "")
    event = spec.events.get(code)
    if event is None:
        return [("レコード種別", f"unknown event code (known: {', '.join(sorted(spec.events))})")]
    problems += [(name, f"required for {event.name} ({code})") for name in event.required if not texts.get(name)]
    problems += [(group[0], f"one of {', '.join(group)} is required for {event.name} ({code})")
                 for group in event.one_of if not any(texts.get(name) for name in group)]
    problems += [(name, f"must be empty or 0 for {event.name} ({code})") for name in event.absent
                 if texts.get(name, "") not in ("", "0")]
    problems += [(name, f"must be more than 0 for {event.name} ({code})") for name in event.positive
                 if texts.get(name, "").isascii() and texts.get(name, "").isdigit() and int(texts[name]) == 0]
    for column in spec.columns:
        value = texts.get(column.name, "")
        if not value:
            continue
        if _CONTROL.fullmatch(value) is None:
            problems.append((column.name, "holds a control character"))
        elif column.max is not None and column.type == "text" and len(value) > column.max:
            problems.append((column.name, f"longer than {column.max} characters"))
        elif column.type == "date" and (not _ISO_DATE.match(value) or not _valid_date(value)):
            problems.append((column.name, "must be a date YYYY-MM-DD"))
        elif column.type in ("yen", "year", "integer"):
            if not value.isascii() or not value.lstrip("-").isdigit():
                problems.append((column.name, "must be a whole number in ASCII digits"))
            elif column.type == "yen" and int(value) < 0:
                problems.append((column.name, "must not be negative"))
            elif column.type == "year" and not 1989 <= int(value) <= 2200:
                problems.append((column.name, "must be a 年度 between 1989 and 2200"))
            elif column.type == "integer" and not (column.min or 0) <= int(value) <= (column.max or 10**9):
                problems.append((column.name, f"must be between {column.min or 0} and {column.max}"))
        elif column.type == "receivable" and value not in RECEIVABLES:
            problems.append((column.name, "unknown 税目コード (contracts/receivables.py)"))
        elif column.values is not None and value not in column.values:
            problems.append((column.name, "unknown code (known: " + ", ".join(f"{k} {v}" for k, v in
                                                                             column.values.items()) + ")"))
    if not problems:
        problems += _sum_problems(spec, texts)
    return problems


def _sum_problems(spec: Layout, texts: Mapping[str, str]) -> list[tuple[str, str]]:
    """A total that is not the sum of its parts (checked once every amount is a valid number)."""
    problems = []
    for check in spec.sums:
        if texts.get(check.total):
            parts = sum(int(texts.get(name) or 0) for name in check.parts)
            if parts != int(texts[check.total]):
                problems.append((check.total, f"the amounts do not add up: {' + '.join(check.parts)} differs "
                                              f"from {check.total}"))
    return problems


def _valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _value(column: Column, text: str) -> Any:
    if not text:
        return None
    if column.type == "date":
        return date.fromisoformat(text)
    if column.type in ("yen", "year", "integer"):
        return int(text)
    return text


def parse(data: bytes, version: str = CURRENT_VERSION) -> Iterator[ParsedLine]:
    """Each data line as its row, or its problems naming the column (ValueError when the file is not UTF-8 or
    its header is not the layout's)."""
    spec = layout(version)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start}): the standard layout is UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header != spec.header:
        raise ValueError(f"the header is not the layout {spec.version}'s: expected {','.join(spec.header)}")
    for values in reader:
        number = reader.line_num  # the physical line the record ends on
        if not values:
            continue
        if len(values) != len(spec.columns):
            yield ParsedLine(number, None, (("(line)", f"has {len(values)} fields, the layout has "
                                                       f"{len(spec.columns)}"),))
            continue
        texts = dict(zip(spec.header, (v.strip() for v in values), strict=True))
        problems = _problems(spec, texts)
        if problems:
            yield ParsedLine(number, None, tuple(problems))
            continue
        yield ParsedLine(number, {c.field: _value(c, texts[c.name]) for c in spec.columns if texts[c.name]})
