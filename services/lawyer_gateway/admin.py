"""For the central division (staff tokens from the collection service, supervisor role): the gateway's audit
log by firm, case and period, the alerts on unusual access, and revoking one token at once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from services.lawyer_gateway import store
from services.lawyer_gateway.api import Connection
from shared.auth import Principal, StaffRole, bearer_token_scheme, require_staff

router = APIRouter(prefix="/admin", tags=["central division"])
_staff_token = bearer_token_scheme("StaffToken", "A staff token from the collection service's POST /auth/token")

_SignedIn = Annotated[Principal, Depends(require_staff(StaffRole.SUPERVISOR, _staff_token,
                                                       state_attribute="staff_authenticator"))]


async def _supervisor(request: Request, staff: _SignedIn) -> Principal:
    """The signed-in supervisor, named in the request's audit row (app.py's middleware writes it)."""
    request.state.staff_id = staff.subject
    return staff


Supervisor = Annotated[Principal, Depends(_supervisor)]


def _read_by(request: Request, ids: list[str]) -> None:
    """The ids this admin read returned, for its audit row."""
    request.state.returned_ids = ids


class AuditRow(BaseModel):
    audit_id: int
    occurred_at: datetime
    client_id: str | None
    firm_code: str | None
    lawyer_id: str | None
    method: str
    path: str
    case_ref: str | None
    fields: list[str]
    status: int
    staff_id: str | None = None
    returned_ids: list[str] = []


class AlertRow(BaseModel):
    alert_id: int
    raised_at: datetime
    kind: str
    client_id: str | None
    firm_code: str | None
    lawyer_id: str | None
    detail: str


@router.get("/audit", response_model=list[AuditRow], summary="Every firm request, by firm, case and period")
async def read_audit(request: Request, conn: Connection, staff: Supervisor,
                     firm: Annotated[str | None, Query(max_length=64)] = None,
                     case_ref: Annotated[str | None, Query(max_length=18)] = None,
                     client_id: Annotated[str | None, Query(max_length=100)] = None,
                     since: datetime | None = None, until: datetime | None = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditRow]:
    rows = await store.audit_rows(conn, firm=firm, case_ref=case_ref, client_id=client_id, since=since, until=until,
                                  limit=limit)
    _read_by(request, [str(r["audit_id"]) for r in rows])
    return [AuditRow(**dict(r)) for r in rows]


@router.get("/alerts", response_model=list[AlertRow], summary="Unusual access: many cases, cases outside assignment")
async def read_alerts(request: Request, conn: Connection, staff: Supervisor,
                      firm: Annotated[str | None, Query(max_length=64)] = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AlertRow]:
    rows = await store.alerts(conn, firm, limit)
    _read_by(request, [str(r["alert_id"]) for r in rows])
    return [AlertRow(**dict(r)) for r in rows]


@router.post("/tokens/{token_id}/revoke", status_code=204, summary="Refuse one firm token from now on")
async def revoke_token(token_id: Annotated[str, Path(min_length=8, max_length=64)], conn: Connection,
                       staff: Supervisor) -> None:
    await store.revoke_token(conn, token_id, staff.subject)
