"""Reconciliation's reads and writes (services/collection/reconciliation.py decides): the central side of a
department's claims as of a day, who has unacknowledged central-window money, and the runs with their
differences."""

from __future__ import annotations

import json
from datetime import date

import asyncpg

from contracts.keys import in_key_space
from services.collection.ledger import ClaimStatus, facts_of
from services.collection.reconciliation import CentralClaim, Difference
from services.collection.store import load_ledgers

_CHUNK = 500  # debtors per ledger read


async def central_claims(conn: asyncpg.Connection, department: str, as_of: date, key_space: str | None = None
                         ) -> list[CentralClaim]:
    """Every claim of the department the ledger holds (of one key space, contracts/keys.py; None: the primary
    source's), with its open principal as of the day (0 once paid, cancelled or extinguished) and whether a
    reported payment is in transit."""
    rows = [r for r in await conn.fetch("SELECT claim_id, debtor_id, source_person_id FROM claims "
                                        "WHERE department = $1", department)
            if in_key_space(key_space, department, r["claim_id"])]
    debtors = sorted({r["debtor_id"] for r in rows})
    open_principal: dict[str, tuple[int, bool]] = {}
    for start in range(0, len(debtors), _CHUNK):
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            ledgers = await load_ledgers(conn, debtors[start:start + _CHUNK], as_of)
        for ledger in ledgers.values():
            for balance in ledger.claims:
                if balance.claim.department != department:
                    continue
                closed = balance.status in (ClaimStatus.EXTINGUISHED, ClaimStatus.CANCELLED)
                open_principal[balance.claim.claim_id] = (0 if closed else balance.balance,
                                                         facts_of(balance).payment_in_transit is not None)
    return [CentralClaim(r["claim_id"], r["source_person_id"], *open_principal.get(r["claim_id"], (0, False)))
            for r in rows]


async def unacknowledged_payers(conn: asyncpg.Connection, department: str, key_space: str | None = None
                                ) -> frozenset[str]:
    # the money, or a 充当 line of it (which claim it settled), the department has not acknowledged yet
    rows = await conn.fetch("SELECT DISTINCT source_person_id FROM department_feed WHERE department = $1 "
                            "AND kind IN ('central_payment', 'appropriation') AND acknowledged_at IS NULL", department)
    return frozenset(r["source_person_id"] for r in rows
                     if in_key_space(key_space, department, r["source_person_id"]))


async def record_run(conn: asyncpg.Connection, *, department: str, as_of: date, submitted_by: str,
                     claims_stated: int, claims_compared: int, by_cause: dict[str, int], rejected: int,
                     differences: list[Difference]) -> int:
    run_id: int = await conn.fetchval(
        "INSERT INTO reconciliation_runs (department, as_of, submitted_by, claims_stated, claims_compared, by_cause, "
        "rejected) VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7) RETURNING run_id", department, as_of, submitted_by,
        claims_stated, claims_compared, json.dumps(by_cause), rejected)
    await conn.executemany(
        "INSERT INTO reconciliation_differences (run_id, claim_id, source_person_id, department_balance, "
        "central_balance, cause) VALUES ($1, $2, $3, $4, $5, $6)",
        [(run_id, d.claim_id, d.source_person_id, d.department_balance, d.central_balance, d.cause)
         for d in differences])
    return run_id


async def latest_run(conn: asyncpg.Connection, department: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM reconciliation_runs WHERE department = $1 ORDER BY run_id DESC LIMIT 1",
                               department)


async def differences_of(conn: asyncpg.Connection, run_id: int, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM reconciliation_differences WHERE run_id = $1 ORDER BY claim_id LIMIT $2",
                            run_id, limit)


async def latest_counts(conn: asyncpg.Connection) -> dict[str, dict[str, int]]:
    """The latest run's differences by cause, per department (what the metric shows)."""
    rows = await conn.fetch("SELECT DISTINCT ON (department) department, by_cause::text AS by_cause "
                            "FROM reconciliation_runs ORDER BY department, run_id DESC")
    return {r["department"]: json.loads(r["by_cause"]) for r in rows}
