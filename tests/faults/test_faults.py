"""Fault tests: nothing lost or counted twice through crashes, restarts and poison messages.

Each scenario imports its own synthetic city (its own id space) through every adapter while something goes
wrong, then checks the ledger against the city's ground truth: every claim and payment stored exactly once,
every balance to the yen, and dead letters exactly the malformed records. Each prints its figures.
A fault strikes on an observed state, never on a timer (``strike_when``): part of the city stored and a
transaction of the service open, or matched messages waiting in matching's outbox, or (PostgreSQL's disk
filled) records flowing and collection's consumer lagging behind; the crash between a database commit and an
offset commit uses the consumer's test hook (TEST_CONSUMER_EXIT_AFTER_BATCH).
Killing and restarting Kafka and PostgreSQL needs this project's native processes (tests/infrastructure.py);
the full disk, a small tmpfs mounted for a tablespace, needs root.
"""

from __future__ import annotations

import asyncio
import errno
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts import PaymentReceived
from contracts.sources import SOURCES
from contracts.topics import BILLING_MATCHED, BILLING_SOURCE, DEAD_LETTER_MATCHING, TopicSpec
from services.matching.scoring import SAME_NAME, SAME_PLACE, compare, decide, load_model, score
from services.matching.store import normalised_from_json
from shared.dead_letters import read_dead_letters
from tests.e2e.processes import RunningService, replica, stop
from tests.figures import report
from tests.ground_truth import by_law
from tests.infrastructure import ROOT, Infrastructure
from tests.staff import staff_headers
from tools.synthetic_city.__main__ import write_city

pytestmark = pytest.mark.faults
AS_OF = date(2025, 1, 31)


@pytest.fixture(scope="module", autouse=True)
def controllable(infrastructure: Infrastructure) -> None:
    if not infrastructure.controllable:
        pytest.skip(f"fault injection needs the native Kafka and PostgreSQL, not {infrastructure.source}")


@dataclass
class City:
    path: Path
    claims: dict[tuple[str, str], int]  # (department, claim id) → principal open as of AS_OF by the law's order
    payments: set[tuple[str, str]]  # (department, payment id)
    import_keys: list[str]

    @property
    def records(self) -> int:
        return len(self.claims) + len(self.payments)


def make_city(tmp: Path, id_space: int, households: int = 25) -> City:
    path = tmp / f"city-{id_space}"
    write_city(path, households, 1000 + id_space, "default", 2024, AS_OF, log=lambda _: None, id_space=id_space)
    claims = {(c["department"], c["claim_id"]): by_law(c)[0] for c in
              map(json.loads, (path / "ground_truth" / "claims.jsonl").read_text("utf-8").splitlines())}
    payments, keys = set(), []
    for row in SOURCES:
        file_name, module = row.export_file, importlib.import_module(row.format_module)
        parsed = module.parse_export((path / file_name).read_bytes(), file_name=file_name,
                                     produced_at=lambda: datetime.now(UTC))
        keys.append(parsed.import_key)
        payments |= {(a.message.department.value, a.message.payload.payment_id) for a in parsed.accepted
                     if isinstance(a.message.payload, PaymentReceived)}
    return City(path, claims, payments, keys)


