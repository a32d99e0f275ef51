"""The security suite (``-m security``) runs against the end-to-end service processes (tests/conftest.py's
``services``): it tries what an attacker would and prints what it tried and what held ("forgery: 24 tried, 0
accepted"). Each test names the OWASP API Security Top 10 (2023) items it covers.

Shared here: staff accounts of the suite, sign-in from a chosen client address (the services trust 127.0.0.1
as their proxy in the tests, tests/e2e/processes.py), tokens forged with keys an attacker has, and a tally.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.auth import DEVELOPMENT_STAFF_KEYS, STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, TokenIssuer, TokenKeys
from tests.e2e.processes import RunningService
from tests.figures import report
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff, sign_in


@dataclass
class Tally:
    """What one attack tried and how many attempts got through."""

    name: str
    tried: int = 0
    accepted: list[str] = field(default_factory=list)

    def attempt(self, label: str, got_through: bool) -> None:
        self.tried += 1
        if got_through:
            self.accepted.append(label)

    def report(self, verb: str = "accepted") -> None:
        report(f"security {self.name}: {self.tried} tried, {len(self.accepted)} {verb}"
               + (f" ({', '.join(self.accepted[:5])})" if self.accepted else ""))


_addresses = (f"198.51.100.{n}" for n in itertools.count(10))


def new_address() -> str:
    """A client address no other test signs in from (TEST-NET-2, RFC 5737)."""
    return next(_addresses)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def staff_token_issuer() -> TokenIssuer:
    """The published development key: what the test deployment runs on, and what anyone can sign with."""
    return TokenIssuer(TokenKeys.parse(DEVELOPMENT_STAFF_KEYS, "dev"), STAFF_TOKEN_ISSUER, STAFF_TOKEN_AUDIENCE,
                       timedelta(hours=8))


@dataclass
class SecurityStaff:
    infrastructure: Infrastructure
    collection_url: str

    def account(self, *roles: str, prefix: str = "sec") -> str:
        """A new staff account with ``roles`` (made with the real command line, as an operator would)."""
        staff_id = unique(prefix)
        create_staff(self.infrastructure, staff_id, *roles)
        return staff_id

    def headers(self, staff_id: str) -> dict[str, str]:
        return sign_in(self.collection_url, staff_id)

    def sign_in_from(self, address: str, staff_id: str, password: str = PASSWORD) -> httpx.Response:
        return httpx.post(f"{self.collection_url}/auth/token", data={"username": staff_id, "password": password},
                          headers={"X-Forwarded-For": address}, timeout=30)


@pytest.fixture(scope="session")
def security_staff(infrastructure: Infrastructure, services: dict[str, RunningService]) -> SecurityStaff:
    return SecurityStaff(infrastructure, services["collection"].url)


@pytest.fixture(scope="session")
def staff_routes(services: dict[str, RunningService]) -> dict[str, tuple[str, str]]:
    """One staff route per service that takes staff tokens: name → (method, URL)."""
    return {
        "collection": ("GET", f"{services['collection'].url}/cases?limit=1"),
        "collection-audit": ("GET", f"{services['collection'].url}/audit?limit=1"),
        "matching": ("GET", f"{services['matching'].url}/reviews"),
        "welfare": ("GET", f"{services['welfare_referral'].url}/referrals"),
        "welfare-inbox": ("GET", f"{services['welfare_referral'].url}/inbox"),
        "gateway-admin": ("GET", f"{services['lawyer_gateway'].url}/admin/audit"),
    }


def call(route: tuple[str, str], headers: dict[str, str]) -> httpx.Response:
    method, url = route
    return httpx.request(method, url, headers=headers, timeout=30)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def poll_until(check: Callable[[], bool], timeout: float) -> float | None:
    """Seconds until ``check`` held, or None if it did not within ``timeout``."""
    import time

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.5)
    return None


def now() -> datetime:
    return datetime.now(UTC)
