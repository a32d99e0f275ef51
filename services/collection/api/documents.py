"""Documents: preview and issue 督促状, 催告書 (a department's or the unified one), 財産調査 inquiries and the
consultation summary as PDFs (shared/documents), one at a time or as a wave for the print shop.

Issuing numbers a document (6債管第123号: the serial of its fiscal year, never reused), writes it to the
経過記録 of each claim it lists (a 督促状 as the claim's 督促, a 催告書 as a 催告 by letter, an inquiry as a
財産調査) after the same legal checks as any action, and keeps the document's data, so the very same PDF can be
downloaded again (rendering is deterministic; its SHA-256 is kept and checked). Re-issuing is explicit: a new
number (…-再1) and a new slip. Every preview and download reads personal data and is audit-logged.

The 送付先 rule: a notice mailed to the debtor (督促状, 催告書, 納付書: ``MAILED_NOTICES``) is issued only once staff have
chosen and confirmed the debtor's 送付先 (PUT /debtors/{id}/mailing-address): departments record a debtor at
different addresses, and two notices of one day must not go to two places. A request may name the 送付先 it saw
(``mailing_address_set_at``); one changed since is refused as well. A preview (見本) needs neither. Refusals are
409 with ``detail`` in English, ``detail_ja`` in Japanese and a ``code`` (refusals_ja.py), as the legal check's.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, TypeAdapter

from contracts import Department
from services.collection.api.actions import _claim, _situation
from services.collection.api.debtors import late_charge_of
from services.collection.api.deps import BusinessDate, Collector, Connection, Viewer, audit, audit_read
from services.collection.ledger import ClaimBalance, default_legal_rules
from services.collection.legal_actions import ACTIONS
from services.collection.notices import Kind, Numbering, build, fiscal_year_of, overdue, reminder_history
from services.collection.refusals_ja import japanese_refusal
from services.collection.store import load_ledger, queue_case_refresh
from services.collection.stores import documents as store
from services.collection.stores.mailing import chosen_mailing_address
from services.collection.stores.support_measures import is_protected
from services.collection.workflow import ActionKind, check_action
from shared.auth import Principal
from shared.documents import AnyDocument, refusal_reason, render_batch, render_counted
from shared.documents.appeals import History
from shared.documents.letterhead import load_letterhead

router = APIRouter(tags=["documents"])

#: What issuing a document records in the 経過記録 of each claim it lists: the row of the table of legal actions
#: that names the document.
ACTION_OF: dict[str, ActionKind] = {spec.document: kind for kind, spec in ACTIONS.items() if spec.document}
BATCH_LIMIT = 500
_DOCUMENT = TypeAdapter(AnyDocument)
_PDF = {"content": {"application/pdf": {}}, "description": "The document as an A4 PDF"}
#: The notices mailed to the debtor: issued only to a confirmed 送付先 (the module docstring). An asset inquiry
#: goes to a bank or employer, a pledge and a consultation summary are handed over, a receipt at the counter.
MAILED_NOTICES = frozenset({"demand_notice", "reminder", "payment_slip"})
_NOTICE_LABELS = {"demand_notice": "督促状", "reminder": "催告書", "payment_slip": "納付書"}
_JST = ZoneInfo("Asia/Tokyo")
_REFUSED_409 = {409: {"description": "Not issued: `detail` says why, `detail_ja` the same in Japanese, `code` which "
                                     "rule refused (e.g. mailing_address_unconfirmed: no 送付先 confirmed)"}}


class NoticeRefused(Exception):
    """A notice the 送付先 rule refuses: 409 with the reason in English and Japanese and its code."""

    def __init__(self, code: str, detail: str, detail_ja: str) -> None:
        super().__init__(detail)
        self.code, self.detail, self.detail_ja = code, detail, detail_ja

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": self.detail, "detail_ja": self.detail_ja, "code": self.code}, status_code=409)


async def confirm_mailing_address(conn: asyncpg.Connection, kind: str, debtor_id: str,
                                  seen: datetime | None = None) -> None:
    """The 送付先 rule: a mailed notice needs the debtor's 送付先 chosen by staff and, when the request names the one
    it saw (``seen``: its set_at), still that one. NoticeRefused otherwise (no address in the reason)."""
    if kind not in MAILED_NOTICES:
        return
    label = _NOTICE_LABELS[kind]
    chosen = await chosen_mailing_address(conn, debtor_id)
    if chosen is None:
        english = (f"debtor {debtor_id}: no 送付先 confirmed: choose and confirm the debtor's mailing address "
                   f"(PUT /debtors/{debtor_id}/mailing-address) before issuing a {kind}; the departments may have "
                   "recorded different addresses")
        raise NoticeRefused("mailing_address_unconfirmed", english,
                            japanese_refusal("mailing_address_unconfirmed", english, {"label": label}))
    if seen is not None and seen != chosen["set_at"]:
        changed = chosen["set_at"].astimezone(_JST)
        english = (f"debtor {debtor_id}: the 送付先 was changed at {changed.isoformat()} after the one confirmed "
                   f"({seen.isoformat()}): confirm the new one before issuing a {kind}")
        raise NoticeRefused("mailing_address_changed", english,
                            japanese_refusal("mailing_address_changed", english,
                                             {"label": label, "set_at": changed.date()}))


class Institution(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="e.g. 豊田信用金庫 本店 or the employer")
    postal_code: str = Field(min_length=7, max_length=8)
    address: str = Field(min_length=1, max_length=200)


class Installment(BaseModel):
    due_date: date
    amount: int = Field(gt=0)


class DocumentRequest(BaseModel):
    kind: Kind
    debtor_id: str | None = Field(None, description="Whose document (not for a 督促状: its claim says)")
    department: Department | None = Field(None, description="demand_notice: the claim's department; reminder: "
                                                            "one department's reminder instead of the unified one")
    claim_id: str | None = Field(None, description="demand_notice: the claim")
    severity: Literal["first", "second", "final"] = "first"
    inquiry: Literal["bank", "employer"] = "bank"
    institution: Institution | None = Field(None, description="asset_inquiry: where it goes")
    claims: list[str] | None = Field(None, max_length=200, description="installment_pledge, payment_slip: the "
                                     "claims (department:claim_id) it covers; default every overdue claim")
    schedule: list[Installment] = Field(default_factory=list, max_length=120,
                                        description="installment_pledge: the agreed installments, in order; they "
                                                    "must add up to the claims' total with late charges")
    mailing_address_set_at: datetime | None = Field(
        None, description="督促状, 催告書, 納付書: the `set_at` of the 送付先 the issuer confirmed (GET /debtors/{id}/"
                          "mailing-address); refused when it has changed since. Without it, the 送付先 chosen now")


class IssuedDocument(BaseModel):
    document_number: str
    kind: str
    debtor_id: str
    claims: list[str] = Field(description="department:claim_id of each claim listed")
    issued_on: date
    issued_by: str
    reissue_of: str | None
    pages: int
    sha256: str
    batch_id: int | None
    mailed_to: str | None = Field(None, description="The 送付先 as printed in the envelope window (〒 and address); "
                                                    "none for a receipt handed over the counter or a bank inquiry")


def _mailed_to(body: dict[str, Any]) -> str | None:
    person = body.get("document", {}).get("addressee") or body.get("document", {}).get("pledger")
    return f"〒{person['postal_code']} {person['address']}" if person else None


class BatchRequest(BaseModel):
    kind: Literal["demand_notice", "reminder"]
    selection: Literal["demand_notices_due", "debtors"] = Field(
        description="demand_notices_due: every delinquent claim without a 督促 yet (the task list); debtors: the "
                    "debtors listed")
    debtor_ids: list[str] = Field(default_factory=list, max_length=BATCH_LIMIT)
    severity: Literal["first", "second", "final"] = "first"
    limit: int = Field(BATCH_LIMIT, ge=1, le=BATCH_LIMIT)


class BatchOut(BaseModel):
    batch_id: int
    documents: list[IssuedDocument]
    refused: list[str] = Field(description="What could not be issued and why (no personal data)")
    pages: int
    awaiting_mailing_address: int = Field(0, description="demand_notices_due: 督促 due on claims of debtors whose "
                                                         "送付先 is not confirmed yet, left out of the wave")


def _issued(row: asyncpg.Record) -> IssuedDocument:
    return IssuedDocument(document_number=row["document_number"], kind=row["kind"], debtor_id=row["debtor_id"],
                          claims=list(row["claim_keys"]), issued_on=row["issued_on"], issued_by=row["issued_by"],
                          reissue_of=row["reissue_of"], pages=row["pages"], sha256=row["sha256"],
                          batch_id=row["batch_id"], mailed_to=_mailed_to(row["body"]))


async def _person(conn: asyncpg.Connection, debtor_id: str, department: str | None) -> dict[str, Any] | None:
    """The addressee as a department last sent them with an address (the claim's own department first)."""
    return await store.addressee(conn, debtor_id, department)


async def _history(conn: asyncpg.Connection, keys: list[tuple[str, str]], today: date,
                   reissue_of: str | None) -> History:
    """What a 催告書 may say preceded it: the 督促 and 催告書 on record for every claim it lists (by the department or
    the centre), not counting the first issue of the document being re-issued."""
    rows = await store.reminder_actions(conn, keys, [ACTION_OF["demand_notice"].value, ACTION_OF["reminder"].value],
                                        today, reissue_of)
    return reminder_history(keys, ((r["department"], r["claim_id"], r["kind"]) for r in rows))


async def _prepare(conn: asyncpg.Connection, body: DocumentRequest, numbering: Numbering, today: date,
                   reissue_of: str | None = None) -> tuple[AnyDocument, str, list[tuple[str, str]]]:
    """The document for a request, its debtor and the claims it lists; 404/409/422 with the reason."""
    department = body.department.value if body.department else None
    if body.kind == "demand_notice":
        if department is None or body.claim_id is None:
            raise HTTPException(422, "department and claim_id: a 督促状 is issued for one claim")
        debtor = (await _claim(conn, department, body.claim_id))["debtor_id"]
    elif body.debtor_id is None:
        raise HTTPException(422, f"debtor_id: a {body.kind} is addressed to a debtor")
    else:
        debtor = body.debtor_id
    ledger = await load_ledger(conn, debtor, today)
    if ledger is None:
        raise HTTPException(404, f"no debtor {debtor}")
    if body.kind == "demand_notice":
        claims = overdue(ledger, keys=[(department, body.claim_id)])  # type: ignore[list-item]
    elif body.kind == "reminder":
        claims = overdue(ledger, department=department)
    elif body.kind == "asset_inquiry":  # administrative investigation: forced-collection claims only
        claims = [c for c in overdue(ledger) if c.claim.legal_category == "forced_public"]
        if not claims:
            raise HTTPException(409, "no overdue 強制徴収公債権: a 財産調査 (質問検査権) is only for forced-collection "
                                     "claims; for the others, court procedure")
    elif body.claims is not None:
        wanted = [tuple(key.split(":", 1)) for key in body.claims]
        claims = overdue(ledger, keys=wanted)  # type: ignore[arg-type]
        if len(claims) != len(set(wanted)):
            raise HTTPException(422, "claims: each must be an overdue claim of this debtor, as department:claim_id")
    else:
        claims = overdue(ledger)
    if not claims:
        raise HTTPException(409, "nothing overdue with anything open (principal, fees or a fixed 延滞金) for this document")
    keys = [(c.claim.department, c.claim.claim_id) for c in claims]
    history = await _history(conn, keys, today, reissue_of) if body.kind == "reminder" else None
    try:
        document = build(body.kind, letterhead=load_letterhead(), numbering=numbering, issued_on=today,
                         person=await _person(conn, debtor, department), claims=claims,
                         late_charges={(c.claim.department, c.claim.claim_id): late_charge_of(c, today)
                                       for c in claims},
                         fees={(c.claim.department, c.claim.claim_id): _fees(c, body.kind, today) for c in claims},
                         severity=body.severity, unified=department is None,
                         institution=body.institution.model_dump() if body.institution else None,
                         inquiry=body.inquiry, schedule=tuple((i.due_date, i.amount) for i in body.schedule),
                         history=history, address_withheld=await is_protected(conn, debtor))
    except ValueError as refused:
        raise HTTPException(422, refusal_reason(refused)) from None
    return document, debtor, keys


def _fees(claim: ClaimBalance, kind: str, today: date) -> int:
    """督促手数料 and 滞納処分費 still open; a 督促状 also carries the fee it adds itself (地方自治法231条の3第2項)."""
    fees = max(claim.fees_open, 0)
    rules = default_legal_rules()
    if kind == "demand_notice" and claim.demand_fee == 0 and claim.claim.legal_category != "private" \
            and claim.claim.receivable_type in rules.ordinances.receivables:
        fees += rules.ordinances.demand_fee(claim.claim.receivable_type, today)
    return fees


async def _render(document: AnyDocument) -> tuple[bytes, int]:
    """The PDF and its page count, rendered off the event loop."""
    try:
        return await asyncio.to_thread(render_counted, document)
    except ValueError as refused:
        raise HTTPException(422, refusal_reason(refused)) from None


def _pdf(content: bytes, name: str) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(name, safe='')}.pdf"})


