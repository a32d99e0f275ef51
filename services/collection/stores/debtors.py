"""The debtor 360 view's reads: which debtor a departmental person record belongs to, and everything known about a
debtor beside the ledger (departmental records, holders, related people, case, holds, identity changes)."""

import asyncpg


async def debtors_of_person(conn: asyncpg.Connection, department: str, source_person_id: str
                            ) -> list[asyncpg.Record]:
    """The debtors a departmental person record's claims and payments are under."""
    return await conn.fetch(
        "SELECT debtor_id FROM claims WHERE department = $1 AND source_person_id = $2 "
        "UNION SELECT debtor_id FROM payments WHERE department = $1 AND source_person_id = $2",
        department, source_person_id)


async def departmental_persons(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    """The debtor as each department last sent them (department, source_person_id, person)."""
    return await conn.fetch(
        "SELECT department, source_person_id, person FROM departmental_persons WHERE debtor_id = $1", debtor_id)


async def departmental_keys(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    """Every (department, source_person_id) the debtor's claims and payments name."""
    return await conn.fetch(
        "SELECT DISTINCT department, source_person_id FROM claims WHERE debtor_id = $1 UNION "
        "SELECT DISTINCT department, source_person_id FROM payments WHERE debtor_id = $1", debtor_id)


async def claim_holders(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    """Who holds each claim of the debtor's open case, by which rule."""
    return await conn.fetch(
        "SELECT cc.department, cc.claim_id, cc.holder_kind, cc.holder_code, cc.rule_id FROM case_claims cc "
        "JOIN cases c USING (case_id) WHERE c.debtor_id = $1 AND c.status = 'open'", debtor_id)


async def related_persons(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    """The people named on the debtor's claims (guarantors, heirs, …)."""
    return await conn.fetch(
        "SELECT r.department, r.claim_id, r.role, r.source_person_id, r.person FROM claim_related_persons r "
        "JOIN claims c USING (department, claim_id) WHERE c.debtor_id = $1 ORDER BY r.department, r.claim_id",
        debtor_id)


async def current_case(conn: asyncpg.Connection, debtor_id: str) -> asyncpg.Record | None:
    """The debtor's open case, else their latest."""
    return await conn.fetchrow(
        "SELECT case_id, status, opened_on, lead_kind, lead_code, lead_reason, delinquent_balance, on_hold "
        "FROM cases WHERE debtor_id = $1 ORDER BY status = 'open' DESC, case_id DESC LIMIT 1", debtor_id)


async def active_holds(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT hold_id, kind, reason, source_ref, started_at, started_by FROM collection_holds WHERE debtor_id = $1 "
        "AND ended_at IS NULL ORDER BY hold_id", debtor_id)


async def identity_changes(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    """Merges and splits from or into the debtor, in order."""
    return await conn.fetch(
        "SELECT kind, merge_id, from_debtor_id, into_debtor_id, applied_at FROM identity_changes "
        "WHERE from_debtor_id = $1 OR into_debtor_id = $1 ORDER BY change_id", debtor_id)
