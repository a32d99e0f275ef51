"""The whole pipeline at city scale on real Kafka and PostgreSQL: ``make bench`` (quick) or
``make bench BENCH_SIZE=full`` (about a million claims).

What it does, on infrastructure of its own (ports 39092/35432, state under ``.run/bench``, started empty and
stopped afterwards, so a running ``make up`` is not touched):

1. generates a synthetic city (cached under ``.run/bench``);
2. starts matching, collection, welfare referral and the lawyer gateway as processes (traces off);
3. imports every department's export with the adapters' own command, one after the other, as a nightly batch
   does, and follows the messages to the ledger: ingest records/s per adapter, matching's output rate,
   end-to-end messages/s from the first import to the last message stored, the time to cases;
4. sends new claims at a steady 1,000 messages/s (an adapter's messages, one in 20 sampled) and measures the
   time from the event to the claim being readable in collection's database, which is what the API reads;
5. reads the debtor 360 view with 50 concurrent clients;
6. stops the services (their peak memory is read from the kernel first) and measures raw Kafka on the same
   machine: the same messages produced to a topic of its own and consumed back, with no processing;
7. with ``--profile``, samples matching and collection with py-spy during the import and prints where their time
   goes.

Everything is printed as a table (figures, never asserted) and, with ``--save``, written to docs/benchmarks.md
in the section of its size, with the machine's description.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts import ClaimAssessed, new_envelope
from contracts.sources import SOURCES
from contracts.topics import BILLING_MATCHED, BILLING_SOURCE, TopicSpec
from services.insurance_adapter import export_format as insurance
from shared.kafka import ensure_topics, envelope_headers
from tools.synthetic_city.__main__ import write_city

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / ".run" / "bench"
SIZES = {"quick": 4_000, "full": 43_000}  # households; about 23 claims and 18 payments each
IDENTITIES = {"quick": 100_000, "full": 1_000_000}  # the matching store's size for the decision latency
BUSINESS_DATE = date(2025, 1, 31)
SEED = 20250131
DATABASES = ("matching", "collection", "lawyer_gateway", "welfare_referral")
SERVICES = ("matching", "collection", "welfare_referral", "lawyer_gateway")
RAW_TOPIC = TopicSpec("bench.raw.v1", BILLING_SOURCE.partitions, 3_600_000, "raw Kafka baseline of make bench")
TARGETS = {"end_to_end": 5_000, "latency_p99": 1.0, "debtor_p99": 0.050}


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- infrastructure and processes -------------------------------------------------------------------------------


def infra_env() -> dict[str, str]:
    return {**os.environ, "COLLECTION_RUN_DIR": str(RUN), "KAFKA_PORT": "39092", "KAFKA_CONTROLLER_PORT": "39093",
            "PG_PORT": "35432"}


def script(path: str, command: str) -> None:
    done = subprocess.run([str(ROOT / path), command], env=infra_env(), capture_output=True, text=True, timeout=600,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{path} {command} failed:\n{done.stdout}\n{done.stderr}")


@contextmanager
def infrastructure() -> Iterator[None]:
    """Kafka and PostgreSQL of the benchmark's own, empty at the start, stopped at the end."""
    for path in ("deploy/postgres/postgres.sh", "deploy/kafka/kafka.sh"):
        script(path, "stop")
        script(path, "reset")
        script(path, "start")
    try:
        yield
    finally:
        for path in ("deploy/kafka/kafka.sh", "deploy/postgres/postgres.sh"):
            with suppress(SystemExit):
                script(path, "stop")


BOOTSTRAP = "127.0.0.1:39092"


def database_url(name: str) -> str:
    password = os.environ.get(f"PG_PASSWORD_{name.upper()}", f"{name}-dev-password")
    return f"postgresql://{name}_svc:{password}@127.0.0.1:35432/{name}"


