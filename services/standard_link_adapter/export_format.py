"""The standard data link (収滞納管理 標準連携), incoming: a standardised 収滞納管理 system sends every event of its
claims as one UTF-8 CSV in the layout ``contracts/standard_link/layout.2026-04.json``.

Pure functions, no I/O. The layout file is the format: ``contracts.standard_link.parse`` (derived from it) checks
the columns, each event's mandatory columns and the amounts (合計 = 本税 + 督促手数料 + 延滞金); this module only turns
each valid line into its canonical message. A line is refused with its line number, the column and the reason,
never the value; the rest of the file is published.

One source, several departments: each line's department is its 税目コード's (``contracts/receivables.py``), so a
line of 国民健康保険税 is an insurance record and a line of 市民税 a tax record, keyed as every other source keys
them: (department, 宛名番号), (department, 通知書番号). The person is the resident register's 宛名番号, which every
department on the standard link shares: it is also sent as ``resident_register_number`` (strong evidence for
matching). What each event becomes is in this service's README.

Which departments a city's standard link carries is its setting (``StandardLinkAdapterSettings.departments``,
``STANDARD_LINK_DEPARTMENTS=tax,insurance``; default every department): a line of another department is refused
naming its line, 税目コード and why, the rest published.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from contracts import (
    AdjustmentReason,
    ClaimAdjusted,
    ClaimAssessed,
    ClaimDecision,
    ClaimDecisionRecorded,
    ClaimNoticeSent,
    ClaimSucceeded,
    Department,
    InstallmentAgreed,
    NoticeKind,
    Payload,
    PaymentChannel,
    PaymentReceived,
    PaymentRefunded,
    PersonKind,
    PersonReference,
    RelatedPerson,
    RelationRole,
    SuccessionCause,
    SupportMeasureChanged,
)
from contracts.receivables import RECEIVABLES, legal_category
from contracts.standard_link import INCOMING_VERSION, layout, parse, render
from shared.ingest.records import ExportBuilder, ExportFormatError, ParsedExport, Problem, monthly_schedule
from shared.settings import AdapterSettings

SOURCE_SYSTEM = "standard-link"
VERSION = INCOMING_VERSION
DEPARTMENT = None  # several: each line's 税目コード names its department

#: 収納方法 code → channel (the layout's column ``収納方法``); none given: other.
CHANNELS: Mapping[str, PaymentChannel] = {
    "01": PaymentChannel.ACCOUNT_TRANSFER, "02": PaymentChannel.CONVENIENCE_STORE, "03": PaymentChannel.COUNTER,
    "04": PaymentChannel.SMARTPHONE, "05": PaymentChannel.BANK, "06": PaymentChannel.ELTAX, "07": PaymentChannel.CARD,
    "99": PaymentChannel.OTHER,
}
#: The events that are a department's decision on a claim (ClaimDecisionRecorded), by the layout's event name.
DECISIONS: Mapping[str, ClaimDecision] = {
    "徴収猶予": ClaimDecision.COLLECTION_GRACE, "換価の猶予": ClaimDecision.REALISATION_GRACE,
    "繰上徴収": ClaimDecision.ACCELERATED_COLLECTION, "執行停止": ClaimDecision.SUSPENSION_OF_EXECUTION,
    "不納欠損": ClaimDecision.WRITE_OFF, "時効完成": ClaimDecision.PRESCRIPTION_COMPLETED,
}
NOTICES: Mapping[str, NoticeKind] = {"督促発送": NoticeKind.DEMAND_NOTICE, "催告発送": NoticeKind.REMINDER}
SUCCESSIONS: Mapping[str, tuple[SuccessionCause, RelationRole]] = {
    "1": (SuccessionCause.INHERITANCE, RelationRole.HEIR), "2": (SuccessionCause.MERGER, RelationRole.SUCCESSOR)}

#: Payload fields → the layout's columns, for the reasons of a refused line.
FIELD_COLUMNS: Mapping[str, str] = {
    "source_person_id": "宛名番号", "name_kanji": "氏名", "name_kana": "氏名カナ", "birth_date": "生年月日",
    "postal_code": "郵便番号", "address": "住所", "phone": "電話番号", "corporate_number": "法人番号",
    "claim_id": "通知書番号", "fiscal_year": "年度", "installment": "期別", "receivable_type": "税目コード",
    "amount": "本税", "due_date": "納期限", "assessed_on": "処理日", "payment_id": "収納番号", "paid_on": "収納日",
    "reported_on": "報告日", "notice_id": "文書番号", "agreement_id": "文書番号", "schedule": "分納回数",
    "appropriated_to": "充当先通知書番号", "ground": "根拠", "completes_on": "時効完成日",
    "related_persons": "承継者宛名番号", "person": "宛名番号", "tax_year": "相当年度",
}


class StandardLinkAdapterSettings(AdapterSettings):
    """The standard link adapter's settings (the ``settings`` of its row in contracts/sources.py): besides the
    common ones, which departments this city's standard link carries."""

    model_config = SettingsConfigDict(env_prefix="STANDARD_LINK_ADAPTER_", extra="ignore", populate_by_name=True)

    http_port: int = 8009
    departments: str = Field(
        "", validation_alias=AliasChoices("STANDARD_LINK_DEPARTMENTS", "STANDARD_LINK_ADAPTER_DEPARTMENTS",
                                          "departments"),
        description="Comma-separated Department values (tax,insurance); empty: every department")

    @field_validator("departments")
    @classmethod
    def _known_departments(cls, value: str) -> str:
        unknown = [name for name in _names(value) if name not in {d.value for d in Department}]
        if unknown:
            raise ValueError(f"STANDARD_LINK_DEPARTMENTS: unknown department {', '.join(unknown)} (known: "
                             f"{', '.join(d.value for d in Department)})")
        return value

    def carried(self) -> frozenset[Department] | None:
        """The departments carried, or None for every one."""
        names = _names(self.departments)
        return frozenset(Department(name) for name in names) if names else None

    def format_options(self) -> dict[str, object]:
        return {"departments": self.carried()}


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _person(row: Mapping[str, Any]) -> dict[str, Any]:
    fields = {
        "source_person_id": row["person"], "resident_register_number": row["person"],
        "kind": PersonKind.CORPORATION if row.get("person_kind") == "2" else PersonKind.INDIVIDUAL,
        "name_kanji": row.get("name"), "name_kana": row.get("name_kana"), "birth_date": row.get("birth_date"),
        "postal_code": row.get("postal_code"), "address": row.get("address"), "phone": row.get("phone"),
        "corporate_number": row.get("corporate_number"),
    }
    return {k: v for k, v in fields.items() if v is not None}