@router.post("/documents/preview", responses={200: _PDF}, response_class=Response,
             summary="A document as it would be issued, numbered 見本, nothing recorded (audit-logged)")
async def preview(body: DocumentRequest, conn: Connection, staff: Viewer, today: BusinessDate) -> Response:
    document, debtor, _ = await _prepare(conn, body, Numbering(fiscal_year_of(today), 0), today)
    content, _ = await _render(document)
    await audit(conn, staff, "preview_document", debtor, kind=body.kind)
    return _pdf(content, f"preview-{body.kind}")


async def _next_numbering(conn: asyncpg.Connection, today: date) -> Numbering:
    year = fiscal_year_of(today)
    return Numbering(year, await store.next_serial(conn, year))


async def _record(conn: asyncpg.Connection, document: AnyDocument, numbering: Numbering, *, kind: str,
                  debtor: str, keys: list[tuple[str, str]], staff: str, today: date, content: bytes,
                  pages: int, batch_id: int | None = None, reissue_of: str | None = None) -> asyncpg.Record:
    """Store the issued document and write it to each claim's 経過記録 (checked like any action)."""
    action = ACTION_OF.get(kind)
    if action is not None and reissue_of is None:
        for department, claim_id in keys:
            claim = await _claim(conn, department, claim_id)
            history, _, facts, _, _ = await _situation(conn, claim, today)
            decision = check_action(facts.legal_category, action, history=history, facts=facts, on=today)
            if not decision.allowed:
                raise HTTPException(409, f"{department}:{claim_id}: {decision.reason}")
        await store.record_issue_actions(
            conn, [(d, c, action.value, today, f"{kind} {document.document_number}", staff) for d, c in keys])
        await queue_case_refresh(conn, [debtor], f"document {kind}")
    return await store.insert_issued_document(
        conn, document_number=document.document_number, fiscal_year=numbering.fiscal_year, serial=numbering.serial,
        reissue=numbering.reissue, reissue_of=reissue_of, kind=kind, debtor_id=debtor,
        claim_keys=[f"{d}:{c}" for d, c in keys], batch_id=batch_id, issued_on=today, issued_by=staff,
        body={"kind": kind, "document": document.model_dump(mode="json")}, sha256=hashlib.sha256(content).hexdigest(),
        pages=pages)


