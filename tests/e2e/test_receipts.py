"""The central window's 領収証書 and the print queue on the running system: a payment received at the window gets
a numbered receipt whose PDF, read back, states the amount in yen, the day in 和暦, the window's receipt number, the
document number and the city; asked again it is re-issued under the same serial, marked 再発行; a non-integer amount
is refused naming the field; every issue is audited. A document issued on its own waits in the print queue until
the day's wave takes it, and the wave's PDF holds it."""

from __future__ import annotations

import io
import random
import uuid

import httpx
import pypdf
import pytest

from tests.conftest import ImportedCity
from tests.e2e.mailing import confirmed_mailing_addresses
from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_welfare_referral import push_person

pytestmark = pytest.mark.e2e


def flat_text(pdf: bytes) -> str:
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return text.replace(" ", "").replace("\u3000", "").replace("\n", "")


@pytest.fixture(scope="module")
def api(services: dict[str, RunningService], imported_city: ImportedCity) -> httpx.Client:
    return httpx.Client(base_url=services["collection"].url, timeout=60)


def named_debtor(api: httpx.Client, viewer: dict[str, str], skip: int = 0) -> dict:  # type: ignore[type-arg]
    """An open case's debtor whom a department sent with a name and an address, with something delinquent."""
    found = 0
    for case in api.get("/cases", params={"limit": 500, "status": "open"}, headers=viewer).json()["items"]:
        if case["on_hold"]:
            continue
        debtor = api.get(f"/debtors/{case['debtor_id']}", headers=viewer).json()
        if any(r["name_kanji"] and r["address"] and r["postal_code"] for r in debtor["records"]) \
                and debtor["delinquent_balance"] > 1_000:
            if found == skip:
                return debtor  # type: ignore[no-any-return]
            found += 1
    raise AssertionError("no open case with a named debtor and arrears")


def own_debtor(services: dict[str, RunningService], api: httpx.Client, viewer: dict[str, str]) -> dict:  # type: ignore[type-arg]
    """A resident of this test, recorded with a name and an address by three departments: money taken at the window
    moves only this person's ledger (the synthetic city's end-to-end test checks the imported city's to the yen)."""
    claims = push_person(services, f"{random.getrandbits(40):010x}")

    def found() -> dict | None:  # type: ignore[type-arg]
        lookup = api.post("/debtor-lookup", json={"department": "tax", "source_person_id": claims["tax_person"]},
                          headers=viewer)
        if lookup.status_code != 200:
            return None
        view = api.get(f"/debtors/{lookup.json()['debtor_ids'][0]}", headers=viewer).json()
        return view if len({c["department"] for c in view["claims"]}) == 3 else None  # type: ignore[no-any-return]

    return eventually(found, what="the test resident's three claims under one debtor")  # type: ignore[no-any-return]


