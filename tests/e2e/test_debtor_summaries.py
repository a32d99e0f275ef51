"""Debtor summaries (POST /debtor-summaries): a page of people's 滞納額, case lead and DV等支援措置 in one read, as the
console's person search shows them. Each figure agrees with the debtor's own view, a debtor without a case reads
0, every debtor asked for is audit-logged, and bad requests are refused naming the field."""

import time
import uuid

import httpx
import pytest

from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService

pytestmark = pytest.mark.e2e


def test_summaries_agree_with_each_debtors_view_and_every_read_is_audited(
    services: dict[str, RunningService], imported_city: ImportedCity, staff: dict[str, dict[str, str]]
) -> None:
    api = httpx.Client(base_url=services["collection"].url, timeout=30)
    deadline = time.monotonic() + 120
    while (page := api.get("/cases", params={"limit": 8, "sort": "delinquent_balance", "descending": "true"},
                           headers=staff["viewer"]).json())["total"] < 8:
        assert time.monotonic() < deadline, "the city's cases did not appear"
        time.sleep(1)
    debtors = [row["debtor_id"] for row in page["items"]]
    unknown = f"no-such-debtor-{uuid.uuid4().hex[:8]}"
    asked = [*debtors, unknown, debtors[0]]  # an id twice: answered once, in the order first asked

    assert api.post("/debtor-summaries", json={"debtor_ids": debtors}).status_code == 401
    response = api.post("/debtor-summaries", json={"debtor_ids": asked}, headers=staff["viewer"])
    assert response.status_code == 200, response.text
    summaries = response.json()
    assert [s["debtor_id"] for s in summaries] == [*debtors, unknown]
    for summary in summaries[:-1]:
        view = api.get(f"/debtors/{summary['debtor_id']}", headers=staff["viewer"]).json()
        case = view["case"]
        assert summary["case_id"] == case["case_id"] and summary["case_status"] == case["status"]
        assert (summary["lead_kind"], summary["lead_code"]) == (case["lead_kind"], case["lead_code"])
        assert summary["delinquent_balance"] == case["delinquent_balance"]
        # the case's 滞納額 is what may still be demanded: the open principal the 360 shows, plus fees and 延滞金
        delinquent = [c for c in view["claims"] if c["status"] == "delinquent"]
        extras = sum(c["fees"] + c["late_charge"] for c in delinquent)
        assert 0 < view["delinquent_balance"] <= summary["delinquent_balance"] <= view["delinquent_balance"] + extras
        assert summary["protected"] is view["support_measure"]["active"]
    assert summaries[-1] == {"debtor_id": unknown, "delinquent_balance": 0, "case_id": None, "case_status": None,
                             "as_of": None, "lead_kind": None, "lead_code": None, "protected": False}

    audit = api.get("/audit", params={"action": "read_debtor_summaries", "limit": 50},
                    headers=staff["supervisor"]).json()["items"]
    assert any(sorted(row["detail"]["debtor_ids"]) == sorted([*debtors, unknown]) for row in audit), audit[:2]

    for body, field in (({"debtor_ids": []}, "debtor_ids"), ({"debtor_ids": ["x"] * 51}, "debtor_ids"),
                        ({"debtor_ids": ["a" * 65]}, "debtor_ids"), ({}, "debtor_ids")):
        refused = api.post("/debtor-summaries", json=body, headers=staff["viewer"])
        assert refused.status_code == 422 and field in refused.text, (body, refused.text)
