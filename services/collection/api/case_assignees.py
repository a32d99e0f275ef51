"""The officer (担当者) of a case: give a case to a person and take it back (the rules: staff_assignment.py), the
history of who held it, the accounts a case may go to, and the workload per officer beside the per-group report.
Every change and every refusal is audit-logged; the case list filters by 担当者 (``GET /cases?assignee=me``)."""

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal, NoReturn

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from services.collection.api.csv_export import csv_response
from services.collection.api.deps import Collector, Connection, Viewer, audit
from services.collection.staff_assignment import (
    Outcome,
    Refusal,
    StaffMember,
    assignment_refusal,
    release_refusal,
)
from services.collection.stores import case_assignees as store
from shared.auth import Principal

router = APIRouter(tags=["cases"])

CaseId = Annotated[int, Path(ge=1)]


class AssigneeChange(BaseModel):
    from_staff_id: str | None = Field(description="None: the case had no 担当者")
    to_staff_id: str | None = Field(description="None: taken back")
    changed_by: str
    note: str
    changed_at: datetime


class Assignee(BaseModel):
    staff_id: str
    display_name: str | None
    assigned_by: str
    note: str
    assigned_at: datetime


class CaseAssignee(BaseModel):
    case_id: int
    assignee: Assignee | None = Field(description="The officer working the case; None when nobody yet")
    history: list[AssigneeChange] = Field(description="Every change, oldest first")


class AssignRequest(BaseModel):
    staff_id: str = Field(min_length=1, max_length=64, description="The officer's staff id, or `me`")
    note: str = Field("", max_length=500, description="Why (a handover, a reorganisation …)")


class AssignableStaff(BaseModel):
    staff_id: str
    display_name: str
    roles: list[str]


class StaffWorkloadRow(BaseModel):
    CSV_HEADERS: ClassVar[dict[str, str]] = {
        "staff_id": "職員ID", "display_name": "担当者", "open_cases": "事案数", "claims": "債権数",
        "balance": "滞納額（円）", "oldest_due_date": "最古の納期限",
    }

    staff_id: str | None = Field(description="None: the open cases no officer holds yet (未割当)")
    display_name: str | None
    open_cases: int
    claims: int
    balance: int = Field(description="滞納額 of those cases, yen")
    oldest_due_date: date | None


def _member(principal: Principal) -> StaffMember:
    return StaffMember(principal.subject, frozenset(principal.roles))


async def _view(conn: Connection, case_id: int) -> CaseAssignee:
    now = await store.current(conn, case_id)
    return CaseAssignee(case_id=case_id, assignee=Assignee(**dict(now)) if now else None,
                        history=[AssigneeChange(**dict(h)) for h in await store.history(conn, case_id)])


async def _refuse(conn: Connection, staff: Principal, action: str, case_id: int, refusal: Refusal) -> NoReturn:
    await audit(conn, staff, f"{action}_refused", str(case_id), code=refusal.code)
    raise HTTPException(refusal.status, refusal.reason)


@router.get("/cases/{case_id}/assignee", response_model=CaseAssignee,
            summary="The case's 担当者 (the officer working it) and every change of it")
async def case_assignee(case_id: CaseId, conn: Connection, staff: Viewer) -> CaseAssignee:
    found = await store.case_exists(conn, case_id)
    await audit(conn, staff, "read_case_assignee", str(case_id), found=found)
    if not found:
        raise HTTPException(404, f"no case {case_id}")
    return await _view(conn, case_id)


@router.put("/cases/{case_id}/assignee", response_model=CaseAssignee,
            summary="Give an open case to an officer (supervisor: anyone who may hold cases; collector: an unheld "
                    "case to themselves)",
            responses={403: {"description": "The role does not allow this assignment"},
                       409: {"description": "The case is closed"},
                       422: {"description": "The officer may not hold cases (unknown, disabled, no collector role)"}})
async def assign_case(case_id: CaseId, body: AssignRequest, conn: Connection, staff: Collector) -> CaseAssignee:
    assignee_id = staff.subject if body.staff_id == "me" else body.staff_id
    async with conn.transaction():
        case = await store.lock_case(conn, case_id)
        if case is None:
            raise HTTPException(404, f"no case {case_id}")
        row = await store.staff_member(conn, assignee_id)
        assignee = StaffMember(row["staff_id"], frozenset(row["roles"]), row["active"]) if row else None
        decision = assignment_refusal(_member(staff), case_id, case_open=case["status"] == "open",
                                      current=case["staff_id"], assignee_id=assignee_id, assignee=assignee)
        if decision is Outcome.ASSIGN:
            await store.assign(conn, case_id, before=case["staff_id"], staff_id=assignee_id, by=staff.subject,
                               note=body.note)
            await audit(conn, staff, "assign_case", str(case_id), to=assignee_id, before=case["staff_id"])
    if isinstance(decision, Refusal):  # audited outside the transaction it ended, so the record stays
        await _refuse(conn, staff, "assign_case", case_id, decision)
    return await _view(conn, case_id)


@router.delete("/cases/{case_id}/assignee", response_model=CaseAssignee,
               summary="Take the case back from its 担当者 (supervisor: any case; collector: their own)")
async def release_case(case_id: CaseId, conn: Connection, staff: Collector,
                       note: Annotated[str, Query(max_length=500)] = "") -> CaseAssignee:
    async with conn.transaction():
        case = await store.lock_case(conn, case_id)
        if case is None:
            raise HTTPException(404, f"no case {case_id}")
        refusal = release_refusal(_member(staff), case_id, case_open=case["status"] == "open",
                                  current=case["staff_id"])
        if refusal is None:
            await store.release(conn, case_id, before=case["staff_id"], by=staff.subject, note=note)
            await audit(conn, staff, "release_case", str(case_id), before=case["staff_id"])
    if refusal is not None:
        await _refuse(conn, staff, "release_case", case_id, refusal)
    return await _view(conn, case_id)


@router.get("/assignees", response_model=list[AssignableStaff],
            summary="The officers a case may be given to: active accounts of collector or above")
async def assignable(conn: Connection, staff: Viewer) -> list[AssignableStaff]:
    return [AssignableStaff(staff_id=r["staff_id"], display_name=r["display_name"], roles=sorted(r["roles"]))
            for r in await store.assignable_staff(conn)]


@router.get("/reports/workload-by-staff", response_model=list[StaffWorkloadRow],
            summary="Open cases and arrears per 担当者 (and the unassigned ones), beside /reports/workload")
async def workload_by_staff(conn: Connection, staff: Viewer,
                            format: Annotated[Literal["json", "csv"], Query()] = "json"):  # type: ignore[no-untyped-def]  # noqa: A002
    rows = [StaffWorkloadRow(**dict(r)) for r in await store.workload_by_staff(conn)]
    await audit(conn, staff, "report_workload_by_staff", "reports")
    if format == "csv":
        headers = StaffWorkloadRow.CSV_HEADERS
        return csv_response(list(headers.values()),
                            ([("未割当" if c == "display_name" and r.staff_id is None else getattr(r, c))
                              for c in headers] for r in rows), "workload-by-staff.csv")
    return rows
