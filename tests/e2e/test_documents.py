"""Documents on the running system: a unified reminder for a real debtor of the imported city, with the debtor's
name, every overdue claim's amount and the era dates; a wave of 督促状 numbered, written to each claim's 経過記録
and gone from the task list; the same PDF downloaded again byte for byte; an explicit re-issue; an asset inquiry
only where the law allows one; and the barcode on a printed slip decodes back to its amount."""

from __future__ import annotations

import hashlib
import io
import re

import httpx
import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from shared.documents import parse_convenience_store_code, yen
from tests.conftest import ImportedCity
from tests.e2e.mailing import confirmed_mailing_addresses
from tests.e2e.processes import RunningService

pytestmark = pytest.mark.e2e


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def pages_of(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def api(services: dict[str, RunningService], imported_city: ImportedCity) -> httpx.Client:
    return httpx.Client(base_url=services["collection"].url, timeout=60)


def addressable(debtor: dict) -> bool:  # type: ignore[type-arg]
    """A department sent the debtor's name and address (other tests' debtors may come from bare references)."""
    return any(r["name_kanji"] and r["address"] and r["postal_code"] for r in debtor["records"])


def debtor_with_arrears(api: httpx.Client, viewer: dict[str, str], *, departments: int) -> dict:
    cases = api.get("/cases", params={"limit": 500, "status": "open"}, headers=viewer).json()["items"]
    for case in cases:
        if len(case["departments"]) >= departments and not case["on_hold"]:
            debtor = api.get(f"/debtors/{case['debtor_id']}", headers=viewer).json()
            if addressable(debtor):
                return debtor  # type: ignore[no-any-return]
    raise AssertionError(f"no open case of {departments} departments with a name and address to print")


def test_a_unified_reminder_lists_every_overdue_claim_with_name_amounts_and_era_dates(
        api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    debtor = debtor_with_arrears(api, staff["viewer"], departments=2)
    response = api.post("/documents/preview", headers=staff["viewer"],
                        json={"kind": "reminder", "debtor_id": debtor["debtor_id"], "severity": "final"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = text_of(response.content)
    names = {r["name_kanji"].replace(" ", "").replace("\u3000", "") for r in debtor["records"] if r["name_kanji"]}
    flat = text.replace(" ", "").replace("\u3000", "").replace("\n", "")
    assert any(name in flat for name in names), "the debtor's name is printed"
    overdue = [c for c in debtor["claims"] if c["status"] == "delinquent" and c["balance"] > 0]
    assert len({c["department"] for c in overdue}) >= 2
    for claim in overdue:
        assert yen(claim["balance"]) in flat, claim["claim_id"]
    assert "令和7年1月31日" in flat  # issued on the business date
    assert "見本" in flat  # a preview is not numbered
    refused = api.post("/documents/preview", headers={}, json={"kind": "reminder", "debtor_id": debtor["debtor_id"]})
    assert refused.status_code == 401


def test_a_wave_of_demand_notices_is_numbered_recorded_and_printable(
        api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    collector = staff["collector"]
    due = api.get("/tasks/demand-notices", params={"limit": 5000}, headers=collector).json()
    assert len(due) >= 3
    # a wave takes only debtors whose 送付先 is confirmed: confirm three debtors' first
    with confirmed_mailing_addresses(api, collector, [t["debtor_id"] for t in due][:3]) as confirmed:
        wave = api.post("/documents/batches", headers=collector,
                        json={"kind": "demand_notice", "selection": "demand_notices_due", "limit": 3})
        assert wave.status_code == 201, wave.text
        batch = wave.json()
        assert len(batch["documents"]) == 3 and batch["refused"] == []
        assert batch["awaiting_mailing_address"] > 0  # the city's other debtors wait for their 送付先
        for document in batch["documents"]:  # each went to its debtor's confirmed 送付先
            chosen = api.get(f"/debtors/{document['debtor_id']}/mailing-address", headers=collector).json()["chosen"]
            assert chosen is not None and document["mailed_to"] == f"〒{chosen['postal_code']} {chosen['address']}"
        assert set(confirmed) <= {t["debtor_id"] for t in due}
        _check_wave(api, staff, batch, due)


def _check_wave(api: httpx.Client, staff: dict[str, dict[str, str]], batch: dict, due: list) -> None:  # type: ignore[type-arg]
    collector = staff["collector"]
    numbers = [d["document_number"] for d in batch["documents"]]
    assert all(re.fullmatch(r"6債管第\d+号", n) for n in numbers) and len(set(numbers)) == 3  # fiscal 2024 = 令和6
    for document in batch["documents"]:  # the 督促 is now in each claim's 経過記録, and off the task list
        department, claim_id = document["claims"][0].split(":", 1)
        record = api.get(f"/claims/{department}/{claim_id}", headers=collector).json()
        assert any(a["kind"] == "demand_notice" and document["document_number"] in a["note"]
                   for a in record["actions"]), record["actions"]
    left = {(t["department"], t["claim_id"]) for t in
            api.get("/tasks/demand-notices", params={"limit": 5000}, headers=collector).json()}
    issued = {tuple(d["claims"][0].split(":", 1)) for d in batch["documents"]}
    assert not left & issued
    # everything else that was due still is (other tests may add new claims meanwhile, never remove a task)
    assert {(t["department"], t["claim_id"]) for t in due} - issued <= left

    combined = api.get(f"/documents/batches/{batch['batch_id']}.pdf", headers=staff["viewer"])
    assert combined.status_code == 200 and pages_of(combined.content) == batch["pages"]
    flat = text_of(combined.content).replace(" ", "")
    assert all(n in flat for n in numbers) and "督促状" in flat

    first = batch["documents"][0]
    again = api.get(f"/documents/{first['document_number']}.pdf", headers=staff["viewer"])
    assert again.status_code == 200 and hashlib.sha256(again.content).hexdigest() == first["sha256"]
    reissued = api.post(f"/documents/{first['document_number']}/reissue", headers=collector)
    assert reissued.status_code == 201, reissued.text
    assert reissued.json()["document_number"] == f"{first['document_number']}-再1"
    assert reissued.json()["reissue_of"] == first["document_number"]
    twice = api.post(f"/documents/{reissued.json()['document_number']}/reissue", headers=collector)
    assert twice.json()["document_number"] == f"{first['document_number']}-再2"
    listed = api.get("/documents", params={"debtor_id": first["debtor_id"]}, headers=staff["viewer"]).json()
    assert {d["document_number"] for d in listed} >= {first["document_number"], reissued.json()["document_number"]}
    record = api.get(f"/claims/{first['claims'][0].replace(':', '/', 1)}", headers=collector).json()
    assert sum(a["kind"] == "demand_notice" for a in record["actions"]) == 1  # a re-issue is not a second 督促
    assert api.post("/documents/batches", headers=staff["viewer"],
                    json={"kind": "demand_notice", "selection": "demand_notices_due"}).status_code == 403


def test_the_printed_slip_decodes_back_to_its_amount(api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    debtor = debtor_with_arrears(api, staff["viewer"], departments=1)
    with confirmed_mailing_addresses(api, staff["collector"], [debtor["debtor_id"]]):
        issued = api.post("/documents", headers=staff["collector"],
                          json={"kind": "reminder", "debtor_id": debtor["debtor_id"]})
    assert issued.status_code == 201, issued.text
    pdf = api.get(f"/documents/{issued.json()['document_number']}.pdf", headers=staff["viewer"]).content
    document = pdfium.PdfDocument(pdf)
    found = [r for i in range(len(document))
             for r in zxingcpp.read_barcodes(document[i].render(scale=3).to_pil())]
    codes = [r.text for r in found if r.format == zxingcpp.BarcodeFormat.Code128]
    # Everything a delinquent claim owes: principal, 督促手数料/滞納処分費 and 延滞金 (a claim whose principal is
    # paid but whose 延滞金 is still open is listed too: it can be demanded on its own).
    overdue = sum(c["balance"] + c["fees"] + c["late_charge"] for c in debtor["claims"] if c["status"] == "delinquent")
    if overdue <= 999_999:
        assert codes, "a convenience-store barcode is printed"
        assert parse_convenience_store_code(codes[0]).amount == overdue
    assert any(r.format == zxingcpp.BarcodeFormat.QRCode and f"AMT:{overdue}" in r.text for r in found)


def test_an_asset_inquiry_only_for_forced_collection_claims(api: httpx.Client,
                                                            staff: dict[str, dict[str, str]]) -> None:
    cases = api.get("/cases", params={"limit": 500}, headers=staff["viewer"]).json()["items"]
    private_only = next(c for c in cases if c["legal_categories"] == ["private"])
    bank = {"name": "豊田信用金庫 本店", "postal_code": "471-0025", "address": "愛知県豊田市西町1丁目200番地"}
    refused = api.post("/documents", headers=staff["collector"],
                       json={"kind": "asset_inquiry", "debtor_id": private_only["debtor_id"], "institution": bank})
    assert refused.status_code == 409 and "強制徴収公債権" in refused.json()["detail"]
    forced = next(c for c in cases if "forced_public" in c["legal_categories"] and not c["on_hold"]
                  and addressable(api.get(f"/debtors/{c['debtor_id']}", headers=staff["viewer"]).json()))
    preview = api.post("/documents/preview", headers=staff["collector"],
                       json={"kind": "asset_inquiry", "debtor_id": forced["debtor_id"], "institution": bank})
    assert preview.status_code == 200, preview.text
    flat = text_of(preview.content).replace(" ", "")
    assert "豊田信用金庫本店" in flat and "地方税法" in flat


def test_an_installment_pledge_must_pay_exactly_what_is_owed(api: httpx.Client,
                                                            staff: dict[str, dict[str, str]]) -> None:
    debtor = debtor_with_arrears(api, staff["viewer"], departments=1)
    claim = next(c for c in debtor["claims"] if c["status"] == "delinquent" and c["balance"] > 0)
    owed = claim["balance"] + claim["fees"] + claim["late_charge"]
    body = {"kind": "installment_pledge", "debtor_id": debtor["debtor_id"],
            "claims": [f"{claim['department']}:{claim['claim_id']}"],
            "schedule": [{"due_date": "2025-02-28", "amount": owed - owed // 2},
                         {"due_date": "2025-03-31", "amount": owed // 2}]}
    pledge = api.post("/documents/preview", headers=staff["collector"], json=body)
    assert pledge.status_code == 200, pledge.text
    flat = text_of(pledge.content).replace(" ", "")
    assert "分納誓約書" in flat and yen(owed - owed // 2) in flat and "令和7年2月28日" in flat
    short = api.post("/documents/preview", headers=staff["collector"],
                     json={**body, "schedule": [{"due_date": "2025-02-28", "amount": 1}]})
    assert short.status_code == 422 and "schedule" in short.json()["detail"]
    unknown = api.post("/documents/preview", headers=staff["collector"], json={**body, "claims": ["water:nope"]})
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("claims:")


def test_notices_follow_the_law_and_what_was_sent_before(api: httpx.Client,
                                                         staff: dict[str, dict[str, str]]) -> None:
    """Issue 19 §6 on the running system: a 督促状's 教示 follows its receivable, the seal as the city set it, and a
    final 催告書 claims only the 督促 and 催告 on record (the departments' own count: the city's departments sent
    most 督促 themselves)."""
    viewer = staff["viewer"]
    def tax_claim_to_demand() -> dict | None:  # an addressable debtor's tax claim with its principal open
        for case in api.get("/cases", params={"limit": 500, "status": "open"}, headers=viewer).json()["items"]:
            if "tax" not in case["departments"]:
                continue
            debtor = api.get(f"/debtors/{case['debtor_id']}", headers=viewer).json()
            open_tax = [c for c in debtor["claims"] if c["department"] == "tax" and c["status"] == "delinquent"
                        and c["balance"] > 0]
            if open_tax and addressable(debtor):
                return open_tax[0]  # type: ignore[no-any-return]
        return None

    tax = tax_claim_to_demand()
    assert tax is not None, "no addressable debtor with an open tax claim"
    notice = api.post("/documents/preview", headers=viewer,
                      json={"kind": "demand_notice", "department": "tax", "claim_id": tax["claim_id"]})
    assert notice.status_code == 200, notice.text
    flat = "".join(text_of(notice.content).split())
    assert "地方税法第19条の4" in flat and "地方税法第19条の12" in flat and "（公印省略）" in flat

    checked = set()
    cases = api.get("/cases", params={"limit": 200, "status": "open"}, headers=viewer).json()["items"]
    for case in cases:
        debtor = api.get(f"/debtors/{case['debtor_id']}", headers=viewer).json()
        overdue = [c for c in debtor["claims"] if c["status"] == "delinquent" and c["balance"] > 0]
        if not overdue or case["on_hold"] or not addressable(debtor):
            continue
        kinds = [{a["kind"] for a in api.get(f"/claims/{c['department']}/{c['claim_id']}",
                                             headers=viewer).json()["actions"]} for c in overdue]
        demanded = all("demand_notice" in k for k in kinds)
        reminded = all("reminder_letter" in k for k in kinds)
        outcome = "both" if demanded and reminded else "demand" if demanded else "reminder" if reminded else "none"
        if outcome in checked:
            continue
        preview = api.post("/documents/preview", headers=viewer,
                           json={"kind": "reminder", "debtor_id": case["debtor_id"], "severity": "final"})
        assert preview.status_code == 200, preview.text
        text = "".join(text_of(preview.content).split())
        expected = {"both": "これまで督促状及び催告書により", "demand": "督促状により納付をお願いしましたが",
                    "reminder": "これまで催告書により", "none": "納期限を過ぎ"}[outcome]
        assert expected in text, (outcome, case["debtor_id"])
        if not demanded:
            assert "督促状により" not in text and "督促状及び" not in text
        checked.add(outcome)
        if {"demand", "none"} <= checked:
            break
    assert {"demand", "none"} <= checked  # departments demanded most claims, the centre's task list holds the rest


def test_a_chosen_mailing_address_carries_every_notice_until_it_is_forgotten(
        api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    debtor = debtor_with_arrears(api, staff["viewer"], departments=2)
    debtor_id = debtor["debtor_id"]
    url = f"/debtors/{debtor_id}/mailing-address"
    name = next(r["name_kanji"] for r in debtor["records"] if r["name_kanji"] and r["address"])
    departments = sorted({c["department"] for c in debtor["claims"] if c["status"] == "delinquent"})

    def printed(**request: object) -> str:
        response = api.post("/documents/preview", headers=staff["viewer"],
                            json={"kind": "reminder", "debtor_id": debtor_id, **request})
        assert response.status_code == 200, response.text
        return text_of(response.content).replace(" ", "").replace("\u3000", "").replace("\n", "")

    before = api.get(url, headers=staff["viewer"])
    assert before.status_code == 200 and before.json()["chosen"] is None
    recorded = before.json()["recorded"]
    assert recorded and all(a["departments"] for a in recorded)
    try:
        chosen = api.put(url, headers=staff["collector"], json={
            "name": name, "postal_code": "471-8501", "address": "愛知県豊田市送付先町九丁目1番地",
            "reason": "本人から居所の申出"})
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["chosen"]["source"] == "staff" and chosen.json()["chosen"]["set_by"] == "e2e-collector"
        # the unified reminder and each department's own go to the one address chosen
        for request in ({}, *({"department": d} for d in departments)):
            assert "送付先町" in printed(**request), request
        copied = api.put(url, headers=staff["collector"], json={"from_department": recorded[0]["departments"][0],
                                                                "reason": "税の住所に戻す"})
        assert copied.status_code == 200 and copied.json()["chosen"]["source"].startswith("department:")
        assert "送付先町" not in printed()
        assert api.put(url, headers=staff["collector"], json={"from_department": "tax", "name": name,
                                                              "postal_code": "471-8501", "address": "x",
                                                              "reason": "両方"}).status_code == 422
        assert api.put(url, headers=staff["viewer"], json={"name": name, "postal_code": "471-8501",
                                                           "address": "y", "reason": "閲覧者"}).status_code == 403
    finally:
        forgotten = api.delete(url, headers=staff["collector"])
    assert forgotten.status_code == 200 and forgotten.json()["chosen"] is None
    assert api.delete(url, headers=staff["collector"]).status_code == 404
    assert api.get("/debtors/no-such-debtor/mailing-address", headers=staff["viewer"]).status_code == 404


def test_no_notice_is_issued_until_the_debtors_mailing_address_is_confirmed(
        api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    """The 送付先 rule in the API itself: departments' systems get the same refusal as the console's officers."""
    collector, viewer = staff["collector"], staff["viewer"]
    cases = api.get("/cases", params={"limit": 500, "status": "open"}, headers=viewer).json()["items"]
    debtor = None
    for case in reversed(cases):  # from the end of the list: other tests take debtors from its start
        if case["on_hold"]:
            continue
        mailing = api.get(f"/debtors/{case['debtor_id']}/mailing-address", headers=viewer).json()
        if mailing["chosen"] is None and mailing["recorded"]:
            debtor = api.get(f"/debtors/{case['debtor_id']}", headers=viewer).json()
            if addressable(debtor):
                break
            debtor = None
    assert debtor is not None, "no open case whose debtor has a recorded address and no 送付先 chosen"
    debtor_id = debtor["debtor_id"]
    documents_before = len(api.get("/documents", params={"debtor_id": debtor_id}, headers=viewer).json())

    refused = api.post("/documents", headers=collector, json={"kind": "reminder", "debtor_id": debtor_id})
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "mailing_address_unconfirmed" and debtor_id in body["detail"]
    assert "送付先が確認されていません" in body["detail_ja"] and "催告書" in body["detail_ja"]
    for record in debtor["records"]:  # the refusal leaves the service: no name or address in it
        for value in (record["name_kanji"], record["address"]):
            assert not value or value not in body["detail"] + body["detail_ja"]
    delinquent = next(c for c in debtor["claims"] if c["status"] == "delinquent")
    demand = api.post("/documents", headers=collector, json={"kind": "demand_notice",
                                                              "department": delinquent["department"],
                                                              "claim_id": delinquent["claim_id"]})
    assert demand.status_code == 409 and demand.json()["code"] == "mailing_address_unconfirmed", demand.text
    assert "督促状" in demand.json()["detail_ja"]
    # a preview (見本) needs no 送付先; nothing was numbered or recorded by the refusals
    assert api.post("/documents/preview", headers=viewer,
                    json={"kind": "reminder", "debtor_id": debtor_id}).status_code == 200
    assert len(api.get("/documents", params={"debtor_id": debtor_id}, headers=viewer).json()) == documents_before

    with confirmed_mailing_addresses(api, collector, [debtor_id]) as confirmed:
        seen = confirmed[debtor_id]["set_at"]
        issued = api.post("/documents", headers=collector,
                          json={"kind": "reminder", "debtor_id": debtor_id, "mailing_address_set_at": seen})
        assert issued.status_code == 201, issued.text
        number = issued.json()["document_number"]
        chosen = confirmed[debtor_id]
        assert issued.json()["mailed_to"] == f"〒{chosen['postal_code']} {chosen['address']}"
        # the 送付先 changed after the issuer looked: refused until the new one is confirmed
        changed = api.put(f"/debtors/{debtor_id}/mailing-address", headers=collector, json={
            "name": "髙橋 一郎", "postal_code": "471-8501", "address": "愛知県豊田市送付先町九丁目1番地",
            "reason": "本人から居所の申出"})
        assert changed.status_code == 200, changed.text
        stale = api.post("/documents", headers=collector,
                         json={"kind": "reminder", "debtor_id": debtor_id, "mailing_address_set_at": seen})
        assert stale.status_code == 409 and stale.json()["code"] == "mailing_address_changed"
        assert "変更されています" in stale.json()["detail_ja"] and "令和" in stale.json()["detail_ja"]
        fresh = api.post("/documents", headers=collector, json={
            "kind": "reminder", "debtor_id": debtor_id,
            "mailing_address_set_at": changed.json()["chosen"]["set_at"]})
        assert fresh.status_code == 201 and "送付先町" in fresh.json()["mailed_to"]
    # forgotten again: a re-issue is a notice mailed again, refused too
    assert api.get(f"/debtors/{debtor_id}/mailing-address", headers=viewer).json()["chosen"] is None
    again = api.post(f"/documents/{number}/reissue", headers=collector)
    assert again.status_code == 409 and again.json()["code"] == "mailing_address_unconfirmed"
    refusals = api.get("/audit", params={"action": "document_refused", "subject": debtor_id, "limit": 100},
                       headers=staff["supervisor"]).json()["items"]
    assert len(refusals) >= 2 and all(r["actor"] == "e2e-collector" for r in refusals)
