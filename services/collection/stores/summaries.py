"""Many debtors at a glance: each one's case (open, else latest) with its 滞納額 and lead, in one query — what a
list of search results shows beside each person, without computing every debtor's ledger."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


async def latest_cases(conn: asyncpg.Connection, debtor_ids: Sequence[str]) -> dict[str, asyncpg.Record]:
    """The open case of each debtor, else their latest; debtors without a case are absent."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (debtor_id) debtor_id, case_id, status, as_of, lead_kind, lead_code, delinquent_balance "
        "FROM cases WHERE debtor_id = ANY($1::text[]) ORDER BY debtor_id, status = 'open' DESC, case_id DESC",
        sorted(set(debtor_ids)))
    return {r["debtor_id"]: r for r in rows}