def import_city(city: City, env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    return [subprocess.run([sys.executable, *row.command("import", str(city.path / row.export_file), "--no-progress")],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
            for row in SOURCES]


def import_until_done(city: City, env: dict[str, str], attempts: int = 5) -> None:
    """Run the imports (again) until every file is published: a rerun resumes, it never duplicates."""
    for _ in range(attempts):
        results = import_city(city, env)
        if all(r.returncode in (0, 3) for r in results):
            assert all(", rejected 0" in r.stdout for r in results), [r.stdout for r in results]
            return
        time.sleep(2)
    raise AssertionError([r.stdout + r.stderr for r in results])


@dataclass
class Report:
    sent: int
    stored: int
    duplicated: int
    lost: int
    wrong_balances: list[str]

    def print(self, scenario: str) -> None:
        ledger = "every balance to the yen" if not self.wrong_balances else \
            f"{len(self.wrong_balances)} balances wrong"
        report(f"{scenario}: messages sent {self.sent}, stored {self.stored}, duplicated {self.duplicated}, "
               f"lost {self.lost}; ledger against ground truth: {ledger}")


def reconcile(city: City, infra: Infrastructure, services: dict[str, RunningService], sent: int,
              timeout: float = 240) -> Report:
    """Wait until the ledger agrees with the ground truth (or time runs out) and say how far it is."""
    deadline = time.monotonic() + timeout
    state = Report(sent, 0, 0, city.records, ["not checked"])
    while time.monotonic() < deadline:
        state = asyncio.run(_compare(city, infra, services, sent))
        if state.lost == 0 and state.duplicated == 0 and not state.wrong_balances:
            break
        time.sleep(2)
    return state


async def _compare(city: City, infra: Infrastructure, services: dict[str, RunningService], sent: int) -> Report:
    conn = await asyncpg.connect(infra.database_urls["collection"])
    try:
        claims = await conn.fetch(
            "SELECT department, claim_id, debtor_id FROM claims c JOIN unnest($1::text[], $2::text[]) "
            "AS k(department, claim_id) USING (department, claim_id)",
            [k[0] for k in city.claims], [k[1] for k in city.claims])
        payments = await conn.fetch(
            "SELECT department, payment_id FROM payments JOIN unnest($1::text[], $2::text[]) "
            "AS k(department, payment_id) USING (department, payment_id)",
            [k[0] for k in city.payments], [k[1] for k in city.payments])
    finally:
        await conn.close()
    found_claims = {(r["department"], r["claim_id"]) for r in claims}
    found_payments = {(r["department"], r["payment_id"]) for r in payments}
    lost = len(city.claims) - len(found_claims) + len(city.payments) - len(found_payments)
    duplicated = len(claims) - len(found_claims) + len(payments) - len(found_payments)
    wrong: list[str] = []
    if lost == 0:
        by_debtor: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for r in claims:
            by_debtor[r["debtor_id"]].append((r["department"], r["claim_id"]))
        headers = await asyncio.to_thread(fault_staff, infra, services["collection"].url)
        async with httpx.AsyncClient(timeout=10, headers=headers["viewer"]) as client:
            for debtor, keys in by_debtor.items():
                ledger = (await client.get(f"{services['collection'].url}/debtors/{debtor}",
                                           params={"as_of": AS_OF.isoformat()})).json()
                balances = {(c["department"], c["claim_id"]): c["balance"] for c in ledger["claims"]}
                for key in keys:
                    if balances.get(key) != city.claims[key]:
                        wrong.append(f"{key}: ledger {balances.get(key)}, truth {city.claims[key]}")
                        if balances.get(key, 0) < city.claims[key]:
                            duplicated += 1  # more paid than the truth: a payment counted twice
    return Report(sent, len(found_claims) + len(found_payments), duplicated, lost, wrong)


_signed_in: dict[str, dict[str, dict[str, str]]] = {}


def fault_staff(infra: Infrastructure, collection_url: str) -> dict[str, dict[str, str]]:
    """The fault suite's own accounts, signed in once per collection service (a restart keeps them valid)."""
    if collection_url not in _signed_in:
        _signed_in[collection_url] = staff_headers(infra, collection_url, prefix="faults")
    return _signed_in[collection_url]


def assert_exact(report: Report, scenario: str) -> None:
    report.print(scenario)
    assert (report.duplicated, report.lost) == (0, 0), report.wrong_balances[:5]
    assert report.wrong_balances == [], report.wrong_balances[:5]


def in_background(action: Callable[[], None], after: float) -> threading.Thread:
    def run() -> None:
        time.sleep(after)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@dataclass
class Observed:
    """What the fault tests saw at the moment they struck."""

    stored: int  # the city's claims and payments in collection's ledger
    open_transactions: int  # the service's database transactions open
    outbox: int  # matched messages committed by matching, not yet relayed to Kafka
    postmaster_pid: int

    def describe(self, total: int) -> str:
        return (f"struck with {self.stored} of {total} records stored, {self.open_transactions} transaction(s) open, "
                f"{self.outbox} matched message(s) in the outbox")


async def _observe(city: City, infra: Infrastructure, database: str, until: Callable[[Observed], bool],
                   timeout: float) -> Observed | None:
    """Poll (one connection per database) until ``until`` holds; None when it never did within ``timeout``."""
    conn = await asyncpg.connect(infra.database_urls[database])
    ledger = conn if database == "collection" else await asyncpg.connect(infra.database_urls["collection"])
    matching = conn if database == "matching" else await asyncpg.connect(infra.database_urls["matching"])
    claims, payments = list(city.claims), list(city.payments)
    try:
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stored = await ledger.fetchval(
                "SELECT (SELECT count(*) FROM claims JOIN unnest($1::text[], $2::text[]) AS k(department, claim_id) "
                "USING (department, claim_id)) + (SELECT count(*) FROM payments JOIN unnest($3::text[], $4::text[]) "
                "AS k(department, payment_id) USING (department, payment_id))",
                [k[0] for k in claims], [k[1] for k in claims], [k[0] for k in payments], [k[1] for k in payments])
            open_transactions = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid() "
                "AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction')")
            outbox = await matching.fetchval("SELECT count(*) FROM outbox")
            seen = Observed(stored, open_transactions, outbox, postmaster)
            if until(seen):
                return seen
            await asyncio.sleep(0.01)
        return None
    finally:
        for c in {id(conn): conn, id(ledger): ledger, id(matching): matching}.values():
            await c.close()


def strike_when(city: City, infra: Infrastructure, database: str, until: Callable[[Observed], bool],
                fault: Callable[[Observed], None], timeout: float = 180) -> Observed:
    """Strike ``fault`` the moment ``until`` is observed, and fail if it never was (a fault that lands before
    or after the data flowed proves nothing)."""
    seen = asyncio.run(_observe(city, infra, database, until, timeout))
    assert seen is not None, f"the state to strike in was never observed within {timeout} s"
    fault(seen)
    return seen


def mid_stream(city: City) -> Callable[[Observed], bool]:
    """Some of the city stored, not all, and a transaction of the watched service open."""
    return lambda o: 0 < o.stored < city.records and o.open_transactions > 0


def imports_in_background(city: City, env: dict[str, str]) -> threading.Thread:
    """One pass of the imports; those an outage cuts off exit 1 and are run again by import_until_done."""
    thread = threading.Thread(target=import_city, args=(city, env))
    thread.start()
    return thread


def test_kafka_killed_during_a_consumer_transaction(infrastructure: Infrastructure,
                                                    services: dict[str, RunningService],
                                                    e2e_env: dict[str, str], tmp_path: Path) -> None:
    city = make_city(tmp_path, 1)
    imports = imports_in_background(city, e2e_env)
    seen = strike_when(city, infrastructure, "collection", mid_stream(city), lambda _: infrastructure.kill_kafka())
    infrastructure.start_kafka()
    imports.join()
    report(f"kafka killed (kill -9) during collection's transaction: {seen.describe(city.records)}")
    import_until_done(city, e2e_env)
    assert_exact(reconcile(city, infrastructure, services, city.records), "kafka killed during a transaction")


def test_kafka_killed_during_the_outbox_relay(infrastructure: Infrastructure, services: dict[str, RunningService],
                                              e2e_env: dict[str, str], tmp_path: Path) -> None:
    city = make_city(tmp_path, 6)
    imports = imports_in_background(city, e2e_env)
    seen = strike_when(city, infrastructure, "matching", lambda o: o.outbox > 0 and o.stored < city.records,
                       lambda _: infrastructure.kill_kafka())
    infrastructure.start_kafka()
    imports.join()
    report(f"kafka killed (kill -9) during matching's outbox relay: {seen.describe(city.records)}")
    import_until_done(city, e2e_env)
    assert_exact(reconcile(city, infrastructure, services, city.records), "kafka killed during the outbox relay")


def test_postgres_postmaster_killed_mid_batch(infrastructure: Infrastructure, services: dict[str, RunningService],
                                              e2e_env: dict[str, str], tmp_path: Path) -> None:
    city = make_city(tmp_path, 2)
    imports = imports_in_background(city, e2e_env)
    seen = strike_when(city, infrastructure, "collection", mid_stream(city),
                       lambda o: infrastructure.kill_postgres(o.postmaster_pid))
    imports.join()
    report(f"postgresql postmaster killed (kill -9) mid-batch: {seen.describe(city.records)}")
    import_until_done(city, e2e_env)
    assert_exact(reconcile(city, infrastructure, services, city.records), "postgresql killed (kill -9) mid-batch")


def test_collection_killed_between_database_commit_and_offset_commit(
        infrastructure: Infrastructure, services: dict[str, RunningService], e2e_env: dict[str, str],
        tmp_path: Path) -> None:
    """The test hook (shared/consumer.py) exits the process right after a batch's transaction committed and
    before its offsets are: the batch comes again after the restart and must be applied once."""
    city = make_city(tmp_path, 3)
    collection = services["collection"]
    collection.kill()
    collection.env = {**collection.env, "TEST_CONSUMER_EXIT_AFTER_BATCH": "billing.matched-events.v1:3"}
    collection.restart()
    try:
        import_until_done(city, e2e_env)
        exited = collection.process.wait(timeout=180)
        assert exited == 137, f"collection did not exit at the hook (status {exited})"
        stored = asyncio.run(_observe(city, infrastructure, "collection", lambda o: True, 5))
        assert stored is not None and 0 < stored.stored < city.records, "the crash did not land mid-stream"
    finally:
        collection.env = {k: v for k, v in collection.env.items() if k != "TEST_CONSUMER_EXIT_AFTER_BATCH"}
        if collection.process.poll() is None:
            collection.kill()
        collection.restart()
    report(f"collection exited after its database commit, before its offset commit: {stored.stored} of "
           f"{city.records} records stored at the crash")
    assert_exact(reconcile(city, infrastructure, services, city.records),
                 "collection killed between database commit and offset commit")


def test_a_slow_broker(infrastructure: Infrastructure, services: dict[str, RunningService],
                       e2e_env: dict[str, str], tmp_path: Path) -> None:
    """The broker paused (SIGSTOP) for a few seconds mid-stream, then resumed: everything arrives once."""
    city = make_city(tmp_path, 7)
    imports = imports_in_background(city, e2e_env)
    pid = infrastructure.kafka_pid()

    def pause(_: Observed) -> None:
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(5)
        finally:
            os.kill(pid, signal.SIGCONT)

    seen = strike_when(city, infrastructure, "collection", mid_stream(city), pause)
    imports.join()
    report(f"broker paused 5 s (SIGSTOP) mid-stream: {seen.describe(city.records)}")
    import_until_done(city, e2e_env)
    assert_exact(reconcile(city, infrastructure, services, city.records), "slow broker (paused 5 s)")


SMALL_DISK_TABLES = ("claims", "payments", "processed_messages")  # every message collection applies writes here
SMALL_DISK_TABLESPACE = "faults_small_disk"
FULL_FOR_SECONDS = 15


@contextmanager
def small_disk(infra: Infrastructure, database: str, tables: tuple[str, ...]) -> Iterator[Path]:
    """``tables`` of ``database`` moved onto a filesystem of their own: a tmpfs mounted for the purpose, their size
    plus 16 MiB, as a tablespace. Yields the mount point (fill it and PostgreSQL cannot extend those tables: SQLSTATE
    53100 disk full); afterwards the tables go back to the default tablespace and the mount is removed."""
    if os.geteuid() != 0:
        pytest.skip("a full disk needs a small filesystem of its own: mounting a tmpfs needs root")
    sizes = infra.psql(database, "SELECT sum(pg_table_size(t::regclass)) FROM unnest(ARRAY['"
                       + "','".join(tables) + "']) AS t")
    mount = Path(infra.env["COLLECTION_RUN_DIR"]) / f"small-disk-{uuid.uuid4().hex[:8]}"
    mount.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={int(sizes) // 2**20 + 16}m,mode=0755", "tmpfs",
                              str(mount)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        location = mount / "pg"
        location.mkdir(mode=0o700)
        shutil.chown(location, "postgres", "postgres")
        infra.psql("postgres", f"CREATE TABLESPACE {SMALL_DISK_TABLESPACE} LOCATION '{location}'")
        try:
            for table in tables:
                infra.psql(database, f"ALTER TABLE {table} SET TABLESPACE {SMALL_DISK_TABLESPACE}")
            yield mount
        finally:
            for leftover in mount.glob("filler*"):
                leftover.unlink()
            for table in tables:
                infra.psql(database, f"ALTER TABLE {table} SET TABLESPACE pg_default")
            infra.psql(database, "CHECKPOINT")  # the moved tables' old files are removed at a checkpoint
            infra.psql("postgres", f"DROP TABLESPACE {SMALL_DISK_TABLESPACE}")
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)
        mount.rmdir()


def fill(mount: Path) -> Path:
    """Write a file until the filesystem has no byte left (ENOSPC), in ever smaller pieces."""
    filler = mount / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for piece in (1 << 20, 1 << 12, 1):
            try:
                while os.write(descriptor, b"\0" * piece):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(descriptor)
    return filler


class LagReader:
    """Consumer lag in records, from one admin client and one read-committed reader kept open between samples:
    the records of a topic past a group's committed offsets that the group could read (the offsets alone
    overcount, since each transaction's commit marker takes one)."""

    def __init__(self, infra: Infrastructure):
        self.admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
        self.reader = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap_servers,
                                       isolation_level="read_committed", enable_auto_commit=False)

    async def __aenter__(self) -> LagReader:
        await self.admin.start()
        await self.reader.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.reader.stop()
        await self.admin.close()

    async def behind(self, group: str, topic: TopicSpec) -> int:
        committed = await self.admin.list_consumer_group_offsets(group)
        partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        ends = await self.reader.end_offsets(partitions)
        starts = {tp: committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0
                  for tp in partitions}
        behind = {tp: start for tp, start in starts.items() if ends[tp] > start}
        if not behind:
            return 0
        self.reader.assign(list(behind))
        for tp, start in behind.items():
            self.reader.seek(tp, start)
        count, deadline = 0, time.monotonic() + 5
        while time.monotonic() < deadline:
            for tp, records in (await self.reader.getmany(timeout_ms=100)).items():
                count += sum(1 for r in records if r.offset < ends[tp])
            positions = {tp: await self.reader.position(tp) for tp in behind}
            if all(positions[tp] >= ends[tp] for tp in behind):
                break
        return count


