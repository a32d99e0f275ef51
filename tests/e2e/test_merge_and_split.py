"""Merging and splitting identities end to end: a doubtful pair is accepted in the review queue, collection
gathers both departments' claims under one debtor; the merge is undone and each claim goes back."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest

from contracts import ClaimAssessed, LegalCategory, PersonReference
from services.tax_adapter import export_format as tax
from services.water_adapter import export_format as water
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually

pytestmark = pytest.mark.e2e




def test_accepting_a_review_merges_and_undoing_it_splits(services: dict[str, RunningService],
                                                          staff: dict[str, dict[str, str]]) -> None:
    tag = uuid.uuid4().hex[:8]
    name = "濱田 " + "".join("〇一二三四五六七八九甲乙丙丁戊己"[int(c, 16)] for c in tag)
    kana = "ハマダ " + "".join("アイウエオカキクケコサシスセソタ"[int(c, 16)] for c in tag)
    tax_person = PersonReference(source_person_id=f"T{tag}", name_kanji=name, name_kana=kana,
                                 birth_date=date(1969, 3, 3), address="愛知県豊田市喜多町2丁目5番地")
    water_person = PersonReference(source_person_id=f"W{tag}", name_kanji=name.replace("濱", "浜"), name_kana=kana,
                                   address="豊田市栄町1-2-3")  # moved, and no birth date in the water system
    tax_claim = tax.claim_id(2024, "fixed_asset_tax", f"N{tag}", 1)
    water_claim = water.claim_id(2024, "water_supply_charge", f"S{tag}", water_person.source_person_id, 1)
    tax_file = tax.render_export([ClaimAssessed(
        claim_id=tax_claim, person=tax_person, receivable_type="fixed_asset_tax",
        legal_category=LegalCategory.FORCED_PUBLIC, fiscal_year=2024, installment=1, due_date=date(2024, 4, 30),
        amount=30_000, assessed_on=date(2024, 4, 10))])
    water_file = water.render_export([ClaimAssessed(
        claim_id=water_claim, person=water_person, receivable_type="water_supply_charge",
        legal_category=LegalCategory.PRIVATE, fiscal_year=2024, installment=1, due_date=date(2024, 6, 30),
        amount=4_000, assessed_on=date(2024, 6, 5), period_start=date(2024, 4, 1), period_end=date(2024, 5, 31))])
    for service, body, name_ in ((services["tax_adapter"], tax_file, "t.csv"), (services["water_adapter"], water_file, "w.csv")):
        imported = httpx.post(f"{service.url}/imports", params={"file_name": name_}, content=body, timeout=30,
                              headers=department_headers(service.name))
        assert imported.status_code == 200 and imported.json()["published"] >= 1, imported.text

    collection, matching = services["collection"].url, services["matching"].url
    client = httpx.Client(timeout=10, headers=staff["supervisor"])  # accepts a review, undoes a merge

    def debtor_of(department: str, person: PersonReference) -> str | None:
        found = client.post(f"{collection}/debtor-lookup",
                            json={"department": department, "source_person_id": person.source_person_id})
        return found.json()["debtor_ids"][0] if found.status_code == 200 else None

    def claims_of(debtor: str) -> set[str]:
        ledger = client.get(f"{collection}/debtors/{debtor}", params={"as_of": "2024-12-31"})
        return {c["claim_id"] for c in ledger.json()["claims"]} if ledger.status_code == 200 else set()

    tax_debtor = eventually(lambda: debtor_of("tax", tax_person))
    water_debtor = eventually(lambda: debtor_of("water", water_person))
    assert tax_debtor != water_debtor, "a doubtful pair must not be linked automatically"

    asked = {"department": "water", "source_person_id": water_person.source_person_id}
    review = eventually(lambda: next(iter(client.get(f"{matching}/reviews", params=asked).json()["items"]), None))
    assert review["candidate"]["source_person_id"] == tax_person.source_person_id
    merged = client.post(f"{matching}/reviews/{review['review_id']}/accept",
                         json={"reason": "窓口で本人確認: 転居前の住所と一致"})
    assert merged.status_code == 200, merged.text
    change = merged.json()
    assert (change["from_debtor_id"], change["into_debtor_id"], change["records_moved"]) == (water_debtor, tax_debtor, 1)

    eventually(lambda: claims_of(tax_debtor) == {tax_claim, water_claim})
    assert debtor_of("water", water_person) == tax_debtor and claims_of(water_debtor) == set()

    split = client.post(f"{matching}/merges/{change['merge_id']}/undo", json={"reason": "別人と判明 (生年月日が違う)"})
    assert split.status_code == 200, split.text
    eventually(lambda: claims_of(water_debtor) == {water_claim} and claims_of(tax_debtor) == {tax_claim})
    again = client.post(f"{matching}/merges/{change['merge_id']}/undo", json={"reason": "twice"})
    assert again.status_code == 409

    lineage = client.get(f"{matching}/debtors/{tax_debtor}/merges").json()
    assert [(m["merge_id"], m["undone_by"]) for m in lineage] == [(change["merge_id"], "e2e-supervisor")]
    closed = client.get(f"{matching}/reviews/{review['review_id']}").json()
    assert closed["status"] == "rejected"  # the merge proved wrong: the pair is never proposed again
