"""One authority for staff accounts: services other than collection ask collection, with a short cache.

Staff accounts live in collection's database (it signs staff in); matching, welfare referral and the lawyer
gateway's admin routes verify the same signed tokens but must not read collection's tables. A token alone would
keep a disabled account or a withdrawn role working for its whole life (8 hours), so each of them asks
collection's ``GET /auth/authority`` — with the very token it was shown, which is the only credential needed —
which account it speaks for and which roles that account holds now. The answer is cached per token for
``STAFF_AUTHORITY_CACHE_SECONDS`` (at most 60; default 30), so a revocation or a role change takes effect within
that time everywhere, at one small request per signed-in user and half-minute.

Failing closed: when collection cannot be asked and no fresh answer is cached, the request is refused with 503
(never admitted on the token alone). Unknown subjects, disabled accounts and signed-out tokens are 401.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

import httpx
from fastapi import HTTPException, status

from shared.auth import Principal

log = logging.getLogger(__name__)

MAX_CACHE_SECONDS = 60.0
_MAX_ENTRIES = 10_000


class RemoteStaffAuthority:
    """``CurrentRoles`` for ``shared.auth.Authenticator``, answered by collection's ``GET /auth/authority``."""

    def __init__(self, base_url: str, *, cache_seconds: float = 30.0, timeout: float = 3.0,
                 clock: Callable[[], float] = time.monotonic, transport: httpx.AsyncBaseTransport | None = None):
        if not 0 <= cache_seconds <= MAX_CACHE_SECONDS:
            raise ValueError(f"cache_seconds must be between 0 and {MAX_CACHE_SECONDS:g}")
        self.base_url = base_url.rstrip("/")
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._clock = clock
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._cache: OrderedDict[str, tuple[float, frozenset[str] | None]] = OrderedDict()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, transport=self._transport)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, principal: Principal, token: str) -> frozenset[str] | None:
        key = hashlib.sha256(token.encode()).hexdigest()  # the token itself is never kept
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and now < cached[0]:
            return cached[1]
        roles = await self._ask(principal, token)
        self._cache[key] = (now + self.cache_seconds, roles)
        self._cache.move_to_end(key)
        while len(self._cache) > _MAX_ENTRIES:
            self._cache.popitem(last=False)
        return roles

    async def _ask(self, principal: Principal, token: str) -> frozenset[str] | None:
        try:
            response = await self._http().get("/auth/authority", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            log.warning("staff authority unreachable", extra={"error": exc.__class__.__name__})
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the staff authority cannot be asked now",
                                headers={"Retry-After": "5"}) from None
        if response.status_code in (401, 403):
            log.info("staff account refused by the authority", extra={"token_id": principal.token_id})
            return None
        if response.status_code != 200:
            log.warning("staff authority answered badly", extra={"status": response.status_code})
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the staff authority cannot be asked now",
                                headers={"Retry-After": "5"})
        body = response.json()
        if body.get("staff_id") != principal.subject or not isinstance(body.get("roles"), list):
            log.warning("staff authority answered for another account", extra={"token_id": principal.token_id})
            return None
        return frozenset(str(role) for role in body["roles"])
