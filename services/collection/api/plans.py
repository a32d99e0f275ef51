"""Central installment plans (分納計画): a collector agrees a schedule with a debtor over chosen claims of any
departments; a department's system may use the same routes with a staff account.

Creating a plan, in one transaction: the schedule (services/collection/plans.py) over the claims' open balances as
of the business date; each department's share stored as an installment agreement (missed instalments are then
detected and announced as for the departments' own plans); the 分納誓約書 issued as a numbered document with the
schedule table, which writes 分納誓約 into each claim's 経過記録 after the legal check of its row in the table of
legal actions (an acknowledgement, 承認: 時効 renews, 民法152条) and so reaches the owning department through its
feed (services/collection/feeds.py). Preview computes the same schedule and stores nothing. Cancelling stops the
watching of missed instalments; the 経過記録 keeps the pledge (the acknowledgement happened).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from contracts import Department
from services.collection.api.debtors import DebtorId, late_charge_of
from services.collection.api.deps import BusinessDate, Collector, Connection, Viewer, audit
from services.collection.api.documents import DocumentRequest, Installment, issue_document
from services.collection.api.feeds import Sender
from services.collection.ledger import ClaimBalance
from services.collection.notices import overdue
from services.collection.plans import MAX_INSTALMENTS, PlanClaim, PlanRefused, Schedule, plan_schedule
from services.collection.store import load_installment_plans, load_ledger, queue_case_refresh
from services.collection.stores import audit_log
from services.collection.stores import plans as store

router = APIRouter(tags=["installment plans"])
ClaimKey = Annotated[str, Field(pattern=r"^[a-z_]+:.{1,80}$", description="department:claim_id")]


class PlanTerms(BaseModel):
    claims: list[ClaimKey] = Field(min_length=1, max_length=200, description="The overdue claims the plan covers")
    count: int | None = Field(None, description=f"Number of monthly instalments (1 to {MAX_INSTALMENTS}); the "
                              "remainder of the division goes to the first instalment")
    amount: int | None = Field(None, description="Yen per instalment instead of a number; the last is what is left")
    first_due: date = Field(description="The first instalment's due date (moved past a closed day)")
    day_of_month: int | None = Field(None, description="Day of the month of the later instalments (default the "
                                     "first due date's day; 31: the month's last day)")


class PartOut(BaseModel):
    department: str
    claim_id: str
    component: str = Field(description="disposition_cost, demand_fee, principal or late_charge")
    amount: int


class InstalmentOut(BaseModel):
    number: int
    due_date: date
    amount: int
    parts: list[PartOut] = Field(description="What of the instalment settles which claim and component")


class PlanClaimOut(BaseModel):
    department: str
    claim_id: str
    due_date: date
    principal: int
    late_charge: int
    fees: int
    total: int


class PlanPreview(BaseModel):
    debtor_id: str
    agreed_on: date
    total: int
    claims: list[PlanClaimOut]
    instalments: list[InstalmentOut]


class DepartmentShareOut(BaseModel):
    department: str
    agreement_id: str = Field(description="The installment agreement missed instalments are detected on")
    schedule: list[dict[str, Any]]
    state: str | None = Field(description="on_track, missed or completed; None once cancelled")
    paid_to_date: int | None
    missed: list[date]


class PlanOut(PlanPreview):
    plan_id: int
    agreed_by: str
    document_number: str | None = Field(description="The 分納誓約書 (GET /documents/{number}.pdf)")
    terms: dict[str, Any]
    status: str = Field(description="active or cancelled")
    cancelled_on: date | None
    cancel_reason: str | None
    departments: list[DepartmentShareOut]


class Cancellation(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why the plan ends (再協議, 完納, 不履行 …)")


def _plan_claim(claim: ClaimBalance, today: date) -> PlanClaim:
    return PlanClaim(claim.claim.department, claim.claim.claim_id, claim.claim.due_date, claim.claim.legal_category,
                     principal=claim.balance, late_charge=late_charge_of(claim, today),
                     demand_fee=claim.demand_fee - claim.demand_fee_paid,
                     disposition_cost=claim.disposition_cost - claim.disposition_cost_paid)


async def _schedule(conn: asyncpg.Connection, debtor_id: str, body: PlanTerms, today: date
                    ) -> tuple[list[PlanClaim], Schedule]:
    """The chosen claims as the ledger has them today and the plan's schedule; 404/422 with the reason."""
    ledger = await load_ledger(conn, debtor_id, today)
    if ledger is None:
        raise HTTPException(404, f"no debtor {debtor_id}")
    wanted = [tuple(key.split(":", 1)) for key in body.claims]
    found = {(c.claim.department, c.claim.claim_id): c for c in overdue(ledger, keys=wanted)}  # type: ignore[arg-type]
    missing = [f"{d}:{c}" for d, c in wanted if (d, c) not in found]
    if missing:
        raise HTTPException(422, f"claims: {', '.join(missing)} is not an overdue claim of debtor {debtor_id} with "
                                 "something open")
    claims = [_plan_claim(found[key], today) for key in wanted]  # type: ignore[index]
    try:
        schedule = plan_schedule(claims, agreed_on=today, first_due=body.first_due, count=body.count,
                                 amount=body.amount, day_of_month=body.day_of_month)
    except PlanRefused as refused:
        raise HTTPException(422, str(refused)) from None
    return claims, schedule


