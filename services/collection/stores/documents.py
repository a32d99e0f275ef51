"""Issued documents (督促状, 催告書, 財産調査, …): their numbers, their 経過記録 rows, the stored documents and the
print waves."""

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg


async def addressee(conn: asyncpg.Connection, debtor_id: str, department: str | None) -> dict[str, Any] | None:
    """The 送付先 staff chose for the debtor; else the person as a department last sent them with an address
    (``department``'s own first); None when nobody did."""
    chosen = await conn.fetchrow("SELECT name, postal_code, address FROM mailing_addresses WHERE debtor_id = $1",
                                 debtor_id)
    if chosen is not None:
        return {"name_kanji": chosen["name"], "postal_code": chosen["postal_code"], "address": chosen["address"]}
    row = await conn.fetchrow(
        "SELECT person FROM departmental_persons WHERE debtor_id = $1 AND person ? 'address' "
        "ORDER BY department = $2 DESC, updated_at DESC LIMIT 1", debtor_id, department or "")
    return row["person"] if row else None


async def reminder_actions(conn: asyncpg.Connection, keys: Sequence[tuple[str, str]], kinds: list[str], today: date,
                           reissue_of: str | None) -> list[asyncpg.Record]:
    """The actions of ``kinds`` done by ``today`` on the claims (department, claim_id), without those the first
    issue of ``reissue_of`` recorded."""
    return await conn.fetch(
        "SELECT a.department, a.claim_id, a.kind FROM claim_actions a JOIN unnest($1::text[], $2::text[]) "
        "AS k(department, claim_id) USING (department, claim_id) WHERE a.kind = ANY($3::text[]) AND a.done_on <= $4 "
        "AND ($5::text IS NULL OR a.note <> 'reminder ' || $5)", [k[0] for k in keys], [k[1] for k in keys],
        kinds, today, reissue_of)


async def next_serial(conn: asyncpg.Connection, fiscal_year: int) -> int:
    """The fiscal year's next document serial (never reused)."""
    return await conn.fetchval(
        "INSERT INTO document_serials (fiscal_year, last_serial) VALUES ($1, 1) ON CONFLICT (fiscal_year) "
        "DO UPDATE SET last_serial = document_serials.last_serial + 1 RETURNING last_serial", fiscal_year)


async def record_issue_actions(conn: asyncpg.Connection, rows: Sequence[tuple[str, str, str, date, str, str]]
                               ) -> None:
    """The 経過記録 rows of an issued document: (department, claim_id, kind, done_on, note, recorded_by)."""
    await conn.executemany(
        "INSERT INTO claim_actions (department, claim_id, kind, done_on, outcome, note, recorded_by) "
        "VALUES ($1, $2, $3, $4, 'issued', $5, $6)", rows)


async def insert_issued_document(conn: asyncpg.Connection, *, document_number: str, fiscal_year: int, serial: int,
                                 reissue: int, reissue_of: str | None, kind: str, debtor_id: str,
                                 claim_keys: list[str], batch_id: int | None, issued_on: date, issued_by: str,
                                 body: dict[str, Any], sha256: str, pages: int) -> asyncpg.Record:
    """Keep an issued document; the stored row."""
    return await conn.fetchrow(
        "INSERT INTO issued_documents (document_number, fiscal_year, serial, reissue, reissue_of, kind, debtor_id, "
        "claim_keys, batch_id, issued_on, issued_by, body, sha256, pages) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING *",
        document_number, fiscal_year, serial, reissue, reissue_of, kind, debtor_id, claim_keys, batch_id, issued_on,
        issued_by, body, sha256, pages)


async def load_issued_document(conn: asyncpg.Connection, number: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM issued_documents WHERE document_number = $1", number)


async def last_reissue(conn: asyncpg.Connection, fiscal_year: int, serial: int) -> int:
    """The highest re-issue number of a document (0: only the first issue)."""
    return await conn.fetchval("SELECT max(reissue) FROM issued_documents WHERE fiscal_year = $1 AND serial = $2",
                               fiscal_year, serial)


async def documents_of_debtor(conn: asyncpg.Connection, debtor_id: str, limit: int) -> list[asyncpg.Record]:
    """Documents issued to a debtor, newest first."""
    return await conn.fetch("SELECT * FROM issued_documents WHERE debtor_id = $1 ORDER BY issued_at DESC LIMIT $2",
                            debtor_id, limit)


_DUE = ("FROM case_claims cc JOIN cases c USING (case_id) "
        "WHERE c.status = 'open' AND cc.due_date < $1 AND NOT EXISTS (SELECT 1 FROM claim_actions a "
        "WHERE (a.department, a.claim_id) = (cc.department, cc.claim_id) AND a.kind = 'demand_notice') "
        "AND {confirmed} EXISTS (SELECT 1 FROM mailing_addresses m WHERE m.debtor_id = c.debtor_id)")


async def demand_notices_due(conn: asyncpg.Connection, today: date, limit: int) -> list[asyncpg.Record]:
    """(department, claim_id) of claims in open cases past their due date without a 督促 yet, oldest first, of
    debtors whose 送付先 is confirmed (a notice goes nowhere else: api/documents.py)."""
    return await conn.fetch(f"SELECT cc.department, cc.claim_id {_DUE.format(confirmed='')} "
                            "ORDER BY cc.due_date, cc.department, cc.claim_id LIMIT $2", today, limit)


async def demand_notices_awaiting_address(conn: asyncpg.Connection, today: date) -> int:
    """How many 督促 are due on claims of debtors whose 送付先 nobody has confirmed yet (a wave leaves them)."""
    return await conn.fetchval(f"SELECT count(*) {_DUE.format(confirmed='NOT')}", today)


async def open_batch(conn: asyncpg.Connection, *, kind: str, selection: str, issued_on: date, issued_by: str) -> int:
    """A new print wave, empty; its id."""
    return await conn.fetchval(
        "INSERT INTO document_batches (kind, selection, issued_on, issued_by, documents, pages) "
        "VALUES ($1, $2, $3, $4, 0, 0) RETURNING batch_id", kind, selection, issued_on, issued_by)


async def close_batch(conn: asyncpg.Connection, batch_id: int, documents: int, pages: int) -> None:
    """What the wave came to."""
    await conn.execute("UPDATE document_batches SET documents = $2, pages = $3 WHERE batch_id = $1",
                       batch_id, documents, pages)


async def batch_documents(conn: asyncpg.Connection, batch_id: int) -> list[asyncpg.Record]:
    """A wave's documents in serial order (number, debtor, stored body)."""
    return await conn.fetch("SELECT document_number, debtor_id, body FROM issued_documents WHERE batch_id = $1 "
                            "ORDER BY serial", batch_id)
