"""Exactly-once publication of an import to Kafka.

Each import (identified by ``ParsedExport.import_key``: source system + SHA-256 of the content) is published
in chunks. Every chunk is one Kafka transaction holding the chunk's messages *and* a progress record on the
compacted ``ingest.progress.v1`` topic saying how far the import got. So, for consumers reading committed
messages only (every consumer here does):

- a crash or a Kafka outage mid-file leaves the open chunk aborted; running the same import again fences the
  dead producer (same transactional id), reads the progress, and continues after the last committed chunk:
  nothing is skipped and nothing is published twice;
- importing the same content again finds the import complete and publishes nothing.

Each message gets its own trace (a producer span), linked to the import's span, with the W3C context in the
Kafka headers, so a row can be followed through every consumer without one giant trace per batch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import TypeVar

from aiokafka import AIOKafkaProducer
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind

from contracts.topics import BILLING_SOURCE, INGEST_PROGRESS, INGEST_QUARANTINE
from shared.ingest.outage import ChunkDeadlineExceeded
from shared.ingest.progress_topic import read_progress_topic
from shared.ingest.records import ParsedExport, Rejection
from shared.ingest.streaming import StreamedExport
from shared.kafka import envelope_headers
from shared.metrics import pipeline_metrics

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

T = TypeVar("T")
DEFAULT_CHUNK = 2000
DEFAULT_CHUNK_DEADLINE = 60.0  # seconds for one step: connecting, reading progress, one chunk's transaction


async def _within(deadline: float, step: str, work: Coroutine[object, object, T]) -> T:
    """Run one step of publication with a deadline; a step that does not finish means Kafka is down or stalled.
    On timeout the step is cancelled without waiting for it (aborting a transaction on a dead broker would hang
    too; Kafka aborts it by itself, or the next run's producer fences it)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=deadline)
    if not done:
        task.cancel()
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "exception was never retrieved"
        raise ChunkDeadlineExceeded(f"{step} did not finish within {deadline:.0f} s (is Kafka down?)")
    return task.result()


@dataclass(frozen=True)
class Progress:
    accepted_done: int = 0
    rejected_done: int = 0
    completed: bool = False


@dataclass
class ImportSummary:
    source_system: str
    file_name: str
    import_key: str
    read: int
    published: int
    already_published: int
    rejected: int
    rejections: Sequence[Rejection] = field(default_factory=list)  # on disk for a streamed file

    @property
    def completed_before(self) -> bool:
        return self.published == 0 and self.already_published > 0

    def as_dict(self) -> dict[str, object]:
        return {
            "source_system": self.source_system,
            "file_name": self.file_name,
            "correlation_id": self.import_key,
            "read": self.read,
            "published": self.published,
            "already_published": self.already_published,
            "rejected": self.rejected,
            "rejections": [
                {"line": r.line, "problems": [{"field": p.field, "reason": p.reason} for p in r.problems]}
                for r in self.rejections
            ],
        }


async def read_progress(bootstrap_servers: str, import_key: str, timeout: float = 30) -> Progress:
    """The last committed progress of one import (reads the compacted progress topic to its end)."""
    wanted = import_key.encode()
    found = Progress()
    for key, value in await read_progress_topic(bootstrap_servers, timeout):
        if key == wanted and value is not None:
            record = json.loads(value)
            found = Progress(record["accepted_done"], record["rejected_done"], record["completed"])
    return found


def _progress_record(parsed: ParsedExport | StreamedExport, progress: Progress,
                     submitted_by: str | None = None) -> bytes:
    return json.dumps({
        "submitted_by": submitted_by,
        "import_key": parsed.import_key, "source_system": parsed.source_system, "file_name": parsed.file_name,
        "accepted_total": parsed.accepted_total, "rejected_total": len(parsed.rejected),
        "accepted_done": progress.accepted_done, "rejected_done": progress.rejected_done,
        "completed": progress.completed, "updated_at": datetime.now(UTC).isoformat(),
    }, ensure_ascii=False).encode()


def _quarantine_record(parsed: ParsedExport | StreamedExport, rejection: Rejection) -> bytes:
    return json.dumps({
        "source_system": parsed.source_system, "file_name": parsed.file_name,
        "correlation_id": parsed.import_key, "line": rejection.line, "raw": rejection.raw,
        "problems": [{"field": p.field, "reason": p.reason} for p in rejection.problems],
    }, ensure_ascii=False).encode()


class _ProgressReport:
    """A progress bar on a terminal; otherwise a plain line every few seconds (logs, CI, pipes)."""

    def __init__(self, total: int, enabled: bool, label: str):
        self.total, self.enabled, self.label = total, enabled, label
        self.done = 0
        self._bar = None
        self._last = 0.0
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="rec", desc=label)

    def update(self, count: int) -> None:
        if count == 0:
            return
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
        elif self.enabled:
            now = asyncio.get_running_loop().time()
            if now - self._last >= 2 or self.done == self.total:
                self._last = now
                print(f"{self.label}: {self.done}/{self.total} records", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


async def publish_import(
    bootstrap_servers: str,
    parsed: ParsedExport | StreamedExport,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: bool = False,
    on_chunk_committed: Callable[[int], None] | None = None,
    service: str = "ingest",
    submitted_by: str | None = None,
    chunk_deadline: float = DEFAULT_CHUNK_DEADLINE,
) -> ImportSummary:
    """Publish an import exactly once (see the module docstring). Raises on Kafka failure, or
    ChunkDeadlineExceeded when a step (connecting, reading progress, one chunk) takes longer than
    ``chunk_deadline`` seconds; run it again to resume. ``service`` labels the metrics; ``submitted_by`` (a
    department system or an operator account, never a name) goes into every progress record of the import."""
    measure = pipeline_metrics(service)
    with tracer.start_as_current_span(
        f"{parsed.source_system} import", kind=SpanKind.INTERNAL,
        attributes={"import.key": parsed.import_key, "import.records": parsed.records_read,
                    "import.rejected": len(parsed.rejected)},
    ) as import_span:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            transactional_id=f"ingest:{parsed.import_key}",
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            max_batch_size=1 << 20,
        )
        try:  # initialises the transactional id: fences an earlier producer of this import
            await _within(chunk_deadline, "connecting to Kafka", producer.start())
        except BaseException:
            await _stop(producer, chunk_deadline)
            raise
        report = _ProgressReport(parsed.records_read, progress, f"publishing {parsed.file_name}")
        try:
            before = await _within(
                chunk_deadline, "reading the import's progress",
                read_progress(bootstrap_servers, parsed.import_key, timeout=chunk_deadline))
            if before.completed:
                log.info("import already published", extra={"import_key": parsed.import_key})
                report.update(parsed.records_read)
                return ImportSummary(parsed.source_system, parsed.file_name, parsed.import_key,
                                     parsed.records_read, 0, parsed.accepted_total, len(parsed.rejected),
                                     parsed.rejected)
            report.update(before.accepted_done + before.rejected_done)
            state = before
            link = [Link(import_span.get_span_context())]
            records = parsed.iter_accepted()  # a list, or pieces parsed as they are needed (streaming.py)
            deque(islice(records, state.accepted_done), maxlen=0)  # committed before: skipped, not sent again
            while state.accepted_done < parsed.accepted_total:
                chunk = list(islice(records, chunk_size))
                if not chunk:
                    raise RuntimeError("the export gave fewer records than its check pass counted")
                state = await _within(
                    chunk_deadline, f"the chunk after record {state.accepted_done}",
                    _publish_chunk(producer, parsed, chunk, state, link, submitted_by))
                report.update(len(chunk))
                measure.published(BILLING_SOURCE.name, len(chunk))
                if on_chunk_committed is not None:
                    on_chunk_committed(state.accepted_done)
            await _within(chunk_deadline, "the rejected records and the final progress",
                          _publish_rejections(producer, parsed, state, submitted_by))
            report.update(len(parsed.rejected) - state.rejected_done)
            measure.published(INGEST_QUARANTINE.name, len(parsed.rejected) - state.rejected_done)
        finally:
            report.close()
            await _stop(producer, chunk_deadline)
        published = parsed.accepted_total - before.accepted_done
        log.info("import published", extra={"import_key": parsed.import_key, "submitted_by": submitted_by,
                                            "read": parsed.records_read,
                                            "published": published, "resumed_after": before.accepted_done,
                                            "rejected": len(parsed.rejected)})
        return ImportSummary(parsed.source_system, parsed.file_name, parsed.import_key, parsed.records_read,
                             published, before.accepted_done, len(parsed.rejected), parsed.rejected)


