"""The housing management system's event export (市営住宅管理システム, run by the 指定管理者): UTF-8 JSON.

Pure functions, no I/O: ``parse_export`` (bytes → canonical envelopes and rejected events) and
``render_export`` (canonical payloads → the same document, for samples, tests and the synthetic city); and
``stream_pieces``, which reads a large export file a record at a time for the batch command (bounded memory,
the same records, rejections and import key as ``parse_export`` of the whole file).
The document is ``{"format": "housing-events", "version": 1, "exported_at": ..., "events": [...]}``; each
event's ``type`` says what happened. The fields are in this service's README.

A rejected event's "line" is its 1-based position in the ``events`` array (not a line of the file), and each
problem names the event's JSON path (``tenant.birth_date``, ``guarantors[0].name``, ``schedule[1].amount``).
Bytes that are not UTF-8 or text that is not JSON make the whole document unreadable (ExportFormatError);
an event that is not an object, has an unknown ``type`` or bad fields is rejected alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from calendar import monthrange
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from contracts import (
    AdjustmentReason,
    CancellationReason,
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    ClaimNoticeSent,
    Department,
    InstallmentAgreed,
    LegalCategory,
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
from shared.ingest.json_stream import READ_BLOCK, JsonArrayReader, JsonSyntaxError, NotAnObject, NotUtf8, RepeatedArray
from shared.ingest.records import ExportBuilder, ExportFormatError, FieldReader, ParsedExport, Problem, RecordProblems
from shared.ingest.streaming import Piece
from shared.japanese_dates import DateFormatError, parse_japanese_date, to_wareki

SOURCE_SYSTEM = "housing-manager"
DEPARTMENT = Department.HOUSING
FORMAT, VERSION = "housing-events", 1
RECEIVABLE = "municipal_housing_rent"
MAX_YEN = 10_000_000_000

#: Notices the housing section sent itself (督促状・催告書): ``notice_no`` and ``sent_on``, the month named as a claim.
NOTICE_TYPES = {"demand_notice_sent": NoticeKind.DEMAND_NOTICE, "reminder_sent": NoticeKind.REMINDER}
EVENT_TYPES = ("rent_assessed", "rent_adjusted", "rent_cancelled", "payment_received", "payment_reversed",
               "installment_agreed", *NOTICE_TYPES)
PERSON_FIELDS = ("id", "name", "kana", "birth_date", "postal_code", "address", "phone")
OBJECT_FIELDS = {"tenancy": ("contract_no", "estate", "building", "room"), "tenant": PERSON_FIELDS,
                 "period": ("start", "end")}
LIST_FIELDS: dict[str, tuple[str, ...] | None] = {"guarantors": PERSON_FIELDS, "schedule": ("due_date", "amount"),
                                                  "months": None}  # None: a list of plain values
SCALAR_FIELDS = frozenset({"type", "month", "due_date", "amount", "reason", "channel", "adjustment_no", "receipt_no",
                           "agreement_no", "assessed_on", "adjusted_on", "cancelled_on", "paid_on", "reversed_on",
                           "agreed_on", "notice_no", "sent_on"})
TOP_LEVEL_FIELDS = ("format", "version", "exported_at", "events")

CHANNELS = {"口座振替": PaymentChannel.ACCOUNT_TRANSFER, "窓口": PaymentChannel.COUNTER,
            "コンビニ": PaymentChannel.CONVENIENCE_STORE, "金融機関": PaymentChannel.BANK,
            "スマホ決済": PaymentChannel.SMARTPHONE, "クレジット": PaymentChannel.CARD, "その他": PaymentChannel.OTHER}
ADJUSTMENT_REASONS = {"更正": AdjustmentReason.CORRECTION, "減額": AdjustmentReason.REDUCTION,
                      "減免": AdjustmentReason.EXEMPTION}
CANCELLATION_REASONS = {"誤賦課": CancellationReason.ASSESSMENT_ERROR, "退去": CancellationReason.MOVED_OUT,
                        "死亡": CancellationReason.DECEASED, "重複": CancellationReason.DUPLICATE,
                        "その他": CancellationReason.OTHER}
REVERSAL_REASONS = {"口座振替不能": ReversalReason.ACCOUNT_TRANSFER_FAILED, "不渡り": ReversalReason.DISHONOURED,
                    "誤入金": ReversalReason.ENTRY_ERROR, "その他": ReversalReason.OTHER}
# Payload field → JSON field, so that a payload-level problem names the field the housing system knows.
FIELD_NAMES = {"claim_id": "tenancy.contract_no", "claim_ids": "months", "fiscal_year": "month",
               "installment": "month", "due_date": "due_date", "amount": "amount", "amount_delta": "amount",
               "payment_id": "receipt_no", "agreement_id": "agreement_no", "period_start": "period.start",
               "period_end": "period.end", "schedule": "schedule"}
_PERSON_JSON = {"source_person_id": "id", "name_kanji": "name", "name_kana": "kana", "birth_date": "birth_date",
                "postal_code": "postal_code", "address": "address", "phone": "phone"}
_MONTH_RE = re.compile(r"(\d{4})\s*[-/年]\s*(\d{1,2})\s*月?")


def claim_id(contract_no: str, year: int, month: int) -> str:
    """契約番号-YYYYMM: one rent claim per tenancy (契約) per month, e.g. ``C2019-0042-202404``."""
    return f"{contract_no}-{year:04d}{month:02d}"


def split_claim_id(value: str) -> tuple[str, int, int]:
    """The inverse of ``claim_id``: (契約番号, year, month)."""
    contract_no, yyyymm = value.rsplit("-", 1)
    return contract_no, int(yyyymm[:4]), int(yyyymm[4:])


def fiscal_month(year: int, month: int) -> tuple[int, int]:
    """(年度, 期別): rent is billed in 12 期 a fiscal year, April = 第1期 … March = 第12期."""
    return (year if month >= 4 else year - 1), (month - 4) % 12 + 1


class EventFields(FieldReader):
    """One event flattened to JSON paths. Text fields take JSON strings (or integers, for numeric ids)."""

    def __init__(self, event: Mapping[str, object]):
        super().__init__({})
        self.items: dict[str, list[int]] = {}  # list field → indices of its usable entries
        self.broken: set[str] = set()  # objects that are not objects: their fields are not "required" again
        flat: dict[str, object] = {}
        for key, value in event.items():
            if key in SCALAR_FIELDS:
                flat[key] = value
            elif key in OBJECT_FIELDS:
                if value is not None:
                    self._expand(flat, key, value, OBJECT_FIELDS[key])
            elif key in LIST_FIELDS:
                if value is None:
                    continue
                if not isinstance(value, list):
                    self.add(key, "must be a JSON array")
                    continue
                self.items[key] = []
                for i, entry in enumerate(value):
                    if LIST_FIELDS[key] is None:
                        flat[f"{key}[{i}]"] = entry
                        self.items[key].append(i)
                    elif self._expand(flat, f"{key}[{i}]", entry, LIST_FIELDS[key]):  # type: ignore[arg-type]
                        self.items[key].append(i)
            else:
                self.add(key, "unknown field")
        self.values = flat

    def _expand(self, flat: dict[str, object], prefix: str, value: object, names: tuple[str, ...]) -> bool:
        if not isinstance(value, dict):
            self.add(prefix, "must be a JSON object")
            self.broken.add(prefix)
            return False
        for name, inner in value.items():
            if name in names:
                flat[f"{prefix}.{name}"] = inner
            else:
                self.add(f"{prefix}.{name}", "unknown field")
        return True

    def text(self, name: str, *, required: bool = True, fold_width: bool = True) -> str | None:
        if name.rpartition(".")[0] in self.broken:
            return None
        value = self.values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
            self.add(name, "must be a JSON string")
            return None
        return super().text(name, required=required, fold_width=fold_width)

    def amount(self, name: str, *, signed: bool = False, required: bool = True) -> int | None:
        if isinstance(self.values.get(name), dict | list):
            self.add(name, "is not an amount in yen")
            return None
        amount = super().amount(name, signed=signed, required=required)
        if amount is not None and abs(amount) > MAX_YEN:
            self.add(name, "is larger than 10,000,000,000 yen")
            return None
        return amount

    def month(self, name: str) -> tuple[int, int] | None:
        """2024-04, 2024/4, 2024年4月 or 令和6年4月 → (2024, 4)."""
        value = self.text(name)
        if value is None:
            return None
        if match := _MONTH_RE.fullmatch(value):
            year, month = int(match[1]), int(match[2])
        elif value.endswith("月"):
            try:
                first = parse_japanese_date(value + "1日")
            except DateFormatError as exc:
                self.add(name, str(exc))
                return None
            year, month = first.year, first.month
        else:
            self.add(name, "not a recognised month (expected e.g. 2024-04 or 令和6年4月)")
            return None
        if not 1 <= month <= 12:
            self.add(name, "no such month")
            return None
        if not 1989 <= year <= 2200:
            self.add(name, "must be a month from 1989 to 2200")
            return None
        return year, month

    def person(self, prefix: str) -> PersonReference | None:
        if prefix in self.broken:
            return None
        before = len(self.problems)
        fields = {
            "source_person_id": self.text(f"{prefix}.id"),
            "name_kanji": self.text(f"{prefix}.name", required=False, fold_width=False),
            "name_kana": self.text(f"{prefix}.kana", required=False),
            "birth_date": self.date(f"{prefix}.birth_date", required=False),
            "postal_code": self.text(f"{prefix}.postal_code", required=False),
            "address": self.text(f"{prefix}.address", required=False, fold_width=False),
            "phone": self.text(f"{prefix}.phone", required=False),
        }
        if len(self.problems) > before:
            return None
        try:
            return PersonReference.model_validate(fields)
        except ValidationError as exc:
            for err in exc.errors(include_input=False, include_url=False):
                where = _PERSON_JSON.get(str(err["loc"][0]), "id") if err["loc"] else "id"
                self.add(f"{prefix}.{where}", err["msg"])
            return None

    def claim(self, *, required: bool = True) -> tuple[str, int, int] | None:
        """(claim id, year, month) named by tenancy.contract_no and month; None when optional and no month."""
        if not required and not self.present("month"):
            return None
        contract_no, month = self.text("tenancy.contract_no"), self.month("month")
        if contract_no is None or month is None:
            return None
        return claim_id(contract_no, *month), *month


def _period(row: EventFields, claim: tuple[str, int, int] | None) -> tuple[date, date] | None:
    """使用期間: the whole month unless the event says otherwise (入居・退去 in the middle of a month)."""
    start, end = row.date("period.start", required=False), row.date("period.end", required=False)
    if claim is None:
        return None
    _, year, month = claim
    first, last = date(year, month, 1), date(year, month, monthrange(year, month)[1])
    for name, value in (("period.start", start), ("period.end", end)):
        if value is not None and not first <= value <= last:
            row.add(name, "is outside the billed month")
            return None
    start, end = start or first, end or last
    if start > end:
        row.add("period.end", "is before period.start")
        return None
    return start, end


def _guarantors(row: EventFields) -> tuple[RelatedPerson, ...]:
    related = []
    for i in row.items.get("guarantors", []):
        person = row.person(f"guarantors[{i}]")
        if person is not None and not (person.name_kanji or person.name_kana):
            row.add(f"guarantors[{i}].name", "name or kana is required for a guarantor")
        elif person is not None:
            related.append(RelatedPerson(role=RelationRole.GUARANTOR, person=person))
    return tuple(related)


def _entries(row: EventFields, name: str, what: str) -> list[int]:
    """The usable entries of a required array; a problem when it is absent or empty."""
    if row.items.get(name):
        return row.items[name]
    if not any(p.field.startswith(name) for p in row.problems):
        row.add(name, f"must list at least one {what}" if name in row.items else f"is required {row.context}")
    return []


def _schedule(row: EventFields) -> list[dict[str, object]]:
    schedule = [{"due_date": row.date(f"schedule[{i}].due_date"), "amount": row.amount(f"schedule[{i}].amount")}
                for i in _entries(row, "schedule", "installment")]
    dates = [s["due_date"] for s in schedule]
    if None not in dates and dates != sorted(dates):  # type: ignore[type-var]
        row.add("schedule", "installments must be in due-date order")
    return schedule


def _claim_ids(row: EventFields) -> list[str]:
    contract_no = row.text("tenancy.contract_no")
    ids: list[str] = []
    for i in _entries(row, "months", "month"):
        month = row.month(f"months[{i}]")
        if month and contract_no:
            if claim_id(contract_no, *month) in ids:
                row.add(f"months[{i}]", "is listed twice")
            ids.append(claim_id(contract_no, *month))
    return ids


Record = tuple[type[Payload], dict[str, object], tuple[str, ...], date]


def _record(row: EventFields, category: LegalCategory) -> Record:
    """The payload fields for one event, the source keys its message id derives from, and its date."""
    kind = row.text("type")
    if kind not in EVENT_TYPES:
        if kind is not None:
            row.add("type", f"unknown value; expected one of {', '.join(EVENT_TYPES)}")
        row.check()
    row.context = f"for {kind}"
    tenant = row.person("tenant")
    for name in ("tenancy.estate", "tenancy.building", "tenancy.room"):  # informational: only checked to be text
        row.text(name, required=False, fold_width=False)
    if kind == "rent_assessed":
        claim, due, amount = row.claim(), row.date("due_date"), row.amount("amount")
        when, period, guarantors = row.date("assessed_on"), _period(row, claim), _guarantors(row)
        if tenant is not None and not (tenant.name_kanji or tenant.name_kana):
            row.add("tenant.name", "tenant.name or tenant.kana is required for rent_assessed")
        row.check()
        assert claim is not None and period is not None and when is not None
        cid, year, month = claim
        fiscal_year, installment = fiscal_month(year, month)
        return ClaimAssessed, dict(
            claim_id=cid, person=tenant, receivable_type=RECEIVABLE, legal_category=category,
            fiscal_year=fiscal_year, installment=installment, due_date=due, amount=amount, assessed_on=when,
            related_persons=guarantors, period_start=period[0], period_end=period[1],
        ), (cid,), when
    if kind == "rent_adjusted":
        claim, delta, when = row.claim(), row.amount("amount", signed=True), row.date("adjusted_on")
        reason, serial = row.choice("reason", ADJUSTMENT_REASONS), row.text("adjustment_no")
        row.check()
        assert claim is not None and when is not None and serial is not None
        return ClaimAdjusted, dict(claim_id=claim[0], person=tenant, amount_delta=delta, reason=reason,
                                   adjusted_on=when), (claim[0], serial), when
    if kind == "rent_cancelled":
        claim, reason, when = row.claim(), row.choice("reason", CANCELLATION_REASONS), row.date("cancelled_on")
        row.check()
        assert claim is not None and when is not None
        return ClaimCancelled, dict(claim_id=claim[0], person=tenant, reason=reason, cancelled_on=when), \
            (claim[0],), when
    if kind == "payment_received":
        receipt, amount, when = row.text("receipt_no"), row.amount("amount"), row.date("paid_on")
        channel, claim = row.choice("channel", CHANNELS), row.claim(required=False)
        row.check()
        assert receipt is not None and when is not None
        return PaymentReceived, dict(payment_id=receipt, person=tenant, claim_id=claim[0] if claim else None,
                                     amount=amount, paid_on=when, channel=channel), (receipt,), when
    if kind == "payment_reversed":
        receipt, reason, when = row.text("receipt_no"), row.choice("reason", REVERSAL_REASONS), row.date("reversed_on")
        row.check()
        assert receipt is not None and when is not None
        return PaymentReversed, dict(payment_id=receipt, person=tenant, reason=reason, reversed_on=when), \
            (receipt,), when
    if kind in NOTICE_TYPES:
        claim, notice, when = row.claim(), row.text("notice_no"), row.date("sent_on")
        row.check()
        assert claim is not None and notice is not None and when is not None
        return ClaimNoticeSent, dict(notice_id=notice, person=tenant, claim_id=claim[0], kind=NOTICE_TYPES[kind],
                                     sent_on=when), (notice, claim[0]), when
    agreement, when = row.text("agreement_no"), row.date("agreed_on")
    claim_ids, schedule = _claim_ids(row), _schedule(row)
    row.check()
    assert agreement is not None and when is not None
    return InstallmentAgreed, dict(agreement_id=agreement, person=tenant, claim_ids=claim_ids, schedule=schedule,
                                   agreed_on=when), (agreement,), when


def _events(data: bytes) -> list[object]:
    """The ``events`` array of a whole document, or ExportFormatError saying why the document is unreadable."""
    if not data.strip():
        raise ExportFormatError("the document is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc.start) from None
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ExportFormatError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise ExportFormatError(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ExportFormatError(_NOT_AN_OBJECT)
    _check_head(document)
    return document["events"]  # type: ignore[no-any-return]


_NOT_AN_OBJECT = 'the document must be a JSON object with an "events" array'


def _not_utf8(offset: int) -> ExportFormatError:
    return ExportFormatError(f"the document is not UTF-8 (undecodable byte at offset {offset}); "
                             "the housing export is UTF-8 JSON")


def _check_head(document: Mapping[str, object]) -> None:
    """The document's top-level fields (``events`` only checked to be an array), or ExportFormatError."""
    if document.get("format") != FORMAT:
        raise ExportFormatError(f'"format" must be "{FORMAT}" (is this a housing-manager export?)')
    version = document.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise ExportFormatError(f'unsupported "version": this adapter reads version {VERSION}')
    unknown = [key for key in document if key not in TOP_LEVEL_FIELDS]
    if unknown:
        raise ExportFormatError(f"unknown top-level fields: {', '.join(unknown)}")
    exported_at = document.get("exported_at")
    if exported_at is not None:
        try:
            datetime.fromisoformat(exported_at)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ExportFormatError('"exported_at" must be an ISO 8601 date-time') from None
    events = document.get("events")
    if not isinstance(events, list):
        raise ExportFormatError('no "events" array' if events is None else '"events" must be a JSON array')


