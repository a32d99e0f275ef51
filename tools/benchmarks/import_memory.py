"""Peak memory of the batch import command on large files (issue 21: bounded for any file size, ≤ 512 MiB).

``python -m tools.benchmarks.import_memory --megabytes 300`` writes, for every adapter's format (tax CP932 CSV,
insurance fixed-width CP932, childcare UTF-8 CSV, housing JSON, water CP932 CSV), an export of about that size
whose records are the adapter's own sample assessment with ids of their own (so nothing is a repeat and nothing
was imported before), and one just under the size above which the command streams (STREAM_THRESHOLD_BYTES:
the largest file it reads whole). It runs ``python -m shared.ingest <source> import FILE`` on each against
KAFKA_BOOTSTRAP_SERVERS and prints the command's peak resident memory (the kernel's ru_maxrss of the child),
its time and what it printed, against the 512 MiB target. ``--parse-only`` runs the same parse (check pass and
publishing pass, records discarded instead of sent) without Kafka. ``--save`` writes the table into
docs/benchmarks.md. Figures are printed, never asserted; a run whose import did not publish every record
says so (a figure of a failed import is no figure).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from services.insurance_adapter.export_format import OFFSETS
from shared.ingest.streaming import STREAM_THRESHOLD_BYTES

ROOT = Path(__file__).resolve().parents[2]
TARGET_MIB = 512
SAMPLES = ROOT / "services"
MARKERS = ("<!-- import-memory:begin -->", "<!-- import-memory:end -->")


@dataclass(frozen=True)
class Format:
    name: str
    file_name: str
    head: bytes  # written once at the start of the file
    record: Callable[[int], bytes]  # the n-th record with its separator
    tail: bytes = b""
    claims_per_record: int = 1


def _csv_format(name: str, sample: str, encoding: str, ids: dict[str, str], columns: tuple[str, ...] | None,
                run: str, claims: int = 1) -> Format:
    """The sample's first assessment line, with ``ids`` (column → prefix) numbered per record."""
    text = (SAMPLES / f"{name}_adapter" / "samples" / sample).read_bytes().decode(encoding).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    header = columns or tuple(rows[0])
    first = next(r for r in rows[0 if columns else 1:] if r and r[0] in ("調定", "請求"))
    for column, prefix in ids.items():
        first[header.index(column)] = f"{prefix}{run}\x00"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(first)
    template = out.getvalue().replace("{", "{{").replace("}", "}}").replace("\x00", "{n:09d}")
    head = b"" if columns else (",".join(header) + "\r\n").encode(encoding)
    return Format(name, sample.replace("_sample", ""), head,
                  lambda n: template.format(n=n).encode(encoding), claims_per_record=claims)


def _insurance(run: str) -> Format:
    """The sample's first record (400 bytes, CP932) with 納付義務者番号 and 通知書番号 numbered per record."""
    sample = (SAMPLES / "insurance_adapter" / "samples" / "insurance_export_sample.txt").read_bytes()
    first = next(line for line in sample.splitlines() if line.startswith(b"11"))
    person, notice = OFFSETS["納付義務者番号"], OFFSETS["通知書番号"]

    def record(n: int) -> bytes:
        line = bytearray(first)
        line[person[0]:person[1]] = f"P{run[:2]}{n:07d}".encode()
        line[notice[0]:notice[1]] = f"{run[:3]}{n:09d}".encode()
        return bytes(line) + b"\r\n"

    return Format("insurance", "insurance_export.txt", b"", record)


def _housing(run: str) -> Format:
    """The sample's first rent assessment (tenant, guarantor, 異体字 names) for a tenancy of its own per record."""
    sample = json.loads((SAMPLES / "housing_adapter" / "samples" / "housing_events_sample.json").read_bytes())
    event = next(e for e in sample["events"] if e["type"] == "rent_assessed")
    event["tenancy"]["contract_no"] = f"C{run}-@N@"
    event["tenant"]["id"] = f"T{run}@N@"
    template = json.dumps(event, ensure_ascii=False).replace("{", "{{").replace("}", "}}").replace("@N@", "{n:09d}")
    return Format("housing", "housing_events.json",
                  b'{"format": "housing-events", "version": 1, "events": [\n',
                  lambda n: (",\n" if n else "").encode() + template.format(n=n).encode(), tail=b"\n]}\n")


def formats(run: str) -> list[Format]:
    from services.water_adapter.export_format import COLUMNS as WATER_COLUMNS

    return [
        _csv_format("tax", "tax_export_sample.csv", "cp932", {"宛名番号": "9", "通知書番号": "8"}, None, run),
        _insurance(run),
        _csv_format("childcare", "childcare_export_sample.csv", "utf-8",
                    {"保護者番号": "P", "児童番号": "C"}, None, run),
        _housing(run),
        # one 請求 line holds the water and the sewer charge: two claims
        _csv_format("water", "water_export_sample.csv", "cp932", {"お客様番号": "7", "水栓番号": "W"},
                    WATER_COLUMNS, run, claims=2),
    ]


