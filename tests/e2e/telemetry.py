"""A stand-in tracing backend for tests: receives the spans the services export (Zipkin JSON v2 over HTTP),
so tests can assert on real traces and search every exported attribute."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SpanCollector:
    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with collector._lock:
                    collector.spans.extend(json.loads(body))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                """Quiet: the test output is for the tests."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}/api/v2/spans"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SpanCollector:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()

    def env(self) -> dict[str, str]:
        """Environment that makes a service export its spans here, promptly."""
        return {"OTEL_TRACES_EXPORTER": "zipkin_json", "OTEL_EXPORTER_ZIPKIN_ENDPOINT": self.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "200"}

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.spans)

    def trace(self, trace_id: str) -> list[dict[str, Any]]:
        return [s for s in self.snapshot() if s["traceId"] == trace_id]