async def _publish_chunk(producer: AIOKafkaProducer, parsed: ParsedExport | StreamedExport, chunk: list, state: Progress,  # type: ignore[type-arg]
                         link: list[Link], submitted_by: str | None) -> Progress:
    """One Kafka transaction: the chunk's messages and the progress record saying the import got past them."""
    async with producer.transaction():
        for accepted in chunk:
            headers = envelope_headers(accepted.message)
            with tracer.start_as_current_span(
                f"{BILLING_SOURCE.name} publish", kind=SpanKind.PRODUCER, links=link,
                context=trace.set_span_in_context(trace.INVALID_SPAN),
                attributes={"messaging.system": "kafka",
                            "messaging.destination.name": BILLING_SOURCE.name,
                            "messaging.message.id": str(accepted.message.message_id),
                            "messaging.message.conversation_id": parsed.import_key},
            ):
                propagate.inject(headers)
            await producer.send(
                BILLING_SOURCE.name, accepted.message.model_dump_json().encode(),
                key=accepted.key.encode(), headers=[(k, v.encode()) for k, v in headers.items()],
            )
        state = Progress(state.accepted_done + len(chunk), state.rejected_done, completed=False)
        await producer.send(INGEST_PROGRESS.name, _progress_record(parsed, state, submitted_by),
                            key=parsed.import_key.encode())
    return state


async def _publish_rejections(producer: AIOKafkaProducer, parsed: ParsedExport | StreamedExport, state: Progress,
                              submitted_by: str | None) -> None:
    async with producer.transaction():
        for rejection in parsed.rejected[state.rejected_done:]:
            await producer.send(INGEST_QUARANTINE.name, _quarantine_record(parsed, rejection),
                                key=f"{parsed.import_key}:{rejection.line}".encode())
        final = Progress(state.accepted_done, len(parsed.rejected), completed=True)
        await producer.send(INGEST_PROGRESS.name, _progress_record(parsed, final, submitted_by),
                            key=parsed.import_key.encode())


async def _stop(producer: AIOKafkaProducer, deadline: float) -> None:
    """Stop the producer without hanging on a dead broker: the open transaction is aborted by Kafka anyway (it
    times out, or the next run's producer fences it)."""
    try:
        await _within(deadline, "stopping the producer", producer.stop())
    except Exception:  # noqa: BLE001 - stopping is best effort; the import's own error is what is reported
        log.warning("the Kafka producer did not stop cleanly")
