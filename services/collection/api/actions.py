"""The action record (経過記録) of a claim: staff record what they did (督促, 催告, 納付相談, 差押, 支払督促 …); the
law decides first (services/collection/workflow.py): an action the claim's legal category or history does not allow
is refused with the reason and the statute; the role each action needs is its row in the table of legal actions
(services/collection/legal_actions.py), which ``GET /actions`` lists. And the task list of 督促 due within 20 days
of the due date."""

from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contracts import Department
from services.collection.api.deps import BusinessDate, Collector, Connection, Viewer, audit, audit_read
from services.collection.late_charges import charge_for_receivable
from services.collection.ledger import (
    ClaimBalance,
    ClaimStatus,
    DebtorLedger,
    default_legal_rules,
    facts_of,
    prescription_of,
    running_late_charge,
)
from services.collection.legal_actions import ACTIONS, ActionSpec, kinds_where
from services.collection.prescription import (
    PrescriptionClaim,
    default_prescription_table,
    legal_events,
    prescription,
)
from services.collection.store import load_ledger, queue_case_refresh
from services.collection.stores import actions as store
from services.collection.stores.department_dates import department_dates
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
PRESCRIPTION_ALERT_DAYS = 90


class ActionIn(BaseModel):
    kind: ActionKind
    done_on: date
    outcome: str | None = Field(None, max_length=40, description="e.g. won / final for a court procedure; "
                                "hardship on a payment_consultation: the person cannot make ends meet (生活困窮の申出), "
                                "a signal for the welfare referral")
    note: str = Field("", max_length=2000, description="What was done and why")
    basis: str = Field("", max_length=500, description="The assembly resolution or ordinance (債権放棄)")
    amount: int = Field(0, ge=0, le=10**12, description="disposition_cost: the 滞納処分費 incurred, yen; write_off: "
                        "set by the ledger (what extinction took), leave 0")


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
    extinguished_by: str | None = Field(None, description="prescription, invocation (援用) or exemption_of_execution")
    needs_invocation: bool = Field(description="A private claim: extinguished only when the debtor invokes it")
    completed_not_invoked: bool = Field(False, description="A private claim whose period completed: collection may "
                                        "go on until the debtor invokes it (援用, 民法145条)")
    alert_on: date | None = Field(description="When staff are warned (90 days before)")
    explanation: list[str]


class ClaimAmounts(BaseModel):
    """The claim's components, yen, as of the business date."""

    principal: int = Field(description="本税・本料 still open")
    demand_fee: int = Field(description="督促手数料 still open (地方自治法231条の3第2項, by ordinance)")
    disposition_cost: int = Field(description="滞納処分費 still open")
    late_charge: int = Field(description="延滞金/遅延損害金 still open: fixed once the principal is paid, else run up "
                             "to today")
    late_charge_paid: int
    outstanding: int = Field(description="What may be demanded today: the four together; 0 once extinguished")
    extinguished_amount: int = Field(description="What extinction took (不納欠損額), principal and fees")


class RefundOut(BaseModel):
    payment_id: str
    reason: str = Field(description="excess, or after_extinction (過誤納金: paid on an extinguished claim)")
    appropriated: int = Field(description="Applied first to other local-tax arrears (地方税法17条の2)")
    refund: int


class RefusalOut(BaseModel):
    kind: ActionKind
    code: str = Field(description="The step or prerequisite of the check that refused (overdue, demand_sent, "
                                  "category, welfare_hold, measure …)")
    reason: str = Field(description="Why, naming the statute")
    reason_ja: str = Field(description="The same in Japanese, with the same statutes")


class DepartmentDateOut(BaseModel):
    """A date the department's own system decided for the claim (standard link events 43 and 63)."""

    kind: str = Field(description="accelerated_collection (繰上徴収: on = the new 納期限) or prescription_completed "
                                  "(時効完成: on = the day the department's records complete it)")
    on: date
    decided_on: date
    ground: str


class ClaimRecord(BaseModel):
    department: str
    claim_id: str
    legal_category: str
    due_date: date
    balance: int
    status: str = Field(description="open, delinquent, paid, cancelled, extinguished")
    amounts: ClaimAmounts
    refunds: list[RefundOut] = Field(description="Money paid on this claim beyond what it owed or after extinction")
    on_hold: bool
    actions: list[ActionOut]
    allowed_now: list[ActionKind] = Field(description="What the law allows on this claim today")
    refused_now: list[RefusalOut] = Field(description="Every other action and why the law refuses it today, in "
                                                      "English and in Japanese (for staff screens)")
    demand_notice_task: TaskOut | None
    late_charge: LateChargeOut | None
    prescription: PrescriptionOut | None
    department_dates: list[DepartmentDateOut] = Field(
        [], description="Dates the department's own system decided (繰上徴収, 時効完成), beside the centre's own")


