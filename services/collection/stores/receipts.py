"""領収証書 of the central window and the print queue (documents issued one at a time, waiting for a wave)."""

from datetime import date
from typing import Any

import asyncpg


async def central_payment(conn: asyncpg.Connection, receipt_id: str) -> asyncpg.Record | None:
    """A payment received at the central window, with its split (parts) and overpayment."""
    return await conn.fetchrow("SELECT central_payment_id, debtor_id, amount, paid_on, method, parts, overpayment, "
                               "note, received_by, received_at FROM central_payments WHERE central_payment_id = $1",
                               receipt_id)


async def payer(conn: asyncpg.Connection, debtor_id: str) -> dict[str, Any] | None:
    """The debtor as a department last sent them with a name (the receipt names the payer, never the address)."""
    row = await conn.fetchrow(
        "SELECT person FROM departmental_persons WHERE debtor_id = $1 AND coalesce(person ->> 'name_kanji', '') <> '' "
        "ORDER BY updated_at DESC LIMIT 1", debtor_id)
    return row["person"] if row else None


async def receipts_of(conn: asyncpg.Connection, receipt_id: str) -> list[asyncpg.Record]:
    """The 領収証書 issued for a window receipt, the first issue first."""
    return await conn.fetch(
        "SELECT * FROM issued_documents WHERE kind = 'receipt' AND body -> 'document' ->> 'receipt_id' = $1 "
        "ORDER BY reissue", receipt_id)


async def central_payments_of(conn: asyncpg.Connection, debtor_id: str, limit: int) -> list[asyncpg.Record]:
    """A debtor's window payments, newest first."""
    return await conn.fetch(
        "SELECT central_payment_id, debtor_id, amount, paid_on, method, parts, overpayment, note, received_by, "
        "received_at FROM central_payments WHERE debtor_id = $1 ORDER BY received_at DESC LIMIT $2", debtor_id, limit)


async def batches(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Print waves, newest first."""
    return await conn.fetch("SELECT batch_id, kind, selection, issued_on, issued_by, documents, pages, created_at "
                            "FROM document_batches ORDER BY batch_id DESC LIMIT $1", limit)


async def waiting(conn: asyncpg.Connection, on: date) -> list[asyncpg.Record]:
    """Documents issued on a day one at a time and in no wave yet (receipts are handed over, never mailed)."""
    return await conn.fetch(
        "SELECT document_number, kind, debtor_id, issued_on, issued_by, pages FROM issued_documents "
        "WHERE issued_on = $1 AND batch_id IS NULL AND kind <> 'receipt' ORDER BY fiscal_year, serial, reissue", on)


async def put_in_wave(conn: asyncpg.Connection, batch_id: int, numbers: list[str]) -> None:
    await conn.execute("UPDATE issued_documents SET batch_id = $1 WHERE document_number = ANY($2::text[]) "
                       "AND batch_id IS NULL", batch_id, numbers)
