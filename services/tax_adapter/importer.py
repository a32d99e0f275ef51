"""Publishing a parsed export: accepted records to the billing topic, rejected lines to quarantine.

Message ids derive from the tax system's own keys, so importing the same file again (or again after a crash
half-way) publishes the same ids and consumers apply each record once. The summary says what happened.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker
from opentelemetry import trace
from tqdm import tqdm

from contracts.topics import BILLING_SOURCE, INGEST_QUARANTINE
from services.tax_adapter.export_format import SOURCE_SYSTEM, ParsedExport, Rejection
from shared.kafka import envelope_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

CONFIRM_BATCH = 1000


@dataclass
class ImportSummary:
    file_name: str
    correlation_id: str
    read: int
    published: int
    rejected: int
    rejections: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "file_name": self.file_name,
            "correlation_id": self.correlation_id,
            "read": self.read,
            "published": self.published,
            "rejected": self.rejected,
            "rejections": [
                {"line": r.line, "problems": [{"field": p.field, "reason": p.reason} for p in r.problems]}
                for r in self.rejections
            ],
        }


def rejection_report(summary: ImportSummary) -> str:
    """CSV for staff: file, line, field, reason (no values: the line number points into the source file)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["file", "line", "field", "reason"])
    for rejection in summary.rejections:
        for problem in rejection.problems:
            writer.writerow([summary.file_name, rejection.line, problem.field, problem.reason])
    return out.getvalue()


async def publish_export(broker: KafkaBroker, parsed: ParsedExport, *, progress: bool = False) -> ImportSummary:
    with tracer.start_as_current_span(
        "tax-adapter import",
        attributes={"import.correlation_id": parsed.correlation_id, "import.lines": parsed.lines_read,
                    "import.rejected": len(parsed.rejected)},
    ):
        bar = tqdm(total=parsed.lines_read, unit="rows", desc="publishing", disable=not progress)
        published = 0
        pending: list[asyncio.Future[object]] = []
        try:
            for accepted in parsed.accepted:
                pending.append(
                    await broker.publish(
                        accepted.message.model_dump_json().encode(),
                        BILLING_SOURCE.name,
                        key=accepted.key.encode(),
                        headers=envelope_headers(accepted.message),
                        correlation_id=parsed.correlation_id,
                        no_confirm=True,
                    )
                )
                if len(pending) >= CONFIRM_BATCH:
                    await asyncio.gather(*pending)
                    published += len(pending)
                    bar.update(len(pending))
                    pending.clear()
            await asyncio.gather(*pending)
            published += len(pending)
            bar.update(len(pending))
            for rejection in parsed.rejected:
                await broker.publish(
                    json.dumps(
                        {
                            "source_system": SOURCE_SYSTEM,
                            "file_name": parsed.file_name,
                            "correlation_id": parsed.correlation_id,
                            "line": rejection.line,
                            "raw": rejection.raw,
                            "problems": [{"field": p.field, "reason": p.reason} for p in rejection.problems],
                        },
                        ensure_ascii=False,
                    ).encode(),
                    INGEST_QUARANTINE.name,
                    key=f"{SOURCE_SYSTEM}:{parsed.correlation_id}:{rejection.line}".encode(),
                    headers={"content-type": "application/json", "source-system": SOURCE_SYSTEM},
                )
                bar.update(1)
        finally:
            bar.close()
        log.info("import published", extra={"correlation_id": parsed.correlation_id, "read": parsed.lines_read,
                                            "published": published, "rejected": len(parsed.rejected)})
        return ImportSummary(parsed.file_name, parsed.correlation_id, parsed.lines_read, published,
                             len(parsed.rejected), parsed.rejected)
