"""Parsed exports and field reading for adapters. No I/O.

A ``FieldReader`` wraps one source record (a CSV row, a fixed-width record, a JSON object) and collects every
problem of that record, each naming the field and the reason in plain words, never the value (it may be a
name or an address).
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from calendar import monthrange
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from contracts import Department, Envelope, Payload, new_envelope
from contracts.keys import SEPARATOR, is_primary, looks_qualified, qualified_fields, source_keys_of
from contracts.sources import key_space_of
from shared.japanese_dates import DateFormatError, parse_fiscal_year, parse_japanese_date

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

    @property
    def accepted_total(self) -> int:
        return len(self.accepted)

    def iter_accepted(self) -> Iterator[Accepted]:
        return iter(self.accepted)


class SeenRecords(Protocol):
    """Where an export's accepted message ids are remembered for the repeated-key check (a dict will do):
    ``setdefault`` stores ``value`` unless the key is there, and returns what the key holds (as dict's does)."""

    def setdefault(self, key: bytes, value: tuple[int, bytes], /) -> tuple[int, bytes]: ...


@dataclass
class ImportContext:
    """Set while one export is parsed in pieces (shared/ingest/streaming.py): every piece's records carry the
    whole file's import key, a repeated source key is found across pieces, and line numbers are the file's."""

    import_key: str
    # message id → (first line, payload digest): a dict, or for a streamed file a store on disk (streaming.py)
    seen: SeenRecords = field(default_factory=dict)
    line_offset: int = 0


CURRENT_IMPORT: ContextVar[ImportContext | None] = ContextVar("current_import", default=None)


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


def canonical_records(data: bytes) -> Iterator[bytes]:
    """The records of a line-based export as the import key sees them: every non-blank physical line without its
    line ending, a leading byte-order mark or a DOS end-of-file byte. Two files that differ only there (CRLF
    re-sent as LF, a trailing blank line) hold the same records."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    for line in body.splitlines():
        if line.strip(b" \t\x1a"):
            yield line


def import_key(source_system: str, data: bytes) -> str:
    """Identifies an import by its records, not its bytes (``canonical_records``): the same rows sent again with
    other line endings are recognised as the same import and publish nothing."""
    digest = hashlib.sha256()
    for line in canonical_records(data):
        digest.update(line)
        digest.update(b"\n")
    return f"import:{source_system}:{digest.hexdigest()[:24]}"


CSV_FIELD_LIMIT = csv.field_size_limit()
# C0 control characters and DEL: no departmental export writes them in a field, and PostgreSQL text cannot hold
# NUL, so a record with one would be published and then dead-lettered downstream.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def control_character_problem(value: str) -> str | None:
    """Why a field's text cannot be accepted (a line break or another control character), or None."""
    if _LINE_BREAKS.search(value):
        return "holds a line break"
    found = CONTROL_CHARACTERS.search(value)
    if found:
        return f"holds a control character (U+{ord(found.group()):04X})"
    return None


def csv_values(text: str) -> list[str]:
    """The fields of one CSV line; raises RecordProblems for a field over the csv module's limit (the line
    alone is rejected, the rest of the file still goes through) or a line csv cannot read."""
    try:
        return next(csv.reader([text]), [])
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise RecordProblems([Problem("(line)", f"a field is longer than {CSV_FIELD_LIMIT:,} characters")]) \
                from None
        raise RecordProblems([Problem("(line)", "is not a readable CSV line")]) from None


def open_quote(text: str) -> bool:
    """A line whose quotes do not close: its last field continues on the next physical line (a quoted line
    break; doubled quotes inside a field count twice, so the parity says whether a quote is still open)."""
    return text.count('"') % 2 == 1


def join_quoted_lines(lines: list[tuple[int, str | None, bytes]], *, max_join: int = 50
                      ) -> Iterator[tuple[int, str | None, bytes, int]]:
    """Physical lines joined where a quoted field holds a line break: (first line, text, raw bytes, last line).
    The joined text holds the break, so the field is named when it is rejected ("holds a line break"); a quote
    that does not close within ``max_join`` lines is left alone (the line is rejected as it is)."""
    i = 0
    while i < len(lines):
        number, text, raw = lines[i]
        if text is not None and open_quote(text):
            end, joined, joined_raw = i, text, raw
            while open_quote(joined) and end + 1 < len(lines) and end + 1 - i < max_join \
                    and lines[end + 1][1] is not None:
                end += 1
                joined, joined_raw = joined + "\n" + str(lines[end][1]), joined_raw + b"\n" + lines[end][2]
            if not open_quote(joined):
                yield number, joined, joined_raw, lines[end][0]
                i = end + 1
                continue
        yield number, text, raw, number
        i += 1


def line_break_problems(names: list[str] | tuple[str, ...], values: list[str], last_line: int) -> list[Problem]:
    """One problem per field that holds a quoted line break, naming the line the record ends on (the file's line
    when the export is parsed in pieces)."""
    context = CURRENT_IMPORT.get()
    last_line += context.line_offset if context else 0
    return [Problem(name, f"holds a line break (the quoted field continues to line {last_line})")
            for name, value in zip(names, values, strict=False) if "\n" in value or "\r" in value]


class AmountError(ValueError):
    """The text is not an amount in whole yen; the message says why, without echoing the text."""


_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
_PLAIN = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9][0-9,]*\.[0-9]+")


