"""Feeds back to the departments end to end: money taken at the central window and a 督促 the centre sent reach
the department owning the claims — on its own Kafka topic once each, as items and as a standard-layout file
behind its own credential — until its receipt acknowledges them. Another department's credential, a staff token
or none are refused; a receipt is idempotent and names what it did not know."""

from __future__ import annotations

import asyncio
import json
import random
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from contracts import Department
from contracts.standard_link import INCOMING_VERSION, parse
from contracts.topics import DEPARTMENT_FEEDS
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_welfare_referral import push_person
from tests.infrastructure import BUSINESS_DATE, Infrastructure

pytestmark = pytest.mark.e2e


def on_topic(infrastructure: Infrastructure, department: Department, feed_ids: set[int]) -> list[int]:
    """The feed ids among ``feed_ids`` found on the department's topic, with repeats."""
    async def run() -> list[int]:
        consumer = AIOKafkaConsumer(DEPARTMENT_FEEDS[department].name,
                                    bootstrap_servers=infrastructure.kafka_bootstrap_servers,
                                    auto_offset_reset="earliest", enable_auto_commit=False,
                                    group_id=f"feed-test-{uuid.uuid4().hex[:8]}")
        await consumer.start()
        try:
            found: list[int] = []
            batches = await consumer.getmany(timeout_ms=5000)
            while batches:
                for records in batches.values():
                    for record in records:
                        feed_id = json.loads(record.value)["payload"]["feed_id"]
                        if feed_id in feed_ids:
                            found.append(feed_id)
                batches = await consumer.getmany(timeout_ms=1000)
            return found
        finally:
            await consumer.stop()
    return asyncio.run(run())


def test_what_the_centre_did_reaches_the_department_once_until_it_acknowledges(
        services: dict[str, RunningService], infrastructure: Infrastructure,
        staff: dict[str, dict[str, str]]) -> None:
    collection = httpx.Client(base_url=services["collection"].url, timeout=30)
    viewer, collector = staff["viewer"], staff["collector"]
    tag = f"{random.getrandbits(40):010x}"
    claims = push_person(services, tag)
    debtor = eventually(lambda: (r := collection.post("/debtor-lookup", headers=viewer, json={
        "department": "tax", "source_person_id": claims["tax_person"]})).status_code == 200
        and len(collection.get(f"/debtors/{r.json()['debtor_ids'][0]}", headers=viewer).json()["claims"]) == 3
        and r.json()["debtor_ids"][0], what="the person's three claims")
    receipt = f"R{tag}"
    paid = collection.post(f"/debtors/{debtor}/central-payments", headers=collector, json={
        "receipt_id": receipt, "amount": 30_000, "paid_on": BUSINESS_DATE.isoformat(), "note": "窓口で一括納付"})
    assert paid.status_code == 201, paid.text
    tax_part = next(p for p in paid.json()["parts"] if p["department"] == "tax")
    demand = collection.post(f"/claims/insurance/{claims['insurance']}/actions", headers=collector, json={
        "kind": "demand_notice", "done_on": BUSINESS_DATE.isoformat(), "note": "督促状 第7号"})
    assert demand.status_code == 201, demand.text

    tax, insurance = department_headers("tax"), department_headers("insurance")

    def items(department: str, headers: dict[str, str]) -> list[dict]:
        response = collection.get(f"/feeds/{department}/items", headers=headers)
        assert response.status_code == 200, response.text
        return [i for i in response.json() if i["source_person_id"] in (claims["tax_person"], insurance_person)]

    insurance_person = f"39{int(tag, 16) % 10**8:08d}"  # tests/e2e/test_welfare_referral.push_person
    tax_items = eventually(lambda: [i for i in items("tax", tax) if i["kind"] == "central_payment"],
                           what="the tax department's feed")
    assert [(i["kind"], i["amount"], i["reference"]) for i in tax_items] == [
        ("central_payment", tax_part["amount"], tax_part["payment_id"])]
    insurance_items = eventually(lambda: [i for i in items("insurance", insurance) if i["kind"] == "demand_notice"],
                                 what="the insurance department's feed")
    assert [(i["claim_id"], i["reference"], i["fiscal_year"]) for i in insurance_items] == [
        (claims["insurance"], "督促状 第7号", 2024)]

    # the same items as a standard-layout file; 連携番号 is what the receipt names
    file = collection.get("/feeds/insurance/file", headers=insurance)
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
    rows = {p.row["link_id"]: p.row for p in parse(file.content, INCOMING_VERSION) if p.row}
    row = rows[str(insurance_items[0]["feed_id"])]
    assert (row["event"], row["claim"], row["document"]) == ("21", claims["insurance"], "督促状 第7号")

    # only the department's own system, with its own credential
    for headers, status in (({}, 401), (staff["supervisor"], 401), (insurance, 403)):
        assert collection.get("/feeds/tax/items", headers=headers).status_code == status
        assert collection.post("/feeds/tax/receipts", headers=headers,
                               json={"feed_ids": [tax_items[0]["feed_id"]]}).status_code == status

    # published once each on the department's own topic
    feed_ids = {tax_items[0]["feed_id"]}
    assert on_topic(infrastructure, Department.TAX, feed_ids) == [tax_items[0]["feed_id"]]
    assert on_topic(infrastructure, Department.INSURANCE, feed_ids) == []

    # the receipt: acknowledged items leave the list; again changes nothing; another's ids are named unknown
    body = {"feed_ids": [tax_items[0]["feed_id"], insurance_items[0]["feed_id"]]}
    first = collection.post("/feeds/tax/receipts", headers=tax, json=body)
    assert first.status_code == 200, first.text
    assert first.json() == {"acknowledged": [tax_items[0]["feed_id"]], "unknown": [insurance_items[0]["feed_id"]]}
    assert collection.post("/feeds/tax/receipts", headers=tax, json=body).json() == first.json()
    assert [i for i in items("tax", tax) if i["kind"] == "central_payment"] == []
    assert len(items("insurance", insurance)) >= 1
    late = collection.get("/feeds/unacknowledged", headers=viewer)
    assert late.status_code == 200 and all(i["feed_id"] != tax_items[0]["feed_id"] for i in late.json())
