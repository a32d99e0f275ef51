"""充当 in the feeds, end to end: a lump sum taken at the central window is split over two departments' claims; each
department's feed says which of its claims got how much (本税, 督促手数料, 延滞金 parts summing to its share), as
decided when the money was taken; the file in the standard layout (2026.04, event 13 充当) and in the department's
own export format (read back by its format module's parse_export) carry the same figures; the receipt
acknowledges them like any other item."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from contracts import Department, PaymentReceived
from contracts.standard_link import INCOMING_VERSION, parse
from services.collection.feeds import OWN_FORMAT_GAPS
from services.insurance_adapter import export_format as insurance_format
from services.tax_adapter import export_format as tax_format
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_department_feeds import on_topic
from tests.e2e.test_welfare_referral import push_person
from tests.infrastructure import BUSINESS_DATE, Infrastructure

pytestmark = pytest.mark.e2e

PARTS = ("principal", "demand_fee", "late_charge", "disposition_cost")


def test_a_window_payment_split_over_two_departments_reaches_each_as_its_appropriation_lines(
        services: dict[str, RunningService], infrastructure: Infrastructure,
        staff: dict[str, dict[str, str]]) -> None:
    collection = httpx.Client(base_url=services["collection"].url, timeout=30)
    viewer, collector = staff["viewer"], staff["collector"]
    tag = f"{random.getrandbits(40):010x}"
    claims = push_person(services, tag)  # tax 42,000, 国保税 38,200, water 9,800 (private, due first)
    debtor = eventually(lambda: (r := collection.post("/debtor-lookup", headers=viewer, json={
        "department": "tax", "source_person_id": claims["tax_person"]})).status_code == 200
        and len(collection.get(f"/debtors/{r.json()['debtor_ids'][0]}", headers=viewer).json()["claims"]) == 3
        and r.json()["debtor_ids"][0], what="the person's three claims")

    paid = collection.post(f"/debtors/{debtor}/central-payments", headers=collector, json={
        "receipt_id": f"A{tag}", "amount": 50_000, "paid_on": BUSINESS_DATE.isoformat(), "note": "窓口で一部納付",
        "designated": {"tax": 30_000, "insurance": 20_000}})
    assert paid.status_code == 201, paid.text
    shares = {p["department"]: (p["payment_id"], p["amount"]) for p in paid.json()["parts"]}
    assert {d: a for d, (_, a) in shares.items()} == {"tax": 30_000, "insurance": 20_000}
    decided = paid.json()["appropriations"]
    assert {(a["department"], a["claim_id"]) for a in decided} == {("tax", claims["tax"]),
                                                                  ("insurance", claims["insurance"])}

    def pending(department: str) -> list[dict[str, Any]]:
        answer = collection.get(f"/feeds/{department}/items", headers=department_headers(department))
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    def appropriations(department: str) -> list[dict[str, Any]]:
        return [i for i in pending(department) if i["kind"] == "appropriation"
                and i["reference"] == shares[department][0]]

    fed: dict[str, list[dict[str, Any]]] = {}
    for department in ("tax", "insurance"):
        fed[department] = eventually(lambda d=department: appropriations(d), what=f"the {department} 充当 lines")
        items = fed[department]
        # each line's parts add up to it, and the lines to the department's share of the lump sum
        assert all(i["amount"] == sum(i[p] for p in PARTS) for i in items)
        assert sum(i["amount"] for i in items) == shares[department][1]
        assert {i["claim_id"] for i in items} == {claims[department]}
        assert all(i["occurred_on"] == BUSINESS_DATE.isoformat() for i in items)
    # 本税 first (the tax order; 国保税 likewise): a part smaller than the principal settles principal only
    assert [(i["principal"], i["late_charge"]) for i in fed["tax"]] == [(30_000, 0)]
    assert [(i["principal"], i["late_charge"]) for i in fed["insurance"]] == [(20_000, 0)]
    assert [a["principal"] for a in decided if a["department"] == "tax"] == [30_000]

    # the standard layout: event 13 充当 with 収納番号 the part and 充当先通知書番号 the claim
    for department in ("tax", "insurance"):
        file = collection.get(f"/feeds/{department}/file", headers=department_headers(department))
        assert file.status_code == 200 and file.headers["x-feed-format"] == "standard", file.text
        ids = {str(i["feed_id"]) for i in fed[department]}
        rows = [p.row for p in parse(file.content, INCOMING_VERSION) if p.row and p.row["link_id"] in ids]
        assert [(r["event"], r["receipt"], r["target_claim"]) for r in rows] == [
            ("13", shares[department][0], claims[department])] * len(ids)
        assert sum(r["total"] for r in rows) == shares[department][1]
        assert all(r["total"] == r["principal"] + r.get("demand_fee", 0) + r.get("late_charge", 0) for r in rows)

    # the department's own export format, read back by its own parser: 収納 naming the claim, the same yen
    formats = {"tax": (tax_format, "cp932"), "insurance": (insurance_format, "cp932")}
    for department, (module, _) in formats.items():
        file = collection.get(f"/feeds/{department}/file", params={"format": "own"},
                              headers=department_headers(department))
        assert file.status_code == 200 and file.headers["x-feed-format"] == "own", file.text
        parsed = module.parse_export(file.content, file_name=f"feed-{department}",
                                     produced_at=lambda: datetime.now(UTC))
        assert parsed.rejected == []
        paid_back: dict[str, int] = defaultdict(int)
        for accepted in parsed.accepted:
            payload = accepted.message.payload
            if isinstance(payload, PaymentReceived) and payload.payment_id in {f"F{i['feed_id']}"
                                                                               for i in fed[department]}:
                paid_back[str(payload.claim_id)] += payload.amount
        assert dict(paid_back) == {claims[department]: shares[department][1]}
        # the central receipt itself is not a second 収納 in the department's own format: named, not dropped
        receipt_item = next(i for i in pending(department) if i["kind"] == "central_payment"
                            and i["reference"] == shares[department][0])
        assert f"F{receipt_item['feed_id']}" not in {a.message.payload.payment_id for a in parsed.accepted
                                                     if isinstance(a.message.payload, PaymentReceived)}
        assert int(file.headers["x-feed-omitted-count"]) >= 1
        omitted = [entry.split(" ", 2) for entry in file.headers["x-feed-omitted"].split(", ")
                   if not entry.startswith("+")]
        assert all(unquote(reason) for _, _, reason in omitted)
        assert [unquote(reason) for feed_id, _, reason in omitted if feed_id == str(receipt_item["feed_id"])] in (
            [], [f"central_payment: {OWN_FORMAT_GAPS['central_payment']}"])  # listed, if among the first, with why

    # published once each on the department's own topic, like every item
    tax_ids = {i["feed_id"] for i in fed["tax"]}
    assert sorted(on_topic(infrastructure, Department.TAX, tax_ids)) == sorted(tax_ids)
    assert on_topic(infrastructure, Department.INSURANCE, tax_ids) == []

    # acknowledged like any other item: gone from the list, the receipt names what it knew
    ids = [i["feed_id"] for i in fed["tax"]]
    receipt = collection.post("/feeds/tax/receipts", headers=department_headers("tax"), json={"feed_ids": ids})
    assert receipt.status_code == 200 and receipt.json() == {"acknowledged": sorted(ids), "unknown": []}
    assert appropriations("tax") == []
    # staff see the lines as stored, and which department acknowledged them
    stored = collection.get(f"/central-payments/A{tag}/appropriations", headers=viewer)
    assert stored.status_code == 200, stored.text
    assert sorted((a["department"], a["principal"], a["acknowledged"]) for a in stored.json()) == [
        ("insurance", 20_000, False), ("tax", 30_000, True)]
    assert collection.get("/central-payments/nosuchreceipt/appropriations", headers=viewer).status_code == 404

    # a later payment settles what is left; the lines already decided stay as they were
    again = collection.post(f"/debtors/{debtor}/central-payments", headers=collector, json={
        "receipt_id": f"B{tag}", "amount": 5_000, "paid_on": BUSINESS_DATE.isoformat(), "note": "追加納付",
        "designated": {"insurance": 5_000}})
    assert again.status_code == 201, again.text
    later = eventually(lambda: [i for i in collection.get("/feeds/insurance/items", headers=department_headers(
        "insurance")).json() if i["kind"] == "appropriation" and i["reference"] == f"CB{tag}-insurance"],
        what="the second 充当")
    assert sum(i["amount"] for i in later) == 5_000
    assert appropriations("insurance") == fed["insurance"]
    assert collection.get(f"/central-payments/A{tag}/appropriations", headers=viewer).json() == stored.json()
