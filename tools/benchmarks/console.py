"""The staff console's pages as an officer waits for them: ``python -m tools.benchmarks.console``.

Against a running system (``make up``, or the pipeline benchmark's, which calls ``measure`` with its city): signs
in to the console as an officer, finds real people, cases and claims through collection's API (the same token),
then requests every page kind ``--requests`` times one after another and again with ``--clients`` officers at
once, and prints p50 / p95 / max per page kind against the targets of issue 24 (every page p95 ≤ 300 ms; the
person search ≤ 100 ms). Each page is read as a browser reads it: through the console, which reads the APIs
with the officer's token (so every read is authorised and audit-logged, as in use). Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import httpx

#: p95 targets in seconds (issue 24): a page, and the person search.
PAGE_P95 = 0.300
SEARCH_P95 = 0.100


@dataclass
class PageKind:
    """One kind of page and the concrete addresses it is measured on (one is drawn per request)."""

    label: str
    paths: list[str]
    target: float = PAGE_P95
    timings: list[float] = field(default_factory=list)
    failures: int = 0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share / 100 * len(ordered)) - 1))]


async def _sign_in(console: httpx.AsyncClient, staff_id: str, password: str) -> None:
    response = await console.post("/login", data={"staff_id": staff_id, "password": password, "next": "/search"},
                                  headers={"Origin": str(console.base_url).rstrip("/")})
    if response.status_code != 303 or "console_token" not in console.cookies:
        raise SystemExit(f"console sign-in as {staff_id} refused ({response.status_code})")


async def discover(api: httpx.AsyncClient, people: int = 40) -> list[PageKind]:
    """Page addresses of real data: cases of every size (the list, sorted two ways and paged), debtors, their
    claims, and searches by the names and readings officers would type (surname alone, full reading, with a
    birth date in 和暦 where the record has one)."""
    first = (await api.get("/cases", params={"limit": 200, "sort": "delinquent_balance",
                                                  "descending": "true"})).raise_for_status().json()
    rows = first["items"]
    if not rows:
        raise SystemExit("no open case: import a city first (make up does)")
    rng = random.Random(7)
    chosen = rng.sample(rows, min(people, len(rows)))
    debtors = [row["debtor_id"] for row in chosen]
    claims: list[str] = []
    for debtor in debtors[:10]:
        view = (await api.get(f"/debtors/{debtor}")).raise_for_status().json()
        claims += [f"/claims/{c['department']}/{quote(str(c['claim_id']), safe='')}" for c in view["claims"][:3]]
    surnames = [row["name"].split()[0] for row in chosen if row.get("name") and " " in row["name"]]
    readings = [row["name_kana"] for row in chosen if row.get("name_kana")]
    pages = max(1, first["total"] // 50)
    kinds = [
        PageKind("人物検索: 氏名 (姓のみ)", [f"/search?{urlencode({'name': s})}" for s in surnames], SEARCH_P95),
        PageKind("人物検索: フリガナ", [f"/search?{urlencode({'name': r})}" for r in readings], SEARCH_P95),
        PageKind("事案一覧 (滞納額順)", ["/cases"]),
        PageKind("事案一覧 (フリガナ順, 任意のページ)",
                 [f"/cases?{urlencode({'sort': 'name_kana', 'offset': 50 * rng.randrange(pages)})}"
                  for _ in range(20)]),
        PageKind("滞納者カルテ", [f"/debtors/{d}" for d in debtors]),
        PageKind("債権 (経過記録・処分の入力)", claims),
    ]
    return [kind for kind in kinds if kind.paths]


async def _run(console: httpx.AsyncClient, kinds: Iterable[PageKind], requests: int, clients: int) -> None:
    async def officer(seed: int, kind: PageKind, count: int) -> None:
        pick = random.Random(seed)
        for _ in range(count):
            path = pick.choice(kind.paths)
            started = time.perf_counter()
            response = await console.get(path)
            kind.timings.append(time.perf_counter() - started)
            if response.status_code != 200:
                kind.failures += 1

    for kind in kinds:
        await officer(1, kind, requests)  # one officer after another
        await asyncio.gather(*(officer(100 + n, kind, max(1, requests // clients)) for n in range(clients)))


def report(kinds: Iterable[PageKind], clients: int) -> list[str]:
    lines = [f"console pages, each requested alone and by {clients} officers at once (ms)",
             "| page | requests | p50 | p95 | max | target p95 | failures |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind in kinds:
        p95 = _percentile(kind.timings, 95)
        verdict = "met" if p95 <= kind.target else "missed"
        lines.append(f"| {kind.label} | {len(kind.timings)} | {statistics.median(kind.timings) * 1000:,.0f} | "
                     f"{p95 * 1000:,.0f} | {max(kind.timings) * 1000:,.0f} | ≤ {kind.target * 1000:,.0f} "
                     f"({verdict}) | {kind.failures} |")
    return lines


async def measure(console_url: str, api_url: str, staff_id: str, password: str, requests: int = 100,
                  clients: int = 10) -> list[str]:
    """The report's lines for a running console and collection API."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as api, \
            httpx.AsyncClient(base_url=console_url, timeout=30, limits=limits) as console:
        token = (await api.post("/auth/token", data={"username": staff_id, "password": password})
                 ).raise_for_status().json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        kinds = await discover(api)
        await _sign_in(console, staff_id, password)
        await _run(console, kinds, requests, clients)
    return report(kinds, clients)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.console", description=__doc__.splitlines()[0])
    parser.add_argument("--console", default=f"http://127.0.0.1:{os.environ.get('CONSOLE_HTTP_PORT', '8010')}")
    parser.add_argument("--api", default=f"http://127.0.0.1:{os.environ.get('COLLECTION_HTTP_PORT', '8000')}")
    parser.add_argument("--staff", default="demo-collector")
    parser.add_argument("--password-env", default="DEMO_STAFF_PASSWORD",
                        help="the variable holding the officer's password (make up's demo accounts: "
                             "DEMO_STAFF_PASSWORD, default demo-password-2025)")
    parser.add_argument("--requests", type=int, default=100, help="requests per page kind, each way")
    parser.add_argument("--clients", type=int, default=10, help="officers at once in the concurrent round")
    args = parser.parse_args(argv)
    password = os.environ.get(args.password_env, "demo-password-2025" if args.password_env == "DEMO_STAFF_PASSWORD"
                              else "")
    lines = asyncio.run(measure(args.console, args.api, args.staff, password, args.requests, args.clients))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
