"""Transactional outbox: write the messages a service produces in the same PostgreSQL transaction as the effect
they announce, then relay them to Kafka.

A service calls ``enqueue`` inside its transaction (the table is ``shared/outbox.sql``, created by the service
runtime at start), and ``OutboxRelay.flush`` after the commit. The relay sends
pending rows in the order they were written, waits for every acknowledgement (acks=all), then deletes them.
A crash after the commit but before the flush leaves the rows, and the relay's periodic flush sends them. A
crash after sending but before deleting sends them again: every consumer applies a message id once. Each row
keeps the W3C trace context of the work that produced it, so the relayed message continues that trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from contracts import Envelope, Payload, encode_message, new_envelope
from shared.kafka import HEADER_MESSAGE_ID, envelope_headers
from shared.metrics import pipeline_metrics

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
OUTBOX_TABLE = Path(__file__).with_name("outbox.sql")


async def ensure_outbox_table(conn: asyncpg.Connection) -> None:
    """Create the outbox table where it does not exist yet (idempotent; the runtime calls it at start)."""
    await conn.execute(OUTBOX_TABLE.read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    message_id: uuid.UUID
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]


def outbox_message(*, message_id: uuid.UUID, topic: str, key: bytes | None, value: bytes,
                   headers: dict[str, str]) -> OutboxMessage:
    """A message for the outbox carrying the current trace context (build it inside the span it continues)."""
    headers = dict(headers)
    propagate.inject(headers)
    return OutboxMessage(message_id, topic, key, value, headers)


async def enqueue_many(conn: asyncpg.Connection, messages: list[OutboxMessage]) -> None:
    """Add messages to the outbox inside the caller's transaction, in order, in one round trip."""
    if messages:
        await conn.executemany(
            "INSERT INTO outbox (message_id, topic, message_key, value, headers) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (message_id) DO NOTHING",
            [(m.message_id, m.topic, m.key, m.value, m.headers) for m in messages])


async def enqueue(conn: asyncpg.Connection, *, message_id: uuid.UUID, topic: str, key: bytes | None, value: bytes,
                  headers: dict[str, str]) -> None:
    """Add a message to the outbox inside the caller's transaction; the current trace context goes with it."""
    await enqueue_many(conn, [outbox_message(message_id=message_id, topic=topic, key=key, value=value,
                                             headers=headers)])


async def enqueue_event(conn: asyncpg.Connection, payload: Payload, *, topic: str, key: str, source_system: str,
                        correlation_id: str, source_keys: tuple[str, ...]) -> Envelope:
    """Enqueue an event a service decided itself (not a department's: no department on the envelope), stamped
    now, in the caller's transaction; its message id comes from ``source_keys``, so a retry adds nothing."""
    now = datetime.now(UTC)
    message = new_envelope(payload, source_system=source_system, department=None, occurred_at=now,
                           correlation_id=correlation_id, source_keys=source_keys, produced_at=now)
    await enqueue(conn, message_id=message.message_id, topic=topic, key=key.encode(), value=encode_message(message),
                  headers=envelope_headers(message))
    return message


class OutboxRelay:
    """Sends the outbox's rows to Kafka in id order and deletes them once Kafka acknowledged them.

    One send path: a Kafka producer of the relay's own (idempotent, acks=all, batching sends for a few
    milliseconds), so thousands of rows go out in a few produce requests, without the broker's per-message
    middleware."""

    def __init__(self, pool: asyncpg.Pool, *, service: str, bootstrap_servers: str, batch_size: int = 2000):
        self.pool, self.batch_size = pool, batch_size
        self.measure = pipeline_metrics(service)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._bootstrap = bootstrap_servers
        self._producer: AIOKafkaProducer | None = None

    async def _send(self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> Awaitable[object]:
        """Hand one row to Kafka; the returned awaitable completes when Kafka acknowledged it."""
        if self._producer is None:
            producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True,
                                        linger_ms=5, max_batch_size=1 << 20, client_id="outbox-relay")
            try:
                await producer.start()
            except BaseException:
                await producer.stop()  # a broker that does not answer: no half-started producer left behind
                raise
            self._producer = producer
        with tracer.start_as_current_span(f"{topic} publish", kind=SpanKind.PRODUCER, attributes={
                "messaging.system": "kafka", "messaging.destination.name": topic,
                "messaging.message.id": headers.get(HEADER_MESSAGE_ID, "")}):
            propagate.inject(headers)  # the consumer continues this trace
            return await self._producer.send(topic, value, key=key,
                                             headers=[(k, v.encode()) for k, v in headers.items()])

    async def flush(self) -> int:
        """Send every pending row; returns how many were sent. Raises if Kafka does not acknowledge them (the
        rows stay for the next flush)."""
        sent = 0
        async with self._lock:
            while True:
                async with self.pool.acquire() as conn, conn.transaction():
                    rows = await conn.fetch(
                        "SELECT outbox_id, topic, message_key, value, headers FROM outbox ORDER BY outbox_id "
                        "LIMIT $1 FOR UPDATE SKIP LOCKED", self.batch_size)
                    if not rows:
                        return sent
                    confirmations = []
                    for row in rows:
                        headers = row["headers"] if isinstance(row["headers"], dict) else json.loads(row["headers"])
                        context = propagate.extract(headers)
                        with tracer.start_as_current_span(f"{row['topic']} relay", context=context):
                            confirmations.append(await self._send(
                                row["topic"], row["message_key"], row["value"],
                                {k: v for k, v in headers.items() if k not in ("traceparent", "tracestate")}))
                    await asyncio.gather(*confirmations)
                    await conn.execute("DELETE FROM outbox WHERE outbox_id = ANY($1::bigint[])",
                                       [row["outbox_id"] for row in rows])
                for row in rows:
                    self.measure.published(row["topic"])
                sent += len(rows)

    def start(self, interval: float = 1.0) -> None:
        """Flush periodically in the background: rows a crash left behind are sent within ``interval``."""

        async def loop() -> None:
            while True:
                try:
                    await self.flush()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the next round retries; say why, without values
                    log.warning("outbox relay failed; retrying", extra={"error_kind": exc.__class__.__name__})
                await asyncio.sleep(interval)

        self._task = asyncio.create_task(loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