def parse_yen(value: object) -> int:
    """Whole yen as every adapter reads it (CSV text, fixed-width digits, JSON numbers or strings): after NFKC
    (full-width digits) only ASCII digits, either plain (12300) or grouped in threes (12,300 and 1,234,567 — never
    12,30 or 1,23,4), an optional sign, ¥ before and 円 after. Raises AmountError."""
    if isinstance(value, bool):
        raise AmountError("is not an amount in yen")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise AmountError("must be whole yen (no decimals)")
    if not isinstance(value, str):
        raise AmountError("is not an amount in yen")
    text = unicodedata.normalize("NFKC", value).strip()
    sign = 1
    if text[:1] in "+-" and text:
        sign, text = (-1 if text[0] == "-" else 1), text[1:].strip()
    text = re.sub(r"^[¥\\]\s*", "", text)
    text = re.sub(r"\s*円$", "", text)
    if text[:1] == "-" and sign == 1:  # ¥-1,000
        sign, text = -1, text[1:]
    if _PLAIN.fullmatch(text) or _GROUPED.fullmatch(text):
        return sign * int(text.replace(",", ""))
    if _DECIMAL.fullmatch(text):
        raise AmountError("must be whole yen (no decimals)")
    if re.fullmatch(r"[\d,]+", text):
        if not text.replace(",", "").isascii():
            raise AmountError("holds digits other than 0-9")
        raise AmountError("has misplaced digit grouping (commas belong between groups of three digits)")
    raise AmountError("is not an amount in yen")


_RECORD_NOUNS = {"ClaimAssessed": "the claim", "ClaimAdjusted": "the adjustment", "ClaimCancelled": "the cancellation",
                 "PaymentReceived": "the payment", "PaymentReversed": "the payment reversal",
                 "InstallmentAgreed": "the installment agreement", "ExemptionApplied": "the exemption application"}


