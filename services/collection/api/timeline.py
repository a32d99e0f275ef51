"""The debtor's whole 経過記録 (debtor 360): one timeline across all their claims and departments — actions,
notices, payments, contacts — newest first (services/collection/timeline.py). Every read is audit-logged."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from services.collection.api.deps import Connection, Viewer, audit
from services.collection.stores import debtors as debtor_store
from services.collection.stores import timeline as store
from services.collection.timeline import CATEGORY_LABELS, Category, timeline

router = APIRouter(tags=["debtors"])

DebtorId = Annotated[str, Path(min_length=1, max_length=64, description="Unified debtor id from debtor matching")]


class TimelineEntry(BaseModel):
    on: date
    category: Category = Field(description="action (処分・手続), notice (通知), payment (入金), contact (接触・交渉)")
    category_label: str
    kind: str = Field(description="The action kind, document kind, payment, payment_reversal or lawyer activity")
    label: str = Field(description="The kind in Japanese (督促, 催告書, 入金（コンビニ）…)")
    source: str = Field(description="staff, department (its own 督促・催告), central (a document issued), ledger "
                                    "(a department's payment), lawyer (a lawyer team's report)")
    department: str | None
    claim_id: str | None
    amount: int | None = Field(description="Yen; a reversal is negative")
    note: str
    by: str | None = Field(description="Staff id, department or firm code")
    reference: str = Field(description="The entry's own id: action:…, document:…, payment:…, activity:…")
    recorded_at: datetime | None


class Timeline(BaseModel):
    debtor_id: str
    total: int
    limit: int
    offset: int
    items: list[TimelineEntry]


@router.get("/debtors/{debtor_id}/timeline", response_model=Timeline,
            summary="The debtor's whole 経過記録 across claims: actions, notices, payments, contacts, newest first")
async def debtor_timeline(
    debtor_id: DebtorId,
    conn: Connection,
    staff: Viewer,
    category: Annotated[list[Category] | None, Query(description="Only these kinds of entry")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Timeline:
    entries = timeline(actions=await store.actions(conn, debtor_id), documents=await store.documents(conn, debtor_id),
                       payments=await store.payments(conn, debtor_id), reversals=await store.reversals(conn, debtor_id),
                       activities=await store.activities(conn, debtor_id),
                       categories=frozenset(category) if category else None)
    known = bool(entries) or bool(await debtor_store.departmental_keys(conn, debtor_id))
    await audit(conn, staff, "read_debtor_timeline", debtor_id, found=known, entries=len(entries), offset=offset)
    if not known:
        raise HTTPException(404, f"no ledger entries for debtor {debtor_id}")
    page = entries[offset:offset + limit]
    return Timeline(debtor_id=debtor_id, total=len(entries), limit=limit, offset=offset,
                    items=[TimelineEntry(**{**e.__dict__, "category_label": CATEGORY_LABELS[e.category]})
                           for e in page])
