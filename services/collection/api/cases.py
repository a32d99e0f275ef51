"""Cases (滞納案件): the division's work list with filters, sort and pages, CSV export, one case with its claims
and assignment history, and a supervisor's override of the assignment."""

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from contracts import Department, LegalCategory
from services.collection.api.csv_export import csv_response
from services.collection.api.deps import (
    BusinessDate,
    Connection,
    Supervisor,
    Viewer,
    assignment_policy,
    audit,
    audit_read,
)
from services.collection.assignment import AssignmentPolicy, CaseClaim, Holder, HolderKind
from services.collection.case_export import case_export_rows
from services.collection.cases import (
    action_records,
    clear_override,
    escalation_policy,
    ledger_facts,
    next_step,
    set_override,
)
from services.collection.next_action import Recommendation
from services.collection.store import load_ledger
from services.collection.stores import cases as store
from services.collection.stores.actions import actions_of_claims

router = APIRouter(prefix="/cases", tags=["cases"])

MAX_PAGE = 500


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CaseSort(StrEnum):
    DELINQUENT_BALANCE = "delinquent_balance"
    OLDEST_DUE_DATE = "oldest_due_date"
    OPENED_ON = "opened_on"
    CLAIM_COUNT = "claim_count"
    UPDATED_AT = "updated_at"
    CASE_ID = "case_id"
    NAME_KANA = "name_kana"  # the debtor's reading, as a department recorded it
    LAST_ACTION_ON = "last_action_on"  # the latest 経過記録 entry (ascending: the cases left longest first)
    NEXT_ACTION = "next_action"  # the day the recommended step became due, then its kind (ascending: most pressing)


class CaseRow(BaseModel):
    case_id: int
    debtor_id: str
    status: CaseStatus
    opened_on: date
    closed_on: date | None
    as_of: date
    lead_kind: str | None = Field(description="central_group | lawyer_team")
    lead_code: str | None
    delinquent_balance: int = Field(description="滞納額 over all departments, yen")
    outsourced_balance: int = Field(description="Of which held by a lawyer team, yen")
    claim_count: int
    oldest_due_date: date | None
    arrears_days: int | None = Field(description="Days since the oldest unpaid due date")
    departments: list[str]
    legal_categories: list[str]
    holder_codes: list[str] = Field(description="Every group or team holding one of the case's claims")
    on_hold: bool
    name: str | None = Field(None, description="The debtor's name as one department recorded it")
    name_kana: str | None = Field(None, description="Its reading (フリガナ)")
    assignee_id: str | None = Field(None, description="The officer working the case (担当者); None: nobody yet")
    assignee_name: str | None = Field(None, description="The 担当者's display name")
    last_action_on: date | None = Field(None, description="The latest 経過記録 entry on any of the case's claims")
    next_action_kind: str | None = Field(None, description="The recommended next step (an action code) as the case "
                                         "worker stored it when it last recomputed the case; None: nothing to do")
    next_action_due: date | None = Field(None, description="The day that step became due (sort=next_action)")
    next_action_lead: str | None = Field(None, description="The department whose lever leads that step")


class CasePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CaseRow]


class CaseFilters:
    """The list's filters, shared by the page and the CSV export."""

    def __init__(
        self,
        today: BusinessDate,
        staff: Viewer,  # whose cases `assignee=me` means (FastAPI resolves it once per request)
        status: CaseStatus = CaseStatus.OPEN,
        holder: Annotated[str | None, Query(max_length=64, description="A group or team holding any claim")] = None,
        lead: Annotated[str | None, Query(max_length=64, description="The group or team leading the case")] = None,
        legal_category: LegalCategory | None = None,
        department: Department | None = None,
        min_balance: Annotated[int | None, Query(ge=0, description="滞納額 at least, yen")] = None,
        max_balance: Annotated[int | None, Query(ge=0)] = None,
        min_arrears_days: Annotated[int | None, Query(ge=0, description="Oldest unpaid due date at least this "
                                                                        "many days ago")] = None,
        on_hold: bool | None = None,
        assignee: Annotated[str | None, Query(max_length=64, description="Cases of this 担当者 (a staff id); `me`: "
                                                                         "the caller's own; `none`: nobody's yet")
                            ] = None,
        sort: CaseSort = CaseSort.DELINQUENT_BALANCE,
        descending: bool = True,
    ):
        self.today, self.sort, self.descending = today, sort, descending
        held_by = {"me": staff.subject, "none": None}.get(assignee or "", assignee)
        self.where, self.args = store.case_filter(
            status=status.value, holder=holder, lead=lead,
            legal_category=legal_category.value if legal_category else None,
            department=department.value if department else None, min_balance=min_balance, max_balance=max_balance,
            oldest_due_by=today - timedelta(days=min_arrears_days) if min_arrears_days is not None else None,
            on_hold=on_hold, assignee=held_by, unassigned=assignee == "none")

    @property
    def order_by(self) -> str:
        return store.case_order(CaseSort(self.sort).value, self.descending)


