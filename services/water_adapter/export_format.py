"""The water billing system's export (上下水道料金システム 異動データ): CP932 CSV without a header line.

Pure functions, no I/O: ``parse_export`` (bytes → canonical envelopes and rejected lines) and
``render_export`` (canonical payloads → the same format, for samples, tests and the synthetic city).
Each line is one record; its columns are positional (``COLUMNS``, documented in this service's README) and its
レコード区分 says what happened. A 請求 line is one bimonthly bill (隔月検針) carrying the 上水道料金 and the
下水道使用料: it becomes one ClaimAssessed per charge billed, because the two are different receivables with
different legal categories (上水道料金 is a private claim, 下水道使用料 a forced-collection public one).

Lines are decoded one by one, so a line that is not CP932 is rejected alone and the rest still go through.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime

from contracts import (
    AdjustmentReason,
    CancellationReason,
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    ClaimNoticeSent,
    Department,
    NoticeKind,
    Payload,
    PaymentChannel,
    PaymentReceived,
    PaymentReversed,
    PersonKind,
    ReversalReason,
    SupplyStatus,
    WaterSupplyChanged,
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
    decode_lines,
    fold,
    join_quoted_lines,
    line_break_problems,
    looks_utf8,
    names_by_value,
)
from shared.japanese_dates import to_wareki

SOURCE_SYSTEM = "water-billing"
DEPARTMENT = Department.WATER
ENCODING = "cp932"

COLUMNS = (
    "レコード区分", "お客様番号", "水栓番号", "個人法人区分", "氏名又は名称", "カナ", "生年月日", "郵便番号",
    "設置場所住所", "電話番号", "年度", "期", "使用期間開始", "使用期間終了", "納期限", "料金区分",
    "上水道料金", "下水道使用料", "処理日", "入金方法", "入金番号", "異動番号", "事由",
)
WATER, SEWER = "water_supply_charge", "sewerage_charge"
CHARGE_COLUMNS = {WATER: "上水道料金", SEWER: "下水道使用料"}  # receivable → its amount column
CHARGE_KINDS = {"上水道": WATER, "下水道": SEWER}  # 料金区分 → receivable
PERSON_KINDS = {"1": PersonKind.INDIVIDUAL, "2": PersonKind.CORPORATION}  # 個人法人区分
CHANNELS = {
    "口座振替": PaymentChannel.ACCOUNT_TRANSFER, "コンビニ": PaymentChannel.CONVENIENCE_STORE,
    "窓口": PaymentChannel.COUNTER, "金融機関": PaymentChannel.BANK, "スマホ決済": PaymentChannel.SMARTPHONE,
    "クレジット": PaymentChannel.CARD, "その他": PaymentChannel.OTHER,
}
ADJUSTMENT_REASONS = {"漏水減額": AdjustmentReason.REDUCTION, "検針誤り": AdjustmentReason.CORRECTION,
                      "減免": AdjustmentReason.EXEMPTION}
CANCELLATION_REASONS = {"誤調定": CancellationReason.ASSESSMENT_ERROR, "転出": CancellationReason.MOVED_OUT,
                        "死亡": CancellationReason.DECEASED, "重複": CancellationReason.DUPLICATE,
                        "その他": CancellationReason.OTHER}
REVERSAL_REASONS = {"口座振替不能": ReversalReason.ACCOUNT_TRANSFER_FAILED, "不渡り": ReversalReason.DISHONOURED,
                    "誤入金": ReversalReason.ENTRY_ERROR, "その他": ReversalReason.OTHER}
SUPPLY_KINDS = {"給水停止予告": SupplyStatus.SUSPENSION_NOTICE, "給水停止": SupplyStatus.SUSPENDED,
                "給水再開": SupplyStatus.RESUMED, "閉栓": SupplyStatus.CLOSED}
#: Notices the water bureau sent itself (督促状・催告書): 処理日 is the day sent, 異動番号 carries its number.
NOTICE_KINDS = {"督促": NoticeKind.DEMAND_NOTICE, "催告": NoticeKind.REMINDER}
KINDS = ("請求", "減額", "取消", "入金", "入金取消", *SUPPLY_KINDS, *NOTICE_KINDS)
# Payload field → column, so that a payload-level problem names the column staff know.
FIELD_COLUMNS = {"claim_id": "水栓番号", "contract_id": "水栓番号", "source_person_id": "お客様番号",
                 "name_kanji": "氏名又は名称", "name_kana": "カナ", "birth_date": "生年月日", "postal_code": "郵便番号",
                 "address": "設置場所住所", "phone": "電話番号", "due_date": "納期限", "period_start": "使用期間開始",
                 "period_end": "使用期間終了", "payment_id": "入金番号", "fiscal_year": "年度", "installment": "期"}
_ZERO = re.compile(r"[¥\\]?0+円?")

Record = tuple[type[Payload], dict[str, object], tuple[str, ...], Mapping[str, str]]


def claim_id(fiscal_year: int, receivable: str, contract_id: str, customer_id: str, period: int) -> str:
    """年度-<receivable code>-水栓番号-お客様番号-期: one bill per customer and 水栓 per bimonthly 期 (a user who
    moves out mid-period gets a 精算 bill and the next user a bill of their own in the same 期), and one claim
    per receivable on that bill."""
    return f"{fiscal_year}-{receivable}-{contract_id}-{customer_id}-{period:02d}"


def _person(row: FieldReader) -> dict[str, object]:
    kind = row.choice("個人法人区分", PERSON_KINDS)
    if kind is PersonKind.CORPORATION and row.present("生年月日"):
        row.add("生年月日", "must be empty for a corporation (個人法人区分 2)")
        birth = None
    else:
        birth = row.date("生年月日", required=False)
    return {
        "source_person_id": row.text("お客様番号"),
        "kind": kind,
        "name_kanji": row.text("氏名又は名称", required=False, fold_width=False),
        "name_kana": row.text("カナ", required=False),
        "birth_date": birth,
        "postal_code": row.text("郵便番号", required=False),
        "address": row.text("設置場所住所", required=False, fold_width=False),
        "phone": row.text("電話番号", required=False),
    }


def _bill(row: FieldReader, customer: object) -> tuple[int, str, str, int] | None:
    """(年度, 水栓番号, お客様番号, 期) of the bill a line is about."""
    fiscal_year, period = row.fiscal_year("年度"), row.integer("期", low=1, high=6)
    contract = row.text("水栓番号")
    if fiscal_year is None or period is None or contract is None or not isinstance(customer, str):
        return None
    return fiscal_year, contract, customer, period


def _named_claim(row: FieldReader, customer: object) -> tuple[str | None, str | None]:
    """(claim id, receivable) of the one claim a 減額, 取消 or 入金 line names with 料金区分."""
    receivable, bill = row.choice("料金区分", CHARGE_KINDS), _bill(row, customer)
    if receivable is None or bill is None:
        return None, receivable
    fiscal_year, contract, customer_id, period = bill
    return claim_id(fiscal_year, receivable, contract, customer_id, period), receivable


def _named_amount(row: FieldReader, receivable: str | None) -> tuple[int | None, str]:
    """The amount in the column of the receivable 料金区分 names; the other charge column must stay empty."""
    if receivable is None:
        return None, "上水道料金"
    column = CHARGE_COLUMNS[receivable]
    other = CHARGE_COLUMNS[SEWER if receivable == WATER else WATER]
    if row.present(other):
        row.add(other, f"must be empty when 料金区分 names {'上水道' if receivable == WATER else '下水道'}")
    return row.amount(column), column


def _category(receivable: str, overrides: Mapping[str, str]) -> object:
    try:
        return legal_category(receivable, dict(overrides))
    except ValueError as exc:  # an invalid override names the receivable, not personal data
        raise RecordProblems([Problem(CHARGE_COLUMNS[receivable], str(exc))]) from None


def _bill_records(row: FieldReader, person: dict[str, object], when: date | None,
                  overrides: Mapping[str, str]) -> list[Record]:
    """請求: one ClaimAssessed per charge billed (an empty or 0 charge is not billed, e.g. 浄化槽 users)."""
    bill = _bill(row, person["source_person_id"])
    start, end, due = row.date("使用期間開始"), row.date("使用期間終了"), row.date("納期限")
    if start and end and start > end:
        row.add("使用期間終了", "is before 使用期間開始")
    if row.present("料金区分"):
        row.add("料金区分", "must be empty for 請求 (a bill carries both charges)")
    charges = []
    for receivable, column in CHARGE_COLUMNS.items():
        if not _ZERO.fullmatch(fold(row.raw(column))):
            amount = row.amount(column, required=False)
            if amount is not None:
                charges.append((receivable, column, amount))
    if not charges and not any(p.field in CHARGE_COLUMNS.values() for p in row.problems):
        row.add("上水道料金", "上水道料金 or 下水道使用料 must be a positive amount for 請求")
    if not (row.present("氏名又は名称") or row.present("カナ")):
        row.add("氏名又は名称", "氏名又は名称 or カナ is required for 請求")
    row.check()
    assert bill is not None
    fiscal_year, contract, customer, period = bill
    records: list[Record] = []
    for receivable, column, amount in charges:
        cid = claim_id(fiscal_year, receivable, contract, customer, period)
        records.append((ClaimAssessed, dict(
            claim_id=cid, person=person, receivable_type=receivable,
            legal_category=_category(receivable, overrides), fiscal_year=fiscal_year, installment=period,
            due_date=due, amount=amount, assessed_on=when, period_start=start, period_end=end,
        ), (cid,), FIELD_COLUMNS | {"amount": column}))
    return records


def _records(kind: str, row: FieldReader, overrides: Mapping[str, str]) -> tuple[list[Record], date]:
    """The payloads for one line, each with the source keys its message id derives from; and the line's date."""
    row.context = f"for {kind}"
    person = _person(row)
    when = row.date("処理日")
    if kind == "請求":
        records = _bill_records(row, person, when, overrides)
    elif kind == "減額":
        cid, receivable = _named_claim(row, person["source_person_id"])
        amount, column = _named_amount(row, receivable)
        reason, serial = row.choice("事由", ADJUSTMENT_REASONS), row.text("異動番号")
        row.check()
        assert amount is not None and cid is not None and serial is not None
        records = [(ClaimAdjusted, dict(claim_id=cid, person=person, amount_delta=-amount, reason=reason,
                                        adjusted_on=when), (cid, serial), FIELD_COLUMNS | {"amount_delta": column})]
    elif kind == "取消":
        cid, _ = _named_claim(row, person["source_person_id"])
        reason = row.choice("事由", CANCELLATION_REASONS)
        row.check()
        assert cid is not None
        records = [(ClaimCancelled, dict(claim_id=cid, person=person, reason=reason, cancelled_on=when),
                    (cid,), FIELD_COLUMNS)]
    elif kind == "入金":
        cid, receivable = _named_claim(row, person["source_person_id"])
        amount, column = _named_amount(row, receivable)
        payment_id, channel = row.text("入金番号"), row.choice("入金方法", CHANNELS)
        row.check()
        assert payment_id is not None
        records = [(PaymentReceived, dict(payment_id=payment_id, person=person, claim_id=cid, amount=amount,
                                          paid_on=when, channel=channel), (payment_id,),
                    FIELD_COLUMNS | {"amount": column})]
    elif kind == "入金取消":
        payment_id, reason = row.text("入金番号"), row.choice("事由", REVERSAL_REASONS)
        row.check()
        assert payment_id is not None
        records = [(PaymentReversed, dict(payment_id=payment_id, person=person, reason=reason, reversed_on=when),
                    (payment_id,), FIELD_COLUMNS)]
    elif kind in NOTICE_KINDS:
        cid, _ = _named_claim(row, person["source_person_id"])
        notice = row.text("異動番号")
        row.check()
        assert cid is not None and notice is not None and when is not None
        records = [(ClaimNoticeSent, dict(notice_id=notice, person=person, claim_id=cid, kind=NOTICE_KINDS[kind],
                                          sent_on=when), (notice, cid), FIELD_COLUMNS | {"notice_id": "異動番号", "sent_on": "処理日"})]
    else:
        contract, status = row.text("水栓番号"), SUPPLY_KINDS[kind]
        row.check()
        assert contract is not None and when is not None
        records = [(WaterSupplyChanged, dict(contract_id=contract, person=person, status=status, effective_on=when),
                    (contract, status.value, when.isoformat()), FIELD_COLUMNS)]
    assert when is not None
    return records, when