def test_a_window_payment_gets_a_numbered_receipt_and_a_reissue_says_so(
        services: dict[str, RunningService], api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    collector = staff["collector"]
    debtor = own_debtor(services, api, staff["viewer"])
    receipt_id = f"W20250131-{uuid.uuid4().hex[:8].upper()}"
    refused = api.post(f"/debtors/{debtor['debtor_id']}/central-payments", headers=collector,
                       json={"receipt_id": receipt_id, "amount": 1275.5, "paid_on": "2025-01-31", "note": "窓口"})
    assert refused.status_code == 422 and "amount" in refused.text
    paid = api.post(f"/debtors/{debtor['debtor_id']}/central-payments", headers=collector,
                    json={"receipt_id": receipt_id, "amount": 1_275, "paid_on": "2025-01-31", "note": "窓口で一部納付"})
    assert paid.status_code == 201, paid.text

    assert api.post(f"/central-payments/{receipt_id}/receipts", headers=staff["viewer"]).status_code == 403
    issued = api.post(f"/central-payments/{receipt_id}/receipts", headers=collector)
    assert issued.status_code == 201, issued.text
    receipt = issued.json()
    assert receipt["kind"] == "receipt" and receipt["debtor_id"] == debtor["debtor_id"]
    assert receipt["mailed_to"] is None  # handed over the counter: no address printed
    number = receipt["document_number"]
    assert number.startswith("6債管第") and number.endswith("号")  # fiscal 2024 = 令和6年度

    pdf = api.get(f"/documents/{number}.pdf", headers=staff["viewer"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = flat_text(pdf.content)
    assert "領収証書" in text and "再発行" not in text
    assert "¥1,275-" in text and "金1,275円" in text
    assert "令和7年1月31日" in text
    assert receipt_id in text and number in text
    assert "豊田市" in text
    names = {r["name_kanji"].replace(" ", "").replace("\u3000", "") for r in debtor["records"] if r["name_kanji"]}
    assert any(name in text for name in names), "the payer is named"
    addresses = {r["address"].replace(" ", "").replace("\u3000", "") for r in debtor["records"] if r["address"]}
    assert not any(address in text for address in addresses), "a receipt never prints the address"
    assert api.get(f"/central-payments/{receipt_id}/receipt.pdf", headers=staff["viewer"]).content == pdf.content

    again = api.post(f"/central-payments/{receipt_id}/receipts", headers=collector)
    assert again.status_code == 201, again.text
    assert again.json()["document_number"] == f"{number}-再1" and again.json()["reissue_of"] == number
    reissued = flat_text(api.get(f"/central-payments/{receipt_id}/receipt.pdf", headers=staff["viewer"]).content)
    assert "領収証書（再発行）" in reissued and f"原本：{number}" in reissued and "¥1,275-" in reissued
    assert api.post(f"/documents/{number}/reissue", headers=collector).status_code == 409  # receipts: here only

    listed = api.get(f"/debtors/{debtor['debtor_id']}/central-payments", headers=staff["viewer"]).json()
    mine = next(p for p in listed if p["central_payment_id"] == receipt_id)
    assert mine["receipts"] == [number, f"{number}-再1"] and mine["amount"] == 1_275
    one = api.get(f"/central-payments/{receipt_id}", headers=staff["viewer"]).json()
    assert one["receipts"] == mine["receipts"] and sum(p["amount"] for p in one["parts"]) + one["overpayment"] == 1_275
    assert api.post("/central-payments/NO-SUCH/receipts", headers=collector).status_code == 404

    audit = api.get("/audit", params={"limit": 1000, "subject": debtor["debtor_id"]}, headers=staff["supervisor"])
    actions = {row["action"] for row in audit.json()["items"]}
    assert {"receive_central_payment", "issue_receipt", "reissue_receipt", "download_document"} <= actions


def test_a_document_issued_alone_waits_for_the_days_print_wave(
        api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    collector = staff["collector"]
    debtor = named_debtor(api, staff["viewer"], skip=1)
    with confirmed_mailing_addresses(api, collector, [debtor["debtor_id"]]):  # a 催告書 goes to a confirmed 送付先
        issued = api.post("/documents", headers=collector, json={"kind": "reminder", "debtor_id": debtor["debtor_id"]})
    assert issued.status_code == 201, issued.text
    number = issued.json()["document_number"]
    assert issued.json()["mailed_to"].startswith("〒")  # the 送付先 as printed
    queue = api.get("/documents/print-queue", headers=staff["viewer"]).json()
    assert number in [d["document_number"] for d in queue["waiting"]]
    assert api.post("/documents/print-queue/waves", json={}, headers=staff["viewer"]).status_code == 403
    wave = api.post("/documents/print-queue/waves", json={}, headers=collector)
    assert wave.status_code == 201, wave.text
    assert wave.json()["selection"] == "issued_on_day" and wave.json()["documents"] >= 1
    after = api.get("/documents/print-queue", headers=staff["viewer"]).json()
    assert number not in [d["document_number"] for d in after["waiting"]]
    assert after["waves"][0]["batch_id"] == wave.json()["batch_id"]
    combined = api.get(f"/documents/batches/{wave.json()['batch_id']}.pdf", headers=staff["viewer"])
    assert combined.status_code == 200 and number in flat_text(combined.content)
    nothing = api.post("/documents/print-queue/waves", json={}, headers=collector)
    assert nothing.status_code == 409 and "no document waits" in nothing.text


def test_a_window_payment_goes_to_the_claims_the_payer_names_and_the_receipt_lists_them(
        services: dict[str, RunningService], api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    collector, viewer = staff["collector"], staff["viewer"]
    debtor = own_debtor(services, api, viewer)
    debtor_id = debtor["debtor_id"]
    owed = sorted((c for c in debtor["claims"] if c["balance"] > 0 and c["legal_category"] != "private"),
                  key=lambda c: (c["due_date"], c["claim_id"]))
    # the newest public claim (its principal is paid before its 延滞金), which neither the city's order (oldest first)
    # nor the department's would pay first
    named = owed[-1]
    key = f"{named['department']}:{named['claim_id']}"
    receipt_id = f"W20250131-{uuid.uuid4().hex[:8].upper()}"

    def pay(**body: object) -> httpx.Response:
        return api.post(f"/debtors/{debtor_id}/central-payments", headers=collector,
                        json={"receipt_id": receipt_id, "paid_on": "2025-01-31", "note": "この期の分として", **body})

    too_much = named["balance"] + named["fees"] + named["late_charge"] + 1
    over = pay(amount=too_much + 1_000, claims=[{"department": named["department"], "claim_id": named["claim_id"],
                                                 "amount": too_much}])
    assert over.status_code == 422 and key in over.json()["detail"] and "more than the claim's open balance" \
        in over.json()["detail"]
    stranger = pay(amount=1_000, claims=[{"department": named["department"], "claim_id": "NO-SUCH-CLAIM",
                                          "amount": 500}])
    assert stranger.status_code == 422 and f"{named['department']}:NO-SUCH-CLAIM" in stranger.json()["detail"]
    both = pay(amount=1_000, designated={named["department"]: 500},
               claims=[{"department": named["department"], "claim_id": named["claim_id"], "amount": 500}])
    assert both.status_code == 422
    assert api.get(f"/central-payments/{receipt_id}", headers=viewer).status_code == 404  # nothing recorded

    part = min(named["balance"], 3_000)
    paid = pay(amount=part, claims=[{"department": named["department"], "claim_id": named["claim_id"],
                                     "amount": part}])
    assert paid.status_code == 201, paid.text
    parts = paid.json()["parts"]
    assert len(parts) == 1 and paid.json()["overpayment"] == 0
    assert parts[0]["claim_id"] == named["claim_id"] and parts[0]["amount"] == part and parts[0]["claim_label"]
    after = {c["claim_id"]: c for c in api.get(f"/debtors/{debtor_id}", headers=viewer).json()["claims"]}
    # the named claim received its part: its principal and fees fell by exactly the part
    before_owed = named["balance"] + named["fees"]
    now_owed = after[named["claim_id"]]["balance"] + after[named["claim_id"]]["fees"]
    assert before_owed - now_owed == part

    issued = api.post(f"/central-payments/{receipt_id}/receipts", headers=collector)
    assert issued.status_code == 201, issued.text
    text = flat_text(api.get(f"/documents/{issued.json()['document_number']}.pdf", headers=viewer).content)
    assert parts[0]["claim_label"].replace(" ", "") in text and "納付者の指定により" in text
    assert f"{part:,}円" in text
    listed = api.get(f"/central-payments/{receipt_id}", headers=viewer).json()
    assert listed["parts"][0]["claim_id"] == named["claim_id"]
