"""The central window (一元化窓口): a lump sum paid by a debtor who owes several departments, split across them by
the declared policy (services/collection/allocation.py) and recorded with the reason for each part. Each part
becomes a payment of its department, which the ledger then allocates inside that department by its own order."""

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, Field

from contracts import Department
from services.collection.allocation import AllocationPolicy, CentralMethod, Component, Due, split_central_payment
from services.collection.api.deps import (
    BusinessDate,
    Collector,
    Connection,
    Viewer,
    allocation_policy,
    audit,
    audit_read,
)
from services.collection.appropriations import decided
from services.collection.store import load_ledger, queue_case_refresh
from services.collection.stores.appropriations import of_central_payment, record_decided
from services.collection.stores.payments import (
    central_payment_recorded,
    insert_central_payment,
    insert_counter_payment,
    source_people,
)

router = APIRouter(tags=["central window"])

#: Namespace of the message ids of central-window payments (stable per receipt and department).
_CENTRAL_PAYMENTS = uuid.UUID("5d1f4a1e-3c1e-4f0e-9a43-3f7d7c2c0a11")


class CentralPaymentRequest(BaseModel):
    receipt_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$",
                            description="The window's receipt number: the same receipt is recorded once")
    amount: int = Field(gt=0, description="Yen received")
    paid_on: date
    method: CentralMethod | None = Field(None, description="Default: the policy's central-window method")
    designated: dict[Department, int] | None = Field(
        None, description="Yen the payer declared for each department (their designation comes first)")
    note: str = Field(min_length=1, max_length=500, description="What the payer said, why this split")


class CentralPart(BaseModel):
    department: str
    amount: int
    reason: str
    payment_id: str


class Appropriated(BaseModel):
    """充当 of a part, as decided when the money was taken (what the department's feed says)."""

    department: str = Field(description="Owns the claim (its feed gets the line)")
    claim_id: str
    payment_department: str = Field(description="The part's department (another only for a local tax's 過誤納金 "
                                                "applied under 地方税法17条の2)")
    payment_id: str
    principal: int
    demand_fee: int
    late_charge: int
    disposition_cost: int


class StoredAppropriation(Appropriated):
    appropriated_on: date
    feed_id: int | None = Field(description="The department's feed item (None until gathered)")
    acknowledged: bool = Field(description="The department's receipt named it")


class CentralPaymentView(BaseModel):
    central_payment_id: str
    debtor_id: str
    amount: int
    paid_on: date
    method: str
    parts: list[CentralPart]
    appropriations: list[Appropriated] = Field(default_factory=list,
                                               description="Which claims each part settled (充当), as decided now")
    overpayment: int = Field(description="Beyond every open balance: to be refunded (還付)")
    note: str
    received_by: str
    received_at: datetime


@router.post("/debtors/{debtor_id}/central-payments", response_model=CentralPaymentView, status_code=201,
             summary="Record a lump sum paid at the central window, split across departments (collector)")
async def receive_central_payment(
    debtor_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: CentralPaymentRequest,
    conn: Connection,
    staff: Collector,
    today: BusinessDate,
    policy: Annotated[AllocationPolicy, Depends(allocation_policy)],
) -> CentralPaymentView:
    if body.paid_on > today:
        raise HTTPException(422, f"paid_on {body.paid_on} is after the business date {today}")
    method = body.method or policy.central_window.method
    async with conn.transaction():
        if await central_payment_recorded(conn, body.receipt_id):
            raise HTTPException(409, f"receipt {body.receipt_id} is already recorded")
        ledger = await load_ledger(conn, debtor_id, body.paid_on)
        if ledger is None:
            raise HTTPException(404, f"no ledger entries for debtor {debtor_id}")
        # What each claim may still be asked for (principal, fees, a fixed 延滞金); extinguished claims owe nothing.
        dues = [Due(c.claim.department, c.claim.claim_id, Component.PRINCIPAL, c.outstanding, c.claim.due_date,
                    c.claim.fiscal_year, c.claim.installment, c.claim.legal_category)
                for c in ledger.claims if c.outstanding > 0]
        try:
            split = split_central_payment(body.amount, dues, method,
                                          {d.value: v for d, v in (body.designated or {}).items()})
        except ValueError as refused:
            raise HTTPException(422, str(refused)) from None
        people = await source_people(conn, debtor_id)
        parts = []
        for part in split.parts:
            payment_id = f"C{body.receipt_id}-{part.department}"
            await insert_counter_payment(
                conn, department=part.department, payment_id=payment_id, debtor_id=debtor_id,
                source_person_id=people[part.department], amount=part.amount, paid_on=body.paid_on,
                message_id=uuid.uuid5(_CENTRAL_PAYMENTS, payment_id))
            parts.append(CentralPart(department=part.department, amount=part.amount, reason=part.reason,
                                     payment_id=payment_id))
        row = await insert_central_payment(
            conn, receipt_id=body.receipt_id, debtor_id=debtor_id, amount=body.amount, paid_on=body.paid_on,
            method=CentralMethod(method).value,
            designated={d.value: v for d, v in body.designated.items()} if body.designated else None,
            parts=[p.model_dump() for p in parts], overpayment=split.overpayment, note=body.note,
            received_by=staff.subject)
        # 充当 as decided today, kept: the departments' feeds say this, whatever later money changes on read
        after = await load_ledger(conn, debtor_id, body.paid_on)
        lines, refunds = decided(after, {(p.department, p.payment_id) for p in parts}, body.paid_on) \
            if after is not None else ([], [])
        await record_decided(conn, lines, refunds, central_payment_id=body.receipt_id)
        await queue_case_refresh(conn, [debtor_id], "central window payment")
        await audit(conn, staff, "receive_central_payment", debtor_id, receipt=body.receipt_id, amount=body.amount)
    return CentralPaymentView(**{**dict(row), "parts": parts, "appropriations": [
        Appropriated(department=x.department, claim_id=x.claim_id, payment_department=x.payment_department,
                     payment_id=x.payment_id, principal=x.principal,
                     demand_fee=x.demand_fee, late_charge=x.late_charge, disposition_cost=x.disposition_cost)
        for x in lines]})


@router.get("/central-payments/{receipt_id}/appropriations", response_model=list[StoredAppropriation],
            summary="Which claims each part of a window payment settled (充当), as decided when it was taken, and "
                    "whether the owning department acknowledged its feed item (viewer)")
async def central_payment_appropriations(
    receipt_id: Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")],
    conn: Connection, staff: Viewer,
) -> list[StoredAppropriation]:
    debtor_id, rows = await of_central_payment(conn, receipt_id)
    if debtor_id is None:
        raise HTTPException(404, f"no central-window payment with receipt {receipt_id}")
    await audit_read(conn, staff, "read_central_payment_appropriations", debtor_id, [receipt_id],
                     debtor_ids=[debtor_id])
    return [StoredAppropriation(
        department=r["department"], claim_id=r["claim_id"], payment_id=r["payment_id"], principal=r["principal"],
        demand_fee=r["demand_fee"], late_charge=r["late_charge"], disposition_cost=r["disposition_cost"],
        payment_department=r["payment_department"], appropriated_on=r["appropriated_on"], feed_id=r["feed_id"],
        acknowledged=r["acknowledged_at"] is not None) for r in rows]
