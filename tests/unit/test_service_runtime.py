"""The service runtime's own rules (shared/runtime.py), without Kafka or PostgreSQL: a worker survives a failed
pass, nothing is used before the service started, and the app it builds carries the service's wiring."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from contracts.topics import BILLING_MATCHED, DEAD_LETTER_COLLECTION
from shared.runtime import ServiceRuntime
from shared.settings import DatabaseSettings


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> ServiceRuntime:
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "test")
    settings = DatabaseSettings(database_url="postgresql://runtime:secret@127.0.0.1:1/runtime")
    return ServiceRuntime("runtime-test", settings, migrations=Path("."), dead_letter=DEAD_LETTER_COLLECTION)


async def test_a_failed_worker_pass_is_logged_and_the_next_tick_runs_again(
        runtime: ServiceRuntime, caplog: pytest.LogCaptureFixture) -> None:
    passes: list[int] = []

    async def flaky() -> None:
        passes.append(len(passes))
        if len(passes) == 1:
            raise ConnectionRefusedError("the database restarts")

    runtime.every("flaky-worker", lambda: 0.01, flaky)
    with caplog.at_level(logging.ERROR, logger="shared.runtime"):
        task = asyncio.create_task(runtime._run(runtime._workers[0]))
        for _ in range(200):
            if len(passes) >= 3:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(passes) >= 3, "the worker stopped after its failed pass"
    failures = [r for r in caplog.records if r.getMessage() == "worker pass failed; retrying"]
    assert len(failures) == 1 and getattr(failures[0], "worker", None) == "flaky-worker"


def test_the_pool_and_relay_are_refused_before_the_service_started(runtime: ServiceRuntime) -> None:
    for used in ("pool", "relay", "auth_pool"):
        with pytest.raises(RuntimeError, match="runtime-test"):
            getattr(runtime, used)


def test_the_app_carries_the_consumers_routes_and_the_services_own_middleware_outside_the_guard(
        runtime: ServiceRuntime) -> None:
    async def handle(_deliveries: list) -> None:  # type: ignore[type-arg]
        return None

    runtime.consume(BILLING_MATCHED, "runtime-test-group", handle)
    installed: list[str] = []

    def audit(app) -> None:  # type: ignore[no-untyped-def]
        installed.append("audit")

        @app.middleware("http")
        async def noop(request, call_next):  # type: ignore[no-untyped-def]
            return await call_next(request)

    app = runtime.app(title="t", description=None, routers=[], middleware=[audit])
    assert installed == ["audit"]
    assert [(s.topic_names, s.group_id) for s in app.state.broker.subscribers] == [
        ([BILLING_MATCHED.name], "runtime-test-group")]
    paths = {getattr(route, "path", None) for route in app.routes}
    assert {"/healthz", "/readyz", "/metrics"} <= paths
    names = [m.cls.__name__ for m in app.user_middleware]  # outermost first
    assert names.index("BaseHTTPMiddleware") < names.index("RequestGuard")
