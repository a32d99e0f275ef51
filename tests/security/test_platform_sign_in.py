"""Password guessing against staff sign-in and the gateway's token endpoint.

OWASP API Security Top 10 (2023): API2 Broken Authentication (credential stuffing and brute force), API4
Unrestricted Resource Consumption (password hashing work bought by rotating accounts or client ids)."""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.processes import RunningService
from tests.security.conftest import SecurityStaff, Tally, new_address, unique

pytestmark = [pytest.mark.e2e, pytest.mark.security]


def test_forty_wrong_passwords_then_the_right_one_is_refused(security_staff: SecurityStaff) -> None:
    """From a new address each time: only the per-account limit can hold."""
    staff_id = security_staff.account("admin")
    statuses = [security_staff.sign_in_from(new_address(), staff_id, "wrong-password-123").status_code
                for _ in range(40)]
    right = security_staff.sign_in_from(new_address(), staff_id)
    tally = Tally("sign-in guessing on one account (40 wrong, then the right password, rotating addresses)")
    tally.attempt(f"right password after 40 wrong: {right.status_code}", right.status_code == 200)
    for status in statuses:
        tally.attempt(f"wrong password: {status}", status == 200)
    tally.report()
    assert statuses.count(429) >= 30 and set(statuses) <= {401, 429}
    assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1


def test_spraying_from_one_address_is_blocked(security_staff: SecurityStaff) -> None:
    """One address trying one password against many accounts: the per-address limit holds, for that address
    only (the account itself is not locked: it signs in from elsewhere)."""
    victim = security_staff.account("viewer")
    sprayer = new_address()
    statuses = [security_staff.sign_in_from(sprayer, unique("nobody"), "Summer2025!!").status_code
                for _ in range(25)]
    blocked = security_staff.sign_in_from(sprayer, victim)
    elsewhere = security_staff.sign_in_from(new_address(), victim)
    tally = Tally("password spraying from one address (25 accounts, then a right password)")
    tally.attempt(f"right password from the spraying address: {blocked.status_code}", blocked.status_code == 200)
    tally.report()
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
    assert blocked.status_code == 429
    assert elsewhere.status_code == 200


def test_the_token_endpoint_is_limited_per_address_not_only_per_client_id(
        services: dict[str, RunningService]) -> None:
    url = f"{services['lawyer_gateway'].url}/oauth/token"
    address = new_address()

    def request(n: int) -> int:
        return httpx.post(url, data={"grant_type": "client_credentials", "client_id": f"rotating-{n}",
                                     "client_secret": "guess-" + "x" * 20},
                          headers={"X-Forwarded-For": address}, timeout=60).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=30) as pool:  # all at once, as a client rotating ids would send them
        statuses = list(pool.map(request, range(30)))
    elapsed = time.monotonic() - started
    tally = Tally("gateway token requests rotating client ids from one address (30 at once)")
    for status in statuses:
        tally.attempt(str(status), status != 429)
    tally.report("reached password hashing")
    # at most the burst (10) plus one a second (LAWYER_GATEWAY_SIGN_IN_RATE_PER_SECOND) reached the hashing
    assert statuses.count(401) <= 10 + math.ceil(elapsed) and set(statuses) <= {401, 429}
    assert statuses.count(429) >= 1
    other = httpx.post(url, data={"grant_type": "client_credentials", "client_id": "someone",
                                  "client_secret": "x" * 20}, headers={"X-Forwarded-For": new_address()}, timeout=30)
    assert other.status_code == 401  # another address is not blocked


def test_sign_in_limits_are_audited_without_unknown_names(services: dict[str, RunningService],
                                                          security_staff: SecurityStaff) -> None:
    typed = unique("山田太郎")  # someone typed a name (or a password) into the staff id field
    for _ in range(6):
        security_staff.sign_in_from(new_address(), typed, "wrong-password-123")
    supervisor = security_staff.headers(security_staff.account("supervisor"))
    rows = httpx.get(f"{security_staff.collection_url}/audit", params={"action": "sign_in_throttled", "limit": 50},
                     headers=supervisor, timeout=10).json()["items"]
    refused = httpx.get(f"{security_staff.collection_url}/audit", params={"action": "sign_in_refused", "limit": 200},
                        headers=supervisor, timeout=10).json()["items"]
    assert rows, "a throttled sign-in leaves an audit row"
    assert not any("山田" in str(row) for row in rows + refused)
    log = services["collection"].log.read_text(errors="replace")
    assert "locked after wrong passwords" in log and typed not in log
