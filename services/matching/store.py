"""Resolving departmental person records to debtors, a batch at a time, in the caller's transaction (名寄せ).

1. A record seen before keeps its debtor (its normalised fields and keys are refreshed): identities change
   only by an explicit merge or split, never silently. One first seen without a name (a payment's bare
   reference) is compared when it comes with one, and what it resembles goes to the review queue.
2. A new record is normalised; the records sharing a blocking key are its candidates (those stored, and the
   new records earlier in the same batch); each candidate is scored with the Fellegi–Sunter model
   (services/matching/scoring.py); pairs a person rejected are skipped.
3. The best candidate decides: **link** (above the link threshold: join its debtor), **review** (between the
   thresholds: a new identity now, and the pair in the review queue for a person to accept or reject), or
   **new** (below: a new identity). A wrong merge shows one resident's debts to another, so doubt never links.
4. The decision is stored with the per-field contributions of the score, so a person can see why.

A batch costs a fixed number of round trips whatever its size (look up links, lock keys, fetch candidates and
rejected pairs, then one bulk insert per table), which is what lets matching keep up with a nightly batch
against a million stored identities. The result equals resolving the records one by one in batch order.
The decisions between the round trips are pure functions (services/matching/resolution.py).

Concurrent first sightings of one person are serialised by transaction-level advisory locks on the records'
blocking keys, so two departments' records of a new person arriving at once are compared, not both new.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date

import asyncpg

from contracts import Department, PersonReference
from services.matching.blocking import record_keys
from services.matching.normalise import NormalisedPerson, normalise_person
from services.matching.resolution import Candidate, NewRecord, late_reviews, resolve_new_records, shortlist
from services.matching.scoring import (
    Model,
    NameFrequencies,
    frequency_values,
    pair_weigher,
    upper_bound,
)


@dataclass(frozen=True, slots=True)
class ResolveRequest:
    """One departmental person record to resolve. ``never_link_to``: a debtor this record must not join (the
    debtor of a claim that names this person as guarantor, child or household member: a relation, not the same
    person)."""

    department: Department
    person: PersonReference
    never_link_to: str | None = None
    #: The same, by the position of another request of the same call (resolved first): the person a claim
    #: names besides its debtor is resolved in one pass with that debtor.
    never_link_to_request: int | None = None


_FIELDS = tuple(f.name for f in fields(NormalisedPerson))


def normalised_to_json(person: NormalisedPerson) -> dict[str, object]:
    data: dict[str, object] = {name: getattr(person, name) for name in _FIELDS}  # flat: no deep copy needed
    data["birth_date"] = person.birth_date.isoformat() if person.birth_date else None
    return data


def normalised_from_json(data: dict[str, object] | str) -> NormalisedPerson:
    values = json.loads(data) if isinstance(data, str) else dict(data)
    born = values.get("birth_date")
    values["birth_date"] = date.fromisoformat(str(born)) if born else None
    return NormalisedPerson(**values)  # type: ignore[arg-type]


def _candidate_from_row(data: dict[str, object]) -> NormalisedPerson:
    """``normalised_from_json`` for a row the candidate query just decoded (a dict of its own: changed in place,
    a candidate is decoded by the thousand per batch)."""
    born = data.get("birth_date")
    if born:
        data["birth_date"] = date.fromisoformat(born)  # type: ignore[arg-type]
    return NormalisedPerson(**data)  # type: ignore[arg-type]


def frequency_hash(field_name: str, value: str) -> bytes:
    return hashlib.blake2b(f"frequency|{field_name}|{value}".encode(), digest_size=12).digest()


async def read_frequencies(conn: asyncpg.Connection, people: list[NormalisedPerson]) -> NameFrequencies:
    """The counts of these people's names, and the number of stored records (the planner's estimate: exact
    enough for a share, and no row every transaction would have to update)."""
    wanted = {frequency_hash(name, value): f"{name}|{value}"
              for person in people for name, value in frequency_values(person).items()}
    counts: dict[str, int] = {}
    records = 0
    for row in await conn.fetch(  # one round trip: the counts wanted, and the records (value_hash NULL)
            "SELECT value_hash, records FROM name_frequencies WHERE value_hash = ANY($1) UNION ALL "
            "SELECT NULL, greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'person_records'::regclass",
            list(wanted)):
        if row["value_hash"] is None:
            records = int(row["records"])
        else:
            counts[wanted[bytes(row["value_hash"])]] = int(row["records"])
    return NameFrequencies(counts, records)


async def count_names(conn: asyncpg.Connection, people: list[NormalisedPerson]) -> None:
    """Add these newly stored records' names to the counts (sorted, so concurrent transactions cannot deadlock)."""
    added: dict[bytes, int] = defaultdict(int)
    for person in people:
        for name, value in frequency_values(person).items():
            added[frequency_hash(name, value)] += 1
    if added:
        hashes = sorted(added)
        await conn.execute(
            "INSERT INTO name_frequencies (value_hash, records) SELECT * FROM unnest($1::bytea[], $2::bigint[]) "
            "ON CONFLICT (value_hash) DO UPDATE SET records = name_frequencies.records + EXCLUDED.records",
            hashes, [added[h] for h in hashes])