async def _reported_lag(client: httpx.AsyncClient, services: dict[str, RunningService]) -> dict[str, int]:
    """The lag each consumer reported at its latest batch (``pipeline_consumer_lag`` on /metrics: records past its
    position when it took the batch): matching on source events, collection's ledger on matched events."""
    lag = {}
    for name, topic in (("matching", BILLING_SOURCE.name), ("collection", BILLING_MATCHED.name)):
        text = (await client.get(f"{services[name].url}/metrics")).text
        lag[name] = int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                            if line.startswith("pipeline_consumer_lag") and f'topic="{topic}"' in line))
    return lag


async def _flowing_and_lagging(city: City, infra: Infrastructure, services: dict[str, RunningService],
                               timeout: float) -> tuple[Observed, dict[str, int]] | None:
    """The first moment records flow (part of the city stored, a transaction of collection open) while a consumer
    lags (matching or collection reported records waiting at its latest batch); None if not within ``timeout``."""
    lag: dict[str, int] = {}

    async def poll(client: httpx.AsyncClient) -> None:
        while True:
            lag.update(await _reported_lag(client, services))
            await asyncio.sleep(0.02)

    async with httpx.AsyncClient(timeout=5) as client:
        lag.update(await _reported_lag(client, services))
        poller = asyncio.create_task(poll(client))
        try:
            flowing = mid_stream(city)
            seen = await _observe(city, infra, "collection", lambda o: flowing(o) and sum(lag.values()) > 0,
                                  timeout)
        finally:
            poller.cancel()
    return None if seen is None else (seen, dict(lag))