def _instalments(schedule: Schedule) -> list[dict[str, Any]]:
    return [{"number": i.number, "due_date": i.due_date.isoformat(), "amount": i.amount,
             "parts": [{"department": p.department, "claim_id": p.claim_id, "component": p.component.value,
                        "amount": p.amount} for p in i.parts]} for i in schedule.instalments]


def _claims_out(claims: list[PlanClaim]) -> list[PlanClaimOut]:
    return [PlanClaimOut(department=c.department, claim_id=c.claim_id, due_date=c.due_date, principal=c.principal,
                         late_charge=c.late_charge, fees=c.demand_fee + c.disposition_cost, total=c.total)
            for c in claims]


@router.post("/debtors/{debtor_id}/installment-plans/preview", response_model=PlanPreview,
             summary="The schedule a plan over these claims would have: nothing stored (audit-logged)")
async def preview_plan(debtor_id: DebtorId, body: PlanTerms, conn: Connection, staff: Viewer,
                       today: BusinessDate) -> PlanPreview:
    claims, schedule = await _schedule(conn, debtor_id, body, today)
    await audit(conn, staff, "preview_installment_plan", debtor_id, claims=len(claims))
    return PlanPreview(debtor_id=debtor_id, agreed_on=today, total=schedule.total, claims=_claims_out(claims),
                       instalments=[InstalmentOut(**i) for i in _instalments(schedule)])


@router.post("/debtors/{debtor_id}/installment-plans", response_model=PlanOut, status_code=201,
             summary="Agree an installment plan (collector): schedule stored, each department's share watched for "
                     "missed instalments, the 分納誓約書 issued and 分納誓約 written to each claim's 経過記録",
             responses={409: {"description": "A claim is in an active plan already, or the law refuses the pledge"},
                        422: {"description": "Impossible terms: the reason names each field"}})
async def create_plan(debtor_id: DebtorId, body: PlanTerms, conn: Connection, staff: Collector,
                      today: BusinessDate) -> PlanOut:
    async with conn.transaction():
        await store.lock_debtor(conn, debtor_id)
        claims, schedule = await _schedule(conn, debtor_id, body, today)
        keys = [c.key for c in claims]
        taken = await store.claims_in_active_plans(conn, keys)
        if taken:
            raise HTTPException(409, "claims: " + ", ".join(f"{k} is in active plan {p}" for k, p in taken.items())
                                + " (cancel that plan first)")
        instalments = _instalments(schedule)
        terms = {**body.model_dump(mode="json", exclude={"claims"}),
                 "claims": [c.model_dump(mode="json") for c in _claims_out(claims)]}
        plan_id = await store.insert_plan(conn, debtor_id=debtor_id, claim_keys=keys, total=schedule.total,
                                          terms=terms, schedule=instalments, agreed_on=today,
                                          agreed_by=staff.subject)
        persons = await store.source_persons(conn, [(c.department, c.claim_id) for c in claims])
        for department in schedule.departments:
            await store.insert_department_share(
                conn, plan_id=plan_id, department=department, debtor_id=debtor_id,
                source_person_id=persons.get(department),
                claim_ids=[c.claim_id for c in claims if c.department == department],
                schedule=[{"due_date": d.isoformat(), "amount": a} for d, a in schedule.department_schedule(department)],
                agreed_on=today)
        pledge = DocumentRequest(kind="installment_pledge", debtor_id=debtor_id, claims=keys,
                                 schedule=[Installment(due_date=i.due_date, amount=i.amount)
                                           for i in schedule.instalments])
        issued = await issue_document(conn, pledge, staff.subject, today)
        await store.set_document(conn, plan_id, issued.document_number)
        await queue_case_refresh(conn, [debtor_id], f"installment plan {plan_id}")
        await audit(conn, staff, "create_installment_plan", debtor_id, plan_id=plan_id, claims=len(keys),
                    instalments=len(instalments), number=issued.document_number)
        row = await store.load_plan(conn, plan_id)
        return (await _plans_out(conn, debtor_id, [row], today))[0]


@router.get("/debtors/{debtor_id}/installment-plans", response_model=list[PlanOut],
            summary="The debtor's central installment plans, newest first, with how each department's share stands")
