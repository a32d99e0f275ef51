"""Ingest benchmark: generate a synthetic city, then parse and publish every department's export to Kafka.

``python -m tools.benchmarks.ingest --households 43000`` (≈1,000,000 claims) against the Kafka of ``make up``
(or KAFKA_BOOTSTRAP_SERVERS). Prints, per adapter, records, parse time and publish rate; figures are printed,
never asserted. Each run uses a new seed unless --seed is given, so nothing is skipped as already imported.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from contracts.sources import SOURCES
from shared.ingest.publisher import publish_import
from shared.kafka import ensure_topics
from tools.synthetic_city.__main__ import write_city

ADAPTERS = tuple((row.code, row.format_module, row.export_file) for row in SOURCES)  # contracts/sources.py


async def run(households: int, seed: int, bootstrap: str, out: Path) -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; Kafka {bootstrap}")
    started = time.perf_counter()
    summary = write_city(out, households, seed, "default", 2024, date(2025, 1, 31),
                         log=lambda line: print(f"  {line}", file=sys.stderr))
    generated = time.perf_counter() - started
    print(f"generated {summary['claims']:,} claims for {summary['residents']:,} residents in {generated:.1f} s")
    await ensure_topics(bootstrap)
    rows = []
    total_records, total_seconds = 0, 0.0
    for name, module_name, file_name in ADAPTERS:
        module = importlib.import_module(module_name)
        data = (out / file_name).read_bytes()
        t0 = time.perf_counter()
        parsed = module.parse_export(data, file_name=file_name, produced_at=lambda: datetime.now(UTC))
        t1 = time.perf_counter()
        result = await publish_import(bootstrap, parsed, chunk_size=5000)
        t2 = time.perf_counter()
        records = len(parsed.accepted)
        total_records += records
        total_seconds += t2 - t0
        rows.append((name, records, len(parsed.rejected), t1 - t0, t2 - t1, records / (t2 - t0)))
        assert result.published == records
    print()
    print("| adapter | records | rejected | parse s | publish s | records/s (parse+publish) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, records, rejected, parse_s, publish_s, rate in rows:
        print(f"| {name} | {records:,} | {rejected} | {parse_s:.1f} | {publish_s:.1f} | {rate:,.0f} |")
    print(f"| all | {total_records:,} | | | | {total_records / total_seconds:,.0f} |")
    print(f"\nimport of {summary['claims']:,} claims and their payments: {total_seconds:.0f} s "
          f"(+ {generated:.0f} s to generate the city)")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=43000, help="43,000 households ≈ 1,000,000 claims")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp:
        asyncio.run(run(args.households, seed, args.bootstrap_servers, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
