"""Collection service: keeps the claim ledger from matched billing events, one case per debtor, and serves the
central API.

Consumes ``billing.matched-events.v1`` in batches (every event already carries its debtor id) and applies each
message once, a batch per transaction (services/collection/store.py), queueing the debtors whose case must be
recomputed. The case worker (a task of this process) drains that queue and, once per business date and policy
version, recomputes every case (services/collection/cases.py). The API answers from the same database.
"""

import logging
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from opentelemetry import metrics
from opentelemetry.metrics import Observation

from contracts import Department
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
from services.collection.stores import feeds as feeds_store
from services.collection.stores import reconciliation as reconciliation_store
from services.collection.stores.staff import active_roles
from shared.auth import STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, Authenticator, Principal, TokenIssuer, TokenKeys
from shared.clock import business_date as one_business_date
from shared.consumer import Delivery, batch_span
from shared.department_auth import install_department_auth
from shared.documents.letterhead import load_letterhead
from shared.runtime import ServiceRuntime
from shared.sign_in_limits import SignInLimits, parse_trusted_proxies

SERVICE = "collection"
MIGRATIONS = Path(__file__).parent / "migrations"
TOKYO = ZoneInfo("Asia/Tokyo")
log = logging.getLogger(__name__)


def create_app(settings: CollectionSettings | None = None) -> FastAPI:
    settings = settings or CollectionSettings()
    runtime = ServiceRuntime(SERVICE, settings, migrations=MIGRATIONS, dead_letter=DEAD_LETTER_COLLECTION,
                             auth_pool=True)
    assignment_policy = load_policy(settings.assignment_policy_path)
    allocation_policy = load_allocation_policy(settings.allocation_policy_path)
    configure_legal_rules(ordinances_path=settings.ordinances_path,
                          category_overrides=settings.receivable_category_overrides,
                          national_health_insurance_levy=settings.national_health_insurance_levy)
    report_bureaus = load_bureaus(settings.report_bureaus_path)  # refused at start, naming the setting
    load_letterhead()  # the city's letterhead (seal, prefecture of the 教示): refused at start, naming the file
    measure = runtime.measure

    def business_date() -> date:
        return one_business_date(settings.business_date)

    async def recompute_cases() -> None:
        """Recompute queued cases; once per business date (and policy version) queue them all first."""
        today = business_date()
        await start_of_day(runtime.pool, as_of=today, policy=assignment_policy)
        done = await drain_refresh_queue(runtime.pool, as_of=today, policy=assignment_policy)
        if done.debtors:
            await runtime.relay.flush()  # what the firms hold changed: tell the lawyer gateway now
            log.info("cases recomputed", extra={"debtors": done.debtors, "opened": done.opened,
                                                "closed": done.closed, "causes": done.by_cause})

    runtime.every("case-worker", lambda: settings.case_worker_interval_seconds, recompute_cases)

    late_feeds: dict[str, int] = {}
    metrics.get_meter("municipal-collection.collection").create_observable_gauge(
        "collection.feed.unacknowledged", unit="{item}",
        description="Feed items to a department not acknowledged within COLLECTION_FEED_ACKNOWLEDGE_DAYS (alert "
                    "above 0: the department's system is not taking in what the centre did)",
        callbacks=[lambda _: [Observation(late_feeds.get(d.value, 0), {"department": d.value}) for d in Department]])

    async def feed_departments() -> None:
        """Gather what the centre did into the departments' feeds (each once, published through the outbox)."""
        async with runtime.pool.acquire() as conn:
            while True:
                async with conn.transaction():
                    gathered = await feeds_store.gather(conn)
                if gathered == 0:
                    break
                log.info("feed items gathered", extra={"items": gathered})
            counts = await feeds_store.unacknowledged_counts(conn, business_date(), settings.feed_acknowledge_days)
        late_feeds.clear()
        late_feeds.update(counts)
        if counts:
            log.warning("feed items not acknowledged in time", extra={"by_department": counts})
        await runtime.relay.flush()

    runtime.every("department-feeds", lambda: settings.feed_interval_seconds, feed_departments)

    reconciliation_counts: dict[str, dict[str, int]] = {}
    metrics.get_meter("municipal-collection.collection").create_observable_gauge(
        "collection.reconciliation.differences", unit="{claim}",
        description="Claims whose balance differs between a department's latest statement and the central ledger, "
                    "by likely cause (GET /reconciliation/{department}/latest lists them)",
        callbacks=[lambda _: [Observation(n, {"department": d, "cause": cause})
                              for d, counts in reconciliation_counts.items() for cause, n in counts.items()]])

    async def load_reconciliation_counts() -> None:
        """The metric from the latest runs (after a restart; each new run updates it at once)."""
        async with runtime.pool.acquire() as conn:
            reconciliation_counts.update(await reconciliation_store.latest_counts(conn))

    runtime.every("reconciliation-metric", lambda: 60.0, load_reconciliation_counts)

    async def current_roles(principal: Principal, _token: str) -> frozenset[str] | None:
        """This service is the one authority for staff accounts: the roles the account holds now, or None when
        it is unknown, disabled, or signed out everywhere after the token was issued. Checked on a pool of its
        own: a request may already hold a connection of the main pool, and fifty requests each waiting for a
        second one would wait for ever."""
        async with runtime.auth_pool.acquire() as conn:
            row = await active_roles(conn, principal.subject)
        if row is None or principal.issued_at < row["tokens_valid_after"] - timedelta(seconds=1):
            return None
        return frozenset(row["roles"])

    async def record(deliveries: list[Delivery]) -> None:
        """A batch in one transaction: its offsets are committed only after this commit."""
        touched: set[str] = set()
        with batch_span(deliveries, f"{BILLING_MATCHED.name} apply"):
            async with runtime.pool.acquire() as conn, conn.transaction():
                applied = await apply_batch(conn, [d.envelope for d in deliveries], touched=touched)
                await queue_case_refresh(conn, touched, "billing events")
        for delivery, first_time in zip(deliveries, applied, strict=True):
            if first_time:
                measure.latency(delivery.envelope.produced_at, delivery.envelope.department.value)
            else:
                measure.duplicate(BILLING_MATCHED.name)

    async def change_identities(deliveries: list[Delivery]) -> None:
        """Merges and splits, in the order matching decided them (one partition), one transaction a batch."""
        async with runtime.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                with delivery.span(f"{IDENTITY_EVENTS.name} apply"):
                    await apply_identity_change(conn, delivery.envelope)

    async def record_activities(deliveries: list[Delivery]) -> None:
        """What the firms recorded, one transaction a batch; a returned case is reassigned at once."""
        async with runtime.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                with delivery.span(f"{LAWYER_ACTIVITIES.name} apply"):
                    await record_lawyer_activity(conn, delivery.envelope, as_of=business_date(),
                                                 policy=assignment_policy)
        await runtime.relay.flush()

    async def hold_for_referrals(deliveries: list[Delivery]) -> None:
        """Welfare referrals opened and closed: hold or release the debtor's escalation, one transaction a batch."""
        async with runtime.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                with delivery.span(f"{WELFARE_REFERRALS.name} apply"):
                    await apply_referral_change(conn, delivery.envelope)

    runtime.consume(BILLING_MATCHED, "collection-ledger", record)
    runtime.consume(IDENTITY_EVENTS, "collection-identity", change_identities)
    runtime.consume(LAWYER_ACTIVITIES, "collection-lawyer-activities", record_activities)
    runtime.consume(WELFARE_REFERRALS, "collection-welfare-holds", hold_for_referrals)

    app = runtime.app(title="Central collection API", description=__doc__, routers=[router])
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
    app.state.reconciliation_counts = reconciliation_counts
    install_department_auth(app, settings)  # departments' systems read their feeds with their own credential
    return app
