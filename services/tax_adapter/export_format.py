"""The tax system's change export (住民税・固定資産税・軽自動車税 異動データ): CP932 CSV with Japanese headers.

Pure functions, no I/O: ``parse_export`` (bytes → canonical envelopes and rejected lines) and
``render_export`` (canonical payloads → the same format, for samples, tests and the synthetic city).
Each data line is one record whose 処理区分 says what happened. The columns are in this service's README.

Lines are decoded one by one, so a line that is not CP932 is rejected alone and the rest still go through.
No field may hold a line break (the export never writes one; an address or name with one is a broken record): a
quoted line break is joined with its continuation and the record rejected naming the field and both lines.
"""

from __future__ import annotations

import csv
import io
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
    ExemptionApplied,
    ExemptionReason,
    InstallmentAgreed,
    NoticeKind,
    Payload,
    PaymentChannel,
    PaymentReceived,
    PaymentReversed,
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
    decode_lines,
    join_quoted_lines,
    line_break_problems,
    looks_utf8,
    monthly_schedule,
    names_by_value,
)
from shared.japanese_dates import to_wareki

SOURCE_SYSTEM = "tax-core"
DEPARTMENT = Department.TAX
ENCODING = "cp932"

COLUMNS = (
    "処理区分", "宛名番号", "氏名", "氏名カナ", "生年月日", "郵便番号", "住所", "電話番号",
    "税目", "年度", "期別", "通知書番号", "納期限", "金額", "処理日", "収納方法", "収納番号", "異動番号", "事由",
    "分納番号", "分納回数", "初回納期限", "申請番号", "文書番号",
)
REQUIRED_COLUMNS = ("処理区分", "宛名番号", "金額", "処理日")

TAX_ITEMS = {  # 税目 → receivable code
    "市県民税": "individual_inhabitant_tax",
    "市民税・県民税": "individual_inhabitant_tax",
    "個人住民税": "individual_inhabitant_tax",
    "固定資産税": "fixed_asset_tax",
    "固定資産税・都市計画税": "fixed_asset_tax",
    "軽自動車税": "light_vehicle_tax",
}
CHANNELS = {
    "口座振替": PaymentChannel.ACCOUNT_TRANSFER, "コンビニ": PaymentChannel.CONVENIENCE_STORE,
    "窓口": PaymentChannel.COUNTER, "スマホ決済": PaymentChannel.SMARTPHONE, "金融機関": PaymentChannel.BANK,
    "eLTAX": PaymentChannel.ELTAX, "クレジット": PaymentChannel.CARD, "その他": PaymentChannel.OTHER,
}
ADJUSTMENT_REASONS = {"更正": AdjustmentReason.CORRECTION, "減額": AdjustmentReason.REDUCTION,
                      "減免": AdjustmentReason.EXEMPTION}
CANCELLATION_REASONS = {"誤賦課": CancellationReason.ASSESSMENT_ERROR, "転出": CancellationReason.MOVED_OUT,
                        "死亡": CancellationReason.DECEASED, "重複": CancellationReason.DUPLICATE,
                        "その他": CancellationReason.OTHER}
REVERSAL_REASONS = {"口座振替不能": ReversalReason.ACCOUNT_TRANSFER_FAILED, "不渡り": ReversalReason.DISHONOURED,
                    "誤入金": ReversalReason.ENTRY_ERROR, "その他": ReversalReason.OTHER}
EXEMPTION_REASONS = {"所得減少": ExemptionReason.INCOME_DROP, "災害": ExemptionReason.DISASTER,
                     "生活困窮": ExemptionReason.HARDSHIP, "生活保護": ExemptionReason.PUBLIC_ASSISTANCE,
                     "その他": ExemptionReason.OTHER}
KINDS = ("調定", "更正", "取消", "収納", "収納取消", "分納", "減免申請", "督促", "催告")
#: 処理区分 of the notices the tax system sends itself (督促状・催告書): 処理日 is the day it was sent.
NOTICE_KINDS = {"督促": NoticeKind.DEMAND_NOTICE, "催告": NoticeKind.REMINDER}
# Payload field → column, so that a payload-level problem names the column staff know.
FIELD_COLUMNS = {"claim_id": "通知書番号", "source_person_id": "宛名番号", "name_kanji": "氏名",
                 "name_kana": "氏名カナ", "birth_date": "生年月日", "due_date": "納期限", "amount": "金額",
                 "amount_delta": "金額", "payment_id": "収納番号", "agreement_id": "分納番号",
                 "application_id": "申請番号", "notice_id": "文書番号", "sent_on": "処理日", "postal_code": "郵便番号", "address": "住所", "phone": "電話番号"}


def claim_id(fiscal_year: int, receivable: str, notice: str, installment: int) -> str:
    """年度-税目-通知書番号-期別 is unique in the tax system."""
    return f"{fiscal_year}-{receivable}-{notice}-{installment:02d}"


