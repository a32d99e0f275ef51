"""Person search (人物検索) against a large store of identities: ``python -m tools.benchmarks.person_search``.

Runs matching's own search (``services.matching.directory.search_people``, what ``GET /people`` serves the
console) against a matching database that already holds many identities — the store ``make bench-matching``
builds (a million residents, ``matching_bench``) — with what officers type: a surname (the beginning of the
name), a whole name, a reading in kana, a birth date with a surname, the beginning of an address. The queries
are taken from records in the store (so each finds someone) and folded by ``person_search.search_terms`` as the
service folds them. Prints p50/p95/max per kind over ``--queries`` searches, one after another; figures are
printed, never asserted. The console's page adds collection's ``POST /debtor-summaries`` for the page of results
(one indexed read per debtor) and its own rendering (``make bench-console``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from services.matching.directory import search_people
from services.matching.person_search import SearchTerms, search_terms

PAGE = 20  # the console's page of results


def _queries(samples: list[dict[str, Any]]) -> dict[str, list[SearchTerms]]:
    """Per kind of search, the terms an officer would type for the sampled records (recorded as sent)."""
    kinds: dict[str, Callable[[dict[str, Any]], dict[str, str] | None]] = {
        "氏名 (姓のみ)": lambda r: {"name": r["name_kanji"].split()[0]} if r.get("name_kanji") else None,
        "氏名 (姓名)": lambda r: {"name": r["name_kanji"]} if r.get("name_kanji") else None,
        "フリガナ (姓名)": lambda r: {"name": r["name_kana"]} if r.get("name_kana") else None,
        "生年月日と姓": lambda r: {"name": r["name_kanji"].split()[0], "birth_date": r["birth_date"]}
        if r.get("name_kanji") and r.get("birth_date") else None,
        "住所 (先頭8文字)": lambda r: {"address": r["address"][:8]} if r.get("address") else None,
    }
    found: dict[str, list[SearchTerms]] = {}
    for kind, typed in kinds.items():
        terms = []
        for record in samples:
            fields = typed(record)
            if fields:
                terms.append(search_terms(**fields))
        found[kind] = terms
    return found


async def run(database_url: str, queries: int, seed: int) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        identities = await conn.fetchval("SELECT count(*) FROM debtors")
        records = await conn.fetchval("SELECT count(*) FROM person_records")
        rows = await conn.fetch("SELECT recorded FROM person_records TABLESAMPLE SYSTEM (1) REPEATABLE ($1) "
                                "WHERE recorded IS NOT NULL LIMIT $2", seed, queries)
        samples = [json.loads(r["recorded"]) if isinstance(r["recorded"], str) else dict(r["recorded"]) for r in rows]
        random.Random(seed).shuffle(samples)
        print(f"person search against {identities:,} identities ({records:,} person records), "
              f"{len(samples)} queries of each kind, one after another (ms)")
        print("| search | queries | p50 | p95 | max | people found (mean) | narrowing asked (more than one search reads) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for kind, terms in _queries(samples).items():
            took, found, narrowed = [], [], 0
            for term in terms:
                started = time.perf_counter()
                people, more = await search_people(conn, term, limit=PAGE)
                took.append((time.perf_counter() - started) * 1000)
                found.append(len(people))
                narrowed += more
            if not took:
                continue
            ordered = sorted(took)
            p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
            print(f"| {kind} | {len(took)} | {statistics.median(took):.1f} | {p95:.1f} | {ordered[-1]:.1f} | "
                  f"{statistics.fmean(found):.1f} | {narrowed} |")
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("MATCHING_BENCH_DATABASE_URL"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20240401)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or MATCHING_BENCH_DATABASE_URL): a matching database with identities")
    asyncio.run(run(args.database_url, args.queries, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
