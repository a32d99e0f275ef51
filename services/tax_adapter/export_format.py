"""The tax system's export (住民税・固定資産税・軽自動車税 異動データ): CP932 CSV with Japanese headers.

Pure parsing, no I/O: bytes in, canonical envelopes and rejections out. Each data line is one record whose
処理区分 says what happened (調定, 更正, 取消, 収納, 収納取消). See this service's README for the columns.

Lines are decoded one by one, so a line that is not CP932 is rejected alone and the rest still go through.
(The export never quotes line breaks inside a field; a quoted newline would be reported as a broken line.)
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from contracts import (
    AdjustmentReason,
    CancellationReason,
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    Department,
    Envelope,
    PaymentChannel,
    PaymentReceived,
    PaymentReversed,
    PersonReference,
    ReversalReason,
    new_envelope,
)
from contracts.envelope import describe_error
from contracts.messages import Payload
from contracts.receivables import legal_category
from shared.japanese_dates import DateFormatError, parse_japanese_date

SOURCE_SYSTEM = "tax-core"
ENCODING = "cp932"
TOKYO = ZoneInfo("Asia/Tokyo")

COLUMNS = (
    "処理区分", "宛名番号", "氏名", "氏名カナ", "生年月日", "郵便番号", "住所", "電話番号",
    "税目", "年度", "期別", "通知書番号", "納期限", "金額", "処理日", "収納方法", "収納番号", "異動番号", "事由",
)

TAX_ITEMS = {  # 税目 → receivable code
    "市県民税": "individual_inhabitant_tax",
    "市民税・県民税": "individual_inhabitant_tax",
    "個人住民税": "individual_inhabitant_tax",
    "固定資産税": "fixed_asset_tax",
    "固定資産税・都市計画税": "fixed_asset_tax",
    "軽自動車税": "light_vehicle_tax",
}
CHANNELS = {
    "口座振替": PaymentChannel.ACCOUNT_TRANSFER,
    "コンビニ": PaymentChannel.CONVENIENCE_STORE,
    "窓口": PaymentChannel.COUNTER,
    "スマホ決済": PaymentChannel.SMARTPHONE,
    "金融機関": PaymentChannel.BANK,
    "eLTAX": PaymentChannel.ELTAX,
    "ELTAX": PaymentChannel.ELTAX,
    "クレジット": PaymentChannel.CARD,
    "その他": PaymentChannel.OTHER,
}
ADJUSTMENT_REASONS = {"更正": AdjustmentReason.CORRECTION, "減額": AdjustmentReason.REDUCTION,
                      "減免": AdjustmentReason.EXEMPTION}
CANCELLATION_REASONS = {"誤賦課": CancellationReason.ASSESSMENT_ERROR, "転出": CancellationReason.MOVED_OUT,
                        "死亡": CancellationReason.DECEASED, "重複": CancellationReason.DUPLICATE,
                        "その他": CancellationReason.OTHER}
REVERSAL_REASONS = {"口座振替不能": ReversalReason.ACCOUNT_TRANSFER_FAILED, "不渡り": ReversalReason.DISHONOURED,
                    "誤入金": ReversalReason.ENTRY_ERROR, "その他": ReversalReason.OTHER}


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """A line that was not accepted, with every problem found (field and reason; never the value)."""

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
    file_name: str
    correlation_id: str
    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def lines_read(self) -> int:
        return len(self.accepted) + len(self.rejected)


class ExportFormatError(ValueError):
    """The file as a whole cannot be read (wrong encoding, missing columns); nothing is published from it."""


class _RowProblems(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


class _Row:
    """Field access that collects every problem of a line instead of stopping at the first."""

    def __init__(self, values: Mapping[str, str | None]):
        self.values = values
        self.problems: list[Problem] = []

    def text(self, name: str, *, required: bool = True, fold: bool = True) -> str | None:
        raw = self.values.get(name) or ""
        value = _fold(raw) if fold else raw.strip()
        if not value:
            if required:
                self.problems.append(Problem(name, "is required for this 処理区分"))
            return None
        return value

    def choice(self, name: str, options: Mapping[str, object]) -> object | None:
        value = self.text(name)
        if value is None:
            return None
        if value not in options:
            self.problems.append(Problem(name, f"unknown value; expected one of {', '.join(options)}"))
            return None
        return options[value]

    def date(self, name: str, *, required: bool = True) -> date | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        try:
            return parse_japanese_date(value)
        except DateFormatError as exc:
            self.problems.append(Problem(name, str(exc)))
            return None

    def amount(self, name: str, *, signed: bool = False) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        cleaned = re.sub(r"[,\s]|円$|^[¥\\]", "", value)
        if not re.fullmatch(r"[+-]?\d+", cleaned):
            reason = "must be whole yen (no decimals)" if re.fullmatch(r"[+-]?\d+\.\d+", cleaned) else \
                "is not an amount in yen"
            self.problems.append(Problem(name, reason))
            return None
        amount = int(cleaned)
        if not signed and amount <= 0:
            self.problems.append(Problem(name, "must be a positive amount"))
            return None
        if signed and amount == 0:
            self.problems.append(Problem(name, "must not be 0"))
            return None
        return amount

    def integer(self, name: str, *, low: int, high: int) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not value.isdigit() or not low <= int(value) <= high:
            self.problems.append(Problem(name, f"must be a whole number from {low} to {high}"))
            return None
        return int(value)

    def fiscal_year(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if re.fullmatch(r"\d{4}", value):
            return int(value)
        try:  # 令和6 / R6 / 令和元 → the first of April of that era year gives the fiscal year
            return parse_japanese_date(f"{value}年4月1日").year
        except DateFormatError:
            self.problems.append(Problem(name, "must be a fiscal year such as 2024, 令和6 or R6"))
            return None


def _decode_lines(data: bytes) -> Iterator[tuple[int, str | None, bytes]]:
    """(line number, text or None when undecodable, raw bytes) for every non-empty physical line."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise ExportFormatError("the file is UTF-8 (it starts with a byte-order mark); the tax export is CP932")
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            yield number, raw.decode(ENCODING), raw
        except UnicodeDecodeError:
            yield number, None, raw


