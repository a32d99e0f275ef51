"""The 分納計画 page over HTTP (services/console/plans_pages.py): signed out it leads to the sign-in; a first due date
that cannot be read and terms collection refuses are told with the field's label, the typed values kept; a form
posted from another site and a viewer's confirmation create nothing; a collector's confirmation agrees the plan,
whose pledge the console hands over as collection keeps it, and a cancellation needs a reason."""

from __future__ import annotations

import random
import re

import httpx
import pytest

from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_welfare_referral import push_person
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = pytest.mark.e2e


def _signed_in(console: str, staff_id: str) -> httpx.Client:
    client = httpx.Client(base_url=console, timeout=30)
    signed = client.post("/login", data={"staff_id": staff_id, "password": PASSWORD},
                         headers={"Origin": console}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    return client


def test_the_plan_page_over_http(services: dict[str, RunningService], infrastructure: Infrastructure,
                                 staff: dict[str, dict[str, str]]) -> None:
    console = services["console"].url
    create_staff(infrastructure, "plans-http-officer", "collector")
    create_staff(infrastructure, "plans-http-viewer", "viewer")
    claims = push_person(services, f"{random.getrandbits(40):010x}")
    api = httpx.Client(base_url=services["collection"].url, timeout=30)
    debtor_id = eventually(lambda: (r := api.post("/debtor-lookup", headers=staff["viewer"], json={
        "department": "tax", "source_person_id": claims["tax_person"]})).status_code == 200
        and r.json()["debtor_ids"][0], what="the person's debtor")
    eventually(lambda: len(api.get(f"/debtors/{debtor_id}", headers=staff["viewer"]).json()["claims"]) == 3,
               what="the person's three claims")
    page = f"/debtors/{debtor_id}/plans"
    tax = f"tax:{claims['tax']}"

    anonymous = httpx.get(f"{console}{page}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == f"/login?next={page}"

    officer = _signed_in(console, "plans-http-officer")
    shown = officer.get(page)
    assert shown.status_code == 200 and "新しい分納計画" in shown.text and claims["tax"] in shown.text
    assert "この滞納者の分納計画はまだありません" in shown.text

    form = {"claims": [tax], "count": "3", "first_due": "令和7年2月30日"}
    unreadable = officer.post(f"{page}/preview", data=form, headers={"Origin": console})
    assert unreadable.status_code == 422 and "初回納期限：読み取れません" in unreadable.text
    assert 'value="令和7年2月30日"' in unreadable.text and f'value="{tax}" checked' in unreadable.text

    refused = officer.post(f"{page}/preview", data={**form, "first_due": "R7.2.28", "count": "3",
                                                     "amount": "5,000"}, headers={"Origin": console})
    assert refused.status_code == 422 and "分納回数・1回の納付額：count, amount: give either" in refused.text

    preview = officer.post(f"{page}/preview", data={**form, "first_due": "R7.2.28"}, headers={"Origin": console})
    assert preview.status_code == 200 and "計画の確認（まだ登録していません）" in preview.text
    assert "令和7年2月28日" in preview.text and "令和7年4月28日" in preview.text
    confirm = {"claims": [tax], "count": "3", "amount": "", "first_due": "2025-02-28", "day_of_month": ""}

    cross_site = officer.post(page, data=confirm, headers={"Origin": "http://example.com"}, follow_redirects=False)
    assert cross_site.status_code == 403
    viewer = _signed_in(console, "plans-http-viewer")
    not_allowed = viewer.post(page, data=confirm, headers={"Origin": console}, follow_redirects=False)
    assert not_allowed.status_code == 403 and "分納計画を作る権限がありません" in not_allowed.text
    assert api.get(f"/debtors/{debtor_id}/installment-plans", headers=staff["viewer"]).json() == []

    created = officer.post(page, data=confirm, headers={"Origin": console}, follow_redirects=False)
    assert created.status_code == 303, created.text
    plan_id = int(created.headers["location"].rsplit("=", 1)[1])
    listed = officer.get(created.headers["location"])
    number = re.search(r'href="/documents/([^"]+)\.pdf"', listed.text)
    assert number is not None and f"計画番号 {plan_id}（有効）" in listed.text
    pledge = officer.get(f"/documents/{number.group(1)}.pdf")
    assert pledge.status_code == 200 and pledge.headers["content-type"] == "application/pdf"
    assert pledge.headers["content-disposition"].startswith("attachment")
    assert pledge.content == api.get(f"/documents/{number.group(1)}.pdf", headers=staff["viewer"]).content

    no_reason = officer.post(f"{page}/{plan_id}/cancel", data={"reason": " "}, headers={"Origin": console})
    assert no_reason.status_code == 422 and "取消の理由" in no_reason.text
    cancelled = officer.post(f"{page}/{plan_id}/cancel", data={"reason": "完納見込みのため再協議"},
                             headers={"Origin": console}, follow_redirects=False)
    assert cancelled.status_code == 303
    after = officer.get(cancelled.headers["location"])
    assert "を取り消しました" in after.text and "完納見込みのため再協議" in after.text