@router.post("/documents", response_model=IssuedDocument, status_code=201, responses=_REFUSED_409,
             summary="Issue a document: numbered, written to each claim's 経過記録, kept for download; a 督促状, "
                     "催告書 or 納付書 only to a confirmed 送付先")
async def issue(body: DocumentRequest, conn: Connection, staff: Collector, today: BusinessDate
                ) -> IssuedDocument | JSONResponse:
    try:
        async with conn.transaction():
            issued = await issue_document(conn, body, staff.subject, today)
            await audit(conn, staff, "issue_document", issued.debtor_id, kind=body.kind,
                        number=issued.document_number)
    except NoticeRefused as refused:
        await audit(conn, staff, "document_refused", body.debtor_id or f"{body.department}:{body.claim_id}",
                    kind=body.kind, code=refused.code)
        return refused.response()
    return issued


async def issue_document(conn: asyncpg.Connection, body: DocumentRequest, staff: str, today: date) -> IssuedDocument:
    """Number, render and record a document inside the caller's transaction (what ``POST /documents`` does; a
    central installment plan issues its 分納誓約書 so, in the transaction that stores the plan)."""
    numbering = await _next_numbering(conn, today)
    document, debtor, keys = await _prepare(conn, body, numbering, today)
    await confirm_mailing_address(conn, body.kind, debtor, body.mailing_address_set_at)
    content, pages = await _render(document)
    row = await _record(conn, document, numbering, kind=body.kind, debtor=debtor, keys=keys, staff=staff,
                        today=today, content=content, pages=pages)
    return _issued(row)


