"""Claims and their action record (経過記録): one claim with its actions and hold, the actions staff record, and the
reads behind the task lists (督促 due, 時効 alerts)."""

from collections.abc import Sequence
from datetime import date

import asyncpg


async def load_claim(conn: asyncpg.Connection, department: str, claim_id: str) -> asyncpg.Record | None:
    """The claim's debtor and what the law looks at (category, due date, receivable type, assessment)."""
    return await conn.fetchrow("SELECT department, claim_id, debtor_id, legal_category, due_date, receivable_type, "
                               "assessed_on FROM claims "
                               "WHERE department = $1 AND claim_id = $2", department, claim_id)


async def claim_actions(conn: asyncpg.Connection, department: str, claim_id: str) -> list[asyncpg.Record]:
    """A claim's action record, oldest first."""
    return await conn.fetch("SELECT * FROM claim_actions WHERE department = $1 AND claim_id = $2 "
                            "ORDER BY done_on, action_id", department, claim_id)


async def debtor_on_hold(conn: asyncpg.Connection, debtor_id: str) -> bool:
    """Whether collection from the debtor is on hold (a welfare referral)."""
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM collection_holds WHERE debtor_id = $1 AND "
                                    "ended_at IS NULL)", debtor_id))


async def lock_claim(conn: asyncpg.Connection, department: str, claim_id: str) -> None:
    """Serialise recording actions on one claim until the caller's transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('claim:' || $1 || ':' || $2))", department, claim_id)


async def insert_action(conn: asyncpg.Connection, *, department: str, claim_id: str, kind: str, done_on: date,
                        outcome: str | None, note: str, basis: str, recorded_by: str, amount: int) -> asyncpg.Record:
    """One action on a claim's record; the stored row."""
    return await conn.fetchrow(
        "INSERT INTO claim_actions (department, claim_id, kind, done_on, outcome, note, basis, recorded_by, "
        "amount) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING *", department, claim_id, kind, done_on, outcome, note,
        basis, recorded_by, amount)


async def claims_without_demand_notice(conn: asyncpg.Connection, as_of: date) -> list[asyncpg.Record]:
    """Claims of open cases with an open principal and no 督促 on record (department, claim_id, debtor_id,
    due_date, balance), oldest due date first (a 督促 demands an open principal: workflow.py); not those with a
    reported payment in transit on ``as_of`` (a 速報 whose 確報 has not arrived and is not yet overdue, as the
    ledger counts it: services/collection/ledger.py)."""
    return await conn.fetch(
        "SELECT cc.department, cc.claim_id, c.debtor_id, cc.due_date, cc.balance FROM case_claims cc "
        "JOIN cases c USING (case_id) WHERE c.status = 'open' AND coalesce(cc.principal_balance, cc.balance) > 0 "
        "AND NOT EXISTS (SELECT 1 FROM claim_actions a WHERE (a.department, a.claim_id) = (cc.department, "
        "cc.claim_id) AND a.kind = 'demand_notice') "
        "AND NOT EXISTS (SELECT 1 FROM payment_reports r WHERE (r.department, r.claim_id) = (cc.department, "
        "cc.claim_id) AND r.reported_on <= $1 AND r.expected_by >= $1 AND NOT EXISTS (SELECT 1 FROM payments p "
        "WHERE (p.department, p.payment_id) = (r.department, r.payment_id) AND p.paid_on <= $1)) "
        "ORDER BY cc.due_date, cc.department, cc.claim_id", as_of)


async def open_case_claims(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every claim of an open case with what 時効 depends on."""
    return await conn.fetch(
        "SELECT cc.department, cc.claim_id, c.debtor_id, cc.balance, k.receivable_type, k.legal_category, "
        "k.due_date, k.assessed_on FROM case_claims cc JOIN cases c USING (case_id) "
        "JOIN claims k ON (k.department, k.claim_id) = (cc.department, cc.claim_id) WHERE c.status = 'open'")


async def actions_of_claims(conn: asyncpg.Connection, departments: Sequence[str], claim_ids: Sequence[str]
                            ) -> list[asyncpg.Record]:
    """The action records of many claims (parallel lists of department and claim id), oldest first."""
    return await conn.fetch(
        "SELECT a.* FROM claim_actions a JOIN unnest($1::text[], $2::text[]) AS k(department, claim_id) "
        "USING (department, claim_id) ORDER BY done_on, action_id", departments, claim_ids)


async def pledges_of_claims(conn: asyncpg.Connection, departments: Sequence[str], claim_ids: Sequence[str]
                            ) -> list[asyncpg.Record]:
    """The departments' own installment agreements covering the claims (department, claim_id, agreed_on)."""
    return await conn.fetch(
        "SELECT g.department, g.claim_id, g.agreed_on FROM (SELECT department, unnest(claim_ids) AS claim_id, "
        "agreed_on FROM installment_agreements) g JOIN unnest($1::text[], $2::text[]) AS k(department, claim_id) "
        "USING (department, claim_id)", departments, claim_ids)


async def payments_of_claims(conn: asyncpg.Connection, departments: Sequence[str], claim_ids: Sequence[str]
                             ) -> list[asyncpg.Record]:
    """Payments on the claims that were not reversed (department, claim_id, paid_on, amount)."""
    return await conn.fetch(
        "SELECT p.department, p.claim_id, p.paid_on, p.amount FROM payments p "
        "JOIN unnest($1::text[], $2::text[]) AS k(department, claim_id) USING (department, claim_id) "
        "WHERE NOT EXISTS (SELECT 1 FROM payment_reversals r "
        "WHERE (r.department, r.payment_id) = (p.department, p.payment_id))", departments, claim_ids)
