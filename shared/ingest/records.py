"""Parsed exports and field reading for adapters. No I/O.

A ``FieldReader`` wraps one source record (a CSV row, a fixed-width record, a JSON object) and collects every
problem of that record, each naming the field and the reason in plain words, never the value (it may be a
name or an address).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from calendar import monthrange
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TypeVar
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from contracts import Department, Envelope, Payload, new_envelope
from shared.japanese_dates import DateFormatError, parse_japanese_date

TOKYO = ZoneInfo("Asia/Tokyo")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that was not accepted: where it is (line or record number), its raw text, every problem."""

    line: int
    raw: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Accepted:
    line: int
    key: str
    message: Envelope


@dataclass
class ParsedExport:
    """The result of parsing one export. ``import_key`` identifies the content (source system + SHA-256), so
    the same file imported twice is recognised as the same import."""

    source_system: str
    file_name: str
    import_key: str
    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def records_read(self) -> int:
        return len(self.accepted) + len(self.rejected)


class ExportFormatError(ValueError):
    """The export as a whole cannot be read (wrong encoding, missing columns, not JSON); nothing is published."""


class RecordProblems(Exception):
    """Raised while building a record to reject it with the problems found so far."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))


def decode_lines(data: bytes, encoding: str) -> Iterator[tuple[int, str | None, bytes]]:
    """(line number, text or None when undecodable, raw bytes) of every non-empty physical line, decoded one by
    one so that a single undecodable line is rejected alone. (Byte encodings like CP932 never use the bytes of
    a line break inside a character, so splitting before decoding is safe.)"""
    for number, raw in enumerate(data.splitlines(), start=1):
        if raw.strip():
            try:
                yield number, raw.decode(encoding), raw
            except UnicodeDecodeError:
                yield number, None, raw


def looks_utf8(data: bytes) -> bool:
    """Valid UTF-8 that is not plain ASCII: a file saved as UTF-8 where CP932 was expected (CP932 with kanji is
    practically never valid UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not text.isascii()


def names_by_value(mapping: Mapping[str, T]) -> dict[T, str]:
    """Invert a source-name → value table for rendering; the first name listed for a value wins."""
    inverse: dict[T, str] = {}
    for name, value in mapping.items():
        inverse.setdefault(value, name)
    return inverse


def monthly_schedule(total: int, count: int, first_due: date) -> list[dict[str, object]]:
    """分納 as departments write it (total, count, first due date): ``count`` monthly installments on the same
    day of the month from ``first_due`` (the month's last day when shorter); the remainder of the division is
    paid with the first installment."""
    base, remainder = divmod(total, count)
    schedule = []
    for i in range(count):
        month_index = first_due.month - 1 + i
        year, month = first_due.year + month_index // 12, month_index % 12 + 1
        day = min(first_due.day, monthrange(year, month)[1])
        schedule.append({"due_date": date(year, month, day), "amount": base + (remainder if i == 0 else 0)})
    return schedule


def import_key(source_system: str, data: bytes) -> str:
    return f"import:{source_system}:{hashlib.sha256(data).hexdigest()[:24]}"


def fold(text: str | None) -> str:
    """NFKC (full-width digits and letters to half-width, half-width kana to full-width) and trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


class FieldReader:
    """Typed access to one record's fields that collects every problem instead of stopping at the first."""

    def __init__(self, values: Mapping[str, object], *, context: str = ""):
        self.values = values
        self.context = context  # e.g. "for 調定": appended to "is required"
        self.problems: list[Problem] = []

    def add(self, name: str, reason: str) -> None:
        self.problems.append(Problem(name, reason))

    def raw(self, name: str) -> str:
        value = self.values.get(name)
        return "" if value is None else str(value)

    def present(self, name: str) -> bool:
        return bool(self.raw(name).strip())

    def text(self, name: str, *, required: bool = True, fold_width: bool = True) -> str | None:
        value = fold(self.raw(name)) if fold_width else self.raw(name).strip()
        if not value:
            if required:
                self.add(name, f"is required{(' ' + self.context) if self.context else ''}")
            return None
        return value

    def choice(self, name: str, options: Mapping[str, T], *, required: bool = True) -> T | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if value not in options:
            self.add(name, f"unknown value; expected one of {', '.join(options)}")
            return None
        return options[value]

    def date(self, name: str, *, required: bool = True) -> date | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        try:
            return parse_japanese_date(value)
        except DateFormatError as exc:
            self.add(name, str(exc))
            return None

    def amount(self, name: str, *, signed: bool = False, required: bool = True) -> int | None:
        """Whole yen. Accepts digit grouping, ¥ and 円; refuses decimals, words and (unless signed) zero or less."""
        value = self.values.get(name)
        if isinstance(value, bool) or isinstance(value, float):
            self.add(name, "must be whole yen (no decimals)" if isinstance(value, float) else "is not an amount in yen")
            return None
        if isinstance(value, int):
            cleaned = str(value)
        else:
            text = self.text(name, required=required)
            if text is None:
                return None
            cleaned = re.sub(r"[,\s]|円$|^[¥\\]", "", text)
        if not re.fullmatch(r"[+-]?\d+", cleaned):
            decimal = re.fullmatch(r"[+-]?\d+\.\d+", cleaned)
            self.add(name, "must be whole yen (no decimals)" if decimal else "is not an amount in yen")
            return None
        amount = int(cleaned)
        if not signed and amount <= 0:
            self.add(name, "must be a positive amount")
            return None
        if signed and amount == 0:
            self.add(name, "must not be 0")
            return None
        return amount

    def integer(self, name: str, *, low: int, high: int, required: bool = True) -> int | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not value.isdigit() or not low <= int(value) <= high:
            self.add(name, f"must be a whole number from {low} to {high}")
            return None
        return int(value)

    def fiscal_year(self, name: str) -> int | None:
        """2024, 令和6, R6 or R06 → 2024."""
        value = self.text(name)
        if value is None:
            return None
        if re.fullmatch(r"\d{4}", value):
            return int(value)
        try:
            return parse_japanese_date(f"{value}年4月1日").year
        except DateFormatError:
            self.add(name, "must be a fiscal year such as 2024, 令和6 or R6")
            return None

    def check(self) -> None:
        """Reject the record if any problem was found."""
        if self.problems:
            raise RecordProblems(self.problems)


@dataclass
class ExportBuilder:
    """Collects accepted and rejected records of one export and wraps accepted payloads in envelopes."""

    source_system: str
    department: Department
    file_name: str
    data: bytes
    produced_at: Callable[[], datetime]
    result: ParsedExport = field(init=False)

    def __post_init__(self) -> None:
        self.result = ParsedExport(self.source_system, self.file_name, import_key(self.source_system, self.data))

    def reject(self, line: int, raw: str, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.result.rejected.append(Rejection(line, raw, tuple(problems)))

    def accept(
        self,
        line: int,
        raw: str,
        payload_cls: type[Payload],
        fields: dict[str, object],
        *,
        source_keys: tuple[str, ...],
        occurred_on: date,
        field_names: Mapping[str, str] | None = None,
    ) -> None:
        """Validate ``fields`` as ``payload_cls``; accept it, or reject the record naming the source fields.

        ``field_names`` maps payload field names to the source's column names for error messages."""
        try:
            payload = payload_cls.model_validate(fields)
        except ValidationError as exc:
            names = field_names or {}
            problems = []
            for err in exc.errors(include_input=False, include_url=False):
                location = [str(p) for p in err["loc"]]
                label = next((names[p] for p in reversed(location) if p in names), ".".join(location) or "record")
                problems.append(Problem(label, err["msg"]))
            self.reject(line, raw, problems)
            return
        message = new_envelope(
            payload,
            source_system=self.source_system,
            department=self.department,
            occurred_at=datetime.combine(occurred_on, time(0), TOKYO),
            correlation_id=self.result.import_key,
            source_keys=source_keys,
            produced_at=self.produced_at(),
        )
        person_id = payload.person.source_person_id  # type: ignore[attr-defined]
        self.result.accepted.append(Accepted(line, f"{self.department.value}:{person_id}", message))
