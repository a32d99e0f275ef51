"""The reads behind a debtor's whole 経過記録 (services/collection/timeline.py): every action on their claims, the
documents issued to them, their payments and reversals, and what lawyer teams reported on their cases."""

import asyncpg


async def actions(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT a.action_id, a.department, a.claim_id, a.kind, a.done_on, a.note, a.amount, a.recorded_by, "
        "a.recorded_at, a.message_id FROM claim_actions a JOIN claims c USING (department, claim_id) "
        "WHERE c.debtor_id = $1", debtor_id)


async def documents(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT document_number, kind, claim_keys, issued_on, issued_by, issued_at FROM issued_documents "
        "WHERE debtor_id = $1", debtor_id)


async def payments(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT department, payment_id, claim_id, amount, paid_on, channel FROM payments WHERE debtor_id = $1",
        debtor_id)


async def reversals(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    """Reversed payments with the amount and claim of the payment they reverse (None when it has not arrived)."""
    return await conn.fetch(
        "SELECT r.department, r.payment_id, r.reason, r.reversed_on, p.amount, p.claim_id FROM payment_reversals r "
        "LEFT JOIN payments p USING (department, payment_id) WHERE r.debtor_id = $1", debtor_id)


async def activities(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT a.activity_id, a.firm_code, a.kind, a.occurred_on, a.note, a.amount, a.recorded_at "
        "FROM case_activities a JOIN cases c USING (case_id) WHERE c.debtor_id = $1", debtor_id)
