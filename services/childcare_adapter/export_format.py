"""The childcare fee system's export (保育・給食 費用徴収システム): UTF-8 CSV with Japanese headers.

Pure functions, no I/O: ``parse_export`` (bytes → canonical envelopes and rejected lines) and
``render_export`` (canonical payloads → the same format, for samples, tests and the synthetic city).
Each data line is one record whose 区分 says what happened. The columns are in this service's README.

The debtor is the guardian (保護者); the child (児童) a fee is for travels as a related person on 調定 and is part
of the claim's key: one 保育料 claim and one 給食費 claim per child per month (対象年月).

The file is decoded as a whole (with or without a byte-order mark): a file that is not UTF-8 is refused whole,
because one bad line of a Shift_JIS file cannot be told apart from a UTF-8 file with a broken line. Each
physical line is one record: no field may hold a line break, so a quoted line break is joined with its
continuation and the record rejected naming the field and both lines.
"""

from __future__ import annotations

import csv
import io
import re
from calendar import monthrange
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime

from pydantic import ValidationError

from contracts import (
    AdjustmentReason,
    CancellationReason,
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    ClaimNoticeSent,
    Department,
    ExemptionApplied,
    ExemptionReason,
    NoticeKind,
    Payload,
    PaymentChannel,
    PaymentReceived,
    PaymentReversed,
    PersonReference,
    RelatedPerson,
    RelationRole,
    ReversalReason,
)
from contracts.receivables import legal_category
from shared.ingest.records import (
    ExportBuilder,
    ExportFormatError,
    FieldReader,
    ParsedExport,
    Problem,
    RecordProblems,
    csv_values,
    fold,
    join_quoted_lines,
    line_break_problems,
    names_by_value,
)
from shared.japanese_dates import DateFormatError, parse_japanese_date, to_wareki

SOURCE_SYSTEM = "childcare-core"
DEPARTMENT = Department.CHILDCARE
ENCODING = "utf-8"
BOM = b"\xef\xbb\xbf"

COLUMNS = (
    "区分", "保護者番号", "保護者氏名", "保護者カナ", "保護者生年月日", "郵便番号", "住所", "電話番号",
    "児童番号", "児童氏名", "児童カナ", "児童生年月日", "施設名", "費目", "対象年月", "納期限", "金額", "処理日",
    "収納方法", "収納番号", "異動番号", "事由", "申請番号", "文書番号",
)
REQUIRED_COLUMNS = ("区分", "保護者番号", "処理日")

FEE_ITEMS = {  # 費目 → receivable code
    "保育料": "nursery_fee", "保育所保育料": "nursery_fee", "利用者負担額": "nursery_fee",
    "給食費": "school_lunch_fee", "学校給食費": "school_lunch_fee",
}
CHANNELS = {
    "口座振替": PaymentChannel.ACCOUNT_TRANSFER, "コンビニ": PaymentChannel.CONVENIENCE_STORE,
    "窓口": PaymentChannel.COUNTER, "スマホ決済": PaymentChannel.SMARTPHONE, "金融機関": PaymentChannel.BANK,
    "クレジット": PaymentChannel.CARD, "その他": PaymentChannel.OTHER,
}
ADJUSTMENT_REASONS = {"減額": AdjustmentReason.REDUCTION, "減免": AdjustmentReason.EXEMPTION,
                      "更正": AdjustmentReason.CORRECTION, "日割": AdjustmentReason.REDUCTION,
                      "階層変更": AdjustmentReason.CORRECTION}
CANCELLATION_REASONS = {"誤賦課": CancellationReason.ASSESSMENT_ERROR, "転出": CancellationReason.MOVED_OUT,
                        "死亡": CancellationReason.DECEASED, "重複": CancellationReason.DUPLICATE,
                        "その他": CancellationReason.OTHER}
REVERSAL_REASONS = {"口座振替不能": ReversalReason.ACCOUNT_TRANSFER_FAILED, "不渡り": ReversalReason.DISHONOURED,
                    "誤入金": ReversalReason.ENTRY_ERROR, "その他": ReversalReason.OTHER}
