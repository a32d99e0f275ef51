"""A doubtful pair for matching's review queue, made as tests/e2e/test_review_queue.py makes one: a tax record and
a water record of the same name in two forms of its kanji (齋/斉), the water one without a birth date, so matching
can neither link nor separate them alone."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx

from contracts import Department, PersonReference
from services.matching.scoring import load_model
from services.matching.store import resolve_debtor
from shared.db import create_pool
from tests.infrastructure import Infrastructure

DIGITS = "〇一二三四五六七八九甲乙丙丁戊己"


async def doubtful_pair(infra: Infrastructure) -> str:
    """The tag of a new pair: tax record T<tag> (齋藤 …, born 1980-05-06), water record W<tag> (斉藤 …)."""
    tag = uuid.uuid4().hex[:8]
    name = "齋藤 " + "".join(DIGITS[int(c, 16)] for c in tag)
    known = PersonReference(source_person_id=f"T{tag}", name_kanji=name, name_kana="サイトウ ｲﾁﾛｳ",
                            birth_date=date(1980, 5, 6), address="愛知県豊田市西町3丁目60番地5号")
    doubtful = PersonReference(source_person_id=f"W{tag}", name_kanji=name.replace("齋", "斉"))
    pool = await create_pool(infra.database_urls["matching"])
    try:
        async with pool.acquire() as conn, conn.transaction():
            await resolve_debtor(conn, Department.TAX, known, load_model())
            await resolve_debtor(conn, Department.WATER, doubtful, load_model())
    finally:
        await pool.close()
    return tag


def doubtful_pair_in_a_thread(infra: Infrastructure) -> str:
    """The same from sync code that already runs an event loop (Playwright's sync API)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, doubtful_pair(infra)).result()


def review_of(matching_url: str, headers: dict[str, str], tag: str) -> int:
    """The open review of the pair's water record."""
    page = httpx.get(f"{matching_url}/reviews", params={"department": "water", "source_person_id": f"W{tag}"},
                     headers=headers, timeout=10).json()
    assert page["total"] == 1, page
    return int(page["items"][0]["review_id"])
