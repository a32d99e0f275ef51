"""Feeds back to the departments in collection's store: an item nobody acknowledged within the period is listed
and counted per department (what the alerting metric shows); a receipt takes it off, and only its own
department's receipt does."""

import uuid
from datetime import date

import asyncpg

from services.collection.stores.feeds import acknowledge, pending, unacknowledged, unacknowledged_counts

TODAY = date(2025, 1, 31)


async def test_late_items_are_listed_until_their_department_acknowledges_them(collection_pool: asyncpg.Pool) -> None:
    run = uuid.uuid4().hex[:8]
    async with collection_pool.acquire() as conn:
        ids = [await conn.fetchval(
            "INSERT INTO department_feed (source_ref, department, kind, source_person_id, occurred_on, reference, "
            "created_at) VALUES ($1, $2, 'demand_notice', $3, $4, $5, $6::date::timestamptz) RETURNING feed_id",
            f"test:{run}:{n}", department, f"P-{run}", TODAY, f"doc-{n}", gathered)
            for n, (department, gathered) in enumerate((("water", date(2025, 1, 20)), ("water", date(2025, 1, 30)),
                                                         ("tax", date(2025, 1, 10))))]
        late = {r["feed_id"] for r in await unacknowledged(conn, TODAY, 3, limit=10_000)}
        assert ids[0] in late and ids[2] in late and ids[1] not in late  # gathered yesterday: not late yet
        counts = await unacknowledged_counts(conn, TODAY, 3)
        assert counts.get("water", 0) >= 1 and counts.get("tax", 0) >= 1
        # the tax system cannot acknowledge the water department's items
        assert await acknowledge(conn, "tax", [ids[0], ids[2]], "system:tax-core") == ([ids[2]], [ids[0]])
        assert await acknowledge(conn, "water", [ids[0]], "system:water-billing") == ([ids[0]], [])
        late = {r["feed_id"] for r in await unacknowledged(conn, TODAY, 3, limit=10_000)}
        assert not late & set(ids)
        assert [r["feed_id"] for r in await pending(conn, "water", limit=10_000) if r["feed_id"] in ids] == [ids[1]]
        who = await conn.fetchval("SELECT acknowledged_by FROM department_feed WHERE feed_id = $1", ids[0])
    assert who == "system:water-billing"
