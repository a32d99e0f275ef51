"""Transactional outbox: write the messages a service produces in the same PostgreSQL transaction as the effect
they announce, then relay them to Kafka.

A service calls ``enqueue`` inside its transaction (the service's migrations create the ``outbox`` table, see
services/matching/migrations/0002_outbox.sql), and ``OutboxRelay.flush`` after the commit. The relay sends
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
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from faststream.kafka import KafkaBroker
from opentelemetry import propagate, trace

from contracts import Envelope, Payload, encode_message, new_envelope
from shared.kafka import envelope_headers
from shared.metrics import pipeline_metrics

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


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
    def __init__(self, pool: asyncpg.Pool, broker: KafkaBroker, *, service: str, batch_size: int = 2000):
        self.pool, self.broker, self.batch_size = pool, broker, batch_size
        self.measure = pipeline_metrics(service)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

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
                            confirmations.append(await self.broker.publish(
                                row["value"], row["topic"], key=row["message_key"],
                                headers={k: v for k, v in headers.items() if k not in ("traceparent", "tracestate")},
                                no_confirm=True))
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
