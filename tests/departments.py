"""Department systems' credentials for tests that push exports to an adapter's POST /imports (minted with the
development key, which the test deployment accepts: shared/department_auth.py)."""

from __future__ import annotations

from functools import cache

from contracts import Department
from shared.department_auth import mint
from shared.settings import AdapterSettings


@cache
def department_headers(adapter_or_department: str) -> dict[str, str]:
    """``Authorization`` of the department system behind an adapter (``tax_adapter`` or ``tax``)."""
    department = Department(adapter_or_department.removesuffix("_adapter"))
    token = mint(AdapterSettings(), department, f"{department.value}-test-system")
    return {"Authorization": f"Bearer {token}"}