EXEMPTION_REASONS = {"所得減少": ExemptionReason.INCOME_DROP, "災害": ExemptionReason.DISASTER,
                     "生活困窮": ExemptionReason.HARDSHIP, "生活保護": ExemptionReason.PUBLIC_ASSISTANCE,
                     "その他": ExemptionReason.OTHER}
KINDS = ("調定", "減額", "取消", "収納", "収納取消", "減免申請", "督促", "催告")
#: 区分 of the notices the childcare system sent itself (督促状・催告書): 処理日 is the day sent.
NOTICE_KINDS = {"督促": NoticeKind.DEMAND_NOTICE, "催告": NoticeKind.REMINDER}
# Payload field → column, so that a payload-level problem names the column staff know.
FIELD_COLUMNS = {"source_person_id": "保護者番号", "name_kanji": "保護者氏名", "name_kana": "保護者カナ",
                 "birth_date": "保護者生年月日", "postal_code": "郵便番号", "address": "住所", "phone": "電話番号",
                 "claim_id": "児童番号", "fiscal_year": "対象年月", "period_start": "対象年月",
                 "period_end": "対象年月", "due_date": "納期限", "amount": "金額", "amount_delta": "金額",
                 "payment_id": "収納番号", "application_id": "申請番号", "notice_id": "文書番号",
                 "sent_on": "処理日"}
CHILD_COLUMNS = {"source_person_id": "児童番号", "name_kanji": "児童氏名", "name_kana": "児童カナ",
                 "birth_date": "児童生年月日"}

# 対象年月: 2024-04, 2024/4, 2024年4月, 202404, 令和6年4月, R6.4, R06/04, H31.4; an optional trailing 分 (4月分).
_ERA_MONTH_RE = re.compile(r"^(?P<era>令和|平成|[RH])\s*(?P<y>元|\d{1,2})\s*(?:年|[./\-])\s*(?P<m>\d{1,2})\s*月?\s*分?$")
_MONTH_RE = re.compile(r"^(?P<y>\d{4})(?:\s*(?:年|[./\-])\s*|(?=\d\d\D*$))(?P<m>\d{1,2})\s*月?\s*分?$")


def claim_id(receivable: str, year: int, month: int, child_id: str) -> str:
    """<receivable code>-<YYYY>-<MM>-<児童番号>: one claim per fee, calendar month and child,
    e.g. ``nursery_fee-2024-04-C000123``. The child number comes last so it may itself contain hyphens."""
    return f"{receivable}-{year:04d}-{month:02d}-{child_id}"


def fiscal_year_of(year: int, month: int) -> int:
    """年度 (April start): 2025-03 belongs to fiscal 2024."""
    return year if month >= 4 else year - 1


def installment_of(month: int) -> int:
    """期別 in fiscal-year order: April = 1 … December = 9, January = 10 … March = 12."""
    return (month - 4) % 12 + 1


def parse_month(text: str) -> tuple[int, int]:
    """対象年月 → (year, month); raises DateFormatError with a reason (never the text)."""
    value = fold(text).upper()
    match = _ERA_MONTH_RE.match(value) or _MONTH_RE.match(value)
    if match is None:
        raise DateFormatError("not a recognised month (expected e.g. 2024-04, 令和6年4月 or R6.4)")
    era, year_text, month_text = match.groupdict().get("era") or "", match["y"], match["m"]
    if not 1 <= int(month_text) <= 12:
        raise DateFormatError("no such month")
    first = parse_japanese_date(f"{era}{year_text}年{month_text}月1日")
    return first.year, first.month


def _person(row: FieldReader) -> dict[str, object]:
    return {
        "source_person_id": row.text("保護者番号"),
        "name_kanji": row.text("保護者氏名", required=False, fold_width=False),
        "name_kana": row.text("保護者カナ", required=False),
        "birth_date": row.date("保護者生年月日", required=False),
        "postal_code": row.text("郵便番号", required=False),
        "address": row.text("住所", required=False, fold_width=False),
        "phone": row.text("電話番号", required=False),
    }


