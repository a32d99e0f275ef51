"""The transactional outbox on the real database and broker: a message exists exactly when its transaction
committed, survives a broker that does not answer, and is relayed once the broker is back."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaConnectionError

from contracts.topics import TopicSpec
from shared.db import create_pool
from shared.kafka import ensure_topics
from shared.outbox import OutboxRelay, enqueue, ensure_outbox_table
from tests.infrastructure import Infrastructure


async def pending(pool: asyncpg.Pool, ids: list[uuid.UUID]) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE message_id = ANY($1::uuid[])", ids)


@pytest.fixture
async def own_outbox(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    """An outbox table of this test's own (a schema of its own in the matching database), so the relay of a
    matching service running beside the tests cannot send these rows first."""
    url = infrastructure.database_urls["matching"]
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS outbox_test")
    finally:
        await conn.close()
    pool = await create_pool(url, min_size=1, max_size=3, server_settings={"search_path": "outbox_test"})
    async with pool.acquire() as conn:
        await ensure_outbox_table(conn)  # the table as the runtime creates it (shared/outbox.sql)
    yield pool
    await pool.close()


async def test_outbox_holds_messages_until_kafka_has_them(infrastructure: Infrastructure,
                                                          own_outbox: asyncpg.Pool) -> None:
    matching_pool = own_outbox
    topic = TopicSpec(f"test.outbox.{uuid.uuid4().hex[:8]}", 1, 3_600_000, "test")
    await ensure_topics(infrastructure.kafka_bootstrap_servers, [topic])
    committed, rolled_back = uuid.uuid4(), uuid.uuid4()

    class Abort(Exception):
        """Makes the transaction roll back."""

    async with matching_pool.acquire() as conn:
        async with conn.transaction():
            await enqueue(conn, message_id=committed, topic=topic.name, key=b"k", value=b'{"n": 1}',
                          headers={"message-id": str(committed)})
            await enqueue(conn, message_id=committed, topic=topic.name, key=b"k", value=b'{"n": 1}',
                          headers={"message-id": str(committed)})  # a redelivery adds nothing
        with pytest.raises(Abort):
            async with conn.transaction():
                await enqueue(conn, message_id=rolled_back, topic=topic.name, key=b"k", value=b'{"n": 2}',
                              headers={"message-id": str(rolled_back)})
                raise Abort
    assert await pending(matching_pool, [committed, rolled_back]) == 1

    # The relay itself runs against a broker that does not answer (nothing listens on port 1): it selects the
    # row, fails to send it, and the row stays for the next flush.
    down = OutboxRelay(matching_pool, service="outbox-test", bootstrap_servers="127.0.0.1:1")
    attempted: list[str] = []
    send = down._send

    async def observed_send(topic: str, *args: object) -> object:
        attempted.append(topic)
        return await send(topic, *args)  # type: ignore[arg-type]

    down._send = observed_send  # type: ignore[method-assign]
    with pytest.raises(KafkaConnectionError):
        await asyncio.wait_for(down.flush(), 60)
    assert attempted == [topic.name], "the relay did not try to send the committed row"
    assert await pending(matching_pool, [committed]) == 1

    relay = OutboxRelay(matching_pool, service="outbox-test", bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    try:
        assert await relay.flush() >= 1
    finally:
        await relay.stop()
    assert await pending(matching_pool, [committed]) == 0

    consumer = AIOKafkaConsumer(topic.name, bootstrap_servers=infrastructure.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", group_id=f"outbox-{uuid.uuid4().hex}")
    await consumer.start()
    try:
        records = []
        for _ in range(20):
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                records += batch
            if records:
                break
    finally:
        await consumer.stop()
    assert [(r.key, r.value) for r in records] == [(b"k", b'{"n": 1}')]
    assert dict((k, v.decode()) for k, v in records[0].headers)["message-id"] == str(committed)
