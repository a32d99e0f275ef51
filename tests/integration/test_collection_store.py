"""The ledger store against the real database: each message applied once, in any order."""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import asyncpg
import pytest

from contracts import (
    ClaimAdjusted,
    ClaimAssessed,
    Department,
    Envelope,
    PaymentReceived,
    PaymentReversed,
    PersonReference,
    new_envelope,
)
from services.collection.store import MissingDebtorError, apply_messages, load_ledger
from shared.consumer import ConflictingRedelivery

JST = timezone(timedelta(hours=9))


def envelope(payload, debtor_id: str | None, key: str) -> Envelope:  # type: ignore[no-untyped-def]
    """A matched billing event."""
    return new_envelope(payload, source_system="tax-core", department=Department.TAX,
                        occurred_at=datetime(2024, 6, 1, tzinfo=JST), correlation_id="test",
                        source_keys=(key, str(debtor_id)), produced_at=datetime.now(UTC), debtor_id=debtor_id)


def scenario(debtor_id: str) -> list[Envelope]:
    person = PersonReference(source_person_id=f"p-{debtor_id}", name_kanji="﨑山 花子")
    claim_id = f"c-{debtor_id}"
    return [
        envelope(PaymentReceived(payment_id=f"r1-{debtor_id}", person=person, claim_id=claim_id, amount=4_000,
                                 paid_on=date(2024, 6, 20), channel="convenience_store"), debtor_id, "r1"),
        envelope(PaymentReversed(payment_id=f"r1-{debtor_id}", person=person, reason="entry_error",
                                 reversed_on=date(2024, 6, 25)), debtor_id, "rev1"),
        envelope(ClaimAdjusted(claim_id=claim_id, person=person, amount_delta=-2_000, reason="reduction",
                               adjusted_on=date(2024, 6, 15)), debtor_id, "adj1"),
        envelope(ClaimAssessed(claim_id=claim_id, person=person, receivable_type="fixed_asset_tax",
                               legal_category="forced_public", fiscal_year=2024, installment=1,
                               due_date=date(2024, 6, 30), amount=12_000, assessed_on=date(2024, 4, 10)),
                 debtor_id, "a1"),
        envelope(PaymentReceived(payment_id=f"r2-{debtor_id}", person=person, claim_id=claim_id, amount=3_000,
                                 paid_on=date(2024, 7, 10), channel="counter"), debtor_id, "r2"),
    ]


async def test_events_in_reverse_order_give_the_right_balance(collection_pool: asyncpg.Pool) -> None:
    debtor = uuid.uuid4().hex
    async with collection_pool.acquire() as conn:
        for message in scenario(debtor):  # payment, reversal and adjustment all arrive before the claim
            assert await apply_messages(conn, [message]) == [True]
        ledger = await load_ledger(conn, debtor, date(2024, 9, 30))
    assert ledger is not None
    (claim,) = ledger.claims
    assert (claim.principal, claim.paid, claim.balance) == (10_000, 3_000, 7_000)
    assert ledger.parked_payments == [] and ledger.overpayments == []


async def test_redelivery_changes_nothing(collection_pool: asyncpg.Pool) -> None:
    debtor = uuid.uuid4().hex
    messages = scenario(debtor)
    async with collection_pool.acquire() as conn:
        first = await apply_messages(conn, messages)
        second = await apply_messages(conn, messages + messages[:2])
        ledger = await load_ledger(conn, debtor, date(2024, 9, 30))
        payments = await conn.fetchval("SELECT count(*) FROM payments WHERE debtor_id = $1", debtor)
    assert first == [True] * 5 and second == [False] * 7
    assert payments == 2 and ledger is not None and ledger.balance == 7_000


async def test_unknown_debtor_has_no_ledger(collection_pool: asyncpg.Pool) -> None:
    async with collection_pool.acquire() as conn:
        assert await load_ledger(conn, uuid.uuid4().hex, date(2024, 9, 30)) is None


async def test_a_message_that_skipped_matching_is_refused(collection_pool: asyncpg.Pool) -> None:
    message = scenario("x")[0].model_copy(update={"debtor_id": None})
    async with collection_pool.acquire() as conn:
        with pytest.raises(MissingDebtorError):
            await apply_messages(conn, [message])


def identity(payload, key: str) -> Envelope:  # type: ignore[no-untyped-def]
    return new_envelope(payload, source_system="debtor-matching", department=None,
                        occurred_at=datetime.now(UTC), correlation_id="review", source_keys=(key,),
                        produced_at=datetime.now(UTC))


