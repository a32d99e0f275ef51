"""Collection service: keeps the claim ledger from matched billing events and serves the central API.

Consumes ``billing.matched-events.v1`` in batches (every event already carries its debtor id) and applies each
message once, a batch per transaction (services/collection/store.py). The API answers from the same database.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from contracts.topics import BILLING_MATCHED, DEAD_LETTER_COLLECTION, IDENTITY_EVENTS
from services.collection.api import router
from services.collection.settings import CollectionSettings
from services.collection.store import apply_identity_change, apply_message
from shared.consumer import Delivery, subscribe_envelopes
from shared.db import create_pool
from shared.http import add_health_routes, instrument_app
from shared.kafka import create_broker
from shared.logging import setup_logging
from shared.metrics import pipeline_metrics
from shared.migrations import apply_migrations
from shared.telemetry import setup_telemetry, shutdown_telemetry

SERVICE = "collection"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: CollectionSettings | None = None) -> FastAPI:
    settings = settings or CollectionSettings()
    setup_logging(SERVICE, settings.log_level)
    setup_telemetry(SERVICE, environment=settings.environment)
    broker = create_broker(settings.kafka_bootstrap_servers, client_id=SERVICE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        apply_migrations(settings.database_url, MIGRATIONS)
        app.state.pool = await create_pool(settings.database_url, min_size=settings.db_pool_min_size,
                                           max_size=settings.db_pool_max_size)
        measure.watch_pool(app.state.pool)
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()
            await app.state.pool.close()
            shutdown_telemetry()

    app = FastAPI(title="Central collection API", version="1", lifespan=lifespan, description=__doc__)

    measure = pipeline_metrics(SERVICE)

    async def record(deliveries: list[Delivery]) -> None:
        """A batch in one transaction: its offsets are committed only after this commit."""
        applied = []
        async with app.state.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                with delivery.span(f"{BILLING_MATCHED.name} apply"):
                    applied.append(await apply_message(conn, delivery.envelope))
        for delivery, first_time in zip(deliveries, applied, strict=True):
            if first_time:
                measure.latency(delivery.envelope.produced_at, delivery.envelope.department.value)
            else:
                measure.duplicate(BILLING_MATCHED.name)

    subscribe_envelopes(
        broker,
        topic=BILLING_MATCHED,
        group_id="collection-ledger",
        dead_letter=DEAD_LETTER_COLLECTION,
        consumer_name=SERVICE,
        handle_batch=record,
        max_records=settings.consumer_max_poll_records,
    )

    async def change_identities(deliveries: list[Delivery]) -> None:
        """Merges and splits, in the order matching decided them (one partition), one transaction a batch."""
        async with app.state.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                with delivery.span(f"{IDENTITY_EVENTS.name} apply"):
                    await apply_identity_change(conn, delivery.envelope)

    subscribe_envelopes(
        broker,
        topic=IDENTITY_EVENTS,
        group_id="collection-identity",
        dead_letter=DEAD_LETTER_COLLECTION,
        consumer_name=SERVICE,
        handle_batch=change_identities,
        max_records=settings.consumer_max_poll_records,
    )

    async def database_ready() -> bool:
        async with app.state.pool.acquire() as conn:
            return await conn.fetchval("SELECT 1") == 1

    add_health_routes(app, {"kafka": lambda: broker.ping(2.0), "database": database_ready})
    app.include_router(router)
    instrument_app(app)
    return app
