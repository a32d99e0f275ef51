"""The pipeline's metrics, one set per process, exposed at ``/metrics`` in the Prometheus format.

Labels carry service, topic, partition, department and error kinds: never a person, a name or an id of a
record. Instruments (OpenTelemetry metrics API, Prometheus reader; OTLP too when ``OTEL_METRICS_EXPORTER``
names it):

- ``pipeline_messages_consumed_total{service,topic}``      records taken from a topic
- ``pipeline_messages_published_total{service,topic}``     records published (acknowledged) to a topic
- ``pipeline_messages_dead_lettered_total{service,topic,kind}``  records sent to a dead-letter topic
- ``pipeline_messages_duplicate_total{service,topic}``     redelivered records that changed nothing
- ``pipeline_consumer_lag{service,topic,partition}``       records behind the partition's end, per batch
- ``pipeline_latency_seconds{service,department}``         produced by the adapter → applied to the ledger
- ``db_pool_connections{service,state}``                   asyncpg pool: in_use, idle, max
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime

import asyncpg
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def setup_metrics(resource: Resource) -> MeterProvider:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    readers: list[MetricReader] = [PrometheusMetricReader()]
    if "otlp" in os.environ.get("OTEL_METRICS_EXPORTER", ""):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    provider = MeterProvider(
        resource=resource, metric_readers=readers,
        views=[View(instrument_name="pipeline.latency",
                    aggregation=ExplicitBucketHistogramAggregation(LATENCY_BUCKETS))],
    )
    metrics.set_meter_provider(provider)
    return provider


class PipelineMetrics:
    """The instruments of one service. Create once per process (``pipeline_metrics``)."""

    def __init__(self, service: str):
        self.service = service
        meter = metrics.get_meter("municipal-collection.pipeline")
        self._consumed = meter.create_counter("pipeline.messages.consumed", unit="{message}")
        self._published = meter.create_counter("pipeline.messages.published", unit="{message}")
        self._dead = meter.create_counter("pipeline.messages.dead_lettered", unit="{message}")
        self._duplicate = meter.create_counter("pipeline.messages.duplicate", unit="{message}")
        self._lag = meter.create_gauge("pipeline.consumer.lag", unit="{message}")
        self._latency = meter.create_histogram("pipeline.latency", unit="s",
                                               description="From the adapter producing a message to its effect")
        self._pools: list[asyncpg.Pool] = []
        meter.create_observable_gauge("db.pool.connections", callbacks=[self._observe_pools], unit="{connection}")

    def consumed(self, topic: str, count: int = 1) -> None:
        self._consumed.add(count, {"service": self.service, "topic": topic})

    def published(self, topic: str, count: int = 1) -> None:
        self._published.add(count, {"service": self.service, "topic": topic})

    def dead_lettered(self, topic: str, kind: str) -> None:
        self._dead.add(1, {"service": self.service, "topic": topic, "kind": kind})

    def duplicate(self, topic: str) -> None:
        self._duplicate.add(1, {"service": self.service, "topic": topic})

    def lag(self, topic: str, partition: int, behind: int) -> None:
        self._lag.set(behind, {"service": self.service, "topic": topic, "partition": str(partition)})

    def latency(self, produced_at: datetime, department: str) -> None:
        seconds = (datetime.now(UTC) - produced_at).total_seconds()
        self._latency.record(max(seconds, 0.0), {"service": self.service, "department": department})

    def watch_pool(self, pool: asyncpg.Pool) -> None:
        self._pools.append(pool)

    def _observe_pools(self, _: CallbackOptions) -> Iterable[Observation]:
        for pool in self._pools:
            size, idle = pool.get_size(), pool.get_idle_size()
            yield Observation(size - idle, {"service": self.service, "state": "in_use"})
            yield Observation(idle, {"service": self.service, "state": "idle"})
            yield Observation(pool.get_max_size(), {"service": self.service, "state": "max"})


_instances: dict[str, PipelineMetrics] = {}


def pipeline_metrics(service: str) -> PipelineMetrics:
    if service not in _instances:
        _instances[service] = PipelineMetrics(service)
    return _instances[service]
