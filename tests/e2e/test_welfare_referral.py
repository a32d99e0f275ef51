"""Welfare referral on the running system (real Kafka and PostgreSQL, every service its own process): collection's
data opens a referral when the hardship signals reach the threshold; consent gates what leaves for welfare; the
welfare system receives signed deliveries and they are retried when it fails; while the referral is open
collection holds escalation (a seizure is refused, the next action is a consultation with 執行停止 to consider);
welfare's inbox acknowledges and records the outcome; the funnel report and the consultation day count it all."""

from __future__ import annotations

import random
import time
from datetime import date

import httpx
import pytest

from contracts import ClaimAssessed, LegalCategory, PersonReference
from services.insurance_adapter import export_format as insurance
from services.tax_adapter import export_format as tax
from services.water_adapter import export_format as water
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually
from tests.e2e.welfare_receiver import WelfareReceiver
from tests.infrastructure import BUSINESS_DATE, Infrastructure
from tests.people import birth_date_for, phone_for
from tests.staff import create_staff, sign_in

pytestmark = pytest.mark.e2e




def push_person(services: dict[str, RunningService], tag: str) -> dict[str, str]:
    """A resident of this test owing tax, national health insurance tax and water (three departments: 3 points of
    the signals policy, under its threshold of 5). Returns the claim ids by department."""
    person = PersonReference(source_person_id="0", name_kanji=f"福祉 髙﨑{tag}", name_kana=f"フクシ ﾀｶｻｷ{tag}",
                             birth_date=birth_date_for(tag), postal_code="471-8501",
                             address=f"愛知県豊田市西町{int(tag[-2:], 16) % 9 + 1}丁目{tag}番地", phone=phone_for(tag))
    tax_claim = tax.claim_id(2024, "individual_inhabitant_tax", f"F{tag}", 1)
    nhi_claim = insurance.claim_id(2024, "national_health_insurance_tax", f"24{int(tag, 16) % 10**7:07d}", 1)
    water_claim = water.claim_id(2024, "water_supply_charge", f"S{tag}", f"W{tag}", 1)
    exports = {
        "tax_adapter": tax.render_export([ClaimAssessed(
            claim_id=tax_claim, person=person.model_copy(update={"source_person_id": f"T{tag}"}),
            receivable_type="individual_inhabitant_tax", legal_category=LegalCategory.FORCED_PUBLIC,
            fiscal_year=2024, installment=1, due_date=date(2024, 6, 30), amount=42_000,
            assessed_on=date(2024, 6, 1))]),
        "insurance_adapter": insurance.render_export([ClaimAssessed(
            claim_id=nhi_claim, person=person.model_copy(update={"source_person_id": f"39{int(tag, 16) % 10**8:08d}"}),
            receivable_type="national_health_insurance_tax", legal_category=LegalCategory.FORCED_PUBLIC,
            fiscal_year=2024, installment=1, due_date=date(2024, 7, 31), amount=38_200,
            assessed_on=date(2024, 7, 10))]),
        "water_adapter": water.render_export([ClaimAssessed(
            claim_id=water_claim, person=person.model_copy(update={"source_person_id": f"W{tag}"}),
            receivable_type="water_supply_charge", legal_category=LegalCategory.PRIVATE, fiscal_year=2024,
            installment=1, due_date=date(2024, 5, 31), amount=9_800, assessed_on=date(2024, 5, 5),
            period_start=date(2024, 3, 1), period_end=date(2024, 4, 30))]),
    }
    for adapter, content in exports.items():
        response = httpx.post(f"{services[adapter].url}/imports", params={"file_name": f"welfare-{tag}.dat"},
                              content=content, headers=department_headers(adapter), timeout=30)
        assert response.status_code == 200, response.text
    return {"tax": tax_claim, "insurance": nhi_claim, "water": water_claim, "tax_person": f"T{tag}"}


@pytest.fixture(scope="module")
def welfare_staff(infrastructure: Infrastructure, services: dict[str, RunningService]) -> dict[str, str]:
    create_staff(infrastructure, "e2e-welfare", "welfare")
    return sign_in(services["collection"].url, "e2e-welfare")


