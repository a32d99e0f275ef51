"""The one consuming pattern every service uses for envelope topics.

- The value is decoded into its typed envelope; a message that breaks its contract goes to the service's
  dead-letter topic with the field-level reasons, and the consumer moves on.
- A failure of the infrastructure (database or broker unreachable) is raised, so FastStream does not commit the
  offset and the message is delivered again: nothing is lost while PostgreSQL restarts.
- Any other processing error is retried a few times, then dead-lettered with the error, so one poison message
  cannot stop a partition.
- The offset is committed only after the handler returned, i.e. after its effect was committed to PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from contracts.envelope import ContractError, Envelope, decode_message
from contracts.topics import TopicSpec
from shared.kafka import HEADER_MESSAGE_ID, publish_dead_letter

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    KafkaError,
)
PROCESSING_ATTEMPTS = 3

Handler = Callable[[Envelope], Awaitable[None]]


def subscribe_envelopes(
    broker: KafkaBroker,
    *,
    topic: TopicSpec,
    group_id: str,
    dead_letter: TopicSpec,
    consumer_name: str,
    handle: Handler,
    max_records: int = 500,
) -> None:
    """Register ``handle`` for every envelope on ``topic`` with the error policy described in the module."""

    async def dead_letter_it(msg: KafkaMessage, error: str, kind: str) -> None:
        """``error`` goes to the dead-letter topic (internal); the log line names only its ``kind``, since an
        exception's text may quote stored values."""
        raw = msg.raw_message
        await publish_dead_letter(
            broker,
            dead_letter,
            source_topic=raw.topic,
            raw_value=msg.body,
            headers=dict(msg.headers),
            key=raw.key,
            error=error,
            consumer=consumer_name,
        )
        log.warning(
            "message dead-lettered",
            extra={"topic": raw.topic, "partition": raw.partition, "offset": raw.offset,
                   "message_id": msg.headers.get(HEADER_MESSAGE_ID), "error_kind": kind},
        )

    @broker.subscriber(
        topic.name,
        group_id=group_id,
        auto_offset_reset="earliest",
        isolation_level="read_committed",  # adapters publish in transactions; never see aborted chunks
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_records=max_records,
    )
    async def on_message(msg: KafkaMessage) -> None:
        try:
            envelope = decode_message(msg.body)
        except ContractError as exc:
            await dead_letter_it(msg, f"contract: {exc}", "contract")
            return
        for attempt in range(1, PROCESSING_ATTEMPTS + 1):
            try:
                await handle(envelope)
                return
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:  # noqa: BLE001 - any other error is a property of this message
                if attempt == PROCESSING_ATTEMPTS:
                    await dead_letter_it(msg, f"processing: {exc.__class__.__name__}: {exc}", exc.__class__.__name__)
                    return
                await asyncio.sleep(0.2 * attempt)
