"""Consent scopes against the running services (issue 18 §4): with consent for contact only, neither the webhook
body nor the welfare inbox carries a department, an arrears figure or duration, or a collector's words; after
withdrawal the inbox and every webhook not yet delivered hide what the consent covered; welfare's outcome note
never reaches collection staff; lists carry codes, not free text. Each check searches the raw JSON for the
texts planted for it (department codes, month counts, yen, 病気 / DV wording), and each planted text is first
shown to be in the system where it belongs (a positive control), so a search that finds nothing means something."""

from __future__ import annotations

import json
import random
from datetime import date

import httpx
import pytest

from contracts import ClaimAssessed, LegalCategory, PersonReference
from services.insurance_adapter import export_format as insurance
from services.tax_adapter import export_format as tax
from services.water_adapter import export_format as water
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_welfare_referral import push_person
from tests.e2e.welfare_receiver import WelfareReceiver
from tests.figures import report
from tests.infrastructure import Infrastructure
from tests.people import birth_date_for, phone_for
from tests.staff import create_staff, sign_in

pytestmark = pytest.mark.e2e

#: A collector's own words when opening a referral: illness and domestic violence.
COLLECTOR_WORDS = "病気で働けずDV被害から避難中と窓口で相談"
#: Welfare's outcome note.
WELFARE_NOTE = "自立相談支援機関で家計改善支援を開始、病気療養中につきDV相談窓口へ同行"
CONTACT = "090-3141-5926 (平日夕方)"


@pytest.fixture(scope="module")
def welfare_staff(infrastructure: Infrastructure, services: dict[str, RunningService]) -> dict[str, str]:
    create_staff(infrastructure, "sec-consent-welfare", "welfare")
    return sign_in(services["collection"].url, "sec-consent-welfare")


def push_long_arrears(services: dict[str, RunningService], tag: str) -> dict[str, str]:
    """A resident owing tax since 2023-06-30 (19 months by the business date), national health insurance tax
    and water: three departments and long arrears."""
    person = PersonReference(source_person_id="0", name_kanji=f"同意 髙﨑{tag}", name_kana=f"ドウイ ﾀｶｻｷ{tag}",
                             birth_date=birth_date_for(tag, 1970), postal_code="471-8501",
                             address=f"愛知県豊田市西町2丁目{tag}番地", phone=phone_for(tag))
    tax_claim = tax.claim_id(2023, "individual_inhabitant_tax", f"C{tag}", 1)
    exports = {
        "tax_adapter": tax.render_export([ClaimAssessed(
            claim_id=tax_claim, person=person.model_copy(update={"source_person_id": f"T{tag}"}),
            receivable_type="individual_inhabitant_tax", legal_category=LegalCategory.FORCED_PUBLIC,
            fiscal_year=2023, installment=1, due_date=date(2023, 6, 30), amount=57_300,
            assessed_on=date(2023, 6, 1))]),
        "insurance_adapter": insurance.render_export([ClaimAssessed(
            claim_id=insurance.claim_id(2024, "national_health_insurance_tax", f"25{int(tag, 16) % 10**7:07d}", 1),
            person=person.model_copy(update={"source_person_id": f"38{int(tag, 16) % 10**8:08d}"}),
            receivable_type="national_health_insurance_tax", legal_category=LegalCategory.FORCED_PUBLIC,
            fiscal_year=2024, installment=1, due_date=date(2024, 7, 31), amount=21_100,
            assessed_on=date(2024, 7, 10))]),
        "water_adapter": water.render_export([ClaimAssessed(
            claim_id=(water_claim := water.claim_id(2024, "water_supply_charge", f"S{tag}", f"W{tag}", 1)),
            person=person.model_copy(update={"source_person_id": f"W{tag}"}),
            receivable_type="water_supply_charge", legal_category=LegalCategory.PRIVATE, fiscal_year=2024,
            installment=1, due_date=date(2024, 5, 31), amount=7_700, assessed_on=date(2024, 5, 5),
            period_start=date(2024, 3, 1), period_end=date(2024, 4, 30))]),
    }
    for adapter, content in exports.items():
        response = httpx.post(f"{services[adapter].url}/imports", params={"file_name": f"consent-{tag}.dat"},
                              content=content, headers=department_headers(adapter), timeout=30)
        assert response.status_code == 200, response.text
    return {"tax_person": f"T{tag}", "water": water_claim}


