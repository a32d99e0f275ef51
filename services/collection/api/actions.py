"""The action record (経過記録) of a claim: staff record what they did (督促, 催告, 納付相談, 差押, 支払督促 …); the
law decides first (services/collection/workflow.py): an action the claim's legal category or history does not allow
is refused with the reason and the statute. And the task list of 督促 due within 20 days of the due date."""

from datetime import date, datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from contracts import Department
from services.collection.api.deps import BusinessDate, Collector, Connection, Viewer, audit, audit_read
from services.collection.late_charges import charge_for
from services.collection.prescription import (
    PrescriptionClaim,
    PrescriptionEvent,
    default_prescription_table,
    prescription,
)
from services.collection.store import load_ledger, queue_case_refresh
from services.collection.workflow import (
    ActionKind,
    ActionRecord,
    ClaimFacts,
    allowed_actions,
    check_action,
    demand_notice_task,
)
from shared.auth import StaffRole, role_allows

router = APIRouter(tags=["action record"])
ClaimId = Annotated[str, Path(min_length=1, max_length=80)]
#: How recorded actions bear on prescription (services/collection/prescription.py).
_PRESCRIPTION_EVENTS = {
    ActionKind.DEMAND_NOTICE: "demand_notice", ActionKind.REMINDER_LETTER: "reminder",
    ActionKind.INSTALLMENT_AGREEMENT: "installment_pledge", ActionKind.SEIZURE: "seizure",
    ActionKind.PAYMENT_ORDER: "court_filing", ActionKind.SMALL_CLAIMS_SUIT: "court_filing",
    ActionKind.LAWSUIT: "court_filing", ActionKind.SUSPENSION_OF_EXECUTION: "exemption_of_execution",
}
PRESCRIPTION_ALERT_DAYS = 90
#: Actions that end or give up a claim: a supervisor's decision.
SUPERVISOR_ACTIONS = {ActionKind.WAIVER, ActionKind.WRITE_OFF, ActionKind.SEIZURE, ActionKind.REALISATION,
                      ActionKind.COMPULSORY_EXECUTION}


class ActionIn(BaseModel):
    kind: ActionKind
    done_on: date
    outcome: str | None = Field(None, max_length=40, description="e.g. won / final for a court procedure; "
                                "hardship on a payment_consultation: the person cannot make ends meet (生活困窮の申出), "
                                "a signal for the welfare referral")
    note: str = Field("", max_length=2000, description="What was done and why")
    basis: str = Field("", max_length=500, description="The assembly resolution or ordinance (債権放棄)")


class ActionOut(ActionIn):
    action_id: int
    recorded_by: str
    recorded_at: datetime


class TaskOut(BaseModel):
    kind: str
    due_on: date
    overdue: bool
    days_left: int


class LateChargeOut(BaseModel):
    kind: str = Field(description="tax_late_charge (延滞金), delay_damages (遅延損害金), none; unknown when a rate year is missing")
    amount: int = Field(description="Rounded as the law says, yen")
    explanation: list[str]


class PrescriptionOut(BaseModel):
    completes_on: date | None = Field(description="The last day of the period now running (時効の完成)")
    extinguished_on: date | None
    needs_invocation: bool = Field(description="A private claim: extinguished only when the debtor invokes it")
    alert_on: date | None = Field(description="When staff are warned (90 days before)")
    explanation: list[str]


class ClaimRecord(BaseModel):
    department: str
    claim_id: str
    legal_category: str
    due_date: date
    balance: int
    on_hold: bool
    actions: list[ActionOut]
    allowed_now: list[ActionKind] = Field(description="What the law allows on this claim today")
    demand_notice_task: TaskOut | None
    late_charge: LateChargeOut | None
    prescription: PrescriptionOut | None


async def _claim(conn: asyncpg.Connection, department: str, claim_id: str) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT department, claim_id, debtor_id, legal_category, due_date, receivable_type, "
                              "assessed_on FROM claims "
                              "WHERE department = $1 AND claim_id = $2", department, claim_id)
    if row is None:
        raise HTTPException(404, f"no claim {department}/{claim_id}")
    return row


async def _situation(conn: asyncpg.Connection, claim: asyncpg.Record, on: date
                     ) -> tuple[list[ActionRecord], list[asyncpg.Record], ClaimFacts, list[tuple[date, int]]]:
    rows = await conn.fetch("SELECT * FROM claim_actions WHERE department = $1 AND claim_id = $2 "
                            "ORDER BY done_on, action_id", claim["department"], claim["claim_id"])
    history = [ActionRecord(ActionKind(r["kind"]), r["done_on"], r["recorded_by"], r["outcome"], r["note"])
               for r in rows]
    ledger = await load_ledger(conn, claim["debtor_id"], on)
    this = next((c for c in (ledger.claims if ledger else ())
                 if (c.claim.department, c.claim.claim_id) == (claim["department"], claim["claim_id"])), None)
    balance = this.balance if this else 0
    on_hold = bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM collection_holds WHERE debtor_id = $1 AND "
                                       "ended_at IS NULL)", claim["debtor_id"]))
    payments = list(this.settlements) if this else []  # every payment allocated to it, named or not
    facts = ClaimFacts(claim["legal_category"], balance, claim["due_date"], on_hold=on_hold)
    return history, rows, facts, payments