def _canonical(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8", "replace")


_PIECE_HEAD = json.dumps({"format": FORMAT, "version": VERSION}, separators=(",", ":"))[:-1].encode() + b',"events":['


def stream_pieces(path: Path, *, piece_bytes: int, key_digest: hashlib._Hash | None = None,  # type: ignore[name-defined]
                  block: int = READ_BLOCK) -> Iterator[Piece]:
    """A large export read a record at a time (shared/ingest/json_stream.py), as pieces for
    shared/ingest/streaming.py: each piece is a small document of the same format holding the next events as
    they are in the file, its ``line_offset`` the number of events before it, so ``parse_export`` checks and
    numbers every event exactly as in a whole parse. ``key_digest`` is fed the events' canonical JSON, so the
    import key is the whole parse's. The top-level fields are checked once the file has been read (they may
    follow the events); a document that cannot be read raises ExportFormatError as ``parse_export`` would."""
    reader = JsonArrayReader(path, "events", parse_constant=_no_constant, block=block)
    batch: list[bytes] = []
    size = before = count = 0
    if key_digest is not None:
        key_digest.update(b"[")
    try:
        for text, event in reader:
            if key_digest is not None:
                key_digest.update(b"," + _canonical(event) if count else _canonical(event))
            count += 1
            batch.append(text.encode("utf-8"))
            size += len(batch[-1])
            if size >= piece_bytes:
                yield Piece(_PIECE_HEAD + b",".join(batch) + b"]}", before)
                batch, size, before = [], 0, count
    except JsonSyntaxError as exc:
        raise ExportFormatError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except NotUtf8 as exc:
        raise _not_utf8(exc.offset) from None
    except NotAnObject:
        raise ExportFormatError(_NOT_AN_OBJECT) from None
    except RepeatedArray:
        raise ExportFormatError('"events" appears twice among the top-level fields') from None
    except (ValueError, RecursionError) as exc:
        raise ExportFormatError(f"not valid JSON: {exc}") from None
    _check_head(reader.head)
    if key_digest is not None:
        key_digest.update(b"]\n")  # the whole parse's import key: its canonical JSON is one line
    if batch or not before:
        yield Piece(_PIECE_HEAD + b",".join(batch) + b"]}", before)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def parse_export(
    data: bytes,
    *,
    file_name: str,
    produced_at: Callable[[], datetime],
    category_overrides: Mapping[str, str] | None = None,
) -> ParsedExport:
    """Parse a whole document. Raises ExportFormatError when it cannot be read at all (or the city's category
    override for 市営住宅使用料 is invalid: nothing is published with a category nobody decided)."""
    events = _events(data)
    try:
        category = legal_category(RECEIVABLE, dict(category_overrides or {}))
    except ValueError as exc:
        raise ExportFormatError(f"settings: {exc}") from None
    # The import key is the events' canonical JSON, not the bytes: the same events re-sent pretty-printed, with
    # other line endings or another exported_at are the same import.
    canonical = _canonical(events)
    builder = ExportBuilder(SOURCE_SYSTEM, DEPARTMENT, file_name, canonical, produced_at)
    for number, event in enumerate(events, start=1):
        raw = json.dumps(event, ensure_ascii=False)
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate escape such as "\ud800": not text
            builder.reject(number, json.dumps(event), [Problem("(event)", "contains an invalid \\u escape "
                                                                          "(a lone surrogate): not Unicode text")])
            continue
        if not isinstance(event, dict):
            builder.reject(number, raw, [Problem("(event)", "must be a JSON object")])
            continue
        row = EventFields(event)
        try:
            payload_cls, fields, keys, when = _record(row, category)
        except RecordProblems as exc:
            builder.reject(number, raw, exc.problems)
            continue
        builder.accept(number, raw, payload_cls, fields, source_keys=keys, occurred_on=when,
                       field_names=FIELD_NAMES)
    return builder.result


# ---- rendering (the inverse), for samples, tests and the synthetic city -------------------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False)  # no indent: the C encoder, fast enough for the synthetic city
_wareki = lru_cache(maxsize=1 << 16)(to_wareki)  # exports repeat the same few due dates and months
_CHANNEL_NAMES = {v: k for k, v in CHANNELS.items()}
_ADJUSTMENT_NAMES = {v: k for k, v in ADJUSTMENT_REASONS.items()}
_CANCELLATION_NAMES = {v: k for k, v in CANCELLATION_REASONS.items()}
_REVERSAL_NAMES = {v: k for k, v in REVERSAL_REASONS.items()}


def _person_json(person: PersonReference, fmt: Callable[[date], str]) -> dict[str, object]:
    out: dict[str, object] = {"id": person.source_person_id}
    for key, value in (("name", person.name_kanji), ("kana", person.name_kana),
                       ("birth_date", fmt(person.birth_date) if person.birth_date else None),
                       ("postal_code", person.postal_code), ("address", person.address), ("phone", person.phone)):
        if value:
            out[key] = value
    return out


def render_export(records: Sequence[Payload], *, era_dates: bool = False, exported_at: datetime | None = None,
                  tenancies: Mapping[str, Mapping[str, str]] | None = None, indent: int | None = None) -> bytes:
    """Write payloads as the housing system exports them (claim ids must follow ``claim_id``).

    ``era_dates`` writes dates and months in 和暦; ``tenancies`` adds estate/building/room per contract number;
    ``indent`` pretty-prints (slower); by default each event is one line."""
    fmt: Callable[[date], str] = _wareki if era_dates else date.isoformat
    names = tenancies or {}

    def claim_fields(cid: str) -> dict[str, object]:
        contract_no, year, month = split_claim_id(cid)
        shown = _wareki(date(year, month, 1))[:-2] if era_dates else f"{year:04d}-{month:02d}"
        return {"tenancy": {"contract_no": contract_no, **names.get(contract_no, {})}, "month": shown}

    events = []
    for serial, record in enumerate(records, start=1):
        tenant = _person_json(record.person, fmt)  # type: ignore[attr-defined]
        event: dict[str, object]
        if isinstance(record, ClaimAssessed):
            event = {"type": "rent_assessed", **claim_fields(record.claim_id), "tenant": tenant}
            if record.related_persons:
                if any(r.role != RelationRole.GUARANTOR for r in record.related_persons):
                    raise ValueError("the housing export names only guarantors (連帯保証人)")
                event["guarantors"] = [_person_json(r.person, fmt) for r in record.related_persons]
            _, year, month = split_claim_id(record.claim_id)
            period = {}
            if record.period_start and record.period_start.day != 1:
                period["start"] = fmt(record.period_start)
            if record.period_end and record.period_end.day != monthrange(year, month)[1]:
                period["end"] = fmt(record.period_end)
            if period:
                event["period"] = period
            event.update(due_date=fmt(record.due_date), amount=record.amount, assessed_on=fmt(record.assessed_on))
        elif isinstance(record, ClaimAdjusted):
            event = {"type": "rent_adjusted", **claim_fields(record.claim_id), "tenant": tenant,
                     "adjustment_no": f"A{serial:08d}", "amount": record.amount_delta,
                     "reason": _ADJUSTMENT_NAMES[record.reason], "adjusted_on": fmt(record.adjusted_on)}
        elif isinstance(record, ClaimCancelled):
            event = {"type": "rent_cancelled", **claim_fields(record.claim_id), "tenant": tenant,
                     "reason": _CANCELLATION_NAMES[record.reason], "cancelled_on": fmt(record.cancelled_on)}
        elif isinstance(record, PaymentReceived):
            event = {"type": "payment_received", **(claim_fields(record.claim_id) if record.claim_id else {}),
                     "tenant": tenant, "receipt_no": record.payment_id, "amount": record.amount,
                     "channel": _CHANNEL_NAMES[record.channel], "paid_on": fmt(record.paid_on)}
        elif isinstance(record, PaymentReversed):
            event = {"type": "payment_reversed", "tenant": tenant, "receipt_no": record.payment_id,
                     "reason": _REVERSAL_NAMES[record.reason], "reversed_on": fmt(record.reversed_on)}
        elif isinstance(record, InstallmentAgreed):
            claims = [claim_fields(cid) for cid in record.claim_ids]
            if any(c["tenancy"] != claims[0]["tenancy"] for c in claims):
                raise ValueError("a housing installment agreement covers the months of one tenancy")
            event = {"type": "installment_agreed", "tenancy": claims[0]["tenancy"], "tenant": tenant,
                     "agreement_no": record.agreement_id, "months": [c["month"] for c in claims],
                     "schedule": [{"due_date": fmt(s.due_date), "amount": s.amount} for s in record.schedule],
                     "agreed_on": fmt(record.agreed_on)}
        elif isinstance(record, ClaimNoticeSent):
            event = {"type": next(name for name, kind in NOTICE_TYPES.items() if kind is record.kind),
                     **claim_fields(record.claim_id), "tenant": tenant, "notice_no": record.notice_id,
                     "sent_on": fmt(record.sent_on)}
        else:
            raise TypeError(f"the housing export has no event for {type(record).__name__}")
        events.append(event)
    head: dict[str, object] = {"format": FORMAT, "version": VERSION}
    if exported_at is not None:
        head["exported_at"] = exported_at.isoformat()
    if indent is not None:
        return (json.dumps({**head, "events": events}, ensure_ascii=False, indent=indent) + "\n").encode("utf-8")
    body = ",\n".join(map(_ENCODER.encode, events))
    return f'{_ENCODER.encode(head)[:-1]}, "events": [\n{body}\n]}}\n'.encode()