async def _behind(infra: Infrastructure, group: str, topic: TopicSpec) -> int:
    async with LagReader(infra) as lag:
        return await lag.behind(group, topic)


def test_postgres_disk_full_mid_stream(infrastructure: Infrastructure, services: dict[str, RunningService],
                                       e2e_env: dict[str, str], tmp_path: Path) -> None:
    """PostgreSQL runs out of space under collection's ledger tables while records flow and collection lags:
    its writes fail (disk full) until space is freed; nothing may be dead-lettered, lost or applied twice."""
    city = make_city(tmp_path, 8, households=100)  # flowing long enough to be seen mid-stream and lagging
    collection = services["collection"]
    with small_disk(infrastructure, "collection", SMALL_DISK_TABLES) as mount:
        imports = imports_in_background(city, e2e_env)
        observed = asyncio.run(_flowing_and_lagging(city, infrastructure, services, timeout=180))
        assert observed is not None, "never saw records flowing while the consumers lagged: the fault proves nothing"
        seen, lag = observed
        server_log = Path(infrastructure.env["COLLECTION_RUN_DIR"]) / "postgres" / "postgres.log"
        server_log_before, log_before = server_log.stat().st_size, collection.log.stat().st_size
        filler = fill(mount)
        full_at = time.monotonic()
        assert shutil.disk_usage(mount).free < 64 * 1024, "the filesystem was not filled"
        refusals = 0  # PostgreSQL's own word that it could not write: the fault fired
        while time.monotonic() - full_at < 120 and refusals < 3:
            time.sleep(0.5)
            refusals = _log_lines_since(server_log, server_log_before).count(b"No space left on device")
        time.sleep(max(0.0, FULL_FOR_SECONDS - (time.monotonic() - full_at)))  # full a while: retried, not dropped
        stalled = asyncio.run(_observe(city, infrastructure, "collection", lambda o: True, 5))
        behind_while_full = asyncio.run(_behind(infrastructure, "collection-ledger", BILLING_MATCHED))
        refused = [json.loads(line) for line in _log_lines_since(collection.log, log_before).splitlines()
                   if b'"DiskFullError"' in line]
        filler.unlink()  # space freed: the batches refused meanwhile must now go through, once
        freed_after = time.monotonic() - full_at
        imports.join()
    assert refusals >= 3, "PostgreSQL never refused a write on the full filesystem: the fault did not fire"
    assert stalled is not None and stalled.stored < city.records, "everything was stored despite the full disk"
    ledger_refused = sum(1 for e in refused if e.get("topic") == BILLING_MATCHED.name and e.get("sqlstate") == "53100")
    report(f"postgresql disk full mid-stream: {seen.describe(city.records)}, consumer lag reported at the strike: "
           f"matching {lag['matching']}, collection {lag['collection']} record(s); PostgreSQL refused {refusals}+ "
           f"writes (No space left on device), collection's ledger {ledger_refused} batch(es) (SQLSTATE 53100, "
           f"taken again); {stalled.stored} stored and collection {behind_while_full} record(s) behind while full; "
           f"space freed after {freed_after:.0f} s")
    import_until_done(city, e2e_env)
    assert_exact(reconcile(city, infrastructure, services, city.records), "postgresql disk full mid-stream")
    assert ledger_refused > 0 and behind_while_full > 0, "collection's ledger was never held back by the full disk"


