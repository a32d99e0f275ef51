"""The review queue through the running matching service: a doubtful pair is listed with both records side by
side and its evidence, a person rejects it with a reason, and every call leaves an audit row."""

import uuid
from datetime import date

import asyncpg
import httpx
import pytest

from contracts import Department, PersonReference
from services.matching.scoring import load_model
from services.matching.store import resolve_debtor
from shared.db import create_pool
from tests.e2e.processes import RunningService
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.e2e


async def test_a_doubtful_pair_is_shown_with_evidence_and_rejected(
    services: dict[str, RunningService], infrastructure: Infrastructure, staff: dict[str, dict[str, str]]
) -> None:
    tag = uuid.uuid4().hex[:8]
    name = "齋藤 " + "".join("〇一二三四五六七八九甲乙丙丁戊己"[int(c, 16)] for c in tag)
    known = PersonReference(source_person_id=f"T{tag}", name_kanji=name, birth_date=date(1980, 5, 6),
                            address="愛知県豊田市西町3丁目60番地5号")
    doubtful = PersonReference(source_person_id=f"W{tag}", name_kanji=name.replace("齋", "斉"))  # no birth date
    pool = await create_pool(infrastructure.database_urls["matching"])
    try:
        async with pool.acquire() as conn, conn.transaction():
            await resolve_debtor(conn, Department.TAX, known, load_model())
            await resolve_debtor(conn, Department.WATER, doubtful, load_model())
    finally:
        await pool.close()

    matching = services["matching"].url
    async with httpx.AsyncClient(base_url=matching, timeout=10) as client:
        assert (await client.get("/reviews")).status_code == 401  # who asks must be signed in
        assert (await client.get("/reviews", headers={"Authorization": "Bearer forged.token.value"})).status_code == 401
        # The queue is long (every test's and the city's pairs): staff find one record's pairs by its key.
        asked = {"department": "water", "source_person_id": f"W{tag}"}
        page = (await client.get("/reviews", params=asked, headers=staff["viewer"])).json()
        assert page["total"] == len(page["items"]) == 1, page
        item = page["items"][0]
        assert item["record"]["source_person_id"] == f"W{tag}"
        assert (await client.get("/reviews", params={"department": "tax", "source_person_id": f"W{tag}"},
                                 headers=staff["viewer"])).json()["total"] == 0
        assert (await client.get("/reviews", params={"source_person_id": f"W{tag}"},
                                 headers=staff["viewer"])).status_code == 422
        assert item["candidate"]["source_person_id"] == f"T{tag}"
        assert item["record"]["debtor_id"] != item["candidate"]["debtor_id"]
        assert item["candidate"]["recorded"]["birth_date"] == "1980-05-06"
        assert item["record"]["recorded"]["name_kanji"].startswith("斉藤")
        evidence = {e["field"]: e["level"] for e in item["evidence"]}
        assert evidence["surname"] == evidence["given_name"] == "exact"  # 齋 folded to 斉
        assert evidence["birth_date"] == "missing"

        review = item["review_id"]
        viewer_may_not = await client.post(f"/reviews/{review}/reject", json={"reason": "別人"},
                                           headers=staff["viewer"])
        assert viewer_may_not.status_code == 403  # reading is not deciding
        refused = await client.post(f"/reviews/{review}/reject", json={"reason": ""}, headers=staff["collector"])
        assert refused.status_code == 422
        rejected = await client.post(f"/reviews/{review}/reject", json={"reason": "別人 (生年月日を窓口で確認)"},
                                     headers=staff["collector"])
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
        assert rejected.json()["decided_by"] == "e2e-collector"
        again = await client.post(f"/reviews/{review}/reject", json={"reason": "again"}, headers=staff["collector"])
        assert again.status_code == 409
        still_open = (await client.get("/reviews", params={"limit": 200}, headers=staff["collector"])).json()
        assert review not in [i["review_id"] for i in still_open["items"]]

    conn = await asyncpg.connect(infrastructure.database_urls["matching"])
    try:
        actions = [r["action"] for r in await conn.fetch(
            "SELECT action FROM audit_log WHERE actor LIKE 'e2e-%' AND (subject = $1 OR action = 'list_reviews')",
            f"review:{review}")]
    finally:
        await conn.close()
    assert actions.count("list_reviews") >= 2 and "reject_review" in actions
