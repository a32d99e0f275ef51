"""DV等支援措置: which debtors' addresses must not leave the city, as departments' messages and staff recorded it.

Read by everything that sends a debtor's details outside (the outsourced case, letters to third parties, the
welfare standing, documents an outside firm prints) and by the debtor view, which warns staff."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import asyncpg

#: A department's message applies unless an equal or later change is already recorded (messages may arrive late).
RECORD_FROM_DEPARTMENT = (
    "INSERT INTO support_measures (department, source_person_id, debtor_id, active, effective_on, source, "
    "recorded_by, message_id) VALUES ($1, $2, $3, $4, $5, 'department:' || $1, 'department:' || $1, $6) "
    "ON CONFLICT (department, source_person_id) DO UPDATE SET debtor_id = EXCLUDED.debtor_id, "
    "active = EXCLUDED.active, effective_on = EXCLUDED.effective_on, source = EXCLUDED.source, reason = '', "
    "recorded_by = EXCLUDED.recorded_by, message_id = EXCLUDED.message_id, recorded_at = now() "
    "WHERE support_measures.effective_on <= EXCLUDED.effective_on")


async def protected_since(conn: asyncpg.Connection, debtor_ids: Iterable[str]) -> dict[str, date]:
    """The debtors among these under a support measure, with the day the earliest of their records' started."""
    rows = await conn.fetch("SELECT debtor_id, min(effective_on) AS since FROM support_measures "
                            "WHERE active AND debtor_id = ANY($1::text[]) GROUP BY debtor_id", sorted(set(debtor_ids)))
    return {r["debtor_id"]: r["since"] for r in rows}


async def is_protected(conn: asyncpg.Connection, debtor_id: str) -> bool:
    return debtor_id in await protected_since(conn, [debtor_id])


async def measures_of(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT department, source_person_id, active, effective_on, source, reason, recorded_by, "
                            "recorded_at FROM support_measures WHERE debtor_id = $1 "
                            "ORDER BY department, source_person_id", debtor_id)


async def record_by_staff(conn: asyncpg.Connection, debtor_id: str, *, active: bool, effective_on: date,
                          reason: str, staff: str) -> int:
    """Start (or end) the measure on every departmental record of the debtor; returns how many records."""
    rows = await conn.fetch(
        "INSERT INTO support_measures (department, source_person_id, debtor_id, active, effective_on, source, "
        "reason, recorded_by) SELECT department, source_person_id, $1, $2::boolean, $3::date, 'staff', $4::text, "
        "$5::text FROM (SELECT department, source_person_id FROM claims WHERE debtor_id = $1 UNION "
        "SELECT department, source_person_id FROM departmental_persons WHERE debtor_id = $1) AS records "
        "ON CONFLICT (department, source_person_id) DO UPDATE SET debtor_id = $1, active = $2, effective_on = $3, "
        "source = 'staff', reason = $4, recorded_by = $5, message_id = NULL, recorded_at = now() RETURNING 1",
        debtor_id, active, effective_on, reason, staff)
    return len(rows)
