"""A collection agent's 速報 in collection's store against the real database: kept once, read back into the
ledger as in transit, settled by the 確報 of the same receipt, and moved with its record when identities merge."""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import asyncpg

from contracts import (
    ClaimAssessed,
    DebtorMerged,
    Department,
    Envelope,
    PaymentReceived,
    PaymentReported,
    PersonReference,
    SourceRecord,
    new_envelope,
)
from services.collection.store import apply_identity_change, apply_messages, load_ledger

JST = timezone(timedelta(hours=9))
AS_OF = date(2025, 1, 31)


def matched(payload, debtor: str) -> Envelope:  # type: ignore[no-untyped-def]
    return new_envelope(payload, source_system="tax-core", department=Department.TAX,
                        occurred_at=datetime(2025, 1, 20, tzinfo=JST), correlation_id="test",
                        source_keys=(uuid.uuid4().hex,), produced_at=datetime.now(UTC), debtor_id=debtor)


async def test_a_report_is_in_transit_until_its_confirmation_and_follows_a_merge(
        collection_pool: asyncpg.Pool) -> None:
    run = uuid.uuid4().hex[:8]
    a, b = f"A-{run}", f"B-{run}"
    person = PersonReference(source_person_id=f"T-{run}", name_kanji="髙橋 一郎")
    claim_id = f"c-{run}"
    assessed = matched(ClaimAssessed(claim_id=claim_id, person=person, receivable_type="individual_inhabitant_tax",
                                     legal_category="forced_public", fiscal_year=2024, installment=1,
                                     due_date=date(2024, 6, 30), amount=42_000, assessed_on=date(2024, 6, 1)), a)
    report = matched(PaymentReported(payment_id=f"CVS-{run}", person=person, claim_id=claim_id, amount=42_000,
                                     paid_on=date(2025, 1, 28), channel="convenience_store",
                                     reported_on=date(2025, 1, 28)), a)
    merged = new_envelope(DebtorMerged(merge_id=f"M-{run}", from_debtor_id=a, into_debtor_id=b, records=(
        SourceRecord(department="tax", source_person_id=person.source_person_id),)), source_system="debtor-matching",
        department=None, occurred_at=datetime.now(UTC), correlation_id="review", source_keys=(run,),
        produced_at=datetime.now(UTC))
    confirmed = matched(PaymentReceived(payment_id=f"CVS-{run}", person=person, claim_id=claim_id, amount=42_000,
                                        paid_on=date(2025, 1, 28), channel="convenience_store",
                                        reported_on=date(2025, 1, 31)), a)
    async with collection_pool.acquire() as conn:
        assert await apply_messages(conn, [assessed, report]) == [True, True]
        assert await apply_messages(conn, [report]) == [False]
        ledger = await load_ledger(conn, a, AS_OF)
        assert ledger is not None and ledger.balance == 42_000
        assert [(r.payment_id, r.expected_by) for r in ledger.in_transit] == [(f"CVS-{run}", date(2025, 2, 11))]
        async with conn.transaction():
            await apply_identity_change(conn, merged)
        moved = await load_ledger(conn, b, AS_OF)
        assert moved is not None and [r.payment_id for r in moved.in_transit] == [f"CVS-{run}"]
        await apply_messages(conn, [confirmed])
        settled = await load_ledger(conn, b, AS_OF)
        reported = await conn.fetchval("SELECT reported_on FROM payments WHERE payment_id = $1", f"CVS-{run}")
    assert settled is not None and settled.balance == 0 and settled.in_transit == []
    assert reported == date(2025, 1, 31)
