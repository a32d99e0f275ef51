"""The audit log, for supervisors: who read whose personal data, who changed what, filtered by staff member,
subject, action and period; also as CSV."""

import json
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from services.collection.api.csv_export import csv_response
from services.collection.api.deps import Connection, Supervisor, audit_read
from services.collection.stores.audit_log import audit_filter, audit_page, audit_rows

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditRow(BaseModel):
    audit_id: int
    occurred_at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditRow]
    next_before_id: int | None


class AuditFilters:
    def __init__(
        self,
        actor: Annotated[str | None, Query(max_length=64, description="Staff id")] = None,
        subject: Annotated[str | None, Query(max_length=128, description="e.g. a debtor id or case id")] = None,
        action: Annotated[str | None, Query(max_length=64)] = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ):
        self.where, self.args = audit_filter(actor=actor, subject=subject, action=action, since=since, until=until)


Filters = Annotated[AuditFilters, Depends()]


@router.get("", response_model=AuditPage, summary="Audit log, newest first (supervisor)")
async def read_audit_log(filters: Filters, conn: Connection, staff: Supervisor,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                         before_id: Annotated[int | None, Query(ge=1, description="Page: rows older than this")] = None,
                         ) -> AuditPage:
    rows = await audit_page(conn, filters.where, filters.args, before_id=before_id, limit=limit)
    await audit_read(conn, staff, "read_audit_log", "audit", [str(r["audit_id"]) for r in rows],
                     filter=filters.where, limit=limit, before_id=before_id)
    return AuditPage(items=[AuditRow(**dict(r)) for r in rows],
                     next_before_id=rows[-1]["audit_id"] if len(rows) == limit else None)


#: For the people who read it: Japanese column names; times in Japan time (+09:00), as everything staff see.
AUDIT_CSV_COLUMNS = ["監査番号", "日時（日本時間）", "操作者", "操作", "対象", "詳細"]
TOKYO = ZoneInfo("Asia/Tokyo")


@router.get("/export.csv", summary="Audit log as CSV (supervisor): Japanese columns, times in Japan time", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
async def export_audit_log(filters: Filters, conn: Connection, staff: Supervisor) -> Response:
    rows = await audit_rows(conn, filters.where, filters.args)
    await audit_read(conn, staff, "export_audit_log", "audit", [str(r["audit_id"]) for r in rows],
                     filter=filters.where)
    return csv_response(AUDIT_CSV_COLUMNS,
                        ([r["audit_id"], r["occurred_at"].astimezone(TOKYO).isoformat(timespec="seconds"), r["actor"],
                          r["action"], r["subject"], json.dumps(r["detail"], ensure_ascii=False)] for r in rows),
                        "監査ログ.csv")