def _child(row: FieldReader) -> PersonReference | None:
    """The child's own reference (児童番号 is the childcare system's key of the child)."""
    fields = {"source_person_id": row.text("児童番号", required=False),  # required (and reported) by _claim
              "name_kanji": row.text("児童氏名", required=False, fold_width=False),
              "name_kana": row.text("児童カナ", required=False),
              "birth_date": row.date("児童生年月日", required=False)}
    if fields["source_person_id"] is None:
        return None
    try:
        return PersonReference.model_validate(fields)
    except ValidationError as exc:
        for err in exc.errors(include_input=False, include_url=False):
            row.add(CHILD_COLUMNS.get(str(err["loc"][-1]), "児童番号"), err["msg"])
        return None


def _month(row: FieldReader) -> tuple[int, int] | None:
    value = row.text("対象年月")
    if value is None:
        return None
    try:
        return parse_month(value)
    except DateFormatError as exc:
        row.add("対象年月", str(exc))
        return None


def _claim(row: FieldReader, *, required: bool = True) -> tuple[str, str, int, int] | None:
    """(claim id, receivable code, year, month) of the claim a line names. Optional claims are named by 対象年月."""
    if not required and not row.present("対象年月"):
        return None
    receivable, month = row.choice("費目", FEE_ITEMS), _month(row)
    child = row.text("児童番号")
    if receivable is None or month is None or child is None:
        return None
    return claim_id(receivable, month[0], month[1], child), receivable, month[0], month[1]


def _record(kind: str, row: FieldReader, overrides: Mapping[str, str]
            ) -> tuple[type[Payload], dict[str, object], tuple[str, ...], date]:
    """The payload fields for one line, the source keys its message id derives from, and its date."""
    if kind not in KINDS:
        raise RecordProblems([Problem("区分", f"unknown value; expected one of {', '.join(KINDS)}")])
    row.context = f"for {kind}"
    person = _person(row)
    when = row.date("処理日")
    if kind == "調定":
        claim, child = _claim(row), _child(row)
        due, amount = row.date("納期限"), row.amount("金額")
        if not (row.present("保護者氏名") or row.present("保護者カナ")):
            row.add("保護者氏名", "保護者氏名 or 保護者カナ is required for 調定")
        row.check()
        assert claim is not None and child is not None and when is not None
        cid, code, year, month = claim
        return ClaimAssessed, dict(
            claim_id=cid, person=person, receivable_type=code, legal_category=legal_category(code, dict(overrides)),
            fiscal_year=fiscal_year_of(year, month), installment=installment_of(month), due_date=due,
            amount=amount, assessed_on=when, related_persons=(RelatedPerson(role=RelationRole.CHILD, person=child),),
            period_start=date(year, month, 1), period_end=date(year, month, monthrange(year, month)[1]),
        ), (cid,), when
    if kind == "減額":
        # 金額 is the reduction written as a positive number; the message carries it as a negative delta.
        claim, reduction = _claim(row), row.amount("金額", signed=True)
        if reduction is not None and reduction < 0:
            row.add("金額", "must be the reduction as a positive amount (減額 always lowers the claim)")
        reason, serial = row.choice("事由", ADJUSTMENT_REASONS), row.text("異動番号")
        row.check()
        assert claim is not None and reduction is not None and when is not None
        return ClaimAdjusted, dict(claim_id=claim[0], person=person, amount_delta=-reduction, reason=reason,
                                   adjusted_on=when), (claim[0], str(serial)), when
    if kind == "取消":
        claim, reason = _claim(row), row.choice("事由", CANCELLATION_REASONS)
        row.check()
        assert claim is not None and when is not None
        return ClaimCancelled, dict(claim_id=claim[0], person=person, reason=reason, cancelled_on=when), \
            (claim[0],), when
    if kind == "収納":
        payment_id, amount = row.text("収納番号"), row.amount("金額")
        channel, claim = row.choice("収納方法", CHANNELS), _claim(row, required=False)
        row.check()
        assert when is not None
        return PaymentReceived, dict(payment_id=payment_id, person=person, claim_id=claim[0] if claim else None,
                                     amount=amount, paid_on=when, channel=channel), (str(payment_id),), when
    if kind == "収納取消":
        payment_id, reason = row.text("収納番号"), row.choice("事由", REVERSAL_REASONS)
        row.check()
        assert when is not None
        return PaymentReversed, dict(payment_id=payment_id, person=person, reason=reason, reversed_on=when), \
            (str(payment_id),), when
    if kind in NOTICE_KINDS:
        claim, notice = _claim(row), row.text("文書番号")
        row.check()
        assert claim is not None and when is not None
        return ClaimNoticeSent, dict(notice_id=notice, person=person, claim_id=claim[0], kind=NOTICE_KINDS[kind],
                                     sent_on=when), (str(notice), claim[0]), when
    # 減免申請
    application, reason = row.text("申請番号"), row.choice("事由", EXEMPTION_REASONS)
    claim = _claim(row, required=False)
    receivable = claim[1] if claim else row.choice("費目", FEE_ITEMS)
    row.check()
    assert when is not None
    return ExemptionApplied, dict(application_id=application, person=person, receivable_type=receivable,
                                  claim_id=claim[0] if claim else None, reason=reason, applied_on=when), \
        (str(application),), when


