"""Reading what a department's own system decided on a claim's dates (ClaimDecisionRecorded from the standard
link: 繰上徴収's new 納期限, 時効完成's day), stored in ``claim_department_dates`` by services/collection/store.py."""

from __future__ import annotations

import asyncpg


async def department_dates(conn: asyncpg.Connection, department: str, claim_id: str) -> list[asyncpg.Record]:
    """The claim's department dates, in the order they were decided."""
    return await conn.fetch(
        "SELECT kind, on_date, decided_on, ground FROM claim_department_dates WHERE department = $1 AND claim_id = $2 "
        "ORDER BY decided_on, kind", department, claim_id)
