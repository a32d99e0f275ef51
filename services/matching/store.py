"""Resolving a departmental person record to a debtor, in the caller's transaction (名寄せ).

1. A record seen before keeps its debtor (its normalised fields and keys are refreshed): identities change
   only by an explicit merge or split, never silently.
2. A new record is normalised; the records sharing a blocking key are its candidates; each candidate is
   scored with the Fellegi–Sunter model (services/matching/scoring.py), pairs a person rejected are skipped.
3. The best candidate decides: **link** (above the link threshold: join its debtor), **review** (between the
   thresholds: a new identity now, and the pair in the review queue for a person to accept or reject), or
   **new** (below: a new identity). A wrong merge shows one resident's debts to another, so doubt never links.
4. The decision is stored with the per-field contributions of the score, so a person can see why.

Concurrent first sightings of one person are serialised by transaction-level advisory locks on the record's
blocking keys, so two departments' records of a new person arriving at once are compared, not both new.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import date

import asyncpg

from contracts import Department, PersonReference
from services.matching.blocking import blocking_keys
from services.matching.normalise import NormalisedPerson, normalise_person
from services.matching.scoring import Model, compare, decide, score

MAX_CANDIDATES = 200


def _to_json(person: NormalisedPerson) -> dict[str, object]:
    data = asdict(person)
    data["birth_date"] = person.birth_date.isoformat() if person.birth_date else None
    return data


def _from_json(data: dict[str, object] | str) -> NormalisedPerson:
    values = json.loads(data) if isinstance(data, str) else dict(data)
    born = values.get("birth_date")
    values["birth_date"] = date.fromisoformat(str(born)) if born else None
    return NormalisedPerson(**values)  # type: ignore[arg-type]


async def _remember(conn: asyncpg.Connection, department: str, source_id: str, person: NormalisedPerson,
                    keys: list[bytes], recorded: PersonReference) -> None:
    await conn.execute(
        "INSERT INTO person_records (department, source_person_id, normalised, recorded) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (department, source_person_id) DO UPDATE SET normalised = EXCLUDED.normalised, "
        "recorded = EXCLUDED.recorded, updated_at = now() "
        "WHERE person_records.normalised IS DISTINCT FROM EXCLUDED.normalised",
        department, source_id, _to_json(person), recorded.model_dump(mode="json"))
    if keys:
        await conn.executemany(
            "INSERT INTO blocking_keys (key_hash, department, source_person_id) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING", [(key, department, source_id) for key in keys])


async def resolve_debtor(conn: asyncpg.Connection, department: Department, person: PersonReference,
                         model: Model, *, never_link_to: str | None = None) -> str:
    """The debtor id for this person record (see the module docstring). Call inside a transaction.

    ``never_link_to``: a debtor this record must not join (the debtor of a claim that names this person as
    guarantor, child or household member: a relation, not the same person)."""
    source_id, dept = person.source_person_id, department.value
    normalised = normalise_person(person)
    keys = blocking_keys(normalised)
    linked = await conn.fetchval(
        "SELECT debtor_id FROM source_links WHERE department = $1 AND source_person_id = $2", dept, source_id)
    if linked is not None:
        if normalised.name or normalised.name_kana:  # a bare reference (a payment) adds nothing to compare
            await _remember(conn, dept, source_id, normalised, keys, person)
        return str(linked)

    if keys:  # serialise first sightings that share a key (one round trip, locks taken in a fixed order)
        await conn.execute("SELECT pg_advisory_xact_lock(h) FROM unnest($1::bigint[]) AS h ORDER BY h",
                           sorted({int.from_bytes(key[:8], "big", signed=True) for key in keys}))
    candidates = await conn.fetch(
        "SELECT DISTINCT p.department, p.source_person_id, p.normalised, l.debtor_id "
        "FROM blocking_keys k JOIN person_records p USING (department, source_person_id) "
        "JOIN source_links l USING (department, source_person_id) "
        "WHERE k.key_hash = ANY($1::bytea[]) AND NOT (p.department = $2 AND p.source_person_id = $3) "
        "AND l.debtor_id IS DISTINCT FROM $4 "
        "AND NOT EXISTS (SELECT 1 FROM review_queue r WHERE r.status = 'rejected' AND ("
        "  (r.department, r.source_person_id, r.candidate_department, r.candidate_source_person_id) = "
        "  ($2, $3, p.department, p.source_person_id) OR "
        "  (r.candidate_department, r.candidate_source_person_id, r.department, r.source_person_id) = "
        "  ($2, $3, p.department, p.source_person_id))) "
        f"LIMIT {MAX_CANDIDATES}",
        keys, dept, source_id, never_link_to)
    best, best_score = None, None
    for candidate in candidates:
        result = score(compare(normalised, _from_json(candidate["normalised"])), model)
        if best_score is None or result.total > best_score.total:
            best, best_score = candidate, result
    verdict = decide(best_score, model) if best_score is not None else "new"

    if verdict == "link" and best is not None:
        debtor_id = str(best["debtor_id"])
    else:
        debtor_id = str(uuid.uuid4())
        await conn.execute("INSERT INTO debtors (debtor_id) VALUES ($1)", debtor_id)
    await conn.execute(
        "INSERT INTO source_links (department, source_person_id, debtor_id, decided_by) VALUES ($1, $2, $3, $4)",
        dept, source_id, debtor_id, f"{verdict}:{model.version}")
    await _remember(conn, dept, source_id, normalised, keys, person)
    contributions = best_score.contributions if best_score is not None else None
    await conn.execute(
        "INSERT INTO match_decisions (department, source_person_id, debtor_id, decision, candidate_department, "
        "candidate_source_person_id, score, contributions, model_version) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        dept, source_id, debtor_id, verdict, best["department"] if best else None,
        best["source_person_id"] if best else None, best_score.total if best_score else None, contributions,
        model.version)
    if verdict == "review" and best is not None and best_score is not None:
        await conn.execute(
            "INSERT INTO review_queue (department, source_person_id, candidate_department, "
            "candidate_source_person_id, score, contributions, model_version) VALUES ($1,$2,$3,$4,$5,$6,$7) "
            "ON CONFLICT DO NOTHING",
            dept, source_id, best["department"], best["source_person_id"], best_score.total, contributions,
            model.version)
    return debtor_id


async def record_relations(conn: asyncpg.Connection, department: Department, debtor_id: str,
                           related: list[tuple[str, PersonReference]], model: Model) -> list[str]:
    """Resolve the people named on a claim (never into the claim's debtor) and keep them as relations."""
    related_ids = []
    for role, person in related:
        related_id = await resolve_debtor(conn, department, person, model, never_link_to=debtor_id)
        await conn.execute(
            "INSERT INTO relations (debtor_id, related_debtor_id, role, department) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT DO NOTHING", debtor_id, related_id, role, department.value)
        related_ids.append(related_id)
    return related_ids
