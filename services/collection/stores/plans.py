"""Central installment plans (分納計画): the plan with its schedule, and each department's share as an
``installment_agreements`` row (agreement id ``central-<plan_id>``), so missed instalments are detected as for the
departments' own plans (services/collection/cases.py ``announce_missed_installments``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from contracts.envelope import derive_message_id


def agreement_id(plan_id: int) -> str:
    return f"central-{plan_id}"


async def lock_debtor(conn: asyncpg.Connection, debtor_id: str) -> None:
    """Serialise plan changes of one debtor until the caller's transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('plan:' || $1))", debtor_id)


async def claims_in_active_plans(conn: asyncpg.Connection, claim_keys: Sequence[str]) -> dict[str, int]:
    """Which of these claims (department:claim_id) an active central plan already covers, with its plan id."""
    rows = await conn.fetch(
        "SELECT k.key, p.plan_id FROM central_plans p CROSS JOIN LATERAL unnest(p.claim_keys) AS k(key) "
        "WHERE p.cancelled_on IS NULL AND k.key = ANY($1::text[])", list(claim_keys))
    return {r["key"]: r["plan_id"] for r in rows}


async def source_persons(conn: asyncpg.Connection, claim_keys: Sequence[tuple[str, str]]) -> dict[str, str | None]:
    """Each department's person record the claims belong to (the first claim's, by department)."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (c.department) c.department, c.source_person_id FROM claims c "
        "JOIN unnest($1::text[], $2::text[]) AS k(department, claim_id) USING (department, claim_id) "
        "ORDER BY c.department, c.claim_id", [k[0] for k in claim_keys], [k[1] for k in claim_keys])
    return {r["department"]: r["source_person_id"] for r in rows}


async def insert_plan(conn: asyncpg.Connection, *, debtor_id: str, claim_keys: Sequence[str], total: int,
                      terms: dict[str, Any], schedule: list[dict[str, Any]], agreed_on: date, agreed_by: str
                      ) -> int:
    return await conn.fetchval(
        "INSERT INTO central_plans (debtor_id, claim_keys, total, terms, schedule, agreed_on, agreed_by) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING plan_id", debtor_id, list(claim_keys), total, terms, schedule,
        agreed_on, agreed_by)


async def insert_department_share(conn: asyncpg.Connection, *, plan_id: int, department: str, debtor_id: str,
                                  source_person_id: str | None, claim_ids: Sequence[str],
                                  schedule: list[dict[str, Any]], agreed_on: date) -> None:
    """The department's share as an installment agreement (the rows missed-instalment detection reads)."""
    await conn.execute(
        "INSERT INTO installment_agreements (department, agreement_id, debtor_id, claim_ids, schedule, agreed_on, "
        "message_id, source_person_id, central_plan_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        department, agreement_id(plan_id), debtor_id, list(claim_ids), schedule, agreed_on,
        derive_message_id("collection", "central-plan", str(plan_id), department), source_person_id, plan_id)


async def set_document(conn: asyncpg.Connection, plan_id: int, document_number: str) -> None:
    await conn.execute("UPDATE central_plans SET document_number = $2 WHERE plan_id = $1", plan_id, document_number)


async def plans_of_debtor(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    """The debtor's central plans, newest first: those agreed with it, and those whose department shares follow it
    after a merge of identities."""
    return await conn.fetch(
        "SELECT * FROM central_plans WHERE debtor_id = $1 OR plan_id IN (SELECT central_plan_id FROM "
        "installment_agreements WHERE debtor_id = $1 AND central_plan_id IS NOT NULL) ORDER BY plan_id DESC",
        debtor_id)


async def load_plan(conn: asyncpg.Connection, plan_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM central_plans WHERE plan_id = $1", plan_id)


async def current_debtor(conn: asyncpg.Connection, plan_id: int) -> str | None:
    """Whose plan it is now (its department shares follow merges)."""
    return await conn.fetchval(
        "SELECT coalesce((SELECT debtor_id FROM installment_agreements WHERE central_plan_id = $1 LIMIT 1), "
        "(SELECT debtor_id FROM central_plans WHERE plan_id = $1))", plan_id)


async def cancel_plan(conn: asyncpg.Connection, plan_id: int, *, on: date, by: str, reason: str) -> asyncpg.Record:
    """Mark the plan and its department shares cancelled as of ``on`` (missed-instalment detection stops)."""
    await conn.execute("UPDATE installment_agreements SET cancelled_on = $2 WHERE central_plan_id = $1", plan_id, on)
    return await conn.fetchrow(
        "UPDATE central_plans SET cancelled_on = $2, cancelled_by = $3, cancel_reason = $4 WHERE plan_id = $1 "
        "RETURNING *", plan_id, on, by, reason)


async def department_shares(conn: asyncpg.Connection, department: str, *, limit: int) -> list[asyncpg.Record]:
    """The department's shares of central plans, newest plan first, with the plan's pledge and whether it ended."""
    return await conn.fetch(
        "SELECT a.central_plan_id, a.agreement_id, a.source_person_id, a.claim_ids, a.schedule, a.agreed_on, "
        "a.cancelled_on, p.document_number FROM installment_agreements a "
        "JOIN central_plans p ON p.plan_id = a.central_plan_id WHERE a.department = $1 "
        "ORDER BY a.central_plan_id DESC LIMIT $2", department, limit)
