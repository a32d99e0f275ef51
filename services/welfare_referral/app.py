"""Welfare referral service (福祉への引継ぎ): spots hardship in collection's data and hands people to welfare with
their consent.

Consumes ``collection.events.v1`` (``DebtorStandingChanged``: each debtor's overdue claims, missed installments,
exemption applications, 執行停止 and hardship noted in a 納付相談, without personal data), scores the hardship
signals (signals.py, weights as versioned data) and suggests a referral when the points reach the threshold.
Staff move a referral through its lifecycle (lifecycle.py) over the API (api.py); every change goes to collection
as ``ReferralChanged`` on ``welfare.referrals.v1`` through the outbox (collection holds escalation while a
referral is open), and a referral handed over is delivered to the welfare side's system by a signed webhook with
retries (delivery.py). A worker rescores every standing once per business date.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from contracts import DebtorStandingChanged
from contracts.topics import COLLECTION_EVENTS, DEAD_LETTER_WELFARE
from services.welfare_referral import api
from services.welfare_referral.delivery import deliver_due
from services.welfare_referral.settings import WelfareReferralSettings
from services.welfare_referral.signals import load_policy
from services.welfare_referral.store import apply_standing, rescore_all
from shared.auth import STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, Authenticator, TokenIssuer, TokenKeys
from shared.clock import business_date as one_business_date
from shared.consumer import Delivery, subscribe_envelopes
from shared.db import create_pool
from shared.http import add_health_routes, database_check, guard_requests, instrument_app
from shared.kafka import create_broker
from shared.logging import setup_logging
from shared.migrations import apply_migrations
from shared.outbox import OutboxRelay
from shared.staff_authority import RemoteStaffAuthority
from shared.telemetry import setup_telemetry, shutdown_telemetry

SERVICE = "welfare-referral"
MIGRATIONS = Path(__file__).parent / "migrations"
TOKYO = ZoneInfo("Asia/Tokyo")
log = logging.getLogger(__name__)


def create_app(settings: WelfareReferralSettings | None = None) -> FastAPI:
    settings = settings or WelfareReferralSettings()
    setup_logging(SERVICE, settings.log_level)
    setup_telemetry(SERVICE, environment=settings.environment)
    broker = create_broker(settings.kafka_bootstrap_servers, client_id=SERVICE)
    policy = load_policy(Path(settings.signals_policy_path) if settings.signals_policy_path else None)

    def business_date() -> date:
        return one_business_date(settings.business_date)

    async def rescore_daily() -> None:
        """Once per business date (and policy version) score every standing again."""
        today = business_date()
        mark = f"{today.isoformat()}/{policy.version}"
        async with app.state.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval("SELECT value FROM service_state WHERE key = 'rescored' FOR UPDATE")
            if done == mark:
                return
            scored, suggested = await rescore_all(conn, policy=policy, as_of=today,
                                                  resuggest_after_days=settings.resuggest_after_days)
            await conn.execute("INSERT INTO service_state (key, value) VALUES ('rescored', $1) "
                               "ON CONFLICT (key) DO UPDATE SET value = $1", mark)
        if scored:
            log.info("standings rescored", extra={"scored": scored, "suggested": suggested})
            await app.state.relay.flush()

    async def worker() -> None:
        """The daily rescoring and the webhook deliveries; a failed pass is retried at the next tick."""
        async with httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as client:
            while True:
                try:
                    await rescore_daily()
                    if settings.webhook_url:
                        done = await deliver_due(app.state.pool, client, url=settings.webhook_url,
                                                 secrets=settings.signing_secrets(),
                                                 retry_base=settings.webhook_retry_base_seconds,
                                                 retry_cap=settings.webhook_retry_cap_seconds)
                        if done.delivered or done.retried or done.failed:
                            log.info("welfare deliveries", extra={"delivered": done.delivered,
                                                                  "retried": done.retried, "failed": done.failed})
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("welfare worker pass failed; retrying")
                await asyncio.sleep(settings.worker_interval_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        apply_migrations(settings.database_url, MIGRATIONS)
        app.state.pool = await create_pool(settings.database_url, min_size=settings.db_pool_min_size,
                                           max_size=settings.db_pool_max_size)
        await broker.start()
        app.state.relay = OutboxRelay(app.state.pool, broker, service=SERVICE,
                                      bootstrap_servers=settings.kafka_bootstrap_servers)
        app.state.relay.start()
        task = asyncio.create_task(worker(), name="welfare-worker")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await app.state.relay.stop()
            await broker.stop()
            await app.state.pool.close()
            await authority.close()
            shutdown_telemetry()

    app = FastAPI(title="Welfare referral API", version="1", lifespan=lifespan, description=__doc__)
    app.state.broker = broker  # its subscribers are the service's consuming wiring (tests read them)
    app.state.settings = settings
    app.state.business_date = business_date
    # Collection signs staff in and is the one authority on accounts and roles (asked, cached ≤ 60 s).
    authority = RemoteStaffAuthority(settings.staff_authority_url, cache_seconds=settings.staff_authority_cache_seconds)
    app.state.authenticator = Authenticator(TokenIssuer(
        TokenKeys.parse(settings.staff_auth_keys, settings.staff_auth_active_kid), issuer=STAFF_TOKEN_ISSUER,
        audience=STAFF_TOKEN_AUDIENCE, ttl=timedelta(hours=8)), current_roles=authority)

    async def take_standings(deliveries: list[Delivery]) -> None:
        """Standings in one transaction a batch; other collection events are not this service's business."""
        suggested = 0
        async with app.state.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                if not isinstance(delivery.envelope.payload, DebtorStandingChanged):
                    continue
                with delivery.span(f"{COLLECTION_EVENTS.name} score"):
                    suggested += await apply_standing(conn, delivery.envelope, policy=policy, as_of=business_date(),
                                                      resuggest_after_days=settings.resuggest_after_days) is not None
        if suggested:
            await app.state.relay.flush()

    subscribe_envelopes(broker, topic=COLLECTION_EVENTS, group_id="welfare-referral-standings",
                        dead_letter=DEAD_LETTER_WELFARE, consumer_name=SERVICE, handle_batch=take_standings,
                        max_records=settings.consumer_max_poll_records)

    add_health_routes(app, {"kafka": lambda: broker.ping(2.0), "database": database_check(app)})
    app.include_router(api.router)
    instrument_app(app)
    guard_requests(app, settings.max_body_bytes)
    return app

