"""Debtor matching service: attaches a unified debtor id to every billing event.

Consumes ``billing.source-events.v1`` in batches, resolves each departmental person record to a debtor
(services/matching/store.py) and republishes the same envelope, with ``debtor_id`` set and the same message
id, to ``billing.matched-events.v1`` keyed by debtor, so all of one debtor's events reach collection in order.
The matched messages go through a transactional outbox (shared/outbox.py): written in the transaction that
links the debtors, relayed after the commit; the offsets are committed after Kafka acknowledged them. A
redelivery resolves to the same debtor and republishes the same message id, which collection applies once.
"""

import asyncio
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from contracts.envelope import encode_message
from contracts.topics import BILLING_MATCHED, BILLING_SOURCE, DEAD_LETTER_MATCHING
from services.matching.api import router as review_router
from services.matching.model_versions import active_model, active_version
from services.matching.scoring import Model, load_model
from services.matching.settings import MatchingSettings
from services.matching.store import ClaimPeople, resolve_claim_people
from shared.auth import STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, Authenticator, TokenIssuer, TokenKeys
from shared.consumer import Delivery
from shared.kafka import envelope_headers
from shared.outbox import enqueue_many, outbox_message
from shared.runtime import ServiceRuntime
from shared.staff_authority import RemoteStaffAuthority

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
    runtime = ServiceRuntime(SERVICE, settings, migrations=MIGRATIONS, dead_letter=DEAD_LETTER_MATCHING)
    packaged = load_model(settings.model_path)
    models = {"current": packaged}

    async def current_model(conn) -> Model:  # type: ignore[no-untyped-def]
        """The version an administrator activated (looked up per batch, so every replica switches), else the
        packaged model."""
        version = await active_version(conn)
        if version is None:
            models["current"] = packaged
        elif models["current"].version != version:
            models["current"] = await active_model(conn, packaged)
        return models["current"]

    async def resolve_group(deliveries: list[Delivery]) -> None:
        """Resolve some of a batch's records (their debtors and the people their claims name, in one pass) and
        write their matched messages to the outbox, in one transaction."""
        envelopes = [delivery.envelope for delivery in deliveries]
        async with runtime.pool.acquire() as conn, conn.transaction():
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
        await runtime.relay.flush()

    runtime.consume(BILLING_SOURCE, "debtor-matching", attach_debtors)

    # Staff tokens are issued (and revoked) by the collection service; matching checks signature, audience,
    # expiry and role, and asks collection (the one authority, cached ≤ 60 s) whether the account still holds it.
    authority = RemoteStaffAuthority(settings.staff_authority_url, cache_seconds=settings.staff_authority_cache_seconds)
    runtime.on_stop(authority.close)
    app = runtime.app(title="Debtor matching", description=__doc__, routers=[review_router])
    app.state.packaged_model = packaged
    app.state.authenticator = Authenticator(TokenIssuer(
        TokenKeys.parse(settings.auth_keys, settings.auth_active_kid), issuer=STAFF_TOKEN_ISSUER,
        audience=STAFF_TOKEN_AUDIENCE, ttl=timedelta(hours=8)), current_roles=authority)
    return app
