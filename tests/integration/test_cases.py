"""Cases against the real database: one open case per debtor with all their delinquent claims, each assigned by the
policy (never a forced-collection or tax claim to a firm), recomputed by the queue as payments, merges, holds and
overrides change it, with every change of holder in the history."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import asyncpg
import pytest

from contracts import (
    ClaimAssessed,
    DebtorMerged,
    Department,
    Envelope,
    PaymentReceived,
    PersonReference,
    SourceRecord,
    new_envelope,
)
from services.collection.assignment import Holder, HolderKind, load_policy
from services.collection.cases import (
    drain_refresh_queue,
    end_hold,
    refresh_cases,
    set_override,
    start_hold,
)
from services.collection.store import apply_identity_change, apply_messages
from tests.conftest import CITY_AS_OF

JST = timezone(timedelta(hours=9))
POLICY = load_policy()
AS_OF = CITY_AS_OF  # the business date of the collection service the end-to-end tests run alongside

RECEIVABLE = {  # department → (receivable, category)
    Department.TAX: ("individual_inhabitant_tax", "forced_public"),
    Department.INSURANCE: ("national_health_insurance_tax", "forced_public"),
    Department.CHILDCARE: ("school_lunch_fee", "private"),
    Department.HOUSING: ("municipal_housing_rent", "private"),
    Department.WATER: ("water_supply_charge", "private"),
}


def message(payload, department: Department, debtor: str) -> Envelope:  # type: ignore[no-untyped-def]
    return new_envelope(payload, source_system=f"{department.value}-core", department=department,
                        occurred_at=datetime(2024, 6, 1, tzinfo=JST), correlation_id="test",
                        source_keys=(uuid.uuid4().hex,), produced_at=datetime.now(UTC), debtor_id=debtor)


def claim(debtor: str, department: Department, amount: int, due: date, name: str = "髙橋 一郎") -> Envelope:
    receivable, category = RECEIVABLE[department]
    person = PersonReference(source_person_id=f"{department.value}-{debtor}", name_kanji=name)
    fiscal_year = due.year if due.month >= 4 else due.year - 1
    return message(ClaimAssessed(claim_id=f"{department.value}-{uuid.uuid4().hex[:10]}", person=person,
                                 receivable_type=receivable, legal_category=category, fiscal_year=fiscal_year,
                                 installment=1, due_date=due, amount=amount, assessed_on=date(fiscal_year, 4, 1)),
                   department, debtor)


def paid(assessed: Envelope, amount: int, on: date) -> Envelope:
    p = assessed.payload
    return message(PaymentReceived(payment_id=uuid.uuid4().hex[:12], person=p.person,  # type: ignore[attr-defined]
                                   claim_id=p.claim_id, amount=amount, paid_on=on,  # type: ignore[attr-defined]
                                   channel="counter"), assessed.department, assessed.debtor_id or "")


async def drain(pool: asyncpg.Pool, as_of: date = AS_OF):  # type: ignore[no-untyped-def]
    """Drain the queue here, then wait out rows a running collection service's case worker took first (the
    end-to-end tests' services share this database and skip-lock the same queue): until the queue is empty, every
    recomputation has committed."""
    summary = await drain_refresh_queue(pool, as_of=as_of, policy=POLICY)
    deadline = asyncio.get_running_loop().time() + 60
    while await pool.fetchval("SELECT count(*) FROM case_refresh_queue"):
        assert asyncio.get_running_loop().time() < deadline, "the case refresh queue did not empty within 60 s"
        await asyncio.sleep(0.05)
        summary.add(await drain_refresh_queue(pool, as_of=as_of, policy=POLICY))
    return summary


async def case_of(conn: asyncpg.Connection, debtor: str) -> tuple[asyncpg.Record | None, dict[str, str]]:
    case = await conn.fetchrow("SELECT * FROM cases WHERE debtor_id = $1 AND status = 'open'", debtor)
    holders = {} if case is None else {r["claim_id"]: r["holder_code"] for r in await conn.fetch(
        "SELECT claim_id, holder_code FROM case_claims WHERE case_id = $1", case["case_id"])}
    return case, holders


async def test_one_case_gathers_every_departments_delinquent_claims_and_routes_each(
    collection_pool: asyncpg.Pool,
) -> None:
    debtor = uuid.uuid4().hex
    tax = claim(debtor, Department.TAX, 30_000, date(2024, 6, 30))
    water = claim(debtor, Department.WATER, 20_000, date(2024, 5, 31))  # private, 245 days overdue on AS_OF
    rent = claim(debtor, Department.HOUSING, 5_000, date(2024, 12, 31))  # private but young and small
    not_due = claim(debtor, Department.CHILDCARE, 4_000, date(2025, 2, 28))  # not delinquent yet
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, [tax, water, rent, not_due])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        case, holders = await case_of(conn, debtor)
        assert case is not None and case["delinquent_balance"] == 55_000 and case["claim_count"] == 3
        assert holders == {tax.payload.claim_id: "tax_insurance", water.payload.claim_id: "housing_water",  # type: ignore[attr-defined]
                           rent.payload.claim_id: "housing_water"}  # type: ignore[attr-defined]
        # the tax claim keeps the central division's seizure lever in the lead: nothing is outsourced
        assert case["lead_code"] == "tax_insurance" and case["outsourced_balance"] == 0
        assert sorted(case["departments"]) == ["housing", "tax", "water"]
        history = await conn.fetch("SELECT cause, actor, to_code FROM assignment_history WHERE case_id = $1",
                                   case["case_id"])
        assert len(history) == 3 and {h["cause"] for h in history} == {"billing events"}


async def test_without_forced_collection_claims_old_private_claims_go_to_a_lawyer_team(
    collection_pool: asyncpg.Pool,
) -> None:
    debtor = uuid.uuid4().hex
    water = claim(debtor, Department.WATER, 20_000, date(2024, 5, 31))
    rent = claim(debtor, Department.HOUSING, 5_000, date(2024, 12, 31))
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, [water, rent])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        case, holders = await case_of(conn, debtor)
        assert case is not None
        assert holders[water.payload.claim_id] in POLICY.lawyer_teams  # type: ignore[attr-defined]
        assert holders[rent.payload.claim_id] == "housing_water"  # type: ignore[attr-defined]
        assert case["outsourced_balance"] == 20_000 and case["lead_code"] == "housing_water"
        rule = await conn.fetchval("SELECT rule_id FROM case_claims WHERE claim_id = $1",
                                   water.payload.claim_id)  # type: ignore[attr-defined]
        assert rule == "outsource-aged-no-forced"

        # a tax arrear arrives: the firm's claim comes back to staff, and the history says why
        await apply_messages(conn, [claim(debtor, Department.TAX, 8_000, date(2024, 7, 31))])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        case, holders = await case_of(conn, debtor)
        assert case is not None and set(holders.values()) <= set(POLICY.central_groups)
        moves = await conn.fetch("SELECT from_code, to_code FROM assignment_history WHERE case_id = $1 "
                                 "AND claim_id = $2 ORDER BY history_id", case["case_id"],
                                 water.payload.claim_id)  # type: ignore[attr-defined]
        assert [m["to_code"] for m in moves][-1] == "housing_water" and moves[-1]["from_code"] in POLICY.lawyer_teams


async def test_paid_claims_leave_the_case_and_a_case_with_nothing_left_closes(collection_pool: asyncpg.Pool) -> None:
    debtor = uuid.uuid4().hex
    first, second = claim(debtor, Department.TAX, 10_000, date(2024, 6, 30)), \
        claim(debtor, Department.INSURANCE, 6_000, date(2024, 7, 31))
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, [first, second])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, [paid(first, 10_000, date(2024, 12, 1))])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        case, holders = await case_of(conn, debtor)
        assert case is not None and list(holders) == [second.payload.claim_id]  # type: ignore[attr-defined]
        assert case["delinquent_balance"] == 6_000
        await apply_messages(conn, [paid(second, 6_000, date(2024, 12, 2))])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        assert (await case_of(conn, debtor))[0] is None
        closed = await conn.fetchrow("SELECT status, closed_on, claim_count FROM cases WHERE debtor_id = $1", debtor)
        assert (closed["status"], closed["closed_on"], closed["claim_count"]) == ("closed", AS_OF, 0)
        # a new arrear opens a new case: the closed one stays as history
        await apply_messages(conn, [claim(debtor, Department.TAX, 1_000, date(2024, 8, 31))])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM cases WHERE debtor_id = $1", debtor) == 2


async def test_a_claim_becomes_delinquent_the_day_after_its_due_date(collection_pool: asyncpg.Pool) -> None:
    debtor = uuid.uuid4().hex
    async with collection_pool.acquire() as conn:
        # (the running service's case worker may refresh it too, for AS_OF: it would find it delinquent as well)
        await apply_messages(conn, [claim(debtor, Department.TAX, 7_000, date(2024, 12, 31))])
        async with conn.transaction():
            await refresh_cases(conn, {debtor: "test"}, as_of=date(2024, 12, 31), policy=POLICY)
        assert (await case_of(conn, debtor))[0] is None
        async with conn.transaction():
            await refresh_cases(conn, {debtor: "test"}, as_of=date(2025, 1, 1), policy=POLICY)
        assert (await case_of(conn, debtor))[0] is not None


async def test_a_merge_moves_the_claims_into_the_surviving_debtors_case(collection_pool: asyncpg.Pool) -> None:
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    tax, water = claim(a, Department.TAX, 9_000, date(2024, 6, 30)), claim(b, Department.WATER, 3_000,
                                                                           date(2024, 6, 30))
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, [tax, water])
    await drain(collection_pool)
    merge_id = uuid.uuid4().hex
    merged = new_envelope(DebtorMerged(merge_id=merge_id, from_debtor_id=b, into_debtor_id=a,
                                       records=(SourceRecord(department="water", source_person_id=f"water-{b}"),)),
                          source_system="debtor-matching", department=None, occurred_at=datetime.now(JST),
                          correlation_id="t", source_keys=(merge_id,), produced_at=datetime.now(UTC))
    async with collection_pool.acquire() as conn, conn.transaction():
        await apply_identity_change(conn, merged)
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        case, holders = await case_of(conn, a)
        assert case is not None and set(holders) == {tax.payload.claim_id, water.payload.claim_id}  # type: ignore[attr-defined]
        assert (await case_of(conn, b))[0] is None
        causes = {r["cause"] for r in await conn.fetch(
            "SELECT cause FROM assignment_history WHERE case_id = $1", case["case_id"])}
        assert "merge" in causes


async def test_a_hold_keeps_everything_with_staff_and_an_override_respects_the_law(
    collection_pool: asyncpg.Pool,
) -> None:
    debtor = uuid.uuid4().hex
    water = claim(debtor, Department.WATER, 20_000, date(2024, 5, 31))
    tax = claim(debtor, Department.TAX, 4_000, date(2024, 6, 30))
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, [water])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        assert (await case_of(conn, debtor))[1][water.payload.claim_id] in POLICY.lawyer_teams  # type: ignore[attr-defined]
        async with conn.transaction():
            hold = await start_hold(conn, debtor, reason="生活困窮: 自立相談支援機関へつなぐ", by="staff-9")
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        case, holders = await case_of(conn, debtor)
        assert case is not None and case["on_hold"] and set(holders.values()) == {"housing_water"}
        async with conn.transaction():
            await end_hold(conn, hold, by="staff-9")
        await apply_messages(conn, [tax])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        case, holders = await case_of(conn, debtor)
        assert case is not None and not case["on_hold"]
        team = Holder(HolderKind.LAWYER_TEAM, "lawyer_team_b")
        async with conn.transaction():
            await set_override(conn, case["case_id"], team, reason="係争中の事案: 弁護士に一任", by="chief-1",
                               as_of=AS_OF, policy=POLICY)
        case, holders = await case_of(conn, debtor)
        assert holders[water.payload.claim_id] == "lawyer_team_b"  # type: ignore[attr-defined]
        assert holders[tax.payload.claim_id] == "tax_insurance"  # type: ignore[attr-defined]  # the law wins
        last = await conn.fetchrow("SELECT cause, actor, rule_id FROM assignment_history WHERE case_id = $1 "
                                   "ORDER BY history_id DESC LIMIT 1", case["case_id"])
        assert (last["cause"], last["actor"], last["rule_id"]) == ("override", "chief-1", "override")
        with pytest.raises(ValueError, match="no lawyer_team"):
            async with conn.transaction():
                await set_override(conn, case["case_id"], Holder(HolderKind.LAWYER_TEAM, "nobody"), reason="x",
                                   by="chief-1", as_of=AS_OF, policy=POLICY)


async def outsourcing(conn: asyncpg.Connection, case_id: int) -> tuple[str, int] | None:
    """What the lawyer gateway was last told (the outbox itself may already be relayed by a running service)."""
    row = await conn.fetchrow("SELECT status, version FROM case_outsourcing WHERE case_id = $1", case_id)
    return (row["status"], row["version"]) if row else None


async def test_what_a_firm_holds_is_published_when_it_changes_and_withdrawn_when_it_goes(
    collection_pool: asyncpg.Pool,
) -> None:
    debtor = uuid.uuid4().hex
    water = claim(debtor, Department.WATER, 20_000, date(2024, 5, 31), name="山﨑 花子")
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, [water])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        case, _ = await case_of(conn, debtor)
        assert case is not None and await outsourcing(conn, case["case_id"]) == ("assigned", 1)
        async with conn.transaction():  # recomputed with nothing changed: nothing new to tell
            await refresh_cases(conn, {debtor: "test"}, as_of=AS_OF, policy=POLICY)
        assert await outsourcing(conn, case["case_id"]) == ("assigned", 1)
        await apply_messages(conn, [claim(debtor, Department.TAX, 5_000, date(2024, 6, 30))])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        assert await outsourcing(conn, case["case_id"]) == ("withdrawn", 2)


async def test_a_missed_installment_is_found_once_and_a_plan_renegotiated_replaces_it(
    collection_pool: asyncpg.Pool,
) -> None:
    from contracts import InstallmentAgreed, ScheduledInstallment
    from services.collection.store import load_installment_plans

    debtor = uuid.uuid4().hex
    rent = claim(debtor, Department.HOUSING, 30_000, date(2024, 6, 30))
    person = rent.payload.person  # type: ignore[attr-defined]
    plan = message(InstallmentAgreed(agreement_id=f"A-{debtor[:8]}", person=person,
                                     claim_ids=(rent.payload.claim_id,),  # type: ignore[attr-defined]
                                     schedule=(ScheduledInstallment(due_date=date(2024, 10, 31), amount=10_000),
                                               ScheduledInstallment(due_date=date(2024, 11, 30), amount=10_000),
                                               ScheduledInstallment(due_date=date(2024, 12, 31), amount=10_000)),
                                     agreed_on=date(2024, 10, 1)), Department.HOUSING, debtor)
    async with collection_pool.acquire() as conn:
        await apply_messages(conn, [rent, plan, paid(rent, 10_000, date(2024, 10, 30)),
                                    paid(rent, 4_000, date(2024, 12, 2))])
    await drain(collection_pool)
    async with collection_pool.acquire() as conn:
        (status,) = (await load_installment_plans(conn, [debtor], AS_OF))[debtor]
        assert status.status.state.value == "missed"
        # November: 20,000 due by 12/5, 14,000 paid; December: 30,000 due by 1/5, 14,000 paid
        assert [(m.due_date, m.shortfall) for m in status.status.missed] == [(date(2024, 11, 30), 6_000),
                                                                              (date(2024, 12, 31), 16_000)]
        misses = await conn.fetch("SELECT due_date FROM installment_misses WHERE debtor_id = $1 ORDER BY 1", debtor)
        assert [m["due_date"] for m in misses] == [date(2024, 11, 30), date(2024, 12, 31)]
        async with conn.transaction():  # found again on the next pass: announced once
            await refresh_cases(conn, {debtor: "test"}, as_of=AS_OF, policy=POLICY)
        assert await conn.fetchval("SELECT count(*) FROM installment_misses WHERE debtor_id = $1", debtor) == 2
        renegotiated = message(InstallmentAgreed(
            agreement_id=f"A-{debtor[:8]}", person=person, claim_ids=(rent.payload.claim_id,),  # type: ignore[attr-defined]
            schedule=(ScheduledInstallment(due_date=date(2025, 2, 28), amount=16_000),),
            agreed_on=date(2025, 1, 10)), Department.HOUSING, debtor)
        await apply_messages(conn, [renegotiated])
        (again,) = (await load_installment_plans(conn, [debtor], AS_OF))[debtor]
        assert (again.versions, again.status.state.value, again.status.missed) == (2, "on_track", ())
