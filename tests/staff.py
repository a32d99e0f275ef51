"""Staff accounts for tests that call the central API: created with the real command line
(``python -m services.collection staff add``), signed in through the real POST /auth/token."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from tests.infrastructure import ROOT, Infrastructure

PASSWORD = "test-password-長い-0123"
#: One account per role, named after it.
ROLES = ("viewer", "collector", "supervisor", "admin")


def create_staff(infra: Infrastructure, staff_id: str, *roles: str) -> None:
    env = {**os.environ, **infra.service_env(), "TEST_STAFF_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "services.collection", "staff", "add", staff_id, "--name", f"試験 {staff_id}",
               "--password-env", "TEST_STAFF_PASSWORD"] + [arg for role in roles for arg in ("--role", role)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def sign_in(collection_url: str, staff_id: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for a staff member."""
    response = httpx.post(f"{collection_url}/auth/token", data={"username": staff_id, "password": password},
                          timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def staff_headers(infra: Infrastructure, collection_url: str, prefix: str = "e2e") -> dict[str, dict[str, str]]:
    """Role → headers of a signed-in test account with that role (accounts <prefix>-<role>). Adding an account
    that exists resets it and revokes its tokens (as a password reset must), so each suite keeps its own prefix:
    re-creating e2e-viewer would sign out every test holding the session's e2e tokens."""
    for role in ROLES:
        create_staff(infra, f"{prefix}-{role}", role)
    return {role: sign_in(collection_url, f"{prefix}-{role}") for role in ROLES}
