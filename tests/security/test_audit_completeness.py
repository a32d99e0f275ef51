"""Audit completeness against the running services (issue 18 §5): every route that reads personal data — lists,
exports, task lists, look-ups, single reads — on collection, matching, welfare referral and the lawyer gateway is
called, and then the service's own audit log must hold a row by that caller, for that action, naming exactly
the ids the response returned (all rows of the read together, when a large one was split). Counts alone, or a
filter alone, fail the check."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_lawyer_gateway import manage, new_client
from tests.e2e.test_lawyer_gateway import push_person as push_water_person
from tests.e2e.test_lawyer_gateway import sign_in as firm_sign_in
from tests.e2e.test_welfare_referral import push_person
from tests.figures import report
from tests.infrastructure import Infrastructure
from tests.staff import create_staff, sign_in

pytestmark = pytest.mark.e2e


@dataclass
class Read:
    """One read route: how to call it (returns the ids the response carried) and where its audit row is."""

    service: str  # collection, matching, welfare_referral, lawyer_gateway
    label: str
    actor: str
    action: str
    call: Callable[[], list[str]]
    subject: str | None = None  # single reads: the id is the row's subject


def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()
    return asyncio.run(run())


def csv_column(text: str, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))]


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text[:300]}"
    return response.json() if "json" in response.headers.get("content-type", "") else response.text


@pytest.fixture(scope="module")
def welfare_staff(infrastructure: Infrastructure, services: dict[str, RunningService]) -> dict[str, str]:
    create_staff(infrastructure, "sec-audit-welfare", "welfare")
    return sign_in(services["collection"].url, "sec-audit-welfare")


def test_every_read_of_personal_data_is_audited_with_the_ids_it_returned(
        services: dict[str, RunningService], staff: dict[str, dict[str, str]], welfare_staff: dict[str, str],
        infrastructure: Infrastructure) -> None:
    collection = httpx.Client(base_url=services["collection"].url, timeout=30)
    welfare = httpx.Client(base_url=services["welfare_referral"].url, timeout=30)
    matching = httpx.Client(base_url=services["matching"].url, timeout=30)
    gateway = httpx.Client(base_url=services["lawyer_gateway"].url, timeout=30)
    viewer, collector, supervisor, admin = (staff[r] for r in ("viewer", "collector", "supervisor", "admin"))

    # data of this test: a person in three departments with a referral; a person whose case a firm holds
    tag = f"{random.getrandbits(40):010x}"
    claims = push_person(services, tag)
    debtor = eventually(lambda: (r := collection.post("/debtor-lookup", json={
        "department": "tax", "source_person_id": claims["tax_person"]}, headers=viewer)).status_code == 200
        and r.json()["debtor_ids"][0], what="the debtor")
    eventually(lambda: welfare.get(f"/standings/{debtor}", headers=collector).status_code == 200,
               what="the debtor's standing at welfare")
    opened = welfare.post("/referrals", headers=collector, json={"debtor_id": debtor, "reason": "窓口で相談があった"})
    assert opened.status_code in (201, 409), opened.text
    referral = ok(welfare.get("/referrals", params={"debtor_id": debtor}, headers=collector))[0]["referral_id"]
    for step in ({"kind": "inform"}, {"kind": "record_consent", "scope": ["contact"]},
                 {"kind": "refer", "details": {"contact": "090-2718-2818"}}):
        welfare.post(f"/referrals/{referral}/events", headers=collector, json=step)
    scheduled = welfare.post("/consultation-days", headers=supervisor, json={
        "held_on": "2025-01-31", "venue": "市役所 相談室", "welfare_desk": "福祉総合相談課"})
    assert scheduled.status_code == 201, scheduled.text
    day = scheduled.json()["day_id"]
    welfare.post(f"/consultation-days/{day}/invitations", headers=collector, json={"limit": 20})

    manage(infrastructure, "firms", "add", "lawyer_team_a", "--name", "さくら総合法律事務所")
    client_id, secret = new_client(infrastructure, "lawyer_team_a", f"sec-{uuid.uuid4().hex[:6]}")
    water_person, _ = push_water_person(services, f"{tag[:6]}s", 0, with_tax=False)
    case_id = eventually(lambda: (r := collection.post("/debtor-lookup", json={
        "department": "water", "source_person_id": water_person}, headers=viewer)).status_code == 200
        and (view := collection.get(f"/debtors/{r.json()['debtor_ids'][0]}", headers=viewer).json())["case"]
        and str(view["case"]["case_id"]), what="the water person's case")
    assert collection.post(f"/cases/{case_id}/override", headers=supervisor, json={
        "holder_kind": "lawyer_team", "holder_code": "lawyer_team_a", "reason": "監査の試験"}).status_code == 200
    firm = firm_sign_in(gateway, client_id, secret)
    eventually(lambda: any(c["case_ref"] for c in gateway.get("/cases", headers=firm).json()["items"]),
               what="a case at the gateway")

    def get(client: httpx.Client, path: str, headers: dict[str, str], **params: Any) -> Any:
        return ok(client.get(path, headers=headers, params=params))

    def funnel_total() -> list[str]:
        rows = get(welfare, "/reports/funnel", viewer, period="all", by_signal="false")
        return [str(sum(r["suggested"] for r in rows))]  # the funnel names no one: its row counts the referrals

    reads = [
        Read("collection", "GET /cases", "e2e-viewer", "list_cases",
             lambda: [str(c["case_id"]) for c in get(collection, "/cases", viewer, limit=50)["items"]]),
        Read("collection", "GET /cases/export.csv", "e2e-viewer", "export_cases",
             lambda: csv_column(get(collection, "/cases/export.csv", viewer), "事案番号")),
        Read("collection", "GET /tasks/demand-notices", "e2e-viewer", "read_demand_notice_tasks",
             lambda: [f"{t['department']}:{t['claim_id']}" for t in get(collection, "/tasks/demand-notices", viewer,
                                                                        limit=200)]),
        Read("collection", "GET /tasks/prescription-alerts", "e2e-viewer", "read_prescription_alerts",
             lambda: [f"{t['department']}:{t['claim_id']}"
                      for t in get(collection, "/tasks/prescription-alerts", viewer)]),
        Read("collection", "POST /debtor-lookup", "e2e-viewer", "lookup_debtor",
             lambda: ok(collection.post("/debtor-lookup", headers=viewer, json={
                 "department": "tax", "source_person_id": claims["tax_person"]}))["debtor_ids"]),
        Read("collection", "GET /documents", "e2e-viewer", "list_documents",
             lambda: [d["document_number"] for d in get(collection, "/documents", viewer, debtor_id=debtor)]),
        Read("collection", "GET /debtors/{id}/central-payments", "e2e-viewer", "list_central_payments",
             lambda: [p["central_payment_id"] for p in get(collection, f"/debtors/{debtor}/central-payments", viewer)]),
        Read("collection", "GET /documents/print-queue", "e2e-viewer", "read_print_queue",
             lambda: [d["document_number"] for d in get(collection, "/documents/print-queue", viewer)["waiting"]]),
        Read("collection", "GET /staff", "e2e-admin", "list_staff",
             lambda: [s["staff_id"] for s in get(collection, "/staff", admin)]),
        Read("collection", "GET /audit", "e2e-supervisor", "read_audit_log",
             lambda: [str(r["audit_id"]) for r in get(collection, "/audit", supervisor, limit=100)["items"]]),
        Read("collection", "GET /audit/export.csv", "e2e-supervisor", "export_audit_log",
             lambda: csv_column(get(collection, "/audit/export.csv", supervisor, action="list_cases"), "監査番号")),
        Read("collection", "GET /debtors/{id}", "e2e-viewer", "read_debtor",
             lambda: [get(collection, f"/debtors/{debtor}", viewer)["debtor_id"]], subject=debtor),
        Read("collection", "GET /debtors/{id}/support-measure", "e2e-viewer", "read_support_measure",
             lambda: [get(collection, f"/debtors/{debtor}/support-measure", viewer)["debtor_id"]], subject=debtor),
        Read("collection", "GET /cases/{id}", "e2e-viewer", "read_case",
             lambda: [str(get(collection, f"/cases/{case_id}", viewer)["case_id"])], subject=case_id),
        Read("collection", "GET /debtors/{id}/timeline", "e2e-viewer", "read_debtor_timeline",
             lambda: [get(collection, f"/debtors/{debtor}/timeline", viewer)["debtor_id"]], subject=debtor),
        Read("collection", "GET /cases/{id}/assignee", "e2e-viewer", "read_case_assignee",
             lambda: [str(get(collection, f"/cases/{case_id}/assignee", viewer)["case_id"])], subject=case_id),
        Read("matching", "GET /reviews", "e2e-viewer", "list_reviews",
             lambda: [str(r["review_id"]) for r in get(matching, "/reviews", viewer, limit=200)["items"]]),
        Read("matching", "GET /debtors/{id}/merges", "e2e-viewer", "read_lineage",
             lambda: [m["merge_id"] for m in get(matching, f"/debtors/{debtor}/merges", viewer)]),
        Read("matching", "GET /debtors/{id}/relations", "e2e-viewer", "read_relations",
             lambda: [r["related_debtor_id"] for r in get(matching, f"/debtors/{debtor}/relations", viewer)]),
        Read("welfare_referral", "GET /referrals", "e2e-viewer", "list_referrals",
             lambda: [r["referral_id"] for r in get(welfare, "/referrals", viewer, limit=1000)]),
        Read("welfare_referral", "GET /referrals/{id}", "e2e-collector", "read_referral",
             lambda: [get(welfare, f"/referrals/{referral}", collector)["referral_id"]]),
        Read("welfare_referral", "GET /standings/{id}", "e2e-collector", "read_standing",
             lambda: [get(welfare, f"/standings/{debtor}", collector)["debtor_id"]]),
        Read("welfare_referral", "GET /inbox", "sec-audit-welfare", "read_inbox",
             lambda: [i["referral_id"] for i in get(welfare, "/inbox", welfare_staff)]),
        Read("welfare_referral", "GET /consultation-days/{id}/invitations", "e2e-viewer", "read_invitations",
             lambda: [i["debtor_id"] for i in get(welfare, f"/consultation-days/{day}/invitations", viewer)]),
        Read("welfare_referral", "GET /deliveries", "e2e-supervisor", "list_deliveries",
             lambda: [str(d["delivery_id"]) for d in get(welfare, "/deliveries", supervisor, limit=1000)]),
        Read("welfare_referral", "GET /reports/funnel", "e2e-viewer", "report_funnel", funnel_total),
        Read("lawyer_gateway", "GET /cases (firm)", client_id, "GET /cases",
             lambda: [c["case_ref"] for c in get(gateway, "/cases", firm, limit=50)["items"]]),
        Read("lawyer_gateway", "GET /admin/audit", "e2e-supervisor", "GET /admin/audit",
             lambda: [str(r["audit_id"]) for r in get(gateway, "/admin/audit", supervisor, limit=100)]),
        Read("lawyer_gateway", "GET /admin/alerts", "e2e-supervisor", "GET /admin/alerts",
             lambda: [str(r["alert_id"]) for r in get(gateway, "/admin/alerts", supervisor)]),
    ]

    urls = infrastructure.database_urls
    missing: list[str] = []
    with_ids = 0
    for read in reads:
        url = urls[read.service]
        if read.service == "lawyer_gateway":
            mark = query(url, "SELECT coalesce(max(audit_id), 0) AS m FROM audit_log")[0]["m"]
            returned = read.call()
            method, path = read.action.split(" ", 1)
            rows = query(url, "SELECT returned_ids FROM audit_log WHERE audit_id > $1 AND method = $2 AND path = $3 "
                              "AND (client_id = $4 OR staff_id = $4) ORDER BY audit_id", mark, method, path,
                         read.actor)
            recorded = [list(r["returned_ids"]) for r in rows]
        else:
            actor_column = "staff_id" if read.service == "welfare_referral" else "actor"
            subject_column = "target" if read.service == "welfare_referral" else "subject"
            mark = query(url, "SELECT coalesce(max(audit_id), 0) AS m FROM audit_log")[0]["m"]
            returned = read.call()
            rows = query(url, f"SELECT {subject_column} AS subject, detail FROM audit_log WHERE audit_id > $1 "
                              f"AND {actor_column} = $2 AND action = $3 ORDER BY audit_id", mark, read.actor,
                         read.action)
            details = [json.loads(r["detail"]) for r in rows]  # asyncpg gives jsonb as text
            if read.subject is not None:
                recorded = [[r["subject"]] for r in rows if r["subject"] == read.subject]
            elif read.action == "report_funnel":
                recorded = [[str(d["returned"])] for d in details]
            else:
                recorded = [[i for d in details for i in d["ids"]]] if details else []
        held = returned in recorded
        with_ids += held and bool(returned)
        print(f"  {read.service:16} {read.label:42} returned {len(returned):4} ids: "
              f"{'audited with them' if held else 'NOT AUDITED WITH THEM'}")
        if not held:
            missing.append(f"{read.label}: returned {returned[:5]}…, audit rows {recorded[:2]}")
    report(f"security audit completeness: {len(reads)} read routes on 4 services called, {len(reads) - len(missing)} audited "
          f"with the ids they returned ({with_ids} of them non-empty), {len(missing)} missing")
    assert missing == []
