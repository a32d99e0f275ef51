"""Central installment plans (分納計画) on the running system: a collector previews and agrees a plan over claims of
three departments (tax, national health insurance, water); the schedule adds up to the claims' total in whole yen
with the remainder on the first instalment; the 分納誓約書 is a numbered PDF with the schedule table in 和暦; each
claim's 経過記録 holds the 分納誓約 and the owning department's feed carries it; each department's share is watched
like a department's own plan; a claim cannot be in two active plans; cancelling stops the watching; impossible
terms are refused naming the field."""

from __future__ import annotations

import asyncio
import io
import random
from datetime import date

import httpx
import pypdf
import pytest

from contracts.standard_link import INCOMING_VERSION, parse
from services.collection.installments import PlanState
from services.collection.store import load_installment_plans
from shared.db import create_pool
from shared.documents import yen
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_welfare_referral import push_person
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.e2e


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace(" ", "").replace(
        "\n", "")


@pytest.fixture(scope="module")
def api(services: dict[str, RunningService]) -> httpx.Client:
    return httpx.Client(base_url=services["collection"].url, timeout=60)


@pytest.fixture(scope="module")
def person(services: dict[str, RunningService], api: httpx.Client, staff: dict[str, dict[str, str]]
           ) -> dict[str, str]:
    """A resident of this module with a tax, an insurance and a water claim, all overdue on the business date."""
    tag = f"{random.getrandbits(40):010x}"
    claims = push_person(services, tag)
    viewer = staff["viewer"]

    def debtor() -> str | None:
        found = api.post("/debtor-lookup", json={"department": "tax", "source_person_id": claims["tax_person"]},
                         headers=viewer)
        if found.status_code != 200:
            return None
        view = api.get(f"/debtors/{found.json()['debtor_ids'][0]}", headers=viewer).json()
        return view["debtor_id"] if len({c["department"] for c in view["claims"]}) == 3 else None

    return {**claims, "debtor_id": eventually(debtor, what="the person's three claims under one debtor")}


def owed(api: httpx.Client, headers: dict[str, str], key: str) -> int:
    """What the claim owes today as its record shows it: principal, fees, 滞納処分費 and the 延滞金 run up to today."""
    amounts = api.get(f"/claims/{key.replace(':', '/', 1)}", headers=headers).json()["amounts"]
    return amounts["principal"] + amounts["demand_fee"] + amounts["disposition_cost"] + amounts["late_charge"]


def watched_on(infrastructure: Infrastructure, debtor_id: str, as_of: date) -> dict[tuple[str, str], PlanState]:
    """How the ledger's missed-instalment detection (the case worker's daily pass) sees the debtor's plans on a
    later day: the same read (store.load_installment_plans) for departments' and central plans."""
    async def run() -> dict[tuple[str, str], PlanState]:
        pool = await create_pool(infrastructure.database_urls["collection"], max_size=1)
        try:
            async with pool.acquire() as conn:
                plans = (await load_installment_plans(conn, [debtor_id], as_of)).get(debtor_id, [])
        finally:
            await pool.close()
        return {(p.department, p.agreement_id): p.status.state for p in plans}
    return asyncio.run(run())


