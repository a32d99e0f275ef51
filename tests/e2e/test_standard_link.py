"""The standard data link end to end (a round trip): a file in the 2026.04 layout, written by the generator the
layout derives (contracts/standard_link.render), goes to the standard link adapter's POST /imports with the
source's credential; its bad lines are refused by line and column while the rest is published; the ledger shows
each event's effect (two departments from one file, 更正 and 減額, a 収納 with its reported date, 還付 and 充当, 督促
and 催告, 分納誓約, 徴収猶予, 繰上徴収, 執行停止, 不納欠損, 時効完成, 承継 as a relation, DV等支援措置); the centre's
window payment goes back in the feed file (standard layout) and the department's balances, sent for reconciliation
in the standard layout, agree with the centre's to the yen."""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from typing import Any

import httpx
import pytest

from contracts.standard_link import INCOMING_VERSION, layout, parse, render
from tests.departments import department_headers
from tests.e2e.processes import RunningService, eventually
from tests.infrastructure import BUSINESS_DATE

pytestmark = pytest.mark.e2e

TAX, FIXED, NHI, CARE = "individual_inhabitant_tax", "fixed_asset_tax", "national_health_insurance_tax", \
    "long_term_care_premium"


def bad_line(**cells: str) -> str:
    """A line the generator would refuse to write (it checks what it writes), as a sender might send it."""
    values = dict.fromkeys(layout(INCOMING_VERSION).header, "")
    values.update(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values.values())
    return out.getvalue()