def _prescription(claim: asyncpg.Record, actions: list[asyncpg.Record], payments: list[tuple[date, int]],
                  today: date) -> PrescriptionOut | None:
    """時効 from the payments (acknowledgement) and the recorded actions that renew or suspend it."""
    events = [PrescriptionEvent(on, "payment") for on, _ in payments]
    for action in actions:
        kind = _PRESCRIPTION_EVENTS.get(ActionKind(action["kind"]))
        if kind:
            events.append(PrescriptionEvent(action["done_on"], kind))
        if action["kind"] in ("payment_order", "small_claims_suit", "lawsuit") and action["outcome"] in ("won", "final"):
            events.append(PrescriptionEvent(action["done_on"], "judgment"))
    try:
        state = prescription(
            PrescriptionClaim(claim["claim_id"], claim["receivable_type"], claim["legal_category"], claim["due_date"],
                              claim["assessed_on"]),
            sorted(events, key=lambda e: e.on), table=default_prescription_table(), as_of=today)
    except ValueError as unknown:  # e.g. a private claim of before 2020 the table has no rule for: say so
        return PrescriptionOut(completes_on=None, extinguished_on=None, needs_invocation=False, alert_on=None,
                               explanation=[str(unknown)])
    return PrescriptionOut(completes_on=state.completes_on, extinguished_on=state.extinguished_on,
                           needs_invocation=state.needs_invocation, alert_on=state.alert_on(PRESCRIPTION_ALERT_DAYS),
                           explanation=state.explanation)


@router.get("/claims/{department}/{claim_id}", response_model=ClaimRecord,
            summary="A claim's action record, what the law allows today, its 督促 task and late charge")
async def claim_record(department: Department, claim_id: ClaimId, conn: Connection, staff: Viewer,
                       today: BusinessDate) -> ClaimRecord:
    claim = await _claim(conn, department.value, claim_id)
    history, rows, facts, payments = await _situation(conn, claim, today)
    await audit(conn, staff, "read_claim_record", f"{department.value}:{claim_id}")
    task = demand_notice_task(facts.due_date, history, today)
    charge = None
    if today > facts.due_date and (facts.balance > 0 or payments):
        principal = facts.balance + sum(amount for _, amount in payments)
        try:
            result = charge_for(facts.legal_category, principal, facts.due_date, today, payments=payments)
            charge = LateChargeOut(kind=result.kind.value, amount=result.rounded_total, explanation=result.explain().splitlines())
        except LookupError as missing:  # a rate year not in the table yet: say so instead of guessing
            charge = LateChargeOut(kind="unknown", amount=0, explanation=[str(missing)])
    return ClaimRecord(
        prescription=_prescription(claim, rows, payments, today),
        department=department.value, claim_id=claim_id, legal_category=facts.legal_category, due_date=facts.due_date,
        balance=facts.balance, on_hold=facts.on_hold,
        actions=[ActionOut(action_id=r["action_id"], kind=r["kind"], done_on=r["done_on"], outcome=r["outcome"],
                           note=r["note"], basis=r["basis"], recorded_by=r["recorded_by"],
                           recorded_at=r["recorded_at"]) for r in rows],
        allowed_now=allowed_actions(facts.legal_category, history=history, facts=facts, on=today),
        demand_notice_task=TaskOut(**task.__dict__) if task else None, late_charge=charge)


@router.post("/claims/{department}/{claim_id}/actions", response_model=ActionOut, status_code=201,
             summary="Record an action on a claim (collector; seizure, execution, waiver, write-off: supervisor)",
             responses={409: {"description": "The law does not allow this action now; the reason says why"}})
async def record_action(department: Department, claim_id: ClaimId, body: ActionIn, request: Request,
                        conn: Connection, staff: Collector, today: BusinessDate) -> ActionOut:
    if body.kind in SUPERVISOR_ACTIONS and not role_allows(staff.roles, StaffRole.SUPERVISOR):
        raise HTTPException(403, f"{body.kind.value} needs the supervisor role")
    if body.done_on > today:
        raise HTTPException(422, f"done_on {body.done_on} is after the business date {today}")
    async with conn.transaction():
        claim = await _claim(conn, department.value, claim_id)
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('claim:' || $1 || ':' || $2))",
                           department.value, claim_id)
        history, _, facts, _ = await _situation(conn, claim, body.done_on)
        decision = check_action(facts.legal_category, body.kind, history=history, facts=facts, on=body.done_on,
                                basis=body.basis)
        if not decision.allowed:
            await audit(conn, staff, "action_refused", f"{department.value}:{claim_id}", kind=body.kind.value)
            raise HTTPException(409, decision.reason)
        row = await conn.fetchrow(
            "INSERT INTO claim_actions (department, claim_id, kind, done_on, outcome, note, basis, recorded_by) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING *", department.value, claim_id, body.kind.value,
            body.done_on, body.outcome, body.note, body.basis, staff.subject)
        await queue_case_refresh(conn, [claim["debtor_id"]], f"action {body.kind.value}")
        await audit(conn, staff, "record_action", f"{department.value}:{claim_id}", kind=body.kind.value)
    return ActionOut(action_id=row["action_id"], kind=row["kind"], done_on=row["done_on"], outcome=row["outcome"],
                     note=row["note"], basis=row["basis"], recorded_by=row["recorded_by"],
                     recorded_at=row["recorded_at"])