NumberPath = Annotated[str, Path(min_length=1, max_length=40)]


async def _stored(conn: asyncpg.Connection, number: str) -> tuple[asyncpg.Record, AnyDocument]:
    row = await store.load_issued_document(conn, number)
    if row is None:
        raise HTTPException(404, f"no document {number}")
    return row, _DOCUMENT.validate_python(row["body"]["document"])


@router.get("/documents/{number}.pdf", responses={200: _PDF}, response_class=Response,
            summary="An issued document again, byte for byte (audit-logged)")
async def download(number: NumberPath, conn: Connection, staff: Viewer) -> Response:
    row, document = await _stored(conn, number)
    content, _ = await _render(document)
    if hashlib.sha256(content).hexdigest() != row["sha256"]:
        raise HTTPException(500, f"document {number} no longer renders as issued (fonts or templates changed)")
    await audit(conn, staff, "download_document", row["debtor_id"], number=number)
    return _pdf(content, number)


@router.get("/documents", response_model=list[IssuedDocument], summary="Documents issued to a debtor, newest first")
async def list_documents(conn: Connection, staff: Viewer, debtor_id: str,
                         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[IssuedDocument]:
    rows = await store.documents_of_debtor(conn, debtor_id, limit)
    await audit_read(conn, staff, "list_documents", debtor_id, [r["document_number"] for r in rows],
                     debtor_ids=[r["debtor_id"] for r in rows], limit=limit)
    return [_issued(r) for r in rows]


@router.post("/documents/{number}/reissue", response_model=IssuedDocument, status_code=201, responses=_REFUSED_409,
             summary="Re-issue a document (再発行): a new number …-再n, today's balances and a new slip; the 経過記録 "
                     "keeps the first issue; a 督促状, 催告書 or 納付書 only to a confirmed 送付先")
async def reissue(number: NumberPath, conn: Connection, staff: Collector, today: BusinessDate
                  ) -> IssuedDocument | JSONResponse:
    try:
        return await _reissue(number, conn, staff, today)
    except NoticeRefused as refused:
        await audit(conn, staff, "document_refused", number, code=refused.code)
        return refused.response()


async def _reissue(number: str, conn: asyncpg.Connection, staff: Principal, today: date) -> IssuedDocument:
    async with conn.transaction():
        original, _ = await _stored(conn, number)
        if original["kind"] == "receipt":
            raise HTTPException(409, f"document {number} is a 領収証書: re-issue it with POST "
                                     "/central-payments/{receipt_id}/receipts")
        first = original["reissue_of"] or number
        base = await store.load_issued_document(conn, first)
        count = await store.last_reissue(conn, base["fiscal_year"], base["serial"])
        numbering = Numbering(base["fiscal_year"], base["serial"], count + 1)
        body = _request_of(base)
        document, debtor, keys = await _prepare(conn, body, numbering, today, reissue_of=first)
        await confirm_mailing_address(conn, base["kind"], debtor)
        content, pages = await _render(document)
        row = await _record(conn, document, numbering, kind=base["kind"], debtor=debtor, keys=keys,
                            staff=staff.subject, today=today, content=content, pages=pages,
                            reissue_of=first)
        await audit(conn, staff, "reissue_document", debtor, number=document.document_number, of=first)
    return _issued(row)


def _request_of(row: asyncpg.Record) -> DocumentRequest:
    """The request that would produce this stored document again (same kind, debtor and claims)."""
    document = row["body"]["document"]
    department, _, claim_id = row["claim_keys"][0].partition(":")
    if row["kind"] == "demand_notice":
        return DocumentRequest(kind="demand_notice", department=department, claim_id=claim_id)
    unified = document.get("unified", True)
    departments = {key.partition(":")[0] for key in row["claim_keys"]}
    return DocumentRequest(kind=row["kind"], debtor_id=row["debtor_id"], severity=document.get("severity", "first"),
                           department=None if unified or len(departments) != 1 else department,
                           inquiry=document.get("inquiry", "bank"),
                           institution=document.get("institution") and {
                               k: document["institution"][k] for k in ("name", "postal_code", "address")})


@router.post("/documents/batches", response_model=BatchOut, status_code=201,
             summary="Issue a wave (e.g. every 督促 due): each document numbered and recorded, one combined PDF")
async def issue_batch(body: BatchRequest, conn: Connection, staff: Collector, today: BusinessDate) -> BatchOut:
    if body.selection == "demand_notices_due":
        if body.kind != "demand_notice":
            raise HTTPException(422, "selection demand_notices_due goes with kind demand_notice")
        targets = [DocumentRequest(kind="demand_notice", department=r["department"], claim_id=r["claim_id"])
                   for r in await store.demand_notices_due(conn, today, body.limit)]
        awaiting = await store.demand_notices_awaiting_address(conn, today)
    else:
        if body.kind != "reminder" or not body.debtor_ids:
            raise HTTPException(422, "selection debtors goes with kind reminder and a list of debtor_ids")
        targets = [DocumentRequest(kind="reminder", debtor_id=d, severity=body.severity)
                   for d in body.debtor_ids[:body.limit]]
        awaiting = 0
    documents, refused = [], []
    async with conn.transaction():
        batch_id = await store.open_batch(conn, kind=body.kind, selection=body.selection, issued_on=today,
                                          issued_by=staff.subject)
        prepared = []
        for target in targets:
            try:
                async with conn.transaction():  # a savepoint: a refused one leaves no number and no record
                    numbering = await _next_numbering(conn, today)
                    document, debtor, keys = await _prepare(conn, target, numbering, today)
                    await confirm_mailing_address(conn, target.kind, debtor)
                    prepared.append((document, numbering, debtor, keys))
            except (HTTPException, NoticeRefused) as exc:
                refused.append(f"{target.department.value + ':' + target.claim_id if target.claim_id else target.debtor_id}"
                               f": {exc.detail}")
        rendered = await asyncio.to_thread(render_batch, [p[0] for p in prepared])
        for document, numbering, debtor, keys in prepared:
            content = rendered.documents[document.document_number]
            try:
                async with conn.transaction():
                    row = await _record(conn, document, numbering, kind=body.kind, debtor=debtor, keys=keys,
                                        staff=staff.subject, today=today, content=content,
                                        pages=rendered.page_counts[document.document_number], batch_id=batch_id)
                documents.append(_issued(row))
            except HTTPException as exc:
                refused.append(f"{document.document_number}: {exc.detail}")
        pages = sum(d.pages for d in documents)
        await store.close_batch(conn, batch_id, len(documents), pages)
        await audit(conn, staff, "issue_document_batch", str(batch_id), kind=body.kind, documents=len(documents),
                    refused=len(refused))
    return BatchOut(batch_id=batch_id, documents=documents, refused=refused, pages=pages,
                    awaiting_mailing_address=awaiting)


@router.get("/documents/batches/{batch_id}.pdf", responses={200: _PDF}, response_class=Response,
            summary="A wave's documents as one PDF for printing, each starting on a new page (audit-logged)")
async def download_batch(batch_id: int, conn: Connection, staff: Viewer) -> Response:
    rows = await store.batch_documents(conn, batch_id)
    if not rows:
        raise HTTPException(404, f"no documents in batch {batch_id}")
    rendered = await asyncio.to_thread(render_batch, [_DOCUMENT.validate_python(r["body"]["document"])
                                                      for r in rows])
    await audit_read(conn, staff, "download_document_batch", str(batch_id), [r["document_number"] for r in rows],
                     debtor_ids=[r["debtor_id"] for r in rows])
    return _pdf(rendered.combined, f"batch-{batch_id}")
