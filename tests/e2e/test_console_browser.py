"""The staff console in a real browser (Debian's Chromium, driven by Playwright): an officer signs in with the
keyboard, finds a person of the imported city by typing the surname in another form of its kanji and the birth
date in 和暦, opens the 滞納者カルテ and prints it. Every request the browser makes stays on the console's own
address (LGWAN: no CDN, no web font), every field has a label, and each screen is saved as a screenshot."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser

from shared.japanese_dates import to_wareki
from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService
from tests.figures import report
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

#: Variant forms officers type for what a department recorded (and the reverse).
VARIANTS = str.maketrans({"高": "髙", "髙": "高", "崎": "﨑", "﨑": "崎", "辺": "邉", "邉": "辺", "斉": "齋", "齋": "斉",
                          "浜": "濵", "濵": "浜", "吉": "𠮷", "𠮷": "吉"})


def _resident(infra: Infrastructure) -> tuple[dict[str, object], str]:
    """A tax resident of the imported city whose surname has a kanji with a variant form, if there is one. (Read
    with psycopg: Playwright's sync API runs an event loop in this thread.)"""
    with psycopg.connect(infra.database_urls["matching"]) as conn:
        rows = conn.execute(
            "SELECT p.recorded::text, l.debtor_id FROM person_records p JOIN source_links l "
            "USING (department, source_person_id) WHERE p.department = 'tax' "
            "AND p.recorded->>'kind' = 'individual' AND p.recorded->>'birth_date' IS NOT NULL "
            "AND p.recorded->>'name_kanji' LIKE '% %' ORDER BY p.source_person_id").fetchall()
    assert rows, "the imported city has no tax resident with a name and a birth date"
    people = [(json.loads(recorded), str(debtor)) for recorded, debtor in rows]
    return next(((p, d) for p, d in people if str(p["name_kanji"]).split(" ")[0].translate(VARIANTS)
                 != str(p["name_kanji"]).split(" ")[0]), people[0])


def test_an_officer_works_through_the_console_in_a_browser(
        browser: Browser, services: dict[str, RunningService], infrastructure: Infrastructure,
        imported_city: ImportedCity, tmp_path: Path) -> None:
    console = services["console"].url
    create_staff(infrastructure, "browser-officer", "collector")
    recorded, debtor_id = _resident(infrastructure)
    surname = str(recorded["name_kanji"]).split(" ")[0]
    typed = surname.translate(VARIANTS)  # another form of the same kanji, where it has one
    born = to_wareki(date.fromisoformat(str(recorded["birth_date"])))

    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    shots = []

    def shot(name: str) -> None:
        path = tmp_path / f"console-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    def every_field_is_labelled() -> None:
        for field in page.locator("input:not([type=hidden])").all():
            field_id = field.get_attribute("id")
            assert field_id and page.locator(f"label[for='{field_id}']").count() == 1, field_id

    page.goto(f"{console}/search")
    assert page.url.startswith(f"{console}/login")  # signed out: the sign-in first
    assert page.locator("html").get_attribute("lang") == "ja"
    every_field_is_labelled()
    shot("sign-in")
    page.wait_for_selector("#staff_id:focus")  # autofocus is applied after the load event
    page.keyboard.type("browser-officer")  # the staff id field has the focus: keyboard only
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{console}/search")
    assert "令和7年1月31日（2025年）" in page.inner_text("#business-date")
    assert page.inner_text("#roles") == "徴収担当"
    every_field_is_labelled()

    page.keyboard.type(typed)  # the name field has the focus
    page.fill("#birth_date", born)
    page.keyboard.press("Enter")
    page.wait_for_selector("table.results")
    shot("search")
    link = page.locator(f"a[href='/debtors/{debtor_id}']")
    assert link.count() == 1, f"{typed} born {born} did not find the person recorded as {surname}"
    link.click()
    page.wait_for_url(f"{console}/debtors/{debtor_id}")
    assert page.inner_text("h1").startswith("滞納者カルテ")
    assert "債権の明細" in page.inner_text("main") and "市税" in page.inner_text("main")
    shot("debtor-360")
    page.emulate_media(media="print")
    assert not page.locator("form.logout").is_visible()  # the printed card carries no buttons
    pdf = tmp_path / "console-debtor-360.pdf"
    page.pdf(path=str(pdf))
    assert pdf.stat().st_size > 1000
    page.emulate_media(media="screen")

    page.locator("a[href^='/claims/']").first.click()  # one claim: its amounts, 時効, 経過記録 and the entry form
    page.wait_for_selector("#entry")
    assert "今日の業務日に法令上できる処理" in page.inner_text("main")
    every_field_is_labelled()
    shot("claim")

    outside = [url for url in requested if not url.startswith(console)]
    assert outside == []  # nothing from outside the city's network
    context.close()
    report(f"console in Chromium: signed in, found {surname} by typing {typed} and 和暦 {born}, opened the 360 and a claim; "
           f"{len(requested)} requests, all to the console; screenshots in {tmp_path}")
