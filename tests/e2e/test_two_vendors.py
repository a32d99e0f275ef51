"""Two water utilities after a merger, end to end on real Kafka and PostgreSQL (contracts/keys.py): the city's own
water system (``water``, through its adapter process) and a second vendor (``water_east``, source system
``water-east-billing``, its adapter in this process: the water layout with its own source system and key space)
number their customers, 水栓 and receipts from the same start. Both import; matching keeps two person records and
makes two debtors of two different people with one customer number, and one debtor of one person known to both
systems under different numbers (on the evidence, as across departments); collection keeps two claims, each with its own payment, never one's
money on the other's claim; the look-up, the feed and the reconciliation of each vendor name its own claims in its
own ids; and the standard link, taking over the department's keys, pays the primary system's claim."""

from __future__ import annotations

import asyncio
import random
from datetime import date

import httpx
import pytest

from contracts import PersonReference
from contracts.standard_link import INCOMING_VERSION, render
from services.water_adapter import export_format as water
from shared.department_auth import mint
from shared.ingest.publisher import publish_import
from shared.settings import AdapterSettings
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually
from tests.infrastructure import BUSINESS_DATE, Infrastructure
from tests.two_vendors import EAST_CODE, bill_and_payment, parse_east

pytestmark = pytest.mark.e2e