class PrescriptionEffectOut(BaseModel):
    events: list[str] = Field(description="The prescription events a record of the action is (prescription.py)")
    by_outcome: dict[str, list[str]] = Field(description="For these outcomes, these events instead")
    statute: str


class ActionSpecOut(BaseModel):
    """One row of the table of legal actions (services/collection/legal_actions.py)."""

    kind: ActionKind
    label: str
    group: str
    legal_categories: list[str] = Field(description="The legal categories that may take it")
    prerequisites: list[str] = Field(description="What must hold first (workflow.py words each refusal)")
    paused_by_hold: bool = Field(description="Escalation a welfare hold pauses")
    blocks_while_in_force: list[str] = Field(description="A 猶予・停止: the actions it blocks while in force")
    role: str = Field(description="The staff role that records it")
    document: str | None = Field(description="The document whose issue records it")
    escalation_step: bool = Field(description="A ladder or lever of the escalation policy may recommend it")
    prescription: PrescriptionEffectOut
    basis: str


def _spec_out(spec: ActionSpec) -> ActionSpecOut:
    measure = spec.measure
    blocked = sorted(k.value for k in ActionKind if measure is not None and measure.blocks_action(k))
    effect = spec.prescription
    return ActionSpecOut(
        kind=spec.kind, label=spec.label, group=spec.group.value,
        legal_categories=sorted(c.value for c in spec.categories),
        prerequisites=[p.value for p in spec.prerequisites], paused_by_hold=spec.paused_by_hold,
        blocks_while_in_force=blocked, role=spec.role, document=spec.document, escalation_step=spec.step is not None,
        prescription=PrescriptionEffectOut(
            events=list(effect.events), statute=effect.statute,
            by_outcome={outcome: list(events) for outcomes, events in effect.by_outcome for outcome in sorted(outcomes)}),
        basis=spec.basis)


@router.get("/actions", response_model=list[ActionSpecOut],
            summary="The legal actions staff may record: categories, prerequisites, role, document, effect on 時効")
async def action_table(staff: Viewer) -> list[ActionSpecOut]:
    return [_spec_out(spec) for spec in ACTIONS.values()]


async def _claim(conn: asyncpg.Connection, department: str, claim_id: str) -> asyncpg.Record:
    row = await store.load_claim(conn, department, claim_id)
    if row is None:
        raise HTTPException(404, f"no claim {department}/{claim_id}")
    return row


async def _situation(conn: asyncpg.Connection, claim: asyncpg.Record, on: date
                     ) -> tuple[list[ActionRecord], list[asyncpg.Record], ClaimFacts, ClaimBalance | None,
                                DebtorLedger | None]:
    """The claim's action record and its facts as the ledger computes them on ``on``, prescription included."""
    rows = await store.claim_actions(conn, claim["department"], claim["claim_id"])
    history = [ActionRecord(ActionKind(r["kind"]), r["done_on"], r["recorded_by"], r["outcome"], r["note"])
               for r in rows]
    ledger = await load_ledger(conn, claim["debtor_id"], on)
    this = next((c for c in (ledger.claims if ledger else ())
                 if (c.claim.department, c.claim.claim_id) == (claim["department"], claim["claim_id"])), None)
    on_hold = await store.debtor_on_hold(conn, claim["debtor_id"])
    facts = (facts_of(this, on_hold=on_hold) if this is not None
             else ClaimFacts(claim["legal_category"], 0, claim["due_date"], on_hold=on_hold))
    return history, rows, facts, this, ledger


def _prescription_out(this: ClaimBalance, today: date) -> PrescriptionOut:
    """時効 from the claim's legal events: the ledger's own computation, so the view and the rules agree."""
    try:
        state = prescription_of(this, today, default_legal_rules())
    except ValueError as unknown:  # e.g. a private claim of before 2020 the table has no rule for: say so
        return PrescriptionOut(completes_on=None, extinguished_on=None, needs_invocation=False, alert_on=None,
                               explanation=[str(unknown)])
    return PrescriptionOut(completes_on=state.completes_on, extinguished_on=state.extinguished_on,
                           extinguished_by=state.extinguished_by, needs_invocation=state.needs_invocation,
                           completed_not_invoked=this.prescription_completed_on is not None,
                           alert_on=state.alert_on(PRESCRIPTION_ALERT_DAYS), explanation=state.explanation)


