"""Peak memory of the batch import command on a large file (issue 21: bounded for any file size, ≤ 512 MiB).

``python -m tools.benchmarks.import_memory --megabytes 300`` writes a water export of about that size (every
line a 請求 of its own customer, so two claims a line), runs ``python -m shared.ingest water import`` on it
against KAFKA_BOOTSTRAP_SERVERS, and prints the command's peak resident memory (the kernel's ru_maxrss of the
child), its time and what it printed. ``--parse-only`` runs the same parse (check pass and publishing pass,
records discarded instead of sent) without Kafka, to see the parser's own memory quickly. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from contracts.sources import source
from services.water_adapter.export_format import COLUMNS

ROOT = Path(__file__).resolve().parents[2]


def write_water_export(path: Path, megabytes: int) -> int:
    """A CP932 water export of about ``megabytes`` MB; returns its line count."""
    run = uuid.uuid4().hex[:6]
    values = {"レコード区分": "請求", "個人法人区分": "1", "氏名又は名称": "山﨑 太郎", "カナ": "ﾔﾏｻｷ ﾀﾛｳ",
              "生年月日": "昭和60年1月15日", "郵便番号": "471-0001", "設置場所住所": "豊田市髙岡町1-2",
              "電話番号": "0565-00-1111", "年度": "令和6", "期": "3", "使用期間開始": "令和6年6月16日",
              "使用期間終了": "令和6年8月15日", "納期限": "令和6年9月30日", "上水道料金": "5280",
              "下水道使用料": "4620", "処理日": "令和6年9月2日"}
    template = ",".join("{" + c + "}" if c in ("お客様番号", "水栓番号") else values.get(c, "") for c in COLUMNS)
    target, written, lines = megabytes * 1_000_000, 0, 0
    with path.open("wb") as out:
        while written < target:
            block = "".join(template.format(お客様番号=f"{run}{n:09d}", 水栓番号=f"W{run}{n:09d}") + "\r\n"
                            for n in range(lines, lines + 10_000)).encode("cp932")
            out.write(block)
            written += len(block)
            lines += 10_000
    return lines


PARSE_ONLY = """
import sys
from pathlib import Path
from shared.ingest.adapter import _parse_file, adapter_spec
SPEC = adapter_spec("water")
parsed = _parse_file(SPEC, Path(sys.argv[1]), SPEC.settings())
seen = sum(1 for _ in parsed.iter_accepted())
print(f"{type(parsed).__name__}: {seen:,} records parsed, {len(parsed.rejected)} rejected")
"""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.import_memory",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    parser.add_argument("--parse-only", action="store_true", help="parse as the import does, without Kafka")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(tmp) / "water_export.csv"
        lines = write_water_export(path, args.megabytes)
        size = path.stat().st_size
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": args.bootstrap_servers, "INGEST_CHUNK_SIZE": "5000"}
        started = time.perf_counter()
        command = [sys.executable, *source("water").command("import", str(path), "--no-progress")]
        if args.parse_only:
            command = [sys.executable, "-c", PARSE_ONLY, str(path)]
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out = (child.stdout.read() if child.stdout else b"").decode(errors="replace")
        err = (child.stderr.read() if child.stderr else b"").decode(errors="replace")
    print(f"water export: {size / 1e6:,.0f} MB, {lines:,} lines ({2 * lines:,} claims)")
    print(f"import: exit {os.waitstatus_to_exitcode(status)}, {seconds:,.0f} s, "
          f"peak resident memory {usage.ru_maxrss / 1024:,.0f} MiB")
    print(out.strip() or err.strip()[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
