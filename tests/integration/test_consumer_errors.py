"""The shared consuming pattern on a real broker: contract breaches and poison messages are dead-lettered
with their reason, good messages around them are processed, and nothing is skipped."""

import asyncio
import json
import uuid
from datetime import UTC, date, datetime

from aiokafka import AIOKafkaConsumer

from contracts import ClaimAssessed, Department, Envelope, PersonReference, encode_message, new_envelope
from contracts.topics import TopicSpec
from shared.consumer import PROCESSING_ATTEMPTS, Delivery, subscribe_envelopes
from shared.kafka import create_broker, ensure_topics, envelope_headers
from tests.infrastructure import Infrastructure


def message(claim_id: str) -> Envelope:
    payload = ClaimAssessed(
        claim_id=claim_id, person=PersonReference(source_person_id="1", name_kanji="髙橋 一郎"),
        receivable_type="light_vehicle_tax", legal_category="forced_public", fiscal_year=2024, installment=0,
        due_date=date(2024, 5, 31), amount=10_800, assessed_on=date(2024, 4, 10))
    return new_envelope(payload, source_system="tax-core", department=Department.TAX,
                        occurred_at=datetime.now(UTC), correlation_id="test", source_keys=(claim_id,),
                        produced_at=datetime.now(UTC))


async def read_all(bootstrap: str, topic: str, expected: int, timeout: float = 30) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"reader-{uuid.uuid4().hex}")
    await consumer.start()
    records = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_bad_messages_go_to_the_dead_letter_topic_and_good_ones_are_processed(
    infrastructure: Infrastructure,
) -> None:
    suffix = uuid.uuid4().hex[:8]
    source = TopicSpec(f"test.source.{suffix}", 1, 3_600_000, "test")
    dead = TopicSpec(f"test.dead.{suffix}", 1, 3_600_000, "test")
    await ensure_topics(infrastructure.kafka_bootstrap_servers, [source, dead])

    handled: list[str] = []
    attempts: dict[str, int] = {}

    async def handle(deliveries: list[Delivery]) -> None:
        """All or nothing, like a service's transaction: a batch holding the poison record changes nothing."""
        claim_ids = [d.envelope.payload.claim_id for d in deliveries]  # type: ignore[attr-defined]
        for claim_id in claim_ids:
            attempts[claim_id] = attempts.get(claim_id, 0) + 1
        if "poison" in claim_ids:
            raise ValueError("cannot apply this claim")
        handled.extend(claim_ids)

    broker = create_broker(infrastructure.kafka_bootstrap_servers, client_id=f"test-{suffix}")
    subscribe_envelopes(broker, topic=source, group_id=f"test-{suffix}", dead_letter=dead, consumer_name="test",
                        handle_batch=handle)
    await broker.start()
    try:
        good, poison = message("good-1"), message("poison")
        await broker.publish(encode_message(good), source.name, headers=envelope_headers(good))
        await broker.publish(b'{"message_type": "ClaimAssessed", "payload": {}}', source.name,
                             headers={"message-id": "broken-1"})
        await broker.publish(encode_message(poison), source.name, headers=envelope_headers(poison))
        last = message("good-2")
        await broker.publish(encode_message(last), source.name, headers=envelope_headers(last))
        dead_letters = await read_all(infrastructure.kafka_bootstrap_servers, dead.name, expected=2)
        for _ in range(100):
            if "good-2" in handled:
                break
            await asyncio.sleep(0.1)
    finally:
        await broker.stop()

    assert handled == ["good-1", "good-2"]
    assert PROCESSING_ATTEMPTS <= attempts["poison"] <= PROCESSING_ATTEMPTS + 1  # + the failed batch
    assert len(dead_letters) == 2
    contract, processing = dead_letters
    headers = {k: v.decode() for k, v in contract.headers}
    assert headers["dlq-source-topic"] == source.name and headers["message-id"] == "broken-1"
    assert headers["dlq-error"].startswith("contract: ") and "payload.claim_id" in headers["dlq-error"]
    assert contract.value == b'{"message_type": "ClaimAssessed", "payload": {}}'  # kept byte for byte
    headers = {k: v.decode() for k, v in processing.headers}
    assert headers["dlq-error"] == "processing: ValueError: cannot apply this claim"
    assert json.loads(processing.value)["payload"]["claim_id"] == "poison"


