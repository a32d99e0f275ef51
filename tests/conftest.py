"""Session fixtures: the real infrastructure (tests/infrastructure.py), topics and pools; for end-to-end and
fault tests, every service as its own process, a span collector they export to, and a synthetic city
imported once through every adapter."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from contracts.sources import SOURCES
from shared.db import create_pool
from shared.kafka import ensure_topics
from shared.migrations import apply_migrations
from tests.departments import department_headers
from tests.e2e.processes import RunningService, run_services
from tests.e2e.telemetry import SpanCollector
from tests.e2e.welfare_receiver import WelfareReceiver
from tests.infrastructure import BUSINESS_DATE, ROOT, Infrastructure, provide_infrastructure
from tests.staff import staff_headers
from tools.synthetic_city.__main__ import write_city

# Tests run on the published development keys and passwords, which only a test or development deployment accepts
# (shared/deployment.py); a test that checks the refusal sets another value itself.
os.environ.setdefault("DEPLOYMENT_ENVIRONMENT", "test")


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    with provide_infrastructure() as infra:
        asyncio.run(ensure_topics(infra.kafka_bootstrap_servers))
        for name in ("matching", "collection", "lawyer_gateway", "welfare_referral"):
            apply_migrations(infra.database_urls[name], ROOT / "services" / name / "migrations")
        yield infra


@pytest.fixture(scope="session")
async def matching_pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(infrastructure.database_urls["matching"], min_size=1, max_size=5)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def collection_pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(infrastructure.database_urls["collection"], min_size=1, max_size=5)
    yield pool
    await pool.close()


CITY_AS_OF = BUSINESS_DATE
# The synthetic city's files as each source system hands them over (contracts/sources.py): batch files through the
# adapter's import command, the others (housing) pushed to its POST /imports.
BATCH_SOURCES = tuple(row for row in SOURCES if row.delivery == "file")
PUSHED_SOURCES = tuple(row for row in SOURCES if row.delivery == "push")


@pytest.fixture(scope="session")
def span_collector() -> Iterator[SpanCollector]:
    with SpanCollector() as collector:
        yield collector


@pytest.fixture(scope="session")
def e2e_env(infrastructure: Infrastructure, span_collector: SpanCollector) -> dict[str, str]:
    """Environment for service processes and command-line imports in end-to-end tests."""
    return {**os.environ, **infrastructure.service_env(), **span_collector.env()}


@pytest.fixture(scope="session")
def service_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-logs")


@pytest.fixture(scope="session")
def welfare_receiver() -> Iterator[WelfareReceiver]:
    """The welfare side's system, receiving the referral service's webhook deliveries."""
    receiver = WelfareReceiver()
    receiver.url = receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def services(infrastructure: Infrastructure, span_collector: SpanCollector, service_logs: Path,
             welfare_receiver: WelfareReceiver) -> Iterator[dict[str, RunningService]]:
    """Every service as its own process, once for all end-to-end tests."""
    webhook = {"WELFARE_REFERRAL_WEBHOOK_URL": welfare_receiver.url,
               "WELFARE_REFERRAL_WEBHOOK_RETRY_BASE_SECONDS": "0.3"}
    with run_services(infrastructure, service_logs, extra_env={**span_collector.env(), **webhook}) as running:
        yield running


@pytest.fixture(scope="session")
def staff(infrastructure: Infrastructure, services: dict[str, RunningService]) -> dict[str, dict[str, str]]:
    """Role (viewer, collector, supervisor, admin) → Authorization headers for the central API."""
    return staff_headers(infrastructure, services["collection"].url)


@dataclass
class ImportedCity:
    path: Path
    summary: dict[str, object]
    outputs: list[str]  # what the import commands and the push printed


@pytest.fixture(scope="session")
def imported_city(services: dict[str, RunningService], e2e_env: dict[str, str],
                  tmp_path_factory: pytest.TempPathFactory) -> ImportedCity:
    """A small synthetic city, imported as the departments do: batch files (tax, insurance, childcare, water) and
    housing pushed over HTTP."""
    city = tmp_path_factory.mktemp("city")
    summary = write_city(city, 120, 424242, "default", 2024, CITY_AS_OF, log=lambda _: None)
    outputs = []
    for row in BATCH_SOURCES:
        result = subprocess.run([sys.executable, *row.command("import", str(city / row.export_file), "--no-progress")],
                                cwd=ROOT, env=e2e_env, capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, f"{row.adapter}: {result.stdout}\n{result.stderr}"
        outputs += [result.stdout, result.stderr]
    for row in PUSHED_SOURCES:
        pushed = httpx.post(f"{services[row.adapter].url}/imports", params={"file_name": row.export_file},
                            content=(city / row.export_file).read_bytes(),
                            headers={"content-type": row.media_type, **department_headers(row.department)},
                            timeout=120)
        assert pushed.status_code == 200, pushed.text
        outputs.append(pushed.text)
    return ImportedCity(city, summary, outputs)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]  # noqa: ARG001
    from tests.figures import FIGURES

    if FIGURES:
        terminalreporter.section("figures reported by the tests")
        for line in FIGURES:
            terminalreporter.write_line(line)
