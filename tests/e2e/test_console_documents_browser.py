"""Documents, 送付先 and the window in a real browser (Debian's Chromium, driven by Playwright; issue 24): an officer
signs in with the keyboard, opens a debtor whose 督促 is due, finds no 送付先 chosen (the page says so, a 督促状 is
refused), chooses one department's address with a reason, sees it on the 360, issues a 督促状 only after confirming
the 送付先 and reads the PDF back (the 送付先's address, the amount, the 和暦 date), then a 納付書 for the claim ticked
with the keyboard and reads it back too; then takes a window payment (an amount
that is not integer yen refused naming the field) and reads the 領収証書, and puts the day's documents into a print
wave whose PDF holds the 督促状. Every request stays on the console's address, every field is labelled, each screen is
saved as a screenshot."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import httpx
import pypdf
import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService
from tests.e2e.test_receipts import own_debtor
from tests.figures import report
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = [pytest.mark.e2e, pytest.mark.browser]



def flat(pdf: bytes) -> str:
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return text.replace(" ", "").replace("\u3000", "").replace("\n", "")


def _squeeze(text: str) -> str:
    return text.replace(" ", "").replace("\u3000", "")


def a_demand_notice_due(collection: str, headers: dict[str, str]) -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
    """A claim whose 督促 is due, of a debtor with no 送付先 chosen whom two departments recorded (one with an
    address to choose); the last of the task list, so the waves of other tests (which take the first) leave it."""
    with httpx.Client(base_url=collection, headers=headers, timeout=60) as api:
        tasks = api.get("/tasks/demand-notices", params={"limit": 5000}).json()
        for task in reversed(tasks):
            debtor = api.get(f"/debtors/{task['debtor_id']}").json()
            mailing = api.get(f"/debtors/{task['debtor_id']}/mailing-address").json()
            protected = (debtor.get("support_measure") or {}).get("active")
            if mailing["chosen"] is None and mailing["recorded"] and mailing["recorded"][0]["name"] and not protected:
                return task, debtor, mailing["recorded"][0]
    raise AssertionError("no claim with a 督促 due whose debtor has a recorded address and no 送付先 chosen")


def test_documents_mailing_address_and_a_window_receipt_in_a_browser(
        browser: Browser, services: dict[str, RunningService], infrastructure: Infrastructure,
        imported_city: ImportedCity, staff: dict[str, dict[str, str]], tmp_path: Path) -> None:
    console = services["console"].url
    create_staff(infrastructure, "docs-officer", "collector")
    task, debtor, recorded = a_demand_notice_due(services["collection"].url, staff["collector"])
    debtor_id = debtor["debtor_id"]
    with httpx.Client(base_url=services["collection"].url, timeout=60) as api:
        payer_id = own_debtor(services, api, staff["viewer"])["debtor_id"]  # the window's money moves no city ledger

    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", accept_downloads=True)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    shots: list[Path] = []

    def shot(name: str) -> None:
        path = tmp_path / f"console-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    def every_field_is_labelled(on: Page) -> None:
        for field in on.locator("input:not([type=hidden]), select, textarea").all():
            field_id = field.get_attribute("id")
            assert field_id and on.locator(f"label[for='{field_id}']").count() == 1, field_id

    def pdf_at(path: str) -> bytes:
        response = context.request.get(f"{console}{path}")
        assert response.status == 200 and response.headers["content-type"] == "application/pdf", path
        return response.body()

    page.goto(f"{console}/debtors/{debtor_id}")
    page.wait_for_selector("#staff_id:focus")  # autofocus is applied after the load event
    page.keyboard.type("docs-officer")  # the sign-in first; the staff id field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{console}/debtors/{debtor_id}")
    assert "未選択" in page.inner_text("#chosen-mailing")

    # 文書 without a 送付先: the page says so and offers the choice; a mailed notice is refused
    page.click(f"a[href='/debtors/{debtor_id}/documents']")
    page.wait_for_url(f"{console}/debtors/{debtor_id}/documents")
    assert "送付先が選ばれていません" in page.inner_text("#no-mailing")
    every_field_is_labelled(page)
    shot("documents-no-mailing")
    page.check("#kind-demand_notice")
    page.click("#issue")
    assert "送付先が選ばれていません" in page.inner_text("p.error")

    # 送付先: choose the first recorded address, with a reason (keyboard: the radio, then the reason, Enter)
    page.click(f"a[href='/debtors/{debtor_id}/mailing']")
    page.wait_for_url(f"{console}/debtors/{debtor_id}/mailing")
    every_field_is_labelled(page)
    radio = page.locator("input[name='source']").first
    department = radio.get_attribute("value")
    assert department in recorded["departments"]
    chosen_address = _squeeze(recorded["address"])
    radio.check()
    page.fill("#reason", "本人から居所の申出（窓口）")
    page.press("#reason", "Enter")
    page.wait_for_url(f"{console}/debtors/{debtor_id}/mailing?done=chosen")
    assert "本人から居所の申出（窓口）" in page.inner_text("#chosen-mailing")
    shot("mailing")
    page.goto(f"{console}/debtors/{debtor_id}")
    assert chosen_address in _squeeze(page.inner_text("#chosen-mailing"))  # the choice shown on the 360

    # a 督促状: refused until the 送付先 is confirmed, then issued; its PDF read back
    page.goto(f"{console}/debtors/{debtor_id}/documents")
    claim_key = f"{task['department']}:{task['claim_id']}"
    page.check("#kind-demand_notice")
    page.select_option("#claim", claim_key)
    page.click("#issue")
    assert "送付先の確認" in page.inner_text("p.error")
    page.check("#kind-demand_notice")
    page.select_option("#claim", claim_key)
    page.check("#confirmed")
    shot("documents-confirm")
    page.click("#issue")
    page.wait_for_selector("#issued")
    number = page.inner_text("#issued").split(" ")[0]
    row = page.locator("table.documents tbody tr").filter(has_text=number)
    assert row.count() == 1 and chosen_address in _squeeze(row.inner_text())
    shot("documents-issued")
    notice = flat(pdf_at(f"/documents/{quote(number)}.pdf"))
    assert "督促状" in notice and number in notice
    assert chosen_address in notice  # printed for the chosen 送付先
    assert f"{task['balance']:,}円" in notice
    assert "令和7年1月31日" in notice
    preview = context.request.post(f"{console}/debtors/{debtor_id}/documents/preview", headers={"Origin": console},
                                   form={"kind": "reminder", "severity": "first", "department": ""})
    assert preview.status == 200 and "見本" in flat(preview.body())

    # a 納付書 for the one claim ticked with the keyboard, to the confirmed 送付先; its PDF read back
    page.goto(f"{console}/debtors/{debtor_id}/documents")
    page.check("#kind-payment_slip")
    slip_box = page.locator(f"input[name='slip_claim'][value='{claim_key}']")
    slip_box.focus()
    page.keyboard.press("Space")
    assert slip_box.is_checked()
    page.check("#confirmed")
    shot("documents-payment-slip")
    page.click("#issue")
    page.wait_for_selector("#issued")
    slip_number = page.inner_text("#issued").split(" ")[0]
    assert slip_number != number
    slip_row = page.locator("table.documents tbody tr").filter(has_text=slip_number)
    assert "納付書" in slip_row.inner_text() and chosen_address in _squeeze(slip_row.inner_text())
    slip = flat(pdf_at(f"/documents/{quote(slip_number)}.pdf"))
    assert "納付書" in slip and slip_number in slip and chosen_address in slip
    assert "令和7年1月31日" in slip

    # 窓口収納: a decimal amount refused naming the field, then 1,234 yen taken and its 領収証書 read back
    page.goto(f"{console}/debtors/{payer_id}/window-payment")
    every_field_is_labelled(page)
    page.keyboard.type("1234.5")  # the amount field has the focus
    page.keyboard.press("Enter")
    assert "領収金額：整数の円で入力してください" in page.inner_text("p.error")
    page.fill("#amount", "¥1,234")
    page.fill("#note", "窓口で一部納付")
    shot("window-payment")
    page.click("form.entry button[type=submit]")
    page.wait_for_selector("#received")
    receipt_id = page.inner_text("#received").split(" ")[1]
    link = page.locator("table.payments tbody tr").filter(has_text=receipt_id).locator("a").first
    receipt = flat(pdf_at(link.get_attribute("href") or ""))
    assert "領収証書" in receipt and "¥1,234-" in receipt and "令和7年1月31日" in receipt
    assert receipt_id in receipt and "豊田市" in receipt
    shot("window-receipt")

    # the payer names a claim: more than it owes is refused naming the claim, then 2,000 yen go to it
    page.goto(f"{console}/debtors/{payer_id}/window-payment")
    every_field_is_labelled(page)
    first_claim = page.locator("#designated-claims tbody tr").first
    claim_words = _squeeze(first_claim.locator("th").inner_text())
    page.fill("#amount", "9,999,999")
    page.check("#order-claims")
    page.fill("#claim-amount-1", "9999999")
    page.click("form.entry button[type=submit]")
    problem = _squeeze(page.inner_text("p.error"))
    assert claim_words in problem and "未納額" in problem and "超えています" in problem
    page.fill("#amount", "2000")
    page.check("#order-claims")
    page.fill("#claim-amount-1", "2,000")
    shot("window-payment-claims")
    page.click("form.entry button[type=submit]")
    page.wait_for_selector("#received")
    named_id = page.inner_text("#received").split(" ")[1]
    named_row = page.locator("table.payments tbody tr").filter(has_text=named_id)
    in_row = re.search(r"（(.+?)）", _squeeze(named_row.inner_text()))  # 市税（固定資産税・都市計画税令和6年度第1期）
    assert in_row and claim_words.endswith(in_row.group(1))
    named_receipt = flat(pdf_at(named_row.locator("a").first.get_attribute("href") or ""))
    assert in_row.group(1) in named_receipt and "納付者の指定により" in named_receipt and "2,000円" in named_receipt

    # 印刷待ち: the 督促状 waits; the day's wave takes it and its PDF holds it
    page.click("nav a[href='/print-queue']")
    page.wait_for_url(f"{console}/print-queue")
    assert number in page.inner_text("main")
    page.click("#make-wave")
    page.wait_for_selector("#wave-made")
    shot("print-queue")
    wave = page.locator("table.waves tbody tr").first.locator("a").get_attribute("href") or ""
    assert number in flat(pdf_at(wave))

    outside = [url for url in requested if not url.startswith(console)]
    assert outside == []  # nothing from outside the city's network
    context.close()
    report(f"console documents in Chromium: 送付先 chosen, {number} issued after confirming it, receipt {receipt_id} "
           f"read back, a print wave made; {len(requested)} requests, all to the console; screenshots in {tmp_path}")
