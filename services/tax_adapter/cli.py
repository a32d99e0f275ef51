"""Batch import of a tax export file: ``python -m services.tax_adapter import FILE``.

Exit status: 0 every line published; 3 the file was imported but some lines were rejected (see the report);
1 the file could not be read or Kafka did not take the messages (re-run the same command: ids are stable,
so nothing is published twice downstream).
"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from services.tax_adapter.export_format import ExportFormatError, parse_export
from services.tax_adapter.importer import publish_export, rejection_report
from services.tax_adapter.settings import TaxAdapterSettings
from shared.kafka import create_broker
from shared.logging import setup_logging
from shared.serve import serve
from shared.telemetry import setup_telemetry, shutdown_telemetry

EXIT_OK, EXIT_FAILED, EXIT_REJECTIONS = 0, 1, 3


async def _import(path: Path, report: Path, progress: bool, settings: TaxAdapterSettings) -> int:
    try:
        parsed = parse_export(path.read_bytes(), file_name=path.name, produced_at=lambda: datetime.now(UTC),
                              category_overrides=settings.receivable_category_overrides)
    except ExportFormatError as exc:
        print(f"{path.name}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    broker = create_broker(settings.kafka_bootstrap_servers, client_id="tax-adapter")
    await broker.start()
    try:
        summary = await publish_export(broker, parsed, progress=progress)
    finally:
        await broker.stop()
    print(f"{path.name}: read {summary.read}, published {summary.published}, rejected {summary.rejected}")
    if summary.rejected:
        report.write_text(rejection_report(summary), encoding="utf-8-sig")
        for rejection in summary.rejections[:20]:
            for problem in rejection.problems:
                print(f"  line {rejection.line}: {problem.field}: {problem.reason}")
        print(f"rejection report: {report}")
        return EXIT_REJECTIONS
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tax_adapter", description="Tax department adapter")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="publish a CP932 tax export file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--report", type=Path, help="where to write rejected lines (default: FILE.rejected.csv)")
    imp.add_argument("--no-progress", action="store_true", help="no progress bar")
    sub.add_parser("serve", help="run the HTTP endpoint for pushed exports (POST /imports)")
    args = parser.parse_args(argv)
    settings = TaxAdapterSettings()
    if args.command == "serve":
        serve("services.tax_adapter.app:create_app", settings)
        return EXIT_OK
    setup_logging("tax-adapter", settings.log_level)
    setup_telemetry("tax-adapter", environment=settings.environment)
    if not args.file.is_file():
        print(f"{args.file}: no such file", file=sys.stderr)
        return EXIT_FAILED
    report = args.report or args.file.with_name(args.file.name + ".rejected.csv")
    try:
        return asyncio.run(_import(args.file, report, not args.no_progress and sys.stderr.isatty(), settings))
    finally:
        shutdown_telemetry()