def _lock_ids(keys: list[bytes]) -> list[int]:
    return sorted({int.from_bytes(key[:8], "big", signed=True) for key in keys})


def _record_lock(record: tuple[str, str]) -> bytes:
    """A lock key for the departmental record itself: one record first seen by two transactions at once (as a
    debtor in one, as a guarantor in the other) is resolved by one of them."""
    return hashlib.blake2b(f"record|{record[0]}|{record[1]}".encode(), digest_size=12).digest()


async def resolve_batch(conn: asyncpg.Connection, requests: list[ResolveRequest], model: Model) -> list[str]:
    """The debtor id of each request, in order (see the module docstring). Call inside a transaction."""
    if not requests:
        return []
    records = [(r.department.value, r.person.source_person_id) for r in requests]
    # One person's record comes in many messages of a batch (every claim and payment of theirs): normalise it and
    # derive its keys once per distinct record as sent.
    normalised_once: dict[tuple[str, PersonReference], NormalisedPerson] = {}
    keys_once: dict[int, tuple[list[bytes], list[tuple[bytes, int]]]] = {}
    normalised = []
    for request in requests:
        person = normalised_once.get((request.department.value, request.person))
        if person is None:
            person = normalised_once[(request.department.value, request.person)] = normalise_person(request.person)
        normalised.append(person)
    stored_and_looked_up = []
    for person in normalised:
        found = keys_once.get(id(person))
        if found is None:
            found = keys_once[id(person)] = record_keys(person)
        stored_and_looked_up.append(found)
    keys = [k for k, _ in stored_and_looked_up]  # stored under
    lookups = [k for _, k in stored_and_looked_up]  # looked up by, each with how common it may be
    unique = list(dict.fromkeys(records))
    linked: dict[tuple[str, str], str] = {}
    as_stored: dict[tuple[str, str], NormalisedPerson] = {}
    for row in await conn.fetch(
        "SELECT l.department, l.source_person_id, l.debtor_id, p.normalised FROM source_links l "
        "JOIN unnest($1::text[], $2::text[]) AS q(department, source_person_id) USING (department, source_person_id) "
        "LEFT JOIN person_records p USING (department, source_person_id)",
        [d for d, _ in unique], [s for _, s in unique]):
        record = (row["department"], row["source_person_id"])
        linked[record] = str(row["debtor_id"])
        if row["normalised"] is not None:
            as_stored[record] = normalised_from_json(row["normalised"])
    # A record first seen as a bare reference (a payment naming the person's id alone) got an identity with
    # nothing compared; when it comes with a name, it is compared now, and what it resembles goes to review.
    named_late: dict[tuple[str, str], int] = {}
    for index, record in enumerate(records):
        if record in as_stored and record not in named_late and not _comparable(as_stored[record]) \
                and _comparable(normalised[index]):
            named_late[record] = index
    # A new record is decided on its first occurrence in the batch that carries a name: a bill and its payment
    # in one file name the same person, and the payment's bare reference has nothing to compare.
    first_sighting: dict[tuple[str, str], int] = {}
    for index, record in enumerate(records):
        if record not in linked and (record not in first_sighting or (
                not _comparable(normalised[first_sighting[record]]) and _comparable(normalised[index]))):
            first_sighting[record] = index
    if first_sighting:
        # Serialise first sightings that share a key or are the same record (every lock in one statement, in a
        # fixed order, so concurrent transactions cannot deadlock on them), then look again: another
        # transaction may have linked one of these records while this one waited.
        wanted_locks = [_record_lock(r) for r in first_sighting] + [
            key for i in first_sighting.values() for key, _ in lookups[i]]
        await conn.execute("SELECT pg_advisory_xact_lock(h) FROM unnest($1::bigint[]) AS h ORDER BY h",
                           _lock_ids(wanted_locks))
        for row in await conn.fetch(
            "SELECT l.department, l.source_person_id, l.debtor_id FROM source_links l "
            "JOIN unnest($1::text[], $2::text[]) AS q(department, source_person_id) "
            "USING (department, source_person_id)",
            [d for d, _ in first_sighting], [s for _, s in first_sighting]):
            record = (row["department"], row["source_person_id"])
            linked[record] = str(row["debtor_id"])
            del first_sighting[record]
    new_indexes = sorted(first_sighting.values())  # in batch order, as one by one
    compared = new_indexes + sorted(named_late.values())

    stored: dict[bytes, list[Candidate]] = defaultdict(list)
    rejected: set[tuple[str, str, str, str]] = set()
    if compared:
        limits = {key: limit for i in compared for key, limit in lookups[i]}
        wanted = sorted(limits)
        if wanted:
            for row in await conn.fetch(  # each candidate record once, with the wanted keys it is stored under
                "WITH hits AS (SELECT c.department, c.source_person_id, array_agg(q.key_hash) AS hit_keys "
                "  FROM unnest($1::bytea[], $2::int[]) AS q(key_hash, max_records) CROSS JOIN LATERAL ("
                "    SELECT k.department, k.source_person_id, count(*) OVER () AS sharing FROM ("
                "      SELECT department, source_person_id FROM blocking_keys "
                # one row past its cap is enough to know a key is shared by too many: it identifies nobody
                "      WHERE key_hash = q.key_hash LIMIT q.max_records + 1) AS k) AS c "
                "  WHERE c.sharing <= q.max_records "
                "  GROUP BY c.department, c.source_person_id) "
                "SELECT h.department, h.source_person_id, h.hit_keys, p.normalised FROM hits h "
                "JOIN person_records p USING (department, source_person_id)", wanted, [limits[k] for k in wanted]):
                candidate = Candidate(row["department"], row["source_person_id"],
                                      _candidate_from_row(row["normalised"]), None)
                for key in row["hit_keys"]:
                    stored[key].append(candidate)
        new_departments = [records[i][0] for i in compared]
        new_sources = [records[i][1] for i in compared]
        for row in await conn.fetch(
            "SELECT r.department, r.source_person_id, r.candidate_department, r.candidate_source_person_id "
            "FROM review_queue r JOIN unnest($1::text[], $2::text[]) AS q(department, source_person_id) "
            "ON (r.department, r.source_person_id) = (q.department, q.source_person_id) "
            "OR (r.candidate_department, r.candidate_source_person_id) = (q.department, q.source_person_id) "
            "WHERE r.status = 'rejected'", new_departments, new_sources):
            pair = (row["department"], row["source_person_id"], row["candidate_department"],
                    row["candidate_source_person_id"])
            rejected.add(pair)
            rejected.add(pair[2:] + pair[:2])

    frequencies = await read_frequencies(conn, [normalised[i] for i in compared]) if compared else None

    weigh = pair_weigher(model, frequencies)

    def bound(person: NormalisedPerson, other: NormalisedPerson) -> float:
        return upper_bound(person, other, model, model.review_threshold)

    new_records = [NewRecord(records[i], normalised[i], keys[i], lookups[i], requests[i].never_link_to,
                             records[requests[i].never_link_to_request]
                             if requests[i].never_link_to_request is not None else None) for i in new_indexes]
    # Score every new record against the stored candidates; keep those that may decide, then read the debtors of
    # just those in one query.
    contenders = [shortlist(new, stored, rejected, weigh, model.review_threshold, bound) for new in new_records]
    late = [NewRecord(record, normalised[i], keys[i], lookups[i]) for record, i in named_late.items()]
    late_contenders = [shortlist(named, stored, rejected, weigh, model.review_threshold, bound) for named in late]
    unread = {c.record: c for found in (*contenders, *late_contenders) for _, c in found}
    if unread:
        for row in await conn.fetch(
            "SELECT l.department, l.source_person_id, l.debtor_id FROM source_links l "
            "JOIN unnest($1::text[], $2::text[]) AS q(department, source_person_id) USING (department, source_person_id)",
            [d for d, _ in unread], [s for _, s in unread]):
            unread[(row["department"], row["source_person_id"])].debtor_id = str(row["debtor_id"])
    resolution = resolve_new_records(new_records, contenders, stored, rejected, linked, weigh, model,
                                     new_debtor_id=lambda: str(uuid.uuid4()))
    linked.update(resolution.debtor_of)
    debtors, links, decisions, reviews = (resolution.new_debtors, resolution.links, resolution.decisions,
                                          resolution.reviews)
    reviews = reviews + late_reviews(late, late_contenders, linked, model)

    # New rows go in with COPY (the fastest way into PostgreSQL); none of them can exist yet.
    if debtors:
        await conn.copy_records_to_table("debtors", records=[(d,) for d in debtors], columns=["debtor_id"])
    if links:
        await conn.copy_records_to_table("source_links", records=links,
                                         columns=["department", "source_person_id", "debtor_id", "decided_by"])
    await _remember(conn, requests, records, normalised, keys, new=set(first_sighting), as_stored=as_stored)
    if decisions:
        await conn.copy_records_to_table(
            "match_decisions", records=decisions,
            columns=["department", "source_person_id", "debtor_id", "decision", "candidate_department",
                     "candidate_source_person_id", "score", "contributions", "model_version"])
    if reviews:
        await conn.executemany(
            "INSERT INTO review_queue (department, source_person_id, candidate_department, "
            "candidate_source_person_id, score, contributions, model_version) VALUES ($1,$2,$3,$4,$5,$6,$7) "
            "ON CONFLICT DO NOTHING", reviews)
    return [linked[record] for record in records]