async def test_a_dead_letter_is_replayed_after_the_fix(infrastructure: Infrastructure) -> None:
    from shared.dead_letters import read_dead_letters, replay, select

    suffix = uuid.uuid4().hex[:8]
    source = TopicSpec(f"test.source.{suffix}", 1, 3_600_000, "test")
    dead = TopicSpec(f"test.dead.{suffix}", 1, 3_600_000, "test")
    await ensure_topics(infrastructure.kafka_bootstrap_servers, [source, dead])
    fixed = asyncio.Event()
    handled: list[str] = []

    async def handle(deliveries: list[Delivery]) -> None:
        if not fixed.is_set():
            raise ValueError("a bug")
        handled.extend(d.envelope.payload.claim_id for d in deliveries)  # type: ignore[attr-defined]

    broker = create_broker(infrastructure.kafka_bootstrap_servers, client_id=f"test-{suffix}")
    subscribe_envelopes(broker, topic=source, group_id=f"test-{suffix}", dead_letter=dead, consumer_name="test",
                        handle_batch=handle)
    await broker.start()
    try:
        victim = message("victim")
        await broker.publish(encode_message(victim), source.name, key=b"k", headers=envelope_headers(victim))
        letters = []
        for _ in range(100):
            letters = await read_dead_letters(infrastructure.kafka_bootstrap_servers, dead.name)
            if letters:
                break
            await asyncio.sleep(0.2)
        (letter,) = letters
        assert letter.message_id == str(victim.message_id) and letter.source_topic == source.name
        assert handled == []
        fixed.set()  # the fix is deployed
        chosen = select(letters, message_ids=[str(victim.message_id)])
        assert await replay(infrastructure.kafka_bootstrap_servers, chosen) == 1
        for _ in range(100):
            if handled:
                break
            await asyncio.sleep(0.1)
    finally:
        await broker.stop()
    assert handled == ["victim"]


async def test_a_full_database_disk_is_waited_out_not_dead_lettered(infrastructure: Infrastructure) -> None:
    """PostgreSQL out of space (SQLSTATE 53100) is the database's state, not the record's: the batch comes again
    until it can be written, and nothing goes to the dead-letter topic (where it would be lost to the ledger)."""
    import asyncpg

    suffix = uuid.uuid4().hex[:8]
    source = TopicSpec(f"test.source.{suffix}", 1, 3_600_000, "test")
    dead = TopicSpec(f"test.dead.{suffix}", 1, 3_600_000, "test")
    await ensure_topics(infrastructure.kafka_bootstrap_servers, [source, dead])
    refused, handled = [], []

    async def handle(deliveries: list[Delivery]) -> None:
        if len(refused) < PROCESSING_ATTEMPTS + 2:  # more refusals than a poison record is given
            refused.append(len(deliveries))
            raise asyncpg.exceptions.DiskFullError("could not extend file: No space left on device")
        handled.extend(d.envelope.payload.claim_id for d in deliveries)  # type: ignore[attr-defined]

    broker = create_broker(infrastructure.kafka_bootstrap_servers, client_id=f"test-{suffix}")
    subscribe_envelopes(broker, topic=source, group_id=f"test-{suffix}", dead_letter=dead, consumer_name="test",
                        handle_batch=handle)
    await broker.start()
    try:
        for claim_id in ("full-1", "full-2"):
            envelope = message(claim_id)
            await broker.publish(encode_message(envelope), source.name, headers=envelope_headers(envelope))
        for _ in range(300):
            if len(handled) >= 2:
                break
            await asyncio.sleep(0.1)
    finally:
        await broker.stop()
    assert len(refused) == PROCESSING_ATTEMPTS + 2
    assert sorted(handled) == ["full-1", "full-2"]
    assert await read_all(infrastructure.kafka_bootstrap_servers, dead.name, expected=1, timeout=3) == []
