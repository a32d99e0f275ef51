"""A batch import while the broker stalls (issue 21, item 8): the broker is paused (SIGSTOP) once the import has
committed its first chunk (observed on the progress topic), the import must stop with exit 1 and the resume
instruction within its chunk deadline, with few log lines; after SIGCONT the same command resumes and every
record is on the topic exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contracts.sources import source
from contracts.topics import BILLING_SOURCE
from shared.ingest.publisher import read_progress
from tests.figures import report
from tests.infrastructure import ROOT, Infrastructure
from tests.integration.test_exactly_once_publication import parse, published, tax_file

pytestmark = pytest.mark.faults


def test_an_import_stops_with_exit_1_when_the_broker_stalls_and_resumes_after(
        infrastructure: Infrastructure, tmp_path: Path) -> None:
    if not infrastructure.controllable:
        pytest.skip(f"pausing the broker needs the native Kafka, not {infrastructure.source}")
    count, chunk = 6000, 500
    data = tax_file(count)
    path = tmp_path / "stall.csv"
    path.write_bytes(data)
    key = parse(data).import_key
    env = {**infrastructure.service_env(), "INGEST_CHUNK_SIZE": str(chunk), "INGEST_CHUNK_DEADLINE_SECONDS": "8"}
    command = [sys.executable, *source("tax").command("import", str(path), "--no-progress")]
    pid = int((Path(infrastructure.env["COLLECTION_RUN_DIR"]) / "kafka" / "kafka.pid").read_text())
    started = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    paused = False
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and started.poll() is None:  # the observed state: a chunk committed
            done = asyncio.run(read_progress(infrastructure.kafka_bootstrap_servers, key)).accepted_done
            if done > 0:
                break
            time.sleep(0.2)
        assert started.poll() is None, "the import finished before the broker could be paused; use a larger file"
        os.kill(pid, signal.SIGSTOP)
        paused = True
        stopped_at = time.monotonic()
        out, err = started.communicate(timeout=180)
        waited = time.monotonic() - stopped_at
    finally:
        if paused:
            os.kill(pid, signal.SIGCONT)
        if started.poll() is None:
            started.kill()
    assert started.returncode == 1, out + err
    assert "run the same command again" in err
    log_lines = [line for line in (out + err).splitlines() if '"level": "ERROR"' in line or '"level": "WARNING"' in line]
    assert len(log_lines) <= 20, f"{len(log_lines)} warning/error lines while the broker stalled"

    resumed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resumed after" in resumed.stdout
    seen = asyncio.run(published(infrastructure, BILLING_SOURCE.name, key, count))
    duplicated = sum(n - 1 for n in seen.values() if n > 1)
    report(f"broker paused mid-import: stopped after {waited:.0f} s with exit 1, {len(log_lines)} log lines; "
           f"resumed: sent {count}, stored {len(seen)}, duplicated {duplicated}, lost {count - len(seen)}")
    assert len(seen) == count and duplicated == 0
