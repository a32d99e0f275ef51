"""OpenTelemetry in one call per service: traces, and metrics (shared/metrics.py).

Exporters are chosen by the standard environment variables: ``OTEL_TRACES_EXPORTER`` (``zipkin_json``,
``otlp``, ``console`` or ``none``; a comma-separated list is allowed), with ``OTEL_EXPORTER_ZIPKIN_ENDPOINT`` and
``OTEL_EXPORTER_OTLP_ENDPOINT`` read by the exporters themselves. Trace context crosses Kafka in W3C
``traceparent``/``tracestate`` headers (FastStream's telemetry middleware, ``shared.kafka``) and HTTP through
the FastAPI instrumentation. Span attributes carry ids and counts only, never personal data: the URL attributes
of HTTP spans lose their query string (``QueryStringRedactor``), which may carry a filter or a person key.
"""

import os
from importlib.metadata import PackageNotFoundError, version

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

_provider: TracerProvider | None = None

#: Span attributes that hold a URL or its target (old and new HTTP semantic conventions).
URL_ATTRIBUTES = ("http.url", "url.full", "http.target", "url.path", "http.request.uri", "url.original")
#: Attributes that are nothing but a query string.
QUERY_ATTRIBUTES = ("url.query", "http.query")


def without_query(url: str) -> str:
    """``url`` up to its query string or fragment."""
    for mark in ("?", "#"):
        url = url.split(mark, 1)[0]
    return url


def redact_query(span: Span, _scope: object = None) -> None:
    """Take the query string out of a span's URL attributes (and empty the query attributes). Also the FastAPI
    instrumentation's ``server_request_hook`` (``shared.http.instrument_app``): that instrumentation sets the URL
    attributes after the span started, so the hook, which runs after them, is where they are cut for HTTP spans."""
    if not span.is_recording():
        return
    attributes = span.attributes or {}
    for key in URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and ("?" in value or "#" in value):
            span.set_attribute(key, without_query(value))
    for key in QUERY_ATTRIBUTES:
        if attributes.get(key):
            span.set_attribute(key, "")


class QueryStringRedactor(SpanProcessor):
    """Takes the query string out of every span's URL attributes as it starts, for instrumentations that set
    them at the start (the FastAPI one sets them later: ``redact_query`` is its hook)."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        redact_query(span)


def product_version() -> str:
    try:
        return version("municipal-collection")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def _exporters(names: str) -> list[SpanExporter]:
    exporters: list[SpanExporter] = []
    for name in (n.strip() for n in names.split(",")):
        if name in ("", "none"):
            continue
        if name in ("zipkin", "zipkin_json"):
            from opentelemetry.exporter.zipkin.json import ZipkinExporter

            exporters.append(ZipkinExporter())
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        elif name == "console":
            exporters.append(ConsoleSpanExporter())
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER: unsupported exporter {name!r} (zipkin_json, otlp, console, none)")
    return exporters


def setup_telemetry(
    service_name: str, *, environment: str = "development", extra_processors: list[SpanProcessor] = ()
) -> TracerProvider:
    """Install the global tracer provider (once per process) and instrument asyncpg.

    ``OTEL_SERVICE_NAME`` overrides ``service_name``; ``extra_processors`` lets tests collect spans."""
    global _provider
    if _provider is not None:
        return _provider
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME", service_name),
            "service.version": product_version(),
            "deployment.environment": environment,
            "service.namespace": "municipal-collection",
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(QueryStringRedactor())
    for exporter in _exporters(os.environ.get("OTEL_TRACES_EXPORTER", "none")):
        provider.add_span_processor(BatchSpanProcessor(exporter))
    for processor in extra_processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)

    from shared.metrics import setup_metrics

    setup_metrics(resource)

    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AsyncPGInstrumentor(capture_parameters=False).instrument(tracer_provider=provider)
    _provider = provider
    return provider


def shutdown_telemetry() -> None:
    if _provider is not None:
        _provider.force_flush()
        _provider.shutdown()