def _looks_utf8(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(ord(c) > 0x7F for c in text)


def _person(row: _Row) -> dict[str, object] | None:
    source_person_id = row.text("宛名番号")
    birth = row.date("生年月日", required=False)
    if source_person_id is None:
        return None
    return {
        "source_person_id": source_person_id,
        "name_kanji": row.text("氏名", required=False, fold=False),
        "name_kana": row.text("氏名カナ", required=False),
        "birth_date": birth,
        "postal_code": row.text("郵便番号", required=False),
        "address": row.text("住所", required=False, fold=False),
        "phone": row.text("電話番号", required=False),
    }


@dataclass(frozen=True, slots=True)
class _ClaimRef:
    claim_id: str
    receivable: str
    fiscal_year: int
    installment: int


def _claim_ref(row: _Row) -> _ClaimRef | None:
    """The claim a line refers to: 年度-税目-通知書番号-期別 is unique in the tax system."""
    receivable = row.choice("税目", TAX_ITEMS)
    fiscal_year = row.fiscal_year("年度")
    installment = row.integer("期別", low=0, high=99)
    notice = row.text("通知書番号")
    if receivable is None or fiscal_year is None or installment is None or notice is None:
        return None
    return _ClaimRef(f"{fiscal_year}-{receivable}-{notice}-{installment:02d}", str(receivable), fiscal_year,
                     installment)


def _build(
    kind: str, row: _Row, overrides: Mapping[str, str]
) -> tuple[type[Payload], dict[str, object], tuple[str, ...], date]:
    """The payload for one line, the source keys its message id derives from, and when it happened."""
    person = _person(row)
    if kind == "調定":
        ref = _claim_ref(row)
        due, assessed = row.date("納期限"), row.date("処理日")
        amount = row.amount("金額")
        if not (row.values.get("氏名") or row.values.get("氏名カナ") or "").strip():
            row.problems.append(Problem("氏名", "氏名 or 氏名カナ is required for 調定"))
        if row.problems:
            raise _RowProblems(row.problems)
        assert ref is not None and assessed is not None
        payload = dict(claim_id=ref.claim_id, person=person, receivable_type=ref.receivable,
                       legal_category=legal_category(ref.receivable, dict(overrides)),
                       fiscal_year=ref.fiscal_year, installment=ref.installment,
                       due_date=due, amount=amount, assessed_on=assessed)
        return ClaimAssessed, payload, (ref.claim_id,), assessed
    if kind == "更正":
        ref = _claim_ref(row)
        delta, when = row.amount("金額", signed=True), row.date("処理日")
        reason, serial = row.choice("事由", ADJUSTMENT_REASONS), row.text("異動番号")
        if row.problems:
            raise _RowProblems(row.problems)
        assert ref is not None and when is not None
        payload = dict(claim_id=ref.claim_id, person=person, amount_delta=delta, reason=reason, adjusted_on=when)
        return ClaimAdjusted, payload, (ref.claim_id, str(serial)), when
    if kind == "取消":
        ref = _claim_ref(row)
        reason, when = row.choice("事由", CANCELLATION_REASONS), row.date("処理日")
        if row.problems:
            raise _RowProblems(row.problems)
        assert ref is not None and when is not None
        payload = dict(claim_id=ref.claim_id, person=person, reason=reason, cancelled_on=when)
        return ClaimCancelled, payload, (ref.claim_id,), when
    if kind == "収納":
        payment_id, amount = row.text("収納番号"), row.amount("金額")
        paid_on, channel = row.date("処理日"), row.choice("収納方法", CHANNELS)
        names_claim = any((row.values.get(c) or "").strip() for c in ("通知書番号", "税目", "年度", "期別"))
        ref = _claim_ref(row) if names_claim else None
        if row.problems:
            raise _RowProblems(row.problems)
        assert paid_on is not None
        payload = dict(payment_id=payment_id, person=person, claim_id=ref.claim_id if ref else None,
                       amount=amount, paid_on=paid_on, channel=channel)
        return PaymentReceived, payload, (str(payment_id),), paid_on
    if kind == "収納取消":
        payment_id, when = row.text("収納番号"), row.date("処理日")
        reason = row.choice("事由", REVERSAL_REASONS)
        if row.problems:
            raise _RowProblems(row.problems)
        assert when is not None
        payload = dict(payment_id=payment_id, person=person, reason=reason, reversed_on=when)
        return PaymentReversed, payload, (str(payment_id),), when
    raise _RowProblems([Problem("処理区分", "unknown value; expected one of 調定, 更正, 取消, 収納, 収納取消")])


def parse_export(
    data: bytes,
    *,
    file_name: str,
    produced_at: Callable[[], datetime],
    category_overrides: Mapping[str, str] | None = None,
) -> ParsedExport:
    """Parse a whole export. Raises ExportFormatError when the file cannot be read at all."""
    lines = list(_decode_lines(data))
    if not lines:
        raise ExportFormatError("the file is empty")
    header_number, header_text, header_raw = lines[0]
    if header_text is None:
        if _looks_utf8(data):
            raise ExportFormatError("the file is UTF-8; the tax export is CP932 (Shift_JIS)")
        raise ExportFormatError(f"line {header_number}: the header is not CP932 text")
    header = [_fold(h) for h in next(csv.reader([header_text]))]
    missing = [c for c in ("処理区分", "宛名番号", "金額", "処理日") if c not in header]
    if missing:
        hint = " (is the file UTF-8? the tax export is CP932)" if _looks_utf8(data) else ""
        raise ExportFormatError(f"missing columns: {', '.join(missing)}{hint}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ExportFormatError(f"unknown columns: {', '.join(unknown)}")

    digest = hashlib.sha256(data).hexdigest()[:16]
    result = ParsedExport(file_name=file_name, correlation_id=f"import:{SOURCE_SYSTEM}:{digest}")
    overrides = category_overrides or {}
    for number, text, raw in lines[1:]:
        if text is None:
            result.rejected.append(Rejection(number, raw.decode(ENCODING, errors="replace"),
                                             (Problem("(line)", "not valid CP932 text"),)))
            continue
        values = next(csv.reader([text]))
        if len(values) != len(header):
            result.rejected.append(Rejection(number, text, (Problem(
                "(line)", f"has {len(values)} fields, the header has {len(header)}"),)))
            continue
        row = _Row(dict(zip(header, values, strict=True)))
        kind = row.text("処理区分")
        try:
            payload_cls, payload, keys, when = _build(kind or "", row, overrides)
            model = payload_cls.model_validate(payload)
        except _RowProblems as exc:
            result.rejected.append(Rejection(number, text, tuple(exc.problems)))
            continue
        except ValidationError as exc:
            problems = tuple(Problem(*describe_error(e).split(": ", 1))
                             for e in exc.errors(include_input=False, include_url=False))
            result.rejected.append(Rejection(number, text, problems))
            continue
        except ValueError as exc:  # e.g. an invalid category override
            result.rejected.append(Rejection(number, text, (Problem("税目", str(exc)),)))
            continue
        message = new_envelope(
            model,
            source_system=SOURCE_SYSTEM,
            department=Department.TAX,
            occurred_at=datetime.combine(when, time(0), TOKYO),
            correlation_id=result.correlation_id,
            source_keys=keys,
            produced_at=produced_at(),
        )
        person_id = model.person.source_person_id  # type: ignore[attr-defined]
        result.accepted.append(Accepted(number, f"{Department.TAX}:{person_id}", message))
    return result
