"""Attacks on the staff console (services/console), whose pages carry personal data to a browser.

OWASP Top 10 (2021) and API Security Top 10 (2023): A01/API1 Broken Access Control (a forged or foreign session
cookie, a token for an account that does not exist), A03 Injection (script in what is searched and shown back),
A01 open redirect after sign-in, cross-site request forgery of sign-in and sign-out, A05 Security
Misconfiguration (the headers that keep pages out of caches, frames and other origins)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.e2e.processes import RunningService
from tests.security.conftest import SecurityStaff, Tally
from tests.staff import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.security]


@contextmanager
def _signed_in(console: str, staff_id: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console, timeout=30) as client:
        done = client.post("/login", data={"staff_id": staff_id, "password": PASSWORD},
                           headers={"Origin": console}, follow_redirects=False)
        assert done.status_code == 303, done.text
        yield client


def test_a_forged_session_never_reads_a_page(services: dict[str, RunningService], staff_token_issuer) -> None:  # type: ignore[no-untyped-def]
    console = services["console"].url
    tally = Tally("console forged session cookies")
    forged = {
        "random text": "not-a-token",
        "a token signed with another key": staff_token_issuer.issue("sec-admin", ["admin"])[:-4] + "AAAA",
        "a token for an account that does not exist": staff_token_issuer.issue("nobody-here", ["admin"]),
    }
    for label, cookie in forged.items():
        for path in ("/search", "/search?name=高橋", "/debtors/any-debtor"):
            tally.tried += 1
            response = httpx.get(f"{console}{path}", cookies={"console_token": cookie}, follow_redirects=False,
                                 timeout=30)
            if response.status_code != 303 or not response.headers["location"].startswith("/login"):
                tally.accepted.append(f"{label} {path}: {response.status_code}")
            elif "console_token=\"\"" not in response.headers.get("set-cookie", "") and \
                    "Max-Age=0" not in response.headers.get("set-cookie", ""):
                tally.accepted.append(f"{label} {path}: the cookie was not cleared")
    tally.report()
    assert tally.accepted == []


def test_script_in_a_search_is_shown_as_text(services: dict[str, RunningService],
                                             security_staff: SecurityStaff) -> None:
    console = services["console"].url
    tally = Tally("console script injection in search fields")
    payloads = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'onfocus='alert(1)"]
    with _signed_in(console, security_staff.account("viewer")) as client:
        for payload in payloads:
            for field in ("name", "address", "register_number"):
                tally.tried += 1
                page = client.get("/search", params={field: payload})
                if page.status_code != 200 or payload in page.text:
                    tally.accepted.append(f"{field}: {page.status_code}")
        headers = client.get("/search").headers
    tally.report()
    assert tally.accepted == []
    assert headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]


def test_sign_in_never_sends_the_officer_to_another_site(services: dict[str, RunningService],
                                                         security_staff: SecurityStaff) -> None:
    console = services["console"].url
    staff_id = security_staff.account("viewer")
    tally = Tally("console open redirect after sign-in")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "http:evil.example"):
        tally.tried += 1
        done = httpx.post(f"{console}/login", data={"staff_id": staff_id, "password": PASSWORD, "next": target},
                          headers={"Origin": console}, follow_redirects=False, timeout=30)
        if done.status_code != 303 or not done.headers["location"].startswith("/") \
                or done.headers["location"].startswith("//"):
            tally.accepted.append(f"{target}: {done.headers.get('location')}")
    tally.report()
    assert tally.accepted == []


def test_another_site_cannot_sign_an_officer_in_or_out(services: dict[str, RunningService],
                                                       security_staff: SecurityStaff) -> None:
    console = services["console"].url
    staff_id = security_staff.account("viewer")
    tally = Tally("console cross-site sign-in and sign-out")
    for origin in ("http://evil.example", None):
        tally.tried += 1
        headers = {"Origin": origin} if origin else {}
        attempt = httpx.post(f"{console}/login", data={"staff_id": staff_id, "password": PASSWORD},
                             headers=headers, follow_redirects=False, timeout=30)
        if attempt.status_code != 403 or "console_token=" in attempt.headers.get("set-cookie", ""):
            tally.accepted.append(f"sign-in from {origin}: {attempt.status_code}")
    with _signed_in(console, staff_id) as client:
        tally.tried += 1
        client.post("/logout", headers={"Origin": "http://evil.example"}, follow_redirects=False)
        if client.get("/search", follow_redirects=False).status_code != 200:
            tally.accepted.append("sign-out from another site")
    tally.report()
    assert tally.accepted == []
