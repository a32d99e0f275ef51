"""Department systems' credentials on every adapter's POST /imports.

OWASP API Security Top 10 (2023): API2 Broken Authentication (anonymous and forged credentials), API5 Broken
Function Level Authorization (a department importing for another), API10 Unsafe Consumption of APIs (only a
known department system may feed the ledger)."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import httpx
import pytest

from contracts import ClaimAssessed, Department, LegalCategory, PersonReference
from services.tax_adapter import export_format as tax
from shared.auth import DEVELOPMENT_STAFF_KEYS, STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_ISSUER, TokenIssuer, TokenKeys
from shared.department_auth import mint
from shared.settings import AdapterSettings
from tests.departments import department_headers
from tests.e2e.processes import RunningService
from tests.security.conftest import Tally, bearer

pytestmark = [pytest.mark.e2e, pytest.mark.security]

ADAPTERS = [d.value for d in Department]


def test_imports_need_the_departments_own_credential(services: dict[str, RunningService]) -> None:
    staff = TokenIssuer(TokenKeys.parse(DEVELOPMENT_STAFF_KEYS, "dev"), STAFF_TOKEN_ISSUER, STAFF_TOKEN_AUDIENCE,
                        timedelta(hours=1)).issue("demo-admin", ["admin"], extra={"department": "tax"})
    foreign_key = AdapterSettings(department_auth_keys="x:" + "x" * 40, department_auth_active_kid="x")
    anonymous, wrong = Tally("department imports without a valid credential"), Tally("imports for another department")
    for department in ADAPTERS:
        url = f"{services[f'{department}_adapter'].url}/imports"
        attempts = {"anonymous": {}, "staff token": bearer(staff),
                    "credential signed with another key": bearer(mint(foreign_key, Department(department), "evil")),
                    "garbage": bearer("a.b.c"), "basic auth": {"Authorization": "Basic dGF4OnRheA=="}}
        for label, headers in attempts.items():
            response = httpx.post(url, params={"file_name": "fake.csv"}, content=b"fake claim", headers=headers,
                                  timeout=30)
            anonymous.attempt(f"{department} {label}: {response.status_code}", response.status_code != 401)
        for other in ADAPTERS:
            if other != department:
                response = httpx.post(url, params={"file_name": "fake.csv"}, content=b"fake claim",
                                      headers=department_headers(other), timeout=30)
                wrong.attempt(f"{other} credential on {department}: {response.status_code}",
                              response.status_code != 403)
    anonymous.report()
    wrong.report()
    assert anonymous.accepted == [] and wrong.accepted == []


def test_an_accepted_import_records_who_sent_it(services: dict[str, RunningService]) -> None:
    tag = uuid.uuid4().hex[:8]
    person = PersonReference(source_person_id=f"S{tag}", name_kanji="髙橋 﨑子", name_kana="ﾀｶﾊｼ ｻｷｺ",
                             birth_date=date(1980, 4, 1), address="愛知県豊田市西町1丁目")
    export = tax.render_export([ClaimAssessed(
        claim_id=tax.claim_id(2024, "light_vehicle_tax", f"N{tag}", 1), person=person,
        receivable_type="light_vehicle_tax", legal_category=LegalCategory.FORCED_PUBLIC, fiscal_year=2024,
        installment=1, due_date=date(2024, 5, 31), amount=10_800, assessed_on=date(2024, 4, 10))])
    response = httpx.post(f"{services['tax_adapter'].url}/imports", params={"file_name": f"sec-{tag}.csv"},
                          content=export, headers=department_headers("tax"), timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["submitted_by"] == "system:tax-test-system" and body["published"] == 1
    logged = [json.loads(line) for line in services["tax_adapter"].log.read_text(errors="replace").splitlines()
              if line.startswith("{") and body["correlation_id"] in line]
    assert any(entry.get("submitted_by") == "system:tax-test-system" for entry in logged), logged
    assert not any("髙橋" in json.dumps(entry, ensure_ascii=False) for entry in logged)  # no names in the logs


def test_the_batch_import_names_the_operator(imported_city) -> None:  # type: ignore[no-untyped-def]
    printed = "\n".join(imported_city.outputs)
    assert "imported by operator:" in printed
