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

import logging
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
from services.welfare_referral.store import apply_standing, rescore_all, rescored_mark, set_rescored_mark
from shared.auth import STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, Authenticator, TokenIssuer, TokenKeys
from shared.clock import business_date as one_business_date
from shared.consumer import Delivery
from shared.runtime import ServiceRuntime
from shared.staff_authority import RemoteStaffAuthority

SERVICE = "welfare-referral"
MIGRATIONS = Path(__file__).parent / "migrations"
TOKYO = ZoneInfo("Asia/Tokyo")
log = logging.getLogger(__name__)


def create_app(settings: WelfareReferralSettings | None = None) -> FastAPI:
    settings = settings or WelfareReferralSettings()
    runtime = ServiceRuntime(SERVICE, settings, migrations=MIGRATIONS, dead_letter=DEAD_LETTER_WELFARE)
    policy = load_policy(Path(settings.signals_policy_path) if settings.signals_policy_path else None)
    # Collection signs staff in and is the one authority on accounts and roles (asked, cached ≤ 60 s).
    authority = RemoteStaffAuthority(settings.staff_authority_url, cache_seconds=settings.staff_authority_cache_seconds)
    runtime.on_stop(authority.close)
    webhook = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
    runtime.on_stop(webhook.aclose)

    def business_date() -> date:
        return one_business_date(settings.business_date)

    async def rescore_daily() -> None:
        """Once per business date (and policy version) score every standing again."""
        today = business_date()
        mark = f"{today.isoformat()}/{policy.version}"
        async with runtime.pool.acquire() as conn, conn.transaction():
            done = await rescored_mark(conn)
            if done == mark:
                return
            scored, suggested = await rescore_all(conn, policy=policy, as_of=today,
                                                  resuggest_after_days=settings.resuggest_after_days)
            await set_rescored_mark(conn, mark)
        if scored:
            log.info("standings rescored", extra={"scored": scored, "suggested": suggested})
            await runtime.relay.flush()

    async def rescore_and_deliver() -> None:
        """The daily rescoring and the webhook deliveries."""
        await rescore_daily()
        if settings.webhook_url:
            done = await deliver_due(runtime.pool, webhook, url=settings.webhook_url,
                                     secrets=settings.signing_secrets(),
                                     retry_base=settings.webhook_retry_base_seconds,
                                     retry_cap=settings.webhook_retry_cap_seconds)
            if done.delivered or done.retried or done.failed:
                log.info("welfare deliveries", extra={"delivered": done.delivered,
                                                      "retried": done.retried, "failed": done.failed})

    runtime.every("welfare-worker", lambda: settings.worker_interval_seconds, rescore_and_deliver)

    async def take_standings(deliveries: list[Delivery]) -> None:
        """Standings in one transaction a batch; other collection events are not this service's business."""
        suggested = 0
        async with runtime.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                if not isinstance(delivery.envelope.payload, DebtorStandingChanged):
                    continue
                with delivery.span(f"{COLLECTION_EVENTS.name} score"):
                    suggested += await apply_standing(conn, delivery.envelope, policy=policy, as_of=business_date(),
                                                      resuggest_after_days=settings.resuggest_after_days) is not None
        if suggested:
            await runtime.relay.flush()

    runtime.consume(COLLECTION_EVENTS, "welfare-referral-standings", take_standings)

    app = runtime.app(title="Welfare referral API", description=__doc__, routers=[api.router])
    app.state.business_date = business_date
    app.state.authenticator = Authenticator(TokenIssuer(
        TokenKeys.parse(settings.staff_auth_keys, settings.staff_auth_active_kid), issuer=STAFF_TOKEN_ISSUER,
        audience=STAFF_TOKEN_AUDIENCE, ttl=timedelta(hours=8)), current_roles=authority)
    return app