def repeat_problem(message_type: str, first_line: int, same_content: bool) -> Problem:
    """A record whose source key (hence message id) an earlier line of the same file already used."""
    what = _RECORD_NOUNS.get(message_type, "the record")
    if same_content:
        return Problem("(line)", f"repeats {what} of line {first_line} exactly (the same record twice)")
    return Problem("(line)", f"repeats {what} of line {first_line} with different content (same source key); "
                             "correct the export: only one can be right")


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
        problem = control_character_problem(self.raw(name))
        if problem:
            self.add(name, problem)
            return None
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
        """Whole yen (``parse_yen``); refuses zero or less unless signed, and 0 when signed."""
        value = self.values.get(name)
        if not isinstance(value, int | float):  # bool is an int: parse_yen refuses it
            text = self.text(name, required=required)
            if text is None:
                return None
            value = text
        try:
            amount = parse_yen(value)
        except AmountError as exc:
            self.add(name, str(exc))
            return None
        return self.sign_checked(name, amount, signed=signed)

    def sign_checked(self, name: str, amount: int, *, signed: bool) -> int | None:
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
        """2024, 令和6, R6, R06, 令和元 or 令和元年度 → the year the fiscal year starts in (parse_fiscal_year)."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return parse_fiscal_year(value)
        except DateFormatError as exc:
            self.add(name, str(exc))
            return None

    def check(self) -> None:
        """Reject the record if any problem was found."""
        if self.problems:
            raise RecordProblems(self.problems)


@dataclass
class ExportBuilder:
    """Collects accepted and rejected records of one export and wraps accepted payloads in envelopes."""

    source_system: str
    department: Department | None  # None: a source of several departments names each record's (``accept``)
    file_name: str
    data: bytes
    produced_at: Callable[[], datetime]
    # The key space its ids are numbered in (contracts/keys.py): None reads it from the registry by source_system
    # (a department's primary source and the standard link: the department's own, ids published as they are).
    key_space: str | None = None
    result: ParsedExport = field(init=False)

    # message id → (line, digest of the payload) of every record accepted so far: a later line with the same
    # source keys is rejected (repeat_problem) instead of being published under the same id and lost.
    seen: SeenRecords = field(init=False, default_factory=dict)
    line_offset: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        context = CURRENT_IMPORT.get()
        self.line_offset = context.line_offset if context else 0
        if context:
            self.seen = context.seen
        key = context.import_key if context else import_key(self.source_system, self.data)
        self.result = ParsedExport(self.source_system, self.file_name, key)
        if self.key_space is None and self.department is not None:
            self.key_space = key_space_of(self.source_system, self.department)

    def reject(self, line: int, raw: str, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.result.rejected.append(Rejection(line + self.line_offset, raw, tuple(problems)))

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
        department: Department | None = None,
    ) -> None:
        """Validate ``fields`` as ``payload_cls``; accept it, or reject the record naming the source fields.

        ``field_names`` maps payload field names to the source's column names for error messages; ``department``
        is the record's own when the source carries several (the standard link: by its 税目コード)."""
        department = department or self.department
        if department is None:
            raise ValueError("a source of several departments names each record's department")
        names = field_names or {}
        try:
            payload = payload_cls.model_validate(fields)
            if not is_primary(self.key_space, department):  # a second vendor: its ids in its own key space
                payload = payload_cls.model_validate(qualified_fields(payload, self.key_space, department))
        except ValidationError as exc:
            problems = []
            for err in exc.errors(include_input=False, include_url=False):
                location = [str(p) for p in err["loc"]]
                label = next((names[p] for p in reversed(location) if p in names), ".".join(location) or "record")
                problems.append(Problem(label, err["msg"]))
            self.reject(line, raw, problems)
            return
        as_json = payload.model_dump_json()
        if SEPARATOR in as_json and is_primary(self.key_space, department):
            ambiguous = sorted({names.get(name, name) for name, value in source_keys_of(payload)
                                if looks_qualified(value)})
            if ambiguous:
                self.reject(line, raw, [Problem(name, "an id of the form code:… reads as another source system's "
                                                      "key space (contracts/keys.py); the department's own system "
                                                      "may not send one") for name in ambiguous])
                return
        message = new_envelope(
            payload,
            source_system=self.source_system,
            department=department,
            occurred_at=datetime.combine(occurred_on, time(0), TOKYO),
            correlation_id=self.result.import_key,
            source_keys=source_keys,
            produced_at=self.produced_at(),
        )
        file_line = line + self.line_offset
        digest = hashlib.blake2b(as_json.encode(), digest_size=16).digest()
        this = (file_line, digest)
        first = self.seen.setdefault(message.message_id.bytes, this)
        if first is not this:
            self.reject(line, raw, [repeat_problem(message.message_type, first[0], first[1] == digest)])
            return
        person_id = payload.person.source_person_id  # type: ignore[attr-defined]
        self.result.accepted.append(Accepted(file_line, f"{department.value}:{person_id}", message))