def test_a_plan_is_agreed_pledged_recorded_fed_watched_and_cancelled(
        api: httpx.Client, staff: dict[str, dict[str, str]], person: dict[str, str],
        infrastructure: Infrastructure) -> None:
    viewer, collector = staff["viewer"], staff["collector"]
    debtor = person["debtor_id"]
    keys = [f"tax:{person['tax']}", f"insurance:{person['insurance']}", f"water:{person['water']}"]
    total = sum(owed(api, viewer, key) for key in keys)
    terms = {"claims": keys, "count": 4, "first_due": "2025-02-28", "day_of_month": 31}

    preview = api.post(f"/debtors/{debtor}/installment-plans/preview", headers=viewer, json=terms)
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["total"] == total
    amounts = [i["amount"] for i in shown["instalments"]]
    assert sum(amounts) == total and amounts[1:] == [total // 4] * 3 and amounts[0] == total // 4 + total % 4
    # the 31st: 28 Feb, 31 Mar, 30 Apr, and 31 May 2025 is a Saturday → Monday 2 June
    assert [i["due_date"] for i in shown["instalments"]] == ["2025-02-28", "2025-03-31", "2025-04-30", "2025-06-02"]
    # the oldest claim (water, due 2024-05-31, private: 遅延損害金 before 元本) is settled first
    first_part = shown["instalments"][0]["parts"][0]
    assert first_part["department"] == "water"
    assert api.get(f"/debtors/{debtor}/installment-plans", headers=viewer).json() == []  # a preview stores nothing

    assert api.post(f"/debtors/{debtor}/installment-plans", headers=viewer, json=terms).status_code == 403
    created = api.post(f"/debtors/{debtor}/installment-plans", headers=collector, json=terms)
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["status"] == "active" and plan["total"] == total
    assert [i["amount"] for i in plan["instalments"]] == amounts
    assert plan["document_number"].startswith("6債管第")  # fiscal 2024 (令和6年度)
    assert {d["department"] for d in plan["departments"]} == {"tax", "insurance", "water"}
    assert sum(s["amount"] for d in plan["departments"] for s in d["schedule"]) == total
    assert all(d["state"] == "on_track" for d in plan["departments"])

    # the pledge: numbered, the debtor's name, each instalment in 和暦 with its amount, the total
    pdf = api.get(f"/documents/{plan['document_number']}.pdf", headers=viewer)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = text_of(pdf.content)
    assert "分納誓約書" in text and plan["document_number"] in text and "髙﨑" in text
    for day in ("令和7年2月28日", "令和7年3月31日", "令和7年4月30日", "令和7年6月2日"):
        assert day in text
    assert "第1回" in text and "第4回" in text and yen(amounts[0]) in text and yen(amounts[1]) in text
    assert yen(total) in text

    # the 分納誓約 in each claim's 経過記録, naming the pledge
    for key in keys:
        record = api.get(f"/claims/{key.replace(':', '/', 1)}", headers=viewer).json()
        assert any(a["kind"] == "installment_agreement" and plan["document_number"] in a["note"]
                   for a in record["actions"]), record["actions"]
    # the owning department is told through its feed
    tax_items = eventually(lambda: [i for i in api.get("/feeds/tax/items", headers=department_headers("tax")).json()
                                    if i["claim_id"] == person["tax"] and i["kind"] == "installment_agreement"],
                           what="the 分納誓約 in the tax department's feed")
    assert plan["document_number"] in tax_items[0]["reference"]
    # with the claim's share of the plan: what of the instalments settles it, how many, from which due date
    tax_share = [(i["due_date"], sum(p["amount"] for p in i["parts"] if p["claim_id"] == person["tax"]))
                 for i in plan["instalments"]]
    tax_share = [(d, a) for d, a in tax_share if a > 0]
    pledged = tax_items[0]
    assert pledged["amount"] == sum(a for _, a in tax_share) == sum(
        pledged[k] or 0 for k in ("principal", "demand_fee", "late_charge", "disposition_cost"))
    assert (pledged["instalments"], pledged["first_due_on"]) == (len(tax_share), tax_share[0][0])
    # so the standard layout 2026.04 carries it as 31 分納誓約 (本税, 分納回数, 納期限)
    file = api.get("/feeds/tax/file", headers=department_headers("tax"))
    rows = [p.row for p in parse(file.content, INCOMING_VERSION) if p.row and p.row["link_id"] == str(pledged["feed_id"])]
    assert [(r["event"], r["instalments"], r["due_on"].isoformat()) for r in rows] == [
        ("31", len(tax_share), tax_share[0][0])]
    # and its system reads its share of the plan with its own credential (its person, its claims, its yen)
    shares = api.get("/feeds/water/installment-plans", headers=department_headers("water"))
    assert shares.status_code == 200, shares.text
    share = next(s for s in shares.json() if s["plan_id"] == plan["plan_id"])
    water = next(d for d in plan["departments"] if d["department"] == "water")
    assert share["claim_ids"] == [person["water"]] and share["status"] == "active"
    assert share["schedule"] == water["schedule"] and share["document_number"] == plan["document_number"]
    assert share["source_person_id"].startswith("W")
    assert api.get("/feeds/water/installment-plans", headers=department_headers("tax")).status_code == 403
    assert api.get("/feeds/water/installment-plans", headers=viewer).status_code in (401, 403)

    # each department's share is watched like a department's own plan (the debtor's 360 lists it)
    view = api.get(f"/debtors/{debtor}", headers=viewer).json()
    watched = {(p["department"], p["agreement_id"]) for p in view["installment_plans"]}
    assert {(d, f"central-{plan['plan_id']}") for d in ("tax", "insurance", "water")} <= watched
    # nothing paid by 5 March (the first due date, 28 Feb, and 5 days' grace): every share with an instalment due
    # by then is missed, as a department's own plan would be; water's share falls due later
    later = watched_on(infrastructure, debtor, date(2025, 3, 6))
    agreement = f"central-{plan['plan_id']}"
    first_due_shares = {p["department"] for p in shown["instalments"][0]["parts"]}
    for department in ("tax", "insurance", "water"):
        expected = PlanState.MISSED if department in first_due_shares else PlanState.ON_TRACK
        assert later[(department, agreement)] is expected, department
    listed = api.get(f"/debtors/{debtor}/installment-plans", headers=viewer).json()
    assert [p["plan_id"] for p in listed] == [plan["plan_id"]]
    assert listed[0]["claims"][0]["department"] == "tax"  # as chosen

    # one active plan per claim
    again = api.post(f"/debtors/{debtor}/installment-plans", headers=collector,
                     json={**terms, "claims": [keys[1]], "count": 2})
    assert again.status_code == 409 and f"{keys[1]} is in active plan {plan['plan_id']}" in again.json()["detail"]

    # cancelled: no longer watched, its claims free again; the 経過記録 keeps the pledge
    assert api.post(f"/installment-plans/{plan['plan_id']}/cancel", headers=viewer,
                    json={"reason": "再協議"}).status_code == 403
    cancelled = api.post(f"/installment-plans/{plan['plan_id']}/cancel", headers=collector,
                         json={"reason": "再協議のため"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_reason"] == "再協議のため"
    assert all(d["state"] is None for d in cancelled.json()["departments"])
    view = api.get(f"/debtors/{debtor}", headers=viewer).json()
    assert not any(p["agreement_id"] == f"central-{plan['plan_id']}" for p in view["installment_plans"])
    assert not any(a == agreement for _, a in watched_on(infrastructure, debtor, date(2025, 3, 6)))
    shares = api.get("/feeds/water/installment-plans", headers=department_headers("water")).json()
    ended = next(s for s in shares if s["plan_id"] == plan["plan_id"])
    assert ended["status"] == "cancelled" and ended["cancelled_on"] == "2025-01-31" and "reason" not in ended
    twice = api.post(f"/installment-plans/{plan['plan_id']}/cancel", headers=collector, json={"reason": "x"})
    assert twice.status_code == 409
    assert api.post("/installment-plans/999999999/cancel", headers=collector,
                    json={"reason": "x"}).status_code == 404
    record = api.get(f"/claims/tax/{person['tax']}", headers=viewer).json()
    assert any(a["kind"] == "installment_agreement" for a in record["actions"])


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"count": 0, "day_of_month": 40}, 422, ["count: 0 instalments", "day_of_month: 40"]),
    ({"count": 3, "amount": 5_000}, 422, ["count, amount: give either"]),
    ({"count": None, "amount": 100}, 422, ["amount: 100 yen a month", "at most 60"]),
    ({"first_due": "2025-01-30"}, 422, ["first_due: 2025-01-30 is before the day the plan is agreed (2025-01-31)"]),
    ({"claims": ["tax:NO-SUCH-CLAIM"]}, 422, ["claims: tax:NO-SUCH-CLAIM is not an overdue claim of debtor"]),
    ({"claims": ["tax-claim-without-department"]}, 422, ["claims"]),
])
def test_impossible_terms_are_refused_naming_the_field(
        api: httpx.Client, staff: dict[str, dict[str, str]], person: dict[str, str], change: dict[str, object],
        status: int, words: list[str]) -> None:
    terms = {"claims": [f"tax:{person['tax']}"], "count": 3, "first_due": "2025-02-28", **change}
    response = api.post(f"/debtors/{person['debtor_id']}/installment-plans", headers=staff["collector"], json=terms)
    assert response.status_code == status, response.text
    detail = str(response.json()["detail"])
    for word in words:
        assert word in detail
    assert api.post(f"/debtors/{person['debtor_id']}/installment-plans", json=terms).status_code == 401


def test_a_plan_for_an_unknown_debtor_is_not_found(api: httpx.Client, staff: dict[str, dict[str, str]]) -> None:
    response = api.post("/debtors/no-such-debtor/installment-plans/preview", headers=staff["viewer"],
                        json={"claims": ["tax:T-1"], "count": 2, "first_due": "2025-02-28"})
    assert response.status_code == 404 and "no-such-debtor" in response.json()["detail"]