def standard_file(tag: str, person: str, heir: str) -> tuple[bytes, dict[str, str], dict[str, int]]:
    """The file (good lines by the generator, three bad lines among them), its claim ids, and the lines of the
    bad ones."""
    x, y, n, m = (f"SL{tag}-{k}" for k in ("T1", "T2", "N1", "M1"))
    who = {"person": person, "name": "髙橋 一郎", "name_kana": "ﾀｶﾊｼ ｲﾁﾛｳ", "birth_date": date(1968, 5, 1),
           "postal_code": "460-0001", "address": "名古屋市中区三の丸三丁目1番1号"}
    ref = {"person": person}

    def assess(link: str, claim: str, receivable: str, installment: int, amount: int, due: date, on: date,
               **more: Any) -> dict[str, Any]:
        return {"event": "01", "link_id": link, **who, "claim": claim, "fiscal_year": 2024,
                "installment": installment, "receivable": receivable, "principal": amount, "due_on": due,
                "done_on": on, **more}

    rows = [
        assess(f"{tag}-01", x, TAX, 1, 48_000, date(2024, 6, 30), date(2024, 6, 1)),
        # 過年度分: the 2023 固定資産税 assessed in 年度 2024 (相当年度 2023)
        assess(f"{tag}-02", y, FIXED, 2, 10_000, date(2024, 12, 25), date(2024, 4, 1), tax_year=2023),
        assess(f"{tag}-03", n, NHI, 3, 30_000, date(2024, 8, 31), date(2024, 7, 1)),
        assess(f"{tag}-04", m, CARE, 1, 12_000, date(2024, 7, 31), date(2024, 7, 1)),
        {"event": "02", "link_id": f"{tag}-05", **ref, "claim": x, "receivable": TAX, "principal": 2_000,
         "done_on": date(2024, 7, 10)},
        {"event": "03", "link_id": f"{tag}-06", **ref, "claim": n, "receivable": NHI, "principal": 5_000,
         "done_on": date(2024, 7, 15)},
        {"event": "11", "link_id": f"{tag}-07", **ref, "claim": x, "receivable": TAX, "principal": 56_000,
         "total": 56_000, "paid_on": date(2024, 7, 20), "reported_on": date(2024, 7, 30), "receipt": f"R{tag}",
         "channel": "02"},
        {"event": "12", "link_id": f"{tag}-08", **ref, "receivable": TAX, "principal": 2_000, "total": 2_000,
         "receipt": f"R{tag}", "done_on": date(2024, 8, 10)},
        {"event": "13", "link_id": f"{tag}-09", **ref, "receivable": TAX, "principal": 4_000, "total": 4_000,
         "receipt": f"R{tag}", "target_claim": y, "done_on": date(2024, 8, 10)},
        {"event": "21", "link_id": f"{tag}-10", **ref, "claim": n, "receivable": NHI, "document": f"督{tag}",
         "done_on": date(2024, 9, 20)},
        {"event": "22", "link_id": f"{tag}-11", **ref, "claim": n, "receivable": NHI, "document": f"催{tag}",
         "done_on": date(2024, 10, 20)},
        {"event": "43", "link_id": f"{tag}-12", **ref, "claim": y, "receivable": FIXED, "due_on": date(2024, 10, 31),
         "ground": "地方税法13条の2第1項第1号", "done_on": date(2024, 10, 1)},
        {"event": "31", "link_id": f"{tag}-13", **ref, "claim": y, "receivable": FIXED, "document": f"誓{tag}",
         "principal": 6_000, "instalments": 3, "due_on": date(2024, 11, 30), "done_on": date(2024, 10, 25)},
        {"event": "41", "link_id": f"{tag}-14", **ref, "claim": y, "receivable": FIXED,
         "ground": "地方税法15条1項2号 (病気)", "done_on": date(2024, 10, 26)},
        {"event": "61", "link_id": f"{tag}-15", **ref, "claim": m, "receivable": CARE,
         "ground": "地方税法15条の7第1項第2号 (生活困窮)", "done_on": date(2024, 11, 1)},
        {"event": "62", "link_id": f"{tag}-16", **ref, "claim": n, "receivable": NHI,
         "ground": "地方税法18条1項 (時効)", "done_on": date(2025, 1, 10)},
        {"event": "63", "link_id": f"{tag}-17", **ref, "claim": m, "receivable": CARE,
         "prescribed_on": date(2026, 8, 1), "done_on": date(2024, 11, 1)},
        {"event": "51", "link_id": f"{tag}-18", **ref, "claim": m, "receivable": CARE, "succession_cause": "1",
         "successor": heir, "successor_name": "髙橋 花子", "successor_kana": "タカハシ ハナコ",
         "done_on": date(2024, 12, 5)},
        {"event": "71", "link_id": f"{tag}-19", **ref, "receivable": TAX, "measure": "1",
         "done_on": date(2024, 12, 1)},
        {"event": "21", "link_id": f"{tag}-20", **ref, "claim": m, "receivable": CARE, "document": f"督{tag}M",
         "done_on": date(2024, 8, 20)},
    ]
    good = render(rows, INCOMING_VERSION).decode("utf-8")
    lines = good.splitlines(keepends=True)
    bad = {
        "unknown event": bad_line(レコード種別="99", 連携番号=f"{tag}-B1", 宛名番号=person, 税目コード=TAX,
                                  処理日="2024-09-01"),
        "missing claim": bad_line(レコード種別="01", 連携番号=f"{tag}-B2", 宛名番号=person, 氏名="髙橋 一郎",
                                  年度="2024", 期別="2", 税目コード=TAX, 本税="1000", 納期限="2024-08-31",
                                  処理日="2024-08-01"),
        "no sum": bad_line(レコード種別="11", 連携番号=f"{tag}-B3", 宛名番号=person, 通知書番号=x, 税目コード=TAX,
                           本税="1000", 延滞金="100", 合計="1000", 収納日="2024-09-01", 報告日="2024-09-05",
                           収納番号=f"R{tag}-B3"),
    }
    # the bad lines go after lines 3, 8 and 12 of the good file: their line numbers are 4, 10 and 15
    body = lines[:3] + [bad["unknown event"]] + lines[3:8] + [bad["missing claim"]] + lines[8:12] + \
        [bad["no sum"]] + lines[12:]
    return "".join(body).encode("utf-8"), {"x": x, "y": y, "n": n, "m": m}, \
        {"unknown event": 4, "missing claim": 10, "no sum": 15}


