"""DV等支援措置 recorded by staff: when the resident register's office tells the collection division that a
person is protected (or no longer is) before a department's message does. A supervisor records it with a reason;
the debtor view warns, and from the next case refresh nothing that leaves the city carries the address
(services/collection/protection.py). Audited without the address."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from contracts.text import PlainText
from services.collection.api.deps import BusinessDate, Connection, Supervisor, Viewer, audit, audit_read
from services.collection.protection import STAFF_WARNING
from services.collection.store import queue_case_refresh
from services.collection.stores import support_measures as store

router = APIRouter(tags=["debtors"])

DebtorId = Annotated[str, Path(min_length=1, max_length=64, description="Unified debtor id from debtor matching")]


class MeasureRecord(BaseModel):
    department: str
    source_person_id: str
    active: bool
    effective_on: date
    source: str = Field(description="department:<code> (the register, through the department) or staff")
    reason: str
    recorded_by: str
    recorded_at: datetime


class SupportMeasure(BaseModel):
    debtor_id: str
    active: bool = Field(description="The address must not leave the city")
    since: date | None
    warning: str | None = Field(description="What staff must keep in mind, shown above the debtor")
    records: list[MeasureRecord]


class SupportMeasureChange(BaseModel):
    reason: PlainText = Field(min_length=1, max_length=500, description="Why, e.g. 市民課から支援措置決定の通知")
    effective_on: date | None = Field(default=None, description="Default: today (the business date)")


async def support_measure_view(conn: Connection, debtor_id: str) -> SupportMeasure:
    records = [MeasureRecord(**dict(r)) for r in await store.measures_of(conn, debtor_id)]
    active = [r for r in records if r.active]
    since = min((r.effective_on for r in active), default=None)
    return SupportMeasure(debtor_id=debtor_id, active=bool(active), since=since,
                          warning=STAFF_WARNING if active else None, records=records)


@router.get("/debtors/{debtor_id}/support-measure", response_model=SupportMeasure,
            summary="DV等支援措置: whether the debtor's address must stay inside the city, and who recorded it")
async def get_support_measure(debtor_id: DebtorId, conn: Connection, staff: Viewer) -> SupportMeasure:
    view = await support_measure_view(conn, debtor_id)
    await audit_read(conn, staff, "read_support_measure", debtor_id, [debtor_id], debtor_ids=[debtor_id])
    return view


async def _change(conn: Connection, debtor_id: str, body: SupportMeasureChange, staff: Supervisor, today: date, *,
                  active: bool) -> SupportMeasure:
    async with conn.transaction():
        records = await store.record_by_staff(conn, debtor_id, active=active, effective_on=body.effective_on or today,
                                              reason=body.reason, staff=staff.subject)
        if records == 0:
            raise HTTPException(404, f"no debtor {debtor_id}")
        await queue_case_refresh(conn, [debtor_id], "support_measure")
        await audit(conn, staff, "start_support_measure" if active else "end_support_measure", debtor_id,
                    records=records)
    return await support_measure_view(conn, debtor_id)


@router.put("/debtors/{debtor_id}/support-measure", response_model=SupportMeasure,
            summary="Record that a support measure applies to every record of the debtor (supervisor)")
async def put_support_measure(debtor_id: DebtorId, body: SupportMeasureChange, conn: Connection,
                              staff: Supervisor, today: BusinessDate) -> SupportMeasure:
    return await _change(conn, debtor_id, body, staff, today, active=True)


@router.post("/debtors/{debtor_id}/support-measure/end", response_model=SupportMeasure,
             summary="Record that the support measure ended, on every record of the debtor (supervisor)")
async def end_support_measure(debtor_id: DebtorId, body: SupportMeasureChange, conn: Connection,
                              staff: Supervisor, today: BusinessDate) -> SupportMeasure:
    return await _change(conn, debtor_id, body, staff, today, active=False)
