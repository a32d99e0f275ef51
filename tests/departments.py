"""Department systems' credentials for tests that push exports to an adapter's POST /imports (minted with the
development key, which the test deployment accepts: shared/department_auth.py)."""

from __future__ import annotations

from functools import cache

from contracts import Department
from shared.department_auth import MULTI_DEPARTMENT_SOURCES, mint
from shared.settings import AdapterSettings


@cache
def department_headers(adapter_or_department: str) -> dict[str, str]:
    """``Authorization`` of the department system behind an adapter (``tax_adapter`` or ``tax``; for a source of
    several departments its code: ``standard_link``)."""
    code = adapter_or_department.removesuffix("_adapter")
    scope = code if code in MULTI_DEPARTMENT_SOURCES else Department(code).value
    token = mint(AdapterSettings(), scope, f"{scope.replace('_', '-')}-test-system")
    return {"Authorization": f"Bearer {token}"}