async def test_merge_then_split_move_claims_and_late_messages_land_with_the_right_debtor(
    collection_pool: asyncpg.Pool,
) -> None:
    from contracts import DebtorMerged, DebtorSplit, SourceRecord
    from services.collection.store import apply_identity_change

    run = uuid.uuid4().hex[:8]
    a, b = f"A-{run}", f"B-{run}"
    tax_person = PersonReference(source_person_id=f"TAX-{run}", name_kanji="髙橋 一郎")
    water_person = PersonReference(source_person_id=f"WAT-{run}", name_kanji="高橋 一郎")

    def assessed(person: PersonReference, debtor: str, claim: str, amount: int) -> Envelope:
        return envelope(ClaimAssessed(claim_id=claim, person=person, receivable_type="fixed_asset_tax",
                                      legal_category="forced_public", fiscal_year=2024, installment=1,
                                      due_date=date(2024, 6, 30), amount=amount, assessed_on=date(2024, 4, 10)),
                        debtor, claim)

    def paid(person: PersonReference, debtor: str, claim: str, payment: str, amount: int) -> Envelope:
        return envelope(PaymentReceived(payment_id=payment, person=person, claim_id=claim, amount=amount,
                                        paid_on=date(2024, 6, 1), channel="counter"), debtor, payment)

    tax_claim, water_claim = f"c-tax-{run}", f"c-water-{run}"
    merged = identity(DebtorMerged(merge_id=f"M-{run}", from_debtor_id=a, into_debtor_id=b,
                                   records=(SourceRecord(department="tax", source_person_id=tax_person.source_person_id),)),
                      f"merge-{run}")
    split = identity(DebtorSplit(merge_id=f"M-{run}", restored_debtor_id=a, from_debtor_id=b,
                                 records=(SourceRecord(department="tax", source_person_id=tax_person.source_person_id),)),
                     f"split-{run}")
    as_of = date(2024, 9, 30)
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, [assessed(tax_person, a, tax_claim, 10_000), assessed(water_person, b, water_claim, 3_000)])
        async with conn.transaction():
            assert await apply_identity_change(conn, merged) is True
            assert await apply_identity_change(conn, merged) is False  # redelivered: nothing more
        assert await load_ledger(conn, a, as_of) is None
        ledger = await load_ledger(conn, b, as_of)
        assert ledger is not None and {c.claim.claim_id for c in ledger.claims} == {tax_claim, water_claim}
        # a payment matching stamped with the old identity, applied after the merge
        await apply_messages(conn, [paid(tax_person, a, tax_claim, f"p1-{run}", 4_000)])
        ledger = await load_ledger(conn, b, as_of)
        assert ledger is not None and ledger.balance == 13_000 - 4_000

        async with conn.transaction():
            assert await apply_identity_change(conn, split) is True
        restored, other = await load_ledger(conn, a, as_of), await load_ledger(conn, b, as_of)
        assert restored is not None and other is not None
        assert [c.claim.claim_id for c in restored.claims] == [tax_claim] and restored.balance == 6_000
        assert [c.claim.claim_id for c in other.claims] == [water_claim] and other.balance == 3_000
        # a payment for the tax record still stamped with the merged identity, applied after the split
        await apply_messages(conn, [paid(tax_person, b, tax_claim, f"p2-{run}", 6_000)])
        restored = await load_ledger(conn, a, as_of)
        assert restored is not None and restored.balance == 0
        history = await conn.fetch("SELECT kind FROM identity_changes WHERE merge_id = $1 ORDER BY change_id",
                                   f"M-{run}")
    assert [h["kind"] for h in history] == ["merged", "split"]


async def test_a_known_message_id_with_another_payload_is_refused_not_dropped(collection_pool: asyncpg.Pool) -> None:
    debtor = uuid.uuid4().hex
    claim = scenario(debtor)[3]
    other_amount = claim.model_copy(update={"payload": claim.payload.model_copy(update={"amount": 99_000})})
    assert other_amount.message_id == claim.message_id
    async with collection_pool.acquire() as conn:
        assert await apply_messages(conn, [claim]) == [True]
        with pytest.raises(ConflictingRedelivery, match=str(claim.message_id)):
            async with conn.transaction():
                await apply_messages(conn, [other_amount])
        with pytest.raises(ConflictingRedelivery):  # two versions within one batch
            async with conn.transaction():
                fresh = scenario(uuid.uuid4().hex)[3]
                await apply_messages(conn, [fresh, fresh.model_copy(update={
                    "payload": fresh.payload.model_copy(update={"amount": 1})})])
        # a true redelivery, even re-resolved to another debtor after a merge, is still a redelivery
        assert await apply_messages(conn, [claim.model_copy(update={"debtor_id": debtor})]) == [False]
        ledger = await load_ledger(conn, debtor, date(2024, 9, 30))
    assert ledger is not None and ledger.claims[0].principal == 12_000


async def test_a_departments_own_notices_land_in_the_claims_action_record_once(collection_pool: asyncpg.Pool) -> None:
    """ClaimNoticeSent → the 経過記録 (claim_actions) as demand_notice / reminder_letter by the department, so the
    督促 task list, the workflow and 時効 count it; redelivered, it is there once."""
    from contracts import ClaimNoticeSent

    debtor = uuid.uuid4().hex
    person = PersonReference(source_person_id=f"p-{debtor}")
    claim_id = f"c-{debtor}"
    notices = [
        envelope(ClaimNoticeSent(notice_id="T2024-0451", person=person, claim_id=claim_id, kind="demand_notice",
                                 sent_on=date(2024, 7, 12)), debtor, "n1"),
        envelope(ClaimNoticeSent(notice_id="T2024-0990", person=person, claim_id=claim_id, kind="reminder",
                                 sent_on=date(2024, 8, 20)), debtor, "n2"),
    ]
    async with collection_pool.acquire() as conn:
        assert await apply_messages(conn, [*scenario(debtor), *notices]) == [True] * 7
        assert await apply_messages(conn, notices) == [False, False]
        rows = await conn.fetch("SELECT kind, done_on, recorded_by, note, message_id FROM claim_actions "
                                "WHERE department = 'tax' AND claim_id = $1 ORDER BY done_on", claim_id)
    assert [(r["kind"], r["done_on"], r["recorded_by"]) for r in rows] == [
        ("demand_notice", date(2024, 7, 12), "department:tax"), ("reminder_letter", date(2024, 8, 20), "department:tax")]
    assert rows[0]["note"] == "tax-core T2024-0451" and rows[0]["message_id"] == notices[0].message_id
