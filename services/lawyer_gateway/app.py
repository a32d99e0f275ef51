"""Lawyer gateway: the outsourced firms' own service, apart from the central API, safe by construction.

Consumes ``collection.outsourced-cases.v1`` into its own database: what each firm holds of each case, never a
tax or forced-collection claim, never more personal data than a firm may have (the contract refuses the rest).
Serves the firms' API (services/lawyer_gateway/api.py): client-credentials sign-in, their cases only, activities
that go back to collection over ``lawyer.activities.v1`` through an outbox, watermarked case files. Every
request, refused ones included, is written to the audit log with who, which case and which fields; unusual
access raises alerts; requests are rate-limited per client and limited in size.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response

from contracts.topics import DEAD_LETTER_LAWYER_GATEWAY, OUTSOURCED_CASES
from services.lawyer_gateway import admin, api
from services.lawyer_gateway.access import AccessWatch, TokenBucket
from services.lawyer_gateway.settings import LawyerGatewaySettings
from services.lawyer_gateway.store import apply_case_change, audit, record_alert, token_revoked
from shared.auth import STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, Authenticator, Principal, TokenIssuer, TokenKeys
from shared.consumer import Delivery
from shared.runtime import ServiceRuntime
from shared.sign_in_limits import parse_trusted_proxies
from shared.staff_authority import RemoteStaffAuthority

SERVICE = "lawyer-gateway"
MIGRATIONS = Path(__file__).parent / "migrations"
FIRM_TOKEN_ISSUER = "lawyer-gateway"
FIRM_TOKEN_AUDIENCE = "lawyer-api"
log = logging.getLogger(__name__)


def create_app(settings: LawyerGatewaySettings | None = None) -> FastAPI:
    settings = settings or LawyerGatewaySettings()
    runtime = ServiceRuntime(SERVICE, settings, migrations=MIGRATIONS, dead_letter=DEAD_LETTER_LAWYER_GATEWAY,
                             auth_pool=True)
    authority = RemoteStaffAuthority(settings.staff_authority_url, cache_seconds=settings.staff_authority_cache_seconds)
    runtime.on_stop(authority.close)

    async def keep_cases(deliveries: list[Delivery]) -> None:
        async with runtime.pool.acquire() as conn, conn.transaction():
            for delivery in deliveries:
                with delivery.span(f"{OUTSOURCED_CASES.name} apply"):
                    await apply_case_change(conn, delivery.envelope)

    runtime.consume(OUTSOURCED_CASES, "lawyer-gateway-cases", keep_cases)

    def audit_requests(app: FastAPI) -> None:
        """Outside the request guard (body limit counted while streaming, control characters), so what it
        refuses is audited too."""

        @app.middleware("http")
        async def audit_every_request(request: Request,
                                      call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            """Write one audit row for every firm or admin request, whatever its outcome (oversized and refused
            ones included), and the alerts it raised."""
            path = request.url.path
            audited = path.startswith(("/cases", "/oauth", "/admin"))
            response = await call_next(request)
            if audited:
                await _write_audit(app, request, response.status_code)
            return response

    app = runtime.app(title="Lawyer gateway", description=__doc__, routers=[api.router, admin.router],
                      middleware=[audit_requests])

    async def is_revoked(principal: Principal) -> bool:
        """On a pool of its own: a request holding a connection must never wait for a second one of its pool."""
        async with runtime.auth_pool.acquire() as conn:
            return await token_revoked(conn, principal.subject, str(principal.claims.get("firm")),
                                       principal.token_id, principal.issued_at)

    app.state.firm_authenticator = Authenticator(TokenIssuer(
        TokenKeys.parse(settings.auth_keys, settings.auth_active_kid), issuer=FIRM_TOKEN_ISSUER,
        audience=FIRM_TOKEN_AUDIENCE, ttl=timedelta(minutes=settings.token_minutes)), is_revoked)
    # The central division's staff: collection is the one authority on their accounts and roles (cached ≤ 60 s).
    app.state.staff_authenticator = Authenticator(TokenIssuer(
        TokenKeys.parse(settings.staff_auth_keys, settings.staff_auth_active_kid), issuer=STAFF_TOKEN_ISSUER,
        audience=STAFF_TOKEN_AUDIENCE, ttl=timedelta(hours=8)), current_roles=authority)
    app.state.limiter = TokenBucket(settings.rate_per_second, settings.rate_burst)
    app.state.sign_in_limiter = TokenBucket(settings.sign_in_rate_per_second, settings.sign_in_burst)
    app.state.trusted_proxies = parse_trusted_proxies(settings.trusted_proxies)
    app.state.watch = AccessWatch(settings.alert_distinct_cases, settings.alert_window_seconds)
    app.state.configured_business_date = settings.business_date  # shared/clock.py: one date for every service
    return app


async def _write_audit(app: FastAPI, request: Request, status: int) -> None:
    client = getattr(request.state, "client", None)
    params: dict[str, Any] = request.scope.get("path_params") or {}
    case_ref = params.get("case_ref")
    async with app.state.pool.acquire() as conn, conn.transaction():
        await audit(conn, client=client, method=request.method, path=request.url.path[:300],
                    case_ref=str(case_ref)[:18] if case_ref is not None else None,
                    fields=getattr(request.state, "fields", []) if status < 400 else [], status=status,
                    remote=request.client.host if request.client else None,
                    staff_id=getattr(request.state, "staff_id", None),
                    returned_ids=getattr(request.state, "returned_ids", []) if status < 400 else [])
        for alert in getattr(request.state, "alerts", []):
            log.warning("unusual access by a firm", extra={"kind": alert.kind, "firm": client and client.firm_code})
            await record_alert(conn, kind=alert.kind, client_id=client and client.client_id,
                               firm_code=client and client.firm_code, lawyer_id=alert.lawyer, detail=alert.detail)

