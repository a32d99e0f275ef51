"""Hostile input on every service: NUL and other control characters, oversized bodies (declared and chunked),
422s that would echo megabytes, query strings in spans, person keys in URLs.

OWASP API Security Top 10 (2023): API4 Unrestricted Resource Consumption (body limits while streaming, no
megabyte echoes), API8 Security Misconfiguration (control characters reaching PostgreSQL as 500s, person keys in
URLs and trace spans), API3 Broken Object Property Level Authorization (422s exposing what was sent)."""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
import pytest

from tests.departments import department_headers
from tests.e2e.processes import RunningService
from tests.e2e.telemetry import SpanCollector
from tests.security.conftest import SecurityStaff, Tally

pytestmark = [pytest.mark.e2e, pytest.mark.security]

MIB = 1024 * 1024


def control_attempts(services: dict[str, RunningService], staff: dict[str, dict[str, str]]
                     ) -> list[tuple[str, str, str, dict]]:
    """(label, method, URL, httpx keyword arguments) carrying a control character in a field."""
    collection, matching = services["collection"].url, services["matching"].url
    welfare, gateway = services["welfare_referral"].url, services["lawyer_gateway"].url
    viewer, collector, supervisor = staff["viewer"], staff["collector"], staff["supervisor"]
    attempts: list[tuple[str, str, str, dict]] = []
    for char in ("\x00", "\x01", "\x1b", "\x1f"):
        name = f"U+{ord(char):04X}"
        attempts += [
            (f"sign-in user name {name}", "POST", f"{collection}/auth/token",
             {"data": {"username": f"demo{char}admin", "password": "x" * 12}}),
            (f"debtor look-up {name}", "POST", f"{collection}/debtor-lookup",
             {"json": {"department": "tax", "source_person_id": f"T{char}1"}, "headers": viewer}),
            (f"cases holder filter {name}", "GET", f"{collection}/cases",
             {"params": {"holder": f"central{char}"}, "headers": viewer}),
            (f"audit filter {name}", "GET", f"{collection}/audit", {"params": {"actor": f"a{char}"},
                                                                    "headers": supervisor}),
            (f"case list CSV {name}", "GET", f"{collection}/cases/export.csv",
             {"params": {"lead": f"x{char}"}, "headers": viewer}),
            (f"matching review reason {name}", "POST", f"{matching}/reviews/1/reject",
             {"json": {"reason": f"別人{char}"}, "headers": collector}),
            (f"welfare referral reason {name}", "POST", f"{welfare}/referrals",
             {"json": {"debtor_id": f"D{char}", "reason": "相談"}, "headers": collector}),
            (f"gateway audit filter {name}", "GET", f"{gateway}/admin/audit",
             {"params": {"firm": f"f{char}"}, "headers": supervisor}),
            (f"gateway client id {name}", "POST", f"{gateway}/oauth/token",
             {"data": {"grant_type": "client_credentials", "client_id": f"c{char}", "client_secret": "s"}}),
            (f"adapter file name {name}", "POST", f"{services['tax_adapter'].url}/imports",
             {"params": {"file_name": f"a{char}.csv"}, "content": b"", "headers": department_headers("tax")}),
            (f"path {name}", "GET", f"{collection}/debtors/D{quote(char)}1", {"headers": viewer}),
        ]
    return attempts


def test_control_characters_are_refused_with_422_naming_the_field(
        services: dict[str, RunningService], staff: dict[str, dict[str, str]]) -> None:
    tally = Tally("control characters (NUL, SOH, ESC, US) in fields")
    for label, method, url, kwargs in control_attempts(services, staff):
        response = httpx.request(method, url, timeout=30, **kwargs)
        problem = response.json()["detail"][0] if response.status_code == 422 else {}
        held = response.status_code == 422 and problem.get("type") == "control_character"
        tally.attempt(f"{label}: {response.status_code}", not held)
        assert response.status_code < 500, f"{label}: {response.status_code}"
    tally.report("not refused with 422")
    assert tally.accepted == []


def _chunks(total: int, size: int = 64 * 1024):  # type: ignore[no-untyped-def]
    def generate():  # type: ignore[no-untyped-def]
        sent = 0
        while sent < total:
            yield b"[" * min(size, total - sent)
            sent += size
    return generate()


