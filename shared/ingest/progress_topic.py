"""Reading the compacted ``ingest.progress.v1`` topic to its end: what an import resumes from
(publisher.read_progress) and what the 運用 page lists (history.read_import_history) are both its last records."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import INGEST_PROGRESS


async def read_progress_topic(bootstrap_servers: str, timeout: float = 30) -> list[tuple[bytes | None, bytes | None]]:
    """Every committed (key, value) of the progress topic in topic order, read up to the end offsets taken at the
    start; TimeoutError when the end is not reached within ``timeout`` seconds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, isolation_level="read_committed",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(INGEST_PROGRESS.name, p)
                      for p in sorted(consumer.partitions_for_topic(INGEST_PROGRESS.name) or {0})]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        seen: list[tuple[bytes | None, bytes | None]] = []
        deadline = asyncio.get_running_loop().time() + timeout

        async def behind() -> bool:
            return any([await consumer.position(tp) < end[tp] for tp in partitions])

        while await behind():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {INGEST_PROGRESS.name} to its end within {timeout}s")
            for records in (await consumer.getmany(*partitions, timeout_ms=200)).values():
                seen += [(r.key, r.value) for r in records]
        return seen
    finally:
        await consumer.stop()