def service_env() -> dict[str, str]:
    return {**infra_env(), "KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP, "OTEL_TRACES_EXPORTER": "none", "OTEL_TRACES_SAMPLER": "always_off",
            "LOG_LEVEL": "WARNING", "BUSINESS_DATE": BUSINESS_DATE.isoformat(), "BENCH_STAFF_PASSWORD": "bench-password",
            **{f"{name.upper()}_DATABASE_URL": database_url(name) for name in DATABASES},
            **{f"{name.upper()}_HTTP_PORT": str(38000 + i) for i, name in enumerate(SERVICES)},
            # a development system on the published keys; collection is the one authority for staff accounts
            "DEPLOYMENT_ENVIRONMENT": os.environ.get("DEPLOYMENT_ENVIRONMENT", "development"),
            "STAFF_AUTHORITY_URL": f"http://127.0.0.1:{38000 + SERVICES.index('collection')}"}


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident memory (VmHWM), or None once it is gone."""
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def services() -> Iterator[dict[str, Service]]:
    env = service_env()
    logs = RUN / "services"
    logs.mkdir(parents=True, exist_ok=True)
    running: dict[str, Service] = {}
    try:
        for i, name in enumerate(SERVICES):
            out = (logs / f"{name}.log").open("wb")
            process = subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT, env=env, stdout=out,
                                       stderr=subprocess.STDOUT)
            running[name] = Service(name, f"http://127.0.0.1:{38000 + i}", process)
        deadline = time.monotonic() + 120
        for service in running.values():
            while True:
                with suppress(httpx.HTTPError):
                    if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                        break
                if service.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{service.name} did not start; see {logs / service.name}.log")
                time.sleep(0.3)
        yield running
    finally:
        for service in running.values():
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        for service in running.values():
            with suppress(subprocess.TimeoutExpired):
                service.process.wait(timeout=30)
            if service.process.poll() is None:
                service.process.kill()


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, 0 once it is gone."""
    with suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _postmaster() -> int:
    with suppress(OSError, ValueError):
        return int((RUN / "postgres" / "data" / "postmaster.pid").read_text().split()[0])
    return 0


