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

JST = timezone(timedelta(hours=9))


def envelope(payload, debtor_id: str | None, key: str) -> Envelope:  # type: ignore[no-untyped-def]
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
