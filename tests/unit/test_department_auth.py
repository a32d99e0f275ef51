"""Department systems' credentials for POST /imports (issue 18 §2)."""

from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from contracts import Department
from shared.auth import DEVELOPMENT_STAFF_KEYS, STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, TokenIssuer, TokenKeys
from shared.department_auth import (
    DepartmentSystem,
    batch_operator,
    install_department_auth,
    mint,
    require_department_system,
)
from shared.settings import AdapterSettings


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> AdapterSettings:
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "test")
    return AdapterSettings()


def app_for(settings: AdapterSettings) -> TestClient:
    app = FastAPI()
    install_department_auth(app, settings)

    @app.post("/imports")
    async def imports(sender: Annotated[DepartmentSystem, Depends(require_department_system(Department.TAX))]
                      ) -> dict[str, str]:
        return {"submitted_by": sender.label}

    return TestClient(app)


def test_the_right_department_system_is_admitted_and_named(settings: AdapterSettings) -> None:
    token = mint(settings, Department.TAX, "tax-core")
    response = app_for(settings).post("/imports", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json() == {"submitted_by": "system:tax-core"}


def test_no_credential_is_401(settings: AdapterSettings) -> None:
    response = app_for(settings).post("/imports")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("department", [d for d in Department if d is not Department.TAX])
def test_another_departments_credential_is_403(settings: AdapterSettings, department: Department) -> None:
    token = mint(settings, department, f"{department.value}-core")
    assert app_for(settings).post("/imports", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_forged_and_foreign_tokens_are_401(settings: AdapterSettings) -> None:
    client = app_for(settings)
    staff = TokenIssuer(TokenKeys.parse(DEVELOPMENT_STAFF_KEYS, "dev"), STAFF_TOKEN_ISSUER, STAFF_TOKEN_AUDIENCE,
                        timedelta(hours=1)).issue("demo-admin", ["admin"], extra={"department": "tax"})
    other_key = AdapterSettings(department_auth_keys="other:" + "o" * 40, department_auth_active_kid="other")
    forged = mint(other_key, Department.TAX, "tax-core")
    token = mint(settings, Department.TAX, "tax-core")
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (staff, forged, tampered, "not-a-token"):
        assert client.post("/imports", headers={"Authorization": f"Bearer {bad}"}).status_code == 401


def test_a_revoked_credential_is_401(settings: AdapterSettings) -> None:
    import jwt

    token = mint(settings, Department.TAX, "tax-core")
    token_id = jwt.decode(token, options={"verify_signature": False})["jti"]
    revoked = AdapterSettings(department_revoked_tokens=f"x, {token_id}")
    assert app_for(revoked).post("/imports", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize("system_id", ["", "税務 システム", "a b", "x\x00"])
def test_system_ids_are_plain_identifiers(settings: AdapterSettings, system_id: str) -> None:
    with pytest.raises(ValueError):
        mint(settings, Department.TAX, system_id)


def test_the_batch_operator_is_an_account_on_a_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "ops01")
    assert batch_operator().startswith("operator:ops01@")


@pytest.mark.parametrize("adapter", ["tax", "insurance", "childcare", "housing", "water"])
def test_every_adapters_import_route_needs_its_own_departments_credential(
        adapter: str, settings: AdapterSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.ingest.adapter import SOURCE_VARIABLE, create_app
    from tests.departments import department_headers

    monkeypatch.setenv(SOURCE_VARIABLE, adapter)  # as ``python -m shared.ingest <adapter> serve`` sets it
    client = TestClient(create_app())
    assert client.post("/imports", params={"file_name": "x"}, content=b"").status_code == 401
    other = "water" if adapter != "water" else "tax"
    assert client.post("/imports", params={"file_name": "x"}, content=b"",
                       headers=department_headers(other)).status_code == 403
    own = client.post("/imports", params={"file_name": "x"}, content=b"", headers=department_headers(adapter))
    assert own.status_code not in (401, 403)  # past the credential: the (empty) export itself is judged next
