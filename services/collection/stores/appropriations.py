"""充当 and 還付 as decided when the money was taken (services/collection/appropriations.py decides): stored once in
the transaction that recorded the money; the feeds back to the departments read them (stores/feeds.py)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.collection.appropriations import AppropriationLine, RefundLine


async def record_decided(conn: asyncpg.Connection, lines: Sequence[AppropriationLine], refunds: Sequence[RefundLine],
                         *, central_payment_id: str | None) -> None:
    """Store the lines, inside the caller's transaction (a line already stored stays as it was decided)."""
    if lines:
        await conn.executemany(
            "INSERT INTO payment_appropriations (payment_department, payment_id, department, claim_id, "
            "central_payment_id, appropriated_on, principal, demand_fee, late_charge, disposition_cost) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING",
            [(x.payment_department, x.payment_id, x.department, x.claim_id, central_payment_id, x.on, x.principal,
              x.demand_fee, x.late_charge, x.disposition_cost) for x in lines])
    if refunds:
        await conn.executemany(
            "INSERT INTO payment_refunds_due (department, payment_id, claim_id, central_payment_id, amount, reason, "
            "decided_on) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING",
            [(r.department, r.payment_id, r.claim_id, central_payment_id, r.amount, r.reason, r.on)
             for r in refunds])



async def of_central_payment(conn: asyncpg.Connection, receipt_id: str) -> tuple[str | None, list[asyncpg.Record]]:
    """The debtor of a window payment (None when there is none) and its 充当 lines as stored, in allocation order
    of each part."""
    debtor = await conn.fetchval("SELECT debtor_id FROM central_payments WHERE central_payment_id = $1", receipt_id)
    rows = await conn.fetch(
        "SELECT x.*, f.feed_id, f.acknowledged_at FROM payment_appropriations x LEFT JOIN department_feed f ON "
        "f.source_ref = 'appropriation:' || x.payment_department || ':' || x.payment_id || ':' || x.department || "
        "':' || x.claim_id WHERE x.central_payment_id = $1 ORDER BY x.payment_department, x.payment_id, "
        "x.department, x.claim_id", receipt_id)
    return debtor, list(rows)
