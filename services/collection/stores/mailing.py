"""送付先: the mailing address staff chose for a debtor (services/collection/mailing.py decides; this stores)."""

from typing import Any

import asyncpg


async def chosen_mailing_address(conn: asyncpg.Connection, debtor_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT debtor_id, name, postal_code, address, source, reason, set_by, set_at "
                               "FROM mailing_addresses WHERE debtor_id = $1", debtor_id)


async def set_mailing_address(conn: asyncpg.Connection, debtor_id: str, chosen: dict[str, Any], *, reason: str,
                              set_by: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO mailing_addresses (debtor_id, name, postal_code, address, source, reason, set_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (debtor_id) DO UPDATE SET name = $2, postal_code = $3, "
        "address = $4, source = $5, reason = $6, set_by = $7, set_at = now() "
        "RETURNING debtor_id, name, postal_code, address, source, reason, set_by, set_at",
        debtor_id, chosen["name"], chosen["postal_code"], chosen["address"], chosen["source"], reason, set_by)


async def clear_mailing_address(conn: asyncpg.Connection, debtor_id: str) -> bool:
    return await conn.fetchval("DELETE FROM mailing_addresses WHERE debtor_id = $1 RETURNING true", debtor_id) is True
