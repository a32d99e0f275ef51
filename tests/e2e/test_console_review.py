"""The console's 名寄せ確認, 報告 and 運用 through the running services over HTTP: a doubtful pair shown side by side
with its evidence and decided with a reason (a viewer refused), the reports' figures as collection computes them,
and the operations page for supervisors only — the imported city's files in the import history, and a poison
message's dead letter replayed to its topic from the page (no payload shown)."""

from __future__ import annotations

import asyncio
import re
import uuid
from decimal import Decimal
from html import unescape

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts.sources import SOURCES
from contracts.topics import BILLING_MATCHED, DEAD_LETTER_COLLECTION
from services.console.formatting import department
from services.console.operations_pages import source_label
from tests.conftest import ImportedCity
from tests.e2e.processes import RunningService
from tests.e2e.review_pairs import doubtful_pair, review_of
from tests.infrastructure import Infrastructure
from tests.staff import PASSWORD, create_staff

pytestmark = pytest.mark.e2e


def _form(console: str, **fields: object) -> dict[str, object]:
    return {"data": fields, "headers": {"Origin": console}, "follow_redirects": False}


def _text(html: str) -> str:
    """What the officer reads: the page without its markup, spaces folded."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


async def _signed_in(console: str, staff_id: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=console, timeout=60)
    signed = await client.post("/login", **_form(console, staff_id=staff_id, password=PASSWORD))
    assert signed.status_code == 303, signed.text
    return client


async def test_a_pair_is_shown_side_by_side_and_decided_with_a_reason(
        services: dict[str, RunningService], infrastructure: Infrastructure,
        staff: dict[str, dict[str, str]]) -> None:
    console, matching = services["console"].url, services["matching"].url
    create_staff(infrastructure, "review-viewer", "viewer")
    create_staff(infrastructure, "review-collector", "collector")
    tag = await doubtful_pair(infrastructure)
    review = await asyncio.to_thread(review_of, matching, staff["viewer"], tag)

    viewer = await _signed_in(console, "review-viewer")
    collector = await _signed_in(console, "review-collector")
    try:
        queue = await viewer.get("/reviews")
        assert queue.status_code == 200 and "名寄せ確認" in queue.text
        total = int(re.search(r"未確認 (\d+)組中", _text(queue.text)).group(1))  # type: ignore[union-attr]
        assert total >= 1 and ('rel="next"' in queue.text) == (total > 20)
        ids = [int(i) for i in re.findall(r'href="/reviews/(\d+)"', queue.text)]
        first_page = httpx.get(f"{matching}/reviews", params={"limit": 20}, headers=staff["viewer"], timeout=10).json()
        assert ids == [i["review_id"] for i in first_page["items"]]  # matching's queue, oldest first

        page = await viewer.get(f"/reviews/{review}")
        text = _text(page.text)
        assert page.status_code == 200
        assert f"記録：上下水道（W{tag}）" in text and f"候補：市税（T{tag}）" in text
        assert "斉藤" in text and "齋藤" in text and "ｲﾁﾛｳ" in text  # each as its department recorded it
        assert "昭和55年5月6日（1980年）" in text  # the tax record's birth date, in 和暦 with the year
        assert re.search(r"姓：一致 \+\d+\.\d\d", text) and "生年月日：片方または両方に記載なし ±0" in text
        assert 'id="decision"' not in page.text  # a viewer reads and is offered no decision
        forced = await viewer.post(f"/reviews/{review}/decision", **_form(console, verdict="reject", reason="別人"))
        assert forced.status_code == 403 and "判断する権限がありません" in forced.text  # matching refused it

        offered = await collector.get(f"/reviews/{review}")
        assert 'id="decision"' in offered.text and '<label for="reason"' in offered.text
        blank = await collector.post(f"/reviews/{review}/decision", **_form(console, verdict="reject", reason=" "))
        assert blank.status_code == 422 and "判断の理由を入力してください" in blank.text
        reason = "別人（窓口で生年月日を確認：髙橋さんとは別の方）"
        decided = await collector.post(f"/reviews/{review}/decision",
                                       **_form(console, verdict="reject", reason=reason))
        assert decided.status_code == 303 and decided.headers["location"] == f"/reviews/{review}?decided=reject"
        shown = _text((await collector.get(decided.headers["location"])).text)
        assert "別人として記録しました" in shown and "別人と判断（review-collector" in shown and reason in shown
        again = await collector.post(f"/reviews/{review}/decision", **_form(console, verdict="accept", reason="x"))
        assert again.status_code == 409 and "すでに判断されています" in again.text
    finally:
        await viewer.aclose()
        await collector.aclose()

    as_matching_says = httpx.get(f"{matching}/reviews/{review}", headers=staff["viewer"], timeout=10).json()
    assert as_matching_says["status"] == "rejected" and as_matching_says["decided_by"] == "review-collector"
    assert as_matching_says["reason"] == reason
    conn = await asyncpg.connect(infrastructure.database_urls["matching"])
    try:
        actors = {(r["actor"], r["action"]) for r in await conn.fetch(
            "SELECT actor, action FROM audit_log WHERE subject = $1", f"review:{review}")}
    finally:
        await conn.close()
    assert {("review-viewer", "read_review"), ("review-collector", "reject_review")} <= actors


def _percent(value: str | None) -> str:
    return "－" if value is None else f"{Decimal(value):.2f}%"


def _thousands(value: int | None) -> str:
    return "－" if value is None else f"△ {-value:,}千円" if value < 0 else f"{value:,}千円"


async def test_the_reports_page_shows_collections_figures_for_the_chosen_year(
        services: dict[str, RunningService], infrastructure: Infrastructure, imported_city: ImportedCity,
        staff: dict[str, dict[str, str]]) -> None:
    console, collection = services["console"].url, services["collection"].url
    create_staff(infrastructure, "report-viewer", "viewer")
    async with httpx.AsyncClient(base_url=collection, timeout=120, headers=staff["viewer"]) as api:
        year = {"fiscal_year": 2024}
        rates = (await api.get("/reports/collection-rates", params=year)).json()
        bureaus = (await api.get("/reports/outstanding-by-bureau", params=year)).json()
        aging = (await api.get("/reports/aging")).json()
        workload = (await api.get("/reports/workload")).json()
    assert rates and bureaus and aging and workload, "the imported city has figures in every report"

    client = await _signed_in(console, "report-viewer")
    try:
        assert (await client.get("/reports")).status_code == 200
        page = await client.get("/reports", params={"fiscal_year": "2024"})
        assert page.status_code == 200 and "<script" not in page.text
        text = _text(page.text)
        assert "報告（令和6年度・2024年度）" in text
        assert page.text.count("<svg") == 5 and page.text.count('role="img"') == 5  # each chart, named for readers
        for row in rates:
            assert (f"{department(row['department'])}・{row['receivable_name']} ¥{row['current_assessed']:,} "
                    f"¥{row['current_received']:,} {_percent(row['current_rate'])}") in text, row
            assert _percent(row["overall_rate"]) in text
        for row in bureaus:
            assert (f"{row['bureau']} {_thousands(row['prior_year_end'])} {_thousands(row['target'])} "
                    f"{_thousands(row['difference'])} {_percent(row['ratio'])}") in text, row
        for row in workload:
            assert f"{row['open_cases']:,}件 {row['claims']:,}件 ¥{row['balance']:,}" in text, row
        for bucket, label in (("0-90 days", "90日以内"), ("over 2 years", "2年超")):
            summed = sum(r["balance"] for r in aging if r["bucket"] == bucket)
            claims = sum(r["claims"] for r in aging if r["bucket"] == bucket)
            assert re.search(rf"{label} (¥[\d,]+ )+¥{summed:,} {claims:,}件", text), (label, summed)

        earlier = await client.get("/reports", params={"fiscal_year": "2023"})
        assert "報告（令和5年度・2023年度）" in _text(earlier.text)
        odd = await client.get("/reports", params={"fiscal_year": "<b>"})
        assert odd.status_code == 200 and "<b>" not in odd.text and "選べません" in odd.text
        client.cookies.clear()
        assert (await client.get("/reports", follow_redirects=False)).status_code == 303  # signed out
    finally:
        await client.aclose()

    conn = await asyncpg.connect(infrastructure.database_urls["collection"])
    try:
        actions = {r["action"] for r in await conn.fetch(
            "SELECT action FROM audit_log WHERE actor = 'report-viewer'")}
    finally:
        await conn.close()
    assert {"report_collection_rates", "report_outstanding_by_bureau", "report_aging", "report_workload"} <= actions


async def _poison(infra: Infrastructure, message_id: str) -> None:
    """A record collection cannot read on the topic it consumes: it is dead-lettered with its headers."""
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(BILLING_MATCHED.name, b"[1, 2, 3]", key=message_id.encode(),
                                     headers=[("message-id", message_id.encode())])
    finally:
        await producer.stop()


async def _letters(client: httpx.AsyncClient, message_id: str) -> tuple[str, list[str]]:
    page = await client.get("/operations", params={"topic": DEAD_LETTER_COLLECTION.name})
    assert page.status_code == 200, page.text
    offsets = re.findall(rf'<td class="num">(\d+)</td><td>{re.escape(message_id)}</td>', page.text)
    return page.text, offsets


async def test_operations_show_imports_and_replay_a_dead_letter_for_supervisors_only(
        services: dict[str, RunningService], infrastructure: Infrastructure, imported_city: ImportedCity,
        staff: dict[str, dict[str, str]]) -> None:
    console, collection = services["console"].url, services["collection"].url
    create_staff(infrastructure, "ops-collector", "collector")
    create_staff(infrastructure, "ops-supervisor", "supervisor")
    assert httpx.get(f"{collection}/operations/imports", headers=staff["collector"]).status_code == 403

    collector = await _signed_in(console, "ops-collector")
    try:
        refused = await collector.get("/operations")
        assert refused.status_code == 403 and "係長・課長以上" in refused.text
        assert 'href="/operations"' not in (await collector.get("/reports")).text
    finally:
        await collector.aclose()

    message_id = f"console-poison-{uuid.uuid4().hex[:8]}"
    await _poison(infrastructure, message_id)
    supervisor = await _signed_in(console, "ops-supervisor")
    try:
        page = await supervisor.get("/operations")
        text = _text(page.text)
        assert page.status_code == 200 and "取込履歴" in text
        for row in SOURCES:  # every export the city imported, with its counts and 完了
            assert re.search(rf"{re.escape(source_label(row.source_system))} {re.escape(row.export_file)} "
                             r"(令和|平成)\d+年\d+月\d+日 \d\d:\d\d [\d,]+件 [\d,]+件 完了", text), row.export_file
        html, offsets = "", []
        for _ in range(60):
            html, offsets = await _letters(supervisor, message_id)
            if offsets:
                break
            await asyncio.sleep(1)
        assert len(offsets) == 1, "collection did not dead-letter the poison record"
        assert "[1, 2, 3]" not in html  # the payload is never shown
        assert "形式の誤り（契約に合わない）" in _text(html) and f'<label for="offset-{offsets[0]}"' in html

        forged = await supervisor.post("/operations/replay", data={"topic": DEAD_LETTER_COLLECTION.name,
                                                                  "offset": offsets[0]},
                                       headers={"Origin": "http://evil.example"})
        assert forged.status_code == 403
        replayed = await supervisor.post("/operations/replay", **_form(
            console, topic=DEAD_LETTER_COLLECTION.name, offset=offsets[0]))
        assert replayed.status_code == 303 and "replayed=1" in replayed.headers["location"]
        assert "1件を元のトピックへ再送しました" in (await supervisor.get(replayed.headers["location"])).text
        again: list[str] = []
        for _ in range(60):  # sent back to billing.matched-events.v1, collection refuses it once more
            _, again = await _letters(supervisor, message_id)
            if len(again) == 2:
                break
            await asyncio.sleep(1)
        assert len(again) == 2 and again[0] == offsets[0]
    finally:
        await supervisor.aclose()

    conn = await asyncpg.connect(infrastructure.database_urls["collection"])
    try:
        rows = await conn.fetch("SELECT action FROM audit_log WHERE actor = 'ops-supervisor'")
    finally:
        await conn.close()
    actions = {r["action"] for r in rows}
    assert {"read_import_history", "read_dead_letters", "replay_dead_letters"} <= actions
