"""The reports' reads beside the ledgers (``store.load_all_ledgers``): write-offs, the workload per holder, and
the targets supervisors enter per fiscal year."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import asyncpg


async def report_targets(conn: asyncpg.Connection, fiscal_year: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM report_targets WHERE fiscal_year = $1", fiscal_year)


async def write_off_dates(conn: asyncpg.Connection, write_off_kind: str, up_to: date) -> list[asyncpg.Record]:
    """(department, claim_id, written_on): the first ``write_off_kind`` action of each claim up to a day."""
    return await conn.fetch(
        "SELECT department, claim_id, min(done_on) AS written_on FROM claim_actions WHERE kind = $1 AND done_on <= $2 "
        "GROUP BY department, claim_id", write_off_kind, up_to)


async def workload(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Open cases, claims and balance per holder, largest balance first."""
    return await conn.fetch(
        "SELECT cc.holder_kind, cc.holder_code, count(DISTINCT cc.case_id) AS open_cases, count(*) AS claims, "
        "sum(cc.balance)::bigint AS balance FROM case_claims cc JOIN cases c USING (case_id) WHERE c.status = 'open' "
        "GROUP BY cc.holder_kind, cc.holder_code ORDER BY balance DESC")


async def replace_targets(conn: asyncpg.Connection, fiscal_year: int,
                          rows: Sequence[tuple[str, str, int | None, Decimal | None, Decimal | None]],
                          set_by: str) -> None:
    """The year's targets become ``rows`` (department, receivable_type, outstanding, current_rate, overall_rate);
    run inside the caller's transaction."""
    await conn.execute("DELETE FROM report_targets WHERE fiscal_year = $1", fiscal_year)
    await conn.executemany(
        "INSERT INTO report_targets (fiscal_year, department, receivable_type, outstanding, current_rate, "
        "overall_rate, set_by) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        [(fiscal_year, *row, set_by) for row in rows])


async def sorted_targets(conn: asyncpg.Connection, fiscal_year: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM report_targets WHERE fiscal_year = $1 ORDER BY department, "
                            "receivable_type", fiscal_year)
