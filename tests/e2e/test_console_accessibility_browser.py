"""Every page of the staff console, as a screen reader and a keyboard meet it (Debian's Chromium, Playwright): the
page says it is Japanese and has one main heading, every form control has a name a screen reader reads (a
<label>, aria-label or aria-labelledby), every button and link says what it does, images and charts have a text
alternative, no control is taken out of the tab order or put in a custom one, and Tab from the top of the page
moves the focus through the page's controls in order. Nothing is fetched from outside the console's address."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService
from tests.figures import report
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


#: What a screen reader would announce for each control, or why it would announce nothing.
AUDIT_SCRIPT = """() => {
  const problems = [];
  const named = (el) => (el.labels && el.labels.length > 0) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby') || el.getAttribute('title');
  const where = (el) => `${el.tagName.toLowerCase()}#${el.id || ''}[name=${el.getAttribute('name') || ''}]`;
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (type === 'hidden') continue;
    if (['submit', 'button', 'reset'].includes(type)) {
      if (!(el.value || el.getAttribute('aria-label'))) problems.push('button without text: ' + where(el));
    } else if (!named(el)) problems.push('control without a label: ' + where(el));
  }
  for (const el of document.querySelectorAll('button')) {
    if (!(el.innerText.trim() || el.getAttribute('aria-label'))) problems.push('button without text: ' + where(el));
  }
  for (const el of document.querySelectorAll('a[href]')) {
    if (!(el.innerText.trim() || el.getAttribute('aria-label'))) problems.push('link without text: ' + el.href);
  }
  for (const el of document.querySelectorAll('img')) {
    if (el.getAttribute('alt') === null) problems.push('image without alt: ' + el.src);
  }
  for (const el of document.querySelectorAll('svg')) {
    if (!(el.querySelector('title') || el.getAttribute('aria-label') || el.getAttribute('aria-hidden') === 'true'
          || el.getAttribute('role') === 'img' && el.getAttribute('aria-labelledby')))
      problems.push('chart without a text alternative');
  }
  for (const el of document.querySelectorAll('[tabindex]')) {
    const t = parseInt(el.getAttribute('tabindex'), 10);
    if (t > 0) problems.push('custom tab order: ' + where(el));
    if (t < 0 && el.matches('a[href], button, input, select, textarea')) problems.push('taken out of the tab order: ' + where(el));
  }
  if (document.documentElement.lang !== 'ja') problems.push('lang is not ja');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  return problems;
}"""

FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), " \
            "textarea:not([disabled]), summary, [tabindex='0']"


def _pages(services: dict[str, RunningService], staff: dict[str, dict[str, str]]) -> list[str]:
    """One address of every page kind, on the imported city's data."""
    api = httpx.Client(base_url=services["collection"].url, headers=staff["viewer"], timeout=30)
    case = api.get("/cases", params={"limit": 1, "sort": "delinquent_balance", "descending": "true"}).json()["items"][0]
    debtor = case["debtor_id"]
    claim = api.get(f"/debtors/{debtor}").json()["claims"][0]
    d = quote(debtor, safe="")
    return ["/search", "/search?name=%E5%B1%B1", "/cases", "/my-cases", "/workload", f"/cases/{case['case_id']}/assignee",
            f"/debtors/{d}", f"/debtors/{d}/timeline", f"/claims/{claim['department']}/{quote(claim['claim_id'], safe='')}",
            f"/debtors/{d}/plans", f"/debtors/{d}/documents", f"/debtors/{d}/mailing", f"/debtors/{d}/window-payment",
            "/print-queue", "/reviews", "/reports", "/operations"]


#: The controls Tab stops at, in document order: visible, and of a group of radio buttons only the checked one (or
#: the first), since the arrow keys move within the group.
TABBABLE = (f"() => Array.from(document.querySelectorAll({FOCUSABLE!r})).filter(e => e.offsetParent !== null)"
            ".filter(e => !(e.type === 'radio' && e.name) || e === (Array.from(document.getElementsByName(e.name))"
            ".find(r => r.checked) || document.getElementsByName(e.name)[0]))")


def _tab_through(page: Page) -> int:
    """Press Tab from the page's first control: the focus must visit the page's controls in document order (at most the
    first 25), each becoming the active element in turn. Returns how many were reached."""
    expected = min(page.evaluate(f"() => ({TABBABLE})().length"), 25)
    page.evaluate(f"() => ({TABBABLE})()[0].focus()")  # the first control (the skip link)
    visited: list[int] = [0]
    for _ in range(expected - 1):
        page.keyboard.press("Tab")
        index = page.evaluate(f"() => ({TABBABLE})().indexOf(document.activeElement)")
        visited.append(index)
        if index == -1:
            visited.append(page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)"))
            break
    assert -1 not in visited and visited == sorted(visited), f"{page.url}: {visited}"
    return len(visited)


def test_every_console_page_is_usable_with_a_keyboard_and_a_screen_reader(
        browser: Browser, services: dict[str, RunningService], infrastructure: Infrastructure,
        imported_city: ImportedCity, staff: dict[str, dict[str, str]], tmp_path: Path) -> None:
    console = services["console"].url
    create_staff(infrastructure, "browser-a11y", "supervisor")  # a supervisor sees every page, 運用 included
    paths = _pages(services, staff)
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{console}/login")
    assert page.evaluate(AUDIT_SCRIPT) == []
    page.fill("#staff_id", "browser-a11y")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{console}/search")

    reached = {}
    for path in paths:
        response = page.goto(f"{console}{path}")
        assert response is not None and response.status == 200, (path, response.status if response else None)
        problems = page.evaluate(AUDIT_SCRIPT)
        assert problems == [], (path, problems)
        reached[path] = _tab_through(page)
    context.close()

    outside = [url for url in requested if not url.startswith(console)]
    assert outside == []
    report(f"console accessibility in Chromium: {len(paths)} pages, every control named, tab order as the page "
           f"reads ({sum(reached.values())} controls reached by Tab), {len(requested)} requests all to the console")