def _log_lines_since(path: Path, offset: int) -> bytes:
    with path.open("rb") as log:
        log.seek(offset)
        return log.read()


def _correlation(value: bytes) -> str | None:
    try:  # the topic also holds deliberately malformed records
        body = json.loads(value)
    except ValueError:
        return None
    return body.get("correlation_id") if isinstance(body, dict) else None


async def _source_records(infra: Infrastructure, import_keys: set[str], expected: int) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(BILLING_SOURCE.name, bootstrap_servers=infra.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", group_id=f"faults-{uuid.uuid4().hex}",
                                isolation_level="read_committed")
    await consumer.start()
    found = []
    try:
        deadline = time.monotonic() + 60
        while len(found) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found += [r for r in records if _correlation(r.value) in import_keys]
    finally:
        await consumer.stop()
    return found


async def _publish(infra: Infrastructure, records: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send(BILLING_SOURCE.name, value, key=key, headers=headers)
                               for key, value, headers in records])
    finally:
        await producer.stop()


def test_every_message_delivered_twice(infrastructure: Infrastructure, services: dict[str, RunningService],
                                       e2e_env: dict[str, str], tmp_path: Path) -> None:
    city = make_city(tmp_path, 4)
    import_until_done(city, e2e_env)
    originals = asyncio.run(_source_records(infrastructure, set(city.import_keys), city.records))
    asyncio.run(_publish(infrastructure, [(r.key, r.value, list(r.headers)) for r in originals]))
    assert len(originals) >= city.records
    outcome = reconcile(city, infrastructure, services, 2 * city.records)
    assert_exact(outcome, "every message delivered twice (claims and payments sent twice)")


