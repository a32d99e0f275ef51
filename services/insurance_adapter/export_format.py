"""The insurance system's fixed-width change file (国保・介護・後期高齢 賦課収納 異動データ), CP932.

Pure functions, no I/O: ``parse_export`` (bytes → canonical envelopes and rejected records) and
``render_export`` (canonical payloads → the same format, for samples, tests and the synthetic city).

One record per line (CRLF), every record ``RECORD_LENGTH`` bytes of CP932. Field widths count bytes, so a
kanji takes 2: each record is sliced as bytes and every field is decoded on its own, so an undecodable field
is reported by name and the other records still go through. The layout is ``LAYOUT`` (and the README).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
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
    RelationRole,
    ReversalReason,
)
from contracts.receivables import legal_category
from shared.ingest.records import (
    AmountError,
    ExportBuilder,
    ExportFormatError,
    FieldReader,
    ParsedExport,
    Problem,
    RecordProblems,
    looks_utf8,
    monthly_schedule,
    parse_yen,
)
from shared.japanese_dates import ERAS, DateFormatError, parse_japanese_date

SOURCE_SYSTEM = "insurance-core"
DEPARTMENT = Department.INSURANCE
ENCODING = "cp932"

# (field name, width in bytes, kind): "X" alphanumeric (left, space-padded), "9" numeric (right, zero-padded),
# "N" kanji (left, padded with full-width spaces U+3000), "K" half-width kana (left, space-padded).
LAYOUT: tuple[tuple[str, int, str], ...] = (
    ("レコード種別", 2, "9"), ("納付義務者番号", 10, "X"), ("氏名", 40, "N"), ("氏名カナ", 40, "K"),
    ("生年月日", 7, "9"), ("郵便番号", 8, "X"), ("住所", 80, "N"), ("電話番号", 13, "X"),
    ("債権コード", 2, "9"), ("年度", 4, "9"), ("期別", 2, "9"), ("通知書番号", 12, "X"),
    ("納期限", 8, "9"), ("処理日", 8, "9"), ("金額", 12, "9"), ("収納方法", 2, "9"), ("収納番号", 16, "X"),
    ("事由コード", 2, "9"), ("異動番号", 10, "X"), ("分納番号", 12, "X"), ("分納回数", 3, "9"),
    ("初回納期限", 8, "9"), ("申請番号", 12, "X"), ("世帯員番号", 10, "X"), ("世帯員氏名", 40, "N"),
    ("文書番号", 12, "X"), ("予備", 25, "X"),
)
OFFSETS: dict[str, tuple[int, int]] = {}
_offset = 0
for _name, _width, _kind in LAYOUT:
    OFFSETS[_name] = (_offset, _offset + _width)
    _offset += _width
RECORD_LENGTH = _offset  # 400
del _offset, _name, _width, _kind

RECORD_TYPES = {"11": "調定", "12": "更正", "13": "取消", "21": "収納", "22": "収納取消", "31": "分納",
                "41": "減免申請", "51": "督促", "52": "催告"}
#: Notices the insurance system sent itself (督促状 51, 催告書 52): 処理日 is the day sent, 文書番号 its number.
NOTICE_KINDS = {"督促": NoticeKind.DEMAND_NOTICE, "催告": NoticeKind.REMINDER}
RECEIVABLES = {"01": "national_health_insurance_tax", "02": "long_term_care_premium",
               "03": "late_elderly_medical_premium",
               "04": "national_health_insurance_premium"}  # 国民健康保険料: a city that levies 料, not 税
CHANNELS = {"01": PaymentChannel.ACCOUNT_TRANSFER, "02": PaymentChannel.CONVENIENCE_STORE,
            "03": PaymentChannel.COUNTER, "04": PaymentChannel.SMARTPHONE, "05": PaymentChannel.BANK,
            "06": PaymentChannel.ELTAX, "07": PaymentChannel.CARD, "99": PaymentChannel.OTHER}
ADJUSTMENT_REASONS = {"01": AdjustmentReason.CORRECTION, "02": AdjustmentReason.REDUCTION,
                      "03": AdjustmentReason.EXEMPTION}
CANCELLATION_REASONS = {"01": CancellationReason.ASSESSMENT_ERROR, "02": CancellationReason.MOVED_OUT,
                        "03": CancellationReason.DECEASED, "04": CancellationReason.DUPLICATE,
                        "99": CancellationReason.OTHER}
REVERSAL_REASONS = {"01": ReversalReason.ACCOUNT_TRANSFER_FAILED, "02": ReversalReason.DISHONOURED,
                    "03": ReversalReason.ENTRY_ERROR, "99": ReversalReason.OTHER}
EXEMPTION_REASONS = {"01": ExemptionReason.INCOME_DROP, "02": ExemptionReason.DISASTER,
                     "03": ExemptionReason.HARDSHIP, "04": ExemptionReason.PUBLIC_ASSISTANCE,
                     "99": ExemptionReason.OTHER}
ERA_DIGITS = {"1": "明治", "2": "大正", "3": "昭和", "4": "平成", "5": "令和"}
# Payload field → source field, so that a payload-level problem names the field staff know.
FIELD_NAMES = {"claim_id": "通知書番号", "source_person_id": "納付義務者番号", "name_kanji": "氏名",
               "name_kana": "氏名カナ", "birth_date": "生年月日", "due_date": "納期限", "amount": "金額",
               "amount_delta": "金額", "payment_id": "収納番号", "agreement_id": "分納番号",
               "application_id": "申請番号", "notice_id": "文書番号", "sent_on": "処理日", "postal_code": "郵便番号", "address": "住所", "phone": "電話番号",
               "fiscal_year": "年度", "installment": "期別", "schedule": "初回納期限",
               "related_persons": "世帯員番号"}
_MEIJI_START = ERAS[-1].start


def claim_id(fiscal_year: int, receivable: str, notice: str, installment: int) -> str:
    """年度-<receivable code>-通知書番号-期別 is unique in the insurance system."""
    return f"{fiscal_year}-{receivable}-{notice}-{installment:02d}"


# ---- reading fields ----------------------------------------------------------------------------------------

def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def era_code_date(code: str) -> date:
    """GYYMMDD (3500401 = 昭和50年4月1日) → date; era ranges are checked by parse_japanese_date."""
    era = ERA_DIGITS.get(code[0])
    if era is None:
        raise DateFormatError("unknown era digit (expected 1 明治, 2 大正, 3 昭和, 4 平成 or 5 令和)")
    return parse_japanese_date(f"{era}{int(code[1:3])}年{int(code[3:5])}月{int(code[5:7])}日")


def _date(row: FieldReader, name: str, *, required: bool = True, era_only: bool = False) -> date | None:
    """A 7-digit era code GYYMMDD or (unless ``era_only``) 8 digits YYYYMMDD; blank or all zeros is absent."""
    text = row.text(name, required=False)
    if text is None or text.strip("0") == "":
        if required:
            row.add(name, f"is required{(' ' + row.context) if row.context else ''}")
        return None
    if not _is_digits(text) or len(text) not in ((7,) if era_only else (7, 8)):
        row.add(name, "must be a 7-digit era code GYYMMDD" + ("" if era_only else " or 8 digits YYYYMMDD"))
        return None
    try:
        value = era_code_date(text) if len(text) == 7 else parse_japanese_date(text)
    except DateFormatError as exc:
        row.add(name, str(exc))
        return None
    if value < _MEIJI_START:
        row.add(name, f"is before 明治 began ({_MEIJI_START.isoformat()})")
        return None
    return value


def _amount(row: FieldReader, name: str, *, signed: bool = False) -> int | None:
    """A sign byte (+, - or space for +) and 11 digits, whole yen."""
    raw = row.raw(name)
    if not raw.strip():
        row.add(name, f"is required{(' ' + row.context) if row.context else ''}")
        return None
    sign, digits = raw[0], raw[1:].strip()
    if sign not in "+- ":
        row.add(name, "must start with a sign byte: +, - or a space")
        return None
    if not _is_digits(digits):
        try:
            parse_yen(digits)  # for its reason (decimals, grouping, non-ASCII digits): the field is digits only
            reason = "must be 11 digits without grouping"
        except AmountError as exc:
            reason = str(exc)
        row.add(name, reason)
        return None
    return row.sign_checked(name, parse_yen(f"-{digits}" if sign == "-" else digits), signed=signed)


def _person(row: FieldReader) -> dict[str, object]:
    return {
        "source_person_id": row.text("納付義務者番号"),
        "name_kanji": row.text("氏名", required=False, fold_width=False),
        "name_kana": row.text("氏名カナ", required=False),  # NFKC: half-width kana → full width
        "birth_date": _date(row, "生年月日", required=False, era_only=True),
        "postal_code": row.text("郵便番号", required=False),
        "address": row.text("住所", required=False, fold_width=False),
        "phone": row.text("電話番号", required=False),
    }


def _claim(row: FieldReader, *, required: bool = True) -> tuple[str, str, int, int] | None:
    """(claim id, receivable code, fiscal year, 期別) of the claim a record names."""
    if not required and not any(row.present(f) for f in ("年度", "期別", "通知書番号")):
        return None
    receivable = row.choice("債権コード", RECEIVABLES)
    fiscal_year = row.integer("年度", low=1989, high=2200)
    installment = row.integer("期別", low=0, high=99)
    notice = row.text("通知書番号")
    if receivable is None or fiscal_year is None or installment is None or notice is None:
        return None
    return claim_id(fiscal_year, receivable, notice, installment), receivable, fiscal_year, installment


def _household_member(row: FieldReader, receivable: str | None) -> list[dict[str, object]]:
    """国民健康保険税 (or 料) is billed to the head of household; the insured member is named as a related person."""
    member_id = row.text("世帯員番号", required=False)
    member_name = row.text("世帯員氏名", required=False, fold_width=False)
    if member_id is None and member_name is None:
        return []
    if receivable is not None and receivable not in (RECEIVABLES["01"], RECEIVABLES["04"]):
        row.add("世帯員番号", "is only used for 国民健康保険税 or 料 (債権コード 01, 04)")
    if member_id is None:
        row.add("世帯員番号", "is required when 世帯員氏名 is given")
        return []
    return [{"role": RelationRole.HOUSEHOLD_MEMBER,
             "person": {"source_person_id": member_id, "name_kanji": member_name}}]


def _record(kind: str, row: FieldReader, overrides: Mapping[str, str]
            ) -> tuple[type[Payload], dict[str, object], tuple[str, ...], date]:
    """The payload fields for one record, the source keys its message id derives from, and its date."""
    row.context = f"for {kind}"
    person = _person(row)
    when = _date(row, "処理日")
    if kind == "調定":
        claim = _claim(row)
        due, amount = _date(row, "納期限"), _amount(row, "金額")
        members = _household_member(row, claim[1] if claim else None)
        if not (row.present("氏名") or row.present("氏名カナ")):
            row.add("氏名", "氏名 or 氏名カナ is required for 調定")
        row.check()
        assert claim is not None and when is not None
        cid, code, fiscal_year, installment = claim
        return ClaimAssessed, dict(
            claim_id=cid, person=person, receivable_type=code, legal_category=legal_category(code, dict(overrides)),
            fiscal_year=fiscal_year, installment=installment, due_date=due, amount=amount, assessed_on=when,
            related_persons=members,
        ), (cid,), when
    if kind == "更正":
        claim, delta = _claim(row), _amount(row, "金額", signed=True)
        reason, serial = row.choice("事由コード", ADJUSTMENT_REASONS), row.text("異動番号")
        row.check()
        assert claim is not None and when is not None
        return ClaimAdjusted, dict(claim_id=claim[0], person=person, amount_delta=delta, reason=reason,
                                   adjusted_on=when), (claim[0], str(serial)), when
    if kind == "取消":
        claim, reason = _claim(row), row.choice("事由コード", CANCELLATION_REASONS)
        row.check()
        assert claim is not None and when is not None
        return ClaimCancelled, dict(claim_id=claim[0], person=person, reason=reason, cancelled_on=when), \
            (claim[0],), when
    if kind == "収納":
        payment_id, amount = row.text("収納番号"), _amount(row, "金額")
        channel, claim = row.choice("収納方法", CHANNELS), _claim(row, required=False)
        if claim is None:
            row.choice("債権コード", RECEIVABLES, required=False)
        row.check()
        assert when is not None
        return PaymentReceived, dict(payment_id=payment_id, person=person, claim_id=claim[0] if claim else None,
                                     amount=amount, paid_on=when, channel=channel), (str(payment_id),), when
    if kind == "収納取消":
        payment_id, reason = row.text("収納番号"), row.choice("事由コード", REVERSAL_REASONS)
        row.check()
        assert when is not None
        return PaymentReversed, dict(payment_id=payment_id, person=person, reason=reason, reversed_on=when), \
            (str(payment_id),), when
    if kind == "分納":
        claim, agreement, total = _claim(row), row.text("分納番号"), _amount(row, "金額")
        count, first_due = row.integer("分納回数", low=1, high=120), _date(row, "初回納期限")
        row.check()
        assert claim is not None and when is not None and total and count and first_due
        if total < count:
            raise RecordProblems([Problem("分納回数", "is larger than the amount in yen")])
        return InstallmentAgreed, dict(
            agreement_id=agreement, person=person, claim_ids=(claim[0],),
            schedule=monthly_schedule(total, count, first_due), agreed_on=when,
        ), (str(agreement), claim[0]), when
    if kind in NOTICE_KINDS:
        claim, notice = _claim(row), row.text("文書番号")
        row.check()
        assert claim is not None and when is not None
        return ClaimNoticeSent, dict(notice_id=notice, person=person, claim_id=claim[0], kind=NOTICE_KINDS[kind],
                                     sent_on=when), (str(notice), claim[0]), when
    # 減免申請
    application, reason = row.text("申請番号"), row.choice("事由コード", EXEMPTION_REASONS)
    claim = _claim(row, required=False)
    receivable = claim[1] if claim else row.choice("債権コード", RECEIVABLES)
    row.check()
    assert when is not None
    return ExemptionApplied, dict(application_id=application, person=person, receivable_type=receivable,
                                  claim_id=claim[0] if claim else None, reason=reason, applied_on=when), \
        (str(application),), when


# ---- reading records ---------------------------------------------------------------------------------------

def _records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, record bytes) for every non-blank line; a DOS end-of-file byte (0x1A) is ignored."""
    for number, raw in enumerate(data.splitlines(), start=1):
        if raw.strip(b" \t\x1a"):
            yield number, raw