def _person(row: FieldReader) -> dict[str, object]:
    return {
        "source_person_id": row.text("宛名番号"),
        "name_kanji": row.text("氏名", required=False, fold_width=False),
        "name_kana": row.text("氏名カナ", required=False),
        "birth_date": row.date("生年月日", required=False),
        "postal_code": row.text("郵便番号", required=False),
        "address": row.text("住所", required=False, fold_width=False),
        "phone": row.text("電話番号", required=False),
    }


def _claim(row: FieldReader, *, required: bool = True) -> tuple[str, str, int, int] | None:
    """(claim id, receivable code, fiscal year, installment) of the claim a line names."""
    if not required and not any(row.present(c) for c in ("税目", "年度", "期別", "通知書番号")):
        return None
    receivable = row.choice("税目", TAX_ITEMS)
    fiscal_year = row.fiscal_year("年度")
    installment = row.integer("期別", low=0, high=99)
    notice = row.text("通知書番号")
    if receivable is None or fiscal_year is None or installment is None or notice is None:
        return None
    return claim_id(fiscal_year, receivable, notice, installment), receivable, fiscal_year, installment


def _record(kind: str, row: FieldReader, overrides: Mapping[str, str]
            ) -> tuple[type[Payload], dict[str, object], tuple[str, ...], date]:
    """The payload fields for one line, the source keys its message id derives from, and its date."""
    row.context = f"for {kind}"
    person = _person(row)
    when = row.date("処理日")
    if kind == "調定":
        claim = _claim(row)
        due, amount = row.date("納期限"), row.amount("金額")
        if not (row.present("氏名") or row.present("氏名カナ")):
            row.add("氏名", "氏名 or 氏名カナ is required for 調定")
        row.check()
        assert claim is not None and when is not None
        cid, code, fiscal_year, installment = claim
        return ClaimAssessed, dict(
            claim_id=cid, person=person, receivable_type=code, legal_category=legal_category(code, dict(overrides)),
            fiscal_year=fiscal_year, installment=installment, due_date=due, amount=amount, assessed_on=when,
        ), (cid,), when
    if kind == "更正":
        claim, delta = _claim(row), row.amount("金額", signed=True)
        reason, serial = row.choice("事由", ADJUSTMENT_REASONS), row.text("異動番号")
        row.check()
        assert claim is not None and when is not None
        return ClaimAdjusted, dict(claim_id=claim[0], person=person, amount_delta=delta, reason=reason,
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
    if kind == "分納":
        claim, agreement, total = _claim(row), row.text("分納番号"), row.amount("金額")
        count, first_due = row.integer("分納回数", low=1, high=120), row.date("初回納期限")
        row.check()
        assert claim is not None and when is not None and total and count and first_due
        if total < count:
            raise RecordProblems([Problem("分納回数", "is larger than the amount in yen")])
        return InstallmentAgreed, dict(
            agreement_id=agreement, person=person, claim_ids=(claim[0],),
            schedule=monthly_schedule(total, count, first_due), agreed_on=when,
        ), (str(agreement), claim[0]), when
    if kind == "減免申請":
        application, reason = row.text("申請番号"), row.choice("事由", EXEMPTION_REASONS)
        claim = _claim(row, required=False)
        receivable = claim[1] if claim else row.choice("税目", TAX_ITEMS)
        row.check()
        assert when is not None
        return ExemptionApplied, dict(application_id=application, person=person, receivable_type=receivable,
                                      claim_id=claim[0] if claim else None, reason=reason, applied_on=when), \
            (str(application),), when
    if kind in NOTICE_KINDS:
        claim, notice = _claim(row), row.text("文書番号")
        row.check()
        assert claim is not None and when is not None
        return ClaimNoticeSent, dict(notice_id=notice, person=person, claim_id=claim[0], kind=NOTICE_KINDS[kind],
                                     sent_on=when), (str(notice), claim[0]), when
    raise RecordProblems([Problem("処理区分", f"unknown value; expected one of {', '.join(KINDS)}")])


def parse_export(
    data: bytes,
    *,
    file_name: str,
    produced_at: Callable[[], datetime],
    category_overrides: Mapping[str, str] | None = None,
) -> ParsedExport:
    """Parse a whole export. Raises ExportFormatError when the file cannot be read at all."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise ExportFormatError("the file is UTF-8 (it starts with a byte-order mark); the tax export is CP932")
    lines = list(decode_lines(data, ENCODING))
    if not lines:
        raise ExportFormatError("the file is empty")
    header_number, header_text, _ = lines[0]
    if header_text is None:
        if looks_utf8(data):
            raise ExportFormatError("the file is UTF-8; the tax export is CP932 (Shift_JIS)")
        raise ExportFormatError(f"line {header_number}: the header is not CP932 text")
    try:
        header = [h.strip() for h in csv_values(header_text)]
    except RecordProblems as exc:
        raise ExportFormatError(f"line {header_number}: the header is not readable CSV ({exc})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        hint = " (is the file UTF-8? the tax export is CP932)" if looks_utf8(data) else ""
        raise ExportFormatError(f"missing columns: {', '.join(missing)}{hint}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ExportFormatError(f"unknown columns: {', '.join(unknown)}")

    builder = ExportBuilder(SOURCE_SYSTEM, DEPARTMENT, file_name, data, produced_at)
    overrides = category_overrides or {}
    for number, text, raw, last in join_quoted_lines(lines[1:]):
        if text is None:
            builder.reject(number, raw.decode(ENCODING, errors="replace"), [Problem("(line)", "not valid CP932 text")])
            continue
        try:
            values = csv_values(text)
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
            payload_cls, fields, keys, when = _record(row.text("処理区分") or "", row, overrides)
        except RecordProblems as exc:
            builder.reject(number, text, exc.problems)
            continue
        except ValueError as exc:  # an invalid category override names the receivable, not personal data
            builder.reject(number, text, [Problem("税目", str(exc))])
            continue
        builder.accept(number, text, payload_cls, fields, source_keys=keys, occurred_on=when,
                       field_names=FIELD_COLUMNS)
    return builder.result


# ---- rendering (the inverse), for samples, tests and the synthetic city -------------------------------------

_TAX_ITEM_NAMES = {"individual_inhabitant_tax": "市県民税", "fixed_asset_tax": "固定資産税",
                   "light_vehicle_tax": "軽自動車税"}


_CHANNEL_NAMES, _ADJUSTMENT_NAMES = names_by_value(CHANNELS), names_by_value(ADJUSTMENT_REASONS)
_CANCELLATION_NAMES, _REVERSAL_NAMES = names_by_value(CANCELLATION_REASONS), names_by_value(REVERSAL_REASONS)
_EXEMPTION_NAMES, _NOTICE_NAMES = names_by_value(EXEMPTION_REASONS), names_by_value(NOTICE_KINDS)


def _split_claim_id(value: str) -> dict[str, str]:
    fiscal_year, receivable, rest = value.split("-", 2)
    notice, installment = rest.rsplit("-", 1)
    return {"税目": _TAX_ITEM_NAMES[receivable], "年度": fiscal_year, "通知書番号": notice,
            "期別": str(int(installment))}


def render_export(records: Sequence[Payload], *, era_dates: bool = False) -> bytes:
    """Write payloads as the tax system would export them (claim ids must follow ``claim_id``)."""
    fmt: Callable[[date | None], str] = (lambda d: to_wareki(d) if d else "") if era_dates else \
        (lambda d: d.isoformat() if d else "")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for serial, record in enumerate(records, start=1):
        p = record.person  # type: ignore[attr-defined]
        row: dict[str, str] = {"宛名番号": p.source_person_id, "氏名": p.name_kanji or "", "氏名カナ": p.name_kana or "",
                               "生年月日": fmt(p.birth_date), "郵便番号": p.postal_code or "", "住所": p.address or "",
                               "電話番号": p.phone or ""}
        if isinstance(record, ClaimAssessed):
            row.update(処理区分="調定", **_split_claim_id(record.claim_id), 納期限=fmt(record.due_date),
                       金額=str(record.amount), 処理日=fmt(record.assessed_on))
        elif isinstance(record, ClaimAdjusted):
            row.update(処理区分="更正", **_split_claim_id(record.claim_id), 金額=str(record.amount_delta),
                       処理日=fmt(record.adjusted_on), 異動番号=f"K{serial:08d}",
                       事由=_ADJUSTMENT_NAMES[record.reason])
        elif isinstance(record, ClaimCancelled):
            row.update(処理区分="取消", **_split_claim_id(record.claim_id), 処理日=fmt(record.cancelled_on),
                       事由=_CANCELLATION_NAMES[record.reason])
        elif isinstance(record, PaymentReceived):
            row.update(処理区分="収納", 収納番号=record.payment_id, 金額=str(record.amount),
                       処理日=fmt(record.paid_on), 収納方法=_CHANNEL_NAMES[record.channel])
            if record.claim_id:
                row.update(_split_claim_id(record.claim_id))
        elif isinstance(record, PaymentReversed):
            row.update(処理区分="収納取消", 収納番号=record.payment_id, 処理日=fmt(record.reversed_on),
                       事由=_REVERSAL_NAMES[record.reason])
        elif isinstance(record, InstallmentAgreed):
            schedule = record.schedule
            row.update(処理区分="分納", **_split_claim_id(record.claim_ids[0]), 分納番号=record.agreement_id,
                       金額=str(sum(s.amount for s in schedule)), 分納回数=str(len(schedule)),
                       初回納期限=fmt(schedule[0].due_date), 処理日=fmt(record.agreed_on))
        elif isinstance(record, ExemptionApplied):
            row.update(処理区分="減免申請", 申請番号=record.application_id, 処理日=fmt(record.applied_on),
                       事由=_EXEMPTION_NAMES[record.reason], 税目=_TAX_ITEM_NAMES[record.receivable_type])
            if record.claim_id:
                row.update(_split_claim_id(record.claim_id))
        elif isinstance(record, ClaimNoticeSent):
            row.update(処理区分=_NOTICE_NAMES[record.kind], **_split_claim_id(record.claim_id),
                       文書番号=record.notice_id, 処理日=fmt(record.sent_on))
        else:
            raise TypeError(f"the tax export has no record for {type(record).__name__}")
        writer.writerow(row)
    return out.getvalue().encode(ENCODING)
