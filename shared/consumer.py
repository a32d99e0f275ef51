"""The one consuming pattern every service uses for envelope topics: batches, with a per-message error policy.

- Records are consumed in batches (up to ``max_records``) and handed to the service's batch handler, which
  applies them in one database transaction and publishes with one round of broker confirmations: the offsets
  are committed only after the handler returned, i.e. after the whole batch's effect is durable.
- A record that breaks its contract goes to the service's dead-letter topic with the field-level reasons and
  the original value and headers; the rest of the batch goes on.
- A failure of the infrastructure (database or broker unreachable, or PostgreSQL out of a resource: its disk
  full, out of memory or connections) is raised after a short pause: FastStream rewinds every partition to
  the batch's first record and the batch is delivered again, so nothing is lost (nor dead-lettered as if the
  record were at fault) while PostgreSQL restarts or its disk is full; the pause keeps the retries from
  hammering a database that cannot write.
- Any other error fails the batch, which is then retried one record at a time, so the one poison record is
  found, retried a few times and dead-lettered with its error, and its neighbours are applied.
- A message id applied before arriving again with another payload is not a redelivery: the service raises
  ``ConflictingRedelivery`` (compare ``payload_digest``), so the record is dead-lettered with that reason
  instead of being dropped as a duplicate.
- Each record keeps its own trace: ``Delivery.span`` continues the trace context that came in its headers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind

from contracts.envelope import ContractError, Envelope, decode_message
from contracts.topics import TopicSpec
from shared.kafka import HEADER_MESSAGE_ID, publish_dead_letter
from shared.metrics import pipeline_metrics

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.TransactionRollbackError,  # a deadlock or serialization failure: retrying is the cure
    # SQLSTATE class 53: disk full, out of memory, too many connections. The database's state, not the record's:
    # a record dead-lettered for it would be lost from the ledger.
    asyncpg.exceptions.InsufficientResourcesError,
    KafkaError,
)
PROCESSING_ATTEMPTS = 3
TRANSIENT_PAUSE_SECONDS = 0.5


@dataclass
class Delivery:
    """One consumed record: its envelope, where it came from, and the trace context its producer sent."""

    envelope: Envelope
    record: ConsumerRecord  # type: ignore[type-arg]
    trace_context: otel_context.Context

    def start_span(self, name: str) -> Span:
        """A span for this record's work, in the record's own trace; the caller ends it (for work done in
        phases, e.g. resolve in the batch's transaction, then publish)."""
        return tracer.start_span(
            name, context=self.trace_context, kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.source.name": self.record.topic,
                        "messaging.kafka.source.partition": self.record.partition,
                        "messaging.kafka.message.offset": self.record.offset,
                        "messaging.message.id": str(self.envelope.message_id),
                        "messaging.message.type": self.envelope.message_type},
        )

    @contextmanager
    def span(self, name: str) -> Iterator[Span]:
        """A span for this record's work, in the record's own trace, current while the block runs."""
        span = self.start_span(name)
        with trace.use_span(span, end_on_exit=True):
            yield span


@contextmanager
def batch_span(deliveries: list[Delivery], name: str) -> Iterator[Span]:
    """Spans for work done once for a whole batch (one transaction, a few statements for all its records): each
    record gets a span ``name`` in its own trace, covering the batch's work, and the batch gets one span,
    ``"<name> batch"``, current while the block runs (its statements become its children), a child of the first
    record's span with links to the others. Every record's span names the batch span in
    ``messaging.batch.span_id``, so a message can be followed to the batch's statements in any tracing UI, even
    one that drops links (Zipkin)."""
    spans = [delivery.start_span(name) for delivery in deliveries]
    parent = trace.set_span_in_context(spans[0]) if spans else None
    batch = tracer.start_span(f"{name} batch", context=parent, kind=SpanKind.INTERNAL,
                              links=[trace.Link(s.get_span_context()) for s in spans[1:]],
                              attributes={"messaging.batch.message_count": len(deliveries)})
    batch_id = format(batch.get_span_context().span_id, "016x")
    for span in spans:
        span.set_attribute("messaging.batch.span_id", batch_id)
    try:
        with trace.use_span(batch, end_on_exit=True, record_exception=True, set_status_on_exception=True):
            yield batch
    finally:
        for span in spans:
            span.end()


class ConflictingRedelivery(ValueError):
    """A message id that was applied before, arriving with another payload: two different records under one id
    (e.g. a department re-exported a claim with another amount under the same keys). Neither is silently
    dropped: the later one is dead-lettered with this reason for a person to decide."""

    def __init__(self, message_id: object):
        super().__init__(f"message id {message_id} was applied before with another payload; this one is not a "
                         "redelivery and was not applied")


def payload_digest(envelope: Envelope) -> bytes:
    """SHA-256 of the payload as serialised (the departmental record only: not the debtor id matching added, not
    the producer's timestamps), so a true redelivery has the same digest."""
    return hashlib.sha256(envelope.payload.model_dump_json().encode()).digest()