def _decode(data: bytes) -> str:
    body = data[len(BOM):] if data.startswith(BOM) else data
    try:
        return body.decode(ENCODING)
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise ExportFormatError(f"the file is not valid UTF-8 (first bad byte on line {line}); it may be "
                                "Shift_JIS (CP932): export it again as UTF-8") from None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-empty physical line (\\r\\n, \\n or \\r ends a line)."""
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if line.strip():
            yield number, line


def _fields(line: str) -> list[str] | None:
    """The header's fields, or None when csv cannot read it."""
    try:
        return csv_values(line)
    except RecordProblems:
        return None


def parse_export(
    data: bytes,
    *,
    file_name: str,
    produced_at: Callable[[], datetime],
    category_overrides: Mapping[str, str] | None = None,
) -> ParsedExport:
    """Parse a whole export. Raises ExportFormatError when the file cannot be read at all."""
    lines = list(_lines(_decode(data)))
    if not lines:
        raise ExportFormatError("the file is empty")
    header = [h.strip() for h in _fields(lines[0][1]) or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ExportFormatError(f"missing columns: {', '.join(missing)}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ExportFormatError(f"unknown columns: {', '.join(unknown)}")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ExportFormatError(f"repeated columns: {', '.join(repeated)}")

    builder = ExportBuilder(SOURCE_SYSTEM, DEPARTMENT, file_name, data, produced_at)
    overrides = category_overrides or {}
    for number, joined, _, last in join_quoted_lines([(n, t, b"") for n, t in lines[1:]]):
        text = str(joined)
        try:
            values = csv_values(text)  # a control character is named by its field (FieldReader.text)
        except RecordProblems as exc:
            builder.reject(number, text, exc.problems)
            continue
        if last != number and len(values) == len(header):
            builder.reject(number, text, line_break_problems(header, values, last))
            continue
        if len(values) != len(header):
            builder.reject(number, text, [Problem("(line)", f"has {len(values)} fields, the header has {len(header)}")])
            continue
        row = FieldReader(dict(zip(header, values, strict=True)))
        try:
            kind = row.text("区分")
            if kind is None:
                raise RecordProblems(row.problems)
            payload_cls, fields, keys, when = _record(kind, row, overrides)
        except RecordProblems as exc:
            builder.reject(number, text, exc.problems)
            continue
        except ValueError as exc:  # an invalid category override names the receivable, not personal data
            builder.reject(number, text, [Problem("費目", str(exc))])
            continue
        builder.accept(number, text, payload_cls, fields, source_keys=keys, occurred_on=when,
                       field_names=FIELD_COLUMNS)
    return builder.result


# ---- rendering (the inverse), for samples, tests and the synthetic city -------------------------------------

_FEE_NAMES = names_by_value(FEE_ITEMS)
_CHANNEL_NAMES, _ADJUSTMENT_NAMES = names_by_value(CHANNELS), names_by_value(ADJUSTMENT_REASONS)
_CANCELLATION_NAMES, _REVERSAL_NAMES = names_by_value(CANCELLATION_REASONS), names_by_value(REVERSAL_REASONS)
_EXEMPTION_NAMES = names_by_value(EXEMPTION_REASONS)
_INDEX = {name: i for i, name in enumerate(COLUMNS)}
_I = _INDEX.__getitem__


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _era(value: date | None) -> str:
    return to_wareki(value) if value else ""


def _iso_month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _era_month(year: int, month: int) -> str:
    return to_wareki(date(year, month, 1))[:-2]  # 令和6年4月1日 → 令和6年4月


def _claim_columns(row: list[str], value: str, month_format: Callable[[int, int], str]) -> None:
    receivable, year, month, child = value.split("-", 3)
    row[_I("費目")] = _FEE_NAMES[receivable]
    row[_I("対象年月")] = month_format(int(year), int(month))
    row[_I("児童番号")] = child


def render_export(records: Sequence[Payload], *, era_dates: bool = False, bom: bool = False) -> bytes:
    """Write payloads as the childcare system would export them (claim ids must follow ``claim_id``).

    ``era_dates`` writes dates as 令和6年4月1日 and months as 令和6年4月; ``bom`` starts the file with a UTF-8 BOM.
    ClaimAdjusted must have a negative ``amount_delta`` (the format only has 減額); 異動番号 is numbered."""
    fmt, month_format = (_era, _era_month) if era_dates else (_iso, _iso_month)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    width = len(COLUMNS)
    for serial, record in enumerate(records, start=1):
        p = record.person  # type: ignore[attr-defined]
        row = [""] * width
        row[1:8] = [p.source_person_id, p.name_kanji or "", p.name_kana or "", fmt(p.birth_date),
                    p.postal_code or "", p.address or "", p.phone or ""]
        if isinstance(record, ClaimAssessed):
            row[0] = "調定"
            _claim_columns(row, record.claim_id, month_format)
            child = next(r.person for r in record.related_persons if r.role is RelationRole.CHILD)
            row[_I("児童氏名")], row[_I("児童カナ")] = child.name_kanji or "", child.name_kana or ""
            row[_I("児童生年月日")] = fmt(child.birth_date)
            row[_I("納期限")], row[_I("金額")] = fmt(record.due_date), str(record.amount)
            row[_I("処理日")] = fmt(record.assessed_on)
        elif isinstance(record, ClaimAdjusted):
            if record.amount_delta >= 0:
                raise ValueError("the childcare export has only 減額: amount_delta must be negative")
            row[0] = "減額"
            _claim_columns(row, record.claim_id, month_format)
            row[_I("金額")], row[_I("処理日")] = str(-record.amount_delta), fmt(record.adjusted_on)
            row[_I("異動番号")], row[_I("事由")] = f"G{serial:08d}", _ADJUSTMENT_NAMES[record.reason]
        elif isinstance(record, ClaimCancelled):
            row[0] = "取消"
            _claim_columns(row, record.claim_id, month_format)
            row[_I("処理日")], row[_I("事由")] = fmt(record.cancelled_on), _CANCELLATION_NAMES[record.reason]
        elif isinstance(record, PaymentReceived):
            row[0] = "収納"
            if record.claim_id:
                _claim_columns(row, record.claim_id, month_format)
            row[_I("収納番号")], row[_I("金額")] = record.payment_id, str(record.amount)
            row[_I("処理日")], row[_I("収納方法")] = fmt(record.paid_on), _CHANNEL_NAMES[record.channel]
        elif isinstance(record, PaymentReversed):
            row[0] = "収納取消"
            row[_I("収納番号")], row[_I("処理日")] = record.payment_id, fmt(record.reversed_on)
            row[_I("事由")] = _REVERSAL_NAMES[record.reason]
        elif isinstance(record, ExemptionApplied):
            row[0] = "減免申請"
            if record.claim_id:
                _claim_columns(row, record.claim_id, month_format)
            row[_I("費目")] = _FEE_NAMES[record.receivable_type]
            row[_I("申請番号")], row[_I("処理日")] = record.application_id, fmt(record.applied_on)
            row[_I("事由")] = _EXEMPTION_NAMES[record.reason]
        elif isinstance(record, ClaimNoticeSent):
            row[0] = next(name for name, kind in NOTICE_KINDS.items() if kind is record.kind)
            _claim_columns(row, record.claim_id, month_format)
            row[_I("文書番号")], row[_I("処理日")] = record.notice_id, fmt(record.sent_on)
        else:
            raise TypeError(f"the childcare export has no record for {type(record).__name__}")
        writer.writerow(row)
    return (BOM if bom else b"") + out.getvalue().encode(ENCODING)
