"""Payments in transit end to end: a convenience store's 収納速報 (PaymentReported) travels from the source topic
through matching into collection; the claim drops off the 督促 task list and a 催告 or a 督促 is refused with
the reason; the 確報 (PaymentReceived of the same receipt, with its reported date) settles the claim and the wait
ends. Sent on Kafka the way the standard data link's adapter will send it."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts import (
    Department,
    Envelope,
    PaymentChannel,
    PaymentReceived,
    PaymentReported,
    PersonReference,
    encode_message,
    new_envelope,
)
from contracts.topics import BILLING_SOURCE
from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_welfare_referral import push_person
from tests.infrastructure import BUSINESS_DATE, Infrastructure

pytestmark = pytest.mark.e2e


def from_tax(payload: PaymentReported | PaymentReceived, key: str) -> Envelope:
    return new_envelope(payload, source_system="tax-core", department=Department.TAX,
                        occurred_at=datetime.now(UTC), correlation_id=f"cvs:{key}", source_keys=(key,),
                        produced_at=datetime.now(UTC))


def send(infrastructure: Infrastructure, message: Envelope, person: str) -> None:
    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap_servers, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(BILLING_SOURCE.name, encode_message(message), key=f"tax:{person}".encode(),
                                         headers=[("message-id", str(message.message_id).encode()),
                                                  ("message-type", message.message_type.encode()),
                                                  ("schema-version", str(message.schema_version).encode())])
        finally:
            await producer.stop()
    asyncio.run(run())


def test_a_reported_payment_holds_the_demand_until_its_money_arrives(
        services: dict[str, RunningService], infrastructure: Infrastructure,
        staff: dict[str, dict[str, str]]) -> None:
    collection = httpx.Client(base_url=services["collection"].url, timeout=30)
    viewer, collector = staff["viewer"], staff["collector"]
    tag = f"{random.getrandbits(40):010x}"
    claims = push_person(services, tag)
    debtor_id = eventually(lambda: (r := collection.post("/debtor-lookup", headers=viewer, json={
        "department": "tax", "source_person_id": claims["tax_person"]})).status_code == 200
        and r.json()["debtor_ids"][0], what="the debtor")

    def tax_claim() -> dict:
        view = collection.get(f"/debtors/{debtor_id}", headers=viewer).json()
        return next(c for c in view["claims"] if c["claim_id"] == claims["tax"])

    def on_task_list() -> bool:
        tasks = collection.get("/tasks/demand-notices", headers=viewer, params={"limit": 5000}).json()
        return any(t["claim_id"] == claims["tax"] for t in tasks)

    owed = eventually(lambda: tax_claim()["balance"], what="the tax claim in the ledger")
    assert eventually(on_task_list, what="the claim on the 督促 list")  # positive control: it is due for a 督促

    paid_on = BUSINESS_DATE - timedelta(days=2)
    person = PersonReference(source_person_id=claims["tax_person"])
    receipt = f"CVS-{tag}"
    send(infrastructure, from_tax(PaymentReported(
        payment_id=receipt, person=person, claim_id=claims["tax"], amount=owed, paid_on=paid_on,
        channel=PaymentChannel.CONVENIENCE_STORE, reported_on=paid_on), f"{receipt}-report"), claims["tax_person"])
    view = eventually(lambda: (v := collection.get(f"/debtors/{debtor_id}", headers=viewer).json())[
        "payments_in_transit"] and v, what="the payment in transit")
    assert [(p["payment_id"], p["amount"]) for p in view["payments_in_transit"]] == [(receipt, owed)]
    assert tax_claim()["balance"] == owed  # the money is not counted before it arrives
    assert not on_task_list()
    demand = collection.post(f"/claims/tax/{claims['tax']}/actions", headers=collector, json={
        "kind": "demand_notice", "done_on": BUSINESS_DATE.isoformat(), "note": "督促状"})
    assert demand.status_code == 409 and "収納速報" in demand.json()["detail"], demand.text
    consultation = collection.post(f"/claims/tax/{claims['tax']}/actions", headers=collector, json={
        "kind": "payment_consultation", "done_on": BUSINESS_DATE.isoformat(), "note": "速報確認済"})
    assert consultation.status_code == 201, consultation.text  # talking to the person is never held

    send(infrastructure, from_tax(PaymentReceived(
        payment_id=receipt, person=person, claim_id=claims["tax"], amount=owed, paid_on=paid_on,
        channel=PaymentChannel.CONVENIENCE_STORE, reported_on=BUSINESS_DATE), receipt), claims["tax_person"])
    settled = eventually(lambda: tax_claim()["balance"] == 0, what="the 確報 settling the claim")
    assert settled
    after = collection.get(f"/debtors/{debtor_id}", headers=viewer).json()
    assert after["payments_in_transit"] == [] and after["unconfirmed_payment_reports"] == []
    assert eventually(lambda: not on_task_list(), what="the paid claim off the 督促 list (its 延滞金 stays, no 督促 demands it)")