def _exit_after_commit_hook(topic: str) -> Callable[[], None]:
    """Test-only fault hook (``TEST_CONSUMER_EXIT_AFTER_BATCH="<topic>:<n>"``): the process exits at once (status
    137, like kill -9) after its n-th batch from ``topic`` was applied and committed to the database, before its
    Kafka offsets are committed: the window where a crash makes the batch come again. Unset in production."""
    wanted_topic, _, count = os.environ.get("TEST_CONSUMER_EXIT_AFTER_BATCH", "").partition(":")
    remaining = [int(count)] if wanted_topic == topic and count.isdigit() else []

    def after_batch() -> None:
        if remaining:
            remaining[0] -= 1
            if remaining[0] <= 0:
                log.warning("test hook: exiting after the database commit, before the offset commit",
                            extra={"topic": topic})
                logging.shutdown()
                os._exit(137)

    return after_batch


BatchHandler = Callable[[list[Delivery]], Awaitable[None]]


def _headers(record: ConsumerRecord) -> dict[str, str]:  # type: ignore[type-arg]
    return {key: value.decode(errors="replace") for key, value in record.headers or ()}


def subscribe_envelopes(
    broker: KafkaBroker,
    *,
    topic: TopicSpec,
    group_id: str,
    dead_letter: TopicSpec,
    consumer_name: str,
    handle_batch: BatchHandler,
    max_records: int = 500,
) -> None:
    """Register ``handle_batch`` for the envelopes on ``topic`` with the policy described in the module."""
    measure = pipeline_metrics(consumer_name)
    after_batch = _exit_after_commit_hook(topic.name)

    async def dead_letter_it(record: ConsumerRecord, error: str, kind: str) -> None:  # type: ignore[type-arg]
        """``error`` goes to the dead-letter topic (internal); the log line names only its ``kind``, since an
        exception's text may quote stored values."""
        headers = _headers(record)
        await publish_dead_letter(broker, dead_letter, source_topic=record.topic, raw_value=record.value or b"",
                                  headers=headers, key=record.key, error=error, consumer=consumer_name)
        measure.dead_lettered(record.topic, kind if kind == "contract" else "processing")
        log.warning("message dead-lettered", extra={
            "topic": record.topic, "partition": record.partition, "offset": record.offset,
            "message_id": headers.get(HEADER_MESSAGE_ID), "error_kind": kind})

    async def one_by_one(deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            for attempt in range(1, PROCESSING_ATTEMPTS + 1):
                try:
                    await handle_batch([delivery])
                    break
                except TRANSIENT_ERRORS:
                    raise
                except Exception as exc:  # noqa: BLE001 - any other error is a property of this record
                    if attempt == PROCESSING_ATTEMPTS:
                        await dead_letter_it(delivery.record, f"processing: {exc.__class__.__name__}: {exc}",
                                             exc.__class__.__name__)
                    else:
                        await asyncio.sleep(0.2 * attempt)

    async def _record_lag(msg: KafkaMessage) -> None:
        """Lag of every assigned partition of this topic: the broker's end minus this consumer's position (the
        position, not the last record's offset, since transaction markers take offsets too)."""
        consumer = msg.consumer
        if not hasattr(consumer, "highwater"):  # FastStream's in-memory test consumer
            return
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if tp.topic == topic.name and end is not None:
                measure.lag(topic.name, tp.partition, max(end - await consumer.position(tp), 0))

    @broker.subscriber(
        topic.name,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=100,
        auto_offset_reset="earliest",
        isolation_level="read_committed",  # adapters publish in transactions; never see aborted chunks
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_batch(msg: KafkaMessage) -> None:
        records: tuple[ConsumerRecord, ...] = msg.raw_message  # type: ignore[assignment,type-arg]
        measure.consumed(topic.name, len(records))
        await _record_lag(msg)
        deliveries: list[Delivery] = []
        for record in records:
            try:
                envelope = decode_message(record.value or b"")
            except ContractError as exc:
                await dead_letter_it(record, f"contract: {exc}", "contract")
                continue
            deliveries.append(Delivery(envelope, record, propagate.extract(_headers(record))))
        if not deliveries:
            return
        try:
            await handle_batch(deliveries)
        except TRANSIENT_ERRORS as exc:
            # The error's class and SQLSTATE only: a database message may quote a value.
            log.warning("batch not applied: infrastructure unavailable; it will be delivered again", extra={
                "topic": topic.name, "records": len(deliveries), "error_kind": exc.__class__.__name__,
                "sqlstate": getattr(exc, "sqlstate", None)})
            await asyncio.sleep(TRANSIENT_PAUSE_SECONDS)
            raise
        except Exception:  # noqa: BLE001 - find the record that fails, apply the others
            log.info("batch failed; retrying its records one by one", extra={"records": len(deliveries)})
            await one_by_one(deliveries)
        after_batch()