def test_two_water_vendors_with_overlapping_ids_keep_their_people_claims_and_payments_apart(
        services: dict[str, RunningService], infrastructure: Infrastructure,
        staff: dict[str, dict[str, str]]) -> None:
    tag = f"{random.getrandbits(32):08x}"
    customer, contract, receipt = f"C{tag}", f"S{tag}", f"N{tag}"  # the same numbers in both systems
    claim = water.claim_id(2024, water.WATER, contract, customer, 1)
    takahashi = PersonReference(source_person_id="x", name_kanji=f"髙橋 一郎{tag}", name_kana=f"ﾀｶﾊｼ ｲﾁﾛｳ{tag}",
                                birth_date=date(1975, 4, 1), address=f"愛知県豊田市西町3丁目{tag}番地",
                                phone="0565-31-1234")
    sato = PersonReference(source_person_id="x", name_kanji=f"佐藤 花子{tag}", name_kana=f"サトウ ハナコ{tag}",
                           birth_date=date(1982, 11, 3), address=f"愛知県豊田市東町1丁目{tag}番地",
                           phone="0565-88-4321")
    # 鈴木 moved from the east utility's area into the city's: a customer of both, under different numbers
    suzuki = PersonReference(source_person_id="x", name_kanji=f"鈴木 﨑子{tag}", name_kana=f"ｽｽﾞｷ ｻｷｺ{tag}",
                             birth_date=date(1990, 2, 14), address=f"愛知県豊田市本町2丁目{tag}番地",
                             phone="0565-12-3456")
    collection = httpx.Client(base_url=services["collection"].url, timeout=60)
    viewer, collector = staff["viewer"], staff["collector"]

    # the city's own water system through its adapter; the second vendor's export through its adapter here
    primary = httpx.post(f"{services['water_adapter'].url}/imports", params={"file_name": f"w-{tag}.csv"},
                         content=bill_and_payment(customer, contract, receipt, takahashi, amount=3_300, paid=3_300)
                         + bill_and_payment(f"P{tag}", f"T{tag}", f"M{tag}", suzuki, amount=2_200, paid=None),
                         headers=department_headers("water"), timeout=30)
    assert primary.status_code == 200 and primary.json()["published"] == 3, primary.text
    east = parse_east(bill_and_payment(customer, contract, receipt, sato, amount=5_500, paid=1_000)
                      + bill_and_payment(f"Q{tag}", f"U{tag}", f"K{tag}", suzuki, amount=1_100, paid=None),
                      file_name=f"e-{tag}.csv")
    summary = asyncio.run(publish_import(infrastructure.kafka_bootstrap_servers, east, service="water-east-adapter",
                                         submitted_by="system:water-east-test-system"))
    assert (summary.published, summary.rejected) == (3, 0)

    def lookup(source: str | None, person: str = customer) -> str | bool:
        body = {"department": "water", "source_person_id": person, **({"source": source} if source else {})}
        found = collection.post("/debtor-lookup", headers=viewer, json=body)
        return found.status_code == 200 and found.json()["debtor_ids"][0]

    def settled(debtor: str, paid: int, as_of: str = "2024-07-01") -> dict | bool:  # type: ignore[type-arg]
        view = collection.get(f"/debtors/{debtor}", headers=viewer, params={"as_of": as_of}).json()
        return len(view["claims"]) == 1 and view["claims"][0]["paid"] == paid and view

    own_debtor = eventually(lambda: lookup(None), what="the primary system's customer")
    east_debtor = eventually(lambda: lookup(EAST_CODE), what="the second vendor's customer")
    assert own_debtor != east_debtor  # two people with one customer number: two debtors
    assert collection.post("/debtor-lookup", headers=viewer, json={
        "department": "water", "source_person_id": customer, "source": "Water East"}).status_code == 422

    own = eventually(lambda: settled(own_debtor, 3_300), what="the primary claim, paid")
    theirs = eventually(lambda: settled(east_debtor, 1_000), what="the second vendor's claim, paid in part")
    assert [(c["claim_id"], c["principal"], c["paid"], c["balance"]) for c in own["claims"]] == [
        (claim, 3_300, 3_300, 0)]
    assert [(c["claim_id"], c["principal"], c["paid"], c["balance"]) for c in theirs["claims"]] == [
        (f"{EAST_CODE}:{claim}", 5_500, 1_000, 4_500)]  # its 1,000 yen on its own claim, none on the other's
    assert own["overpayments"] == theirs["overpayments"] == [] and own["parked_payments"] == []
    # matching kept two person records, each with its own name: nothing of one person on the other
    assert [(r["department"], r["source_person_id"], r["name_kanji"]) for r in own["records"]] == [
        ("water", customer, f"髙橋 一郎{tag}")]
    assert [(r["department"], r["source_person_id"], r["name_kanji"]) for r in theirs["records"]] == [
        ("water", f"{EAST_CODE}:{customer}", f"佐藤 花子{tag}")]

    # the same person in both systems is linked on the evidence (name, birth date, address, phone), as across
    # departments: one debtor, two water records, two claims
    mover = eventually(lambda: lookup(None, f"P{tag}"), what="鈴木 in the city's system")
    assert eventually(lambda: lookup(EAST_CODE, f"Q{tag}"), what="鈴木 in the east system") == mover
    both = eventually(lambda: (view := collection.get(f"/debtors/{mover}", headers=viewer,
                                                      params={"as_of": "2024-07-01"}).json())
                      and len(view["claims"]) == 2 and view, what="鈴木's two claims")
    assert sorted((r["source_person_id"], r["name_kanji"]) for r in both["records"]) == [
        (f"P{tag}", f"鈴木 﨑子{tag}"), (f"{EAST_CODE}:Q{tag}", f"鈴木 﨑子{tag}")]
    assert sorted((c["claim_id"], c["balance"]) for c in both["claims"]) == [
        (water.claim_id(2024, water.WATER, f"T{tag}", f"P{tag}", 1), 2_200),
        (f"{EAST_CODE}:" + water.claim_id(2024, water.WATER, f"U{tag}", f"Q{tag}", 1), 1_100)]

    # each claim's record by its stored key: the same 水栓 bill number, two claims with their own balances
    records = {key: collection.get(f"/claims/water/{key}", headers=viewer)
               for key in (claim, f"{EAST_CODE}:{claim}")}
    assert {key: (r.status_code, r.json()["balance"]) for key, r in records.items()} == {
        claim: (200, 0), f"{EAST_CODE}:{claim}": (200, 4_500)}

    # reconciliation: the second vendor states its claim in its own ids and is compared with its claims only
    statement = render([{"event": "91", "person": customer, "claim": claim, "principal": 4_500,
                         "done_on": BUSINESS_DATE}])
    east_headers = {**department_headers("water"), "Content-Type": "text/csv"}
    run = collection.post("/reconciliation/water", params={"source": EAST_CODE}, content=statement,
                          headers=east_headers)
    assert run.status_code == 201, run.text
    assert (run.json()["department"], run.json()["claims_stated"]) == (EAST_CODE, 1)
    latest = collection.get("/reconciliation/water/latest", params={"source": EAST_CODE}, headers=viewer).json()
    assert latest["run_id"] == run.json()["run_id"]
    # compared with the vendor's claims only: the primary system's water claims, unstated here, are no difference;
    # its claim agrees at 4,500; 鈴木's claim with it, left out of the statement, is one
    differences = {d["claim_id"]: (d["department_balance"], d["central_balance"]) for d in latest["differences"]}
    assert all(key.startswith(f"{EAST_CODE}:") for key in differences) and f"{EAST_CODE}:{claim}" not in differences
    assert differences[f"{EAST_CODE}:" + water.claim_id(2024, water.WATER, f"U{tag}", f"Q{tag}", 1)] == (None, 1_100)
    own_run = collection.get("/reconciliation/water/latest", headers=viewer)
    assert own_run.status_code == 404 or own_run.json()["run_id"] != latest["run_id"]

    # money taken at the central window for the second vendor's customer goes back to that vendor, in its ids
    paid = collection.post(f"/debtors/{east_debtor}/central-payments", headers=collector, json={
        "receipt_id": f"R{tag}", "amount": 2_000, "paid_on": BUSINESS_DATE.isoformat(), "note": "窓口で一部納付"})
    assert paid.status_code == 201, paid.text
    headers = department_headers("water")

    def feed(source: str | None) -> list[dict]:  # type: ignore[type-arg]
        answer = collection.get("/feeds/water/items", headers=headers, params={"source": source} if source else {})
        assert answer.status_code == 200, answer.text
        return [i for i in answer.json() if i["source_person_id"] == customer]

    def money_and_its_appropriation() -> list[dict]:  # type: ignore[type-arg]
        found = feed(EAST_CODE)
        return found if {i["kind"] for i in found} >= {"central_payment", "appropriation"} else []

    items = sorted(eventually(money_and_its_appropriation, what="the window payment in the second vendor's feed"),
                   key=lambda i: i["kind"])
    # the money, and which of the vendor's claims it settled (充当), in the vendor's own ids
    assert [(i["kind"], i["source_person_id"], i["claim_id"], i["amount"]) for i in items] == [
        ("appropriation", customer, claim, 2_000), ("central_payment", customer, None, 2_000)]
    assert feed(None) == []  # not in the primary system's feed
    ids = sorted(i["feed_id"] for i in items)
    first = collection.post("/feeds/water/receipts", headers=headers, json={"feed_ids": ids})
    assert first.json() == {"acknowledged": [], "unknown": ids}  # not the primary's items
    again = collection.post("/feeds/water/receipts", headers=headers, params={"source": EAST_CODE},
                            json={"feed_ids": ids})
    assert sorted(again.json()["acknowledged"]) == ids and again.json()["unknown"] == []
    assert feed(EAST_CODE) == []
    # the city's own water system's credential (its system id is the registry's) reads only its own items
    primary_system = {"Authorization": f"Bearer {mint(AdapterSettings(), 'water', 'water-billing')}"}
    refused = collection.get("/feeds/water/items", headers=primary_system, params={"source": EAST_CODE})
    assert refused.status_code == 403 and "only its own key space (water)" in refused.json()["detail"]
    assert collection.post("/reconciliation/water", params={"source": EAST_CODE}, content=statement,
                           headers={**primary_system, "Content-Type": "text/csv"}).status_code == 403

    # the standard link takes over the department's keys: its 収納 of the primary system's claim id (after an
    # 更正 that raised it) lands on that claim, not on the second vendor's claim of the same id
    link = render([
        {"event": "02", "link_id": f"{tag}-1", "person": customer, "claim": claim, "receivable": water.WATER,
         "principal": 700, "done_on": date(2024, 7, 1)},
        {"event": "11", "link_id": f"{tag}-2", "person": customer, "claim": claim, "receivable": water.WATER,
         "principal": 700, "total": 700, "paid_on": date(2024, 7, 5), "reported_on": date(2024, 7, 10),
         "receipt": f"SL{tag}", "channel": "02"},
    ], INCOMING_VERSION)
    sent = httpx.post(f"{services['standard_link_adapter'].url}/imports", params={"file_name": f"sl-{tag}.csv"},
                      content=link, timeout=60,
                      headers={"content-type": "text/csv", **department_headers("standard_link")})
    assert sent.status_code == 200 and sent.json()["published"] == 2, sent.text
    own = eventually(lambda: settled(own_debtor, 4_000, "2024-07-31"), what="the standard link's payment on the primary claim")
    assert [(c["claim_id"], c["principal"], c["balance"]) for c in own["claims"]] == [(claim, 4_000, 0)]
    theirs = collection.get(f"/debtors/{east_debtor}", headers=viewer, params={"as_of": "2024-07-31"}).json()
    assert [(c["claim_id"], c["principal"], c["paid"]) for c in theirs["claims"]] == [
        (f"{EAST_CODE}:{claim}", 5_500, 1_000)]
