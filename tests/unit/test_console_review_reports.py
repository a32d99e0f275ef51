"""The console's 名寄せ確認 and 報告 without the services: the SVG bar charts (services/console/charts.py), the
evidence of a pair in Japanese (review_pages.py), the reports' arrangement (report_pages.py), and both pages
rendered from API answers of the shape matching and collection return (the backend replaced by a stub)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from html import unescape
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from services.collection.api.operations import error_kind
from services.console.app import create_app
from services.console.backend import Backend, Refused
from services.console.charts import Series, bar_chart
from services.console.operations_pages import error_label
from services.console.report_pages import fiscal_year_of, percent, report_view, thousand_yen, years_offered
from services.console.review_pages import evidence_rows, level_label, weight_label
from services.console.settings import ConsoleSettings
from shared.ingest.history import latest_imports

SVG = "{http://www.w3.org/2000/svg}"

REVIEW: dict[str, Any] = {
    "review_id": 7, "kind": "merge", "status": "open", "score": 9.25, "model_version": "fellegi_sunter.v2",
    "created_at": "2025-01-30T15:30:00Z", "decided_by": None, "decided_at": None, "reason": None,
    "record": {"department": "water", "source_person_id": "W001", "debtor_id": "d-1",
               "recorded": {"kind": "individual", "name_kanji": "斉藤 一郎", "name_kana": "ｻｲﾄｳ ｲﾁﾛｳ",
                            "birth_date": None, "address": "愛知県豊田市西町3丁目60番地5号"}},
    "candidate": {"department": "tax", "source_person_id": "T001", "debtor_id": "d-2",
                  "recorded": {"kind": "individual", "name_kanji": "髙橋 一郎", "name_kana": "タカハシ イチロウ",
                               "birth_date": "1975-04-01", "address": "愛知県豊田市西町3-60-5"}},
    "evidence": [{"field": "surname", "level": "kana", "weight": 3.32},
                 {"field": "given_name", "level": "exact", "weight": 7.49},
                 {"field": "birth_date", "level": "missing", "weight": 0.0},
                 {"field": "address", "level": "exact", "weight": 5.1},
                 {"field": "phone", "level": "disagree", "weight": -2.5},
                 {"field": "kind", "level": "individual", "weight": 0.0}],
}
RATES = [{"department": "tax", "receivable_type": "municipal_tax", "receivable_name": "個人住民税",
          "current_assessed": 1_000_000, "current_received": 965_000, "current_written_off": 0,
          "current_outstanding": 35_000, "current_rate": "96.50", "current_rate_target": "97.00",
          "carried_assessed": 200_000, "carried_received": 50_000, "carried_written_off": 10_000,
          "carried_outstanding": 140_000, "carried_rate": "25.00", "overall_rate": "84.58",
          "overall_rate_target": None}]
OUTSTANDING = [{"department": "tax", "receivable_type": "municipal_tax", "receivable_name": "個人住民税",
                "prior_year_end": 180_000, "target": 150_000, "actual": 175_000, "difference": 25_000,
                "achievement": "85.71", "compression": "97.22"}]
BUREAUS = [{"bureau": "財政局", "prior_year_end": 12_450_780, "target": 12_315_895, "difference": -134_885,
            "ratio": "98.92", "prior_year_end_yen": 12_450_780_000, "target_yen": 12_315_895_000, "total": False},
           {"bureau": "合計", "prior_year_end": 12_450_780, "target": 12_315_895, "difference": -134_885,
            "ratio": "98.92", "prior_year_end_yen": 12_450_780_000, "target_yen": 12_315_895_000, "total": True}]
AGING = [{"department": "tax", "bucket": "0-90 days", "claims": 3, "balance": 30_000},
         {"department": "water", "bucket": "0-90 days", "claims": 1, "balance": 4_500},
         {"department": "water", "bucket": "over 2 years", "claims": 2, "balance": 12_750}]
IMPORTS = [{"source_system": "tax-core", "file_name": "市税_滞納_令和7年1月.csv", "submitted_by": "tax-system",
            "accepted_total": 1200, "rejected_total": 3, "accepted_done": 1200, "rejected_done": 3, "completed": True,
            "updated_at": "2025-01-31T00:15:00+00:00"},
           {"source_system": "water-billing", "file_name": "suido.csv", "submitted_by": None, "accepted_total": 500,
            "rejected_total": 0, "accepted_done": 200, "rejected_done": 0, "completed": False,
            "updated_at": "2025-01-30T23:00:00+00:00"}]
WORKLOAD = [{"holder_kind": "central_group", "holder_code": "G1", "open_cases": 12, "claims": 40, "balance": 98_000},
            {"holder_kind": "lawyer_team", "holder_code": "L<2>", "open_cases": 3, "claims": 9, "balance": 51_000}]


def _svg(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def test_a_bar_chart_is_svg_with_a_title_a_description_and_one_bar_per_figure() -> None:
    chart = _svg(bar_chart("滞納額", ["市税", "上下水道<script>"], [Series("実績", [30_000, 12_750]),
                                                                 Series("目標", [None, 20_000])],
                           lambda v: f"¥{int(v):,}", chart_id="t"))
    assert chart.get("role") == "img" and chart.get("aria-labelledby") == "t-title t-desc"
    assert chart.find(f"{SVG}title").text == "滞納額"
    description = chart.find(f"{SVG}desc").text
    assert "市税：実績 ¥30,000、目標 －" in description and "上下水道<script>：実績 ¥12,750、目標 ¥20,000" in description
    bars = [r for r in chart.iter(f"{SVG}rect") if r.get("height") != "12"]  # the legend's swatches are 12 high
    assert len(bars) == 3  # no bar for the missing figure
    widths = sorted(float(r.get("width")) for r in bars)
    assert widths[-1] == 400.0 and widths[0] == pytest.approx(400 * 12_750 / 30_000, abs=0.1)  # to scale
    texts = [t.text for t in chart.iter(f"{SVG}text")]
    assert "¥30,000" in texts and "上下水道<script>" in texts  # a label is text, never markup
    assert "<script>" not in str(bar_chart("x", ["<script>"], [Series("a", [1])], str, chart_id="x"))


def test_a_chart_refuses_series_that_do_not_fit_its_categories() -> None:
    with pytest.raises(ValueError, match="one value per category"):
        bar_chart("x", ["a", "b"], [Series("s", [1])], str, chart_id="bad")


def test_a_negative_figure_is_drawn_to_its_size_and_written_with_its_sign() -> None:
    chart = _svg(bar_chart("差", ["財政局"], [Series("差", [-134_885])], thousand_yen, chart_id="d"))
    bar = next(chart.iter(f"{SVG}rect"))
    assert float(bar.get("width")) == 400.0 and bar.get("stroke-dasharray")
    assert "△ 134,885千円" in [t.text for t in chart.iter(f"{SVG}text")]


def test_the_evidence_of_a_pair_in_japanese_side_by_side() -> None:
    rows = {row["label"]: row for row in evidence_rows(REVIEW)}
    assert rows["氏名"]["record"] == "斉藤 一郎" and rows["氏名"]["candidate"] == "髙橋 一郎"
    assert [(e["field"], e["level"], e["weight"]) for e in rows["氏名"]["evidence"]] == [
        ("姓", "漢字は違うが読みが一致", "+3.32"), ("名", "一致", "+7.49")]
    assert rows["フリガナ"]["record"] == "ｻｲﾄｳ ｲﾁﾛｳ"  # as the department sent it (half-width kana)
    assert rows["生年月日"]["record"] is None and rows["生年月日"]["evidence"][0]["level"] == "片方または両方に記載なし"
    assert rows["電話番号"]["evidence"][0] == {"field": "電話番号", "level": "不一致", "weight": "−2.50",
                                           "direction": "against"}
    assert rows["個人・法人"]["record"] == "個人" and "郵便番号" not in rows  # neither side has one, no evidence
    assert level_label("day_month_swapped") == "月と日が入れ替わっている" and level_label("new_level") == "new_level"
    assert weight_label(0.0) == "±0" and weight_label(7.75) == "+7.75"


def test_evidence_no_field_shows_is_still_listed() -> None:
    item = {**REVIEW, "evidence": [*REVIEW["evidence"], {"field": "household", "level": "exact", "weight": 1.0}]}
    assert evidence_rows(item)[-1]["label"] == "その他"
    assert evidence_rows(item)[-1]["evidence"][0]["field"] == "household"


def test_fiscal_years_start_in_april_and_figures_are_written_as_published() -> None:
    assert fiscal_year_of(date(2025, 3, 31)) == 2024 and fiscal_year_of(date(2025, 4, 1)) == 2025
    assert years_offered(date(2025, 1, 31)) == [2024, 2023, 2022, 2021, 2020]
    assert percent("96.5") == "96.50%" and percent(None) == "－" and percent(Decimal("100")) == "100.00%"
    assert thousand_yen(12_450_780) == "12,450,780千円" and thousand_yen(-134_885) == "△ 134,885千円"
    assert thousand_yen(None) == "－"


def test_the_reports_are_arranged_from_the_apis_figures() -> None:
    view = report_view(RATES, OUTSTANDING, BUREAUS, AGING, WORKLOAD)
    assert view["rate_labels"] == ["市税・個人住民税"]
    first, last = view["aging"][0], view["aging"][-1]
    assert (first["bucket"], first["balance"], first["claims"]) == ("90日以内", 34_500, 4)
    assert (last["bucket"], last["balance"], [c["balance"] for c in last["cells"]]) == ("2年超", 12_750, [0, 12_750])
    assert view["aging_departments"] == ["tax", "water"]
    assert view["holders"] == ["債権管理課（G1）", "委託先弁護士事務所（L<2>）"]
    bureau_chart = _svg(view["bureau_chart"])
    assert [t.text for t in bureau_chart.iter(f"{SVG}text")].count("合計") == 0  # the total row is no bar
    assert "12,450,780千円" in [t.text for t in bureau_chart.iter(f"{SVG}text")]


class _Stub(Backend):
    """The API's answers without the services; ``refuse`` makes a call answer like a refusing API."""

    def __init__(self) -> None:
        super().__init__("http://collection.invalid", "http://matching.invalid", 1)
        self.decided: list[tuple[int, str, str]] = []
        self.roles = ["collector"]
        self.refuse: dict[str, Refused] = {}
        self.replayed: list[tuple[str, list[int]]] = []

    async def me(self, token: str) -> dict[str, Any]:
        return {"staff_id": "田中", "roles": self.roles, "business_date": "2025-01-31"}

    async def reviews(self, token: str, params: dict[str, str]) -> dict[str, Any]:
        return {"items": [REVIEW], "total": 21, "limit": 20, "offset": int(params["offset"])}

    async def review(self, token: str, review_id: int) -> dict[str, Any]:
        if self.decided:
            return {**REVIEW, "status": "rejected", "decided_by": "田中", "decided_at": "2025-01-31T01:00:00Z",
                    "reason": self.decided[-1][2]}
        return REVIEW

    async def decide_review(self, token: str, review_id: int, verdict: str, reason: str) -> dict[str, Any]:
        if "decide" in self.refuse:
            raise self.refuse["decide"]
        self.decided.append((review_id, verdict, reason))
        return {}

    async def imports(self, token: str) -> list[dict[str, Any]]:
        if "imports" in self.refuse:
            raise self.refuse["imports"]
        return IMPORTS

    async def dead_letters(self, token: str, topic: str | None) -> dict[str, Any]:
        return {"topic": topic or "dead-letter.matching.v1", "topics": ["dead-letter.matching.v1",
                                                                        "dead-letter.collection.v1"],
                "items": [{"topic": "dead-letter.matching.v1", "offset": 4, "message_id": "m-4",
                           "source_topic": "billing.source-events.v1", "consumer": "matching",
                           "failed_at": "2025-01-30T15:00:00+00:00", "error_kind": "contract: ValidationError"}]}

    async def replay_dead_letters(self, token: str, topic: str, offsets: list[int]) -> dict[str, Any]:
        self.replayed.append((topic, offsets))
        return {"topic": topic, "replayed": len(offsets)}

    async def report(self, token: str, name: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        if name in self.refuse:
            raise self.refuse[name]
        assert name in ("aging", "workload") or params == {"fiscal_year": "2024"}, (name, params)
        return {"collection-rates": RATES, "outstanding": OUTSTANDING, "outstanding-by-bureau": BUREAUS,
                "aging": AGING, "workload": WORKLOAD}[name]


@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, _Stub]:
    stub = _Stub()
    monkeypatch.setattr("services.console.app.Backend", lambda *_: stub)
    client = TestClient(create_app(ConsoleSettings()), base_url="http://console.test")
    client.cookies.set("console_token", "t")
    return client, stub


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_review_pages_show_the_pair_and_record_the_decision(console: tuple[TestClient, _Stub]) -> None:
    client, stub = console
    queue = client.get("/reviews")
    assert queue.status_code == 200 and "未確認 21組中 1〜1組" in _text(queue.text)
    assert 'href="/reviews?offset=20"' in queue.text and "令和7年1月31日 00:30" in queue.text  # created_at in JST
    page = client.get("/reviews/7")
    text = _text(page.text)
    assert "記録：上下水道（W001）" in text and "候補：市税（T001）" in text
    assert "姓：漢字は違うが読みが一致 +3.32" in text and "昭和50年4月1日（1975年）" in text
    assert 'id="decision"' in page.text and page.headers["content-security-policy"].startswith("default-src 'self'")
    for field in re.findall(r'<(?:input|textarea|select)[^>]*id="([^"]+)"', page.text):
        assert f'<label for="{field}"' in page.text, field

    no_reason = client.post("/reviews/7/decision", data={"verdict": "reject", "reason": "  "},
                            headers={"Origin": "http://console.test"})
    assert no_reason.status_code == 422 and "判断の理由を入力してください" in no_reason.text and not stub.decided
    forged = client.post("/reviews/7/decision", data={"verdict": "reject", "reason": "別人"},
                         headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403 and not stub.decided
    done = client.post("/reviews/7/decision", data={"verdict": "reject", "reason": "別人（生年月日を窓口で確認）"},
                       headers={"Origin": "http://console.test"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/reviews/7?decided=reject"
    assert stub.decided == [(7, "reject", "別人（生年月日を窓口で確認）")]
    after = _text(client.get("/reviews/7?decided=reject").text)
    assert "別人として記録しました" in after and "別人と判断（田中" in after and 'id="decision"' not in after


def test_a_refused_decision_is_told_with_the_typed_reason_kept(console: tuple[TestClient, _Stub]) -> None:
    client, stub = console
    stub.refuse["decide"] = Refused(409, "review 7 is already rejected")
    refused = client.post("/reviews/7/decision", data={"verdict": "accept", "reason": "同一人（電話で確認）"},
                          headers={"Origin": "http://console.test"})
    assert refused.status_code == 409 and "この組はすでに判断されています" in refused.text
    assert "同一人（電話で確認）</textarea>" in refused.text
    stub.roles = ["viewer"]
    assert 'id="decision"' not in client.get("/reviews/7").text  # a viewer reads, is offered no decision


def test_the_reports_page_draws_each_report_with_its_table(console: tuple[TestClient, _Stub]) -> None:
    client, stub = console
    page = client.get("/reports")
    assert page.status_code == 200
    text = _text(page.text)
    assert "報告（令和6年度・2024年度）" in text
    assert page.text.count("<svg") == 5 and "<script" not in page.text
    assert "市税・個人住民税 ¥1,000,000 ¥965,000 96.50% 97.00%" in text
    assert "財政局 12,450,780千円 12,315,895千円 △ 134,885千円 98.92%" in text
    assert "2年超 ¥0 ¥12,750 ¥12,750 2件" in text
    assert "委託先弁護士事務所（L<2>） 3件 9件 ¥51,000" in text and "L&lt;2&gt;" in page.text  # escaped
    other = client.get("/reports", params={"fiscal_year": "1999"})
    assert other.status_code == 200 and "年度「1999」は選べません" in other.text
    stub.refuse["workload"] = Refused(403, "needs viewer")
    assert client.get("/reports").status_code == 403


def test_a_dead_letters_error_is_shown_by_its_kind_never_its_text() -> None:
    assert error_kind("processing: IntegrityError: duplicate key (name)=(山田 太郎)") == "processing: IntegrityError"
    assert error_kind("contract: ValidationError") == "contract: ValidationError" and error_kind("") == "unknown"
    assert error_label("processing: IntegrityError") == "処理中の誤り（IntegrityError）"
    assert error_label("contract") == "形式の誤り（契約に合わない）" and error_label("other: X") == "other: X"


def test_the_import_history_keeps_each_imports_last_progress_newest_first() -> None:
    def record(key: str, done: int, completed: bool, at: str) -> tuple[bytes, bytes]:
        return key.encode(), json.dumps({"import_key": key, "source_system": "tax", "file_name": f"{key}.csv",
                                         "submitted_by": None, "accepted_total": 10, "rejected_total": 1,
                                         "accepted_done": done, "rejected_done": 0, "completed": completed,
                                         "updated_at": at}).encode()

    history = latest_imports([record("a", 5, False, "2025-01-30T10:00:00+00:00"), (b"broken", b"{"),
                              record("b", 10, True, "2025-01-30T11:00:00+00:00"), (b"gone", None),
                              record("a", 10, True, "2025-01-30T12:00:00+00:00")])
    assert [(r.import_key, r.accepted_done, r.completed) for r in history] == [("a", 10, True), ("b", 10, True)]


def test_the_operations_page_lists_imports_and_replays_chosen_dead_letters(console: tuple[TestClient, _Stub]) -> None:
    client, stub = console
    stub.roles = ["supervisor"]
    page = client.get("/operations")
    text = _text(page.text)
    assert page.status_code == 200 and 'href="/operations"' in page.text
    assert "市税（住民税・固定資産税・軽自動車税） 市税_滞納_令和7年1月.csv 令和7年1月31日 09:15 1,200件 3件 完了" in text
    assert "途中（200／500件）" in text and "形式の誤り（契約に合わない）（ValidationError）" in text
    for field in re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*id="([^"]+)"', page.text):
        assert f'<label for="{field}"' in page.text, field
    nothing = client.post("/operations/replay", data={"topic": "dead-letter.matching.v1"},
                          headers={"Origin": "http://console.test"})
    assert nothing.status_code == 422 and not stub.replayed
    done = client.post("/operations/replay", data={"topic": "dead-letter.matching.v1", "offset": ["4"]},
                       headers={"Origin": "http://console.test"}, follow_redirects=False)
    assert done.status_code == 303 and stub.replayed == [("dead-letter.matching.v1", [4])]
    assert "1件を元のトピックへ再送しました" in client.get(done.headers["location"]).text
    stub.roles = ["collector"]
    assert 'href="/operations"' not in client.get("/reviews").text  # not offered below supervisor
    stub.refuse["imports"] = Refused(403, "needs supervisor")
    refused = client.get("/operations")
    assert refused.status_code == 403 and "係長・課長以上" in refused.text
