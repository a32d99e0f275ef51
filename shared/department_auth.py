"""Department systems' credentials for ``POST /imports``: one signed token per source system.

Why a signed token (a client-credentials JWT, like the lawyer gateway's and the staff tokens) rather than a
client certificate: the adapters already verify HS256 tokens with rotatable keys (shared/auth.py), the check is
done by the application itself whatever terminates TLS in front of it (a proxy that ends mutual TLS would hide
the certificate from the app), and a department's batch server only has to add an ``Authorization`` header.

A credential names one department system (``sub``, e.g. ``tax-core``) and the one department it may import for
(``department``; for a source of several departments, the standard link, that source's code: ``standard_link``,
whose lines each name their department); it carries the role ``department_system`` and nothing a staff API accepts (own audience).
It is long-lived (a year by default) because it sits in a server's configuration: rotate by adding a key id to
``DEPARTMENT_AUTH_KEYS`` and minting new credentials; withdraw one at once by listing its token id in
``DEPARTMENT_REVOKED_TOKENS``.

    python -m shared.department_auth mint tax --system tax-core [--days 365]
    python -m shared.department_auth mint standard_link --system std-shuutai [--days 365]
"""

from __future__ import annotations

import argparse
import getpass
import logging
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts import Department
from contracts.sources import SOURCES
from shared.auth import Authenticator, Principal, TokenIssuer, TokenKeys
from shared.settings import DepartmentCredentialSettings

log = logging.getLogger(__name__)

DEPARTMENT_TOKEN_ISSUER = "municipal-collection"
DEPARTMENT_TOKEN_AUDIENCE = "department-imports"
DEPARTMENT_SYSTEM_ROLE = "department_system"
DEFAULT_DAYS = 365


@dataclass(frozen=True)
class DepartmentSystem:
    """Who sent an import: a department system (its id and token id, never a person)."""

    system_id: str
    department: str
    token_id: str

    @property
    def label(self) -> str:
        return f"system:{self.system_id}"


def department_issuer(settings: DepartmentCredentialSettings, days: int = DEFAULT_DAYS) -> TokenIssuer:
    return TokenIssuer(TokenKeys.parse(settings.department_auth_keys, settings.department_auth_active_kid),
                       issuer=DEPARTMENT_TOKEN_ISSUER, audience=DEPARTMENT_TOKEN_AUDIENCE, ttl=timedelta(days=days))


#: What a credential may name besides a department: the codes of the sources that carry several departments.
MULTI_DEPARTMENT_SOURCES = tuple(row.code for row in SOURCES if row.department is None)


def credential_scope(department: Department | str) -> str:
    """A department's value, or the code of a source of several departments; ValueError otherwise."""
    if department in MULTI_DEPARTMENT_SOURCES:
        return str(department)
    return Department(department).value


def mint(settings: DepartmentCredentialSettings, department: Department | str, system_id: str,
         days: int = DEFAULT_DAYS) -> str:
    """A credential for one department system, allowed to import for ``department`` only (or, for a source of
    several departments, that source's code)."""
    if not system_id or not system_id.isascii() or not all(c.isalnum() or c in "._-" for c in system_id):
        raise ValueError("the system id must be ASCII letters, digits, '.', '_' or '-'")
    return department_issuer(settings, days).issue(system_id, [DEPARTMENT_SYSTEM_ROLE],
                                                   extra={"department": credential_scope(department)})


def install_department_auth(app: FastAPI, settings: DepartmentCredentialSettings) -> None:
    """The verifier an adapter app keeps in ``app.state.department_authenticator``."""
    revoked = frozenset(t.strip() for t in settings.department_revoked_tokens.split(",") if t.strip())

    async def is_revoked(principal: Principal) -> bool:
        return principal.token_id in revoked

    app.state.department_authenticator = Authenticator(department_issuer(settings), is_revoked)


_bearer = HTTPBearer(auto_error=False, scheme_name="DepartmentCredential", bearerFormat="JWT",
                     description="The department system's credential (python -m shared.department_auth mint)")


def require_department_system(department: Department | str) -> Callable[..., Awaitable[DepartmentSystem]]:
    """A dependency for an import route: 401 without a valid department credential, 403 when the credential
    belongs to another department's system (``department``: the route's department, or the code of a source of
    several departments)."""
    scope = credential_scope(department)

    async def department_system(request: Request, credentials: Annotated[
            HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> DepartmentSystem:
        authenticator: Authenticator = request.app.state.department_authenticator
        principal = await authenticator.authenticate(credentials)
        sender = DepartmentSystem(principal.subject, str(principal.claims.get("department")), principal.token_id)
        if DEPARTMENT_SYSTEM_ROLE not in principal.roles or sender.department != scope:
            log.warning("import refused: credential of another department",
                        extra={"system": sender.system_id, "credential_department": sender.department,
                               "department": scope, "token_id": sender.token_id})
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this credential may not import {scope} exports")
        request.state.submitted_by = sender
        return sender

    return department_system


def batch_operator() -> str:
    """Who runs a batch import: the operating-system account that started it (through sudo: the account that
    called sudo), on which machine. An account id, not a name."""
    import os

    user = os.environ.get("SUDO_USER") or getpass.getuser()
    return f"operator:{user}@{socket.gethostname()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.department_auth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    minted = commands.add_parser("mint", help="print a new credential for one department system")
    minted.add_argument("department", choices=[*(d.value for d in Department), *MULTI_DEPARTMENT_SOURCES],
                        help="the department, or the code of a source of several departments (standard_link)")
    minted.add_argument("--system", required=True, help="the department system's id, e.g. tax-core")
    minted.add_argument("--days", type=int, default=DEFAULT_DAYS, help="how long it is valid")
    args = parser.parse_args(argv)
    settings = DepartmentCredentialSettings()
    print(mint(settings, args.department, args.system, args.days))
    print(f"credential for {args.system} ({args.department}), valid {args.days} days, minted by {batch_operator()}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