def _comparable(person: NormalisedPerson) -> bool:
    """Whether a record carries a name to compare (a payment's reference often carries the person's id alone)."""
    return bool(person.name or person.name_kana)


async def _remember(conn: asyncpg.Connection, requests: list[ResolveRequest], records: list[tuple[str, str]],
                    normalised: list[NormalisedPerson], keys: list[list[bytes]], *, new: set[tuple[str, str]],
                    as_stored: dict[tuple[str, str], NormalisedPerson]) -> None:
    """Store each record's normalised fields and blocking keys. A record seen before is refreshed only when it
    carries a name (a bare reference on a payment adds nothing to compare) and differs from what is stored (the
    usual case: the same person on every claim); the last version in the batch that carries a name wins, for a new
    record too."""
    latest: dict[tuple[str, str], int] = {}
    key_rows: dict[bool, set[tuple[bytes, str, str]]] = {True: set(), False: set()}
    for index, record in enumerate(records):
        if record in new:  # the last version that carries a name (a payment's bare reference after it adds none)
            if record not in latest or _comparable(normalised[index]) or not _comparable(normalised[latest[record]]):
                latest[record] = index
            key_rows[True].update((key, *record) for key in keys[index])
        elif _comparable(normalised[index]) and as_stored.get(record) != normalised[index]:
            latest[record] = index
            key_rows[False].update((key, *record) for key in keys[index])
    fresh = [(*record, normalised_to_json(normalised[i]), requests[i].person.model_dump(mode="json"))
             for record, i in latest.items() if record in new]
    await count_names(conn, [normalised[i] for record, i in latest.items() if record in new])
    if fresh:
        await conn.copy_records_to_table("person_records", records=fresh,
                                         columns=["department", "source_person_id", "normalised", "recorded"])
    if key_rows[True]:
        await conn.copy_records_to_table("blocking_keys", records=sorted(key_rows[True]),
                                         columns=["key_hash", "department", "source_person_id"])
    seen = [i for record, i in latest.items() if record not in new]
    if seen:
        await conn.execute(
            "INSERT INTO person_records (department, source_person_id, normalised, recorded) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[]) "
            "ON CONFLICT (department, source_person_id) DO UPDATE SET normalised = EXCLUDED.normalised, "
            "recorded = EXCLUDED.recorded, updated_at = now() "
            "WHERE person_records.normalised IS DISTINCT FROM EXCLUDED.normalised",
            [records[i][0] for i in seen], [records[i][1] for i in seen],
            [normalised_to_json(normalised[i]) for i in seen],
            [requests[i].person.model_dump(mode="json") for i in seen])
    if key_rows[False]:
        await conn.execute(
            "INSERT INTO blocking_keys (key_hash, department, source_person_id) "
            "SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
            *zip(*sorted(key_rows[False]), strict=True))


