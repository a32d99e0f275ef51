"""DV等支援措置 in collection's store against the real database: a department's messages (in any order, redelivered),
staff's record, and merges and splits carry the measure with the record it was recorded on."""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import asyncpg

from contracts import (
    ClaimAssessed,
    DebtorMerged,
    DebtorSplit,
    Department,
    Envelope,
    PersonReference,
    SourceRecord,
    SupportMeasureChanged,
    new_envelope,
)
from services.collection.store import apply_identity_change, apply_messages
from services.collection.stores.support_measures import measures_of, protected_since, record_by_staff

JST = timezone(timedelta(hours=9))


def matched(payload, department: Department, debtor: str) -> Envelope:  # type: ignore[no-untyped-def]
    return new_envelope(payload, source_system=f"{department.value}-core", department=department,
                        occurred_at=datetime(2024, 10, 1, tzinfo=JST), correlation_id="test",
                        source_keys=(uuid.uuid4().hex,), produced_at=datetime.now(UTC), debtor_id=debtor)


def measure(person: PersonReference, debtor: str, active: bool, on: date) -> Envelope:
    return matched(SupportMeasureChanged(person=person, active=active, effective_on=on), Department.TAX, debtor)


def identity(payload, key: str) -> Envelope:  # type: ignore[no-untyped-def]
    return new_envelope(payload, source_system="debtor-matching", department=None, occurred_at=datetime.now(UTC),
                        correlation_id="review", source_keys=(key,), produced_at=datetime.now(UTC))


async def test_the_latest_change_holds_whatever_order_the_messages_arrive_in(collection_pool: asyncpg.Pool) -> None:
    run = uuid.uuid4().hex[:8]
    debtor, person = f"D-{run}", PersonReference(source_person_id=f"T-{run}")
    started = measure(person, debtor, True, date(2024, 10, 1))
    ended = measure(person, debtor, False, date(2025, 1, 10))
    async with collection_pool.acquire() as conn:
        assert await apply_messages(conn, [started]) == [True]
        assert await protected_since(conn, [debtor]) == {debtor: date(2024, 10, 1)}
        assert await apply_messages(conn, [started]) == [False]  # redelivered: nothing more
        await apply_messages(conn, [ended])
        assert await protected_since(conn, [debtor]) == {}
        # a start recorded earlier than the end, arriving after it, does not bring the measure back
        late = measure(person, debtor, True, date(2024, 12, 1))
        await apply_messages(conn, [late])
        assert await protected_since(conn, [debtor]) == {}
        rows = await measures_of(conn, debtor)
    assert [(r["active"], r["effective_on"], r["source"]) for r in rows] == [(False, date(2025, 1, 10), "department:tax")]


async def test_staff_record_it_on_every_record_and_a_merge_and_split_carry_it(collection_pool: asyncpg.Pool) -> None:
    run = uuid.uuid4().hex[:8]
    a, b = f"A-{run}", f"B-{run}"
    tax_person = PersonReference(source_person_id=f"TAX-{run}", name_kanji="﨑山 花子")
    water_person = PersonReference(source_person_id=f"WAT-{run}", name_kanji="崎山 花子")
    claims = [matched(ClaimAssessed(claim_id=f"c-{department.value}-{run}", person=person, receivable_type=receivable,
                                    legal_category=category, fiscal_year=2024, installment=1,
                                    due_date=date(2024, 6, 30), amount=10_000, assessed_on=date(2024, 4, 10)),
                      department, debtor)
              for department, person, debtor, receivable, category in (
                  (Department.TAX, tax_person, a, "individual_inhabitant_tax", "forced_public"),
                  (Department.WATER, water_person, b, "water_supply_charge", "private"))]
    records = (SourceRecord(department="tax", source_person_id=tax_person.source_person_id),)
    merged = identity(DebtorMerged(merge_id=f"M-{run}", from_debtor_id=a, into_debtor_id=b, records=records), f"m-{run}")
    split = identity(DebtorSplit(merge_id=f"M-{run}", restored_debtor_id=a, from_debtor_id=b, records=records),
                     f"s-{run}")
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, claims)
        async with conn.transaction():
            assert await record_by_staff(conn, a, active=True, effective_on=date(2025, 1, 6), reason="市民課から通知",
                                         staff="e2e-supervisor") == 1
        assert await protected_since(conn, [a, b]) == {a: date(2025, 1, 6)}
        async with conn.transaction():
            await apply_identity_change(conn, merged)
        assert await protected_since(conn, [a, b]) == {b: date(2025, 1, 6)}  # one of the merged records is
        async with conn.transaction():
            await apply_identity_change(conn, split)
        assert await protected_since(conn, [a, b]) == {a: date(2025, 1, 6)}  # the measure went back with its record
        async with conn.transaction():  # a supervisor ends it; the record says who and why
            await record_by_staff(conn, a, active=False, effective_on=date(2025, 3, 1), reason="措置期間満了",
                                  staff="e2e-supervisor")
        rows = await measures_of(conn, a)
    assert recorded(rows) == [(False, "staff", "措置期間満了", "e2e-supervisor")]


def recorded(rows: list[asyncpg.Record]) -> list[tuple[object, ...]]:
    return [(r["active"], r["source"], r["reason"], r["recorded_by"]) for r in rows]
