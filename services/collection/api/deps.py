"""What the routes share: a database connection, the signed-in staff member with their role, the business date,
the policies, and the audit log every read of personal data and every change goes to."""

from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from services.collection.allocation import AllocationPolicy
from services.collection.assignment import AssignmentPolicy
from services.collection.stores import audit_log
from shared.auth import Principal, StaffRole, authenticated_staff, require_staff
from shared.clock import business_date as one_business_date

TOKYO = ZoneInfo("Asia/Tokyo")

#: The docs' "Authorize" button signs in through POST /auth/token; every route takes the bearer token.
_bearer = OAuth2PasswordBearer(tokenUrl="auth/token", auto_error=False, scheme_name="StaffToken",
                               description="Staff sign-in (POST /auth/token), roles viewer < collector < "
                                           "supervisor < admin")


async def get_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        yield conn


Connection = Annotated[asyncpg.Connection, Depends(get_connection)]


def require(role: StaffRole):  # type: ignore[no-untyped-def]
    """A dependency admitting a signed-in staff member whose roles allow ``role``: 401 without a valid token
    (expired, forged, revoked, account disabled), 403 with a role too low."""
    return require_staff(role, _bearer)


Viewer = Annotated[Principal, Depends(require(StaffRole.VIEWER))]
Collector = Annotated[Principal, Depends(require(StaffRole.COLLECTOR))]
Supervisor = Annotated[Principal, Depends(require(StaffRole.SUPERVISOR))]
Admin = Annotated[Principal, Depends(require(StaffRole.ADMIN))]
#: Any signed-in staff member of an active account, whatever the role (who-am-I; granting checks its own rule).
AnyStaff = Annotated[Principal, Depends(authenticated_staff(_bearer))]


async def business_date(request: Request) -> date:
    """The configured business date, or today in Asia/Tokyo. (The dependencies here are ``async`` on purpose:
    FastAPI runs a plain function in a worker thread, a hop that cost a tenth of the debtor view's time.)"""
    configured: date | None = request.app.state.settings.business_date
    return one_business_date(configured)


BusinessDate = Annotated[date, Depends(business_date)]


async def assignment_policy(request: Request) -> AssignmentPolicy:
    return request.app.state.assignment_policy


async def allocation_policy(request: Request) -> AllocationPolicy:
    return request.app.state.allocation_policy


async def audit(conn: asyncpg.Connection, staff: Principal | str, action: str, subject: str,
                **detail: object) -> None:
    """One row in the audit log: who, what, on whom, with what result (no personal data in ``detail``)."""
    actor = staff if isinstance(staff, str) else staff.subject
    await audit_log.record(conn, actor, action, subject, detail)


async def audit_read(conn: asyncpg.Connection, staff: Principal, action: str, subject: str, ids: Sequence[str],
                     **context: Any) -> None:
    """A read of personal data with the ids it returned (``shared.audit``: rows of at most 1,000 ids), the
    filter or page in ``context``; ``debtor_ids`` (parallel to ``ids``) names whose records they are."""
    await audit_log.record_read(conn, staff.subject, action, subject, ids, **context)
