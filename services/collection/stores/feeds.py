"""Feeds back to the departments (services/collection/feeds.py decides what and how): gather new items from
collection's records (the 経過記録, central-window payments, the 充当 lines and 還付 stored when the money was taken)
into ``department_feed`` (each once), publish each through the outbox on its department's
topic in the same transaction, list what a department has not acknowledged, and record receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import asyncpg

from contracts import Department
from contracts.keys import QUALIFIED_SQL_PATTERN, stored_prefix
from contracts.topics import DEPARTMENT_FEEDS
from services.collection.feeds import FEED_ACTIONS, feed_message
from shared.outbox import enqueue_event

_COLUMNS = ("source_ref, department, kind, source_person_id, claim_id, receivable_type, fiscal_year, installment, "
            "occurred_on, amount, reference, ground, tax_year")

#: The centre's own 経過記録 of the kinds that go back (a department's own records never do), with the claim. A
#: 分納誓約 issued for a central plan (its note names the pledge's document number) carries what of the plan
#: settles this claim, by component, in how many instalments from which first due date.
_FROM_ACTIONS = (
    f"INSERT INTO department_feed ({_COLUMNS}, principal, demand_fee, late_charge, disposition_cost, instalments, "
    "first_due_on) "
    "SELECT 'action:' || a.action_id, a.department, m.feed_kind, c.source_person_id, a.claim_id, "
    "c.receivable_type, c.fiscal_year, c.installment, a.done_on, coalesce(pledge.total, NULLIF(a.amount, 0)), "
    "coalesce(NULLIF(a.note, ''), 'action ' || a.action_id), coalesce(NULLIF(a.basis, ''), a.outcome, ''), "
    "c.tax_year, pledge.principal, pledge.demand_fee, pledge.late_charge, pledge.disposition_cost, "
    "pledge.instalments, pledge.first_due_on "
    "FROM claim_actions a JOIN claims c USING (department, claim_id) "
    "JOIN unnest($1::text[], $2::text[]) AS m(kind, feed_kind) ON m.kind = a.kind "
    "LEFT JOIN LATERAL (SELECT sum((part ->> 'amount')::bigint) AS total, "
    "sum((part ->> 'amount')::bigint) FILTER (WHERE part ->> 'component' = 'principal') AS principal, "
    "sum((part ->> 'amount')::bigint) FILTER (WHERE part ->> 'component' = 'demand_fee') AS demand_fee, "
    "sum((part ->> 'amount')::bigint) FILTER (WHERE part ->> 'component' = 'late_charge') AS late_charge, "
    "sum((part ->> 'amount')::bigint) FILTER (WHERE part ->> 'component' = 'disposition_cost') AS disposition_cost, "
    "count(DISTINCT i ->> 'number')::int AS instalments, min((i ->> 'due_date')::date) AS first_due_on "
    "FROM central_plans p CROSS JOIN LATERAL jsonb_array_elements(p.schedule) i "
    "CROSS JOIN LATERAL jsonb_array_elements(i -> 'parts') part "
    "WHERE a.kind = 'installment_agreement' AND p.debtor_id = c.debtor_id "
    "AND p.document_number = split_part(a.note, ' ', 2) "
    "AND part ->> 'department' = a.department AND part ->> 'claim_id' = a.claim_id "
    "HAVING count(*) > 0) pledge ON true "
    "WHERE a.recorded_by NOT LIKE 'department:%' AND a.message_id IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM department_feed f WHERE f.source_ref = 'action:' || a.action_id) "
    "ORDER BY a.action_id LIMIT $3 "
    "ON CONFLICT (source_ref) DO NOTHING RETURNING *")

#: Each department's part of a lump sum taken at the central window (its payment, not allocated to a claim; its
#: 税目コード, which the standard layout's 収納 needs, is the one of the oldest claim it settled).
_FROM_CENTRAL_PAYMENTS = (
    f"INSERT INTO department_feed ({_COLUMNS}) "
    "SELECT 'payment:' || p.department || ':' || p.payment_id, p.department, 'central_payment', p.source_person_id, "
    "p.claim_id, (SELECT c.receivable_type FROM payment_appropriations x JOIN claims c USING (department, claim_id) "
    "WHERE (x.payment_department, x.payment_id) = (p.department, p.payment_id) ORDER BY c.due_date, c.claim_id "
    "LIMIT 1), NULL, NULL, p.paid_on, p.amount, p.payment_id, '', NULL "
    "FROM central_payments cp CROSS JOIN LATERAL jsonb_array_elements(cp.parts) part "
    "JOIN payments p ON p.department = part ->> 'department' AND p.payment_id = part ->> 'payment_id' "
    "WHERE NOT EXISTS (SELECT 1 FROM department_feed f "
    "WHERE f.source_ref = 'payment:' || p.department || ':' || p.payment_id) "
    "ORDER BY cp.received_at, p.payment_id LIMIT $1 "
    "ON CONFLICT (source_ref) DO NOTHING RETURNING *")


#: 充当 as decided when the money was taken (payment_appropriations): one item per payment and claim, with its parts.
_FROM_APPROPRIATIONS = (
    f"INSERT INTO department_feed ({_COLUMNS}, principal, demand_fee, late_charge, disposition_cost) "
    "SELECT 'appropriation:' || x.payment_department || ':' || x.payment_id || ':' || x.department || ':' || "
    "x.claim_id, x.department, 'appropriation', c.source_person_id, x.claim_id, c.receivable_type, c.fiscal_year, "
    "c.installment, x.appropriated_on, x.principal + x.demand_fee + x.late_charge + x.disposition_cost, x.payment_id, "
    "'', c.tax_year, x.principal, x.demand_fee, x.late_charge, x.disposition_cost "
    "FROM payment_appropriations x JOIN claims c USING (department, claim_id) "
    "WHERE NOT EXISTS (SELECT 1 FROM department_feed f WHERE f.source_ref = 'appropriation:' || "
    "x.payment_department || ':' || x.payment_id || ':' || x.department || ':' || x.claim_id) "
    "ORDER BY x.decided_at, x.payment_department, x.payment_id, x.department, x.claim_id LIMIT $1 "
    "ON CONFLICT (source_ref) DO NOTHING RETURNING *")

#: 還付 due of a departmental payment (payment_refunds_due), to the payment's department.
_FROM_REFUNDS = (
    f"INSERT INTO department_feed ({_COLUMNS}) "
    "SELECT 'refund:' || r.department || ':' || r.payment_id, r.department, 'refund', p.source_person_id, r.claim_id, "
    "c.receivable_type, c.fiscal_year, c.installment, r.decided_on, r.amount, r.payment_id, r.reason, c.tax_year "
    "FROM payment_refunds_due r JOIN payments p USING (department, payment_id) "
    "LEFT JOIN claims c ON (c.department, c.claim_id) = (r.department, r.claim_id) "
    "WHERE NOT EXISTS (SELECT 1 FROM department_feed f WHERE f.source_ref = 'refund:' || r.department || ':' || "
    "r.payment_id) ORDER BY r.decided_at, r.department, r.payment_id LIMIT $1 "
    "ON CONFLICT (source_ref) DO NOTHING RETURNING *")


async def gather(conn: asyncpg.Connection, *, limit: int = 1000) -> int:
    """Gather new items and publish each on its department's topic, inside the caller's transaction; returns
    how many (at most ``limit`` of each source a call: the job calls again until none is new)."""
    rows = list(await conn.fetch(_FROM_ACTIONS, list(FEED_ACTIONS), list(FEED_ACTIONS.values()), limit))
    rows += await conn.fetch(_FROM_CENTRAL_PAYMENTS, limit)
    rows += await conn.fetch(_FROM_APPROPRIATIONS, limit)
    rows += await conn.fetch(_FROM_REFUNDS, limit)
    for row in rows:
        item = feed_message(row)
        await enqueue_event(conn, item, topic=DEPARTMENT_FEEDS[Department(item.department)].name,
                            key=item.source_person_id, source_system="collection",
                            correlation_id=f"feed-{item.feed_id}", source_keys=("department-feed", str(item.feed_id)))
    return len(rows)


# The items of one key space (contracts/keys.py), told by the person id every item carries: a second vendor's
# begin with its prefix ($n: 'water_east:'), the primary source's never look qualified ($n+1: the pattern).
def _in_key_space(n: int) -> str:
    return (f"CASE WHEN ${n}::text IS NULL THEN source_person_id !~ ${n + 1}::text "
            f"ELSE starts_with(source_person_id, ${n}::text) END")


async def pending(conn: asyncpg.Connection, department: str, *, limit: int, key_space: str | None = None
                  ) -> list[asyncpg.Record]:
    """What the department has not acknowledged, oldest first; of one key space (None: the primary source's)."""
    return await conn.fetch("SELECT * FROM department_feed WHERE department = $1 AND acknowledged_at IS NULL AND "
                            + _in_key_space(3) + " ORDER BY feed_id LIMIT $2", department, limit,
                            stored_prefix(key_space, department), QUALIFIED_SQL_PATTERN)


async def acknowledge(conn: asyncpg.Connection, department: str, feed_ids: Sequence[int], by: str, *,
                      key_space: str | None = None) -> tuple[list[int], list[int]]:
    """Record a receipt: (acknowledged now or before, not this department's (key space's) or unknown)."""
    rows = await conn.fetch(
        "UPDATE department_feed SET acknowledged_at = coalesce(acknowledged_at, now()), "
        "acknowledged_by = coalesce(acknowledged_by, $3) WHERE department = $1 AND feed_id = ANY($2::bigint[]) "
        "AND " + _in_key_space(4) + " RETURNING feed_id", department, list(feed_ids), by,
        stored_prefix(key_space, department), QUALIFIED_SQL_PATTERN)
    done = sorted(r["feed_id"] for r in rows)
    return done, sorted(set(feed_ids) - set(done))


async def unacknowledged(conn: asyncpg.Connection, today: date, acknowledge_days: int, *, limit: int
                         ) -> list[asyncpg.Record]:
    """Items no department acknowledged within the period, oldest first."""
    return await conn.fetch(
        "SELECT feed_id, department, kind, claim_id, occurred_on, created_at FROM department_feed "
        "WHERE acknowledged_at IS NULL AND (created_at AT TIME ZONE 'Asia/Tokyo')::date < $1::date - $2::int "
        "ORDER BY feed_id LIMIT $3", today, acknowledge_days, limit)


async def unacknowledged_counts(conn: asyncpg.Connection, today: date, acknowledge_days: int) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT department, count(*) AS n FROM department_feed WHERE acknowledged_at IS NULL "
        "AND (created_at AT TIME ZONE 'Asia/Tokyo')::date < $1::date - $2::int GROUP BY department",
        today, acknowledge_days)
    return {r["department"]: r["n"] for r in rows}
