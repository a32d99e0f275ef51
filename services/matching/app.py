"""Debtor matching service: attaches a unified debtor id to every billing event.

Consumes ``billing.source-events.v1`` in batches, resolves each departmental person record to a debtor
(services/matching/store.py) and republishes the same envelope, with ``debtor_id`` set and the same message
id, to ``billing.matched-events.v1`` keyed by debtor, so all of one debtor's events reach collection in order.
The matched messages go through a transactional outbox (shared/outbox.py): written in the transaction that
links the debtors, relayed after the commit; the offsets are committed after Kafka acknowledged them. A
redelivery resolves to the same debtor and republishes the same message id, which collection applies once.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from contracts.envelope import encode_message
from contracts.topics import BILLING_MATCHED, BILLING_SOURCE, DEAD_LETTER_MATCHING
from services.matching.api import router as review_router
from services.matching.model_versions import active_model, active_version
from services.matching.scoring import Model, load_model
from services.matching.settings import MatchingSettings
from services.matching.store import ClaimPeople, resolve_claim_people
from shared.auth import STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, Authenticator, TokenIssuer, TokenKeys
from shared.consumer import Delivery, subscribe_envelopes
from shared.db import create_pool
from shared.http import add_health_routes, database_check, guard_requests, instrument_app
from shared.kafka import create_broker, envelope_headers
from shared.logging import setup_logging
from shared.metrics import pipeline_metrics
from shared.migrations import apply_migrations
from shared.outbox import OutboxRelay, enqueue_many, outbox_message
from shared.staff_authority import RemoteStaffAuthority
from shared.telemetry import setup_telemetry, shutdown_telemetry

SERVICE = "debtor-matching"
MIGRATIONS = Path(__file__).parent / "migrations"


def by_partition(deliveries: list[Delivery], groups: int) -> list[list[Delivery]]:
    """Split a batch into at most ``groups`` non-empty parts, whole partitions each, order kept inside a part."""
    parts: list[list[Delivery]] = [[] for _ in range(max(groups, 1))]
    for delivery in deliveries:
        parts[delivery.record.partition % len(parts)].append(delivery)
    return [part for part in parts if part]


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    settings = settings or MatchingSettings()
    setup_logging(SERVICE, settings.log_level)
    setup_telemetry(SERVICE, environment=settings.environment)
    broker = create_broker(settings.kafka_bootstrap_servers, client_id=SERVICE)
    state: dict[str, Any] = {}
    measure = pipeline_metrics(SERVICE)
    packaged = load_model(settings.model_path)
    state["model"] = packaged

    async def current_model(conn) -> Model:  # type: ignore[no-untyped-def]
        """The version an administrator activated (looked up per batch, so every replica switches), else the
        packaged model."""
        version = await active_version(conn)
        if version is None:
            state["model"] = packaged
        elif state["model"].version != version:
            state["model"] = await active_model(conn, packaged)
        return state["model"]

    async def resolve_group(deliveries: list[Delivery]) -> None:
        """Resolve some of a batch's records (their debtors and the people their claims name, in one pass) and
        write their matched messages to the outbox, in one transaction."""
        envelopes = [delivery.envelope for delivery in deliveries]
        async with state["pool"].acquire() as conn, conn.transaction():
            model = await current_model(conn)
            debtor_ids = await resolve_claim_people(conn, [
                ClaimPeople(e.department, e.payload.person,  # type: ignore[attr-defined]
                            tuple((r.role.value, r.person) for r in getattr(e.payload, "related_persons", ())))
                for e in envelopes], model)
            outgoing = []
            for delivery, debtor_id in zip(deliveries, debtor_ids, strict=True):
                with delivery.span(f"{BILLING_SOURCE.name} match"):
                    matched = delivery.envelope.model_copy(update={"debtor_id": debtor_id})
                    outgoing.append(outbox_message(
                        message_id=matched.message_id, topic=BILLING_MATCHED.name, key=debtor_id.encode(),
                        value=encode_message(matched), headers=envelope_headers(matched)))
            await enqueue_many(conn, outgoing)

    async def attach_debtors(deliveries: list[Delivery]) -> None:
        """A batch in ``parallel_transactions`` transactions side by side, split by partition (one source
        record's events stay in one transaction, in order), so PostgreSQL works on one part while Python works
        on the other; then relay the outbox. The offsets are committed after Kafka acknowledged the messages;
        if one part fails the batch comes again, and the part already committed resolves the same way."""
        outcomes = await asyncio.gather(*(resolve_group(group)
                                          for group in by_partition(deliveries, settings.parallel_transactions)),
                                        return_exceptions=True)  # let every part finish before the batch fails
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        await state["relay"].flush()

    subscribe_envelopes(
        broker,
        topic=BILLING_SOURCE,
        group_id="debtor-matching",
        dead_letter=DEAD_LETTER_MATCHING,
        consumer_name=SERVICE,
        handle_batch=attach_debtors,
        max_records=settings.consumer_max_poll_records,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        apply_migrations(settings.database_url, MIGRATIONS)
        state["pool"] = app.state.pool = await create_pool(settings.database_url, min_size=settings.db_pool_min_size,
                                          max_size=settings.db_pool_max_size)
        measure.watch_pool(state["pool"])
        await broker.start()
        state["relay"] = app.state.relay = OutboxRelay(state["pool"], broker, service=SERVICE,
                                      bootstrap_servers=settings.kafka_bootstrap_servers)
        state["relay"].start()
        try:
            yield
        finally:
            await state["relay"].stop()
            await broker.stop()
            await state["pool"].close()
            await authority.close()
            shutdown_telemetry()

    app = FastAPI(title="Debtor matching", version="1", lifespan=lifespan, description=__doc__)
    app.state.broker = broker  # its subscribers are the service's consuming wiring (tests read them)
    app.state.packaged_model = packaged
    # Staff tokens are issued (and revoked) by the collection service; matching checks signature, audience,
    # expiry and role, and asks collection (the one authority, cached ≤ 60 s) whether the account still holds it.
    authority = RemoteStaffAuthority(settings.staff_authority_url, cache_seconds=settings.staff_authority_cache_seconds)
    app.state.authenticator = Authenticator(TokenIssuer(
        TokenKeys.parse(settings.auth_keys, settings.auth_active_kid), issuer=STAFF_TOKEN_ISSUER,
        audience=STAFF_TOKEN_AUDIENCE, ttl=timedelta(hours=8)), current_roles=authority)
    add_health_routes(app, {"kafka": lambda: broker.ping(2.0), "database": database_check(app)})
    app.include_router(review_router)
    instrument_app(app)
    guard_requests(app, settings.max_body_bytes)
    return app
