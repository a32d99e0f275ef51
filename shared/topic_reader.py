"""Reading a topic from its beginning to its end as it stands when the read starts: the ingest progress topic
(an import's resume point, the 運用 page's import history) and the dead-letter topics (what can be replayed).
Committed records only; no consumer group, so the read leaves no offsets behind."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord


async def read_to_end(bootstrap_servers: str, topic: str, timeout: float = 30
                      ) -> list[ConsumerRecord]:  # type: ignore[type-arg]
    """Every committed record of ``topic`` up to the end offsets taken at the start, partition by partition in
    offset order; TimeoutError when the end is not reached within ``timeout`` seconds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, isolation_level="read_committed",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        seen: list[ConsumerRecord] = []  # type: ignore[type-arg]
        deadline = asyncio.get_running_loop().time() + timeout

        async def behind() -> bool:
            return any([await consumer.position(tp) < end[tp] for tp in partitions])

        while await behind():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {topic} to its end within {timeout}s")
            for records in (await consumer.getmany(*partitions, timeout_ms=200)).values():
                seen += records
        return seen
    finally:
        await consumer.stop()
