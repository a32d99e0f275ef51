"""The central window's payments: a receipt split into departmental payments, recorded once."""

import uuid
from datetime import date

import asyncpg


async def central_payment_recorded(conn: asyncpg.Connection, receipt_id: str) -> bool:
    """Whether the window's receipt is already recorded."""
    return bool(await conn.fetchval("SELECT 1 FROM central_payments WHERE central_payment_id = $1", receipt_id))


async def source_people(conn: asyncpg.Connection, debtor_id: str) -> dict[str, str]:
    """Each department's own id of the debtor (from its earliest-due claim)."""
    return dict(await conn.fetch(
        "SELECT DISTINCT ON (department) department, source_person_id FROM claims WHERE debtor_id = $1 "
        "ORDER BY department, due_date", debtor_id))


async def insert_counter_payment(conn: asyncpg.Connection, *, department: str, payment_id: str, debtor_id: str,
                                 source_person_id: str, amount: int, paid_on: date, message_id: uuid.UUID,
                                 claim_id: str | None = None) -> None:
    """One department's part of a central-window payment, as a payment at the counter (``claim_id``: the claim the
    payer named; None: the department's order decides)."""
    await conn.execute(
        "INSERT INTO payments (department, payment_id, debtor_id, source_person_id, claim_id, amount, "
        "paid_on, channel, message_id) VALUES ($1, $2, $3, $4, $8, $5, $6, 'counter', $7)",
        department, payment_id, debtor_id, source_person_id, amount, paid_on, message_id, claim_id)


async def insert_central_payment(conn: asyncpg.Connection, *, receipt_id: str, debtor_id: str, amount: int,
                                 paid_on: date, method: str, designated: dict[str, int] | None,
                                 parts: list[dict[str, object]], overpayment: int, note: str,
                                 received_by: str) -> asyncpg.Record:
    """The receipt itself with its split; the stored row."""
    return await conn.fetchrow(
        "INSERT INTO central_payments (central_payment_id, debtor_id, amount, paid_on, method, designated, parts, "
        "overpayment, note, received_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING *",
        receipt_id, debtor_id, amount, paid_on, method, designated, parts, overpayment, note, received_by)