def test_signals_consent_webhook_hold_and_funnel(services: dict[str, RunningService],
                                                 staff: dict[str, dict[str, str]], welfare_staff: dict[str, str],
                                                 welfare_receiver: WelfareReceiver) -> None:
    tag = f"{random.getrandbits(40):010x}"
    collection = httpx.Client(base_url=services["collection"].url, timeout=15)
    welfare = httpx.Client(base_url=services["welfare_referral"].url, timeout=15)
    collector, supervisor = staff["collector"], staff["supervisor"]
    claims = push_person(services, tag)

    def debtor() -> str | None:
        found = collection.post("/debtor-lookup", json={"department": "tax", "source_person_id": claims["tax_person"]},
                               headers=staff["viewer"])
        if found.status_code != 200:
            return None
        view = collection.get(f"/debtors/{found.json()['debtor_ids'][0]}", headers=staff["viewer"]).json()
        return view["debtor_id"] if len({c["department"] for c in view["claims"]}) == 3 else None

    debtor_id = eventually(debtor, what="the person's three claims under one debtor")

    # 1. Three departments in arrears: a standing arrives, scored under the threshold; no referral yet.
    standing = eventually(lambda: (r := welfare.get(f"/standings/{debtor_id}", headers=collector)).status_code == 200
                          and r.json()["overdue_claims"] == 3 and r.json(), what="the debtor's standing")
    assert standing["signals"] == ["multiple_departments"] and standing["points"] == 3 and not standing["suggest"]
    assert welfare.get("/referrals", params={"debtor_id": debtor_id}, headers=collector).json() == []

    # 2. A collector notes hardship in a payment consultation: 3 + 5 points, a referral is suggested.
    noted = collection.post(f"/claims/water/{claims['water']}/actions", headers=collector, json={
        "kind": "payment_consultation", "done_on": "2025-01-20", "outcome": "hardship",
        "note": "失職し家賃も払えないとの申出"})
    assert noted.status_code == 201, noted.text
    referral = eventually(lambda: welfare.get("/referrals", params={"debtor_id": debtor_id},
                                              headers=collector).json(), what="a suggested referral")[0]
    assert referral["state"] == "suggested" and referral["origin"] == "signals"
    assert referral["signals"] == ["multiple_departments", "hardship_noted"] and referral["points"] == 8
    referral_id = referral["referral_id"]
    assert "福祉" not in str(referral) and "髙﨑" not in str(referral)  # no personal data in the list

    # 3. A suggestion alone does not stop collection; once the person was told of the support (利用勧奨),
    #    collection holds escalation until the referral closes.
    def held() -> dict | None:
        view = collection.get(f"/debtors/{debtor_id}", headers=staff["viewer"]).json()
        return next((h for h in view["holds"] if h["source_ref"] == referral_id), None)

    def event(body: dict, headers: dict[str, str] = collector) -> httpx.Response:
        return welfare.post(f"/referrals/{referral_id}/events", headers=headers, json=body)

    time.sleep(2)  # what collection would have done with the suggestion by now
    assert held() is None
    assert event({"kind": "inform"}).status_code == 200
    hold = eventually(held, what="a collection hold for the referral")
    assert hold["kind"] == "welfare_referral" and "hardship_noted" in hold["reason"]
    demand = collection.post(f"/claims/tax/{claims['tax']}/actions", headers=collector,
                             json={"kind": "demand_notice", "done_on": "2024-07-10", "note": "督促状"})
    assert demand.status_code == 201, demand.text
    seizure = collection.post(f"/claims/tax/{claims['tax']}/actions", headers=supervisor,
                              json={"kind": "seizure", "done_on": "2025-01-31", "note": "預金差押"})
    assert seizure.status_code == 409 and "welfare" in seizure.json()["detail"], seizure.text
    case_id = collection.get(f"/debtors/{debtor_id}", headers=staff["viewer"]).json()["case"]["case_id"]
    advice = eventually(lambda: (a := collection.get(f"/cases/{case_id}", headers=collector).json()["next_action"])
                        and a["action"] == "payment_consultation" and a, what="a consultation as the next action")
    assert "執行停止" in advice["reason"] and claims["tax"] in advice["reason"]

    # 4. A consultation day with the welfare desk invites the person; they come.
    day = welfare.post("/consultation-days", headers=supervisor, json={
        "held_on": BUSINESS_DATE.isoformat(), "venue": "市役所南庁舎 相談室", "welfare_desk": "福祉総合相談課"})
    assert day.status_code == 201, day.text
    day_id = day.json()["day_id"]
    invited = welfare.post(f"/consultation-days/{day_id}/invitations", headers=collector, json={"limit": 5000})
    assert invited.status_code == 200, invited.text
    assert {"debtor_id": debtor_id, "referral_id": referral_id, "points": 8, "attended": None} in invited.json()
    assert welfare.put(f"/consultation-days/{day_id}/attendance/{debtor_id}", headers=collector,
                       json={"attended": True}).status_code == 200

    # 5. Consent gates what leaves: nothing before it, only its scope after.
    early = event({"kind": "refer", "details": {"contact": "090-0000-0000"}})
    assert early.status_code == 409 and "consent missing" in early.json()["detail"]
    assert welfare_receiver.for_referral(referral_id) == []  # nothing went to welfare before consent
    assert event({"kind": "record_consent", "scope": ["arrears_summary", "contact"]}).status_code == 200
    outside = event({"kind": "refer", "details": {"contact": "090-1111-2222 (平日夕方)", "household": "単身"}})
    assert outside.status_code == 422 and "details.household" in outside.json()["detail"]
    welfare_receiver.failures_left = 2  # the welfare system is down for the first two attempts
    referred = event({"kind": "refer", "details": {"contact": "090-1111-2222 (平日夕方)"}})
    assert referred.status_code == 200 and referred.json()["state"] == "referred", referred.text

    delivered = eventually(lambda: [r for r in welfare_receiver.for_referral(referral_id) if r.status == 200],
                           what="the referral delivered to welfare")
    attempts = welfare_receiver.for_referral(referral_id)
    assert [r.status for r in attempts] == [503, 503, 200] and all(r.signature_ok for r in attempts)
    assert len({r.delivery_id for r in attempts}) == 1  # one delivery, retried
    body = delivered[0].body
    assert body["event"] == "refer" and body["shared_scope"] == ["arrears_summary", "contact"]
    assert body["contact"] == "090-1111-2222 (平日夕方)"
    assert body["arrears_summary"] == {"overdue_claims": 3, "overdue_yen": 42_000 + 38_200 + 9_800,
                                       "oldest_due_date": "2024-05-31"}
    assert "departments" not in body and "household" not in body and "髙﨑" not in delivered[0].raw.decode()
    status = eventually(lambda: welfare.get(f"/referrals/{referral_id}", headers=collector).json()["deliveries"][0]
                        if welfare.get(f"/referrals/{referral_id}", headers=collector).json()["deliveries"][0]
                        ["status"] == "delivered" else None, what="the delivery marked delivered")
    assert status["attempts"] == 3

    # 6. Welfare's inbox: their role only; acknowledge, then the outcome.
    assert welfare.get("/inbox", headers=collector).status_code == 403
    assert welfare.get("/inbox", headers=welfare_staff).status_code == 200
    item = next(i for i in welfare.get("/inbox", headers=welfare_staff).json() if i["referral_id"] == referral_id)
    assert item["contact"] == "090-1111-2222 (平日夕方)" and item["referred_on"] == "2025-01-31"
    assert item["shared_scope"] == ["arrears_summary", "contact"] and "departments" not in item
    wrong = event({"kind": "acknowledge"})  # a collector cannot acknowledge for welfare
    assert wrong.status_code == 403
    assert welfare.post(f"/inbox/{referral_id}/acknowledge", headers=welfare_staff, json={}).status_code == 200
    outcome = welfare.post(f"/inbox/{referral_id}/outcome", headers=welfare_staff,
                           json={"outcome": "connected", "note": "自立相談支援機関で家計改善支援を開始"})
    assert outcome.status_code == 200 and outcome.json()["outcome"] == "connected"

    # 7. The person pays something at the central window; the referral closes; the hold ends.
    paid = collection.post(f"/debtors/{debtor_id}/central-payments", headers=collector, json={
        "receipt_id": f"W-{tag}", "amount": 5_000, "paid_on": "2025-01-31", "note": "家計改善支援の計画に沿って"})
    assert paid.status_code == 201, paid.text
    assert event({"kind": "close", "reason": "支援につながった"}).status_code == 200
    eventually(lambda: held() is None, what="the hold released when the referral closed")

    # 8. The funnel counts the referral at every stage, with what the person paid since it was suggested.
    def funnel_row() -> dict | None:
        rows = welfare.get("/reports/funnel", params={"period": "all"}, headers=staff["viewer"]).json()
        row = next(r for r in rows if r["signal"] == "hardship_noted")
        return row if row["collected_since"] >= 5_000 else None

    row = eventually(funnel_row, what="the payment counted in the funnel")
    assert row["suggested"] >= 1 and row["referred"] >= 1 and row["connected"] >= 1 and row["closed"] >= 1
    day_report = welfare.get(f"/consultation-days/{day_id}", headers=staff["viewer"]).json()
    assert day_report["attended"] == 1 and day_report["referred_same_day"] == 1 and day_report["connected"] == 1
    csv_report = welfare.get("/reports/funnel", params={"period": "fiscal_year", "format": "csv"},
                             headers=staff["viewer"])
    assert csv_report.status_code == 200 and csv_report.text.startswith("\ufeffperiod,signal,suggested")
    assert "FY2024,hardship_noted" in csv_report.text


