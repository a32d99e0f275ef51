"""Central collection API (債権管理課): what a debtor owes, in every department, as of any date."""

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field

from services.collection.ledger import ArrearsClass, ClaimStatus, DebtorLedger
from services.collection.store import audit, load_ledger

TOKYO = ZoneInfo("Asia/Tokyo")
router = APIRouter(tags=["debtors"])


class ClaimView(BaseModel):
    department: str
    claim_id: str
    receivable_type: str
    legal_category: str
    fiscal_year: int
    installment: int
    due_date: date
    assessed_amount: int = Field(description="調定額 as first assessed, yen")
    principal: int = Field(description="Principal after adjustments and cancellation, yen")
    paid: int
    balance: int
    status: ClaimStatus
    arrears_class: ArrearsClass = Field(description="current_year = 現年度分, carried_over = 滞納繰越分")


class ParkedPaymentView(BaseModel):
    department: str
    payment_id: str
    claim_id: str | None
    amount: int
    paid_on: date


class OverpaymentView(BaseModel):
    department: str
    payment_id: str
    amount: int = Field(description="Yen received beyond what the claims owed: due for refund (還付)")


class DebtorView(BaseModel):
    debtor_id: str
    as_of: date
    balance: int = Field(description="Total unpaid principal over every department, yen")
    delinquent_balance: int = Field(description="Unpaid principal past its due date (滞納額), yen")
    claims: list[ClaimView]
    parked_payments: list[ParkedPaymentView] = Field(description="Payments whose claim has not arrived yet")
    overpayments: list[OverpaymentView]


def _view(debtor_id: str, ledger: DebtorLedger) -> DebtorView:
    return DebtorView(
        debtor_id=debtor_id,
        as_of=ledger.as_of,
        balance=ledger.balance,
        delinquent_balance=ledger.delinquent_balance,
        claims=[
            ClaimView(
                department=c.claim.department, claim_id=c.claim.claim_id, receivable_type=c.claim.receivable_type,
                legal_category=c.claim.legal_category, fiscal_year=c.claim.fiscal_year,
                installment=c.claim.installment, due_date=c.claim.due_date, assessed_amount=c.claim.amount,
                principal=c.principal, paid=c.paid, balance=c.balance, status=c.status,
                arrears_class=c.arrears_class,
            )
            for c in ledger.claims
        ],
        parked_payments=[ParkedPaymentView(department=p.department, payment_id=p.payment_id, claim_id=p.claim_id,
                                           amount=p.amount, paid_on=p.paid_on) for p in ledger.parked_payments],
        overpayments=[OverpaymentView(department=o.department, payment_id=o.payment_id, amount=o.amount)
                      for o in ledger.overpayments],
    )


async def get_connection(request: Request):  # type: ignore[no-untyped-def]
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        yield conn


class DebtorLookup(BaseModel):
    department: str
    source_person_id: str
    debtor_ids: list[str] = Field(description="Debtors this departmental person record's claims and payments are under")


@router.get("/debtor-lookup", response_model=DebtorLookup,
            summary="Which debtor a departmental person record (e.g. a tax 宛名番号) belongs to")
async def lookup_debtor(
    department: Annotated[str, Query(min_length=1, max_length=32)],
    source_person_id: Annotated[str, Query(min_length=1, max_length=80)],
    conn: Annotated[asyncpg.Connection, Depends(get_connection)],
    x_staff_id: Annotated[str | None, Header(description="Who reads; recorded in the audit log")] = None,
) -> DebtorLookup:
    rows = await conn.fetch(
        "SELECT DISTINCT debtor_id FROM claims WHERE department = $1 AND source_person_id = $2 "
        "UNION SELECT DISTINCT debtor_id FROM payments WHERE department = $1 AND source_person_id = $2",
        department, source_person_id)
    await audit(conn, actor=x_staff_id or "unidentified", action="lookup_debtor",
                subject=f"{department}:{source_person_id}", detail={"found": len(rows)})
    if not rows:
        raise HTTPException(404, f"no claims or payments for {department} person {source_person_id}")
    return DebtorLookup(department=department, source_person_id=source_person_id,
                        debtor_ids=sorted(r["debtor_id"] for r in rows))


@router.get("/debtors/{debtor_id}", response_model=DebtorView, summary="Debtor ledger: every claim with balance")
async def get_debtor(
    debtor_id: Annotated[str, Field(min_length=1, max_length=64)],
    conn: Annotated[asyncpg.Connection, Depends(get_connection)],
    as_of: Annotated[date | None, Query(description="Balances as of this business date (default: today, JST)")] = None,
    x_staff_id: Annotated[str | None, Header(description="Who reads; recorded in the audit log")] = None,
) -> DebtorView:
    as_of = as_of or datetime.now(TOKYO).date()
    ledger = await load_ledger(conn, debtor_id, as_of)
    await audit(conn, actor=x_staff_id or "unidentified", action="read_debtor_ledger", subject=debtor_id,
                detail={"as_of": as_of.isoformat(), "found": ledger is not None})
    if ledger is None:
        raise HTTPException(404, f"no ledger entries for debtor {debtor_id}")
    return _view(debtor_id, ledger)
