"""領収証書 of the central window, and the print queue (印刷待ち).

A payment received at the central window (api/payments.py) gets a receipt: a numbered document (6債管第123号, the
serial shared with every other document) naming the payer (never the address), the sum, the day received, the
window's receipt number and its split per department. Asked again, the receipt is re-issued under the same serial
(…-再1) and says 再発行. Documents issued one at a time wait for a print wave: the queue lists a day's and puts
them into one wave, whose combined PDF is GET /documents/batches/{id}.pdf. Every issue and download is audited.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field

from services.collection.api.deps import BusinessDate, Collector, Connection, Viewer, audit, audit_read
from services.collection.api.documents import _PDF, IssuedDocument, _issued, _next_numbering, _pdf, _render
from services.collection.notices import Numbering
from services.collection.stores import documents as document_store
from services.collection.stores import receipts as store
from shared.documents import Receipt, ReceiptPart, WithheldAddressee, refusal_reason
from shared.documents.letterhead import load_letterhead

router = APIRouter(tags=["central window"])

ReceiptId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$",
                                description="The window's receipt number of the payment")]


class ReceiptPartView(BaseModel):
    department: str
    amount: int
    claim_id: str | None = Field(None, description="The claim the payer named for this part")
    claim_label: str | None = Field(None, description="That claim as the receipt prints it")


class CentralPaymentSummary(BaseModel):
    central_payment_id: str
    debtor_id: str
    amount: int
    paid_on: date
    method: str
    parts: list[ReceiptPartView]
    overpayment: int
    received_by: str
    received_at: datetime
    receipts: list[str] = Field(description="Numbers of the 領収証書 issued for it, the first issue first")


class PrintWave(BaseModel):
    batch_id: int
    kind: str
    selection: str = Field(description="demand_notices_due, debtors, or issued_on_day (the day's documents)")
    issued_on: date
    issued_by: str
    documents: int
    pages: int
    created_at: datetime


class WaitingDocument(BaseModel):
    document_number: str
    kind: str
    debtor_id: str
    issued_on: date
    issued_by: str
    pages: int


class PrintQueue(BaseModel):
    day: date
    waiting: list[WaitingDocument] = Field(description="Issued that day one at a time, in no wave yet")
    waves: list[PrintWave] = Field(description="The latest print waves, newest first")


class WaveOfTheDay(BaseModel):
    day: date | None = Field(None, description="Default: the business date")


def receipt_document(payment: dict[str, object], *, payer_name: str, payer_kana: str | None, numbering: Numbering,
                     issued_on: date, reissued: bool) -> Receipt:
    """The 領収証書 of a window payment (ValueError naming the field when it cannot be printed)."""
    letterhead = load_letterhead()
    parts = tuple(ReceiptPart(department=p["department"], amount=p["amount"], claim=p.get("claim_label"))  # type: ignore[index]
                  for p in payment["parts"])  # type: ignore[attr-defined]
    return Receipt(document_number=numbering.number(letterhead), issued_on=issued_on, issuer=letterhead.issuer,
                   payer=WithheldAddressee(name=payer_name, name_kana=payer_kana),
                   receipt_id=str(payment["central_payment_id"]), paid_on=payment["paid_on"],  # type: ignore[arg-type]
                   amount=payment["amount"], parts=parts, overpayment=payment["overpayment"],  # type: ignore[arg-type]
                   received_by=str(payment["received_by"]), reissued=reissued)


@router.post("/central-payments/{receipt_id}/receipts", response_model=IssuedDocument, status_code=201,
             summary="Issue the 領収証書 of a window payment; asked again, re-issue it marked 再発行 (collector)")
async def issue_receipt(receipt_id: ReceiptId, conn: Connection, staff: Collector,
                        today: BusinessDate) -> IssuedDocument:
    async with conn.transaction():
        payment = await store.central_payment(conn, receipt_id)
        if payment is None:
            raise HTTPException(404, f"no central-window payment with receipt {receipt_id}")
        person = await store.payer(conn, payment["debtor_id"])
        if person is None:
            raise HTTPException(409, f"receipt {receipt_id}: no department has sent the payer's name")
        issued = await store.receipts_of(conn, receipt_id)
        if issued:
            first = issued[0]
            numbering = Numbering(first["fiscal_year"], first["serial"], max(r["reissue"] for r in issued) + 1)
        else:
            numbering = await _next_numbering(conn, today)
        try:
            document = receipt_document(dict(payment), payer_name=person["name_kanji"],
                                        payer_kana=person.get("name_kana"), numbering=numbering, issued_on=today,
                                        reissued=bool(issued))
        except ValueError as refused:
            raise HTTPException(422, f"receipt {receipt_id}: {refusal_reason(refused)}") from None
        content, pages = await _render(document)
        row = await document_store.insert_issued_document(
            conn, document_number=document.document_number, fiscal_year=numbering.fiscal_year,
            serial=numbering.serial, reissue=numbering.reissue,
            reissue_of=issued[0]["document_number"] if issued else None, kind="receipt",
            debtor_id=payment["debtor_id"], claim_keys=[], batch_id=None, issued_on=today, issued_by=staff.subject,
            body={"kind": "receipt", "document": document.model_dump(mode="json")},
            sha256=hashlib.sha256(content).hexdigest(), pages=pages)
        await audit(conn, staff, "reissue_receipt" if issued else "issue_receipt", payment["debtor_id"],
                    receipt=receipt_id, number=document.document_number)
    return _issued(row)


@router.get("/central-payments/{receipt_id}", response_model=CentralPaymentSummary,
            summary="A window payment: its split and the 領収証書 issued for it")
async def get_central_payment(receipt_id: ReceiptId, conn: Connection, staff: Viewer) -> CentralPaymentSummary:
    payment = await store.central_payment(conn, receipt_id)
    if payment is None:
        raise HTTPException(404, f"no central-window payment with receipt {receipt_id}")
    receipts = [r["document_number"] for r in await store.receipts_of(conn, receipt_id)]
    await audit_read(conn, staff, "read_central_payment", payment["debtor_id"], [receipt_id],
                     debtor_ids=[payment["debtor_id"]])
    return _summary(payment, receipts)


@router.get("/debtors/{debtor_id}/central-payments", response_model=list[CentralPaymentSummary],
            summary="A debtor's window payments, newest first, with their receipts")
async def list_central_payments(debtor_id: Annotated[str, Path(min_length=1, max_length=64)], conn: Connection,
                                staff: Viewer, limit: Annotated[int, Query(ge=1, le=500)] = 50
                                ) -> list[CentralPaymentSummary]:
    rows = await store.central_payments_of(conn, debtor_id, limit)
    out = [_summary(r, [d["document_number"] for d in await store.receipts_of(conn, r["central_payment_id"])])
           for r in rows]
    await audit_read(conn, staff, "list_central_payments", debtor_id, [r.central_payment_id for r in out],
                     debtor_ids=[debtor_id] * len(out))
    return out


def _summary(row: object, receipts: list[str]) -> CentralPaymentSummary:
    data = dict(row)  # type: ignore[call-overload]
    return CentralPaymentSummary(**{k: data[k] for k in CentralPaymentSummary.model_fields
                                    if k in data and k not in ("parts", "receipts")},
                                 parts=[ReceiptPartView(department=p["department"], amount=p["amount"],
                                                        claim_id=p.get("claim_id"), claim_label=p.get("claim_label"))
                                        for p in data["parts"]], receipts=receipts)


@router.get("/central-payments/{receipt_id}/receipt.pdf", responses={200: _PDF}, response_class=Response,
            summary="The latest 領収証書 of a window payment (audit-logged)")
async def download_receipt(receipt_id: ReceiptId, conn: Connection, staff: Viewer) -> Response:
    issued = await store.receipts_of(conn, receipt_id)
    if not issued:
        raise HTTPException(404, f"no 領収証書 issued for receipt {receipt_id}")
    row = issued[-1]
    document = Receipt.model_validate(row["body"]["document"])
    content, _ = await _render(document)
    if hashlib.sha256(content).hexdigest() != row["sha256"]:
        raise HTTPException(500, f"document {row['document_number']} no longer renders as issued")
    await audit(conn, staff, "download_document", row["debtor_id"], number=row["document_number"])
    return _pdf(content, row["document_number"])


@router.get("/documents/print-queue", response_model=PrintQueue,
            summary="印刷待ち: the day's documents issued one at a time and in no wave yet, and the latest waves")
async def print_queue(conn: Connection, staff: Viewer, today: BusinessDate, day: date | None = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = 30) -> PrintQueue:
    on = day or today
    waiting = [WaitingDocument(**dict(r)) for r in await store.waiting(conn, on)]
    waves = [PrintWave(**dict(r)) for r in await store.batches(conn, limit)]
    await audit_read(conn, staff, "read_print_queue", str(on), [w.document_number for w in waiting],
                     debtor_ids=[w.debtor_id for w in waiting])
    return PrintQueue(day=on, waiting=waiting, waves=waves)


@router.post("/documents/print-queue/waves", response_model=PrintWave, status_code=201,
             summary="Put the day's waiting documents into one print wave (its PDF: /documents/batches/{id}.pdf)")
async def wave_of_the_day(body: WaveOfTheDay, conn: Connection, staff: Collector,
                          today: BusinessDate) -> PrintWave:
    on = body.day or today
    async with conn.transaction():
        waiting = await store.waiting(conn, on)
        if not waiting:
            raise HTTPException(409, f"day {on}: no document waits for printing")
        batch_id = await document_store.open_batch(conn, kind="mixed", selection="issued_on_day", issued_on=on,
                                                   issued_by=staff.subject)
        numbers = [r["document_number"] for r in waiting]
        await store.put_in_wave(conn, batch_id, numbers)
        await document_store.close_batch(conn, batch_id, len(numbers), sum(r["pages"] for r in waiting))
        await audit(conn, staff, "create_print_wave", str(batch_id), day=on.isoformat(), documents=len(numbers))
        wave = [w for w in await store.batches(conn, 5) if w["batch_id"] == batch_id][0]
    return PrintWave(**dict(wave))