def test_staff_referral_declined_and_the_hold_follows(services: dict[str, RunningService],
                                                      staff: dict[str, dict[str, str]]) -> None:
    """A collector opens a referral on their own judgement and tells the person of the support: collection holds;
    the person declines: the hold ends; the collector closes it (a viewer may not); a second open referral for
    the same debtor is refused."""
    tag = f"{random.getrandbits(40):010x}"
    collection = httpx.Client(base_url=services["collection"].url, timeout=15)
    welfare = httpx.Client(base_url=services["welfare_referral"].url, timeout=15)
    claims = push_person(services, tag)
    debtor_id = eventually(
        lambda: (r := collection.post("/debtor-lookup", json={"department": "tax", "source_person_id":
                                                               claims["tax_person"]}, headers=staff["viewer"]))
        .status_code == 200 and r.json()["debtor_ids"][0], what="the debtor")
    opened = welfare.post("/referrals", headers=staff["collector"],
                          json={"debtor_id": debtor_id, "reason": "窓口で生活の困りごとの相談があった"})
    assert opened.status_code == 201, opened.text
    referral_id = opened.json()["referral_id"]
    assert opened.json()["signals"] == ["staff_judgement"]
    again = welfare.post("/referrals", headers=staff["collector"], json={"debtor_id": debtor_id, "reason": "重複"})
    assert again.status_code == 409 and referral_id in again.json()["detail"]
    assert welfare.post("/referrals", headers=staff["viewer"],
                        json={"debtor_id": debtor_id, "reason": "x"}).status_code == 403

    def hold_active() -> bool:
        view = collection.get(f"/debtors/{debtor_id}", headers=staff["viewer"]).json()
        return any(h["source_ref"] == referral_id for h in view["holds"])

    time.sleep(2)
    assert not hold_active()  # suggested only
    assert welfare.post(f"/referrals/{referral_id}/events", headers=staff["collector"],
                        json={"kind": "inform"}).status_code == 200
    eventually(hold_active, what="the hold of a staff referral")
    declined = welfare.post(f"/referrals/{referral_id}/events", headers=staff["collector"],
                            json={"kind": "decline", "reason": "本人が支援を希望しない"})
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    eventually(lambda: not hold_active(), what="the hold released when the person declined")
    viewer_close = welfare.post(f"/referrals/{referral_id}/events", headers=staff["viewer"], json={"kind": "close"})
    assert viewer_close.status_code == 403
    closed = welfare.post(f"/referrals/{referral_id}/events", headers=staff["collector"], json={"kind": "close"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    history = [h["kind"] for h in welfare.get(f"/referrals/{referral_id}", headers=staff["collector"])
               .json()["history"]]
    assert history == ["suggest", "inform", "decline", "close"]
    rows = welfare.get("/reports/funnel", params={"period": "all"}, headers=staff["viewer"]).json()
    row = next(r for r in rows if r["signal"] == "staff_judgement")
    assert row["suggested"] >= 1 and row["declined"] >= 1 and row["closed"] >= 1
    assert welfare.get("/reports/funnel", headers={}).status_code == 401
