"""Resolving a departmental person record to a debtor id, in one transaction."""

import uuid

import asyncpg

from contracts import Department, PersonReference
from services.matching.identity import exact_key


async def resolve_debtor(conn: asyncpg.Connection, department: Department, person: PersonReference) -> str:
    """The debtor id for this person record; creates the identity when nothing links it.

    Idempotent: a record already linked gets its debtor again, so a redelivered message resolves the same way.
    Concurrent first sightings of one person are serialised by the unique keys (the loser adopts the winner).
    Runs in its own transaction, or in a savepoint of the caller's."""
    async with conn.transaction():
        linked = await conn.fetchval(
            "SELECT debtor_id FROM source_links WHERE department = $1 AND source_person_id = $2",
            department.value, person.source_person_id,
        )
        key = exact_key(person.name_kanji, person.birth_date)
        if linked is not None:
            if key is not None:  # a record first seen without name or birth date makes its key findable now
                await conn.execute("INSERT INTO exact_keys (key_hash, debtor_id) VALUES ($1, $2) "
                                   "ON CONFLICT (key_hash) DO NOTHING", key, linked)
            return str(linked)
        debtor_id = None
        if key is not None:
            debtor_id = await conn.fetchval("SELECT debtor_id FROM exact_keys WHERE key_hash = $1", key)
        decided_by = "exact_key" if debtor_id else "new_identity"
        if debtor_id is None:
            debtor_id = str(uuid.uuid4())
            await conn.execute("INSERT INTO debtors (debtor_id) VALUES ($1)", debtor_id)
            if key is not None:
                winner = await conn.fetchval(
                    "INSERT INTO exact_keys (key_hash, debtor_id) VALUES ($1, $2) ON CONFLICT (key_hash) DO NOTHING "
                    "RETURNING debtor_id", key, debtor_id,
                )
                if winner is None:  # another transaction registered this person first
                    await conn.execute("DELETE FROM debtors WHERE debtor_id = $1", debtor_id)
                    debtor_id = await conn.fetchval("SELECT debtor_id FROM exact_keys WHERE key_hash = $1", key)
                    decided_by = "exact_key"
        await conn.execute(
            "INSERT INTO source_links (department, source_person_id, debtor_id, decided_by) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (department, source_person_id) DO NOTHING",
            department.value, person.source_person_id, debtor_id, decided_by,
        )
        return str(await conn.fetchval(
            "SELECT debtor_id FROM source_links WHERE department = $1 AND source_person_id = $2",
            department.value, person.source_person_id,
        ))