Filters = Annotated[CaseFilters, Depends()]


def _row(record: dict[str, object], today: date) -> CaseRow:
    oldest = record["oldest_due_date"]
    return CaseRow(**record, arrears_days=(today - oldest).days if isinstance(oldest, date) else None)  # type: ignore[arg-type]


@router.get("", response_model=CasePage, summary="Cases with filters, sort and pagination")
async def list_cases(
    filters: Filters,
    conn: Connection,
    staff: Viewer,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    total = await store.count_cases(conn, filters.where, filters.args)
    rows = await store.list_cases(conn, filters.where, filters.args, filters.order_by, limit=limit, offset=offset)
    await audit_read(conn, staff, "list_cases", "cases", [str(r["case_id"]) for r in rows],
                     debtor_ids=[r["debtor_id"] for r in rows], filter=filters.where, limit=limit, offset=offset)
    return CasePage(total=total, limit=limit, offset=offset, items=[_row(dict(r), filters.today) for r in rows])


@router.get("/export.csv", summary="The same list as CSV for staff (UTF-8 with BOM, for Excel): Japanese columns "
            "and labels (事案番号, 所管, 債権区分, the groups' names) instead of the API's codes",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_cases(filters: Filters, request: Request, conn: Connection, staff: Viewer) -> Response:
    rows = await store.all_cases(conn, filters.where, filters.args, filters.order_by)
    await audit_read(conn, staff, "export_cases", "cases", [str(r["case_id"]) for r in rows],
                     debtor_ids=[r["debtor_id"] for r in rows], filter=filters.where)
    policy: AssignmentPolicy = request.app.state.assignment_policy
    columns, cells = case_export_rows(
        (_row(dict(r), filters.today).model_dump() for r in rows),
        lambda code: policy.central_groups.get(code) or policy.lawyer_teams.get(code))
    return csv_response(columns, cells, f"事案一覧-{filters.today.isoformat()}.csv")


class CaseClaimView(BaseModel):
    department: str
    claim_id: str
    receivable_type: str
    legal_category: str
    fiscal_year: int
    due_date: date
    balance: int
    holder_kind: str
    holder_code: str
    holder_name: str | None
    rule_id: str = Field(description="The policy rule (or statutory guard, hold, override) that placed it")
    reason: str


class HistoryView(BaseModel):
    department: str
    claim_id: str
    from_code: str | None
    to_code: str | None = Field(description="None: the claim left the case")
    rule_id: str | None
    reason: str | None
    cause: str
    actor: str
    policy_version: str | None
    changed_at: datetime


class OverrideView(BaseModel):
    holder_kind: str
    holder_code: str
    reason: str
    decided_by: str
    decided_at: datetime


class ActivityView(BaseModel):
    activity_id: str
    firm_code: str
    lawyer_id: str
    kind: str = Field(description="contact, payment_promise, installment_agreed, payment_received, case_returned")
    occurred_on: date
    note: str
    amount: int | None
    promised_on: date | None


class RecommendationView(BaseModel):
    lead_department: str = Field(description="Whose lever leads (Ina's 「弱点を攻める」)")
    action: str
    claim_ids: list[str]
    reason: str
    lever_id: str | None


class CaseDetail(CaseRow):
    lead_reason: str | None
    policy_version: str | None
    claims: list[CaseClaimView]
    override: OverrideView | None
    history: list[HistoryView]
    activities: list[ActivityView] = Field(description="What the lawyer teams recorded on this case")
    next_action: RecommendationView | None = Field(description="The recommended next step and why")


CaseId = Annotated[int, Path(ge=1)]


async def _recommend(conn: Connection, case: asyncpg.Record, claims: list[asyncpg.Record], today: date
                     ) -> Recommendation | None:
    """The next step for an open case (services/collection/next_action.py) from its claims and their records, by
    the same function the case worker stores it with (cases.next_step)."""
    keys = ([c["department"] for c in claims], [c["claim_id"] for c in claims])
    facts = await store.debtor_facts(conn, case["debtor_id"])
    return next_step(
        (CaseClaim(**{k: c[k] for k in CaseClaim.__dataclass_fields__}) for c in claims),
        action_records(await actions_of_claims(conn, *keys)), as_of=today, on_hold=case["on_hold"],
        corporation=facts["corporation"], guarantor=facts["guarantor"],
        ledger=ledger_facts(await load_ledger(conn, case["debtor_id"], today)), policy=escalation_policy())


async def _detail(conn: Connection, case_id: int, today: date, policy: AssignmentPolicy) -> CaseDetail | None:
    case = await store.load_case(conn, case_id)
    if case is None:
        return None
    claims = await store.case_claims(conn, case_id)
    override = await store.case_override(conn, case_id)
    history = await store.assignment_history(conn, case_id)
    activities = await store.case_activities(conn, case_id)

    def name(kind: str, code: str) -> str | None:
        names = policy.central_groups if kind == HolderKind.CENTRAL_GROUP.value else policy.lawyer_teams
        return names.get(code)

    row = _row({k: case[k] for k in CaseRow.model_fields if k != "arrears_days"}, today)
    recommendation = await _recommend(conn, case, claims, today) if case["status"] == "open" else None
    return CaseDetail(
        **row.model_dump(), lead_reason=case["lead_reason"], policy_version=case["policy_version"],
        claims=[CaseClaimView(**{k: c[k] for k in CaseClaimView.model_fields if k != "holder_name"},
                              holder_name=name(c["holder_kind"], c["holder_code"])) for c in claims],
        override=OverrideView(**dict(override)) if override else None,
        history=[HistoryView(**dict(h)) for h in history],
        activities=[ActivityView(**dict(a)) for a in activities],
        next_action=RecommendationView(lead_department=recommendation.lead_department.value,
                                       action=recommendation.action.value, claim_ids=list(recommendation.claim_ids),
                                       reason=recommendation.reason, lever_id=recommendation.lever_id)
        if recommendation else None)


@router.get("/{case_id}", response_model=CaseDetail, summary="One case: its claims, holders, override, history")
async def get_case(case_id: CaseId, conn: Connection, staff: Viewer, today: BusinessDate,
                   policy: Annotated[AssignmentPolicy, Depends(assignment_policy)]) -> CaseDetail:
    detail = await _detail(conn, case_id, today, policy)
    await audit(conn, staff, "read_case", str(case_id), found=detail is not None)
    if detail is None:
        raise HTTPException(404, f"no case {case_id}")
    return detail


class OverrideRequest(BaseModel):
    holder_kind: HolderKind
    holder_code: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500, description="Why the policy's assignment is set aside")


@router.post("/{case_id}/override", response_model=CaseDetail,
             summary="Hand the case to a group or team against the policy (supervisor); the law still applies")
async def override_case(case_id: CaseId, body: OverrideRequest, request: Request, conn: Connection, staff: Supervisor,
                        today: BusinessDate,
                        policy: Annotated[AssignmentPolicy, Depends(assignment_policy)]) -> CaseDetail:
    async with conn.transaction():
        try:
            await set_override(conn, case_id, Holder(body.holder_kind, body.holder_code), reason=body.reason,
                               by=staff.subject, as_of=today, policy=policy)
        except LookupError as missing:
            raise HTTPException(404, str(missing)) from None
        except ValueError as refused:
            raise HTTPException(422, str(refused)) from None
        await audit(conn, staff, "override_case", str(case_id), holder=body.holder_code)
    await request.app.state.relay.flush()  # a firm that lost the case must lose sight of it now
    detail = await _detail(conn, case_id, today, policy)
    assert detail is not None
    return detail


@router.delete("/{case_id}/override", response_model=CaseDetail,
               summary="Return the case to the policy's assignment (supervisor)")
async def remove_override(case_id: CaseId, request: Request, conn: Connection, staff: Supervisor, today: BusinessDate,
                          policy: Annotated[AssignmentPolicy, Depends(assignment_policy)]) -> CaseDetail:
    async with conn.transaction():
        try:
            await clear_override(conn, case_id, by=staff.subject, as_of=today, policy=policy)
        except LookupError as missing:
            raise HTTPException(404, str(missing)) from None
        await audit(conn, staff, "remove_case_override", str(case_id))
    await request.app.state.relay.flush()
    detail = await _detail(conn, case_id, today, policy)
    assert detail is not None
    return detail