def _cpu_of_tree(pid: int) -> float:
    """A parent's CPU seconds with its children's: the exited ones it reaped (cutime, cstime) and the live ones
    (PostgreSQL starts a process per connection)."""
    total = 0.0
    with suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with suppress(OSError, IndexError):
                    if (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                        total += _cpu_of(int(entry.name))
    return total


def _pids_named(fragment: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                if fragment in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds per component over a phase: each service, Kafka, PostgreSQL (all its processes), the
    adapters' imports and this benchmark process (the load generator), from /proc."""

    def __init__(self, running: dict[str, Service]):
        self.running = running

    def snapshot(self) -> dict[str, float]:
        shot = {name: _cpu_of(s.process.pid) for name, s in self.running.items()}
        shot["PostgreSQL"] = _cpu_of_tree(_postmaster())
        shot["Kafka"] = sum(_cpu_of(pid) for pid in _pids_named("kafka.Kafka"))
        shot["imports"] = sum(_cpu_of(pid) for pid in _pids_named(" import ") if pid != os.getpid())
        shot["benchmark (load)"] = _cpu_of(os.getpid())
        return shot

    @staticmethod
    def cores(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
        return {name: (after[name] - before.get(name, 0.0)) / seconds for name in after}


# --- figures ----------------------------------------------------------------------------------------------------


@dataclass
class Figures:
    size: str
    households: int
    claims: int = 0
    payments: int = 0
    messages: int = 0
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (measure, figure, target)
    adapters: list[tuple[str, int, float, float]] = field(default_factory=list)  # name, records, s, peak MiB
    memory: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)  # phase → component → cores used
    end_to_end_rate: float = 0.0

    def add(self, measure: str, figure: str, target: str = "") -> None:
        self.rows.append((measure, figure, target))
        log(f"{measure}: {figure}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def meets(value: float, target: float, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "missed"


# --- phases -----------------------------------------------------------------------------------------------------


async def stored_messages(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM processed_messages")


async def end_offsets(consumer: AIOKafkaConsumer, topic: TopicSpec) -> int:
    partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
    return sum((await consumer.end_offsets(partitions)).values())


async def ingest(figures: Figures, city: Path, collection: asyncpg.Pool, profile: bool,
                 running: dict[str, Service]) -> None:
    """Import every export with the adapters' command and follow the messages to the ledger."""
    watcher = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP)
    await watcher.start()
    matched_at: list[tuple[float, int]] = []
    stop_watch = asyncio.Event()

    async def watch_matching() -> None:
        while not stop_watch.is_set():
            matched_at.append((time.perf_counter(), await end_offsets(watcher, BILLING_MATCHED)))
            await asyncio.sleep(0.5)

    watch = asyncio.create_task(watch_matching())
    profilers = start_profilers(running, seconds=60, label="import") if profile else []
    meter = CpuMeter(running)
    cpu_before = meter.snapshot()
    started = time.perf_counter()
    published_total, import_cpu = 0, 0.0
    for row in SOURCES:  # every source system's export, with its adapter's import command
        package = row.adapter
        t0 = time.perf_counter()
        process = subprocess.Popen([sys.executable, *row.command("import", str(city / row.export_file),
                                                                 "--no-progress")],
                                   cwd=ROOT, env=service_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        peak = 0.0

        async def watch_memory(pid: int) -> None:
            nonlocal peak
            while (now := peak_rss_mib(pid)) is not None:
                peak = max(peak, now)
                await asyncio.sleep(0.2)

        memory = asyncio.create_task(watch_memory(process.pid))
        output = await asyncio.to_thread(process.stdout.read)
        memory.cancel()
        _, status, usage = os.wait4(process.pid, 0)
        import_cpu += usage.ru_utime + usage.ru_stime
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - t0
        text = output.decode(errors="replace")
        found = re.search(r"published (\d+)", text)
        if process.returncode != 0 or found is None:
            raise SystemExit(f"{package} import failed:\n{text}")
        published = int(found.group(1))
        published_total += published
        figures.adapters.append((package.removesuffix("_adapter"), published, elapsed, peak))
        log(f"{package}: {published:,} records in {elapsed:.1f} s")
    imported = time.perf_counter() - started
    figures.messages = published_total
    while (done := await stored_messages(collection)) < published_total:
        await asyncio.sleep(0.5)
        if time.perf_counter() - started > 3 * 3600:
            raise SystemExit(f"collection stored {done:,} of {published_total:,} messages in 3 hours")
    stored = time.perf_counter() - started
    by_type = {r["message_type"]: r["n"] for r in await collection.fetch(
        "SELECT message_type, count(*) AS n FROM processed_messages GROUP BY message_type")}
    figures.claims, figures.payments = by_type.get("ClaimAssessed", 0), by_type.get("PaymentReceived", 0)
    figures.cpu["batch import"] = {**CpuMeter.cores(cpu_before, meter.snapshot(), stored),
                                   "imports": import_cpu / stored}
    while await collection.fetchval("SELECT count(*) FROM case_refresh_queue"):
        await asyncio.sleep(0.5)
    cases = time.perf_counter() - started
    stop_watch.set()
    await watch
    await watcher.stop()
    for profiler in profilers:
        figures.profile += await finish_profiler(profiler)

    total_matched = matched_at[-1][1]
    first = next(t for t, n in matched_at if n > 0)
    last = next(t for t, n in matched_at if n >= total_matched)
    rate = published_total / stored
    figures.add("ingest: all adapters, records/s (parse, validate, publish exactly once)",
                f"{published_total / imported:,.0f}")
    figures.add("matching: messages/s (first to last matched)",
                f"{total_matched / max(last - first, 0.5):,.0f}")
    figures.add("end to end: claims + payments/s, first import to last stored in the ledger", f"{rate:,.0f}",
                f"≥ {TARGETS['end_to_end']:,} ({meets(rate, TARGETS['end_to_end'], True)})")
    figures.add(f"time to import the batch ({figures.claims:,} claims, {figures.payments:,} payments) "
                "to the ledger", f"{stored:,.0f} s")
    figures.add("… and until every case is recomputed", f"{cases:,.0f} s")
    figures.end_to_end_rate = rate


async def steady_latency(figures: Figures, city: Path, collection: asyncpg.Pool, seconds: int,
                         running: dict[str, Service], profile: bool, rate: int = 1_000,
                         sample_every: int = 20) -> None:
    """New claims of known people at a steady rate; the time from the event to the claim being readable in
    collection's database (polled every 25 ms for the sampled ones)."""
    parsed = insurance.parse_export((city / "insurance_export.txt").read_bytes(), file_name="latency.txt",
                                    produced_at=lambda: datetime.now(UTC))
    templates = [a for a in parsed.accepted if isinstance(a.message.payload, ClaimAssessed)]
    random.Random(SEED).shuffle(templates)
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=2, enable_idempotence=True)
    await producer.start()
    run = f"{int(time.time())}"
    sent_at: dict[tuple[str, str], float] = {}
    seen: dict[tuple[str, str], float] = {}
    total = rate * seconds
    done_sending = asyncio.Event()

    async def poll() -> None:
        while not (done_sending.is_set() and len(seen) == len(sent_at)):
            pending = [k for k in sent_at if k not in seen]
            if pending:
                rows = await collection.fetch(
                    "SELECT department, claim_id FROM claims c JOIN unnest($1::text[], $2::text[]) AS k(d, i) "
                    "ON c.department = k.d AND c.claim_id = k.i", [d for d, _ in pending], [i for _, i in pending])
                now = time.time()
                for r in rows:
                    seen.setdefault((r["department"], r["claim_id"]), now)
            await asyncio.sleep(0.025)

    before = await stored_messages(collection)
    poller = asyncio.create_task(poll())
    profilers = start_profilers(running, seconds=seconds, label="steady") if profile else []
    meter = CpuMeter(running)
    cpu_before = meter.snapshot()
    start = time.perf_counter()
    for n in range(total):
        template = templates[n % len(templates)]
        payload = template.message.payload.model_copy(update={"claim_id": f"{template.message.payload.claim_id}-L{run}-{n}"})
        now = datetime.now(UTC)
        message = new_envelope(payload, source_system=template.message.source_system,
                               department=template.message.department, occurred_at=now, produced_at=now,
                               correlation_id=f"bench-latency-{run}", source_keys=("bench-latency", run, str(n)))
        headers = [(k, v.encode()) for k, v in envelope_headers(message).items()]
        await producer.send(BILLING_SOURCE.name, message.model_dump_json().encode(), key=template.key.encode(),
                            headers=headers)
        if n % sample_every == 0:
            sent_at[(message.department.value, payload.claim_id)] = now.timestamp()
        if n % (rate // 100) == 0:  # pace in 10 ms steps
            ahead = start + n / rate - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)
    await producer.flush()
    sending = time.perf_counter() - start
    done_sending.set()
    try:
        await asyncio.wait_for(poller, timeout=120)
    except TimeoutError:
        figures.notes.append(f"{len(sent_at) - len(seen)} sampled claims were not visible 120 s after sending")
    await producer.stop()
    while await stored_messages(collection) < before + total:  # the backlog, if any, before the next phase
        await asyncio.sleep(0.5)
    drained = time.perf_counter() - start
    figures.cpu[f"steady {rate:,} msgs/s"] = CpuMeter.cores(cpu_before, meter.snapshot(), drained)
    for profiler in profilers:
        figures.profile += await finish_profiler(profiler)
    latencies = [seen[k] - sent_at[k] for k in seen]
    figures.add(f"steady load: messages sent/s (target rate {rate:,}, {seconds} s); all stored after",
                f"{total / sending:,.0f}; {drained:,.0f} s")
    p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
    figures.add(f"end-to-end latency p50 / p95 / p99 at {rate:,} msgs/s ({len(latencies)} sampled claims)",
                f"{p50 * 1000:,.0f} / {p95 * 1000:,.0f} / {p99 * 1000:,.0f} ms",
                f"p99 ≤ {TARGETS['latency_p99'] * 1000:,.0f} ms ({meets(p99, TARGETS['latency_p99'], False)})"
                if rate == 1_000 else "")


async def debtor_view_load(figures: Figures, collection: asyncpg.Pool, api: str, seconds: int,
                           clients: int = 50) -> None:
    """GET /debtors/{id} by 50 concurrent clients for random debtors (each read is audit-logged, as always)."""
    subprocess.run([sys.executable, "-m", "services.collection", "staff", "add", "bench-viewer", "--role", "viewer",
                    "--password-env", "BENCH_STAFF_PASSWORD"], cwd=ROOT, env=service_env(), check=True,
                   capture_output=True)
    token = httpx.post(f"{api}/auth/token", data={"username": "bench-viewer", "password": "bench-password"},
                       timeout=10).json()["access_token"]
    debtors = [r["debtor_id"] for r in await collection.fetch(
        "SELECT debtor_id FROM claims GROUP BY debtor_id ORDER BY random() LIMIT 5000")]
    stored = await collection.fetchval("SELECT count(*) FROM claims")
    timings: list[float] = []
    errors = Counter[int]()
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=30) as client:
        async def user(seed: int) -> None:
            pick = random.Random(seed)
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                response = await client.get(f"/debtors/{pick.choice(debtors)}")
                timings.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    errors[response.status_code] += 1

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    figures.add(f"debtor 360 (GET /debtors/{{id}}), {clients} concurrent clients, {stored:,} claims stored: "
                "p50 / p99", f"{p50 * 1000:,.0f} / {p99 * 1000:,.0f} ms",
                f"p99 ≤ {TARGETS['debtor_p99'] * 1000:,.0f} ms ({meets(p99, TARGETS['debtor_p99'], False)})")
    figures.add("debtor 360: requests/s (errors)", f"{len(timings) / elapsed:,.0f} ({sum(errors.values())})")


async def raw_kafka(figures: Figures) -> None:
    """The billing messages the adapters published, read back and produced to a topic of the benchmark's own,
    then consumed: Kafka and the Python client on this machine with no processing."""
    await ensure_topics(BOOTSTRAP, [RAW_TOPIC])
    records: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]] = []
    consumer = AIOKafkaConsumer(BILLING_SOURCE.name, bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest",
                                enable_auto_commit=False, isolation_level="read_committed", max_poll_records=5000,
                                fetch_max_bytes=64 << 20, max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    t0 = time.perf_counter()
    while len(records) < figures.messages:
        for batch in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
            records += [(r.key, r.value, list(r.headers)) for r in batch]
    consume_source = time.perf_counter() - t0
    await consumer.stop()
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True, linger_ms=5,
                                max_batch_size=1 << 20)
    await producer.start()
    t0 = time.perf_counter()
    for key, value, headers in records:
        await producer.send(RAW_TOPIC.name, value, key=key, headers=headers)
    await producer.flush()
    produce = time.perf_counter() - t0
    await producer.stop()
    consumer = AIOKafkaConsumer(RAW_TOPIC.name, bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest",
                                enable_auto_commit=False, max_poll_records=5000, fetch_max_bytes=64 << 20,
                                max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    t0 = time.perf_counter()
    got = 0
    while got < len(records):
        got += sum(len(b) for b in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values())
    consume = time.perf_counter() - t0
    await consumer.stop()
    n = len(records)
    raw = n / (produce + consume)
    figures.add("raw Kafka: produce msgs/s (acks=all, idempotent)", f"{n / produce:,.0f}")
    figures.add("raw Kafka: consume msgs/s", f"{n / consume:,.0f} (the adapters' topic: {n / consume_source:,.0f})")
    figures.add("raw Kafka: produce then consume, msgs/s", f"{raw:,.0f}")
    figures.add("end to end ÷ raw Kafka", f"{figures.end_to_end_rate / raw:.2f}")


def matching_store(figures: Figures, identities: int) -> None:
    """Matching's decision latency and batch rate against a store of ``identities`` (tools/benchmarks/
    matching_speed.py, in a database of its own on the benchmark's PostgreSQL): one record decided and committed
    at a time, and batches as the service resolves them."""
    script("deploy/postgres/postgres.sh", "start")
    create = subprocess.run([str(ROOT / "deploy/postgres/postgres.sh"), "psql", "-q", "-c",
                             "CREATE DATABASE matching_bench OWNER matching_svc"], env=infra_env(),
                            capture_output=True, text=True, check=False)
    if create.returncode != 0 and "already exists" not in create.stderr:
        raise SystemExit(f"could not create the matching store's database:\n{create.stderr}")
    url = database_url("matching").rsplit("/", 1)[0] + "/matching_bench"
    done = subprocess.run([sys.executable, "-m", "tools.benchmarks.matching_speed", "--identities", str(identities),
                           "--stream", "10000"], cwd=ROOT, env={**infra_env(), "MATCHING_BENCH_DATABASE_URL": url},
                          capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"matching_speed failed:\n{done.stdout}\n{done.stderr}")
    table = dict(re.findall(r"^\| (.+?) \| ([\d,./ ]+) \|", done.stdout, re.MULTILINE))
    p99 = table.get("one at a time: decision p99 (ms, incl. commit)", "?")
    batched = next((v for k, v in table.items() if k.startswith("batches of") and k.endswith("records/s")), "?")
    figures.add(f"matching against {identities:,} stored identities: decision p99, one record with its commit",
                f"{p99} ms", "≤ 10 ms")
    figures.add(f"matching against {identities:,} stored identities: records/s in batches", batched, "≥ 5,000")


# --- profiling --------------------------------------------------------------------------------------------------


@dataclass
class Profiler:
    name: str
    process: subprocess.Popen[bytes]
    out: Path


def start_profilers(running: dict[str, Service], seconds: int, label: str,
                    names: tuple[str, ...] = ("matching", "collection")) -> list[Profiler]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        log("py-spy is not installed: no profile")
        return []
    profilers = []
    for name in names:
        out = RUN / f"profile-{label.replace(' ', '-')}-{name}.txt"
        process = subprocess.Popen([py_spy, "record", "--pid", str(running[name].process.pid), "--duration",
                                    str(seconds), "--format", "raw", "--rate", "50", "--output", str(out),
                                    "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        profilers.append(Profiler(f"{name} ({label})", process, out))
    return profilers


async def finish_profiler(profiler: Profiler) -> list[str]:
    await asyncio.to_thread(profiler.process.wait)
    if not profiler.out.exists():
        return [f"{profiler.name}: py-spy wrote no profile"]
    return summarise_profile(profiler.name, profiler.out.read_text())


def summarise_profile(name: str, collapsed: str, top: int = 10) -> list[str]:
    """Collapsed stacks (``frame;frame;frame count``) → where the busy time goes: the project's own functions with
    the share of samples that had them on the stack, and the functions the samples were in (self time), idle
    waiting in the event loop left out."""
    own: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [re.sub(r":\d+\)", ")", f) for f in stack.split(";")]
        if "(selectors.py)" in frames[-1] or "select (" in frames[-1]:
            continue
        samples = int(count)
        total += samples
        leaf[frames[-1]] += samples
        for frame in dict.fromkeys(f for f in frames if re.search(r"\((services|shared|contracts)/", f)):
            own[frame] += samples
    lines = [f"{name}: {total} busy samples at 50 Hz; the project's functions (share of busy samples on the stack)"]
    lines += [f"  {n / max(total, 1):6.1%}  {frame}" for frame, n in own.most_common(top)]
    lines.append(f"{name}: where the samples were (self time)")
    lines += [f"  {n / max(total, 1):6.1%}  {frame}" for frame, n in leaf.most_common(top)]
    return lines


# --- report -----------------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    return f"{cpu}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}; Kafka 4.1.1 (one KRaft " \
           f"node) and PostgreSQL on the same host"


def report(figures: Figures) -> str:
    lines = [f"Run of {datetime.now():%Y-%m-%d}, size {figures.size}: {figures.households:,} households, "
             f"{figures.claims:,} claims, {figures.payments:,} payments ({figures.messages:,} messages with the "
             f"other billing events). Machine: {machine()}. Services as processes, traces off.", "",
             "| measure | figure | target |", "| --- | ---: | --- |"]
    lines += [f"| {m} | {f} | {t} |" for m, f, t in figures.rows]
    lines += ["", "| adapter | records | s | records/s | peak MiB |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {n} | {r:,} | {s:.1f} | {r / s:,.0f} | {m:,.0f} |" for n, r, s, m in figures.adapters]
    if figures.cpu:
        phases = list(figures.cpu)
        lines += ["", "| CPU (cores) | " + " | ".join(phases) + " |", "| --- |" + " ---: |" * len(phases)]
        for component in figures.cpu[phases[0]]:
            lines.append(f"| {component} | " + " | ".join(f"{figures.cpu[p].get(component, 0.0):.2f}"
                                                          for p in phases) + " |")
    lines += ["", "| process | peak memory (MiB) |", "| --- | ---: |"]
    lines += [f"| {n} | {m:,.0f} |" for n, m in figures.memory.items()]
    if figures.notes:
        lines += [""] + [f"- {n}" for n in figures.notes]
    if figures.profile:
        lines += ["", "```"] + figures.profile + ["```"]
    return "\n".join(lines)


def save(figures: Figures, text: str) -> None:
    docs = ROOT / "docs" / "benchmarks.md"
    begin, end = f"<!-- pipeline-{figures.size}:begin -->", f"<!-- pipeline-{figures.size}:end -->"
    content = docs.read_text()
    block = f"{begin}\n{text}\n{end}"
    if begin in content:
        content = content[:content.index(begin)] + block + content[content.index(end) + len(end):]
    else:
        content = content.rstrip() + f"\n\n### Size {figures.size} (`make bench BENCH_SIZE={figures.size}`)\n\n" \
                                     f"{block}\n"
    docs.write_text(content)
    log(f"written to {docs}")


async def bench(size: str, households: int, profile: bool) -> Figures:
    figures = Figures(size, households)
    city = RUN / f"city-{households}-{SEED}"
    if not (city / "summary.json").exists():
        log(f"generating a synthetic city of {households:,} households")
        shutil.rmtree(city, ignore_errors=True)
        write_city(city, households, SEED, "default", 2024, BUSINESS_DATE, log=lambda _: None)
    summary = json.loads((city / "summary.json").read_text())
    figures.claims = summary["claims"]
    await ensure_topics(BOOTSTRAP)
    seconds = 30 if size == "quick" else 60
    with services() as running:
        collection = await asyncpg.create_pool(database_url("collection"), min_size=1, max_size=4)
        try:
            log(f"importing {figures.claims:,} claims")
            await ingest(figures, city, collection, profile, running)
            log(f"steady load of 1,000 msgs/s for {seconds} s")
            await steady_latency(figures, city, collection, seconds, running, profile)
            log("steady load of 500 msgs/s for 30 s (below the pipeline's steady capacity: its own latency)")
            await steady_latency(figures, city, collection, 30, running, False, rate=500)
            log("debtor 360 under load")
            profilers = start_profilers(running, seconds, "debtor 360", ("collection",)) if profile else []
            await debtor_view_load(figures, collection, running["collection"].url, seconds)
            for profiler in profilers:
                figures.profile += await finish_profiler(profiler)
        finally:
            await collection.close()
        for name, service in running.items():
            figures.memory[name] = peak_rss_mib(service.process.pid) or 0.0
    for name, _, _, peak in figures.adapters:
        figures.memory[f"{name} import"] = peak
    with suppress(OSError, ValueError):
        kafka_pid = int((RUN / "kafka" / "kafka.pid").read_text())
        figures.memory["Kafka broker (JVM)"] = peak_rss_mib(kafka_pid) or 0.0
    log("raw Kafka baseline")
    await raw_kafka(figures)
    log(f"matching against {IDENTITIES[size]:,} stored identities")
    await asyncio.to_thread(matching_store, figures, IDENTITIES[size])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.pipeline",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--households", type=int, help="override the size's number of households")
    parser.add_argument("--profile", action="store_true", help="sample matching and collection with py-spy")
    parser.add_argument("--save", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    households = args.households or SIZES[args.size]
    RUN.mkdir(parents=True, exist_ok=True)
    with infrastructure():
        figures = asyncio.run(bench(args.size, households, args.profile))
    text = report(figures)
    print(text)
    if args.save:
        save(figures, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
