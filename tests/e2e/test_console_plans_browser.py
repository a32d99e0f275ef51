"""The 分納計画 page in a real browser (Debian's Chromium, driven by Playwright): an officer opens a debtor's
滞納者カルテ, goes to 分納計画, chooses two claims (tax and insurance), is told which field is wrong when the number
of instalments is 0, previews a plan of 3 instalments from a 和暦 first due date, confirms it, downloads the
分納誓約書 and reads its schedule back, and sees the plan's instalments on the 360. Every field has a label, the
keyboard submits the form, every request stays on the console's address; each screen is saved as a screenshot."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import httpx
import pypdf
import pytest
from playwright.sync_api import Browser

from shared.documents import yen
from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_welfare_referral import push_person
from tests.figures import report
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _debtor(services: dict[str, RunningService], staff: dict[str, dict[str, str]]) -> tuple[dict[str, str], str]:
    """A resident of this test (髙﨑, owing tax, insurance and water) and their debtor id, read over HTTP before
    the page opens."""
    claims = push_person(services, f"{random.getrandbits(40):010x}")
    api = httpx.Client(base_url=services["collection"].url, timeout=30)

    def debtor() -> str | None:
        found = api.post("/debtor-lookup", json={"department": "tax", "source_person_id": claims["tax_person"]},
                         headers=staff["viewer"])
        if found.status_code != 200:
            return None
        view = api.get(f"/debtors/{found.json()['debtor_ids'][0]}", headers=staff["viewer"]).json()
        return view["debtor_id"] if len({c["department"] for c in view["claims"]}) == 3 else None

    return claims, eventually(debtor, what="the person's three claims under one debtor")


def test_an_officer_agrees_a_plan_and_downloads_the_pledge(
        browser: Browser, services: dict[str, RunningService], infrastructure: Infrastructure,
        staff: dict[str, dict[str, str]], tmp_path: Path) -> None:
    console = services["console"].url
    create_staff(infrastructure, "plans-officer", "collector")
    claims, debtor_id = _debtor(services, staff)

    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", accept_downloads=True)
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

    page.goto(f"{console}/debtors/{debtor_id}")
    page.wait_for_selector("#staff_id:focus")  # autofocus is applied after the load event
    page.keyboard.type("plans-officer")  # the sign-in first; the staff id field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{console}/debtors/{debtor_id}")
    assert "分納計画はありません" in page.inner_text("section[aria-labelledby=installments]")
    page.click("#plans-link")
    page.wait_for_url(f"{console}/debtors/{debtor_id}/plans")
    assert page.inner_text("h1").startswith("分納計画")
    every_field_is_labelled()

    tax_box = page.locator(f"input[name=claims][value='tax:{claims['tax']}']")
    insurance_box = page.locator(f"input[name=claims][value='insurance:{claims['insurance']}']")
    tax_box.focus()
    page.keyboard.press("Space")  # checked with the keyboard
    assert tax_box.is_checked()
    insurance_box.check()
    page.fill("#count", "０")  # a full-width 0: read as 0, refused by collection naming the field
    page.fill("#first_due", "令和7年2月28日")
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=alert]")
    assert "分納回数" in page.inner_text("[role=alert]") and "count: 0 instalments" in page.inner_text("[role=alert]")
    assert page.input_value("#first_due") == "令和7年2月28日" and tax_box.is_checked()  # what was typed is kept
    shot("plan-refused")

    page.fill("#count", "3")
    page.fill("#day_of_month", "31")
    page.locator("#first_due").press("Enter")
    page.wait_for_selector("#preview-schedule")
    rows = page.locator("#preview-schedule tbody tr")
    assert rows.count() == 3
    schedule = page.inner_text("#preview-schedule")
    for day in ("令和7年2月28日", "令和7年3月31日", "令和7年4月30日"):
        assert day in schedule
    total = int(page.inner_text("#preview-total").lstrip("¥").replace(",", ""))
    shot("plan-preview")

    page.get_by_role("button", name="この計画で登録し、分納誓約書を発行する").click()
    page.wait_for_url(re.compile(rf"{re.escape(console)}/debtors/{re.escape(debtor_id)}/plans\?created=\d+"))
    plan_id = page.url.rsplit("=", 1)[1]
    assert "分納誓約書を発行しました" in page.inner_text("[role=status]")
    assert tax_box.is_disabled() and "分納中" in page.inner_text("fieldset")  # in an active plan: not offered again
    shot("plan-created")

    with page.expect_download() as downloading:
        page.click(f"#pledge-{plan_id}")
    pdf = tmp_path / "pledge.pdf"
    downloading.value.save_as(pdf)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    flat = text.replace(" ", "").replace("\n", "")
    assert "分納誓約書" in flat and "髙﨑" in flat
    for day in ("令和7年2月28日", "令和7年3月31日", "令和7年4月30日"):
        assert day in flat
    assert yen(total) in flat and "第3回" in flat

    page.goto(f"{console}/debtors/{debtor_id}")
    plans = page.inner_text("section[aria-labelledby=installments]")
    assert f"債権管理課の計画 {plan_id}" in plans and "履行中" in plans and "令和7年2月28日" in plans
    shot("debtor-plans")

    outside = [url for url in requested if not url.startswith(console)]
    assert outside == []
    context.close()
    report(f"console in Chromium: plan {plan_id} over a tax and an insurance claim agreed, {yen(total)} in 3 instalments, "
           f"pledge downloaded and read back; screenshots in {tmp_path}")