def test_one_percent_malformed_messages(infrastructure: Infrastructure, services: dict[str, RunningService],
                                        e2e_env: dict[str, str], tmp_path: Path) -> None:
    city = make_city(tmp_path, 5)
    run = uuid.uuid4().hex[:8]
    corruptions: list[bytes] = [
        b"\x82\xa0 not json at all",
        b'{"message_type": "ClaimAssessed", "payload": {}}',
        b'{"message_type": "Nonsense", "schema_version": 1}',
        b"[1, 2, 3]",
    ]
    malformed = max(1, city.records // 100)
    poison = [(f"poison-{run}-{i}".encode(), corruptions[i % len(corruptions)],
               [("message-id", f"malformed-{run}-{i}".encode())]) for i in range(malformed)]
    fault = in_background(lambda: asyncio.run(_publish(infrastructure, poison)), after=0.3)
    import_until_done(city, e2e_env)
    fault.join()
    outcome = reconcile(city, infrastructure, services, city.records + malformed)
    dead = []
    for _ in range(60):
        dead = [d for d in asyncio.run(read_dead_letters(infrastructure.kafka_bootstrap_servers,
                                                         DEAD_LETTER_MATCHING.name))
                if d.message_id.startswith(f"malformed-{run}-")]
        if len(dead) >= malformed:
            break
        time.sleep(1)
    assert_exact(outcome, "1% malformed messages injected")
    report(f"1% malformed messages injected: dead letters {len(dead)}, malformed {malformed}")
    assert sorted(d.message_id for d in dead) == sorted(f"malformed-{run}-{i}" for i in range(malformed))
    assert all(d.error.startswith("contract: ") for d in dead)


def _holds_partitions(service: RunningService, group_id: str) -> bool:
    """Whether the service's latest assignment in a consumer group (its log says "assigned to partitions") has
    at least one partition. (The admin client's DescribeGroups cannot decode Kafka 4's answer.)"""
    latest = None
    for line in service.log.read_text(errors="replace").splitlines():
        if f'"group_id": "{group_id}"' in line and "assigned to partitions" in line:
            latest = line
    return latest is not None and "TopicPartition(" in latest


async def _split_by_a_race(city: City, infra: Infrastructure) -> tuple[int, list[tuple[str, str, str, str]]]:
    """Pairs of one person's records that any order of arrival links — the same name, birth date and house, which
    the blocking keys always join and the model always links — yet left on two identities: what two replicas
    deciding both records at once, each blind to the other, leave behind. Returns (such pairs, those split)."""
    truth = {(r["department"], r["source_person_id"]): r["entity_id"] for r in map(
        json.loads, (city.path / "ground_truth" / "person_records.jsonl").read_text("utf-8").splitlines())}
    conn = await asyncpg.connect(infra.database_urls["matching"])
    try:
        rows = await conn.fetch(
            "SELECT p.department, p.source_person_id, p.normalised::text AS normalised, l.debtor_id "
            "FROM person_records p JOIN source_links l USING (department, source_person_id) "
            "JOIN unnest($1::text[], $2::text[]) AS q(department, source_person_id) USING (department, source_person_id)",
            [k[0] for k in truth], [k[1] for k in truth])
    finally:
        await conn.close()
    person = {(r["department"], r["source_person_id"]): normalised_from_json(r["normalised"]) for r in rows}
    debtor = {(r["department"], r["source_person_id"]): r["debtor_id"] for r in rows}
    model = load_model()
    by_person: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record in person:
        by_person[truth[record]].append(record)
    certain, split = 0, []
    for records in by_person.values():
        for i, x in enumerate(records):
            for y in records[i + 1:]:
                levels = compare(person[x], person[y])
                if (levels["kind"] == "individual" and levels["birth_date"] == "exact"
                        and levels["address"] in SAME_PLACE and levels["surname"] in SAME_NAME
                        and levels["given_name"] in SAME_NAME and decide(score(levels, model), model) == "link"):
                    certain += 1
                    if debtor[x] != debtor[y]:
                        split.append((*x, *y))
    return certain, split


def test_two_replicas_of_matching_and_collection_one_of_each_killed_mid_stream(
        infrastructure: Infrastructure, services: dict[str, RunningService], e2e_env: dict[str, str],
        service_logs: Path, tmp_path: Path) -> None:
    """Matching and collection as two processes each, one consumer group per service (the partitions split
    between them): one of each is killed (kill -9) mid-stream and the survivors take over its partitions. The
    ledger must still hold every claim and payment once, to the yen, and matching must not have given one person
    two identities because two replicas saw their records at the same time (the blocking keys' advisory locks)."""
    city = make_city(tmp_path, 9, households=40)
    extra = {name: replica(services[name], service_logs) for name in ("matching", "collection")}
    groups = {"matching": "debtor-matching", "collection": "collection-ledger"}
    try:
        deadline = time.monotonic() + 120
        while not all(_holds_partitions(extra[name], group) for name, group in groups.items()):
            assert time.monotonic() < deadline, "the replicas never took partitions in their consumer groups"
            time.sleep(1)

        def kill_one_of_each(_: Observed) -> None:
            extra["matching"].kill()
            extra["collection"].kill()

        # every department's file at once, so one person's records from several departments arrive together
        imports = [subprocess.Popen([sys.executable, *row.command("import", str(city.path / row.export_file),
                                                                  "--no-progress")],
                                    cwd=ROOT, env=e2e_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for row in SOURCES]
        seen = strike_when(city, infrastructure, "collection", mid_stream(city), kill_one_of_each)
        for process in imports:
            process.wait(timeout=300)
        import_until_done(city, e2e_env)
    finally:
        for process in extra.values():
            stop(process)
    report(f"two replicas of matching and of collection, one of each killed (kill -9): {seen.describe(city.records)}")
    assert_exact(reconcile(city, infrastructure, services, city.records),
                 "two replicas each, one of each killed mid-stream")
    certain, split = asyncio.run(_split_by_a_race(city, infrastructure))
    report(f"two replicas: {certain} pairs of one person's records that any order links, {len(split)} left on "
           "two identities")
    assert certain > 0 and split == [], split[:5]
