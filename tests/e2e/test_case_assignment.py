"""A case's 担当者, "my cases", the workload per officer and the debtor's whole 経過記録, on the running collection
service with the synthetic city loaded (issue 24)."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import date

import asyncpg
import httpx
import pytest

from services.collection.next_action import action_rank
from services.collection.workflow import ActionKind
from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(services: dict[str, RunningService], imported_city: ImportedCity,
        staff: dict[str, dict[str, str]]) -> httpx.Client:
    client = httpx.Client(base_url=services["collection"].url, timeout=30)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if client.get("/cases", params={"limit": 1}, headers=staff["viewer"]).json()["total"] >= 20:
            return client
        time.sleep(1)
    raise AssertionError("the city's cases did not appear")


@pytest.fixture(scope="module")
def officers(infrastructure: Infrastructure, services: dict[str, RunningService]) -> dict[str, dict[str, str]]:
    """Two collectors and a supervisor of this module's own (so no other suite's tokens are revoked)."""
    accounts = {"asg-sato": "collector", "asg-takada": "collector", "asg-kakaricho": "supervisor"}
    for staff_id, role in accounts.items():
        create_staff(infrastructure, staff_id, role)
    return {staff_id: sign_in(services["collection"].url, staff_id) for staff_id in accounts}


def _audit(api: httpx.Client, staff: dict[str, dict[str, str]], **filters: str) -> list[dict]:  # type: ignore[type-arg]
    response = api.get("/audit", params={"limit": 1000, **filters}, headers=staff["supervisor"])
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_supervisor_assigns_a_case_and_it_becomes_the_officers_case(
        api: httpx.Client, staff: dict[str, dict[str, str]], officers: dict[str, dict[str, str]]) -> None:
    sato, takada, kakaricho = officers["asg-sato"], officers["asg-takada"], officers["asg-kakaricho"]
    nobodys = api.get("/cases", params={"assignee": "none", "limit": 3, "sort": "case_id", "descending": "false"},
                      headers=staff["viewer"]).json()["items"]
    assert len(nobodys) == 3 and all(c["assignee_id"] is None for c in nobodys)
    first, second, third = (c["case_id"] for c in nobodys)

    given = api.put(f"/cases/{first}/assignee", json={"staff_id": "asg-sato", "note": "地区替え"}, headers=kakaricho)
    assert given.status_code == 200, given.text
    assert given.json()["assignee"]["staff_id"] == "asg-sato"
    assert given.json()["assignee"]["display_name"] == "試験 asg-sato"

    mine = api.get("/cases", params={"assignee": "me"}, headers=sato).json()
    assert [c["case_id"] for c in mine["items"]] == [first] and mine["total"] == 1
    assert mine["items"][0]["assignee_name"] == "試験 asg-sato"
    assert api.get(f"/cases/{first}", headers=staff["viewer"]).json()["assignee_id"] == "asg-sato"

    # a collector neither takes a colleague's case nor hands one to someone else; a viewer assigns nothing
    taken = api.put(f"/cases/{first}/assignee", json={"staff_id": "me"}, headers=takada)
    assert taken.status_code == 403 and "asg-sato" in taken.json()["detail"]
    handed = api.put(f"/cases/{second}/assignee", json={"staff_id": "asg-sato"}, headers=takada)
    assert handed.status_code == 403
    assert api.put(f"/cases/{second}/assignee", json={"staff_id": "me"}, headers=staff["viewer"]).status_code == 403
    # an account that may not hold cases is named in the refusal
    viewer_account = api.put(f"/cases/{second}/assignee", json={"staff_id": "e2e-viewer"}, headers=kakaricho)
    assert viewer_account.status_code == 422 and "e2e-viewer" in viewer_account.json()["detail"]
    unknown = api.put(f"/cases/{second}/assignee", json={"staff_id": "nobody-here"}, headers=kakaricho)
    assert unknown.status_code == 422 and "nobody-here" in unknown.json()["detail"]
    assert api.put("/cases/999999999/assignee", json={"staff_id": "me"}, headers=kakaricho).status_code == 404

    # but takes a case nobody holds for themselves, and gives back their own
    assert api.put(f"/cases/{second}/assignee", json={"staff_id": "me"}, headers=takada).status_code == 200
    assert api.put(f"/cases/{third}/assignee", json={"staff_id": "me"}, headers=takada).status_code == 200
    back = api.delete(f"/cases/{third}/assignee", params={"note": "担当過多"}, headers=takada)
    assert back.status_code == 200 and back.json()["assignee"] is None
    assert api.delete(f"/cases/{third}/assignee", headers=takada).status_code == 409  # nobody holds it now
    assert api.delete(f"/cases/{first}/assignee", headers=takada).status_code == 403  # not theirs

    # the supervisor reassigns; the history keeps every change, oldest first
    assert api.put(f"/cases/{first}/assignee", json={"staff_id": "asg-takada", "note": "引継ぎ"},
                   headers=kakaricho).status_code == 200
    record = api.get(f"/cases/{first}/assignee", headers=staff["viewer"]).json()
    assert [(h["from_staff_id"], h["to_staff_id"], h["changed_by"], h["note"]) for h in record["history"]] == [
        (None, "asg-sato", "asg-kakaricho", "地区替え"), ("asg-sato", "asg-takada", "asg-kakaricho", "引継ぎ")]
    assert api.get("/cases", params={"assignee": "me"}, headers=sato).json()["total"] == 0
    takadas = api.get("/cases", params={"assignee": "asg-takada"}, headers=staff["viewer"]).json()["items"]
    assert sorted(c["case_id"] for c in takadas) == sorted([first, second])
    # giving it again to the same officer writes nothing
    assert api.put(f"/cases/{first}/assignee", json={"staff_id": "asg-takada"}, headers=kakaricho).status_code == 200
    assert len(api.get(f"/cases/{first}/assignee", headers=staff["viewer"]).json()["history"]) == 2

    actions = {(r["action"], r["subject"]) for r in _audit(api, staff, actor="asg-kakaricho")}
    assert {("assign_case", str(first)), ("assign_case_refused", str(second))} <= actions
    assert ("release_case", str(third)) in {(r["action"], r["subject"]) for r in _audit(api, staff,
                                                                                          actor="asg-takada")}

    # the workload per officer: their open cases and arrears, and the cases nobody holds
    rows = api.get("/reports/workload-by-staff", headers=staff["viewer"]).json()
    by_staff = {r["staff_id"]: r for r in rows}
    cases = {c["case_id"]: c for c in takadas}
    assert by_staff["asg-takada"]["open_cases"] == 2
    assert by_staff["asg-takada"]["balance"] == sum(c["delinquent_balance"] for c in cases.values())
    assert by_staff["asg-takada"]["claims"] == sum(c["claim_count"] for c in cases.values())
    assert "asg-sato" not in by_staff and rows[-1]["staff_id"] is None
    total = api.get("/cases", params={"limit": 1}, headers=staff["viewer"]).json()["total"]
    assert sum(r["open_cases"] for r in rows) == total
    exported = api.get("/reports/workload-by-staff", params={"format": "csv"}, headers=staff["viewer"])
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert any(r["職員ID"] == "asg-takada" and r["事案数"] == "2" for r in table)
    assert table[-1]["担当者"] == "未割当"

    # the case list's CSV names the officer; the list sorts by the latest 経過記録 entry
    listed = api.get("/cases/export.csv", params={"assignee": "asg-takada"}, headers=staff["viewer"])
    sheet = list(csv.DictReader(io.StringIO(listed.content.decode("utf-8-sig"))))
    assert {r["担当者"] for r in sheet} == {"試験 asg-takada（asg-takada）"} and len(sheet) == 2
    by_last = api.get("/cases", params={"sort": "last_action_on", "descending": "true", "limit": 50},
                      headers=staff["viewer"]).json()["items"]
    days = [c["last_action_on"] for c in by_last if c["last_action_on"]]
    assert days == sorted(days, reverse=True)

    assignable = {a["staff_id"] for a in api.get("/assignees", headers=staff["viewer"]).json()}
    assert {"asg-sato", "asg-takada", "asg-kakaricho"} <= assignable and "e2e-viewer" not in assignable


async def _counts(infra: Infrastructure, debtor_id: str) -> dict[str, int]:
    conn = await asyncpg.connect(infra.database_urls["collection"])
    try:
        return {
            "actions": await conn.fetchval("SELECT count(*) FROM claim_actions a JOIN claims c USING (department, "
                                           "claim_id) WHERE c.debtor_id = $1", debtor_id),
            "payments": await conn.fetchval("SELECT count(*) FROM payments WHERE debtor_id = $1", debtor_id),
            "reversals": await conn.fetchval("SELECT count(*) FROM payment_reversals WHERE debtor_id = $1",
                                             debtor_id),
            "documents": await conn.fetchval("SELECT count(*) FROM issued_documents WHERE debtor_id = $1", debtor_id),
            "activities": await conn.fetchval("SELECT count(*) FROM case_activities a JOIN cases c USING (case_id) "
                                              "WHERE c.debtor_id = $1", debtor_id),
        }
    finally:
        await conn.close()


async def test_the_debtors_whole_record_is_one_timeline_newest_first(
        api: httpx.Client, staff: dict[str, dict[str, str]], officers: dict[str, dict[str, str]],
        infrastructure: Infrastructure) -> None:
    viewer = staff["viewer"]
    # a debtor with arrears in two departments or more, and payments
    debtor_id, claims = None, []
    for case in api.get("/cases", params={"limit": 50}, headers=viewer).json()["items"]:
        if len(case["departments"]) >= 2:
            view = api.get(f"/debtors/{case['debtor_id']}", headers=viewer).json()
            if any(c["paid"] for c in view["claims"]):
                debtor_id, claims = case["debtor_id"], [c for c in view["claims"] if c["status"] == "delinquent"]
                break
    assert debtor_id and claims, "no open case across departments with a payment in the imported city"

    # an officer records a contact on one claim: it is in the timeline with who recorded it
    claim = claims[0]
    allowed = api.get(f"/claims/{claim['department']}/{claim['claim_id']}", headers=viewer).json()["allowed_now"]
    kind = next(k for k in ("payment_consultation", "reminder_phone", *allowed) if k in allowed)
    recorded = api.post(f"/claims/{claim['department']}/{claim['claim_id']}/actions",
                        json={"kind": kind, "done_on": date(2025, 1, 30).isoformat(), "note": "本人来庁、ｶﾀｶﾅで記名"},
                        headers=officers["asg-sato"])
    assert recorded.status_code == 201, recorded.text

    answer = api.get(f"/debtors/{debtor_id}/timeline", headers=viewer)
    assert answer.status_code == 200, answer.text
    timeline = answer.json()
    counts = await _counts(infrastructure, debtor_id)
    assert timeline["total"] == sum(counts.values()) and timeline["total"] == len(timeline["items"])
    days = [e["on"] for e in timeline["items"]]
    assert days == sorted(days, reverse=True)
    paid = [e for e in timeline["items"] if e["kind"] == "payment"]
    assert len(paid) == counts["payments"] and all(e["amount"] > 0 and e["label"].startswith("入金") for e in paid)
    mine = next(e for e in timeline["items"] if e["by"] == "asg-sato" and e["note"] == "本人来庁、ｶﾀｶﾅで記名")
    assert mine["on"] == "2025-01-30" and mine["claim_id"] == claim["claim_id"] and mine["source"] == "staff"
    assert mine["category"] in ("contact", "action", "notice") and mine["label"]

    only = api.get(f"/debtors/{debtor_id}/timeline", params={"category": "payment"}, headers=viewer).json()
    assert only["total"] == counts["payments"] + counts["reversals"] + sum(
        1 for e in timeline["items"] if e["source"] == "lawyer" and e["category"] == "payment")
    page = api.get(f"/debtors/{debtor_id}/timeline", params={"limit": 2, "offset": 1}, headers=viewer).json()
    assert [e["reference"] for e in page["items"]] == [e["reference"] for e in timeline["items"][1:3]]

    assert api.get("/debtors/no-such-debtor/timeline", headers=viewer).status_code == 404
    assert api.get(f"/debtors/{debtor_id}/timeline").status_code == 401
    reads = _audit(api, staff, action="read_debtor_timeline", subject=debtor_id)
    assert reads and reads[0]["actor"] == "e2e-viewer"


def _console_form(console: str, **fields: str) -> dict[str, object]:
    return {"data": fields, "headers": {"Origin": console}, "follow_redirects": False}


async def test_an_officer_takes_a_case_in_the_console_and_finds_it_in_my_cases(
        services: dict[str, RunningService], api: httpx.Client, staff: dict[str, dict[str, str]],
        officers: dict[str, dict[str, str]]) -> None:
    console = services["console"].url
    case = api.get("/cases", params={"assignee": "none", "limit": 1, "sort": "case_id"},
                   headers=staff["viewer"]).json()["items"][0]
    case_id, debtor_id = case["case_id"], case["debtor_id"]
    async with httpx.AsyncClient(base_url=console, timeout=60) as sato, \
            httpx.AsyncClient(base_url=console, timeout=60) as takada:
        for client, staff_id in ((sato, "asg-sato"), (takada, "asg-takada")):
            signed_in = await client.post("/login", **_console_form(console, staff_id=staff_id, password=PASSWORD))
            assert signed_in.status_code == 303
        empty = await sato.get("/my-cases")
        assert empty.status_code == 200 and "<h1>自分の事案</h1>" in empty.text
        assert f'href="/cases/{case_id}/assignee"' not in empty.text

        form = await sato.get(f"/cases/{case_id}/assignee")
        assert form.status_code == 200 and "自分が担当する" in form.text and "未割当" in form.text
        forged = await sato.post(f"/cases/{case_id}/assignee", data={"action": "assign", "staff_id": "me"},
                                 headers={"Origin": "http://evil.example"})
        assert forged.status_code == 403 and "この画面から操作してください" in forged.text
        took = await sato.post(f"/cases/{case_id}/assignee",
                               **_console_form(console, action="assign", staff_id="me", note="窓口で相談あり"))
        assert took.status_code == 303 and took.headers["location"] == f"/cases/{case_id}/assignee?done=assigned"
        done = await sato.get(took.headers["location"])
        assert "担当者を設定しました" in done.text and "試験 asg-sato（asg-sato）" in done.text
        assert "窓口で相談あり" in done.text and "担当を外す" in done.text

        mine = await sato.get("/my-cases", params={"sort": "name_kana", "descending": "false"})
        assert f'href="/cases/{case_id}/assignee"' in mine.text and "試験 asg-sato" in mine.text
        assert "assignee=me" in mine.text  # its CSV is the officer's own cases
        exported = await sato.get("/cases/export.csv", params={"assignee": "me"})
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert [r["事案番号"] for r in rows] == [str(case_id)] and rows[0]["担当者"] == "試験 asg-sato（asg-sato）"

        # a colleague is told in Japanese why they may not take it (and offered no form to try)
        refused = await takada.post(f"/cases/{case_id}/assignee",
                                    **_console_form(console, action="assign", staff_id="me", note="引継ぎ希望"))
        assert refused.status_code == 403 and "担当替え・他の職員の担当を外すのは係長以上" in refused.text
        assert "他の職員が担当しています" in refused.text and "自分が担当する</button>" not in refused.text
        assert "held by" not in refused.text

        # the 360 names the officer and shows the whole 経過記録, newest first, with a page of its own
        card = await sato.get(f"/debtors/{debtor_id}")
        assert card.status_code == 200 and "試験 asg-sato（asg-sato）" in card.text
        assert "経過記録（全債権・新しい順）" in card.text
        timeline = await sato.get(f"/debtors/{debtor_id}/timeline")
        assert timeline.status_code == 200 and "経過記録（全債権）" in timeline.text
        payments = await sato.get(f"/debtors/{debtor_id}/timeline", params={"category": "payment"})
        assert payments.status_code == 200 and 'value="payment" checked' in payments.text
        assert "処分・手続</td>" not in payments.text and "接触・交渉</td>" not in payments.text

        workload = await sato.get("/workload")
        assert workload.status_code == 200 and "試験 asg-sato（asg-sato）" in workload.text and "未割当" in workload.text
        given_back = await sato.post(f"/cases/{case_id}/assignee", **_console_form(console, action="release"))
        assert given_back.status_code == 303
        assert "担当を外しました" in (await sato.get(given_back.headers["location"])).text


async def test_the_laws_refusal_reaches_the_officer_in_japanese_with_the_statute(
        services: dict[str, RunningService], api: httpx.Client, staff: dict[str, dict[str, str]],
        officers: dict[str, dict[str, str]]) -> None:
    console = services["console"].url
    claim = None
    for case in api.get("/cases", params={"legal_category": "forced_public", "limit": 20},
                        headers=staff["viewer"]).json()["items"]:
        view = api.get(f"/debtors/{case['debtor_id']}", headers=staff["viewer"]).json()
        claim = next((c for c in view["claims"] if c["legal_category"] == "forced_public"
                      and c["status"] == "delinquent"), None)
        if claim:
            break
    assert claim is not None, "no delinquent 強制徴収公債権 in the imported city"
    path = f"/claims/{claim['department']}/{claim['claim_id']}"

    # the API: English for systems, Japanese beside it, the check's code; every refusal of today in both
    refused = api.post(f"{path}/actions", json={"kind": "payment_order", "done_on": "2025-01-31"},
                       headers=officers["asg-sato"])
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "category" and "最大判昭和41年2月23日" in body["detail"]
    assert body["detail_ja"].startswith("支払督促は強制徴収公債権には行えません") and "最大判昭和41年2月23日" in body["detail_ja"]
    today = api.get(path, headers=staff["viewer"]).json()
    refusals = {r["kind"]: r for r in today["refused_now"]}
    assert refusals["payment_order"]["reason_ja"] == body["detail_ja"]
    assert set(refusals).isdisjoint(today["allowed_now"])
    audit = api.get("/audit", params={"action": "action_refused", "actor": "asg-sato"},
                    headers=staff["supervisor"]).json()["items"]
    assert audit and audit[0]["detail"]["code"] == "category"  # the refusal is kept in the audit log

    # the console: the refusal in Japanese, the statute named, what was typed kept; the reasons listed beforehand
    async with httpx.AsyncClient(base_url=console, timeout=60) as client:
        await client.post("/login", **_console_form(console, staff_id="asg-sato", password=PASSWORD))
        page = await client.post(f"{path}/actions", **_console_form(console, kind="payment_order",
                                                                    done_on="令和7年1月31日", note="裁判所へ"))
        assert page.status_code == 409
        assert "法令上、今は記録できません：支払督促は強制徴収公債権には行えません" in page.text
        assert "最大判昭和41年2月23日" in page.text and "裁判所へ" in page.text
        assert "are collected by" not in page.text  # not the English
        form = await client.get(path)
        assert "今はできない処理とその理由（法令）" in form.text and refusals["payment_order"]["reason_ja"] in form.text


async def _settled(infra: Infrastructure) -> None:
    """Wait until the case worker has drained its queue (what the API stores is then up to date)."""
    conn = await asyncpg.connect(infra.database_urls["collection"])
    try:
        deadline = time.monotonic() + 60
        while await conn.fetchval("SELECT count(*) FROM case_refresh_queue"):
            assert time.monotonic() < deadline, "the case worker did not drain its queue"
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


def _urgency(row: dict) -> tuple[int, str, int]:  # type: ignore[type-arg]
    if row["next_action_kind"] is None:
        return (1, "", 0)
    return (0, row["next_action_due"], action_rank(ActionKind(row["next_action_kind"])))


async def test_the_case_list_sorts_by_the_next_action_the_case_worker_stored(
        api: httpx.Client, staff: dict[str, dict[str, str]], officers: dict[str, dict[str, str]],
        infrastructure: Infrastructure) -> None:
    viewer = staff["viewer"]
    await _settled(infrastructure)
    listed = api.get("/cases", params={"sort": "next_action", "descending": "false", "limit": 200}, headers=viewer)
    assert listed.status_code == 200, listed.text
    rows = listed.json()["items"]
    assert rows and rows[0]["next_action_kind"] is not None
    # the step due longest ago first, on one day the kind's order in the table of legal actions; nothing to do last
    assert [_urgency(r) for r in rows] == sorted(_urgency(r) for r in rows)
    assert len({r["next_action_due"] for r in rows if r["next_action_due"]}) > 1, "the city's steps fall on one day"
    # what was stored is what the case's page computes from its ledger today
    for row in rows[:6]:
        advice = api.get(f"/cases/{row['case_id']}", headers=viewer).json()["next_action"]
        assert advice is not None and advice["action"] == row["next_action_kind"], row["case_id"]
        assert advice["lead_department"] == row["next_action_lead"]
    backwards = api.get("/cases", params={"sort": "next_action", "descending": "true", "limit": 200},
                        headers=viewer).json()["items"]
    stepped = [_urgency(r) for r in backwards if r["next_action_kind"]]
    assert stepped and stepped == sorted(stepped, reverse=True)

    # the officer takes the step: the case worker recomputes the case and stores the step after it
    business_date = api.get("/auth/me", headers=viewer).json()["business_date"]
    first = rows[0]
    advice = api.get(f"/cases/{first['case_id']}", headers=viewer).json()["next_action"]
    for ref in advice["claim_ids"]:
        department, claim_id = ref.split(":", 1)
        done = api.post(f"/claims/{department}/{claim_id}/actions",
                        json={"kind": advice["action"], "done_on": business_date, "note": "次の対応の並びの確認"},
                        headers=officers["asg-kakaricho"])
        assert done.status_code == 201, done.text
    await _settled(infrastructure)
    after = api.get(f"/cases/{first['case_id']}", headers=viewer).json()
    assert (after["next_action_kind"], after["next_action_due"]) != (first["next_action_kind"],
                                                                     first["next_action_due"])
    assert after["next_action_kind"] == (after["next_action"]["action"] if after["next_action"] else None)