def _fields(raw: bytes) -> tuple[dict[str, str], list[Problem]]:
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for name, (start, end) in OFFSETS.items():
        try:
            values[name] = raw[start:end].decode(ENCODING)
        except UnicodeDecodeError:
            problems.append(Problem(name, "not valid CP932 text (or a character cut at the field boundary)"))
    return values, problems


def parse_export(
    data: bytes,
    *,
    file_name: str,
    produced_at: Callable[[], datetime],
    category_overrides: Mapping[str, str] | None = None,
) -> ParsedExport:
    """Parse a whole file. Raises ExportFormatError when the file cannot be read at all."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise ExportFormatError("the file is UTF-8 (it starts with a byte-order mark); the insurance file is CP932")
    records = list(_records(data))
    if not records:
        raise ExportFormatError("the file is empty")
    if looks_utf8(data):
        raise ExportFormatError("the file is UTF-8; the insurance file is CP932 (Shift_JIS)")
    first_number, first = records[0]
    try:
        first.decode(ENCODING)
    except UnicodeDecodeError:
        raise ExportFormatError(f"record 1 (line {first_number}) is not CP932 text") from None
    if all(len(raw) != RECORD_LENGTH for _, raw in records):
        raise ExportFormatError(f"no record is {RECORD_LENGTH} bytes long: this is not the insurance "
                                "system's fixed-width file")

    builder = ExportBuilder(SOURCE_SYSTEM, DEPARTMENT, file_name, data, produced_at)
    overrides = category_overrides or {}
    for number, raw in records:
        text = raw.decode(ENCODING, errors="replace")
        if len(raw) != RECORD_LENGTH:
            builder.reject(number, text, [Problem("(record)", f"record is {len(raw)} bytes, expected {RECORD_LENGTH}")])
            continue
        values, problems = _fields(raw)
        if problems:
            builder.reject(number, text, problems)
            continue
        row = FieldReader(values)
        code = row.text("レコード種別", required=False) or ""
        if code not in RECORD_TYPES:
            expected = ", ".join(f"{c} {k}" for c, k in RECORD_TYPES.items())
            builder.reject(number, text, [Problem("レコード種別", f"unknown value; expected one of {expected}")])
            continue
        try:
            payload_cls, fields, keys, when = _record(RECORD_TYPES[code], row, overrides)
        except RecordProblems as exc:
            builder.reject(number, text, exc.problems)
            continue
        except ValueError as exc:  # an invalid category override names the receivable, not personal data
            builder.reject(number, text, [Problem("債権コード", str(exc))])
            continue
        builder.accept(number, text, payload_cls, fields, source_keys=keys, occurred_on=when,
                       field_names=FIELD_NAMES)
    return builder.result


# ---- rendering (the inverse), for samples, tests and the synthetic city -------------------------------------

_CODES = {v: k for k, v in RECORD_TYPES.items()}
_RECEIVABLE_CODES = {v: k for k, v in RECEIVABLES.items()}
_CHANNEL_CODES = {v: k for k, v in CHANNELS.items()}
_ADJUSTMENT_CODES = {v: k for k, v in ADJUSTMENT_REASONS.items()}
_CANCELLATION_CODES = {v: k for k, v in CANCELLATION_REASONS.items()}
_REVERSAL_CODES = {v: k for k, v in REVERSAL_REASONS.items()}
_EXEMPTION_CODES = {v: k for k, v in EXEMPTION_REASONS.items()}
_NOTICE_NAMES = {v: k for k, v in NOTICE_KINDS.items()}
_ERA_NUMBERS = {name: digit for digit, name in ERA_DIGITS.items()}


def _half_width_kana_table() -> dict[int, str]:
    """Full-width katakana → half-width, the exact inverse of what NFKC does on parse (ガ → ｶﾞ)."""
    table: dict[int, str] = {0x3000: " "}
    bases = [chr(c) for c in range(0xFF61, 0xFFA0)]
    for half in bases + [b + mark for b in bases for mark in "\uff9e\uff9f"]:
        full = unicodedata.normalize("NFKC", half)
        if len(full) == 1 and ord(full) not in table and full != half:
            table[ord(full)] = half
    return table


_HALF_WIDTH_KANA = _half_width_kana_table()


def era_code(value: date) -> str:
    """date → GYYMMDD (昭和50年4月1日 → 3500401)."""
    for era in ERAS:
        if value >= era.start:
            return f"{_ERA_NUMBERS[era.name]}{value.year - era.start.year + 1:02d}{value.month:02d}{value.day:02d}"
    raise ValueError("dates before 明治 have no era code")


def _encode(values: Mapping[str, str]) -> bytes:
    parts: list[str] = []
    for name, width, kind in LAYOUT:
        value = values.get(name) or ""
        size = len(value) if value.isascii() else len(value.encode(ENCODING))
        if size > width:
            raise ValueError(f"{name} does not fit in {width} bytes")
        if kind == "N" and size < width:
            pad = width - size
            parts.append(value + "\u3000" * (pad // 2) + " " * (pad % 2))
        else:
            parts.append(value + " " * (width - size))
    return "".join(parts).encode(ENCODING) + b"\r\n"


def _split_claim_id(value: str) -> dict[str, str]:
    fiscal_year, receivable, rest = value.split("-", 2)
    notice, installment = rest.rsplit("-", 1)
    return {"債権コード": _RECEIVABLE_CODES[receivable], "年度": fiscal_year, "通知書番号": notice,
            "期別": installment}


def _amount_text(value: int) -> str:
    return f"{'-' if value < 0 else '+'}{abs(value):011d}"


def render_export(records: Sequence[Payload], *, era_dates: bool = False) -> bytes:
    """Write payloads as the insurance system exports them (claim ids must follow ``claim_id``).

    Birth dates are always era codes (GYYMMDD); other dates are YYYYMMDD, or era codes with ``era_dates``.
    Raises ValueError for what the format cannot carry (a name longer than its field, a character outside
    CP932, a schedule other than ``monthly_schedule``, a related person other than one household member)."""
    fmt: Callable[[date], str] = era_code if era_dates else (lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}")
    out: list[bytes] = []
    for serial, record in enumerate(records, start=1):
        p = record.person  # type: ignore[attr-defined]
        row: dict[str, str] = {
            "納付義務者番号": p.source_person_id, "氏名": p.name_kanji or "",
            "氏名カナ": (p.name_kana or "").translate(_HALF_WIDTH_KANA),
            "生年月日": era_code(p.birth_date) if p.birth_date else "", "郵便番号": p.postal_code or "",
            "住所": p.address or "", "電話番号": p.phone or ""}
        if isinstance(record, ClaimAssessed):
            row.update(_split_claim_id(record.claim_id), 納期限=fmt(record.due_date),
                       金額=_amount_text(record.amount), 処理日=fmt(record.assessed_on))
            if record.related_persons:
                (member,) = record.related_persons
                if member.role != RelationRole.HOUSEHOLD_MEMBER:
                    raise ValueError("the insurance file names only a household member (世帯員)")
                row.update(世帯員番号=member.person.source_person_id, 世帯員氏名=member.person.name_kanji or "")
        elif isinstance(record, ClaimAdjusted):
            row.update(_split_claim_id(record.claim_id), 金額=_amount_text(record.amount_delta),
                       処理日=fmt(record.adjusted_on), 異動番号=f"K{serial:09d}",
                       事由コード=_ADJUSTMENT_CODES[record.reason])
        elif isinstance(record, ClaimCancelled):
            row.update(_split_claim_id(record.claim_id), 処理日=fmt(record.cancelled_on),
                       事由コード=_CANCELLATION_CODES[record.reason])
        elif isinstance(record, PaymentReceived):
            row.update(収納番号=record.payment_id, 金額=_amount_text(record.amount), 処理日=fmt(record.paid_on),
                       収納方法=_CHANNEL_CODES[record.channel])
            if record.claim_id:
                row.update(_split_claim_id(record.claim_id))
        elif isinstance(record, PaymentReversed):
            row.update(収納番号=record.payment_id, 処理日=fmt(record.reversed_on),
                       事由コード=_REVERSAL_CODES[record.reason])
        elif isinstance(record, InstallmentAgreed):
            (claim,), schedule = record.claim_ids, record.schedule
            total, first_due = sum(s.amount for s in schedule), schedule[0].due_date
            if [(s.due_date, s.amount) for s in schedule] != [
                    (s["due_date"], s["amount"]) for s in monthly_schedule(total, len(schedule), first_due)]:
                raise ValueError("the insurance file carries only monthly schedules (see monthly_schedule)")
            row.update(_split_claim_id(claim), 分納番号=record.agreement_id, 金額=_amount_text(total),
                       分納回数=f"{len(schedule):03d}", 初回納期限=fmt(first_due), 処理日=fmt(record.agreed_on))
        elif isinstance(record, ExemptionApplied):
            row.update(申請番号=record.application_id, 処理日=fmt(record.applied_on),
                       事由コード=_EXEMPTION_CODES[record.reason], 債権コード=_RECEIVABLE_CODES[record.receivable_type])
            if record.claim_id:
                claim_fields = _split_claim_id(record.claim_id)
                if claim_fields["債権コード"] != row["債権コード"]:
                    raise ValueError("the claim of an exemption application must be of its receivable type")
                row.update(claim_fields)
        elif isinstance(record, ClaimNoticeSent):
            row.update(_split_claim_id(record.claim_id), 文書番号=record.notice_id, 処理日=fmt(record.sent_on))
        else:
            raise TypeError(f"the insurance file has no record for {type(record).__name__}")
        kind = _NOTICE_NAMES[record.kind] if isinstance(record, ClaimNoticeSent) else _KINDS[type(record)]
        row["レコード種別"] = _CODES[kind]
        try:
            out.append(_encode(row))
        except UnicodeEncodeError:
            raise ValueError(f"record {serial} has a character that CP932 cannot encode") from None
    return b"".join(out)


_KINDS: dict[type[Payload], str] = {ClaimAssessed: "調定", ClaimAdjusted: "更正", ClaimCancelled: "取消",
                                    PaymentReceived: "収納", PaymentReversed: "収納取消", InstallmentAgreed: "分納",
                                    ExemptionApplied: "減免申請"}
