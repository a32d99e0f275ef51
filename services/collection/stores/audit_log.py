"""The audit log: one row per change or read of personal data, and the supervisors' filtered reads of it."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared.audit import audit_read as shared_audit_read

AUDIT_INSERT = "INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4)"


async def record(conn: asyncpg.Connection, actor: str, action: str, subject: str, detail: dict[str, object]) -> None:
    """One row in the audit log: who, what, on whom, with what result."""
    await conn.execute(AUDIT_INSERT, actor, action, subject, detail)


async def record_read(conn: asyncpg.Connection, actor: str, action: str, subject: str, ids: Sequence[str],
                      **context: Any) -> None:
    """A read of personal data with the ids it returned (``shared.audit``: rows of at most 1,000 ids)."""
    await shared_audit_read(conn, AUDIT_INSERT, actor, action, subject, ids, **context)


def audit_filter(*, actor: str | None, subject: str | None, action: str | None, since: datetime | None,
                 until: datetime | None) -> tuple[str, list[object]]:
    """The WHERE clause and its arguments for the given filters (the clause is also what the read logs)."""
    clauses: list[str] = []
    args: list[object] = []
    for column, op, value in (("actor", "=", actor), ("subject", "=", subject), ("action", "=", action),
                              ("occurred_at", ">=", since), ("occurred_at", "<", until)):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} {op} ${len(args)}")
    return " AND ".join(clauses) or "true", args


async def audit_page(conn: asyncpg.Connection, where: str, args: Sequence[object], *, before_id: int | None,
                     limit: int) -> list[asyncpg.Record]:
    """Rows matching ``audit_filter``'s clause older than ``before_id``, newest first."""
    all_args = [*args, before_id or 2**62, limit]
    return await conn.fetch(
        f"SELECT * FROM audit_log WHERE {where} AND audit_id < ${len(all_args) - 1} "
        f"ORDER BY audit_id DESC LIMIT ${len(all_args)}", *all_args)


async def audit_rows(conn: asyncpg.Connection, where: str, args: Sequence[object]) -> list[asyncpg.Record]:
    """Every row matching ``audit_filter``'s clause, oldest first (the CSV export)."""
    return await conn.fetch(f"SELECT * FROM audit_log WHERE {where} ORDER BY audit_id", *args)
