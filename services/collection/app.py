"""Collection service: keeps the claim ledger from matched billing events, one case per debtor, and serves the
central API.

Consumes ``billing.matched-events.v1`` in batches (every event already carries its debtor id) and applies each
message once, a batch per transaction (services/collection/store.py), queueing the debtors whose case must be
recomputed. The case worker (a task of this process) drains that queue and, once per business date and policy
version, recomputes every case (services/collection/cases.py). The API answers from the same database.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from contracts.topics import (
    BILLING_MATCHED,
    DEAD_LETTER_COLLECTION,
    IDENTITY_EVENTS,
    LAWYER_ACTIVITIES,
    WELFARE_REFERRALS,
)
from services.collection.allocation import load_allocation_policy
from services.collection.api import router
from services.collection.assignment import load_policy
from services.collection.cases import (
    apply_referral_change,
    drain_refresh_queue,
    record_lawyer_activity,
    start_of_day,
)
from services.collection.ledger import configure_legal_rules
from services.collection.reports import load_bureaus
from services.collection.settings import CollectionSettings
from services.collection.store import apply_batch, apply_identity_change, queue_case_refresh
from shared.auth import STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, Authenticator, Principal, TokenIssuer, TokenKeys
from shared.clock import business_date as one_business_date
from shared.consumer import Delivery, batch_span, subscribe_envelopes
from shared.db import create_pool
from shared.documents.letterhead import load_letterhead
from shared.http import add_health_routes, database_check, guard_requests, instrument_app
from shared.kafka import create_broker
from shared.logging import setup_logging
from shared.metrics import pipeline_metrics
from shared.migrations import apply_migrations
from shared.outbox import OutboxRelay
from shared.sign_in_limits import SignInLimits, parse_trusted_proxies
from shared.telemetry import setup_telemetry, shutdown_telemetry

SERVICE = "collection"
MIGRATIONS = Path(__file__).parent / "migrations"
TOKYO = ZoneInfo("Asia/Tokyo")
log = logging.getLogger(__name__)


def create_app(settings: CollectionSettings | None = None) -> FastAPI:
    settings = settings or CollectionSettings()
    setup_logging(SERVICE, settings.log_level)
    setup_telemetry(SERVICE, environment=settings.environment)
    broker = create_broker(settings.kafka_bootstrap_servers, client_id=SERVICE)
    assignment_policy = load_policy(settings.assignment_policy_path)
    allocation_policy = load_allocation_policy(settings.allocation_policy_path)
    configure_legal_rules(ordinances_path=settings.ordinances_path,
                          category_overrides=settings.receivable_category_overrides,
                          national_health_insurance_levy=settings.national_health_insurance_levy)
    report_bureaus = load_bureaus(settings.report_bureaus_path)  # refused at start, naming the setting
    load_letterhead()  # the city's letterhead (seal, prefecture of the 教示): refused at start, naming the file

    def business_date() -> date:
        return one_business_date(settings.business_date)

    async def case_worker() -> None:
        """Recompute queued cases; once per business date (and policy version) queue them all first."""
        while True:
            try:
                today = business_date()
                await start_of_day(app.state.pool, as_of=today, policy=assignment_policy)
                done = await drain_refresh_queue(app.state.pool, as_of=today, policy=assignment_policy)
                if done.debtors:
                    await app.state.relay.flush()  # what the firms hold changed: tell the lawyer gateway now
                    log.info("cases recomputed", extra={"debtors": done.debtors, "opened": done.opened,
                                                        "closed": done.closed, "causes": done.by_cause})
            except asyncio.CancelledError:
                raise
            except Exception:  # a database restart must not end the worker: it retries at the next tick
                log.exception("case worker pass failed; retrying")
            await asyncio.sleep(settings.case_worker_interval_seconds)

    async def current_roles(principal: Principal, _token: str) -> frozenset[str] | None:
        """This service is the one authority for staff accounts: the roles the account holds now, or None when
        it is unknown, disabled, or signed out everywhere after the token was issued. Checked on a pool of its
        own: a request may already hold a connection of the main pool, and fifty requests each waiting for a
        second one would wait for ever."""
        async with app.state.auth_pool.acquire() as conn:
            row = await conn.fetchrow("SELECT roles, tokens_valid_after FROM staff_accounts "
                                      "WHERE staff_id = $1 AND active", principal.subject)
        if row is None or principal.issued_at < row["tokens_valid_after"] - timedelta(seconds=1):
            return None
        return frozenset(row["roles"])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        apply_migrations(settings.database_url, MIGRATIONS)
        app.state.pool = await create_pool(settings.database_url, min_size=settings.db_pool_min_size,
                                           max_size=settings.db_pool_max_size)
        app.state.auth_pool = await create_pool(settings.database_url, min_size=1, max_size=3)
        measure.watch_pool(app.state.pool)
        await broker.start()
        app.state.relay = OutboxRelay(app.state.pool, broker, service=SERVICE,
                                      bootstrap_servers=settings.kafka_bootstrap_servers)
        app.state.relay.start()
        worker = asyncio.create_task(case_worker(), name="case-worker")
        try:
            yield
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await app.state.relay.stop()
            await broker.stop()
            await app.state.auth_pool.close()
            await app.state.pool.close()
            shutdown_telemetry()

    app = FastAPI(title="Central collection API", version="1", lifespan=lifespan, description=__doc__)
    app.state.broker = broker  # its subscribers are the service's consuming wiring (tests read them)
    app.state.settings = settings
    app.state.assignment_policy = assignment_policy
    app.state.allocation_policy = allocation_policy
    app.state.report_bureaus = report_bureaus
    app.state.authenticator = Authenticator(
        TokenIssuer(TokenKeys.parse(settings.auth_keys, settings.auth_active_kid), issuer=STAFF_TOKEN_ISSUER,
                    audience=STAFF_TOKEN_AUDIENCE, ttl=timedelta(minutes=settings.auth_token_minutes)),
        current_roles=current_roles)

    app.state.sign_in_limits = SignInLimits(
        account_failures=settings.sign_in_account_failures, lockout_seconds=settings.sign_in_lockout_seconds,
        lockout_max_seconds=settings.sign_in_lockout_max_seconds, address_failures=settings.sign_in_address_failures,
        address_window_seconds=settings.sign_in_address_window_seconds)
    app.state.trusted_proxies = parse_trusted_proxies(settings.trusted_proxies)

    measure = pipeline_metrics(SERVICE)

    async def record(deliveries: list[Delivery]) -> None:
        """A batch in one transaction: its offsets are committed only after this commit."""
        touched: set[str] = set()
        with batch_span(deliveries, f"{BILLING_MATCHED.name} apply"):
            async with app.state.pool.acquire() as conn, conn.transaction():
                applied = await apply_batch(conn, [d.envelope for d in deliveries], touched=touched)
                await queue_case_refresh(conn, touched, "billing events")
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

    async def record_activities(deliveries: list[Delivery]) -> None:
        """What the firms recorded, one transaction a batch; a returned case is reassigned at once."""
        async with app.state.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                with delivery.span(f"{LAWYER_ACTIVITIES.name} apply"):
                    await record_lawyer_activity(conn, delivery.envelope, as_of=business_date(),
                                                 policy=assignment_policy)
        await app.state.relay.flush()

    subscribe_envelopes(
        broker,
        topic=LAWYER_ACTIVITIES,
        group_id="collection-lawyer-activities",
        dead_letter=DEAD_LETTER_COLLECTION,
        consumer_name=SERVICE,
        handle_batch=record_activities,
        max_records=settings.consumer_max_poll_records,
    )

    async def hold_for_referrals(deliveries: list[Delivery]) -> None:
        """Welfare referrals opened and closed: hold or release the debtor's escalation, one transaction a batch."""
        async with app.state.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                with delivery.span(f"{WELFARE_REFERRALS.name} apply"):
                    await apply_referral_change(conn, delivery.envelope)

    subscribe_envelopes(
        broker,
        topic=WELFARE_REFERRALS,
        group_id="collection-welfare-holds",
        dead_letter=DEAD_LETTER_COLLECTION,
        consumer_name=SERVICE,
        handle_batch=hold_for_referrals,
        max_records=settings.consumer_max_poll_records,
    )

    add_health_routes(app, {"kafka": lambda: broker.ping(2.0), "database": database_check(app)})
    app.include_router(router)
    instrument_app(app)
    guard_requests(app, settings.max_body_bytes)
    return app
