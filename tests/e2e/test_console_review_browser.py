"""名寄せ確認 and 報告 in a real browser (Debian's Chromium, driven by Playwright): an officer signs in with the
keyboard, opens a doubtful pair, reads the two records side by side with the evidence, decides with a reason typed
and a button pressed from the keyboard, then reads the bureau table (未収金の目標値（局別）) of the chosen year
and finds collection's own figures in it, its chart drawn on the page. Every request stays on the console's
address (the charts are SVG in the page: no chart library, no CDN), every field has a label, and each screen is
saved as a screenshot."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService
from tests.e2e.review_pairs import doubtful_pair_in_a_thread, review_of
from tests.figures import report
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = [pytest.mark.e2e, pytest.mark.browser]



def _thousands(value: int | None) -> str:
    return "－" if value is None else f"△ {-value:,}千円" if value < 0 else f"{value:,}千円"


def test_an_officer_decides_a_review_and_reads_the_bureau_report_in_a_browser(
        browser: Browser, services: dict[str, RunningService], infrastructure: Infrastructure,
        imported_city: ImportedCity, staff: dict[str, dict[str, str]], tmp_path: Path) -> None:
    console, matching, collection = services["console"].url, services["matching"].url, services["collection"].url
    create_staff(infrastructure, "browser-supervisor", "supervisor")
    tag = doubtful_pair_in_a_thread(infrastructure)
    review = review_of(matching, staff["viewer"], tag)
    # targets for 令和5年度 (2023: no other test enters that year's), so the bureau table carries figures of ②
    targets = [{"department": "water", "receivable_type": "water_supply_charge", "outstanding": 1_234_567},
               {"department": "water", "receivable_type": "sewerage_charge", "outstanding": 765_432},
               {"department": "tax", "receivable_type": "individual_inhabitant_tax", "outstanding": 12_345_678},
               # every receivable of 財政局: a bureau's target is published only when each one with a balance has
               # one, and other tests may leave a balance of any of them
               {"department": "tax", "receivable_type": "fixed_asset_tax", "outstanding": 1_000_000},
               {"department": "tax", "receivable_type": "light_vehicle_tax", "outstanding": 54_322}]
    entered = httpx.put(f"{collection}/reports/targets/2023", json=targets, headers=staff["supervisor"], timeout=30)
    assert entered.status_code == 200, entered.text
    bureaus = httpx.get(f"{collection}/reports/outstanding-by-bureau", params={"fiscal_year": 2023},
                        headers=staff["viewer"], timeout=120).json()
    assert bureaus and bureaus[-1]["total"], bureaus
    # in thousand yen, rounded half up per bureau: 12,345,678 + 1,000,000 + 54,322 → 13,400; 1,234,567 + 765,432 → 2,000
    assert {b["bureau"]: b["target"] for b in bureaus if b["target"]} == {"財政局": 13_400, "上下水道局": 2_000}

    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    def shot(name: str) -> None:
        page.screenshot(path=str(tmp_path / f"console-{name}.png"), full_page=True)

    def every_field_is_labelled() -> None:
        for field in page.locator("input:not([type=hidden]), select, textarea").all():
            field_id = field.get_attribute("id")
            assert field_id and page.locator(f"label[for='{field_id}']").count() == 1, field_id

    page.goto(f"{console}/reviews/{review}")
    assert page.url.startswith(f"{console}/login")
    page.wait_for_selector("#staff_id:focus")  # the staff id field has the focus: keyboard from here
    page.keyboard.type("browser-supervisor")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{console}/reviews/{review}", page.inner_text("main")  # back where the officer was going

    pair = page.locator("#pair")
    assert f"上下水道（W{tag}）" in pair.inner_text() and f"市税（T{tag}）" in pair.inner_text()
    name_row = pair.locator("tr", has=page.locator("th", has_text="氏名")).first.inner_text()
    assert "斉藤" in name_row and "齋藤" in name_row and "姓：一致" in name_row
    assert "昭和55年5月6日（1980年）" in pair.inner_text()
    every_field_is_labelled()
    shot("review")

    page.focus("#reason")
    page.keyboard.type("同一人（水道の契約者を窓口で確認：齋藤と斉藤は同じ方）")
    page.keyboard.press("Tab")  # to 「同一人（提案どおり）」
    assert page.evaluate("document.activeElement.value") == "accept"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{console}/reviews/{review}?decided=accept")
    assert "同一人として記録しました" in page.inner_text("#decided")
    assert page.inner_text("#review-status").startswith("同一人と判断（browser-supervisor")
    assert page.locator("#decision").count() == 0
    shot("review-decided")
    page.get_by_role("link", name="名寄せ確認の一覧へ戻る").click()
    page.wait_for_url(f"{console}/reviews")
    assert page.inner_text("#review-count").startswith("未確認 ")
    assert page.locator("table.results tbody a[href^='/reviews/']").count() >= 1  # the city's own doubtful pairs
    shot("reviews")
    decided = httpx.get(f"{matching}/reviews/{review}", headers=staff["viewer"], timeout=10).json()
    assert decided["status"] == "accepted" and decided["decided_by"] == "browser-supervisor"

    page.get_by_role("link", name="報告").click()
    page.wait_for_url(f"{console}/reports")
    assert page.inner_text("h1") == "報告（令和6年度・2024年度）"  # the business date's year first
    assert page.locator("svg.chart").count() == 5
    every_field_is_labelled()
    shot("reports")
    page.select_option("#fiscal_year", "2023")
    page.get_by_role("button", name="表示").click()
    page.wait_for_url(f"{console}/reports?fiscal_year=2023")
    assert page.inner_text("h1") == "報告（令和5年度・2023年度）"
    rows = page.locator("#bureau-table tbody tr").all()
    assert len(rows) == len(bureaus)
    for row, figures in zip(rows, bureaus, strict=True):
        cells = [c.inner_text().strip() for c in row.locator("th, td").all()]
        assert cells == [figures["bureau"], _thousands(figures["prior_year_end"]), _thousands(figures["target"]),
                         _thousands(figures["difference"]),
                         "－" if figures["ratio"] is None else f"{Decimal(figures['ratio']):.2f}%"], cells
    chart = page.locator("#bureaus svg.chart")
    assert chart.get_attribute("role") == "img" and chart.is_visible()
    drawn = chart.locator("text").all_text_contents()  # SVG text has no innerText
    assert "13,400千円" in drawn and "2,000千円" in drawn  # the targets are drawn beside their bars
    assert "合計" not in drawn  # the total row is in the table, not a bar
    page.locator("#bureaus").screenshot(path=str(tmp_path / "console-bureau-table.png"))

    page.get_by_role("link", name="運用").click()
    page.wait_for_url(f"{console}/operations")
    assert page.locator("#import-table tbody tr").count() >= 1
    every_field_is_labelled()
    shot("operations")

    outside = [url for url in requested if not url.startswith(console)]
    assert outside == []  # charts are drawn in the page: nothing from outside the city's network
    context.close()
    report(f"console review and reports in Chromium: review {review} decided from the keyboard, the bureau table's "
           f"{len(bureaus)} rows equal collection's; {len(requested)} requests, all to the console; "
           f"screenshots in {tmp_path}")