def _readable(text: str) -> list[str]:
    """The line's fields, or none when csv cannot read it (such a line is rejected alone later)."""
    try:
        return csv_values(text)
    except RecordProblems:
        return []


def _check_file(data: bytes, lines: list[tuple[int, str | None, bytes]]) -> None:
    """Refuse files that are not this export at all: nothing of them is published."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise ExportFormatError("the file is UTF-8 (it starts with a byte-order mark); the water export is CP932")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExportFormatError("the file is UTF-16 (Excel's Unicode text?); the water export is CP932")
    if data.startswith(b"PK\x03\x04") or b"\x00" in data:
        raise ExportFormatError("the file is binary (an Excel workbook or an archive?), not the CP932 CSV export")
    if looks_utf8(data):
        raise ExportFormatError("the file is UTF-8; the water export is CP932 (Shift_JIS)")
    if not lines:
        raise ExportFormatError("the file is empty")
    first = lines[0][1]
    if first is not None:
        names = [v.strip() for v in _readable(first)]
        if any(name in COLUMNS for name in names):
            raise ExportFormatError(f"line {lines[0][0]} looks like a header line, but the water export has no "
                                    f"header: remove it (the {len(COLUMNS)} columns are positional)")
    if not any(text is not None and len(_readable(text)) == len(COLUMNS) for _, text, _ in lines):
        raise ExportFormatError(f"no line has the {len(COLUMNS)} fields of the water export; is it the right file?")


def parse_export(
    data: bytes,
    *,
    file_name: str,
    produced_at: Callable[[], datetime],
    category_overrides: Mapping[str, str] | None = None,
    source_system: str = SOURCE_SYSTEM,
    key_space: str | None = None,
) -> ParsedExport:
    """Parse a whole export. Raises ExportFormatError when the file cannot be read at all.

    ``source_system`` and ``key_space``: another water utility's system writing this same layout (a second vendor,
    contracts/keys.py) is this parser with its own source system and key space, e.g. ``water_east``."""
    lines = list(decode_lines(data, ENCODING))
    _check_file(data, lines)
    builder = ExportBuilder(source_system, DEPARTMENT, file_name, data, produced_at, key_space)
    overrides = category_overrides or {}
    for number, text, raw, last in join_quoted_lines(lines):
        if text is None:
            builder.reject(number, raw.decode(ENCODING, errors="replace"), [Problem("(line)", "not valid CP932 text")])
            continue
        try:
            values = csv_values(text)
        except RecordProblems as exc:
            builder.reject(number, text, exc.problems)
            continue
        if last != number and len(values) == len(COLUMNS):
            builder.reject(number, text, line_break_problems(COLUMNS, values, last))
            continue
        if len(values) != len(COLUMNS):
            builder.reject(number, text, [Problem("(line)", f"has {len(values)} fields, expected {len(COLUMNS)}")])
            continue
        row = FieldReader(dict(zip(COLUMNS, values, strict=True)))
        kind = row.text("レコード区分") or ""
        try:
            if kind not in KINDS:
                raise RecordProblems(row.problems or [
                    Problem("レコード区分", f"unknown value; expected one of {', '.join(KINDS)}")])
            records, when = _records(kind, row, overrides)
        except RecordProblems as exc:
            builder.reject(number, text, exc.problems)
            continue
        # A 請求 line gives two messages: publish both or neither (the line is rejected as a whole).
        failing = next((r for r in records if not _valid(r[0], r[1])), None) if len(records) > 1 else None
        for payload_cls, fields, keys, names in [failing] if failing else records:
            builder.accept(number, text, payload_cls, fields, source_keys=keys, occurred_on=when, field_names=names)
    return builder.result


def _valid(payload_cls: type[Payload], fields: dict[str, object]) -> bool:
    try:
        payload_cls.model_validate(fields)
        return True
    except ValueError:  # pydantic's ValidationError
        return False


# ---- rendering (the inverse), for samples, tests and the synthetic city -------------------------------------

_CHARGE_NAMES = {WATER: "上水道", SEWER: "下水道"}
_PERSON_KIND_CODES = {PersonKind.INDIVIDUAL: "1", PersonKind.CORPORATION: "2"}
_SUPPLY_NAMES = {status: name for name, status in SUPPLY_KINDS.items()}


_CHANNEL_NAMES, _ADJUSTMENT_NAMES = names_by_value(CHANNELS), names_by_value(ADJUSTMENT_REASONS)
_CANCELLATION_NAMES, _REVERSAL_NAMES = names_by_value(CANCELLATION_REASONS), names_by_value(REVERSAL_REASONS)


def _split_claim_id(value: str, customer: str) -> tuple[str, str, str, str]:
    """(年度, receivable, 水栓番号, 期) from a claim id built by ``claim_id`` for this customer."""
    try:
        fiscal_year, receivable, rest = value.split("-", 2)
        head, period = rest.rsplit("-", 1)
        suffix = "-" + customer
        if receivable in CHARGE_COLUMNS and head.endswith(suffix) and len(head) > len(suffix):
            return fiscal_year, receivable, head[: -len(suffix)], str(int(period))
    except ValueError:
        pass
    raise ValueError(f"claim id {value!r} does not follow claim_id() for customer {customer!r}")


def _same_bill(water: ClaimAssessed, sewer: Payload) -> bool:
    return (isinstance(sewer, ClaimAssessed) and water.receivable_type == WATER and sewer.receivable_type == SEWER
            and sewer.claim_id == water.claim_id.replace(f"-{WATER}-", f"-{SEWER}-", 1)
            and (water.person, water.due_date, water.assessed_on, water.period_start, water.period_end)
            == (sewer.person, sewer.due_date, sewer.assessed_on, sewer.period_start, sewer.period_end))


def render_export(records: Sequence[Payload], *, era_dates: bool = False) -> bytes:
    """Write payloads as the water billing system would export them (claim ids must follow ``claim_id``).

    A water ClaimAssessed directly followed by the sewer ClaimAssessed of the same bill is written as one 請求
    line, as parse_export reads it; a lone charge is written with the other charge 0."""
    fmt: Callable[[date | None], str] = (lambda d: to_wareki(d) if d else "") if era_dates else \
        (lambda d: d.isoformat() if d else "")
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    index, count = 0, len(records)
    while index < count:
        record = records[index]
        index += 1
        p = record.person  # type: ignore[attr-defined]
        customer = p.source_person_id
        row = ["", customer, "", _PERSON_KIND_CODES[p.kind], p.name_kanji or "", p.name_kana or "",
               fmt(p.birth_date), p.postal_code or "", p.address or "", p.phone or "",
               "", "", "", "", "", "", "", "", "", "", "", "", ""]
        # 0 レコード区分 2 水栓番号 10 年度 11 期 12-13 使用期間 14 納期限 15 料金区分 16 上水道料金 17 下水道使用料
        # 18 処理日 19 入金方法 20 入金番号 21 異動番号 22 事由
        if isinstance(record, WaterSupplyChanged):
            if record.status not in _SUPPLY_NAMES:
                raise ValueError(f"the water export has no record for supply status {record.status.value!r}")
            row[0], row[2], row[18] = _SUPPLY_NAMES[record.status], record.contract_id, fmt(record.effective_on)
        elif isinstance(record, PaymentReversed):
            row[0], row[18], row[20] = "入金取消", fmt(record.reversed_on), record.payment_id
            row[22] = _REVERSAL_NAMES[record.reason]
        else:
            claim = getattr(record, "claim_id", None)
            if claim is None:
                raise ValueError(f"a water {type(record).__name__} must name its claim (claim_id)")
            row[10], receivable, row[2], row[11] = _split_claim_id(claim, customer)
            column = 16 if receivable == WATER else 17
            if isinstance(record, ClaimAssessed):
                if record.period_start is None or record.period_end is None:
                    raise ValueError("a water bill needs its 使用期間 (period_start and period_end)")
                row[0], row[12], row[13] = "請求", fmt(record.period_start), fmt(record.period_end)
                row[14], row[18] = fmt(record.due_date), fmt(record.assessed_on)
                row[16] = row[17] = "0"
                row[column] = str(record.amount)
                if receivable == WATER and index < count and _same_bill(record, records[index]):
                    row[17] = str(records[index].amount)  # type: ignore[attr-defined]
                    index += 1
            elif isinstance(record, ClaimAdjusted):
                if record.amount_delta > 0:
                    raise ValueError("the water export only reduces claims (減額); amount_delta must be negative")
                row[0], row[15], row[column] = "減額", _CHARGE_NAMES[receivable], str(-record.amount_delta)
                row[18], row[21], row[22] = fmt(record.adjusted_on), f"G{index:08d}", _ADJUSTMENT_NAMES[record.reason]
            elif isinstance(record, ClaimCancelled):
                row[0], row[15], row[18] = "取消", _CHARGE_NAMES[receivable], fmt(record.cancelled_on)
                row[22] = _CANCELLATION_NAMES[record.reason]
            elif isinstance(record, PaymentReceived):
                row[0], row[15], row[column] = "入金", _CHARGE_NAMES[receivable], str(record.amount)
                row[18], row[19], row[20] = fmt(record.paid_on), _CHANNEL_NAMES[record.channel], record.payment_id
            elif isinstance(record, ClaimNoticeSent):
                row[0] = next(name for name, kind in NOTICE_KINDS.items() if kind is record.kind)
                row[15], row[18], row[21] = _CHARGE_NAMES[receivable], fmt(record.sent_on), record.notice_id
            else:
                raise TypeError(f"the water export has no record for {type(record).__name__}")
        write(row)
    return out.getvalue().encode(ENCODING)