def _prescription(claim: asyncpg.Record, actions: list[Any], payments: list[tuple[date, int]],
                  today: date) -> PrescriptionOut | None:
    """時効 of a claim from stored rows (the alert list, which reads many claims at once)."""
    events = legal_events([(a["done_on"], a["kind"], a["outcome"]) for a in actions], [on for on, _ in payments])
    try:
        state = prescription(
            PrescriptionClaim(claim["claim_id"], claim["receivable_type"], claim["legal_category"], claim["due_date"],
                              claim["assessed_on"]),
            events, table=default_prescription_table(), as_of=today)
    except ValueError as unknown:  # e.g. a private claim of before 2020 the table has no rule for: say so
        return PrescriptionOut(completes_on=None, extinguished_on=None, needs_invocation=False, alert_on=None,
                               explanation=[str(unknown)])
    return PrescriptionOut(completes_on=state.completes_on, extinguished_on=state.extinguished_on,
                           extinguished_by=state.extinguished_by, needs_invocation=state.needs_invocation,
                           alert_on=state.alert_on(PRESCRIPTION_ALERT_DAYS), explanation=state.explanation)


def _late_charge_out(this: ClaimBalance, today: date) -> LateChargeOut | None:
    claim = this.claim
    if today <= claim.due_date or this.principal <= 0 or this.status is ClaimStatus.CANCELLED:
        return None
    rules = default_legal_rules()
    try:
        result = charge_for_receivable(claim.receivable_type, this.principal, claim.due_date, today,
                                       ordinances=rules.ordinances, payments=this.settlements, table=rules.rates,
                                       graces=this.graces)
    except LookupError as missing:  # a rate year not in the table yet: say so instead of guessing
        return LateChargeOut(kind="unknown", amount=0, explanation=[str(missing)])
    return LateChargeOut(kind=result.kind.value, amount=result.rounded_total, explanation=result.explain().splitlines())


def _amounts(this: ClaimBalance | None, today: date) -> ClaimAmounts:
    if this is None:
        return ClaimAmounts(principal=0, demand_fee=0, disposition_cost=0, late_charge=0, late_charge_paid=0,
                            outstanding=0, extinguished_amount=0)
    running = this.late_charge_open if this.balance == 0 else running_late_charge(this, today)
    return ClaimAmounts(principal=this.balance, demand_fee=this.demand_fee - this.demand_fee_paid,
                        disposition_cost=this.disposition_cost - this.disposition_cost_paid,
                        late_charge=running if this.status is not ClaimStatus.EXTINGUISHED else 0,
                        late_charge_paid=this.late_charge_paid, outstanding=this.outstanding,
                        extinguished_amount=this.extinguished_amount)


@router.get("/claims/{department}/{claim_id}", response_model=ClaimRecord,
            summary="A claim's action record, what the law allows today, its 督促 task and late charge")
async def claim_record(department: Department, claim_id: ClaimId, conn: Connection, staff: Viewer,
                       today: BusinessDate) -> ClaimRecord:
    claim = await _claim(conn, department.value, claim_id)
    history, rows, facts, this, ledger = await _situation(conn, claim, today)
    await audit(conn, staff, "read_claim_record", f"{department.value}:{claim_id}")
    live = this is not None and this.status not in (ClaimStatus.EXTINGUISHED, ClaimStatus.CANCELLED)
    # a 督促 demands an open principal (workflow.py): none is due once it is paid, nor while a payment is in transit
    due = live and facts.balance > 0 and facts.payment_in_transit is None
    task = demand_notice_task(facts.due_date, history, today) if due else None
    refunds = [RefundOut(payment_id=o.payment_id, reason=o.reason, appropriated=o.appropriated, refund=o.amount)
               for o in (ledger.overpayments if ledger else ()) if o.claim_id == claim_id
               and o.department == department.value]
    return ClaimRecord(
        prescription=_prescription_out(this, today) if this is not None else None,
        department=department.value, claim_id=claim_id, legal_category=facts.legal_category, due_date=facts.due_date,
        balance=facts.balance, status=this.status.value if this else "unknown", amounts=_amounts(this, today),
        refunds=refunds, on_hold=facts.on_hold,
        actions=[_action_out(r) for r in rows],
        allowed_now=allowed_actions(facts.legal_category, history=history, facts=facts, on=today),
        refused_now=[RefusalOut(kind=kind, code=d.code, reason=d.reason, reason_ja=d.reason_ja) for kind in ActionKind
                     if not (d := check_action(facts.legal_category, kind, history=history, facts=facts,
                                               on=today)).allowed],
        demand_notice_task=TaskOut(**task.__dict__) if task else None,
        late_charge=_late_charge_out(this, today) if this is not None else None,
        department_dates=[DepartmentDateOut(kind=r["kind"], on=r["on_date"], decided_on=r["decided_on"],
                                            ground=r["ground"])
                          for r in await department_dates(conn, department.value, claim_id)])


