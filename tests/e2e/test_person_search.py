"""Person search through the running matching service (GET /persons): an officer finds a person the way they
type — 高橋 for a record of 髙橋, hiragana for a half-width kana reading, 和暦 for a birth date — and every
search leaves an audit row naming the fields used and the identities returned, never what was typed."""

import json
import uuid
from datetime import date

import asyncpg
import httpx
import jaconv
import pytest

from contracts import Department, PersonReference
from services.matching.scoring import load_model
from services.matching.store import resolve_debtor
from shared.db import create_pool
from tests.e2e.processes import RunningService
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.e2e


async def test_an_officer_finds_a_person_as_they_type_and_the_search_is_audited(
    services: dict[str, RunningService], infrastructure: Infrastructure, staff: dict[str, dict[str, str]]
) -> None:
    tag = uuid.uuid4().hex[:8]
    given = "".join("〇一二三四五六七八九甲乙丙丁戊己"[int(c, 16)] for c in tag)
    kana = "".join("ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀ"[int(c, 16)] for c in tag)
    recorded = PersonReference(source_person_id=f"S{tag}", name_kanji=f"髙橋　{given}", name_kana=f"ﾀｶﾊｼ {kana}",
                               birth_date=date(1975, 4, 1), address="愛知県豊田市西町三丁目60番地5",
                               postal_code="471-0001")
    pool = await create_pool(infrastructure.database_urls["matching"])
    try:
        async with pool.acquire() as conn, conn.transaction():
            debtor = await resolve_debtor(conn, Department.TAX, recorded, load_model())
    finally:
        await pool.close()

    hiragana_reading = "たかはし " + jaconv.kata2hira(jaconv.h2z(kana))
    async with httpx.AsyncClient(base_url=services["matching"].url, timeout=10,
                                 headers=staff["viewer"]) as client:
        assert (await client.get("/persons", params={"name": "高橋"}, headers={"Authorization": ""})).status_code == 401
        found = {}
        for asked in ({"name": f"高橋 {given}"},  # 髙 recorded, 高 typed
                      {"name": given},  # a given name alone
                      {"name": hiragana_reading},  # a half-width kana reading, typed in hiragana
                      {"name": "高橋", "birth_date": "昭和50年4月1日"},
                      {"address": "豊田市西町3-60-5", "name": f"ﾀｶﾊｼ{kana}"},
                      {"department": "tax", "source_person_id": f"S{tag}"}):
            response = await client.get("/persons", params=asked)
            assert response.status_code == 200, (asked, response.text)
            found[tuple(asked)] = [p["debtor_id"] for p in response.json()["items"]]
            assert debtor in found[tuple(asked)], asked
        # the same search with a different birth date finds someone else, or nobody — never this person
        other = await client.get("/persons", params={"name": f"高橋 {given}", "birth_date": "1975-04-02"})
        assert other.status_code == 200 and debtor not in [p["debtor_id"] for p in other.json()["items"]]
        page = (await client.get("/persons", params={"name": f"高橋 {given}"})).json()
        record = page["items"][0]["records"][0]
        assert (record["department"], record["source_person_id"]) == ("tax", f"S{tag}")
        assert record["recorded"]["name_kanji"] == f"髙橋　{given}"  # as the department sent it

        refused = await client.get("/persons", params={"birth_date": "昭和99年1月1日"})
        assert refused.status_code == 422 and "birth_date" in refused.text and "昭和99" not in refused.text
        assert (await client.get("/persons")).status_code == 422  # an empty search lists nobody

    conn = await asyncpg.connect(infrastructure.database_urls["matching"])
    try:
        rows = await conn.fetch("SELECT detail::text AS detail FROM audit_log WHERE action = 'search_persons' "
                                "AND detail::text LIKE $1", f"%{debtor}%")
    finally:
        await conn.close()
    assert len(rows) >= len(found)
    details = [json.loads(r["detail"]) for r in rows]
    assert all(given not in r["detail"] and "高橋" not in r["detail"] for r in rows)  # what was typed is not kept
    assert any(d.get("fields") == ["birth_date", "name"] for d in details)
