"""Reconciliation end to end: two departments send their balances in the standard layout (event 91 残高) with
their own credentials; collection lists each difference by claim with its likely cause — money a convenience
store reported that the centre still waits for, money the centre took at its window that the department has not
booked (its feed unacknowledged), a claim the centre never received — answers bad lines by line and column, and
counts the differences in a metric with help text."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

import httpx
import pytest

from contracts import PaymentChannel, PaymentReported, PersonReference
from contracts.standard_link import layout, render
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_payments_in_transit import from_tax, send
from tests.e2e.test_welfare_referral import push_person
from tests.infrastructure import BUSINESS_DATE, Infrastructure

pytestmark = pytest.mark.e2e


def statement(rows: list[tuple[str, str, int]]) -> bytes:
    return render([{"event": "91", "person": person, "claim": claim, "principal": balance, "done_on": BUSINESS_DATE}
                   for person, claim, balance in rows])


def test_each_difference_with_a_department_is_listed_with_its_likely_cause(
        services: dict[str, RunningService], infrastructure: Infrastructure,
        staff: dict[str, dict[str, str]]) -> None:
    collection = httpx.Client(base_url=services["collection"].url, timeout=60)
    viewer, collector = staff["viewer"], staff["collector"]
    tag = f"{random.getrandbits(40):010x}"
    claims = push_person(services, tag)
    insurance_person = f"39{int(tag, 16) % 10**8:08d}"  # tests/e2e/test_welfare_referral.push_person
    debtor = eventually(lambda: (r := collection.post("/debtor-lookup", headers=viewer, json={
        "department": "tax", "source_person_id": claims["tax_person"]})).status_code == 200
        and len(collection.get(f"/debtors/{r.json()['debtor_ids'][0]}", headers=viewer).json()["claims"]) == 3
        and r.json()["debtor_ids"][0], what="the person's three claims")

    # the convenience store reported the tax payment; its money has not reached the centre
    paid_on = BUSINESS_DATE - timedelta(days=1)
    send(infrastructure, from_tax(PaymentReported(
        payment_id=f"CVS-{tag}", person=PersonReference(source_person_id=claims["tax_person"]),
        claim_id=claims["tax"], amount=42_000, paid_on=paid_on, channel=PaymentChannel.CONVENIENCE_STORE,
        reported_on=paid_on), f"CVS-{tag}-report"), claims["tax_person"])
    eventually(lambda: collection.get(f"/debtors/{debtor}", headers=viewer).json()["payments_in_transit"],
               what="the payment in transit")
    # the person paid 10,000 yen of the insurance tax at the central window
    paid = collection.post(f"/debtors/{debtor}/central-payments", headers=collector, json={
        "receipt_id": f"R{tag}", "amount": 10_000, "paid_on": BUSINESS_DATE.isoformat(), "note": "窓口",
        "designated": {"insurance": 10_000}})
    assert paid.status_code == 201, paid.text
    insurance = department_headers("insurance")
    eventually(lambda: any(i["source_person_id"] == insurance_person
                           for i in collection.get("/feeds/insurance/items", headers=insurance).json()),
               what="the window payment in the insurance feed")

    # the insurance department: it has not booked the window money, and holds a claim the centre never received
    unknown_claim = f"2024-national_health_insurance_tax-UNSENT{tag}-01"
    body = statement([(insurance_person, claims["insurance"], 38_200), (insurance_person, unknown_claim, 12_000)])
    cells = dict.fromkeys(layout().header, "")
    cells.update({"レコード種別": "91", "宛名番号": insurance_person, "通知書番号": claims["insurance"],
                  "本税": "5,000", "処理日": "2025-01-31"})  # an amount with a thousands separator: refused
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells.values())
    bad = "\r\n" + out.getvalue()
    for headers, status in (({}, 401), (staff["supervisor"], 401), (department_headers("tax"), 403)):
        assert collection.post("/reconciliation/insurance", content=body, headers=headers).status_code == status
    sent = collection.post("/reconciliation/insurance", content=body.rstrip(b"\r\n") + bad.encode(),
                           headers={**insurance, "Content-Type": "text/csv"})
    assert sent.status_code == 201, sent.text
    summary = sent.json()
    assert summary["claims_stated"] == 2 and summary["by_cause"]["feed_not_acknowledged"] >= 1
    assert [r["line"] for r in summary["rejected"]] == [4]
    assert any(p.startswith("本税:") for p in summary["rejected"][0]["problems"])
    latest = collection.get("/reconciliation/insurance/latest", headers=viewer, params={"limit": 10_000}).json()
    found = {d["claim_id"]: d for d in latest["differences"]}
    assert (found[claims["insurance"]]["cause"], found[claims["insurance"]]["department_balance"],
            found[claims["insurance"]]["central_balance"]) == ("feed_not_acknowledged", 38_200, 28_200)
    assert found[unknown_claim]["cause"] == "unknown_claim" and found[unknown_claim]["central_balance"] is None

    # the tax department booked the convenience-store money already
    tax = collection.post("/reconciliation/tax", content=statement([(claims["tax_person"], claims["tax"], 0)]),
                          headers=department_headers("tax"))
    assert tax.status_code == 201, tax.text
    latest = collection.get("/reconciliation/tax/latest", headers=viewer, params={"limit": 10_000}).json()
    difference = next(d for d in latest["differences"] if d["claim_id"] == claims["tax"])
    assert (difference["cause"], difference["department_balance"], difference["central_balance"]) == (
        "payment_in_transit", 0, 42_000)
    assert "速報" in difference["explanation"]

    metrics = httpx.get(f"{services['collection'].url}/metrics", timeout=30).text
    assert "# HELP collection_reconciliation_differences" in metrics
    samples = [line for line in metrics.splitlines() if line.startswith("collection_reconciliation_differences{")
               and 'cause="payment_in_transit"' in line and 'department="tax"' in line]
    assert samples and float(samples[0].rsplit(" ", 1)[1]) >= 1, samples
