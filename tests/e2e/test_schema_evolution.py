"""Compatibility rule 2 (docs/contracts.md), end to end: a producer still on the previous schema version of a
message is understood by every consumer. A ClaimAssessed v1 (before related persons and billing periods) and a v2
(before 相当年度) travel through matching into the ledger."""

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts.topics import BILLING_SOURCE
from tests.e2e.processes import RunningService
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).parents[1] / "unit" / "fixtures"


@pytest.mark.parametrize("version", [1, 2])
async def test_a_previous_version_message_reaches_the_ledger(
    services: dict[str, RunningService], infrastructure: Infrastructure, staff: dict[str, dict[str, str]],
    version: int,
) -> None:
    message = json.loads((FIXTURES / f"ClaimAssessed.v{version}.example.json").read_text(encoding="utf-8"))
    person = f"V{version}-{uuid.uuid4().hex[:10]}"
    receivable = message["payload"]["receivable_type"]
    message["message_id"] = str(uuid.uuid4())
    message["payload"]["person"]["source_person_id"] = person
    message["payload"]["claim_id"] = f"2024-{receivable}-{person}-0{message['payload']['installment']}"
    assert message["schema_version"] == version
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(BILLING_SOURCE.name, json.dumps(message, ensure_ascii=False).encode(),
                                     key=f"tax:{person}".encode(),
                                     headers=[("message-id", message["message_id"].encode()),
                                              ("message-type", b"ClaimAssessed"),
                                              ("schema-version", str(version).encode())])
    finally:
        await producer.stop()
    collection = services["collection"].url
    async with httpx.AsyncClient(timeout=5, headers=staff["viewer"]) as client:
        for _ in range(100):
            lookup = await client.post(f"{collection}/debtor-lookup",
                                       json={"department": "tax", "source_person_id": person})
            if lookup.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert lookup.status_code == 200, lookup.text
        ledger = (await client.get(f"{collection}/debtors/{lookup.json()['debtor_ids'][0]}",
                                   params={"as_of": "2024-10-01"})).json()
    # the fixture's person may already be known (a kept database: the same name and birth date matched before)
    (claim,) = [c for c in ledger["claims"] if c["claim_id"] == message["payload"]["claim_id"]]
    assert (claim["claim_id"], claim["balance"], claim["status"]) == (message["payload"]["claim_id"], 12300,
                                                                      "delinquent")
    assert claim["tax_year"] is None  # no 相当年度 before version 3