def test_oversized_bodies_are_refused_while_streaming(services: dict[str, RunningService],
                                                      staff: dict[str, dict[str, str]]) -> None:
    targets = {
        "collection": (f"{services['collection'].url}/debtor-lookup", staff["viewer"]),
        "matching": (f"{services['matching'].url}/reviews/1/reject", staff["collector"]),
        "welfare": (f"{services['welfare_referral'].url}/referrals", staff["collector"]),
        "gateway": (f"{services['lawyer_gateway'].url}/oauth/token", {}),
    }
    tally = Tally("oversized bodies (30 MiB declared, 3 MiB chunked)")
    for name, (url, headers) in targets.items():
        for label, content in (("declared", b"[" * (30 * MIB)), ("chunked", _chunks(3 * MIB))):
            started = time.monotonic()
            try:
                response = httpx.post(url, content=content, timeout=60,
                                      headers={**headers, "content-type": "application/json"})
                status, size = response.status_code, len(response.content)
            except httpx.HTTPError as exc:  # the server may close the connection once it has answered
                status, size = type(exc).__name__, 0
            tally.attempt(f"{name} {label}: {status}", status not in (413, "WriteError", "RemoteProtocolError"))
            assert status != 500 and size < 4096, f"{name} {label}: {status}, {size} bytes"
            assert time.monotonic() - started < 30
    tally.report("not refused")
    assert tally.accepted == []


def test_a_422_does_not_echo_large_input(services: dict[str, RunningService], security_staff: SecurityStaff) -> None:
    # accounts of its own: the session's shared e2e-<role> tokens may have been signed out by an earlier test
    staff = {role: security_staff.headers(security_staff.account(role)) for role in ("viewer", "collector")}
    big = "髙" * 60_000  # 360 kB as JSON escapes (twice), under the 1 MiB limit: validation answers, not the limit
    tally = Tally("422 echoing input")
    for label, method, url, kwargs in [
        ("collection look-up", "POST", f"{services['collection'].url}/debtor-lookup",
         {"json": {"department": [big], "source_person_id": {"x": big}}, "headers": staff["viewer"]}),
        ("welfare referral", "POST", f"{services['welfare_referral'].url}/referrals",
         {"json": {"debtor_id": big, "reason": 5}, "headers": staff["collector"]}),
        ("collection cases", "GET", f"{services['collection'].url}/cases",
         {"params": {"min_balance": "x" * 4000}, "headers": staff["viewer"]}),
    ]:
        response = httpx.request(method, url, timeout=30, **kwargs)
        assert response.status_code == 422, f"{label}: {response.status_code}"
        tally.attempt(f"{label}: {len(response.content)} bytes", len(response.content) > 2048
                      or "髙髙髙" in response.text or "xxxx" in response.text)
    tally.report("echoed")
    assert tally.accepted == []


def test_person_keys_stay_out_of_urls_and_spans(services: dict[str, RunningService],
                                                staff: dict[str, dict[str, str]],
                                                span_collector: SpanCollector) -> None:
    collection = services["collection"].url
    old = httpx.get(f"{collection}/debtor-lookup", params={"department": "tax", "source_person_id": "T-SEC-1"},
                    headers=staff["viewer"], timeout=10)
    assert old.status_code == 405
    marker = "SECQUERY9"
    httpx.get(f"{collection}/cases", params={"holder": marker}, headers=staff["viewer"], timeout=10)
    httpx.post(f"{collection}/debtor-lookup", json={"department": "tax", "source_person_id": marker + "P"},
               headers=staff["viewer"], timeout=10)
    deadline = time.monotonic() + 20
    seen: list[dict] = []
    while time.monotonic() < deadline:
        seen = [s for s in span_collector.snapshot() if "/cases" in str(s.get("tags", {}))
                or "/debtor-lookup" in str(s.get("tags", {}))]
        if any("/cases" in str(s.get("tags")) for s in seen):
            break
        time.sleep(0.5)
    assert seen, "no HTTP span of collection was exported"
    leaked = [s["name"] for s in span_collector.snapshot() if marker in str(s)]
    report = Tally("query strings and person keys in spans")
    for span in seen:
        report.attempt(span["name"], any("?" in str(v) for k, v in span.get("tags", {}).items()
                                         if k in ("http.url", "url.full", "http.target", "url.query")))
    report.report("leaked")
    assert report.accepted == [] and leaked == []
