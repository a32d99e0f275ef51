"""The person search's SQL (person_search.py folds what an officer typed): departmental person records whose
normalised fields match, grouped by the debtor identity each belongs to. Only the conditions given are in the
statement, so each is served by its index (migrations/0009_person_search.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from services.matching.person_search import SearchTerms, like_prefix

#: Records read at most for one search: a search that matches more is too broad to show (the page says so).
MAX_RECORDS = 500


@dataclass(frozen=True, slots=True)
class FoundRecord:
    department: str
    source_person_id: str
    recorded: dict[str, Any] | None  # the person as the department sent it


@dataclass(frozen=True, slots=True)
class FoundPerson:
    debtor_id: str
    records: list[FoundRecord]


def _conditions(terms: SearchTerms) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if terms.name is not None:
        where.append(f"(p.normalised->>'name' LIKE {arg(like_prefix(terms.name))} "
                     f"OR p.normalised->>'given_name' = {arg(terms.name)})")
    if terms.kana is not None:
        where.append(f"(p.normalised->>'name_kana' LIKE {arg(like_prefix(terms.kana))} "
                     f"OR p.normalised->>'given_kana' = {arg(terms.kana)})")
    if terms.address is not None:
        where.append(f"p.normalised->>'address' LIKE {arg(like_prefix(terms.address))}")
    for field, value in (("birth_date", terms.birth_date.isoformat() if terms.birth_date else None),
                         ("phone", terms.phone), ("postal_code", terms.postal_code),
                         ("register_number", terms.register_number)):
        if value is not None:
            where.append(f"p.normalised->>'{field}' = {arg(value)}")
    if terms.department is not None:
        where.append(f"p.department = {arg(terms.department)}")
    if terms.source_person_id is not None:
        where.append(f"p.source_person_id = {arg(terms.source_person_id)}")
    return where, args


async def search_people(conn: asyncpg.Connection, terms: SearchTerms, *, limit: int
                        ) -> tuple[list[FoundPerson], bool]:
    """Up to ``limit`` debtor identities with the records that matched, ordered by reading then name; and whether
    more records matched than one search reads (``MAX_RECORDS``: the officer should narrow it)."""
    if terms.empty:
        return [], False
    where, args = _conditions(terms)
    rows = await conn.fetch(
        "SELECT l.debtor_id, p.department, p.source_person_id, p.recorded, "
        "coalesce(p.normalised->>'name_kana', '') AS kana, coalesce(p.normalised->>'name', '') AS name "
        "FROM person_records p JOIN source_links l USING (department, source_person_id) "
        f"WHERE {' AND '.join(where)} LIMIT {MAX_RECORDS + 1}", *args)
    more = len(rows) > MAX_RECORDS
    people: dict[str, list[asyncpg.Record]] = {}
    for row in sorted(rows[:MAX_RECORDS], key=lambda r: (r["kana"], r["name"], r["department"],
                                                         r["source_person_id"])):
        people.setdefault(str(row["debtor_id"]), []).append(row)
    found = [FoundPerson(debtor, [FoundRecord(r["department"], r["source_person_id"], r["recorded"]) for r in rows])
             for debtor, rows in people.items()]
    return found[:limit], more or len(found) > limit


__all__ = ["MAX_RECORDS", "FoundPerson", "FoundRecord", "search_people"]
