"""A case's 担当者 and the debtor's whole 経過記録 in a real browser (Debian's Chromium, driven by Playwright): a
supervisor signs in with the keyboard, opens 自分の事案 (empty), gives a case nobody holds to a collector from the
case list; the collector signs in, finds it on 自分の事案, opens the 360 with its 担当者 and latest 経過記録, and the
whole timeline. Every request stays on the console's address, every field has a label, each screen is saved."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page

from shared.japanese_dates import parse_japanese_date
from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService
from tests.figures import report
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = [pytest.mark.e2e, pytest.mark.browser]



def _assignee_in_database(infra: Infrastructure, case_id: int) -> str | None:
    """Who collection recorded as the case's 担当者 (psycopg: Playwright's sync API runs an event loop here)."""
    with psycopg.connect(infra.database_urls["collection"]) as conn:
        row = conn.execute("SELECT staff_id FROM case_assignees WHERE case_id = %s", (case_id,)).fetchone()
    return row[0] if row else None


def _sign_in(page: Page, console: str, staff_id: str, then: str) -> None:
    page.goto(f"{console}{then}")
    assert page.url.startswith(f"{console}/login")
    page.wait_for_selector("#staff_id:focus")  # autofocus is applied after the load event
    page.keyboard.type(staff_id)  # the staff id field has the focus: keyboard only
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{console}{then}")


def test_a_supervisor_assigns_a_case_and_the_officer_finds_it_with_the_debtors_timeline(
        browser: Browser, services: dict[str, RunningService], infrastructure: Infrastructure,
        imported_city: ImportedCity, tmp_path: Path) -> None:
    console = services["console"].url
    create_staff(infrastructure, "browser-kakaricho", "supervisor")
    create_staff(infrastructure, "browser-sato", "collector")
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    def shot(name: str) -> None:
        page.screenshot(path=str(tmp_path / f"console-{name}.png"), full_page=True)

    def every_field_is_labelled() -> None:
        for field in page.locator("input:not([type=hidden]), select, textarea").all():
            field_id = field.get_attribute("id")
            assert field_id and page.locator(f"label[for='{field_id}']").count() == 1, field_id

    _sign_in(page, console, "browser-kakaricho", "/my-cases")
    assert page.inner_text("h1") == "自分の事案"
    assert page.inner_text("#case-count").startswith("0件")
    every_field_is_labelled()

    # the case list by the next action, chosen with the keyboard: by default the step due longest ago first
    page.goto(f"{console}/cases")
    page.focus("#sort")
    page.select_option("#sort", "next_action")
    assert page.input_value("#descending") == ""  # 向き left at its default
    page.locator("form.search button[type=submit]").press("Enter")
    page.wait_for_url("**/cases?*sort=next_action*")
    steps = [cell.strip() for cell in page.locator("table.results tbody tr td:nth-child(13)").all_inner_texts()]
    assert steps and steps[0], "the first case has a next action"
    days = [parse_japanese_date(step.split("（")[1].removesuffix("から）").split("（")[0]) for step in steps if step]
    assert days == sorted(days)
    shot("cases-next-action")

    # the case list, cases nobody holds: the first row's 担当者 link leads to the assignment
    page.goto(f"{console}/cases")
    page.select_option("#assignee", "none")
    page.locator("form.search button[type=submit]").press("Enter")
    page.wait_for_url("**/cases?*assignee=none*")
    shot("cases-unassigned")
    link = page.locator("table.results a[href$='/assignee']").first
    case_id = int(str(link.get_attribute("href")).split("/")[2])
    link.click()
    page.wait_for_url(f"{console}/cases/{case_id}/assignee")
    assert page.inner_text("#current-assignee") == "未割当"
    every_field_is_labelled()
    page.select_option("#staff_id", "browser-sato")
    page.fill("#note", "地区担当の変更（ｶﾀｶﾅのメモも可）")
    page.locator("form.entry button[type=submit]").press("Enter")  # the keyboard: Enter on the focused button
    page.wait_for_url(f"{console}/cases/{case_id}/assignee?done=assigned")
    assert "担当者を設定しました" in page.inner_text("main")
    assert "browser-sato" in page.inner_text("#current-assignee")
    shot("case-assignee")
    assert _assignee_in_database(infrastructure, case_id) == "browser-sato"
    page.locator("form.logout button").click()
    page.wait_for_url(f"{console}/login")

    # the collector finds it on 自分の事案, opens the 360 and the whole 経過記録
    _sign_in(page, console, "browser-sato", "/my-cases")
    assert page.inner_text("#case-count").startswith("1件")
    row = page.locator("table.results tbody tr").first
    assert row.locator("td").first.inner_text() == str(case_id)
    shot("my-cases")
    row.locator("a[href^='/debtors/']").click()
    page.wait_for_selector("#timeline")
    assert "browser-sato" in page.inner_text("#assignee")
    assert "経過記録（全債権・新しい順）" in page.inner_text("main")
    shot("debtor-360-timeline")
    page.locator("a", has_text="経過記録をすべて見る").click()
    page.wait_for_selector("#timeline-count")
    assert page.inner_text("h1").startswith("経過記録（全債権）")
    every_field_is_labelled()
    shot("timeline")
    page.check("#category-payment")
    page.locator("form.search button[type=submit]").click()
    page.wait_for_url("**/timeline?category=payment*")
    categories = {c.strip() for c in page.locator("table.timeline tbody tr td:nth-child(2)").all_inner_texts()}
    assert categories <= {"入金", "記録はありません。"}

    outside = [url for url in requested if not url.startswith(console)]
    assert outside == []  # nothing from outside the city's network
    context.close()
    report(f"console in Chromium: case {case_id} assigned by a supervisor, found on the collector's 自分の事案 with the "
           f"360's timeline; {len(requested)} requests, all to the console; screenshots in {tmp_path}")
