"""Span attributes never keep a URL's query string (issue 18 §6)."""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry import QueryStringRedactor, without_query


def test_query_strings_leave_no_trace() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(QueryStringRedactor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("GET /debtor-lookup", attributes={
        "http.url": "http://127.0.0.1:8000/debtor-lookup?department=tax&source_person_id=T000123",
        "url.full": "http://127.0.0.1:8000/cases?holder=%E9%AB%99#frag",
        "http.target": "/debtor-lookup?department=tax&source_person_id=T000123",
        "url.query": "department=tax&source_person_id=T000123",
        "http.method": "GET", "http.status_code": 200,
    }):
        pass
    (span,) = exporter.get_finished_spans()
    assert span.attributes["http.url"] == "http://127.0.0.1:8000/debtor-lookup"
    assert span.attributes["url.full"] == "http://127.0.0.1:8000/cases"
    assert span.attributes["http.target"] == "/debtor-lookup"
    assert span.attributes["url.query"] == ""
    assert "T000123" not in repr(dict(span.attributes))
    assert span.attributes["http.method"] == "GET"


def test_without_query() -> None:
    assert without_query("/debtors/D1?as_of=2025-01-31") == "/debtors/D1"
    assert without_query("/healthz") == "/healthz"


def test_the_fastapi_instrumentation_keeps_no_query_string() -> None:
    """The real instrumentation sets the URL attributes after the span started; the hook cuts them after that."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    from shared.telemetry import redact_query

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(QueryStringRedactor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI()

    @app.get("/cases")
    async def cases(holder: str = "") -> dict[str, str]:
        return {}

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, server_request_hook=redact_query)
    TestClient(app).get("/cases", params={"holder": "T000123"})
    spans = exporter.get_finished_spans()
    assert spans and not any("T000123" in repr(dict(span.attributes or {})) for span in spans)
    (server,) = [span for span in spans if span.name == "GET /cases"]
    assert server.attributes["http.url"].endswith("/cases")
