"""Merges and splits of debtor identities, decided by a person in the review queue.

Accepting a doubtful pair merges the record's identity into the candidate's: every departmental record of
the first moves to the second, the move is kept in ``debtor_merges``, and a ``DebtorMerged`` event goes out
through the outbox (in the same transaction) so collection re-keys claims and payments. Undoing a merge (a
split) moves exactly those records back, closes the pair as different people, and sends ``DebtorSplit``.

A proposed split (a review of kind ``split``, queued when a model version would no longer link two records of one
identity) accepted moves the reviewed record alone to a new identity, kept in ``debtor_merges`` (``split-…``, so
undoing it moves the record back) and sent as ``DebtorSplit``; rejected, nothing moves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from contracts import DebtorMerged, DebtorSplit, SourceRecord
from contracts.topics import IDENTITY_EVENTS
from shared.outbox import enqueue_event

SOURCE_SYSTEM = "debtor-matching"


class DecisionRefused(Exception):
    """The decision cannot be made (unknown, already decided, nothing to move); ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class Change:
    merge_id: str
    from_debtor_id: str
    into_debtor_id: str
    records: int


async def _publish(conn: asyncpg.Connection, payload: DebtorMerged | DebtorSplit, key: str, correlation: str) -> None:
    await enqueue_event(conn, payload, topic=IDENTITY_EVENTS.name, key=key, source_system=SOURCE_SYSTEM,
                        correlation_id=correlation, source_keys=(type(payload).__name__, payload.merge_id))


async def accept(conn: asyncpg.Connection, review_id: int, actor: str, reason: str) -> Change:
    """Merge the reviewed record's identity into its candidate's. Call inside a transaction."""
    review = await conn.fetchrow(
        "SELECT r.status, r.kind, r.department, r.source_person_id, la.debtor_id AS record_debtor, "
        "lb.debtor_id AS candidate_debtor FROM review_queue r "
        "JOIN source_links la ON (la.department, la.source_person_id) = (r.department, r.source_person_id) "
        "JOIN source_links lb ON (lb.department, lb.source_person_id) = "
        "     (r.candidate_department, r.candidate_source_person_id) "
        "WHERE r.review_id = $1 FOR UPDATE OF r", review_id)
    if review is None:
        raise DecisionRefused(404, f"no review {review_id}")
    if review["status"] != "open":
        raise DecisionRefused(409, f"review {review_id} is already {review['status']}")
    source, target = review["record_debtor"], review["candidate_debtor"]
    now = datetime.now(UTC)
    await conn.execute("UPDATE review_queue SET status = 'accepted', decided_by = $2, decided_at = $3, reason = $4 "
                       "WHERE review_id = $1", review_id, actor, now, reason)
    if review["kind"] == "split":
        return await _split_off(conn, review_id, review["department"], review["source_person_id"], source, target,
                                actor, reason)
    if source == target:  # an earlier merge already brought them together
        return Change("", source, target, 0)
    moved = await conn.fetch("SELECT department, source_person_id FROM source_links WHERE debtor_id = $1", source)
    merge_id = f"merge-{uuid.uuid4()}"
    await conn.execute("UPDATE source_links SET debtor_id = $2, decided_by = $3 WHERE debtor_id = $1",
                       source, target, merge_id)
    records = [{"department": r["department"], "source_person_id": r["source_person_id"]} for r in moved]
    await conn.execute(
        "INSERT INTO debtor_merges (merge_id, review_id, from_debtor_id, into_debtor_id, records, decided_by, "
        "reason) VALUES ($1, $2, $3, $4, $5, $6, $7)", merge_id, review_id, source, target, records, actor, reason)
    await _publish(conn, DebtorMerged(merge_id=merge_id, from_debtor_id=source, into_debtor_id=target,
                                      records=tuple(SourceRecord(**r) for r in records)),
                   key=target, correlation=f"review:{review_id}")
    return Change(merge_id, source, target, len(records))


async def _split_off(conn: asyncpg.Connection, review_id: int, department: str, source_person_id: str,
                     record_debtor: str, candidate_debtor: str, actor: str, reason: str) -> Change:
    """The reviewed record leaves its identity for a new one of its own (a proposed split accepted)."""
    if record_debtor != candidate_debtor:  # a split or another decision already set them apart
        return Change("", record_debtor, record_debtor, 0)
    split_id = f"split-{uuid.uuid4()}"
    new_debtor = str(uuid.uuid4())
    await conn.execute("INSERT INTO debtors (debtor_id) VALUES ($1)", new_debtor)
    await conn.execute("UPDATE source_links SET debtor_id = $3, decided_by = $4 "
                       "WHERE (department, source_person_id) = ($1, $2)", department, source_person_id, new_debtor,
                       split_id)
    records = [{"department": department, "source_person_id": source_person_id}]
    await conn.execute(
        "INSERT INTO debtor_merges (merge_id, review_id, from_debtor_id, into_debtor_id, records, decided_by, "
        "reason) VALUES ($1, $2, $3, $4, $5, $6, $7)", split_id, review_id, record_debtor, new_debtor, records,
        actor, reason)
    await _publish(conn, DebtorSplit(merge_id=split_id, restored_debtor_id=new_debtor, from_debtor_id=record_debtor,
                                     records=(SourceRecord(department=department, source_person_id=source_person_id),)),
                   key=record_debtor, correlation=f"review:{review_id}")
    return Change(split_id, record_debtor, new_debtor, 1)


async def undo(conn: asyncpg.Connection, merge_id: str, actor: str, reason: str) -> Change:
    """Split a merge: its records go back to the identity they came from. Call inside a transaction."""
    merge = await conn.fetchrow("SELECT review_id, from_debtor_id, into_debtor_id, records, undone_at "
                                "FROM debtor_merges WHERE merge_id = $1 FOR UPDATE", merge_id)
    if merge is None:
        raise DecisionRefused(404, f"no merge {merge_id}")
    if merge["undone_at"] is not None:
        raise DecisionRefused(409, f"merge {merge_id} was already undone")
    records = merge["records"]
    back = await conn.fetch(
        "UPDATE source_links l SET debtor_id = $1, decided_by = $2 FROM jsonb_to_recordset($3::jsonb) "
        "AS r(department text, source_person_id text) WHERE (l.department, l.source_person_id) = "
        "(r.department, r.source_person_id) AND l.debtor_id = $4 RETURNING l.department, l.source_person_id",
        merge["from_debtor_id"], f"split:{merge_id}", records, merge["into_debtor_id"])
    if not back:
        raise DecisionRefused(409, f"merge {merge_id}: its records have moved on since; nothing to split")
    now = datetime.now(UTC)
    await conn.execute("UPDATE debtor_merges SET undone_by = $2, undone_at = $3, undo_reason = $4 "
                       "WHERE merge_id = $1", merge_id, actor, now, reason)
    await conn.execute("UPDATE review_queue SET status = 'rejected', decided_by = $2, decided_at = $3, reason = $4 "
                       "WHERE review_id = $1", merge["review_id"], actor, now, f"merge undone: {reason}")
    await _publish(conn, DebtorSplit(merge_id=merge_id, restored_debtor_id=merge["from_debtor_id"],
                                     from_debtor_id=merge["into_debtor_id"],
                                     records=tuple(SourceRecord(department=r["department"],
                                                                source_person_id=r["source_person_id"])
                                                   for r in back)),
                   key=merge["into_debtor_id"], correlation=f"merge:{merge_id}")
    return Change(merge_id, merge["into_debtor_id"], merge["from_debtor_id"], len(back))
