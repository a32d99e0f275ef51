"""The central API on the running collection service with the synthetic city loaded: sign-in and roles, the case
list with filters, pages and CSV, a supervisor's override, the central window, and an audit row for every read
of personal data."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import date

import httpx
import pytest

from contracts import ClaimAssessed, LegalCategory, PaymentChannel, PaymentReceived, PersonReference
from services.tax_adapter import export_format as tax
from services.water_adapter import export_format as water
from tests.conftest import CITY_AS_OF, ImportedCity
from tests.departments import department_headers
from tests.e2e.processes import RunningService
from tests.staff import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(services: dict[str, RunningService], imported_city: ImportedCity,
        staff: dict[str, dict[str, str]]) -> httpx.Client:
    """A client on the central API once the city's cases are there."""
    client = httpx.Client(base_url=services["collection"].url, timeout=15)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page = client.get("/cases", params={"limit": 1}, headers=staff["viewer"]).json()
        if page["total"] >= 20:
            return client
        time.sleep(1)
    raise AssertionError("the city's cases did not appear")


def audit_rows(api: httpx.Client, staff: dict[str, dict[str, str]], **filters: str) -> list[dict]:  # type: ignore[type-arg]
    response = api.get("/audit", params={"limit": 1000, **filters}, headers=staff["supervisor"])
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_calls_without_a_valid_token_or_with_a_role_too_low_are_refused(
    api: httpx.Client, staff: dict[str, dict[str, str]],
) -> None:
    refused = api.get("/cases")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert api.get("/cases", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    forged = staff["viewer"]["Authorization"][:-4] + "AAAA"
    assert api.get("/debtors/x", headers={"Authorization": forged}).status_code == 401
    wrong_password = api.post("/auth/token", data={"username": "e2e-viewer", "password": "wrong password!"})
    assert wrong_password.status_code == 401
    case_id = api.get("/cases", params={"limit": 1}, headers=staff["viewer"]).json()["items"][0]["case_id"]
    override = {"holder_kind": "central_group", "holder_code": "welfare", "reason": "試験"}
    assert api.post(f"/cases/{case_id}/override", json=override, headers=staff["viewer"]).status_code == 403
    assert api.post(f"/cases/{case_id}/override", json=override, headers=staff["collector"]).status_code == 403
    assert api.get("/audit", headers=staff["collector"]).status_code == 403
    assert api.get("/staff", headers=staff["supervisor"]).status_code == 403
    assert api.get("/auth/me", headers=staff["admin"]).json()["roles"] == ["admin"]


def test_a_disabled_account_loses_its_token_at_once(api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    staff_id = f"temp-{uuid.uuid4().hex[:8]}"
    created = api.post("/staff", headers=staff["admin"], json={
        "staff_id": staff_id, "display_name": "臨時 職員", "roles": ["viewer"], "password": "一時的なパスワード-1234"})
    assert created.status_code == 201, created.text
    headers = sign_in(str(api.base_url), staff_id, "一時的なパスワード-1234")
    assert api.get("/cases", params={"limit": 1}, headers=headers).status_code == 200
    assert api.post(f"/staff/{staff_id}/disable", headers=staff["admin"]).status_code == 200
    assert api.get("/cases", params={"limit": 1}, headers=headers).status_code == 401
    assert api.post("/auth/token", data={"username": staff_id, "password": "一時的なパスワード-1234"}).status_code == 401


def test_case_list_filters_sorts_pages_and_exports(api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    viewer = staff["viewer"]
    everything = api.get("/cases", params={"limit": 500}, headers=viewer).json()
    total = everything["total"]
    balances = [c["delinquent_balance"] for c in everything["items"]]
    assert total == len(everything["items"]) and balances == sorted(balances, reverse=True)

    first, second = (api.get("/cases", params={"limit": 5, "offset": offset}, headers=viewer).json()
                     for offset in (0, 5))
    assert [c["case_id"] for c in first["items"] + second["items"]] == [c["case_id"] for c in everything["items"][:10]]

    water = api.get("/cases", params={"department": "water", "limit": 500, "sort": "oldest_due_date",
                                      "descending": "false"}, headers=viewer).json()
    assert 0 < water["total"] < total and all("water" in c["departments"] for c in water["items"])
    oldest = [c["oldest_due_date"] for c in water["items"]]
    assert oldest == sorted(oldest)
    big = api.get("/cases", params={"min_balance": 50_000, "limit": 500}, headers=viewer).json()
    assert all(c["delinquent_balance"] >= 50_000 for c in big["items"])
    aged = api.get("/cases", params={"min_arrears_days": 180, "limit": 500}, headers=viewer).json()
    # The filter leaves out the younger cases (compared by id: other tests' cases may open meanwhile).
    young = {c["case_id"] for c in everything["items"] if c["arrears_days"] < 180}
    assert all(c["arrears_days"] >= 180 for c in aged["items"]) and young
    assert not young & {c["case_id"] for c in aged["items"]}
    held = api.get("/cases", params={"legal_category": "forced_public", "holder": "tax_insurance", "limit": 500},
                   headers=viewer).json()
    assert all("tax_insurance" in c["holder_codes"] for c in held["items"])
    assert api.get("/cases", params={"limit": 501}, headers=viewer).status_code == 422
    assert api.get("/cases", params={"department": "police"}, headers=viewer).status_code == 422

    exported = api.get("/cases/export.csv", params={"department": "water"}, headers=viewer)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == water["total"] and {r["事案番号"] for r in rows} == {str(c["case_id"]) for c in water["items"]}


def test_an_override_is_audited_and_reversible_and_the_law_still_applies(
    api: httpx.Client, staff: dict[str, dict[str, str]],
) -> None:
    forced = api.get("/cases", params={"legal_category": "forced_public", "limit": 500}, headers=staff["viewer"]
                     ).json()["items"]
    case = next(c for c in forced if len(c["legal_categories"]) > 1)  # a mixed case: tax-like and private claims
    body = {"holder_kind": "lawyer_team", "holder_code": "lawyer_team_a", "reason": "係争中: 弁護士に一任"}
    overridden = api.post(f"/cases/{case['case_id']}/override", json=body, headers=staff["supervisor"])
    assert overridden.status_code == 200, overridden.text
    detail = overridden.json()
    assert detail["override"]["decided_by"] == "e2e-supervisor"
    for claim in detail["claims"]:  # forced-collection and tax claims never go to the firm, override or not
        if claim["legal_category"] == "forced_public" or claim["department"] == "tax":
            assert claim["holder_kind"] == "central_group", claim
        else:
            assert claim["holder_code"] == "lawyer_team_a" and claim["rule_id"] == "override"
    assert {c["holder_kind"] for c in detail["claims"]} == {"central_group", "lawyer_team"}
    assert any(h["cause"] == "override" and h["actor"] == "e2e-supervisor" for h in detail["history"])
    unknown = api.post(f"/cases/{case['case_id']}/override", headers=staff["supervisor"],
                       json={**body, "holder_code": "no_such_firm"})
    assert unknown.status_code == 422 and "no_such_firm" in unknown.text
    restored = api.delete(f"/cases/{case['case_id']}/override", headers=staff["supervisor"]).json()
    assert restored["override"] is None and all(c["rule_id"] != "override" for c in restored["claims"])
    actions = {r["action"] for r in audit_rows(api, staff, actor="e2e-supervisor", subject=str(case["case_id"]))}
    assert {"override_case", "remove_case_override"} <= actions


def arrears_in_two_departments(services: dict[str, RunningService], api: httpx.Client,
                               headers: dict[str, str]) -> str:
    """A new resident of this test only (the city's balances are checked by another test), owing tax and water."""
    tag = uuid.uuid4().hex[:8]
    person = PersonReference(source_person_id=f"T{tag}", name_kanji="窓口 " + tag, name_kana="マドグチ " + tag.upper(),
                             birth_date=date(1961, 2, 3), address="愛知県豊田市西町3丁目60番地5号")
    tax_file = tax.render_export([ClaimAssessed(
        claim_id=tax.claim_id(2024, "individual_inhabitant_tax", f"N{tag}", 1), person=person,
        receivable_type="individual_inhabitant_tax", legal_category=LegalCategory.FORCED_PUBLIC, fiscal_year=2024,
        installment=1, due_date=date(2024, 6, 30), amount=20_000, assessed_on=date(2024, 6, 1))])
    water_person = person.model_copy(update={"source_person_id": f"W{tag}"})
    water_file = water.render_export([ClaimAssessed(
        claim_id=water.claim_id(2024, "water_supply_charge", f"S{tag}", water_person.source_person_id, 1),
        person=water_person, receivable_type="water_supply_charge", legal_category=LegalCategory.PRIVATE,
        fiscal_year=2024, installment=1, due_date=date(2024, 7, 31), amount=8_000, assessed_on=date(2024, 7, 5),
        period_start=date(2024, 5, 1), period_end=date(2024, 6, 30))])
    for adapter, body in (("tax_adapter", tax_file), ("water_adapter", water_file)):
        assert httpx.post(f"{services[adapter].url}/imports", params={"file_name": f"{tag}.csv"}, content=body,
                          headers=department_headers(adapter), timeout=30).status_code == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = api.post("/debtor-lookup", json={"department": "water", "source_person_id": f"W{tag}"},
                        headers=headers)
        if found.status_code == 200:
            debtor = found.json()["debtor_ids"][0]
            view = api.get(f"/debtors/{debtor}", headers=headers).json()
            if len(view["claims"]) == 2:
                return debtor
        time.sleep(0.5)
    raise AssertionError("the test resident's claims did not come together")


def test_the_central_window_splits_a_lump_sum_across_departments(
    services: dict[str, RunningService], api: httpx.Client, staff: dict[str, dict[str, str]],
) -> None:
    debtor = arrears_in_two_departments(services, api, staff["collector"])
    before = api.get(f"/debtors/{debtor}", headers=staff["collector"]).json()
    assert before["delinquent_balance"] == 28_000
    receipt = f"R{uuid.uuid4().hex[:10]}"
    body = {"receipt_id": receipt, "amount": 25_000, "paid_on": CITY_AS_OF.isoformat(), "note": "一括納付の申出"}
    assert api.post(f"/debtors/{debtor}/central-payments", json=body, headers=staff["viewer"]).status_code == 403
    received = api.post(f"/debtors/{debtor}/central-payments", json=body, headers=staff["collector"])
    assert received.status_code == 201, received.text
    payment = received.json()
    # the policy's method: forced-collection claims first (滞納処分 and prescription), then the water charge
    assert payment["method"] == "forced_public_first"
    assert [(p["department"], p["amount"]) for p in payment["parts"]] == [("tax", 20_000), ("water", 5_000)]
    assert all(p["reason"] for p in payment["parts"]) and payment["overpayment"] == 0
    assert api.post(f"/debtors/{debtor}/central-payments", json=body, headers=staff["collector"]).status_code == 409
    after = api.get(f"/debtors/{debtor}", headers=staff["collector"]).json()
    # The water part settles the bill's 遅延損害金 first (民法489条): 8,000 due 2024-07-31, paid 2025-01-31,
    # 184 days × 3% → 120.98 → 120 yen; so 4,880 goes to its principal and 3,120 stays open.
    assert after["delinquent_balance"] == 3_120
    designated = api.post(f"/debtors/{debtor}/central-payments", headers=staff["collector"], json={
        **body, "receipt_id": f"R{uuid.uuid4().hex[:10]}", "amount": 4_000, "designated": {"water": 3_000}})
    assert designated.status_code == 201, designated.text
    # 3,000 designated for water, then 120 more reach its principal still open (3,120 above); the 880 beyond every
    # balance is refunded, never absorbed
    assert designated.json()["overpayment"] == 880
    too_late = api.post(f"/debtors/{debtor}/central-payments", headers=staff["collector"],
                        json={**body, "receipt_id": f"R{uuid.uuid4().hex[:10]}", "paid_on": "2099-01-01"})
    assert too_late.status_code == 422


def test_prescription_drives_the_claim_and_late_charge_outlives_the_principal(
    services: dict[str, RunningService], api: httpx.Client, staff: dict[str, dict[str, str]],
) -> None:
    """A 固定資産税 of FY2019 (due 2019-05-31) completed its 5 years at the end of 2024-05-31 (地方税法18条): it is
    extinguished without invocation, so only 不納欠損 remains, it is in no task list, and 5,000 yen paid on it on
    2024-12-20 is 過誤納金, applied (地方税法17条の2) to the person's delinquent 市民税 of 400,000 due 2024-06-30.
    395,000 more paid 2024-12-27 settles that principal; its 延滞金 stays open: 2024-07-01 … 07-31 at 2.4% on
    400,000 = 815.34; 08-01 … 12-20 (142 days) at 8.7% = 13,538.63; 12-21 … 12-27 (7 days) at 8.7% on 395,000 =
    659.05; total 15,013.02 → 15,000 yen."""
    tag = uuid.uuid4().hex[:8]
    person = PersonReference(source_person_id=f"P{tag}", name_kanji="時効 " + tag, name_kana="ジコウ " + tag.upper(),
                             birth_date=date(1958, 4, 1), postal_code="471-0025", address="愛知県豊田市西町1丁目1番地")
    old = tax.claim_id(2019, "fixed_asset_tax", f"O{tag}", 1)
    late = tax.claim_id(2024, "individual_inhabitant_tax", f"L{tag}", 1)
    export = tax.render_export([
        ClaimAssessed(claim_id=old, person=person, receivable_type="fixed_asset_tax",
                      legal_category=LegalCategory.FORCED_PUBLIC, fiscal_year=2019, installment=1,
                      due_date=date(2019, 5, 31), amount=30_000, assessed_on=date(2019, 4, 1)),
        ClaimAssessed(claim_id=late, person=person, receivable_type="individual_inhabitant_tax",
                      legal_category=LegalCategory.FORCED_PUBLIC, fiscal_year=2024, installment=1,
                      due_date=date(2024, 6, 30), amount=400_000, assessed_on=date(2024, 6, 1)),
        PaymentReceived(payment_id=f"Q{tag}a", person=person, claim_id=old, amount=5_000, paid_on=date(2024, 12, 20),
                        channel=PaymentChannel.BANK),
        PaymentReceived(payment_id=f"Q{tag}b", person=person, claim_id=late, amount=395_000,
                        paid_on=date(2024, 12, 27), channel=PaymentChannel.BANK)])
    assert httpx.post(f"{services['tax_adapter'].url}/imports", params={"file_name": f"{tag}.csv"}, content=export,
                      headers=department_headers("tax"), timeout=30).status_code == 200
    deadline, view = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        found = api.post("/debtor-lookup", json={"department": "tax", "source_person_id": f"P{tag}"},
                         headers=staff["viewer"])
        if found.status_code == 200:
            view = api.get(f"/debtors/{found.json()['debtor_ids'][0]}", headers=staff["viewer"]).json()
            if len(view["claims"]) == 2 and sum(c["paid"] for c in view["claims"]) == 400_000:
                break
        time.sleep(0.5)
    assert view is not None, "the test resident's claims did not arrive"
    claims = {c["claim_id"]: c for c in view["claims"]}
    assert (claims[old]["status"], claims[old]["extinguished_on"]) == ("extinguished", "2024-05-31")
    assert (claims[late]["status"], claims[late]["balance"], claims[late]["late_charge"]) == ("delinquent", 0, 15_000)
    assert view["delinquent_balance"] == 0

    record = api.get(f"/claims/tax/{old}", headers=staff["viewer"]).json()
    assert record["allowed_now"] == ["write_off"] and record["demand_notice_task"] is None
    assert record["refunds"] == [{"payment_id": f"Q{tag}a", "reason": "after_extinction", "appropriated": 5_000,
                                  "refund": 0}]
    tasks = api.get("/tasks/demand-notices", params={"limit": 5000}, headers=staff["viewer"]).json()
    assert old not in {t["claim_id"] for t in tasks}
    refused = api.post(f"/claims/tax/{old}/actions", headers=staff["collector"],
                       json={"kind": "reminder_letter", "done_on": CITY_AS_OF.isoformat()})
    assert refused.status_code == 409 and "extinguished" in refused.json()["detail"]
    written_off = api.post(f"/claims/tax/{old}/actions", headers=staff["supervisor"],
                           json={"kind": "write_off", "done_on": CITY_AS_OF.isoformat()})
    assert written_off.status_code == 201, written_off.text
    assert written_off.json()["amount"] == 30_000 and "時効の完成" in written_off.json()["basis"]

    # The 延滞金 alone can be demanded: a 納付書 for it.
    late_record = api.get(f"/claims/tax/{late}", headers=staff["viewer"]).json()
    assert late_record["amounts"]["late_charge"] == 15_000 and late_record["amounts"]["outstanding"] == 15_000
    slip = api.post("/documents/preview", headers=staff["viewer"],
                    json={"kind": "payment_slip", "debtor_id": view["debtor_id"], "claims": [f"tax:{late}"]})
    assert slip.status_code == 200, slip.text


def test_every_read_of_personal_data_leaves_an_audit_row(api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    case = api.get("/cases", params={"limit": 1}, headers=staff["viewer"]).json()["items"][0]
    view = api.get(f"/debtors/{case['debtor_id']}", headers=staff["viewer"])
    assert view.status_code == 200
    debtor = view.json()
    assert debtor["records"] and any(r["name_kanji"] for r in debtor["records"])
    assert debtor["case"]["case_id"] == case["case_id"]
    api.get(f"/cases/{case['case_id']}", headers=staff["viewer"])
    api.get("/debtors/no-such-debtor", headers=staff["viewer"])
    rows = audit_rows(api, staff, actor="e2e-viewer")
    seen = {(r["action"], r["subject"]) for r in rows}
    assert {("read_debtor", case["debtor_id"]), ("read_case", str(case["case_id"])),
            ("read_debtor", "no-such-debtor")} <= seen
    exported = api.get("/audit/export.csv", params={"actor": "e2e-viewer"}, headers=staff["supervisor"])
    assert exported.status_code == 200 and "read_debtor" in exported.content.decode("utf-8-sig")
    audit_csv = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert audit_csv and all(r["日時（日本時間）"].endswith("+09:00") for r in audit_csv)  # Japan time, not UTC


def test_the_openapi_spec_is_published_with_the_bearer_scheme(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    assert {"/cases", "/cases/{case_id}", "/debtors/{debtor_id}", "/auth/token", "/audit"} <= set(spec["paths"])
    assert "StaffToken" in spec["components"]["securitySchemes"]


def test_management_reports_with_targets_entered_by_a_supervisor(
    api: httpx.Client, staff: dict[str, dict[str, str]],
) -> None:
    targets = [{"department": "water", "receivable_type": "water_supply_charge", "outstanding": 100_000,
                "current_rate": "95.0", "overall_rate": "90.5"}]
    assert api.put("/reports/targets/2024", json=targets, headers=staff["collector"]).status_code == 403
    wrong = api.put("/reports/targets/2024", headers=staff["supervisor"],
                    json=[{**targets[0], "receivable_type": "individual_inhabitant_tax"}])
    assert wrong.status_code == 422 and "not a receivable of that department" in wrong.text
    saved = api.put("/reports/targets/2024", json=targets, headers=staff["supervisor"])
    assert saved.status_code == 200 and saved.json()[0]["set_by"] == "e2e-supervisor"

    outstanding = {(r["department"], r["receivable_type"]): r for r in api.get(
        "/reports/outstanding", params={"fiscal_year": 2024}, headers=staff["viewer"]).json()}
    water = outstanding[("water", "water_supply_charge")]
    assert water["receivable_name"] == "上水道料金" and water["target"] == 100_000
    assert water["difference"] == water["actual"] - 100_000 and water["actual"] > 0
    rates = {(r["department"], r["receivable_type"]): r for r in api.get(
        "/reports/collection-rates", params={"fiscal_year": 2024}, headers=staff["viewer"]).json()}
    tax = rates[("tax", "individual_inhabitant_tax")]
    assert 0 < tax["current_received"] <= tax["current_assessed"]
    assert float(tax["current_rate"]) == round(100 * tax["current_received"] / tax["current_assessed"], 2)
    assert tax["current_outstanding"] + tax["current_written_off"] + tax["current_received"] == tax["current_assessed"]
    assert rates[("water", "water_supply_charge")]["current_rate_target"] == "95.00"
    aging = api.get("/reports/aging", headers=staff["viewer"]).json()
    assert {r["bucket"] for r in aging} <= {"0-90 days", "91-180 days", "181-365 days", "1-2 years", "over 2 years"}
    exported = api.get("/reports/collection-rates", params={"fiscal_year": 2024, "format": "csv"},
                       headers=staff["viewer"])
    header = exported.content.decode("utf-8-sig").splitlines()[0]  # as a city publishes it: Japanese headers
    assert exported.status_code == 200 and header.startswith("所管,債権コード,債権名,現年度分 調定額（円）")
    assert "不納欠損額" in header and "current_rate" not in header
    bureaus = api.get("/reports/outstanding-by-bureau", params={"fiscal_year": 2024}, headers=staff["viewer"]).json()
    assert [b["bureau"] for b in bureaus][-1] == "合計" and bureaus[-1]["total"]
    water_bureau = next(b for b in bureaus if b["bureau"] == "上下水道局")
    assert water_bureau["prior_year_end_yen"] == sum(
        outstanding[("water", code)]["prior_year_end"] for code in ("water_supply_charge", "sewerage_charge")
        if ("water", code) in outstanding)
    table = api.get("/reports/outstanding-by-bureau", params={"fiscal_year": 2024, "format": "csv"},
                    headers=staff["viewer"]).content.decode("utf-8-sig").splitlines()
    assert table[0] == "局名,前年度決算 ①（千円）,目標 ②（千円）,未収金額差 ②－①（千円）,圧縮割合 ②／①（％）"
    assert table[-1].startswith("合計,")
    workload = api.get("/reports/workload", headers=staff["viewer"]).json()
    assert any(w["holder_code"] == "tax_insurance" and w["open_cases"] > 0 for w in workload)


def eventually_case(api: httpx.Client, debtor: str, headers: dict[str, str]) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        case = api.get(f"/debtors/{debtor}", headers=headers).json()["case"]
        if case and case["status"] == "open":
            return int(case["case_id"])
        time.sleep(0.3)
    raise AssertionError("no open case")


def test_the_action_record_lets_only_lawful_actions_through(api: httpx.Client, services: dict[str, RunningService],
                                                             staff: dict[str, dict[str, str]]) -> None:
    debtor = arrears_in_two_departments(services, api, staff["collector"])
    claims = {c["department"]: c["claim_id"] for c in api.get(f"/debtors/{debtor}", headers=staff["viewer"]
                                                              ).json()["claims"]}
    tax_claim, water_claim = f"/claims/tax/{claims['tax']}", f"/claims/water/{claims['water']}"
    case_id = eventually_case(api, debtor, staff["viewer"])
    advice = api.get(f"/cases/{case_id}", headers=staff["viewer"]).json()["next_action"]
    # a tax arrear without its 督促: the notice first, led by tax
    assert (advice["action"], advice["lead_department"]) == ("demand_notice", "tax") and advice["reason"]
    record = api.get(tax_claim, headers=staff["viewer"]).json()
    # due 2024-06-30, no 督促 yet on 2025-01-31: the 20-day task (2024-07-20) is overdue; 延滞金 runs
    assert record["demand_notice_task"] == {"kind": "demand_notice", "due_on": "2024-07-20", "overdue": True,
                                            "days_left": -195}
    # 延滞金 on 20,000: 31 days at 2.4% + 153 at 8.7% (2024) + 31 at 8.7% (2025) = 917.9 yen: under 1,000, not charged
    assert record["late_charge"]["kind"] == "tax_late_charge" and record["late_charge"]["amount"] == 0
    assert "917" in "\n".join(record["late_charge"]["explanation"])
    in_view = {c["claim_id"]: c["late_charge"] for c in api.get(f"/debtors/{debtor}", headers=staff["viewer"]
                                                                ).json()["claims"]}
    assert in_view[claims["tax"]] == record["late_charge"]["amount"] == 0
    assert "seizure" not in record["allowed_now"]  # no 督促 yet
    # 時効: 5 years from the day after the due date, no invocation needed for a tax
    assert record["prescription"]["completes_on"] == "2029-06-30"
    assert record["prescription"]["needs_invocation"] is False

    def act(path: str, kind: str, on: str, who: str = "collector", **extra: str) -> httpx.Response:
        return api.post(f"{path}/actions", headers=staff[who], json={"kind": kind, "done_on": on,
                                                                      "note": "試験", **extra})

    early = act(tax_claim, "seizure", "2025-01-10", "supervisor")
    assert early.status_code == 409 and "督促" in early.text
    assert act(tax_claim, "demand_notice", "2025-01-05").status_code == 201
    assert act(tax_claim, "seizure", "2025-01-15", "supervisor").status_code == 409  # the ten days: from 01-16
    assert act(tax_claim, "seizure", "2025-01-16", "collector").status_code == 403  # a supervisor's decision
    assert act(tax_claim, "seizure", "2025-01-16", "supervisor").status_code == 201
    private_seizure = act(water_claim, "seizure", "2025-01-20", "supervisor")
    assert private_seizure.status_code == 409 and "強制徴収公債権" in private_seizure.text
    assert act(water_claim, "demand_notice", "2025-01-05").status_code == 201
    assert act(water_claim, "payment_order", "2025-01-20").status_code == 201  # court procedure instead
    history = api.get(water_claim, headers=staff["viewer"]).json()
    assert [a["kind"] for a in history["actions"]] == ["demand_notice", "payment_order"]
    assert history["actions"][0]["recorded_by"] == "e2e-collector" and history["late_charge"]["kind"] == "delay_damages"
    assert history["prescription"]["needs_invocation"] is True  # a private claim: the debtor must invoke it
    tasks = api.get("/tasks/demand-notices", params={"overdue_only": "true", "limit": 5000},
                    headers=staff["viewer"]).json()
    assert claims["tax"] not in {t["claim_id"] for t in tasks} and all(t["overdue"] for t in tasks)


def test_prescription_alerts_list_claims_about_to_lapse(api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    # the synthetic city's claims are of FY2024: five years away on the business date, so nothing to warn about yet
    alerts = api.get("/tasks/prescription-alerts", headers=staff["viewer"])
    assert alerts.status_code == 200
    assert all(a["alert_on"] <= CITY_AS_OF.isoformat() for a in alerts.json())
    assert api.get("/tasks/prescription-alerts").status_code == 401