def _record(name: str, row: Mapping[str, Any], overrides: Mapping[str, str]
            ) -> tuple[type[Payload], dict[str, Any], tuple[str, ...], date]:
    """The payload fields of one valid line, the source keys its message id derives from, and its date. Raises
    _Refused naming the column when the line is valid for the layout but not as a record."""
    person, link, claim, done = _person(row), row.get("link_id", ""), row.get("claim"), row.get("done_on")
    if name == "調定":
        if row.get("tax_year") is not None and row["tax_year"] > row["fiscal_year"]:
            raise _Refused("相当年度", "is after 年度: 相当年度 is the year the tax is for, assessed in or after it")
        return ClaimAssessed, dict(
            claim_id=claim, person=person, receivable_type=row["receivable"],
            legal_category=legal_category(row["receivable"], dict(overrides)), fiscal_year=row["fiscal_year"],
            installment=row["installment"], due_date=row["due_on"], amount=row["principal"], assessed_on=done,
            tax_year=row.get("tax_year"),
        ), (str(claim),), done
    if name in ("更正", "減額"):
        delta = row["principal"] if name == "更正" else -row["principal"]
        reason = AdjustmentReason.CORRECTION if name == "更正" else AdjustmentReason.REDUCTION
        return ClaimAdjusted, dict(claim_id=claim, person=person, amount_delta=delta, reason=reason,
                                   adjusted_on=done), (str(claim), link), done
    if name == "収納":
        if row["reported_on"] < row["paid_on"]:
            raise _Refused("報告日", "is before 収納日: a receipt is reported on or after the day it was paid")
        return PaymentReceived, dict(
            payment_id=row["receipt"], person=person, claim_id=claim, amount=row["total"], paid_on=row["paid_on"],
            reported_on=row["reported_on"], channel=CHANNELS[row.get("channel", "99")],
        ), (row["receipt"],), row["paid_on"]
    if name in ("還付", "充当"):
        return PaymentRefunded, dict(refund_id=link, person=person, payment_id=row["receipt"], amount=row["total"],
                                     refunded_on=done, appropriated_to=row.get("target_claim") if name == "充当"
                                     else None), (link,), done
    if name in NOTICES:
        return ClaimNoticeSent, dict(notice_id=row["document"], person=person, claim_id=claim, kind=NOTICES[name],
                                     sent_on=done), (row["document"], str(claim)), done
    if name == "分納誓約":
        if row["instalments"] > row["principal"]:
            raise _Refused("分納回数", "is more than 本税 in yen: every instalment must be at least 1 yen")
        schedule = monthly_schedule(row["principal"], row["instalments"], row["due_on"])
        return InstallmentAgreed, dict(agreement_id=row["document"], person=person, claim_ids=(claim,),
                                       schedule=schedule, agreed_on=done), (row["document"],), done
    if name in DECISIONS:
        return ClaimDecisionRecorded, dict(
            record_id=link, person=person, claim_id=claim, kind=DECISIONS[name], decided_on=done,
            ground=row.get("ground", ""), due_date=row.get("due_on") if name == "繰上徴収" else None,
            completes_on=row.get("prescribed_on"),
        ), (link,), done
    if name == "承継":
        cause, role = SUCCESSIONS[row["succession_cause"]]
        if row["successor"] == row["person"]:
            raise _Refused("承継者宛名番号", "is the debtor's own 宛名番号: the successor is another person")
        successor = {"source_person_id": row["successor"], "resident_register_number": row["successor"],
                     "kind": PersonKind.CORPORATION if role is RelationRole.SUCCESSOR else PersonKind.INDIVIDUAL,
                     "name_kanji": row.get("successor_name"), "name_kana": row.get("successor_kana")}
        return ClaimSucceeded, dict(
            succession_id=link, person=person, claim_id=claim, cause=cause, succeeded_on=done,
            related_persons=(RelatedPerson(role=role, person=PersonReference.model_validate(
                {k: v for k, v in successor.items() if v is not None})),),
        ), (link,), done
    if name == "支援措置":
        # one change a person a day: the message id derives from the person too (without it two people's measures
        # of one day had one id, and the second was refused as a conflicting redelivery)
        return SupportMeasureChanged, dict(person=person, active=row["measure"] == "1", effective_on=done), \
            (str(row["person"]), done.isoformat(), row["measure"]), done
    raise _Refused("レコード種別", f"{name} is not imported: send 残高 to reconciliation (POST /reconciliation)")


