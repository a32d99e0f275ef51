"""The 滞納者カルテ's household and welfare sections through the running services: the people named on the
debtor's claims (a child on a childcare fee, a guarantor on a rent) with their role in Japanese and never an
address, and the debtor's welfare referral as welfare referral's own list shows it to a collection officer
(its state in Japanese, no one's notes) — read with the officer's token, so welfare audit-logs it."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = pytest.mark.e2e

ROLES_JA = {"guarantor": "連帯保証人", "child": "児童", "household_head": "世帯主", "household_member": "世帯員"}


async def test_the_360_shows_the_household_and_the_welfare_referral_as_consent_allows(
    services: dict[str, RunningService], infrastructure: Infrastructure, imported_city: ImportedCity,
    staff: dict[str, dict[str, str]],
) -> None:
    conn = await asyncpg.connect(infrastructure.database_urls["collection"])
    try:
        row = await conn.fetchrow(
            "SELECT c.debtor_id, r.role FROM claim_related_persons r JOIN claims c USING (department, claim_id) "
            "ORDER BY c.debtor_id LIMIT 1")
    finally:
        await conn.close()
    assert row is not None, "the imported city has no claim naming a second person"
    debtor, role = row["debtor_id"], row["role"]
    console = services["console"].url
    create_staff(infrastructure, "console-household", "collector")
    note = "窓口で生活が苦しいと相談あり（職員のメモ）"
    async with httpx.AsyncClient(base_url=services["welfare_referral"].url, timeout=30,
                                 headers=staff["collector"]) as welfare:
        opened = await welfare.post("/referrals", json={"debtor_id": debtor, "reason": note})
        assert opened.status_code in (201, 409), opened.text  # 409: the signals had suggested one already

    async with httpx.AsyncClient(base_url=console, timeout=30) as client:
        await client.post("/login", data={"staff_id": "console-household", "password": PASSWORD},
                          headers={"Origin": console}, follow_redirects=False)
        page = await client.get(f"/debtors/{debtor}")
        assert page.status_code == 200
        relations = page.text[page.text.index('id="relations"'):page.text.index('id="welfare"')]
        assert ROLES_JA.get(role, role) in relations, role
        view = httpx.get(f"{services['collection'].url}/debtors/{debtor}", headers=staff["viewer"]).json()
        for person in view["related_persons"]:
            if person.get("address"):
                assert person["address"] not in relations  # names and roles, never where they live
        welfare_part = page.text[page.text.index('id="welfare"'):]
        assert "福祉連携の記録はありません" not in welfare_part
        assert any(state in welfare_part for state in ("候補（未接触）", "利用勧奨済み", "本人同意あり"))
        assert note not in page.text  # a collector's own words stay in the referral's single read

    conn = await asyncpg.connect(infrastructure.database_urls["welfare_referral"])
    try:
        audited = await conn.fetchval("SELECT count(*) FROM audit_log WHERE staff_id = 'console-household' "
                                      "AND action = 'list_referrals'")
    finally:
        await conn.close()
    assert audited >= 1, "the console's read is welfare's audit row of the officer"