class DemandNoticeTask(TaskOut):
    department: str
    claim_id: str
    debtor_id: str
    balance: int


@router.get("/tasks/demand-notices", response_model=list[DemandNoticeTask],
            summary="督促 to send: delinquent claims without one, the deadline (20 days after the due date) first")
async def demand_notice_tasks(conn: Connection, staff: Viewer, today: BusinessDate,
                              overdue_only: bool = False,
                              limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[DemandNoticeTask]:
    rows = await conn.fetch(
        "SELECT cc.department, cc.claim_id, c.debtor_id, cc.due_date, cc.balance FROM case_claims cc "
        "JOIN cases c USING (case_id) WHERE c.status = 'open' AND NOT EXISTS (SELECT 1 FROM claim_actions a "
        "WHERE (a.department, a.claim_id) = (cc.department, cc.claim_id) AND a.kind = 'demand_notice') "
        "ORDER BY cc.due_date, cc.department, cc.claim_id")
    tasks = []
    for r in rows:
        task = demand_notice_task(r["due_date"], [], today)
        if task is None or (overdue_only and not task.overdue):
            continue
        tasks.append(DemandNoticeTask(department=r["department"], claim_id=r["claim_id"], debtor_id=r["debtor_id"],
                                      balance=r["balance"], **task.__dict__))
        if len(tasks) == limit:
            break
    await audit_read(conn, staff, "read_demand_notice_tasks", "tasks", [f"{t.department}:{t.claim_id}" for t in tasks],
                     debtor_ids=[t.debtor_id for t in tasks], overdue_only=overdue_only, limit=limit)
    return tasks



class PrescriptionAlert(BaseModel):
    department: str
    claim_id: str
    debtor_id: str
    balance: int
    completes_on: date | None
    alert_on: date
    needs_invocation: bool


@router.get("/tasks/prescription-alerts", response_model=list[PrescriptionAlert],
            summary="Claims in open cases whose 時効 completes within the alert period (90 days), soonest first")
async def prescription_alerts(conn: Connection, staff: Viewer, today: BusinessDate,
                              limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[PrescriptionAlert]:
    claims = await conn.fetch(
        "SELECT cc.department, cc.claim_id, c.debtor_id, cc.balance, k.receivable_type, k.legal_category, "
        "k.due_date, k.assessed_on FROM case_claims cc JOIN cases c USING (case_id) "
        "JOIN claims k ON (k.department, k.claim_id) = (cc.department, cc.claim_id) WHERE c.status = 'open'")
    keys = ([r["department"] for r in claims], [r["claim_id"] for r in claims])
    actions: dict[tuple[str, str], list[asyncpg.Record]] = {}
    for row in await conn.fetch(
            "SELECT a.* FROM claim_actions a JOIN unnest($1::text[], $2::text[]) AS k(department, claim_id) "
            "USING (department, claim_id) ORDER BY done_on, action_id", *keys):
        actions.setdefault((row["department"], row["claim_id"]), []).append(row)
    payments: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for row in await conn.fetch(
            "SELECT p.department, p.claim_id, p.paid_on, p.amount FROM payments p "
            "JOIN unnest($1::text[], $2::text[]) AS k(department, claim_id) USING (department, claim_id) "
            "WHERE NOT EXISTS (SELECT 1 FROM payment_reversals r "
            "WHERE (r.department, r.payment_id) = (p.department, p.payment_id))", *keys):
        payments.setdefault((row["department"], row["claim_id"]), []).append((row["paid_on"], row["amount"]))
    alerts = []
    for claim in claims:
        key = (claim["department"], claim["claim_id"])
        state = _prescription(claim, actions.get(key, []), payments.get(key, []), today)
        if state is not None and state.alert_on is not None and state.alert_on <= today:
            alerts.append(PrescriptionAlert(department=key[0], claim_id=key[1], debtor_id=claim["debtor_id"],
                                            balance=claim["balance"], completes_on=state.completes_on,
                                            alert_on=state.alert_on, needs_invocation=state.needs_invocation))
    alerts.sort(key=lambda a: (a.completes_on or date.max, a.department, a.claim_id))
    alerts = alerts[:limit]
    await audit_read(conn, staff, "read_prescription_alerts", "tasks", [f"{a.department}:{a.claim_id}" for a in alerts],
                     debtor_ids=[a.debtor_id for a in alerts], limit=limit)
    return alerts