def debtor_of(collection: httpx.Client, viewer: dict[str, str], tax_person: str) -> str:
    def found() -> str | None:
        lookup = collection.post("/debtor-lookup", json={"department": "tax", "source_person_id": tax_person},
                                headers=viewer)
        if lookup.status_code != 200:
            return None
        view = collection.get(f"/debtors/{lookup.json()['debtor_ids'][0]}", headers=viewer).json()
        return view["debtor_id"] if len({c["department"] for c in view["claims"]}) == 3 else None
    return eventually(found, what="the person's three claims under one debtor")


def leaks(raw: str, planted: list[str]) -> list[str]:
    return [text for text in planted if text in raw]


def test_contact_only_consent_webhook_inbox_withdrawal_and_welfare_notes(
        services: dict[str, RunningService], staff: dict[str, dict[str, str]], welfare_staff: dict[str, str],
        welfare_receiver: WelfareReceiver) -> None:
    collection = httpx.Client(base_url=services["collection"].url, timeout=15)
    welfare = httpx.Client(base_url=services["welfare_referral"].url, timeout=15)
    collector, viewer = staff["collector"], staff["viewer"]
    tried: list[str] = []
    leaked: list[str] = []

    # --- A: suggested by the signals (three departments, 19 months, hardship noted) ------------------------
    tag = f"{random.getrandbits(40):010x}"
    claims = push_long_arrears(services, tag)
    debtor_a = debtor_of(collection, viewer, claims["tax_person"])
    noted = collection.post(f"/claims/water/{claims['water']}/actions", headers=collector, json={
        "kind": "payment_consultation", "done_on": "2025-01-20", "outcome": "hardship", "note": COLLECTOR_WORDS})
    assert noted.status_code == 201, noted.text
    referral_a = eventually(lambda: welfare.get("/referrals", params={"debtor_id": debtor_a},
                                                headers=collector).json(), what="a suggested referral")[0]
    rid_a = referral_a["referral_id"]
    assert set(referral_a["signals"]) == {"multiple_departments", "long_arrears", "hardship_noted"}
    # positive control: the reasons do name the departments and the months (collection's own view)
    standing = welfare.get(f"/standings/{debtor_a}", headers=collector).json()
    reasons = " ".join(standing["reasons"])
    assert "tax" in reasons and "insurance" in reasons and "19 months" in reasons, reasons
    planted_a = ["tax", "insurance", "water", "19 month", "多重滞納", "長期滞納", "86100", "86,100", "2023-06-30",
                 "multiple_departments", "long_arrears", "hardship_noted", "overdue", "departments",
                 "病気", "DV", "避難"]

    def step(rid: str, body: dict, headers: dict[str, str] = collector) -> dict:
        response = welfare.post(f"/referrals/{rid}/events", headers=headers, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    step(rid_a, {"kind": "inform"})
    step(rid_a, {"kind": "record_consent", "scope": ["contact"]})
    step(rid_a, {"kind": "refer", "details": {"contact": CONTACT}})
    delivered = eventually(lambda: [r for r in welfare_receiver.for_referral(rid_a) if r.status == 200],
                           what="A's referral delivered")
    raw = delivered[0].raw.decode()
    assert delivered[0].body["contact"] == CONTACT and delivered[0].body["shared_scope"] == ["contact"]
    tried.append(f"webhook A ({len(planted_a)} planted texts)")
    leaked += [f"webhook A: {t}" for t in leaks(raw, planted_a)]

    inbox = welfare.get("/inbox", headers=welfare_staff)
    assert inbox.status_code == 200
    item_a = next(i for i in inbox.json() if i["referral_id"] == rid_a)
    assert item_a["contact"] == CONTACT
    tried.append("inbox A")
    leaked += [f"inbox A: {t}" for t in leaks(json.dumps(item_a, ensure_ascii=False), planted_a)]

    # welfare takes it over and records the outcome with a note; collection staff never see the note
    acknowledged = welfare.post(f"/inbox/{rid_a}/acknowledge", headers=welfare_staff, json={})
    assert acknowledged.status_code == 200 and acknowledged.json()["points"] is None
    tried.append("acknowledge answer A")
    leaked += [f"acknowledge A: {t}" for t in leaks(acknowledged.text, planted_a)]
    outcome = welfare.post(f"/inbox/{rid_a}/outcome", headers=welfare_staff,
                           json={"outcome": "connected", "note": WELFARE_NOTE})
    assert outcome.status_code == 200 and WELFARE_NOTE in outcome.text  # positive control: welfare sees its note
    for role in ("collector", "supervisor", "admin"):
        for path, params in ((f"/referrals/{rid_a}", None), ("/referrals", {"debtor_id": debtor_a})):
            seen = welfare.get(path, params=params, headers=staff[role])
            assert seen.status_code == 200, seen.text
            tried.append(f"{role} GET {path.replace(rid_a, '{id}')}")
            leaked += [f"{role} {path}: {t}" for t in leaks(seen.text, ["自立相談支援機関", "病気療養", "DV相談窓口"])]
    history = welfare.get(f"/referrals/{rid_a}", headers=collector).json()["history"]
    assert [h["kind"] for h in history][-1] == "record_outcome" and history[-1]["reason"] == ""
    debtor_view = collection.get(f"/debtors/{debtor_a}", headers=viewer).text
    tried.append("collection debtor view")
    leaked += [f"debtor view: {t}" for t in leaks(debtor_view, [WELFARE_NOTE[:8], "病気療養"])]

    # withdrawal after welfare took it over: the referral stays in the inbox with nothing the consent covered
    step(rid_a, {"kind": "consent_withdrawn"})
    after = next(i for i in welfare.get("/inbox", headers=welfare_staff).json() if i["referral_id"] == rid_a)
    assert after["shared_scope"] == [] and "contact" not in after and "signals" not in after, after
    tried.append("inbox A after withdrawal")
    leaked += [f"inbox A withdrawn: {t}" for t in leaks(json.dumps(after, ensure_ascii=False),
                                                        [CONTACT, "3141", *planted_a])]

    # --- B: opened on a collector's judgement, in their own words; the welfare system is down -----------------
    tag_b = f"{random.getrandbits(40):010x}"
    claims_b = push_person(services, tag_b)
    debtor_b = debtor_of(collection, viewer, claims_b["tax_person"])
    opened = welfare.post("/referrals", headers=collector, json={"debtor_id": debtor_b, "reason": COLLECTOR_WORDS})
    assert opened.status_code == 201, opened.text
    rid_b = opened.json()["referral_id"]
    # positive control: the single read by a collector carries the words; the list does not
    assert COLLECTOR_WORDS in welfare.get(f"/referrals/{rid_b}", headers=collector).text
    listed = welfare.get("/referrals", params={"debtor_id": debtor_b}, headers=viewer)
    assert listed.json()[0]["reasons"] == ["staff judgement (職員の判断)"]
    tried.append("GET /referrals (staff judgement)")
    leaked += [f"list B: {t}" for t in leaks(listed.text, ["病気", "DV", "避難"])]

    planted_b = ["病気", "DV", "避難", "tax", "insurance", "water", "90000", "2024-05-31", "departments",
                 "staff_judgement", "職員の判断"]
    step(rid_b, {"kind": "inform"})
    step(rid_b, {"kind": "record_consent", "scope": ["contact"]})
    welfare_receiver.failures_left = 10**6
    try:
        step(rid_b, {"kind": "refer", "details": {"contact": CONTACT}})
        first = eventually(lambda: welfare_receiver.for_referral(rid_b), what="a first (refused) attempt")
        assert first[0].status == 503 and first[0].body["contact"] == CONTACT  # the pending body carried it
        tried.append("webhook B attempt before withdrawal")
        leaked += [f"webhook B: {t}" for t in leaks(first[0].raw.decode(), planted_b)]
        step(rid_b, {"kind": "consent_withdrawn"})
        seen_before = len(welfare_receiver.for_referral(rid_b))
    finally:
        welfare_receiver.failures_left = 0
    refer_delivery = eventually(
        lambda: [r for r in welfare_receiver.for_referral(rid_b)[seen_before:]
                 if r.status == 200 and r.body["event"] == "refer"], what="B's refer delivered after withdrawal")
    body = refer_delivery[0].body
    assert body["shared_scope"] == [] and "contact" not in body, body
    tried.append("webhook B after withdrawal")
    leaked += [f"webhook B withdrawn: {t}" for t in leaks(refer_delivery[0].raw.decode(), [CONTACT, *planted_b])]
    assert all(i["referral_id"] != rid_b for i in welfare.get("/inbox", headers=welfare_staff).json())

    report(f"security consent scopes on the running services: {len(tried)} reads and deliveries searched for "
          f"{len(set(planted_a + planted_b))} planted texts, {len(leaked)} leaked {leaked or ''}")
    assert leaked == []
