"""The lawyer gateway on the running system: firm A sees exactly its cases and firm B nothing of them, by id
guessing, filter tricks or stale assignment; forced-collection and tax data never appear; expired, forged,
wrong-audience and revoked tokens are refused; what firms record reaches collection; every request is audited;
and a property-based fuzzer finds no server error or schema violation in the OpenAPI."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
import pypdf
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contracts import ClaimAssessed, LegalCategory, PersonReference
from services.lawyer_gateway.settings import DEVELOPMENT_FIRM_KEYS
from services.tax_adapter import export_format as tax
from services.water_adapter import export_format as water
from shared.auth import TokenIssuer, TokenKeys
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually
from tests.figures import report
from tests.infrastructure import ROOT, Infrastructure
from tests.people import birth_date_for, phone_for

pytestmark = pytest.mark.e2e




def manage(infra: Infrastructure, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "services.lawyer_gateway", *args], cwd=ROOT,
                          env={**os.environ, **infra.service_env()}, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def new_client(infra: Infrastructure, firm: str, lawyer: str) -> tuple[str, str]:
    out = manage(infra, "clients", "add", "--firm", firm, "--lawyer", lawyer, "--name", f"弁護士 {lawyer}")
    found = dict(re.findall(r"^(client_id|client_secret)=(.+)$", out, re.MULTILINE))
    return found["client_id"], found["client_secret"]


@dataclass
class Firm:
    code: str
    client_id: str
    secret: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    gateway: httpx.Client
    collection: httpx.Client
    staff: dict[str, dict[str, str]]
    a: Firm
    b: Firm
    cases: dict[str, str]  # label → case ref
    tax_claim: str
    phones: dict[str, str]  # label → the phone the departments recorded
    bodies: list[str] = field(default_factory=list)  # every gateway response body the tests saw


def sign_in(gateway: httpx.Client, client_id: str, secret: str) -> dict[str, str]:
    response = gateway.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                  "client_secret": secret})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def push_person(services: dict[str, RunningService], tag: str, number: int, *, with_tax: bool
                ) -> tuple[str, str | None]:
    """A resident of this test (nobody else's namesake) with an old water arrear, and a tax arrear when asked:
    (water id, tax claim)."""
    surname = ("委託", "依頼", "受任")[number]
    person = PersonReference(source_person_id=f"W{tag}", name_kanji=f"{surname} {tag}",
                             name_kana=f"{('イタク', 'イライ', 'ジュニン')[number]} {tag.upper()}",
                             birth_date=birth_date_for(tag, 1950), postal_code="471-0024",
                             address=f"愛知県豊田市元城町3丁目{15 + number}番地11号",
                             phone=phone_for(tag))
    water_file = water.render_export([ClaimAssessed(
        claim_id=water.claim_id(2024, "water_supply_charge", f"S{tag}", person.source_person_id, 1), person=person,
        receivable_type="water_supply_charge", legal_category=LegalCategory.PRIVATE, fiscal_year=2024,
        installment=1, due_date=date(2024, 5, 31), amount=24_000, assessed_on=date(2024, 5, 5),
        period_start=date(2024, 3, 1), period_end=date(2024, 4, 30))])
    assert httpx.post(f"{services['water_adapter'].url}/imports", params={"file_name": f"{tag}.csv"},
                      content=water_file, headers=department_headers("water"), timeout=30).status_code == 200
    tax_claim = None
    if with_tax:
        tax_claim = tax.claim_id(2024, "individual_inhabitant_tax", f"N{tag}", 1)
        tax_file = tax.render_export([ClaimAssessed(
            claim_id=tax_claim, person=person.model_copy(update={"source_person_id": f"T{tag}"}),
            receivable_type="individual_inhabitant_tax", legal_category=LegalCategory.FORCED_PUBLIC,
            fiscal_year=2024, installment=1, due_date=date(2024, 6, 30), amount=31_000,
            assessed_on=date(2024, 6, 1))])
        assert httpx.post(f"{services['tax_adapter'].url}/imports", params={"file_name": f"{tag}.csv"},
                          content=tax_file, headers=department_headers("tax"), timeout=30).status_code == 200
    return f"W{tag}", tax_claim


@pytest.fixture(scope="module")
def world(services: dict[str, RunningService], infrastructure: Infrastructure,
          staff: dict[str, dict[str, str]]) -> World:
    gateway = httpx.Client(base_url=services["lawyer_gateway"].url, timeout=15)
    collection = httpx.Client(base_url=services["collection"].url, timeout=15)
    for code, name in (("lawyer_team_a", "さくら総合法律事務所"), ("lawyer_team_b", "あおば法律事務所")):
        manage(infrastructure, "firms", "add", code, "--name", name)
    a, b = (Firm(code, *new_client(infrastructure, code, lawyer))
            for code, lawyer in (("lawyer_team_a", "a-001"), ("lawyer_team_b", "b-001")))
    tag = uuid.uuid4().hex[:6]
    tags = {"private_a": f"{tag}a", "mixed_a": f"{tag}m", "private_b": f"{tag}b"}
    people = {label: push_person(services, tags[label], number, with_tax=label == "mixed_a")
              for number, label in enumerate(tags)}
    holder = {"private_a": "lawyer_team_a", "mixed_a": "lawyer_team_a", "private_b": "lawyer_team_b"}
    cases = {}
    for label, (water_id, _) in people.items():
        def case_of(water_id: str = water_id, label: str = label) -> str | None:
            found = collection.post("/debtor-lookup", json={"department": "water", "source_person_id": water_id},
                                   headers=staff["viewer"])
            if found.status_code != 200:
                return None
            view = collection.get(f"/debtors/{found.json()['debtor_ids'][0]}", headers=staff["viewer"]).json()
            wanted = 2 if label == "mixed_a" else 1
            return str(view["case"]["case_id"]) if view["case"] and len(view["claims"]) == wanted else None
        cases[label] = eventually(case_of, what=f"the case of {label}")
        overridden = collection.post(f"/cases/{cases[label]}/override", headers=staff["supervisor"], json={
            "holder_kind": "lawyer_team", "holder_code": holder[label], "reason": "委託の試験"})
        assert overridden.status_code == 200, overridden.text
    a.headers, b.headers = sign_in(gateway, a.client_id, a.secret), sign_in(gateway, b.client_id, b.secret)
    for firm, labels in ((a, ("private_a", "mixed_a")), (b, ("private_b",))):
        eventually(lambda firm=firm, labels=labels: all(
            gateway.get(f"/cases/{cases[label]}", headers=firm.headers).status_code == 200 for label in labels),
            what=f"{firm.code}'s cases at the gateway")
    return World(gateway, collection, staff, a, b, cases, people["mixed_a"][1] or "",
                 {label: phone_for(t) for label, t in tags.items()})


def get(world: World, path: str, firm: Firm, **params: object) -> httpx.Response:
    response = world.gateway.get(path, headers=firm.headers, params=params)
    world.bodies.append(response.text)
    return response


def test_a_firm_sees_exactly_the_cases_it_holds(world: World) -> None:
    listed_a = {c["case_ref"] for c in get(world, "/cases", world.a, limit=50).json()["items"]}
    listed_b = {c["case_ref"] for c in get(world, "/cases", world.b, limit=50).json()["items"]}
    assert {world.cases["private_a"], world.cases["mixed_a"]} <= listed_a
    assert world.cases["private_b"] in listed_b and not listed_a & listed_b
    detail = get(world, f"/cases/{world.cases['private_a']}", world.a).json()
    assert detail["contact"]["name_kanji"].startswith("委託") and detail["contact"]["phone"] == world.phones["private_a"]
    assert set(detail["contact"]) == {"name_kanji", "name_kana", "postal_code", "address", "phone", "address_withheld"}
    assert detail["contact"]["address_withheld"] is False and detail["contact"]["address"]
    assert "birth_date" not in str(detail) and "debtor_id" not in str(detail)


def test_another_firms_case_is_invisible_to_every_route_and_trick(world: World) -> None:
    theirs = world.cases["private_a"]
    tried, leaked = 0, []
    for path in (f"/cases/{theirs}", f"/cases/{theirs}/file"):
        tried += 1
        if (status := get(world, path, world.b).status_code) != 404:
            leaked.append(f"{path}: {status}")
    written = world.gateway.post(f"/cases/{theirs}/activities", headers=world.b.headers,
                                 json={"kind": "contact", "occurred_on": "2025-01-10", "note": "電話"})
    tried += 1
    if written.status_code != 404:
        leaked.append(f"POST activities: {written.status_code}")
    for trick in ("0", "999999999999", "1%20OR%201=1", "-1", "..%2F1", "1;DROP", "x" * 40):
        tried += 1
        if (status := get(world, f"/cases/{trick}", world.b).status_code) not in (404, 422):
            leaked.append(f"/cases/{trick}: {status}")
    listed = world.gateway.get("/cases", headers=world.b.headers,  # a filter naming another firm: ignored
                               params={"limit": 50, "firm": "lawyer_team_a", "firm_code": "lawyer_team_a"}).json()
    tried += 1
    if theirs in {c["case_ref"] for c in listed["items"]}:
        leaked.append("GET /cases?firm=lawyer_team_a")
    report(f"security cross-firm (ids, nested paths, tricks, filters): {tried} tried, {len(leaked)} leaked")
    assert leaked == []
    alerts = world.gateway.get("/admin/alerts", params={"firm": "lawyer_team_b"},
                               headers=world.staff["supervisor"]).json()
    assert any(a["kind"] == "outside_assignment" and theirs in a["detail"] for a in alerts)


def test_forced_collection_and_tax_never_reach_a_firm(world: World) -> None:
    mixed = get(world, f"/cases/{world.cases['mixed_a']}", world.a).json()
    assert [c["department"] for c in mixed["claims"]] == ["water"]
    file = world.gateway.get(f"/cases/{world.cases['mixed_a']}/file", headers=world.a.headers)
    world.bodies.append(file.content.decode("utf-8-sig"))
    staff_view = world.collection.get(f"/cases/{world.cases['mixed_a']}", headers=world.staff["viewer"]).json()
    assert {c["department"] for c in staff_view["claims"]} == {"tax", "water"}  # the city still has both
    for body in world.bodies:
        assert "forced_public" not in body and "individual_inhabitant_tax" not in body
        assert world.tax_claim not in body


def test_a_firm_prints_a_reminder_for_its_own_case_only_and_never_with_tax(world: World) -> None:
    mixed = world.cases["mixed_a"]
    pdf = world.gateway.get(f"/cases/{mixed}/documents/reminder.pdf", params={"severity": "final"},
                            headers=world.a.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf", pdf.text
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages).replace(" ", "")
    assert "24,000円" in text and "水道" in text  # the water claim the firm holds
    assert "31,000" not in text and "市民税" not in text and world.tax_claim not in text  # never the tax claim
    assert world.gateway.get(f"/cases/{mixed}/documents/reminder.pdf", headers=world.b.headers).status_code == 404


def test_the_case_file_is_watermarked_with_who_downloaded_it(world: World) -> None:
    file = world.gateway.get(f"/cases/{world.cases['private_a']}/file", headers=world.a.headers)
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
    text = file.content.decode("utf-8-sig")
    assert "a-001" in text.splitlines()[0] and file.headers["x-watermark-id"] in text
    audit = world.gateway.get("/admin/audit", params={"case_ref": world.cases["private_a"],
                                                      "client_id": world.a.client_id},
                              headers=world.staff["supervisor"]).json()
    assert any(f"watermark:{file.headers['x-watermark-id']}" in row["fields"] for row in audit)


def test_what_a_firm_records_reaches_the_central_record_and_a_returned_case_leaves_the_firm(world: World) -> None:
    case = world.cases["private_a"]
    promise = world.gateway.post(f"/cases/{case}/activities", headers=world.a.headers, json={
        "kind": "payment_promise", "occurred_on": "2025-01-20", "note": "本人と面談、月末に一部納付の約束",
        "amount": 10_000, "promised_on": "2025-01-31"})
    assert promise.status_code == 201, promise.text
    incomplete = world.gateway.post(f"/cases/{case}/activities", headers=world.a.headers,
                                    json={"kind": "payment_promise", "occurred_on": "2025-01-20", "note": "x"})
    assert incomplete.status_code == 400 and "amount" in incomplete.text
    eventually(lambda: any(a["kind"] == "payment_promise" and a["lawyer_id"] == "a-001" for a in world.collection.get(
        f"/cases/{case}", headers=world.staff["viewer"]).json()["activities"]), what="the promise in collection")

    returned = world.gateway.post(f"/cases/{case}/activities", headers=world.a.headers, json={
        "kind": "case_returned", "occurred_on": "2025-01-21", "note": "所在不明のため返還"})
    assert returned.status_code == 201
    eventually(lambda: world.gateway.get(f"/cases/{case}", headers=world.a.headers).status_code == 404,
               timeout=30, what="the returned case to leave the firm")
    central = world.collection.get(f"/cases/{case}", headers=world.staff["viewer"]).json()
    assert {c["holder_kind"] for c in central["claims"]} == {"central_group"}


def test_a_reassigned_case_disappears_from_the_old_firm_at_once(world: World) -> None:
    case = world.cases["private_b"]
    assert get(world, f"/cases/{case}", world.b).status_code == 200
    moved = world.collection.post(f"/cases/{case}/override", headers=world.staff["supervisor"], json={
        "holder_kind": "central_group", "holder_code": "housing_water", "reason": "職員が直接対応"})
    assert moved.status_code == 200
    started = time.monotonic()
    eventually(lambda: world.gateway.get(f"/cases/{case}", headers=world.b.headers).status_code == 404,
               timeout=15, what="the reassigned case to disappear")
    assert time.monotonic() - started < 15


def test_expired_forged_wrong_audience_and_revoked_tokens_are_refused(
    world: World, infrastructure: Infrastructure,
) -> None:
    keys = TokenKeys.parse(DEVELOPMENT_FIRM_KEYS, "dev")
    claims = {"firm": "lawyer_team_a", "lawyer": "a-001", "scope": "cases:read"}
    expired = TokenIssuer(keys, "lawyer-gateway", "lawyer-api", timedelta(minutes=15)).issue(
        world.a.client_id, ["firm"], extra=claims, now=datetime.now(UTC) - timedelta(hours=1))
    forged = TokenIssuer(TokenKeys({"dev": "another-key-that-is-long-enough-0123456789"}, "dev"), "lawyer-gateway",
                         "lawyer-api", timedelta(minutes=15)).issue(world.a.client_id, ["firm"], extra=claims)
    for token in (expired, forged, world.staff["viewer"]["Authorization"].split()[1], "not.a.token"):
        assert world.gateway.get("/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    read_only = TokenIssuer(keys, "lawyer-gateway", "lawyer-api", timedelta(minutes=15)).issue(
        world.a.client_id, ["firm"], extra={**claims, "scope": "cases:read"})
    headers = {"Authorization": f"Bearer {read_only}"}
    assert world.gateway.get(f"/cases/{world.cases['mixed_a']}", headers=headers).status_code == 200
    assert world.gateway.post(f"/cases/{world.cases['mixed_a']}/activities", headers=headers, json={
        "kind": "contact", "occurred_on": "2025-01-10", "note": "電話"}).status_code == 403  # reading is not writing
    assert world.gateway.get("/cases").status_code == 401
    assert world.gateway.get("/admin/audit", headers=world.a.headers).status_code == 401  # a firm is not staff

    client_id, secret = new_client(infrastructure, "lawyer_team_a", "a-002")
    headers = sign_in(world.gateway, client_id, secret)
    assert world.gateway.get("/cases", headers=headers).status_code == 200
    manage(infrastructure, "clients", "rotate", client_id)  # a new secret: every earlier token dies at once
    assert world.gateway.get("/cases", headers=headers).status_code == 401
    assert world.gateway.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                    "client_secret": secret}).status_code == 401
    client_id, secret = new_client(infrastructure, "lawyer_team_a", "a-003")
    headers = sign_in(world.gateway, client_id, secret)
    manage(infrastructure, "clients", "disable", client_id)
    assert world.gateway.get("/cases", headers=headers).status_code == 401


def test_limits_on_pages_body_size_and_rate(world: World, infrastructure: Infrastructure) -> None:
    assert get(world, "/cases", world.a, limit=51).status_code == 422
    huge = world.gateway.post(f"/cases/{world.cases['mixed_a']}/activities", headers=world.a.headers,
                              content=b'{"note": "' + b"x" * 20_000 + b'"}',
                              )
    assert huge.status_code == 413
    client_id, secret = new_client(infrastructure, "lawyer_team_a", "a-004")
    headers = sign_in(world.gateway, client_id, secret)
    codes = [world.gateway.get("/cases", headers=headers, params={"limit": 1}).status_code for _ in range(60)]
    assert 429 in codes and codes[0] == 200


def test_every_request_is_audited(world: World, infrastructure: Infrastructure) -> None:
    client_id, secret = new_client(infrastructure, "lawyer_team_b", "b-009")
    headers = sign_in(world.gateway, client_id, secret)
    made = 1  # the sign-in
    for path in ("/cases", f"/cases/{world.cases['private_a']}", "/cases/12345678", "/cases?limit=999"):
        world.gateway.get(path, headers=headers)
        made += 1
    rows = world.gateway.get("/admin/audit", params={"client_id": client_id},
                             headers=world.staff["supervisor"]).json()
    assert len(rows) == made
    assert {r["status"] for r in rows} >= {200, 404, 422}
    assert all(r["firm_code"] == "lawyer_team_b" for r in rows)


FUZZ_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance]


def fuzz(operation, base_url: str, token: str) -> int:  # type: ignore[no-untyped-def]
    """Up to 25 generated requests against one operation; each must be answered without a server error and as
    the OpenAPI says (status codes, content types, headers, bodies). Returns how many were sent."""
    sent = 0

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def check(case) -> None:  # type: ignore[no-untyped-def]
        nonlocal sent
        headers = dict(case.headers or {})
        if operation.path != "/oauth/token":
            headers["Authorization"] = token
        response = case.call(base_url=base_url, headers=headers)
        sent += 1
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"
        case.validate_response(response, checks=FUZZ_CHECKS)

    check()
    return sent


def test_a_property_based_fuzzer_finds_no_server_error_or_schema_violation(
    world: World, infrastructure: Infrastructure,
) -> None:
    schema = schemathesis.openapi.from_url(f"{world.gateway.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    firm_paths = [op for op in operations if not op.path.startswith("/admin")]
    assert len(firm_paths) >= 5
    calls = 0
    for number, operation in enumerate(firm_paths):
        client_id, secret = new_client(infrastructure, "lawyer_team_a", f"fuzz-{number}")  # a rate limit of its own
        calls += fuzz(operation, str(world.gateway.base_url), sign_in(world.gateway, client_id, secret)["Authorization"])
    assert calls >= 50
