"""POST /imports under load (issue 21): the body is counted while it streams in and refused at the limit without
reading the rest, and a multi-MB import is parsed off the event loop, so /healthz answers while it runs."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator

import httpx
import pytest

from shared.ingest.adapter import AdapterSpec, adapter_spec, create_adapter_app
from tests.departments import department_headers
from tests.infrastructure import Infrastructure
from tests.integration.test_exactly_once_publication import tax_file

pytestmark = pytest.mark.integration
SPEC = adapter_spec("tax")


def app_for(infra: Infrastructure, spec: AdapterSpec = SPEC, **overrides: object) -> httpx.AsyncClient:
    settings = SPEC.settings_cls(kafka_bootstrap_servers=infra.kafka_bootstrap_servers, **overrides)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=create_adapter_app(spec, settings))
    return httpx.AsyncClient(transport=transport, base_url="http://adapter", timeout=300,
                             headers=department_headers("tax"))


async def test_a_chunked_body_over_the_limit_is_refused_without_reading_the_rest(
        infrastructure: Infrastructure) -> None:
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:  # chunked: no Content-Length to refuse up front
        nonlocal pulled
        for _ in range(10_000):
            pulled += 1
            yield b"x" * 65536

    async with app_for(infrastructure, max_upload_bytes=1 << 20) as client:
        response = await client.post("/imports", params={"file_name": "huge.csv"}, content=endless())
    assert response.status_code == 413
    assert pulled <= 17 + 2, f"read {pulled} chunks of 64 KiB for a 1 MiB limit"


async def test_healthz_answers_while_a_large_import_is_parsed_and_published(infrastructure: Infrastructure) -> None:
    body = tax_file(30_000)  # about 3.4 MB of CP932 CSV: seconds of parsing
    assert len(body) > 3_000_000
    parsing, parsed = threading.Event(), threading.Event()

    def observed_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        parsing.set()
        try:
            return SPEC.parse_export(*args, **kwargs)
        finally:
            parsed.set()

    spec = dataclasses.replace(SPEC, parse_export=observed_parse)
    async with app_for(infrastructure, spec) as client:
        importing = asyncio.create_task(client.post("/imports", params={"file_name": "large.csv"}, content=body))
        answered_while_parsing = 0
        while not importing.done():
            started_during_parse = parsing.is_set() and not parsed.is_set()
            health = await client.get("/healthz")
            assert health.status_code in (200, 503)
            if started_during_parse and not parsed.is_set():  # asked and answered while the parse ran
                answered_while_parsing += 1
            await asyncio.sleep(0.02)
        response = await importing
    assert parsed.is_set()
    assert response.status_code == 200, response.text
    assert response.json()["published"] == 30_000
    assert answered_while_parsing >= 1, "/healthz did not answer while the export was being parsed"