class _Refused(Exception):
    def __init__(self, column: str, reason: str):
        self.problem = Problem(column, reason)
        super().__init__(f"{column}: {reason}")


def parse_export(
    data: bytes,
    *,
    file_name: str,
    produced_at: Callable[[], datetime],
    category_overrides: Mapping[str, str] | None = None,
    departments: Collection[Department] | None = None,
) -> ParsedExport:
    """Parse a whole file. Raises ExportFormatError when it cannot be read at all (not UTF-8, not the layout's
    header); every other problem refuses its line only. ``departments``: those this city's standard link carries
    (None: every one); a line of another is refused naming its 税目コード."""
    try:
        lines = list(parse(data, VERSION))
    except ValueError as exc:
        raise ExportFormatError(str(exc)) from None
    raw_lines = data.decode("utf-8-sig").splitlines()
    spec = layout(VERSION)
    builder = ExportBuilder(SOURCE_SYSTEM, DEPARTMENT, file_name, data, produced_at)
    overrides = category_overrides or {}
    for parsed in lines:
        raw = raw_lines[parsed.line - 1] if parsed.line <= len(raw_lines) else ""
        if parsed.row is None:
            builder.reject(parsed.line, raw, [Problem(column, reason) for column, reason in parsed.problems])
            continue
        row = parsed.row
        receivable = row.get("receivable")
        if receivable is None:  # only 残高 may lack it, and 残高 is refused below
            builder.reject(parsed.line, raw, [Problem("税目コード", "is required: it names the department")])
            continue
        owner = RECEIVABLES[receivable].department
        if departments is not None and owner not in departments:
            builder.reject(parsed.line, raw, [Problem("税目コード", (
                f"{receivable} belongs to the {owner.value} department, which this city's standard link does not "
                f"carry (STANDARD_LINK_DEPARTMENTS={','.join(sorted(d.value for d in departments))}): it comes "
                f"through that department's own export"))])
            continue
        try:
            payload_cls, fields, keys, when = _record(spec.events[row["event"]].name, row, overrides)
        except _Refused as exc:
            builder.reject(parsed.line, raw, [exc.problem])
            continue
        except ValueError as exc:  # an invalid category override names the receivable, not personal data
            builder.reject(parsed.line, raw, [Problem("税目コード", str(exc))])
            continue
        builder.accept(parsed.line, raw, payload_cls, fields, source_keys=keys, occurred_on=when,
                       field_names=FIELD_COLUMNS, department=RECEIVABLES[receivable].department)
    return builder.result


# ---- rendering (the inverse), for samples, tests and the generator ------------------------------------------

