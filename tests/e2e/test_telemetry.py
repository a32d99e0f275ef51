"""Operations can follow any payment through every service, and telemetry carries no personal data.

Runs after the other end-to-end tests in this folder (file order), so the span and log searches cover
everything they did too: imports with rejections, API reads, the whole synthetic city."""

from __future__ import annotations

import importlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jaconv
import pytest

from contracts import PaymentReceived, PersonReference
from contracts.sources import SOURCES
from shared.japanese_dates import to_wareki
from tests import figures
from tests.conftest import ImportedCity
from tests.e2e.telemetry import SpanCollector

pytestmark = pytest.mark.e2e

def parsed_city(city: Path) -> dict[str, list[Any]]:
    result = {}
    for row in SOURCES:
        module = importlib.import_module(row.format_module)
        result[row.adapter] = module.parse_export((city / row.export_file).read_bytes(), file_name=row.export_file,
                                                  produced_at=lambda: datetime.now(UTC)).accepted
    return result


def wait_for(collector: SpanCollector, predicate, timeout: float = 30) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        spans = predicate()
        if spans:
            return spans  # type: ignore[no-any-return]
        time.sleep(0.3)
    raise AssertionError("the expected spans did not arrive")


def test_one_payment_is_one_connected_trace_through_every_service(
    imported_city: ImportedCity, span_collector: SpanCollector
) -> None:
    accepted = parsed_city(imported_city.path)["tax_adapter"]
    payment = next(a.message for a in accepted if isinstance(a.message.payload, PaymentReceived))
    message_id = str(payment.message_id)

    def whole_trace() -> list[dict[str, Any]]:
        published = [s for s in span_collector.snapshot() if s.get("tags", {}).get("messaging.message.id") == message_id
                     and s["localEndpoint"]["serviceName"] == "tax-adapter"]
        if not published:
            return []
        spans = span_collector.trace(published[0]["traceId"])
        services = {s["localEndpoint"]["serviceName"] for s in spans}
        applied = [s for s in spans if s["name"] == "billing.matched-events.v1 apply"]
        if not applied or not {"tax-adapter", "debtor-matching", "collection"} <= services:
            return []
        # collection applies a batch in one transaction: the message's span names the batch's span, whose
        # children are the statements (in the trace of the batch's first message)
        batch_id = applied[0]["tags"].get("messaging.batch.span_id")
        everything = span_collector.snapshot()
        batch = [s for s in everything if s["id"] == batch_id and s["name"] == "billing.matched-events.v1 apply batch"]
        sql = [s for s in everything if s.get("parentId") == batch_id and "db.system" in s.get("tags", {})]
        return spans if batch and sql else []

    spans = wait_for(span_collector, whole_trace)
    by_id = {s["id"]: s for s in spans}
    roots = [s for s in spans if s.get("parentId") not in by_id]
    assert len(roots) == 1 and roots[0]["localEndpoint"]["serviceName"] == "tax-adapter", "one connected trace"
    names = {(s["localEndpoint"]["serviceName"], s["name"]) for s in spans}
    assert ("tax-adapter", "billing.source-events.v1 publish") in names
    assert ("debtor-matching", "billing.source-events.v1 match") in names
    assert ("debtor-matching", "billing.matched-events.v1 publish") in names
    assert ("collection", "billing.matched-events.v1 apply") in names
    for span in spans:  # service name, version and environment on every span
        tags = span.get("tags", {})
        assert tags.get("service.version") and tags.get("deployment.environment"), span["name"]
    match = next(s for s in spans if s["name"] == "billing.source-events.v1 match")
    assert match["tags"]["messaging.message.id"] == message_id
    assert by_id[match["parentId"]]["localEndpoint"]["serviceName"] == "tax-adapter"  # continued across Kafka


def personal_values(city: Path) -> set[str]:
    people: list[PersonReference] = []
    for accepted in parsed_city(city).values():
        for item in accepted:
            payload = item.message.payload
            people.append(payload.person)
            people += [related.person for related in getattr(payload, "related_persons", ())]
    values: set[str] = set()
    for person in people:
        for text in (person.name_kanji, person.name_kana, person.address, person.phone):
            if text and len(text) >= 4:
                values |= {text, text.replace(" ", ""), jaconv.z2h(text, kana=True, ascii=False, digit=False)}
        if person.birth_date:
            values |= {person.birth_date.isoformat(), to_wareki(person.birth_date)}
    # The tax end-to-end test's resident, too.
    values |= {"愛知県豊田市西町3丁目60番地", "0565-31-1212", "1975-04-01", "昭和50年4月1日", "ﾀｶﾊｼ ｲﾁﾛｳ", "タカハシ イチロウ"}
    return values


def test_no_personal_value_in_any_span_or_log_line(
    imported_city: ImportedCity, span_collector: SpanCollector, service_logs: Path
) -> None:
    time.sleep(1)  # the last batch of spans (exported every 200 ms)
    spans = span_collector.snapshot()
    logs = [path.read_text(encoding="utf-8", errors="replace") for path in sorted(service_logs.glob("*.log"))]
    assert len(spans) > 1000 and all(logs), "there must be telemetry to search"
    haystacks = {"spans": "\n".join(json.dumps(span, ensure_ascii=False) for span in spans),
                 "service logs": "\n".join(logs), "command output": "\n".join(imported_city.outputs)}
    values = personal_values(imported_city.path)
    assert len(values) > 500
    leaks = [(where, value) for value in sorted(values) for where, text in haystacks.items() if value in text]
    figures.report(f"telemetry: searched {len(spans)} spans and {sum(len(log.splitlines()) for log in logs)} log "
                   f"lines for {len(values)} personal values: {len(leaks)} found")
    assert leaks == [], leaks[:10]