async def resolve_debtor(conn: asyncpg.Connection, department: Department, person: PersonReference,
                         model: Model, *, never_link_to: str | None = None) -> str:
    """The debtor id for one person record (a batch of one)."""
    return (await resolve_batch(conn, [ResolveRequest(department, person, never_link_to)], model))[0]


async def record_relations(conn: asyncpg.Connection, department: Department, debtor_id: str,
                           related: list[tuple[str, PersonReference]], model: Model) -> list[str]:
    """Resolve the people named on one claim (never into the claim's debtor) and keep them as relations."""
    return await record_relations_batch(conn, [(department, debtor_id, role, person) for role, person in related],
                                        model)


@dataclass(frozen=True, slots=True)
class ClaimPeople:
    """The people of one billing event: its debtor, and the others its claim names (role, person)."""

    department: Department
    debtor: PersonReference
    related: tuple[tuple[str, PersonReference], ...] = ()


async def resolve_claim_people(conn: asyncpg.Connection, events: list[ClaimPeople], model: Model) -> list[str]:
    """The debtor id of each event, resolving in the same pass the people its claim names (never into that
    debtor) and keeping them as relations. One resolution, so one set of locks per transaction."""
    requests = [ResolveRequest(e.department, e.debtor) for e in events]
    roles = []
    for position, event in enumerate(events):
        for role, person in event.related:
            requests.append(ResolveRequest(event.department, person, never_link_to_request=position))
            roles.append((position, role))
    resolved = await resolve_batch(conn, requests, model)
    debtors = resolved[:len(events)]
    rows = sorted({(debtors[position], related_id, role, events[position].department.value)
                   for (position, role), related_id in zip(roles, resolved[len(events):], strict=True)})
    if rows:
        await conn.execute(
            "INSERT INTO relations (debtor_id, related_debtor_id, role, department) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
            *zip(*rows, strict=True))
    return debtors


async def record_relations_batch(conn: asyncpg.Connection,
                                 related: list[tuple[Department, str, str, PersonReference]], model: Model) -> list[str]:
    """Resolve the people named on claims, each (department, debtor of the claim, role, person), and keep them
    as relations of that debtor; returns the related debtor ids in order."""
    if not related:
        return []
    related_ids = await resolve_batch(
        conn, [ResolveRequest(department, person, never_link_to=debtor_id)
               for department, debtor_id, _, person in related], model)
    rows = sorted({(debtor_id, related_id, role, department.value)
                   for (department, debtor_id, role, _), related_id in zip(related, related_ids, strict=True)})
    await conn.execute(
        "INSERT INTO relations (debtor_id, related_debtor_id, role, department) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
        *zip(*rows, strict=True))
    return related_ids
