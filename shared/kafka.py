"""Kafka helpers: the FastStream broker every service uses, explicit topic creation, and publishing envelopes.

Producers wait for all in-sync replicas (``acks=all``) with idempotence on, so a retried send never writes a
message twice. Consumers commit offsets only after the handler's effect is durable (``AckPolicy.NACK_ON_ERROR``
in the services: an exception re-delivers the message instead of skipping it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace

from contracts.envelope import (  # noqa: F401  (header names re-exported: they belong to the contract)
    HEADER_MESSAGE_ID,
    HEADER_MESSAGE_TYPE,
    HEADER_SCHEMA_VERSION,
    Envelope,
    encode_message,
)
from contracts.topics import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)

def create_broker(bootstrap_servers: str, *, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=trace.get_tracer_provider())],
        logger=logging.getLogger(f"{client_id}.kafka"),
        log_level=logging.DEBUG,  # per-message "Received/Processed" lines only when debugging
    )


def envelope_headers(message: Envelope) -> dict[str, str]:
    return {
        HEADER_MESSAGE_ID: str(message.message_id),
        HEADER_MESSAGE_TYPE: message.message_type,
        HEADER_SCHEMA_VERSION: str(message.schema_version),
        "content-type": "application/json",
    }


async def publish_envelope(broker: KafkaBroker, topic: TopicSpec, message: Envelope, *, key: str) -> None:
    """Publish one envelope and wait until the broker has it (acks=all)."""
    await broker.publish(
        encode_message(message),
        topic.name,
        key=key.encode(),
        headers=envelope_headers(message),
        correlation_id=message.correlation_id,
    )


async def publish_dead_letter(
    broker: KafkaBroker,
    topic: TopicSpec,
    *,
    source_topic: str,
    raw_value: bytes,
    headers: dict[str, str],
    key: bytes | None,
    error: str,
    consumer: str,
) -> None:
    """Send an unprocessable message aside with why it failed; the original value and headers are kept as they
    were so that a replay after a fix re-sends exactly what arrived."""
    dead_headers = {k: v for k, v in headers.items() if isinstance(v, str)}
    dead_headers.update(
        {
            "dlq-source-topic": source_topic,
            "dlq-consumer": consumer,
            "dlq-error": error[:2000],
            "dlq-failed-at": datetime.now(UTC).isoformat(),
        }
    )
    await broker.publish(raw_value, topic.name, key=key, headers=dead_headers)


@dataclass(frozen=True, slots=True)
class TopicDurability:
    """How many brokers hold each partition, and how many must have a write before ``acks=all`` returns.

    One broker (the default: a laptop, CI, the demo) holds one copy: losing its disk loses the messages not yet
    applied. A production cluster runs three brokers with ``replication_factor=3`` and ``min_insync_replicas=2``:
    one broker may fail or be upgraded with no message lost and producers still writing (docs/scaling.md)."""

    replication_factor: int = 1
    min_insync_replicas: int = 1

    def __post_init__(self) -> None:
        if self.replication_factor < 1:
            raise ValueError(f"KAFKA_REPLICATION_FACTOR must be at least 1, not {self.replication_factor}")
        if not 1 <= self.min_insync_replicas <= self.replication_factor:
            raise ValueError(f"KAFKA_MIN_INSYNC_REPLICAS must be between 1 and KAFKA_REPLICATION_FACTOR "
                             f"({self.replication_factor}), not {self.min_insync_replicas}")


def new_topic(spec: TopicSpec, durability: TopicDurability) -> NewTopic:
    """The creation request for a declared topic: its partitions and retention, the cluster's durability."""
    configs = {**spec.config(), "min.insync.replicas": str(durability.min_insync_replicas)}
    return NewTopic(spec.name, spec.partitions, durability.replication_factor, topic_configs=configs)


async def ensure_topics(bootstrap_servers: str, specs: Iterable[TopicSpec] = ALL_TOPICS, timeout: float = 60,
                        durability: TopicDurability | None = None) -> list[str]:
    """Create the declared topics that do not exist yet; returns the names created. Existing topics with fewer
    partitions or replicas than declared are reported as errors rather than silently left."""
    specs = list(specs)
    durability = durability or TopicDurability()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=int(timeout * 1000))
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(1)
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        created: list[str] = []
        for spec in missing:
            try:
                await admin.create_topics([new_topic(spec, durability)], timeout_ms=int(timeout * 1000))
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        while True:  # a new topic's partitions appear once their leaders are elected
            described = await admin.describe_topics([s.name for s in specs])
            partitions = {d["topic"]: len(d["partitions"]) for d in described}
            replicas = {d["topic"]: min((len(p["replicas"]) for p in d["partitions"]), default=0) for d in described}
            short = [f"{s.name} has {partitions.get(s.name, 0)} partitions, declared {s.partitions}"
                     for s in specs if partitions.get(s.name, 0) < s.partitions]
            short += [f"{s.name} has {replicas.get(s.name, 0)} replicas, KAFKA_REPLICATION_FACTOR is "
                      f"{durability.replication_factor}" for s in specs
                      if partitions.get(s.name, 0) and replicas.get(s.name, 0) < durability.replication_factor]
            if not short:
                break
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError("; ".join(short))
            await asyncio.sleep(0.2)
        return created
    finally:
        await admin.close()


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.kafka", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    topics = sub.add_parser("topics", help="create every declared topic that is missing")
    topics.add_argument("--bootstrap-servers", default=None)
    sub.add_parser("list", help="print the declared topics as JSON")
    args = parser.parse_args(argv)
    if args.command == "list":
        print(json.dumps([{"name": s.name, "partitions": s.partitions, "retention_ms": s.retention_ms}
                          for s in ALL_TOPICS], indent=2))
        return 0
    from shared.settings import ServiceSettings

    settings = ServiceSettings()
    bootstrap = args.bootstrap_servers or settings.kafka_bootstrap_servers
    durability = TopicDurability(settings.kafka_replication_factor, settings.kafka_min_insync_replicas)
    created = asyncio.run(ensure_topics(bootstrap, durability=durability))
    print(f"topics ready on {bootstrap}: {len(ALL_TOPICS)} declared, {len(created)} created"
          + (f" ({', '.join(created)})" if created else "")
          + f"; {durability.replication_factor} replica(s), min.insync.replicas {durability.min_insync_replicas}")
    if durability.replication_factor < 3:
        print("note: one copy per partition; a production cluster uses KAFKA_REPLICATION_FACTOR=3 and "
              "KAFKA_MIN_INSYNC_REPLICAS=2 (docs/scaling.md)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
