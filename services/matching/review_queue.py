"""The review queue API's SQL: doubtful pairs with both records' evidence, a rejection, merge lineage,
relations, the stored model versions and the audit log. The decisions that change identities (accept, undo) are
in ``identity_changes``; model estimation and activation in ``model_versions``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared.audit import audit_read as shared_audit_read

AUDIT_INSERT = "INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4)"

#: A review item with both records, their identities and what each department sent.
_REVIEW = """
SELECT r.review_id, r.kind, r.status, r.score, r.model_version, r.created_at, r.contributions, r.decided_by,
       r.decided_at, r.reason,
       r.department, r.source_person_id, la.debtor_id AS debtor_id, pa.recorded AS recorded,
       r.candidate_department, r.candidate_source_person_id, lb.debtor_id AS candidate_debtor_id,
       pb.recorded AS candidate_recorded
FROM review_queue r
JOIN source_links la ON (la.department, la.source_person_id) = (r.department, r.source_person_id)
JOIN source_links lb ON (lb.department, lb.source_person_id) = (r.candidate_department, r.candidate_source_person_id)
LEFT JOIN person_records pa ON (pa.department, pa.source_person_id) = (r.department, r.source_person_id)
LEFT JOIN person_records pb ON (pb.department, pb.source_person_id) =
     (r.candidate_department, r.candidate_source_person_id)
"""

_REVIEW_FILTER = ("r.status = $1 AND ($2::text IS NULL OR $2 IN (r.department, r.candidate_department)) AND "
                  "($3::text IS NULL OR ($2, $3) IN ((r.department, r.source_person_id), "
                  "(r.candidate_department, r.candidate_source_person_id)))")


async def audit(conn: asyncpg.Connection, actor: str, action: str, subject: str, detail: dict[str, Any]) -> None:
    await conn.execute(AUDIT_INSERT, actor, action, subject, detail)


async def audit_read(conn: asyncpg.Connection, actor: str, action: str, subject: str, ids: Sequence[str],
                     **context: Any) -> None:
    """A read of personal data with the ids it returned (``shared.audit``)."""
    await shared_audit_read(conn, AUDIT_INSERT, actor, action, subject, ids, **context)


async def list_reviews(conn: asyncpg.Connection, *, status: str, department: str | None,
                       source_person_id: str | None, limit: int, offset: int) -> tuple[list[asyncpg.Record], int]:
    """One page of reviews of a status, oldest first, optionally of one department's record (on either side of
    the pair), and how many there are in all."""
    asked = (status, department, source_person_id)
    rows = await conn.fetch(f"{_REVIEW} WHERE {_REVIEW_FILTER} ORDER BY r.created_at, r.review_id LIMIT $4 OFFSET $5",
                            *asked, limit, offset)
    total = await conn.fetchval(f"SELECT count(*) FROM review_queue r WHERE {_REVIEW_FILTER}", *asked)
    return rows, total


async def load_review(conn: asyncpg.Connection, review_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_REVIEW} WHERE r.review_id = $1", review_id)


async def lock_review_status(conn: asyncpg.Connection, review_id: int) -> str | None:
    """A review's status, its row locked until the caller's transaction ends; None when there is no such review."""
    return await conn.fetchval("SELECT status FROM review_queue WHERE review_id = $1 FOR UPDATE", review_id)


async def reject(conn: asyncpg.Connection, review_id: int, decided_by: str, decided_at: datetime, reason: str) -> None:
    """Close the pair as different people (it is never proposed again)."""
    await conn.execute(
        "UPDATE review_queue SET status = 'rejected', decided_by = $2, decided_at = $3, reason = $4 "
        "WHERE review_id = $1", review_id, decided_by, decided_at, reason)


async def merges_of(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    """Every merge into or out of an identity, undone ones too, in order."""
    return await conn.fetch("SELECT * FROM debtor_merges WHERE $1 IN (from_debtor_id, into_debtor_id) "
                            "ORDER BY merged_at", debtor_id)


async def relations_of(conn: asyncpg.Connection, debtor_id: str) -> list[asyncpg.Record]:
    """(other, role, department, direction) of the people linked to an identity as relations, both ways."""
    return await conn.fetch(
        "SELECT related_debtor_id AS other, role, department, 'on_this_debtors_claims' AS direction FROM relations "
        "WHERE debtor_id = $1 UNION ALL SELECT debtor_id, role, department, 'this_debtor_on_their_claims' "
        "FROM relations "
        "WHERE related_debtor_id = $1", debtor_id)


async def load_model_version(conn: asyncpg.Connection, version: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM model_versions WHERE version = $1", version)


async def list_model_versions(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every model version, newest first."""
    return await conn.fetch("SELECT * FROM model_versions ORDER BY proposed_at DESC")