def _person_row(p: PersonReference) -> dict[str, Any]:
    return {"person": p.source_person_id, "person_kind": "2" if p.kind is PersonKind.CORPORATION else None,
            "name": p.name_kanji, "name_kana": p.name_kana, "birth_date": p.birth_date, "postal_code": p.postal_code,
            "address": p.address, "phone": p.phone, "corporate_number": p.corporate_number}


def _code(name: str) -> str:
    return layout(VERSION).event_code(name)


def record_row(record: Payload, receivable: str, serial: int) -> dict[str, Any]:
    """One payload as a row of the layout (``receivable``: the 税目コード of the claim it belongs to)."""
    row: dict[str, Any] = {"link_id": f"L{serial:08d}", "receivable": receivable,
                           **_person_row(record.person)}  # type: ignore[attr-defined]
    if isinstance(record, ClaimAssessed):
        row.update(event=_code("調定"), claim=record.claim_id, fiscal_year=record.fiscal_year,
                   installment=record.installment, principal=record.amount, due_on=record.due_date,
                   done_on=record.assessed_on, tax_year=record.tax_year)
    elif isinstance(record, ClaimAdjusted):
        row.update(event=_code("更正" if record.amount_delta > 0 else "減額"), claim=record.claim_id,
                   principal=abs(record.amount_delta), done_on=record.adjusted_on)
    elif isinstance(record, PaymentReceived):
        channel = next(code for code, c in CHANNELS.items() if c is record.channel)
        row.update(event=_code("収納"), claim=record.claim_id, principal=record.amount, total=record.amount,
                   paid_on=record.paid_on, reported_on=record.reported_on or record.paid_on, receipt=record.payment_id,
                   channel=channel)
    elif isinstance(record, PaymentRefunded):
        row.update(event=_code("充当" if record.appropriated_to else "還付"), link_id=record.refund_id,
                   receipt=record.payment_id, principal=record.amount, total=record.amount,
                   done_on=record.refunded_on, target_claim=record.appropriated_to)
    elif isinstance(record, ClaimNoticeSent):
        name = next(n for n, kind in NOTICES.items() if kind is record.kind)
        row.update(event=_code(name), claim=record.claim_id, document=record.notice_id, done_on=record.sent_on)
    elif isinstance(record, InstallmentAgreed):
        if len(record.claim_ids) != 1 or [s.model_dump() for s in record.schedule] != monthly_schedule(
                sum(s.amount for s in record.schedule), len(record.schedule), record.schedule[0].due_date):
            raise ValueError("the standard link writes a 分納誓約 of one claim in equal monthly instalments")
        row.update(event=_code("分納誓約"), claim=record.claim_ids[0], document=record.agreement_id,
                   principal=sum(s.amount for s in record.schedule), instalments=len(record.schedule),
                   due_on=record.schedule[0].due_date, done_on=record.agreed_on)
    elif isinstance(record, ClaimDecisionRecorded):
        name = next(n for n, kind in DECISIONS.items() if kind is record.kind)
        row.update(event=_code(name), link_id=record.record_id, claim=record.claim_id, done_on=record.decided_on,
                   ground=record.ground or None, due_on=record.due_date, prescribed_on=record.completes_on)
    elif isinstance(record, ClaimSucceeded):
        if len(record.related_persons) != 1:
            raise ValueError("the standard link writes one 承継 line per successor")
        successor = record.related_persons[0].person
        cause = next(code for code, (c, _) in SUCCESSIONS.items() if c is record.cause)
        row.update(event=_code("承継"), link_id=record.succession_id, claim=record.claim_id,
                   done_on=record.succeeded_on, succession_cause=cause, successor=successor.source_person_id,
                   successor_name=successor.name_kanji, successor_kana=successor.name_kana)
    elif isinstance(record, SupportMeasureChanged):
        row.update(event=_code("支援措置"), done_on=record.effective_on, measure="1" if record.active else "0")
    else:
        raise TypeError(f"the standard link has no event for {type(record).__name__}")
    return {k: v for k, v in row.items() if v is not None}


def render_export(records: Sequence[Payload | tuple[str, Payload]]) -> bytes:
    """Write payloads as a standardised system would send them. A record is a payload that names its receivable
    (ClaimAssessed), or (税目コード, payload) for the others."""
    rows = []
    for serial, item in enumerate(records, start=1):
        receivable, record = item if isinstance(item, tuple) else (getattr(item, "receivable_type", None), item)
        if receivable is None:
            raise ValueError(f"record {serial}: a {type(record).__name__} needs its 税目コード: pass (code, payload)")
        rows.append(record_row(record, receivable, serial))
    return render(rows, VERSION)


def department_of(receivable: str) -> Department:
    """The department a line belongs to: its 税目コード's."""
    return RECEIVABLES[receivable].department
