"""Resolving departmental person records to debtors against the real database."""

import asyncio
import uuid
from datetime import date

import asyncpg

from contracts import Department, PersonReference
from services.matching.store import resolve_debtor


def person(name: str | None = "髙橋 一郎", born: date | None = date(1975, 4, 1), pid: str | None = None) -> PersonReference:
    return PersonReference(source_person_id=pid or uuid.uuid4().hex, name_kanji=name, birth_date=born)


def unique_name() -> str:
    return f"試験 {uuid.uuid4().hex[:10]}"


async def resolve(pool: asyncpg.Pool, department: Department, p: PersonReference) -> str:
    async with pool.acquire() as conn:
        return await resolve_debtor(conn, department, p)


async def test_same_departmental_record_resolves_to_the_same_debtor(matching_pool: asyncpg.Pool) -> None:
    record = person(unique_name())
    assert await resolve(matching_pool, Department.TAX, record) == await resolve(matching_pool, Department.TAX, record)


async def test_exact_name_and_birth_date_link_departments(matching_pool: asyncpg.Pool) -> None:
    name = unique_name()
    tax = await resolve(matching_pool, Department.TAX, person(name))
    water = await resolve(matching_pool, Department.WATER, person(name.replace(" ", "\u3000")))
    assert tax == water


async def test_different_birth_dates_never_link(matching_pool: asyncpg.Pool) -> None:
    name = unique_name()
    first = await resolve(matching_pool, Department.TAX, person(name, date(1975, 4, 1)))
    second = await resolve(matching_pool, Department.HOUSING, person(name, date(1975, 4, 2)))
    assert first != second


async def test_record_without_birth_date_gets_its_own_identity(matching_pool: asyncpg.Pool) -> None:
    name = unique_name()
    with_birth = await resolve(matching_pool, Department.TAX, person(name))
    without = await resolve(matching_pool, Department.CHILDCARE, person(name, None))
    assert with_birth != without


async def test_a_record_first_seen_without_birth_date_becomes_findable(matching_pool: asyncpg.Pool) -> None:
    name, pid = unique_name(), uuid.uuid4().hex
    first = await resolve(matching_pool, Department.TAX, person(None, None, pid))  # a payment: id only
    again = await resolve(matching_pool, Department.TAX, person(name, date(1980, 1, 1), pid))
    elsewhere = await resolve(matching_pool, Department.WATER, person(name, date(1980, 1, 1)))
    assert first == again == elsewhere


async def test_concurrent_first_sightings_of_one_person_make_one_debtor(matching_pool: asyncpg.Pool) -> None:
    name = unique_name()
    departments = list(Department)
    debtors = await asyncio.gather(*(resolve(matching_pool, d, person(name)) for d in departments))
    assert len(set(debtors)) == 1
    async with matching_pool.acquire() as conn:
        orphans = await conn.fetchval(
            "SELECT count(*) FROM debtors d WHERE NOT EXISTS (SELECT 1 FROM source_links l WHERE l.debtor_id = d.debtor_id)")
    assert orphans == 0
