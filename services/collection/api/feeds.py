"""Feeds back to the departments (services/collection/feeds.py): a department's system, with its own credential
(shared/department_auth.py, the one it imports with), reads what the central division did on its claims, as
items or as a file in the standard layout or its own export format (its choice, COLLECTION_FEED_FORMAT_<DEPARTMENT>,
or ?format=), and acknowledges them with a receipt; staff see what no department
acknowledged in time. Every read and receipt is audit-logged with the ids."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from contracts import Department, DepartmentFeedItem
from contracts.keys import KEY_SPACE_PATTERN, KeySpaceError, in_own_keys
from contracts.sources import key_space_of_sender
from contracts.standard_link import INCOMING_VERSION
from services.collection.api.deps import BusinessDate, Connection, Viewer, audit_read
from services.collection.feeds import FeedFormat, feed_message, own_file, standard_file
from services.collection.stores import audit_log
from services.collection.stores import feeds as store
from shared.department_auth import DepartmentSystem, require_department_system
from shared.ingest.department_files import own_renderer, own_source

router = APIRouter(tags=["feeds"])
_bearer = HTTPBearer(auto_error=False, scheme_name="DepartmentCredential", bearerFormat="JWT")


async def department_system(request: Request, department: Annotated[Department, Path()],
                            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                            ) -> DepartmentSystem:
    """401 without a department system's credential, 403 with another department's."""
    return await require_department_system(department)(request, credentials)


Sender = Annotated[DepartmentSystem, Depends(department_system)]
Limit = Annotated[int, Query(ge=1, le=10_000)]
#: Whose items (contracts/keys.py): a second vendor of the department reads its own, with its own ids.
Source = Annotated[str | None, Query(pattern=f"^{KEY_SPACE_PATTERN}$", description=(
    "The key space (a second vendor's code, e.g. water_east); absent: the department's own system"))]


def key_space_of(sender: DepartmentSystem, department: Department, source: str | None) -> str | None:
    """The key space the sender reads and states in, None for the department's own system's: its credential's
    system decides when the registry knows it (403 for another's), else ``source``."""
    try:
        return key_space_of_sender(sender.system_id, department, source)
    except KeySpaceError as refused:
        raise HTTPException(403, str(refused)) from None


async def _pending(conn: Connection, department: Department, key_space: str | None, limit: int
                   ) -> list[DepartmentFeedItem]:
    rows = await store.pending(conn, department.value, limit=limit, key_space=key_space)
    return [in_own_keys(feed_message(r), department) for r in rows]


@router.get("/feeds/{department}/items", response_model=list[DepartmentFeedItem],
            summary="What the department has not acknowledged yet, oldest first (its own credential)")
async def feed_items(department: Department, sender: Sender, conn: Connection, limit: Limit = 1000,
                     source: Source = None) -> list[DepartmentFeedItem]:
    items = await _pending(conn, department, key_space_of(sender, department, source), limit)
    await audit_log.record_read(conn, sender.label, "read_feed", department.value, [str(i.feed_id) for i in items])
    return items


@router.get("/feeds/{department}/file", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "headers": {"X-Feed-Omitted": {
                "description": "Items the format cannot carry, left pending: '<feed id> <kind> <reason, "
                               "percent-encoded>', comma-separated, the first 50 then '+<n> more'",
                "schema": {"type": "string"}}, "X-Feed-Omitted-Count": {
                "description": "How many items the file left out", "schema": {"type": "integer"}}}}},
            summary="The same items as a file: the standard layout (連携番号 = feed id) or the department's own "
                    "export format, as the department chose (COLLECTION_FEED_FORMAT_<DEPARTMENT>) or ?format= says")
async def feed_file(request: Request, department: Department, sender: Sender, conn: Connection,
                    limit: Limit = 10_000, format: FeedFormat | None = None,
                    version: Literal["2026-04", "2025-04"] = INCOMING_VERSION, source: Source = None) -> Response:
    chosen = format or request.app.state.settings.feed_format(department.value)
    key_space = key_space_of(sender, department, source)
    items = await _pending(conn, department, key_space, limit)
    if chosen == "own":  # a second vendor's own format is its own format module's
        try:
            row = own_source(department, key_space)
        except LookupError as unknown:
            raise HTTPException(404, str(unknown)) from None
        file = own_file(items, own_renderer(department, key_space), media_type=row.media_type,
                        file_name=f"feed-{department.value}-{row.export_file}")
    else:
        file = standard_file(items, department.value, version)
    await audit_log.record_read(conn, sender.label, "read_feed_file", department.value,
                                [str(i) for i in file.carried], format=chosen)
    headers = {"Content-Disposition": f'attachment; filename="{file.file_name}"', "X-Feed-Format": chosen}
    if file.omitted:
        headers["X-Feed-Omitted"] = file.omitted_header()
        headers["X-Feed-Omitted-Count"] = str(len(file.omitted))
    return Response(file.content, media_type=file.media_type, headers=headers)


class Receipt(BaseModel):
    feed_ids: list[Annotated[int, Field(ge=1)]] = Field(min_length=1, max_length=10_000)


class ReceiptAnswer(BaseModel):
    acknowledged: list[int] = Field(description="Acknowledged by this receipt or an earlier one")
    unknown: list[int] = Field(description="Not items of this department (of this source): nothing recorded for them")


@router.post("/feeds/{department}/receipts", response_model=ReceiptAnswer,
             summary="Acknowledge items: the department's system took them in (idempotent)")
async def feed_receipt(department: Department, body: Receipt, sender: Sender, conn: Connection,
                       source: Source = None) -> ReceiptAnswer:
    async with conn.transaction():
        done, unknown = await store.acknowledge(conn, department.value, body.feed_ids, sender.label,
                                                key_space=key_space_of(sender, department, source))
        await audit_log.record(conn, sender.label, "acknowledge_feed", department.value,
                               {"acknowledged": len(done), "unknown": unknown[:100]})
    return ReceiptAnswer(acknowledged=done, unknown=unknown)


class LateItem(BaseModel):
    feed_id: int
    department: str
    kind: str
    claim_id: str | None
    occurred_on: str
    gathered_at: str


@router.get("/feeds/unacknowledged", response_model=list[LateItem],
            summary="Items no department acknowledged within the period (COLLECTION_FEED_ACKNOWLEDGE_DAYS)")
async def late_items(request: Request, conn: Connection, staff: Viewer, today: BusinessDate,
                     limit: Limit = 1000) -> list[LateItem]:
    days = request.app.state.settings.feed_acknowledge_days
    rows = await store.unacknowledged(conn, today, days, limit=limit)
    await audit_read(conn, staff, "read_unacknowledged_feeds", "feeds", [str(r["feed_id"]) for r in rows],
                     acknowledge_days=days)
    return [LateItem(feed_id=r["feed_id"], department=r["department"], kind=r["kind"], claim_id=r["claim_id"],
                     occurred_on=r["occurred_on"].isoformat(), gathered_at=r["created_at"].isoformat()) for r in rows]
