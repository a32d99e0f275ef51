"""One real path end to end: a CP932 tax export → tax adapter → Kafka → debtor matching → Kafka → collection
→ PostgreSQL → the collection API. Every part is a real process on the real broker and database."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from contracts.sources import source
from contracts.topics import INGEST_QUARANTINE
from services.tax_adapter.export_format import COLUMNS
from tests.departments import department_headers
from tests.e2e.processes import RunningService
from tests.infrastructure import ROOT, Infrastructure

pytestmark = pytest.mark.e2e


def csv_line(**values: str) -> str:
    return ",".join(f'"{values[c]}"' if "," in values.get(c, "") else values.get(c, "") for c in COLUMNS)


def export_file(path: Path, *lines: str) -> Path:
    path.write_bytes(("\r\n".join((",".join(COLUMNS), *lines)) + "\r\n").encode("cp932"))
    return path


def run_import(env: dict[str, str], path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *source("tax").command("import", str(path), "--no-progress")],
                          cwd=ROOT, env=env, text=True, capture_output=True, timeout=120, check=False)


def poll(url: str, params: dict[str, str], until, headers: dict[str, str], timeout: float = 60,  # type: ignore[no-untyped-def]
         what: str = "", method: str = "GET"):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        response = httpx.request(method, url, headers=headers, timeout=5,
                                 **({"json": params} if method == "POST" else {"params": params}))
        last = response
        if response.status_code == 200 and until(response.json()):
            return response.json()
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}: last answer {last.status_code if last else None} "
                         f"{last.text[:500] if last else ''}")


def test_tax_export_reaches_the_debtor_ledger_exactly_once(
    services: dict[str, RunningService], infrastructure: Infrastructure, e2e_env: dict[str, str], tmp_path: Path,
    staff: dict[str, dict[str, str]],
) -> None:
    person = f"E2E{uuid.uuid4().hex[:10]}"
    other = f"E2E{uuid.uuid4().hex[:10]}"
    notice = uuid.uuid4().hex[:8]
    # A resident of this run only (name, kana and phone of its own), so matching never links them to another
    # test's resident; the kanji variant 髙 and half-width kana are what the tax system really sends.
    tag = uuid.uuid4().hex[:6]
    kana_tag = "".join("ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀ"[int(c, 16)] for c in tag)
    who = dict(宛名番号=person, 氏名=f"髙橋 一郎{tag}", 氏名カナ=f"ﾀｶﾊｼ ｲﾁﾛｳ{kana_tag}", 生年月日="昭和50年4月1日",
               住所="愛知県豊田市西町3丁目60番地", 電話番号=f"0565-{int(tag[:4], 16) % 90 + 10}-{int(tag[2:], 16) % 10000:04d}")
    claim = dict(税目="市県民税", 年度="令和6", 通知書番号=notice, 納期限="", 金額="12,300", 処理日="令和6年6月10日")
    lines = [
        csv_line(処理区分="調定", **who, **{**claim, "期別": "1", "納期限": "令和6年6月30日"}),
        csv_line(処理区分="調定", **who, **{**claim, "期別": "2", "納期限": "R06.08.31"}),
        csv_line(処理区分="収納", 宛名番号=person, 税目="市県民税", 年度="2024", 期別="1", 通知書番号=notice,
                 金額="12300", 処理日="2024-06-28", 収納方法="コンビニ", 収納番号=f"R-{notice}-1"),
        csv_line(処理区分="収納", 宛名番号=person, 金額="5000", 処理日="2024-09-10", 収納方法="口座振替",
                 収納番号=f"R-{notice}-2"),
        csv_line(処理区分="収納取消", 宛名番号=person, 処理日="2024-09-20", 収納番号=f"R-{notice}-2", 事由="口座振替不能"),
        csv_line(処理区分="調定", 宛名番号=other, 氏名="山﨑 花子", 税目="固定資産税", 年度="2024", 期別="1",
                 通知書番号=notice, 納期限="令和6年2月30日", 金額="-45000", 処理日="2024-04-10"),
    ]
    path = export_file(tmp_path / "tax_export.csv", *lines)

    first = run_import(e2e_env, path)
    assert first.returncode == 3, first.stderr
    assert "read 6, published 5, rejected 1" in first.stdout
    assert "line 7: 納期限: no such calendar date" in first.stdout
    assert "line 7: 金額: must be a positive amount" in first.stdout
    report = (tmp_path / "tax_export.csv.rejected.csv").read_text(encoding="utf-8-sig")
    assert "tax_export.csv,7,納期限,no such calendar date" in report
    assert "山﨑" not in report and "髙橋" not in first.stdout + first.stderr

    collection = services["collection"].url
    lookup = poll(f"{collection}/debtor-lookup", {"department": "tax", "source_person_id": person},
                  lambda body: bool(body["debtor_ids"]), staff["viewer"], what="the debtor to appear",
                  method="POST")
    (debtor_id,) = lookup["debtor_ids"]

    def settled(body: dict) -> bool:  # type: ignore[type-arg]
        return len(body["claims"]) == 2 and sum(c["paid"] for c in body["claims"]) == 12300

    view = poll(f"{collection}/debtors/{debtor_id}", {"as_of": "2024-10-01"}, settled, staff["viewer"],
                what="claims and payments")
    first_claim, second_claim = view["claims"]
    assert (first_claim["balance"], first_claim["status"]) == (0, "paid")
    assert (second_claim["balance"], second_claim["status"]) == (12300, "delinquent")
    assert second_claim["arrears_class"] == "current_year" and second_claim["legal_category"] == "forced_public"
    assert view["balance"] == 12300 and view["overpayments"] == [] and view["parked_payments"] == []

    # Import the same file again, then push one more claim for the same person over HTTP. Messages of one
    # person stay in one partition, so once the new claim shows, the re-import has been fully consumed.
    again = run_import(e2e_env, path)
    assert again.returncode == 3 and "published 0" in again.stdout and "imported before" in again.stdout
    sentinel = export_file(tmp_path / "sentinel.csv", csv_line(
        処理区分="調定", **who, **{**claim, "期別": "3", "納期限": "令和6年10月31日", "金額": "12300"}))
    pushed = httpx.post(f"{services['tax_adapter'].url}/imports", params={"file_name": "sentinel.csv"},
                        content=sentinel.read_bytes(), headers=department_headers("tax"), timeout=30)
    assert pushed.status_code == 200 and pushed.json()["published"] == 1
    view = poll(f"{collection}/debtors/{debtor_id}", {"as_of": "2024-11-30"},
                lambda body: len(body["claims"]) == 3, staff["viewer"], what="the pushed claim")
    assert [c["paid"] for c in view["claims"]] == [12300, 0, 0]
    assert view["balance"] == 2 * 12300 and view["delinquent_balance"] == 2 * 12300

    async def stored() -> tuple[int, int, int, int]:
        conn = await asyncpg.connect(infrastructure.database_urls["collection"])
        try:
            claims = await conn.fetchval("SELECT count(*) FROM claims WHERE debtor_id = $1", debtor_id)
            payments = await conn.fetchval("SELECT count(*) FROM payments WHERE debtor_id = $1", debtor_id)
            reversals = await conn.fetchval("SELECT count(*) FROM payment_reversals WHERE debtor_id = $1", debtor_id)
            audits = await conn.fetchval(
                "SELECT count(*) FROM audit_log WHERE subject = $1 AND actor = 'e2e-viewer' "
                "AND action = 'read_debtor'", debtor_id)
            return claims, payments, reversals, audits
        finally:
            await conn.close()

    claims, payments, reversals, audits = asyncio.run(stored())
    assert (claims, payments, reversals) == (3, 2, 1), "every record stored exactly once"
    assert audits >= 2, "each read of the debtor ledger is audit-logged"


def test_rejected_lines_reach_the_quarantine_topic(
    services: dict[str, RunningService], infrastructure: Infrastructure, tmp_path: Path
) -> None:
    bad = csv_line(処理区分="調定", 宛名番号=f"Q{uuid.uuid4().hex[:8]}", 氏名="齋藤 一", 税目="犬税", 年度="2024",
                   期別="1", 通知書番号="Q", 納期限="2024-05-31", 金額="100", 処理日="2024-04-10")
    response = httpx.post(f"{services['tax_adapter'].url}/imports", params={"file_name": "bad.csv"},
                          content=export_file(tmp_path / "bad.csv", bad).read_bytes(),
                          headers=department_headers("tax"), timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert (body["read"], body["published"], body["rejected"]) == (1, 0, 1)
    assert body["rejections"] == [{"line": 2, "problems": [
        {"field": "税目", "reason": "unknown value; expected one of 市県民税, 市民税・県民税, 個人住民税, 固定資産税, "
                                   "固定資産税・都市計画税, 軽自動車税"}]}]

    async def quarantined() -> list[dict]:  # type: ignore[type-arg]
        consumer = AIOKafkaConsumer(INGEST_QUARANTINE.name, bootstrap_servers=infrastructure.kafka_bootstrap_servers,
                                    auto_offset_reset="earliest", group_id=f"e2e-{uuid.uuid4().hex}",
                                    isolation_level="read_committed")
        await consumer.start()
        found: list[dict] = []  # type: ignore[type-arg]
        try:
            deadline = time.monotonic() + 30
            while not found and time.monotonic() < deadline:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    found += [json.loads(r.value) for r in batch
                              if json.loads(r.value)["correlation_id"] == body["correlation_id"]]
        finally:
            await consumer.stop()
        return found

    (entry,) = asyncio.run(quarantined())
    assert entry["line"] == 2 and entry["raw"] == bad and entry["problems"][0]["field"] == "税目"


def test_unreadable_upload_is_refused_with_the_reason(services: dict[str, RunningService]) -> None:
    response = httpx.post(f"{services['tax_adapter'].url}/imports", params={"file_name": "utf8.csv"},
                          content=(",".join(COLUMNS) + "\r\n調定\r\n").encode("utf-8"),
                          headers=department_headers("tax"), timeout=30)
    assert response.status_code == 422
    assert "UTF-8" in response.json()["detail"] and "utf8.csv" in response.json()["detail"]
