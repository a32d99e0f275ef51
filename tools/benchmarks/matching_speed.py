"""Matching speed against a million stored identities: ``python -m tools.benchmarks.matching_speed``.

1. **Store** (built once, reused while its size and seed match): the residents of a synthetic city as the tax
   department records them (宛名, with the default noise), each its own debtor identity, loaded with COPY into a
   database of its own (``matching_bench``, created by ``make bench-matching``) with matching's real schema.
2. **Stream**: records arriving from the other departments, as the matching service sees them: residents
   already stored (recorded by insurance, childcare and housing with their own ids and noise: they should link)
   mixed with people the store has never seen (they should become new identities).
3. **Measured** through ``services.matching.store`` in real transactions:
   - *one at a time*: each record resolved and committed alone (a quiet stream): p50/p99 per record;
   - *in batches* like the service's consumer (``--batch`` records, split by partition into ``--parallel``
     transactions side by side): records/s, and the time a record's batch took (its decision latency when the
     stream is busy); and the CPU a record cost, in this process and in the database's server processes (read
     from /proc when the database runs on this machine): steadier than the rate on a machine shared with other
     work.
   Decisions are checked against the generator's truth (right link, wrong link, review, new).

Afterwards the stream's records are deleted, so the next run starts from the same store. Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import random
import statistics
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from tqdm import tqdm

from contracts import Department
from services.matching.blocking import blocking_keys
from services.matching.normalise import normalise_person
from services.matching.scoring import Model, frequency_values, load_model
from services.matching.store import (
    ResolveRequest,
    frequency_hash,
    normalised_from_json,
    normalised_to_json,
    resolve_batch,
)
from shared.db import create_pool
from shared.migrations import apply_migrations
from tools.synthetic_city.noise import LEVELS
from tools.synthetic_city.population import City, Resident, build_city
from tools.synthetic_city.views import _Views

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "matching" / "migrations"
STORE_DEPARTMENT = Department.TAX
#: Departments whose person ids are per person (water bills a household contract, so it is left out here).
STREAM_DEPARTMENTS = (Department.INSURANCE, Department.CHILDCARE, Department.HOUSING)
#: Residents per household in the synthetic city is about 2.5; a margin so one city always holds enough.
HOUSEHOLD_SHARE = 0.45
LOAD_CHUNK = 20_000
#: What a stored bench store was built with: a store of another layout is rebuilt, not reused.
STORE_LAYOUT = "matching-v2: blocking keys and name frequencies"


def store_debtor_id(resident: Resident) -> str:
    return f"bench-{resident.resident_id}"


def residents(city: City) -> Iterator[Resident]:
    for household in city.households:
        yield from household.members


async def store_size(conn: asyncpg.Connection, seed: int) -> int:
    await conn.execute("CREATE TABLE IF NOT EXISTS bench_store (seed bigint NOT NULL, identities bigint NOT NULL)")
    await conn.execute("ALTER TABLE bench_store ADD COLUMN IF NOT EXISTS layout text")
    row = await conn.fetchrow("SELECT seed, identities, layout FROM bench_store")
    if row and row["layout"] != STORE_LAYOUT:
        return 0  # built with other blocking keys or fields: rebuild
    return int(row["identities"]) if row and row["seed"] == seed else 0


async def build_store(pool: asyncpg.Pool, city: City, identities: int, seed: int) -> float:
    """Load ``identities`` residents as tax records, one debtor each, with COPY; returns seconds taken."""
    started = time.perf_counter()
    views = _Views(city, LEVELS["default"])
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE bench_store, blocking_keys, person_records, match_decisions, review_queue, "
                           "relations, debtor_merges, source_links, debtors, name_frequencies CASCADE")
    names: Counter[bytes] = Counter()
    chosen = (r for _, r in zip(range(identities), residents(city), strict=False))
    with tqdm(total=identities, desc="loading the identity store", unit="identity", file=sys.stderr) as progress:
        while chunk := [r for _, r in zip(range(LOAD_CHUNK), chosen, strict=False)]:
            debtors, links, people, keys = [], [], [], []
            for resident in chunk:
                person = views.person(STORE_DEPARTMENT, resident)
                normalised = normalise_person(person)
                debtor = store_debtor_id(resident)
                record = (STORE_DEPARTMENT.value, person.source_person_id)
                debtors.append((debtor,))
                links.append((*record, debtor, "bench-load"))
                people.append((*record, normalised_to_json(normalised), person.model_dump(mode="json")))
                keys.extend((key, *record) for key in blocking_keys(normalised))
                names.update(frequency_hash(name, value) for name, value in frequency_values(normalised).items())
            views._people.clear()  # the store keeps them, not the generator
            async with pool.acquire() as conn, conn.transaction():
                await conn.copy_records_to_table("debtors", records=debtors, columns=["debtor_id"])
                await conn.copy_records_to_table(
                    "source_links", records=links,
                    columns=["department", "source_person_id", "debtor_id", "decided_by"])
                await conn.copy_records_to_table(
                    "person_records", records=people,
                    columns=["department", "source_person_id", "normalised", "recorded"])
                await conn.copy_records_to_table(
                    "blocking_keys", records=keys, columns=["key_hash", "department", "source_person_id"])
            progress.update(len(chunk))
    async with pool.acquire() as conn:
        await conn.copy_records_to_table("name_frequencies", records=sorted(names.items()),
                                         columns=["value_hash", "records"])
        await conn.execute("VACUUM ANALYZE")  # as autovacuum would by the time a real store is this big
        await conn.execute("INSERT INTO bench_store (seed, identities, layout) VALUES ($1, $2, $3)", seed,
                           identities, STORE_LAYOUT)
    return time.perf_counter() - started


def stream(city: City, newcomers: City, identities: int, size: int, seed: int
           ) -> tuple[list[tuple[ResolveRequest, str | None]], int]:
    """``size`` records from other departments: 70% of residents already stored, 30% people never seen; each
    with the debtor it truly belongs to (None: nobody stored). Also how many of the people never seen share
    their name and birth date with a stored resident (a synthetic city has far fewer names than a real one)."""
    rng = random.Random(seed)
    stored = [r for _, r in zip(range(identities), residents(city), strict=False)]
    name_and_birth = {(r.surname, r.given, r.birth_date) for r in stored}
    views, outside = _Views(city, LEVELS["default"]), _Views(newcomers, LEVELS["default"])
    unseen = list(residents(newcomers))
    records: list[tuple[ResolveRequest, str | None]] = []
    for resident in rng.sample(stored, int(size * 0.7)):
        department = rng.choice(STREAM_DEPARTMENTS)
        records.append((ResolveRequest(department, views.person(department, resident)), store_debtor_id(resident)))
    twins = 0
    for resident in rng.sample(unseen, size - len(records)):
        department = rng.choice(STREAM_DEPARTMENTS)
        records.append((ResolveRequest(department, outside.person(department, resident)), None))
        twins += (resident.surname, resident.given, resident.birth_date) in name_and_birth
    rng.shuffle(records)
    return records, twins


async def database_cpu(conn: asyncpg.Connection) -> dict[int, float]:
    """CPU seconds used so far by each server process of this database (from /proc: a database on this machine),
    empty when they cannot be read. On a machine shared with other work the CPU a record costs is steadier than
    its wall-clock rate."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'"):
        try:
            fields = Path(f"/proc/{pid['pid']}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return {}
        used[pid["pid"]] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return used


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def judge(records: list[tuple[ResolveRequest, str | None]], debtors: list[str]) -> Counter[str]:
    """Each decision against the truth: a stored resident's record should join that resident's identity, a
    newcomer's should not join any stored identity."""
    outcome: Counter[str] = Counter()
    for (_, truth), debtor in zip(records, debtors, strict=True):
        if truth is not None:
            outcome["right link" if debtor == truth else
                    "wrong link" if debtor.startswith("bench-") else "missed (new identity)"] += 1
        else:
            outcome["wrong link" if debtor.startswith("bench-") else "new, right"] += 1
    return outcome


async def resolve_in_transaction(pool: asyncpg.Pool, requests: list[ResolveRequest], model: Model) -> list[str]:
    if not requests:
        return []
    async with pool.acquire() as conn, conn.transaction():
        return await resolve_batch(conn, requests, model)


async def clean_stream(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        departments = [d.value for d in STREAM_DEPARTMENTS]
        stream_names: Counter[bytes] = Counter()
        for row in await conn.fetch("SELECT normalised FROM person_records WHERE department = ANY($1)", departments):
            stream_names.update(frequency_hash(name, value) for name, value in
                                frequency_values(normalised_from_json(row["normalised"])).items())
        if stream_names:  # the store's counts as built, for the next run
            await conn.execute(
                "UPDATE name_frequencies f SET records = f.records - s.n FROM unnest($1::bytea[], $2::bigint[]) "
                "AS s(h, n) WHERE f.value_hash = s.h", list(stream_names), list(stream_names.values()))
        await conn.execute("DELETE FROM blocking_keys WHERE department = ANY($1)", departments)
        await conn.execute("DELETE FROM person_records WHERE department = ANY($1)", departments)
        await conn.execute("TRUNCATE match_decisions, review_queue, relations, debtor_merges")
        await conn.execute("DELETE FROM source_links WHERE department = ANY($1)", departments)
        await conn.execute("DELETE FROM debtors WHERE debtor_id NOT LIKE 'bench-%'")


async def run(database_url: str, identities: int, stream_size: int, batch: int, parallel: int, seed: int) -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; {datetime.now(UTC):%Y-%m-%d}")
    apply_migrations(database_url, MIGRATIONS)
    pool = await create_pool(database_url, min_size=1, max_size=parallel + 1)
    model = load_model()
    try:
        started = time.perf_counter()
        city = build_city(int(identities * HOUSEHOLD_SHARE) + 100, seed=seed)
        newcomers = build_city(max(stream_size, 1000), seed=seed + 1, id_space=8)
        print(f"generated the city in {time.perf_counter() - started:.1f} s")
        async with pool.acquire() as conn:
            have = await store_size(conn, seed)
        if have == identities:
            print(f"store: {identities:,} identities (reused; delete table bench_store to rebuild)")
        else:
            seconds = await build_store(pool, city, identities, seed)
            print(f"store: {identities:,} identities loaded in {seconds:.0f} s")
        await clean_stream(pool)
        async with pool.acquire() as conn:
            # what autovacuum does in a living store: without it, the rows of earlier runs' streams, deleted,
            # would still be walked past in the indexes
            await conn.execute("VACUUM ANALYZE blocking_keys, person_records, source_links, debtors")
            stored = await conn.fetchval("SELECT count(*) FROM debtors")
            key_rows = await conn.fetchval("SELECT reltuples::bigint FROM pg_class WHERE relname = 'blocking_keys'")
        print(f"identities stored: {stored:,}; blocking keys ≈ {key_rows:,}")

        records, twins = stream(city, newcomers, identities, stream_size, seed)
        del city, newcomers  # the service holds no city: a full garbage collection over it would be timed here
        gc.collect()
        gc.freeze()
        quiet, busy = records[: stream_size // 5], records[stream_size // 5:]

        single_ms, quiet_debtors = [], []
        async with pool.acquire() as conn:
            for request, _ in tqdm(quiet, desc="one at a time", unit="record", file=sys.stderr):
                t0 = time.perf_counter()
                async with conn.transaction():
                    quiet_debtors.extend(await resolve_batch(conn, [request], model))
                single_ms.append((time.perf_counter() - t0) * 1000)

        batch_ms, busy_debtor = [], {}
        async with pool.acquire() as conn:
            server_before = await database_cpu(conn)
        client_before = time.process_time()
        t_busy = time.perf_counter()
        for start in tqdm(range(0, len(busy), batch), desc=f"batches of {batch}", unit="batch", file=sys.stderr):
            positions = range(start, min(start + batch, len(busy)))
            # like the service: a batch in `parallel` transactions side by side, split by partition (here by
            # record, as the adapters' message keys would place them)
            groups = [[i for i in positions if zlib.crc32(busy[i][0].person.source_person_id.encode()) % parallel == g]
                      for g in range(parallel)]
            t0 = time.perf_counter()
            for group, debtors in zip(groups, await asyncio.gather(
                    *(resolve_in_transaction(pool, [busy[i][0] for i in group], model) for group in groups)),
                    strict=True):
                busy_debtor.update(zip(group, debtors, strict=True))
            batch_ms.append((time.perf_counter() - t0) * 1000)
        busy_seconds = time.perf_counter() - t_busy
        client_cpu = time.process_time() - client_before
        async with pool.acquire() as conn:
            server_after = await database_cpu(conn)
        server_cpu = (sum(cpu - server_before.get(pid, 0.0) for pid, cpu in server_after.items())
                      if server_after else None)
        busy_debtors = [busy_debtor[i] for i in range(len(busy))]

        outcome = judge(quiet, quiet_debtors) + judge(busy, busy_debtors)
        print()
        print("| measure | figure | target |")
        print("| --- | ---: | ---: |")
        print(f"| identities stored | {stored:,} | ≥ 1,000,000 |")
        print(f"| one at a time: decision p50 (ms, incl. commit) | {statistics.median(single_ms):.2f} | |")
        print(f"| one at a time: decision p99 (ms, incl. commit) | {percentile(single_ms, 0.99):.2f} | ≤ 10 |")
        print(f"| one at a time: records/s | {len(single_ms) / (sum(single_ms) / 1000):,.0f} | |")
        print(f"| batches of {batch} in {parallel} parallel transactions: records/s | "
              f"{len(busy) / busy_seconds:,.0f} | ≥ 5,000 |")
        print(f"| batches of {batch}: batch p50 / p99 (ms) | {statistics.median(batch_ms):.0f} / "
              f"{percentile(batch_ms, 0.99):.0f} | |")
        print(f"| batches of {batch}: per record, amortised (ms) | "
              f"{sum(batch_ms) / len(busy):.3f} | |")
        database = f"{server_cpu / len(busy) * 1000:.3f}" if server_cpu is not None else "(not readable)"
        print(f"| batches of {batch}: CPU per record, matching / database (ms) | "
              f"{client_cpu / len(busy) * 1000:.3f} / {database} | |")
        print()
        total = sum(outcome.values())
        print("decisions against the truth: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcome.items()))
              + f" (of {total:,})")
        links = outcome["right link"] + outcome["wrong link"]
        print(f"auto-link precision {outcome['right link'] / links:.4f}; of the people never seen, {twins:,} share "
              f"name and birth date with a stored resident (同姓同名同生年月日: the synthetic city draws names from "
              f"short lists)")
        await clean_stream(pool)
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.matching_speed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--identities", type=int, default=1_000_000)
    parser.add_argument("--stream", type=int, default=20_000, help="records resolved (a fifth of them one at a time)")
    parser.add_argument("--batch", type=int, default=500, help="records per consumed batch (the service's default)")
    parser.add_argument("--parallel", type=int, default=2,
                        help="transactions a batch is split into, side by side (MATCHING_PARALLEL_TRANSACTIONS)")
    parser.add_argument("--seed", type=int, default=20240401)
    parser.add_argument("--database-url", default=os.environ.get("MATCHING_BENCH_DATABASE_URL"), required=False)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or MATCHING_BENCH_DATABASE_URL (make bench-matching sets it)")
    asyncio.run(run(args.database_url, args.identities, args.stream, args.batch, args.parallel, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