def write_export(fmt: Format, path: Path, size: int) -> int:
    """A file of ``fmt`` of at most ``size`` bytes, as many records as fit; returns its record count."""
    written, count = len(fmt.head) + len(fmt.tail), 0
    with path.open("wb") as out:
        out.write(fmt.head)
        while written + len(record := fmt.record(count)) <= size:
            out.write(record)
            written += len(record)
            count += 1
        out.write(fmt.tail)
    return count


PARSE_ONLY = """
import sys
from pathlib import Path
from shared.ingest.adapter import _parse_file, adapter_spec
spec = adapter_spec(sys.argv[2])
parsed = _parse_file(spec, Path(sys.argv[1]), spec.settings())
seen = sum(1 for _ in parsed.iter_accepted())
print(f"{type(parsed).__name__}: read {parsed.records_read}, parsed {seen}, rejected {len(parsed.rejected)}")
"""


@dataclass
class Run:
    fmt: str
    megabytes: float
    records: int
    claims: int
    exit: int
    seconds: float
    peak_mib: float
    output: str

    @property
    def complete(self) -> bool:
        # the adapters count claims (a water line holds two)
        return self.exit == 0 and (f"published {self.claims}," in self.output or
                                   f"read {self.claims}, parsed {self.claims}, rejected 0" in self.output)

    def row(self) -> str:
        verdict = ("met" if self.peak_mib <= TARGET_MIB else "missed") if self.complete else \
            "no figure: the import did not complete"
        return (f"| {self.fmt} | {self.megabytes:,.0f} | {self.records:,} | {self.claims:,} | {self.seconds:,.0f} | "
                f"{self.peak_mib:,.0f} | {verdict} |")


def measure(fmt: Format, size: int, tmp: Path, bootstrap: str, parse_only: bool) -> Run:
    path = tmp / fmt.file_name
    records = write_export(fmt, path, size)
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "INGEST_CHUNK_SIZE": "5000",
           "DEPLOYMENT_ENVIRONMENT": os.environ.get("DEPLOYMENT_ENVIRONMENT", "development")}
    command = [sys.executable, "-m", "shared.ingest", fmt.name, "import", str(path), "--no-progress"]
    if parse_only:
        command = [sys.executable, "-c", PARSE_ONLY, str(path), fmt.name]
    started = time.perf_counter()
    with (tmp / "out.txt").open("w+b") as out, (tmp / "err.txt").open("w+b") as err:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # reaped here: its resource usage holds its peak memory
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text = out.read().decode(errors="replace").strip() or err.read().decode(errors="replace").strip()[-2000:]
    result = Run(fmt.name, path.stat().st_size / 1e6, records, records * fmt.claims_per_record, child.returncode,
                 seconds, usage.ru_maxrss / 1024, text)
    path.unlink()
    return result


def save(table: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    begin, end = MARKERS
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{doc}: no {begin} … {end} section to write into")
    doc.write_text(pattern.sub(lambda _: f"{begin}\n{table}\n{end}", text), encoding="utf-8")
    print(f"written into {doc}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.import_memory",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=300, help="size of the large file of each format")
    parser.add_argument("--formats", default="tax,insurance,childcare,housing,water")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    parser.add_argument("--parse-only", action="store_true", help="parse as the import does, without Kafka")
    parser.add_argument("--save", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    run = f"{random.randrange(10**6):06d}"
    wanted = args.formats.split(",")
    sizes = [("largest read whole", STREAM_THRESHOLD_BYTES), ("large", args.megabytes * 1_000_000)]
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        for fmt in [f for f in formats(run) if f.name in wanted]:
            for label, size in sizes:
                result = measure(fmt, size, Path(tmp), args.bootstrap_servers, args.parse_only)
                print(f"{fmt.name}, {label}: {result.megabytes:,.1f} MB, {result.records:,} records; exit "
                      f"{result.exit}, {result.seconds:,.0f} s, peak resident memory {result.peak_mib:,.0f} MiB; "
                      f"{result.output.splitlines()[0] if result.output else ''}", flush=True)
                runs.append(result)
    what = "parse only (no Kafka)" if args.parse_only else f"import command against Kafka {args.bootstrap_servers}"
    table = "\n".join([
        f"Run of {date.today().isoformat()}: {what}; files over {STREAM_THRESHOLD_BYTES / 2**20:,.0f} MiB are "
        f"streamed. Machine: {platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}.",
        "",
        f"| format | file MB | records | claims | seconds | peak resident memory (MiB) | ≤ {TARGET_MIB} MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        *(r.row() for r in runs),
    ])
    print()
    print(table)
    if args.save:
        save(table)
    return 0 if all(r.complete for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