async def debtor_plans(debtor_id: DebtorId, conn: Connection, staff: Viewer, today: BusinessDate) -> list[PlanOut]:
    rows = await store.plans_of_debtor(conn, debtor_id)
    await audit(conn, staff, "read_installment_plans", debtor_id, plans=[r["plan_id"] for r in rows])
    return await _plans_out(conn, debtor_id, rows, today)


@router.post("/installment-plans/{plan_id}/cancel", response_model=PlanOut,
             summary="Cancel a plan (collector): its instalments are no longer watched; the 経過記録 keeps the pledge",
             responses={409: {"description": "Cancelled already"}})
async def cancel_plan(plan_id: Annotated[int, Path(ge=1)], body: Cancellation, conn: Connection, staff: Collector,
                      today: BusinessDate) -> PlanOut:
    async with conn.transaction():
        debtor_id = await store.current_debtor(conn, plan_id)
        if debtor_id is None:
            raise HTTPException(404, f"no installment plan {plan_id}")
        await store.lock_debtor(conn, debtor_id)
        row = await store.load_plan(conn, plan_id)
        if row["cancelled_on"] is not None:
            raise HTTPException(409, f"plan {plan_id} was cancelled on {row['cancelled_on'].isoformat()}")
        row = await store.cancel_plan(conn, plan_id, on=today, by=staff.subject, reason=body.reason)
        await queue_case_refresh(conn, [debtor_id], f"installment plan {plan_id} cancelled")
        await audit(conn, staff, "cancel_installment_plan", debtor_id, plan_id=plan_id)
        return (await _plans_out(conn, debtor_id, [row], today))[0]


class DepartmentShare(BaseModel):
    """A department's share of a central plan, as its own system reads it: its person, its claims, its
    instalments (no names, no amounts of other departments)."""

    plan_id: int
    agreement_id: str
    source_person_id: str | None
    claim_ids: list[str]
    agreed_on: date
    schedule: list[Installment]
    document_number: str | None = Field(description="The 分納誓約書 the debtor signed (6債管第123号)")
    status: str = Field(description="active or cancelled")
    cancelled_on: date | None


@router.get("/feeds/{department}/installment-plans", response_model=list[DepartmentShare],
            summary="The department's shares of central installment plans, newest first, cancelled ones too "
                    "(the department system's own credential)")
async def department_plans(department: Department, sender: Sender, conn: Connection,
                           limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[DepartmentShare]:
    rows = await store.department_shares(conn, department.value, limit=limit)
    await audit_log.record_read(conn, sender.label, "read_central_plans", department.value,
                                [r["agreement_id"] for r in rows])
    return [DepartmentShare(plan_id=r["central_plan_id"], agreement_id=r["agreement_id"],
                            source_person_id=r["source_person_id"], claim_ids=list(r["claim_ids"]),
                            agreed_on=r["agreed_on"], schedule=[Installment(**i) for i in r["schedule"]],
                            document_number=r["document_number"],
                            status="cancelled" if r["cancelled_on"] else "active", cancelled_on=r["cancelled_on"])
            for r in rows]


async def _plans_out(conn: asyncpg.Connection, debtor_id: str, rows: list[asyncpg.Record], today: date
                     ) -> list[PlanOut]:
    watched = {(p.department, p.agreement_id): p
               for p in (await load_installment_plans(conn, [debtor_id], today)).get(debtor_id, [])}
    out = []
    for row in rows:
        agreement = store.agreement_id(row["plan_id"])
        instalments = [InstalmentOut(**i) for i in row["schedule"]]
        terms = dict(row["terms"])
        claims = [PlanClaimOut(**c) for c in terms.pop("claims", [])]
        departments = []
        for department in sorted({p.department for i in instalments for p in i.parts}):
            share = [{"due_date": i.due_date.isoformat(), "amount": s} for i in instalments
                     if (s := sum(p.amount for p in i.parts if p.department == department)) > 0]
            status = watched.get((department, agreement))
            departments.append(DepartmentShareOut(
                department=department, agreement_id=agreement, schedule=share,
                state=status.status.state.value if status else None,
                paid_to_date=status.status.paid_to_date if status else None,
                missed=[m.due_date for m in status.status.missed] if status else []))
        out.append(PlanOut(
            plan_id=row["plan_id"], debtor_id=debtor_id, agreed_on=row["agreed_on"], agreed_by=row["agreed_by"],
            total=row["total"], claims=claims, instalments=instalments,
            document_number=row["document_number"], terms=terms,
            status="cancelled" if row["cancelled_on"] else "active", cancelled_on=row["cancelled_on"],
            cancel_reason=row["cancel_reason"], departments=departments))
    return out