def test_a_standard_file_reaches_the_ledger_and_comes_back_with_the_same_figures(
        services: dict[str, RunningService], staff: dict[str, dict[str, str]]) -> None:
    tag = f"{random.getrandbits(32):08x}"
    number = int(tag, 16) % 10**8
    person, heir = f"71{number:08d}", f"72{number:08d}"
    data, claims, bad_lines = standard_file(tag, person, heir)
    adapter = services["standard_link_adapter"].url
    collection = httpx.Client(base_url=services["collection"].url, timeout=60)
    viewer, collector, supervisor = staff["viewer"], staff["collector"], staff["supervisor"]

    # a department's credential may not send the standard link's file; the source's own may
    assert httpx.post(f"{adapter}/imports", params={"file_name": f"{tag}.csv"}, content=data, timeout=60,
                      headers={"content-type": "text/csv", **department_headers("tax")}).status_code == 403
    sent = httpx.post(f"{adapter}/imports", params={"file_name": f"{tag}.csv"}, content=data, timeout=60,
                      headers={"content-type": "text/csv", **department_headers("standard_link")})
    assert sent.status_code == 200, sent.text
    summary = sent.json()
    assert (summary["read"], summary["published"], summary["rejected"]) == (23, 20, 3)
    refused = {r["line"]: {p["field"]: p["reason"] for p in r["problems"]} for r in summary["rejections"]}
    assert set(refused) == set(bad_lines.values())
    assert "unknown event code" in refused[bad_lines["unknown event"]]["レコード種別"]
    assert "required for 調定" in refused[bad_lines["missing claim"]]["通知書番号"]
    assert "do not add up" in refused[bad_lines["no sum"]]["合計"]
    assert not any(person in reason or "髙橋" in reason for problems in refused.values()
                   for reason in problems.values())

    def debtor_of(department: str) -> str | None:
        found = collection.post("/debtor-lookup", headers=viewer,
                                json={"department": department, "source_person_id": person})
        return found.json()["debtor_ids"][0] if found.status_code == 200 else None

    def ledger() -> dict[str, Any] | None:
        debtor = debtor_of("tax")
        if debtor is None:
            return None
        view = collection.get(f"/debtors/{debtor}", headers=viewer).json()
        mine = {c["claim_id"]: c for c in view["claims"]}
        ready = set(claims.values()) <= set(mine) and mine[claims["y"]]["paid"] == 4_000 \
            and mine[claims["x"]]["paid"] == 50_000 and view["related_persons"] and view["support_measure"]["active"]
        return {"view": view, "claims": mine} if ready else None

    seen = eventually(ledger, timeout=90, what="every event of the standard file in the ledger")
    view, ledger_claims = seen["view"], seen["claims"]
    # two departments from one file, one debtor (the 宛名番号 is the register's)
    assert debtor_of("insurance") == view["debtor_id"]
    assert {r["department"] for r in view["records"]} == {"tax", "insurance"}
    x, y, n, m = (ledger_claims[claims[k]] for k in ("x", "y", "n", "m"))
    # 相当年度 where the department said it, nothing where 年度 is the year the tax is for
    assert (y["fiscal_year"], y["tax_year"]) == (2024, 2023) and x["tax_year"] is None
    # 調定 48,000 + 更正 2,000; 収納 56,000 − 還付 2,000 − 充当 4,000 = 50,000: settled, nothing overpaid
    assert (x["principal"], x["paid"], x["balance"]) == (50_000, 50_000, 0)
    assert not [o for o in view["overpayments"] if o["payment_id"] == f"R{tag}"]
    # the 4,000 applied to claim y; its 納期限 brought forward by 繰上徴収
    assert (y["principal"], y["paid"], y["balance"], y["due_date"]) == (10_000, 4_000, 6_000, "2024-10-31")
    # 30,000 − 減額 5,000, then written off by the department (不納欠損): extinguished, owed no more
    assert (n["principal"], n["status"]) == (25_000, "extinguished")
    # 承継: the heir is a relation of the claim, not the debtor (no merge)
    heirs = [r for r in view["related_persons"] if r["source_person_id"] == heir]
    assert [(r["role"], r["department"], r["claim_id"]) for r in heirs] == [("heir", "insurance", claims["m"])]
    assert heir not in {r["source_person_id"] for r in view["records"]}
    assert view["support_measure"]["active"] is True
    plans = [p for p in view["installment_plans"] if p["agreement_id"] == f"誓{tag}"]
    assert [(p["claim_ids"], [s["amount"] for s in p["schedule"]]) for p in plans] == [([claims["y"]],
                                                                                        [2_000, 2_000, 2_000])]

    def record(key: str) -> dict[str, Any]:
        department = "tax" if key in ("x", "y") else "insurance"
        answer = collection.get(f"/claims/{department}/{claims[key]}", headers=viewer)
        assert answer.status_code == 200, answer.text
        return answer.json()

    # 執行停止 stops 滞納処分; 徴収猶予 stops a new 督促 and 差押; 不納欠損 closes the claim; all by the department
    on_m, on_y, on_n = record("m"), record("y"), record("n")
    assert {a["kind"] for a in on_m["actions"]} >= {"suspension_of_execution"}
    assert not {"seizure", "realisation"} & set(on_m["allowed_now"])
    assert not {"demand_notice", "seizure", "realisation"} & set(on_y["allowed_now"])
    assert {a["kind"] for a in on_n["actions"]} >= {"demand_notice", "reminder_letter", "write_off"}
    assert on_n["allowed_now"] == []
    # 時効完成 and 繰上徴収: the department's dates beside the centre's own
    assert [(d["kind"], d["on"]) for d in on_m["department_dates"]] == [("prescription_completed", "2026-08-01")]
    assert [(d["kind"], d["on"], d["ground"]) for d in on_y["department_dates"]] == [
        ("accelerated_collection", "2024-10-31", "地方税法13条の2第1項第1号")]
    assert {a["recorded_by"] for a in on_n["actions"] + on_m["actions"]} == {"department:insurance"}
    refused_seizure = collection.post(f"/claims/insurance/{claims['m']}/actions", headers=supervisor, json={
        "kind": "seizure", "done_on": BUSINESS_DATE.isoformat()})
    assert refused_seizure.status_code == 409 and "執行停止" in refused_seizure.text, refused_seizure.text

    # the centre takes 1,000 yen at its window: it goes back to the tax department in the feed (standard layout)
    paid = collection.post(f"/debtors/{view['debtor_id']}/central-payments", headers=collector, json={
        "receipt_id": f"W{tag}", "amount": 1_000, "paid_on": BUSINESS_DATE.isoformat(), "note": "窓口",
        "designated": {"tax": 1_000}})
    assert paid.status_code == 201, paid.text
    tax = department_headers("tax")

    def fed_back() -> list[dict[str, Any]]:
        answer = collection.get("/feeds/tax/file", headers=tax)
        rows = [p.row for p in parse(answer.content, INCOMING_VERSION) if p.row and p.row.get("person") == person]
        return rows if len(rows) == 2 else []

    feed = eventually(fed_back, what="the window payment and its 充当 in the tax feed file")
    # only the centre's payment and what it settled (充当 to claim y, the one open): the department's own events
    # never come back to it
    assert sorted((r["event"], r["total"], r.get("target_claim")) for r in feed) == [
        ("11", 1_000, None), ("13", 1_000, claims["y"])]
    assert [r.get("tax_year") for r in feed if r["event"] == "13"] == [2023]  # 相当年度 travels with the claim

    # the department books it and states its balances (2025.04 layout, event 91): the same figures as the centre
    statement = render([{"event": "91", "person": person, "claim": claims["x"], "principal": 0,
                         "done_on": BUSINESS_DATE},
                        {"event": "91", "person": person, "claim": claims["y"], "principal": 6_000 - 1_000,
                         "done_on": BUSINESS_DATE}])
    run = collection.post("/reconciliation/tax", content=statement, headers={**tax, "Content-Type": "text/csv"})
    assert run.status_code == 201, run.text
    assert run.json()["claims_stated"] == 2 and run.json()["rejected"] == []
    latest = collection.get("/reconciliation/tax/latest", headers=viewer, params={"limit": 10_000}).json()
    assert not [d for d in latest["differences"] if d["claim_id"] in (claims["x"], claims["y"])]

    def case_settled() -> bool:  # the case worker caught up with the window payment: the work list agrees
        now = collection.get(f"/debtors/{view['debtor_id']}", headers=viewer).json()
        owed = sum(c["balance"] + c["fees"] for c in now["claims"] if c["status"] == "delinquent")
        return now["case"] is not None and now["case"]["delinquent_balance"] == owed and \
            now["balance"] == view["balance"] - 1_000
    eventually(case_settled, what="the debtor's case recomputed after the window payment")
