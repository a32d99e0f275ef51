"""Staff tokens against every service that takes them: forgery, a development key outside development, unknown
subjects, revocation and role changes through the one authority, who may grant the welfare roles.

OWASP API Security Top 10 (2023): API2 Broken Authentication (forgery, unknown subjects, revocation),
API5 Broken Function Level Authorization (role changes, welfare grants), API8 Security Misconfiguration
(published development keys outside development)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import jwt
import pytest

from contracts.sources import source
from services.lawyer_gateway.settings import DEVELOPMENT_FIRM_KEYS
from shared.auth import DEVELOPMENT_STAFF_KEYS, TokenIssuer, TokenKeys
from shared.settings import DEVELOPMENT_DEPARTMENT_KEYS
from tests.e2e.processes import free_port
from tests.infrastructure import ROOT
from tests.security.conftest import SecurityStaff, Tally, bearer, call, now, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.security]

DEV_SECRET = DEVELOPMENT_STAFF_KEYS.split(":", 1)[1]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forged_tokens(issuer: TokenIssuer, viewer_token: str) -> dict[str, str]:
    """Tokens an attacker can make: each must be refused by every staff API."""
    claims = {"iss": "collection", "aud": "central-api", "sub": "demo-admin", "roles": ["admin", "welfare"],
              "iat": int(now().timestamp()), "nbf": int(now().timestamp()),
              "exp": int((now() + timedelta(hours=1)).timestamp()), "jti": "forged"}
    header, payload, signature = viewer_token.split(".")
    tampered = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered["roles"] = ["admin", "supervisor", "welfare"]
    firm = TokenIssuer(TokenKeys.parse(DEVELOPMENT_FIRM_KEYS, "dev"), "lawyer-gateway", "lawyer-api",
                       timedelta(minutes=15))
    department = TokenIssuer(TokenKeys.parse(DEVELOPMENT_DEPARTMENT_KEYS, "dev"), "municipal-collection",
                             "department-imports", timedelta(days=1))
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'dev'})}.{_b64(claims)}.",
        "wrong key": jwt.encode(claims, "x" * 40, algorithm="HS256", headers={"kid": "dev"}),
        "unknown kid": jwt.encode(claims, DEV_SECRET, algorithm="HS256", headers={"kid": "2026z"}),
        "no kid": jwt.encode(claims, DEV_SECRET, algorithm="HS256"),
        "HS512": jwt.encode(claims, DEV_SECRET, algorithm="HS512", headers={"kid": "dev"}),
        "tampered roles": f"{header}.{_b64(tampered)}.{signature}",
        "firm token (other audience)": firm.issue("client-1", ["firm", "admin"], extra={"firm": "x"}),
        "department credential": department.issue("tax-core", ["admin"], extra={"department": "tax"}),
        "expired": issuer.issue("demo-admin", ["admin"], now=now() - timedelta(hours=9)),
        "not yet valid": issuer.issue("demo-admin", ["admin"], now=now() + timedelta(hours=1)),
        "unknown subject": issuer.issue("ghost-account-that-never-existed", ["admin", "supervisor", "welfare"]),
    }


def test_forged_tokens_are_refused_everywhere(staff_routes: dict[str, tuple[str, str]], staff_token_issuer,
                                              security_staff: SecurityStaff) -> None:  # type: ignore[no-untyped-def]
    viewer = security_staff.headers(security_staff.account("viewer"))["Authorization"].removeprefix("Bearer ")
    tally = Tally("token forgery (alg none, wrong key/kid, tampered, other audience, expired, unknown subject)")
    for label, token in forged_tokens(staff_token_issuer, viewer).items():
        for route_name, route in staff_routes.items():
            response = call(route, bearer(token))
            tally.attempt(f"{label} on {route_name}: {response.status_code}", response.status_code != 401)
            assert token not in response.text
    tally.report()
    assert tally.accepted == []


ENVIRONMENTS = ["production", "prod", "Production", "production ", "staging", "compose", ""]
SERVICES = {"collection": "COLLECTION_AUTH_KEYS", "matching": "MATCHING_AUTH_KEYS",
            "lawyer_gateway": "LAWYER_GATEWAY_AUTH_KEYS", "welfare_referral": "WELFARE_REFERRAL_STAFF_AUTH_KEYS",
            "tax_adapter": "DEPARTMENT_AUTH_KEYS"}


def _start(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, *(source(service.removesuffix("_adapter")).command("serve") if service.endswith("_adapter")
                              else ["-m", f"services.{service}"])]
    # a refusal comes from the settings, before anything is served; the limit allows for a loaded machine
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False)


def test_no_service_starts_on_a_development_key_outside_development(e2e_env: dict[str, str]) -> None:
    """Each service is started as a real deployment would be, with the published key (alone, or next to its
    own key), under the environment names that used to slip through; it must refuse to start and name the
    setting, without printing the secret. (Every other value and setting: tests/unit/test_deployment_secrets.py.)"""
    tally = Tally("development key outside development (service starts)")
    own = "2026a:" + "k" * 48
    names = list(SERVICES)
    runs = [(name, ENVIRONMENTS[index % len(ENVIRONMENTS)], "published key alone") for index, name in enumerate(names)]
    runs += [("collection", "production", "own key plus the published one"),
             ("tax_adapter", "Production", "own key plus the published one")]

    def run(service: str, environment: str, variant: str) -> subprocess.CompletedProcess[str]:
        # its own free port: were the refusal missing, the service would start there, never on a default port
        env = {**e2e_env, "DEPLOYMENT_ENVIRONMENT": environment, f"{service.upper()}_HTTP_PORT": str(free_port())}
        if variant != "published key alone":
            published = {"DEPARTMENT_AUTH_KEYS": DEVELOPMENT_DEPARTMENT_KEYS}.get(SERVICES[service],
                                                                                DEVELOPMENT_STAFF_KEYS)
            env[SERVICES[service]] = f"{own},{published}"
        return _start(service, env)

    with ThreadPoolExecutor(max_workers=3) as pool:  # the machine's two cores: a few interpreters at a time
        results = list(pool.map(lambda r: run(*r), runs))
    for (service, environment, variant), done in zip(runs, results, strict=True):
        output = done.stdout + done.stderr
        started = done.returncode == 0 or SERVICES[service] not in output
        tally.attempt(f"{service} with DEPLOYMENT_ENVIRONMENT={environment!r}, {variant}", started)
        assert DEV_SECRET not in output and "k" * 48 not in output, "a secret was printed"
    tally.report("started")
    assert tally.accepted == []


def test_a_disabled_account_stops_everywhere_within_a_minute(
        staff_routes: dict[str, tuple[str, str]], security_staff: SecurityStaff) -> None:
    """Revocation at collection (disable) reaches matching, welfare and the gateway's admin routes through the
    one authority, within its cache time (≤ 60 s)."""
    staff_id = security_staff.account("supervisor", "welfare")
    headers = security_staff.headers(staff_id)
    admin = security_staff.headers(security_staff.account("admin"))
    for name, route in staff_routes.items():
        assert call(route, headers).status_code == 200, name  # works, and the authority's answer is cached now
    disabled = httpx.post(f"{security_staff.collection_url}/staff/{staff_id}/disable", headers=admin, timeout=10)
    assert disabled.status_code == 200
    tally = Tally("revocation (disabled account, ≤ 60 s)")
    for name, route in staff_routes.items():
        waited = poll_until(lambda route=route: call(route, headers).status_code == 401, timeout=65)
        tally.attempt(f"{name} still admitted after 65 s" if waited is None else name,
                      waited is None or waited > 60)
    tally.report("still admitted")
    assert tally.accepted == []


def test_role_changes_take_effect_everywhere_and_welfare_roles_need_a_welfare_admin(
        services, security_staff: SecurityStaff) -> None:  # type: ignore[no-untyped-def]
    admin = security_staff.headers(security_staff.account("admin"))
    welfare_admin = security_staff.headers(security_staff.account("welfare_admin"))
    collection = security_staff.collection_url
    tally = Tally("welfare role granted by someone not a welfare admin")
    for body in ({"staff_id": "sec-w-by-admin", "display_name": "試験 髙橋", "roles": ["welfare"],
                  "password": "a-long-password-123"},
                 {"staff_id": "sec-wa-by-admin", "display_name": "試験 﨑山", "roles": ["welfare_admin"],
                  "password": "a-long-password-123"}):
        response = httpx.post(f"{collection}/staff", json=body, headers=admin, timeout=10)
        tally.attempt(f"admin created {body['roles']}: {response.status_code}", response.status_code != 403)
    target = security_staff.account("viewer")
    response = httpx.put(f"{collection}/staff/{target}/roles", json={"roles": ["viewer", "welfare"]},
                         headers=admin, timeout=10)
    tally.attempt(f"admin granted welfare: {response.status_code}", response.status_code != 403)
    tally.report()
    assert tally.accepted == []
    granted = httpx.put(f"{collection}/staff/{target}/roles", json={"roles": ["viewer", "welfare"]},
                        headers=welfare_admin, timeout=10)
    assert granted.status_code == 200 and sorted(granted.json()["roles"]) == ["viewer", "welfare"]

    # Withdrawn roles stop within the authority's cache time: supervisor at the gateway, welfare at welfare.
    supervisor = security_staff.account("supervisor", "welfare")
    headers = security_staff.headers(supervisor)
    gateway = ("GET", f"{services['lawyer_gateway'].url}/admin/audit")
    inbox = ("GET", f"{services['welfare_referral'].url}/inbox")
    assert call(gateway, headers).status_code == 200 and call(inbox, headers).status_code == 200
    lowered = httpx.put(f"{collection}/staff/{supervisor}/roles", json={"roles": ["viewer", "welfare"]},
                        headers=admin, timeout=10)
    assert lowered.status_code == 200
    no_welfare = httpx.put(f"{collection}/staff/{supervisor}/roles", json={"roles": ["viewer"]},
                           headers=welfare_admin, timeout=10)
    assert no_welfare.status_code == 200
    changed = Tally("role change (supervisor and welfare withdrawn, ≤ 60 s)")
    for name, route in (("gateway admin", gateway), ("welfare inbox", inbox)):
        waited = poll_until(lambda route=route: call(route, headers).status_code == 403, timeout=65)
        changed.attempt(f"{name} still admitted" if waited is None else name, waited is None or waited > 60)
    assert call(("GET", f"{services['matching'].url}/reviews"), headers).status_code == 200  # viewer remains
    changed.report("still admitted")
    assert changed.accepted == []
