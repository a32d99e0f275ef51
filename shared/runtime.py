"""The runtime of a service with a database and Kafka consumers: a service declares what it has, this runs it.

A service says which database (its settings), which migrations, which topics it consumes (topic, consumer group,
batch handler), which periodic workers it runs and which routes it serves; the runtime does the rest the same way
for every service: logging and telemetry, migrations, the connection pool (and a small second pool for
authority checks, so a request holding a connection never waits for a second one of its own pool), the broker,
the outbox relay (with its table: ``shared/outbox.sql``), the workers, health and metrics routes, the request
guard, and an orderly stop. What is left in a service's ``app.py`` is what is particular to it.

Before: four services wired all of this by hand (create_app of 77–152 lines), each with its own copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from fastapi import APIRouter, FastAPI

from contracts.topics import TopicSpec
from shared.consumer import BatchHandler, subscribe_envelopes
from shared.db import create_pool
from shared.http import add_health_routes, database_check, guard_requests, instrument_app, serve_api_docs_locally
from shared.kafka import create_broker
from shared.logging import setup_logging
from shared.metrics import pipeline_metrics
from shared.migrations import apply_migrations
from shared.outbox import OutboxRelay, ensure_outbox_table
from shared.settings import DatabaseSettings
from shared.telemetry import setup_telemetry, shutdown_telemetry

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class _Worker:
    name: str
    interval: Callable[[], float]
    run_once: Hook


class ServiceRuntime:
    """One service's process: build it in the app factory, declare consumers and workers, then call ``app``."""

    def __init__(self, name: str, settings: DatabaseSettings, *, migrations: Path, dead_letter: TopicSpec,
                 auth_pool: bool = False):
        self.name, self.settings, self.migrations, self.dead_letter = name, settings, migrations, dead_letter
        setup_logging(name, settings.log_level)
        setup_telemetry(name, environment=settings.environment)
        self.broker = create_broker(settings.kafka_bootstrap_servers, client_id=name)
        self.measure = pipeline_metrics(name)
        self._wants_auth_pool = auth_pool
        self._pool: asyncpg.Pool | None = None
        self._auth_pool: asyncpg.Pool | None = None
        self._relay: OutboxRelay | None = None
        self._workers: list[_Worker] = []
        self._on_stop: list[Hook] = []

    # --- what a running service has ---------------------------------------------------------------------------

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.name} is not started: no database pool yet")
        return self._pool

    @property
    def auth_pool(self) -> asyncpg.Pool:
        if self._auth_pool is None:
            raise RuntimeError(f"{self.name} has no authority pool (auth_pool=True) or is not started")
        return self._auth_pool

    @property
    def relay(self) -> OutboxRelay:
        if self._relay is None:
            raise RuntimeError(f"{self.name} is not started: no outbox relay yet")
        return self._relay

    # --- what a service declares ------------------------------------------------------------------------------

    def consume(self, topic: TopicSpec, group_id: str, handle_batch: BatchHandler) -> None:
        """Consume ``topic`` in batches under ``group_id`` (shared/consumer.py); records that cannot be applied go
        to this service's dead-letter topic."""
        subscribe_envelopes(self.broker, topic=topic, group_id=group_id, dead_letter=self.dead_letter,
                            consumer_name=self.name, handle_batch=handle_batch,
                            max_records=self.settings.consumer_max_poll_records)

    def every(self, name: str, interval: Callable[[], float], run_once: Hook) -> None:
        """Run ``run_once`` in the background, then sleep ``interval()`` seconds, for as long as the service runs. A
        failed pass (a database restart, say) is logged and retried at the next tick: it never ends the worker."""
        self._workers.append(_Worker(name, interval, run_once))

    def on_stop(self, hook: Hook) -> None:
        """Something to close when the service stops (a client of another service), after the workers."""
        self._on_stop.append(hook)

    def app(self, *, title: str, description: str | None, routers: Sequence[APIRouter],
            middleware: Sequence[Callable[[FastAPI], None]] = ()) -> FastAPI:
        """The FastAPI application. ``middleware``: installers of the service's own middleware, put outside the
        request guard (so, e.g., an audit of every request also sees the requests the guard refused)."""
        app = FastAPI(title=title, version="1", lifespan=self._lifespan, description=description,
                      docs_url=None, redoc_url=None)
        serve_api_docs_locally(app)
        app.state.runtime = self
        app.state.broker = self.broker  # its subscribers are the service's consuming wiring (tests read them)
        app.state.settings = self.settings
        add_health_routes(app, {"kafka": lambda: self.broker.ping(2.0), "database": database_check(app)})
        for router in routers:
            app.include_router(router)
        guard_requests(app, self.settings.max_body_bytes)
        for install in middleware:
            install(app)
        instrument_app(app)
        return app

    # --- running ----------------------------------------------------------------------------------------------

    async def _run(self, worker: _Worker) -> None:
        while True:
            try:
                await worker.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("worker pass failed; retrying", extra={"worker": worker.name})
            await asyncio.sleep(worker.interval())

    @asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        settings = self.settings
        apply_migrations(settings.database_url, self.migrations)
        self._pool = app.state.pool = await create_pool(settings.database_url, min_size=settings.db_pool_min_size,
                                                        max_size=settings.db_pool_max_size)
        async with self._pool.acquire() as conn:
            await ensure_outbox_table(conn)
        if self._wants_auth_pool:
            self._auth_pool = app.state.auth_pool = await create_pool(settings.database_url, min_size=1, max_size=3)
        self.measure.watch_pool(self._pool)
        await self.broker.start()
        self._relay = app.state.relay = OutboxRelay(self._pool, service=self.name,
                                                    bootstrap_servers=settings.kafka_bootstrap_servers)
        self._relay.start()
        tasks = [asyncio.create_task(self._run(worker), name=worker.name) for worker in self._workers]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self._relay.stop()
            await self.broker.stop()
            for hook in self._on_stop:
                await hook()
            if self._auth_pool is not None:
                await self._auth_pool.close()
            await self._pool.close()
            shutdown_telemetry()
