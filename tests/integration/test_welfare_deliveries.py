"""Webhook deliveries on the real database (delivery.py): a failing welfare system gets retries with growing
waits, a delivery is given up after the last attempt and sent again on request, two workers never send one
delivery at once; and collection's hold follows a referral's versions (cases.apply_referral_change)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
import httpx
import pytest

from contracts import DebtorMerged, ReferralChanged, SourceRecord, new_envelope
from services.collection.cases import apply_referral_change
from services.collection.store import apply_identity_change
from services.welfare_referral.delivery import DELIVERY_ID_HEADER, SIGNATURE_HEADER, deliver_due, retry_failed
from services.welfare_referral.signing import MAX_ATTEMPTS, verify
from shared.db import create_pool
from tests.infrastructure import Infrastructure

SECRET = b"integration-secret"


@pytest.fixture
async def deliveries(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    """A deliveries table of this test's own (a schema of its own), so a running welfare service's worker
    cannot send these rows first."""
    url = infrastructure.database_urls["welfare_referral"]
    schema = f"delivery_test_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}; "
                           f"CREATE TABLE {schema}.deliveries (LIKE public.deliveries INCLUDING ALL)")
    finally:
        await conn.close()
    pool = await create_pool(url, min_size=1, max_size=4, server_settings={"search_path": schema})
    yield pool
    await pool.close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await conn.close()


async def add_delivery(pool: asyncpg.Pool, body: bytes = b'{"referral_id":"R1"}') -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval("INSERT INTO deliveries (referral_id, event, body) VALUES ('R1', 'refer', $1) "
                                   "RETURNING delivery_id", body)


async def row(pool: asyncpg.Pool, delivery_id: int) -> asyncpg.Record:
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT *, next_attempt_at - now() AS wait FROM deliveries WHERE delivery_id = $1",
                                   delivery_id)


async def make_due(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("UPDATE deliveries SET next_attempt_at = now() WHERE status = 'pending'")


def receiver(statuses: list[int], seen: list[httpx.Request]) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(statuses.pop(0) if statuses else 200)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def test_retried_with_growing_waits_then_delivered_signed(deliveries: asyncpg.Pool) -> None:
    delivery_id = await add_delivery(deliveries)
    seen: list[httpx.Request] = []
    async with receiver([503, 500], seen) as client:
        kwargs = dict(url="http://welfare.test/referrals", secrets=[SECRET], retry_base=10.0, retry_cap=3600.0)
        first = await deliver_due(deliveries, client, **kwargs)
        after_first = await row(deliveries, delivery_id)
        assert (first.retried, after_first["attempts"], after_first["status"]) == (1, 1, "pending")
        assert 8.9 < after_first["wait"].total_seconds() <= 11.0  # 10 s ± 10 %
        assert (await deliver_due(deliveries, client, **kwargs)).delivered == 0  # not due yet
        await make_due(deliveries)
        await deliver_due(deliveries, client, **kwargs)
        assert 17.9 < (await row(deliveries, delivery_id))["wait"].total_seconds() <= 22.0  # doubled
        await make_due(deliveries)
        assert (await deliver_due(deliveries, client, **kwargs)).delivered == 1
    done = await row(deliveries, delivery_id)
    assert (done["status"], done["attempts"], done["last_error"]) == ("delivered", 3, None)
    assert [r.headers[DELIVERY_ID_HEADER] for r in seen] == [str(delivery_id)] * 3
    verify(SECRET, seen[-1].content, seen[-1].headers[SIGNATURE_HEADER], now=int(done["delivered_at"].timestamp()))


async def test_given_up_after_the_last_attempt_and_sent_again_on_request(deliveries: asyncpg.Pool) -> None:
    delivery_id = await add_delivery(deliveries)
    seen: list[httpx.Request] = []
    async with receiver([503] * MAX_ATTEMPTS, seen) as client:
        kwargs = dict(url="http://welfare.test/referrals", secrets=[SECRET], retry_base=1.0, retry_cap=5.0)
        for _ in range(MAX_ATTEMPTS):
            await make_due(deliveries)
            await deliver_due(deliveries, client, **kwargs)
        failed = await row(deliveries, delivery_id)
        assert (failed["status"], failed["attempts"]) == ("failed", MAX_ATTEMPTS)
        assert failed["last_error"] == "the welfare system answered 503"
        await make_due(deliveries)
        assert (await deliver_due(deliveries, client, **kwargs)).delivered == 0  # a failed one is not tried
        async with deliveries.acquire() as conn:
            assert await retry_failed(conn, delivery_id)
            assert not await retry_failed(conn, delivery_id)  # pending now: nothing to retry
        assert (await deliver_due(deliveries, client, **kwargs)).delivered == 1
    assert len(seen) == MAX_ATTEMPTS + 1 and (await row(deliveries, delivery_id))["status"] == "delivered"


async def test_two_workers_never_send_one_delivery_twice(deliveries: asyncpg.Pool) -> None:
    ids = [await add_delivery(deliveries, f'{{"n":{n}}}'.encode()) for n in range(30)]
    seen: list[httpx.Request] = []

    def slow(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as client:
        kwargs = dict(url="http://welfare.test/referrals", secrets=[SECRET], retry_base=1.0, retry_cap=5.0, batch=7)
        while True:
            passes = await asyncio.gather(*(deliver_due(deliveries, client, **kwargs) for _ in range(3)))
            if not any(p.delivered for p in passes):
                break
    sent = [int(r.headers[DELIVERY_ID_HEADER]) for r in seen]
    assert sorted(sent) == ids  # each exactly once


async def hold(pool: asyncpg.Pool, referral_id: str) -> asyncpg.Record | None:
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT debtor_id, reason, source_version, ended_at FROM collection_holds "
                                   "WHERE source_ref = $1", referral_id)


async def change(pool: asyncpg.Pool, referral_id: str, debtor: str, state: str, version: int) -> bool:
    payload = ReferralChanged(referral_id=referral_id, debtor_id=debtor, state=state, open=state != "closed",
                              pauses_collection=state not in ("suggested", "declined", "closed"),
                              signals=("hardship_noted",), changed_on=date(2025, 1, 31), version=version)
    now = datetime.now(UTC)
    message = new_envelope(payload, source_system="welfare-referral", department=None, correlation_id=referral_id,
                           source_keys=(referral_id, str(version)), occurred_at=now, produced_at=now)
    async with pool.acquire() as conn, conn.transaction():
        return await apply_referral_change(conn, message)


async def test_the_hold_follows_the_referral_versions_and_merges(collection_pool: asyncpg.Pool) -> None:
    referral, debtor, merged_into = f"R-{uuid.uuid4().hex[:8]}", f"D-{uuid.uuid4().hex[:8]}", f"D-{uuid.uuid4().hex[:8]}"
    assert not await change(collection_pool, referral, debtor, "suggested", 1)
    assert await hold(collection_pool, referral) is None  # a suggestion holds nothing
    assert await change(collection_pool, referral, debtor, "consented", 3)
    assert not await change(collection_pool, referral, debtor, "informed", 2)  # older: ignored
    held = await hold(collection_pool, referral)
    assert held["ended_at"] is None and held["source_version"] == 3 and "consented" in held["reason"]
    now = datetime.now(UTC)
    merge = new_envelope(  # matching merges the debtor into another: the hold moves with the person
        DebtorMerged(merge_id=f"M-{referral}", from_debtor_id=debtor, into_debtor_id=merged_into,
                     records=(SourceRecord(department="tax", source_person_id=f"T-{referral}"),)),
        source_system="matching", department=None, correlation_id=referral, source_keys=("merge", referral),
        occurred_at=now, produced_at=now)
    async with collection_pool.acquire() as conn, conn.transaction():
        assert await apply_identity_change(conn, merge)
    assert (await hold(collection_pool, referral))["debtor_id"] == merged_into
    assert await change(collection_pool, referral, debtor, "declined", 4)
    declined = await hold(collection_pool, referral)
    assert declined["ended_at"] is not None and declined["debtor_id"] == merged_into
    assert not await change(collection_pool, referral, debtor, "declined", 4)  # a replay
    assert await change(collection_pool, referral, debtor, "closed", 5)
    assert (await hold(collection_pool, referral))["ended_at"] == declined["ended_at"]
    assert await change(collection_pool, f"{referral}-b", debtor, "informed", 1)  # the old id finds the new debtor
    assert (await hold(collection_pool, f"{referral}-b"))["debtor_id"] == merged_into
