"""The staff console through the running services (services/console): an officer signs in, finds a person of the
imported city by a spelling other than the one the department recorded, and opens the debtor 360 — Japanese
labels, 和暦 dates, amounts in yen, nothing loaded from outside the city's network, and the officer's own token
behind every read (so collection and matching audit-log it)."""

from __future__ import annotations

import json
import re

import asyncpg
import httpx
import jaconv
import pytest

from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = pytest.mark.e2e

OUTSIDE = re.compile(r"(?:src|href|action)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


def _form(console: str, **fields: str) -> dict[str, object]:
    return {"data": fields, "headers": {"Origin": console}, "follow_redirects": False}


async def _a_tax_resident(infra: Infrastructure) -> asyncpg.Record:
    """A tax record of the imported city with a name in kanji with a space, a reading and a birth date."""
    conn = await asyncpg.connect(infra.database_urls["matching"])
    try:
        return await conn.fetchrow(
            "SELECT p.recorded, l.debtor_id FROM person_records p JOIN source_links l USING (department, "
            "source_person_id) WHERE p.department = 'tax' AND p.recorded->>'name_kanji' LIKE '% %' "
            "AND p.recorded->>'name_kana' IS NOT NULL AND p.recorded->>'birth_date' IS NOT NULL "
            "AND p.recorded->>'kind' = 'individual' ORDER BY p.source_person_id LIMIT 1")
    finally:
        await conn.close()


async def test_an_officer_signs_in_finds_a_person_and_reads_the_360(
        services: dict[str, RunningService], infrastructure: Infrastructure, imported_city: ImportedCity) -> None:
    console = services["console"].url
    create_staff(infrastructure, "console-officer", "collector")
    resident = await _a_tax_resident(infrastructure)
    assert resident is not None, "the imported city has no tax resident with a name, reading and birth date"
    recorded, debtor_id = resident["recorded"], str(resident["debtor_id"])
    recorded = recorded if isinstance(recorded, dict) else json.loads(recorded)

    async with httpx.AsyncClient(base_url=console, timeout=30) as client:
        # signed out: every page leads to the sign-in, which loads nothing from outside
        first = await client.get("/search", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"].startswith("/login")
        sign_in_page = await client.get("/login")
        assert sign_in_page.status_code == 200 and "サインイン" in sign_in_page.text
        assert not OUTSIDE.search(sign_in_page.text)
        # a wrong password is told in Japanese, without saying which part was wrong; no cookie
        wrong = await client.post("/login", **_form(console, staff_id="console-officer", password="wrong"))
        assert wrong.status_code == 401 and "職員IDまたはパスワードが違います" in wrong.text
        assert "console_token" not in wrong.headers.get("set-cookie", "")
        # a form posted from another site is refused
        forged = await client.post("/login", data={"staff_id": "console-officer", "password": PASSWORD},
                                   headers={"Origin": "http://evil.example"}, follow_redirects=False)
        assert forged.status_code == 403 and "console_token" not in forged.headers.get("set-cookie", "")

        signed_in = await client.post("/login", **_form(console, staff_id="console-officer", password=PASSWORD))
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"]
        assert "console_token=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace(
            "SameSite=Strict", "SameSite=strict")

        empty = await client.get("/search")
        assert empty.status_code == 200
        assert "令和7年1月31日（2025年）" in empty.text  # the business date of the imported city, in 和暦
        assert "console-officer" in empty.text and "徴収担当" in empty.text  # who, and their role in Japanese
        assert empty.headers["cache-control"] == "no-store" and "default-src 'self'" in empty.headers[
            "content-security-policy"]

        surname, given = recorded["name_kanji"].replace("\u3000", " ").split(" ", 1)
        reading = jaconv.kata2hira(jaconv.h2z(recorded["name_kana"]))  # typed in hiragana
        for asked in ({"name": f"{surname}　{given}"}, {"name": reading},
                      {"name": surname, "birth_date": recorded["birth_date"]}):
            page = await client.get("/search", params=asked)
            assert page.status_code == 200, asked
            assert f"/debtors/{debtor_id}" in page.text, asked
            assert "¥" in page.text and not OUTSIDE.search(page.text)

        refused = await client.get("/search", params={"birth_date": "昭和99年1月1日"})
        assert refused.status_code == 200 and "検索条件を読み取れません" in refused.text and "birth_date" in refused.text

        card = await client.get(f"/debtors/{debtor_id}")
        assert card.status_code == 200
        text = re.sub(r"<[^>]+>", " ", card.text)  # what the officer reads, not the markup
        assert "滞納者カルテ" in text and "債権の明細" in text and "市税" in text
        assert re.search(r"¥\d{1,3}(,\d{3})*", text) and re.search(r"(令和|平成|昭和)\d+年\d+月\d+日", text)
        assert "強制徴収公債権" in text  # the legal category in Japanese, not its code
        assert "forced_public" not in text and "delinquent" not in text
        assert not OUTSIDE.search(card.text)
        css = await client.get("/static/console.css")
        assert css.status_code == 200 and "url(" not in css.text  # no font or image fetched from anywhere

        unknown = await client.get("/debtors/no-such-debtor")
        assert unknown.status_code == 404 and "該当するデータがありません" in unknown.text

        out = await client.post("/logout", headers={"Origin": console}, follow_redirects=False)
        assert out.status_code == 303
        client.cookies.clear()
        assert (await client.get(f"/debtors/{debtor_id}", follow_redirects=False)).status_code == 303


async def test_an_officer_records_an_action_the_law_allows_and_is_told_why_another_is_refused(
        services: dict[str, RunningService], infrastructure: Infrastructure, imported_city: ImportedCity,
        staff: dict[str, dict[str, str]]) -> None:
    console, collection = services["console"].url, services["collection"].url
    create_staff(infrastructure, "console-collector", "collector")
    async with httpx.AsyncClient(base_url=collection, timeout=30, headers=staff["viewer"]) as api:
        cases = (await api.get("/cases", params={"limit": 20})).json()["items"]
        claim = None
        for case in cases:
            view = (await api.get(f"/debtors/{case['debtor_id']}")).json()
            claim = next((c for c in view["claims"] if c["status"] == "delinquent"), None)
            if claim:
                break
        assert claim is not None, "no delinquent claim among the imported city's open cases"
        path = f"/claims/{claim['department']}/{claim['claim_id']}"
        allowed = (await api.get(path)).json()["allowed_now"]
    assert allowed, f"the law allows nothing on {path}"
    chosen = "payment_consultation" if "payment_consultation" in allowed else allowed[0]

    async with httpx.AsyncClient(base_url=console, timeout=30) as client:
        await client.post("/login", **_form(console, staff_id="console-collector", password=PASSWORD))
        page = await client.get(path)
        assert page.status_code == 200 and "経過記録の入力" in page.text and "今日の業務日に法令上できる処理" in page.text
        assert "請求できる額" in page.text and "時効" in page.text

        refused = await client.post(f"{path}/actions", **_form(console, kind="write_off", done_on="令和7年1月31日",
                                                                note="試験"))
        assert refused.status_code in (403, 409), refused.status_code
        assert ("法令上、今は記録できません" in refused.text) or ("権限がありません" in refused.text)

        unreadable = await client.post(f"{path}/actions", **_form(console, kind=chosen, done_on="来週", note="試験"))
        assert unreadable.status_code == 422 and "実施日を読み取れません" in unreadable.text
        assert "来週" in unreadable.text  # what was typed stays in the form to correct

        note = f"電話で納付の相談（console e2e {chosen}）"
        recorded = await client.post(f"{path}/actions", **_form(console, kind=chosen, done_on="R7.1.31", note=note))
        assert recorded.status_code == 303
        after = await client.get(recorded.headers["location"])
        assert "を経過記録に記録しました" in after.text and note in after.text and "令和7年1月31日" in after.text


async def test_the_case_list_shows_people_sorts_by_reading_pages_and_exports_japanese_csv(
        services: dict[str, RunningService], infrastructure: Infrastructure, imported_city: ImportedCity) -> None:
    console = services["console"].url
    create_staff(infrastructure, "console-viewer", "viewer")
    async with httpx.AsyncClient(base_url=console, timeout=30) as client:
        await client.post("/login", **_form(console, staff_id="console-viewer", password=PASSWORD))
        page = await client.get("/cases")
        assert page.status_code == 200 and "事案一覧" in page.text
        rows = re.findall(r'<tr><td>(\d+)</td>\s*<td><a href="/debtors/[^"]+">([^<]+)</a></td><td>([^<]*)</td>', page.text)
        assert rows, "the imported city has open cases"
        assert all(name != "（氏名なし）" for _, name, _ in rows)  # people, not identity numbers
        total = int(re.search(r"(\d+)件中", page.text).group(1))  # type: ignore[union-attr]
        assert (total > 50) == ('rel="next"' in page.text)

        by_reading = await client.get("/cases", params={"sort": "name_kana", "descending": "false"})
        readings = [kana for _, _, kana in re.findall(
            r'<tr><td>(\d+)</td>\s*<td><a href="/debtors/[^"]+">([^<]+)</a></td><td>([^<]*)</td>', by_reading.text)]
        assert readings and readings == sorted(readings)

        water = await client.get("/cases", params={"department": "water"})
        assert water.status_code == 200 and "上下水道" in water.text
        csv_file = await client.get("/cases/export.csv", params={"department": "water"})
        assert csv_file.status_code == 200 and csv_file.content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
        header = csv_file.content.decode("utf-8-sig").splitlines()[0]
        assert header.startswith("事案番号,滞納者ID,氏名,フリガナ,状態")
        assert "attachment" in csv_file.headers["content-disposition"]