@router.post("/claims/{department}/{claim_id}/actions", response_model=ActionOut, status_code=201,
             summary="Record an action on a claim (collector; seizure, execution, waiver, write-off: supervisor)",
             responses={409: {"description": "The law does not allow this action now: `detail` says why naming the "
                                             "statute, `detail_ja` the same in Japanese, `code` which check refused"}})
async def record_action(department: Department, claim_id: ClaimId, body: ActionIn, request: Request,
                        conn: Connection, staff: Collector, today: BusinessDate) -> ActionOut | JSONResponse:
    spec = ACTIONS[body.kind]
    if not role_allows(staff.roles, StaffRole(spec.role)):
        raise HTTPException(403, f"{body.kind.value} needs the {spec.role} role")
    if body.done_on > today:
        raise HTTPException(422, f"done_on {body.done_on} is after the business date {today}")
    async with conn.transaction():
        claim = await _claim(conn, department.value, claim_id)
        await store.lock_claim(conn, department.value, claim_id)
        history, _, facts, this, _ = await _situation(conn, claim, body.done_on)
        decision = check_action(facts.legal_category, body.kind, history=history, facts=facts, on=body.done_on,
                                basis=body.basis)
        if not decision.allowed:
            await audit(conn, staff, "action_refused", f"{department.value}:{claim_id}", kind=body.kind.value,
                        code=decision.code)
            # returned, not raised: the transaction commits, so the refusal stays in the audit log
            return JSONResponse({"detail": decision.reason, "detail_ja": decision.reason_ja, "code": decision.code},
                                status_code=409)
        amount, basis = _amount_and_basis(body, this)
        row = await store.insert_action(
            conn, department=department.value, claim_id=claim_id, kind=body.kind.value, done_on=body.done_on,
            outcome=body.outcome, note=body.note, basis=basis, recorded_by=staff.subject, amount=amount)
        await queue_case_refresh(conn, [claim["debtor_id"]], f"action {body.kind.value}")
        await audit(conn, staff, "record_action", f"{department.value}:{claim_id}", kind=body.kind.value)
    return _action_out(row)


def _action_out(row: asyncpg.Record) -> ActionOut:
    return ActionOut(action_id=row["action_id"], kind=row["kind"], done_on=row["done_on"], outcome=row["outcome"],
                     note=row["note"], basis=row["basis"], amount=row["amount"], recorded_by=row["recorded_by"],
                     recorded_at=row["recorded_at"])


def _amount_and_basis(body: ActionIn, this: ClaimBalance | None) -> tuple[int, str]:
    """滞納処分費 (a row that ``records_amount``) need their amount; 不納欠損 records what extinction took and its
    ground, from the ledger."""
    spec = ACTIONS[body.kind]
    if spec.records_amount:
        if body.amount <= 0:
            raise HTTPException(422, f"amount: a {spec.kind.value} ({spec.label}) records the yen incurred, more than 0")
        return body.amount, body.basis
    if body.amount:
        carrying = " or ".join(sorted(k.value for k in kinds_where(lambda s: s.records_amount)))
        raise HTTPException(422, f"amount: only a {carrying} carries an amount, not {body.kind.value}")
    if body.kind is ActionKind.WRITE_OFF and this is not None and this.extinguished_on is not None:
        ground = {"prescription": "時効の完成 (地方自治法236条2項, 地方税法18条2項)",
                  "invocation": "時効の援用 (民法145条)",
                  "exemption_of_execution": "執行停止の3年継続 (地方税法15条の7第4項)"}.get(
            this.extinguished_by or "", this.extinguished_by or "")
        ground = f"{ground}: extinguished on {this.extinguished_on.isoformat()}"
        return this.extinguished_amount, f"{body.basis}; {ground}" if body.basis else ground
    return 0, body.basis


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
    rows = await store.claims_without_demand_notice(conn, today)
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
    claims = await store.open_case_claims(conn)
    keys = ([r["department"] for r in claims], [r["claim_id"] for r in claims])
    actions: dict[tuple[str, str], list[Any]] = {}
    for row in await store.actions_of_claims(conn, *keys):
        actions.setdefault((row["department"], row["claim_id"]), []).append(row)
    for row in await store.pledges_of_claims(conn, *keys):  # the departments' own pledges acknowledge too
        actions.setdefault((row["department"], row["claim_id"]), []).append(
            {"done_on": row["agreed_on"], "kind": "installment_agreement", "outcome": None})
    payments: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for row in await store.payments_of_claims(conn, *keys):
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
