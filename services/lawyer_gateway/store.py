"""The gateway's data: the cases each firm holds, scoped to one firm by construction, and the clients.

``FirmCases`` is the only way the API reads or writes case data, and it is built from a verified token's firm:
every statement it runs filters on that firm and on ``status = 'assigned'`` in SQL, so another firm's case, a
withdrawn case and an unknown id are the same thing to a caller — not found — whatever the request asks for.
The projection itself never holds a tax or forced-collection claim: the contract refuses them
(``contracts.OutsourcedClaim``), and a message that breaks it goes to the dead-letter topic, not here.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from contracts import Envelope, LawyerActivityRecorded, OutsourcedCaseChanged
from contracts.topics import LAWYER_ACTIVITIES
from shared.auth import hash_password, verify_password
from shared.outbox import enqueue_event


async def apply_case_change(conn: asyncpg.Connection, message: Envelope) -> bool:
    """Keep the newest version of what a firm holds of a case; False when applied before or older."""
    first_time = await conn.fetchval(
        "INSERT INTO processed_messages (message_id, message_type) VALUES ($1, $2) "
        "ON CONFLICT (message_id) DO NOTHING RETURNING true", message.message_id, message.message_type)
    if not first_time:
        return False
    p: OutsourcedCaseChanged = message.payload  # type: ignore[assignment]
    done = await conn.execute(
        "INSERT INTO cases (case_ref, firm_code, status, version, as_of, contact, claims, total_balance) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (case_ref) DO UPDATE SET firm_code = $2, status = $3, "
        "version = $4, as_of = $5, contact = $6, claims = $7, total_balance = $8, updated_at = now() "
        "WHERE cases.version < EXCLUDED.version",
        p.case_ref, p.firm_code, p.status, p.version, p.as_of,
        p.contact.model_dump(mode="json") if p.contact else None, [c.model_dump(mode="json") for c in p.claims],
        p.total_balance)
    return not done.endswith(" 0")


@dataclass(frozen=True)
class FirmCases:
    """One firm's view of its cases (see the module docstring)."""

    conn: asyncpg.Connection
    firm_code: str
    lawyer_id: str

    async def count(self) -> int:
        return int(await self.conn.fetchval(
            "SELECT count(*) FROM cases WHERE firm_code = $1 AND status = 'assigned'", self.firm_code))

    async def page(self, limit: int, offset: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT case_ref, as_of, contact, claims, total_balance FROM cases WHERE firm_code = $1 "
            "AND status = 'assigned' ORDER BY total_balance DESC, case_ref LIMIT $2 OFFSET $3",
            self.firm_code, limit, offset)

    async def get(self, case_ref: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT case_ref, as_of, contact, claims, total_balance FROM cases WHERE firm_code = $1 "
            "AND status = 'assigned' AND case_ref = $2", self.firm_code, case_ref)

    async def activities(self, case_ref: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT activity_id, kind, occurred_on, lawyer_id, note, amount, promised_on FROM activities "
            "WHERE firm_code = $1 AND case_ref = $2 ORDER BY occurred_on, recorded_at", self.firm_code, case_ref)

    async def record_activity(self, case_ref: str, fields: dict[str, Any]) -> LawyerActivityRecorded | None:
        """Record what the lawyer did on a case the firm holds, and send it to collection (outbox, same
        transaction); None when the firm does not hold the case. Raises ValueError for incomplete input."""
        async with self.conn.transaction():
            held = await self.conn.fetchval(
                "SELECT 1 FROM cases WHERE firm_code = $1 AND status = 'assigned' AND case_ref = $2 FOR SHARE",
                self.firm_code, case_ref)
            if not held:
                return None
            activity = LawyerActivityRecorded(activity_id=uuid.uuid4().hex, case_ref=case_ref,
                                              firm_code=self.firm_code, lawyer_id=self.lawyer_id, **fields)
            await self.conn.execute(
                "INSERT INTO activities (activity_id, case_ref, firm_code, lawyer_id, kind, occurred_on, note, "
                "amount, promised_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                activity.activity_id, case_ref, self.firm_code, self.lawyer_id, activity.kind, activity.occurred_on,
                activity.note, activity.amount, activity.promised_on)
            await enqueue_event(self.conn, activity, topic=LAWYER_ACTIVITIES.name, key=case_ref,
                                source_system="lawyer-gateway", correlation_id=f"case-{case_ref}",
                                source_keys=("lawyer-activity", activity.activity_id))
            return activity


# --- Firms and clients --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    client_id: str
    firm_code: str
    lawyer_id: str


async def add_firm(conn: asyncpg.Connection, firm_code: str, name: str) -> None:
    await conn.execute("INSERT INTO firms (firm_code, name) VALUES ($1, $2) ON CONFLICT (firm_code) "
                       "DO UPDATE SET name = $2, active = true", firm_code, name)


async def add_client(conn: asyncpg.Connection, firm_code: str, lawyer_id: str, display_name: str) -> tuple[str, str]:
    """A new client for one lawyer of a firm: (client id, secret). The secret is shown once and kept only as
    a hash."""
    client_id = f"{firm_code}.{lawyer_id}.{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO clients (client_id, firm_code, lawyer_id, display_name, secret_hash, tokens_valid_after) "
        "VALUES ($1, $2, $3, $4, $5, 'epoch')",  # a new client has issued no token to revoke
        client_id, firm_code, lawyer_id, display_name, hash_password(secret))
    return client_id, secret


async def rotate_secret(conn: asyncpg.Connection, client_id: str) -> str | None:
    """A new secret; the old one and every token issued before now stop working at once."""
    secret = secrets.token_urlsafe(32)
    done = await conn.execute(
        "UPDATE clients SET secret_hash = $2, rotated_at = now(), tokens_valid_after = now() WHERE client_id = $1",
        client_id, hash_password(secret))
    return None if done.endswith(" 0") else secret


async def disable_client(conn: asyncpg.Connection, client_id: str) -> bool:
    done = await conn.execute("UPDATE clients SET active = false, tokens_valid_after = now() WHERE client_id = $1",
                              client_id)
    return not done.endswith(" 0")


_UNKNOWN_CLIENT_HASH = hash_password("a client that does not exist")


async def authenticate_client(conn: asyncpg.Connection, client_id: str, secret: str) -> Client | None:
    """The client if the secret is right and the client and its firm are active (constant work either way). An
    id PostgreSQL cannot hold as text (a NUL character) names no client: it is looked up as nobody."""
    if "\x00" in client_id:
        client_id = ""
    row = await conn.fetchrow(
        "SELECT c.client_id, c.firm_code, c.lawyer_id, c.secret_hash, c.active AND f.active AS active "
        "FROM clients c JOIN firms f USING (firm_code) WHERE c.client_id = $1", client_id)
    valid = verify_password(secret, row["secret_hash"] if row else _UNKNOWN_CLIENT_HASH)
    if row is None or not valid or not row["active"]:
        return None
    return Client(row["client_id"], row["firm_code"], row["lawyer_id"])


async def token_revoked(conn: asyncpg.Connection, client_id: str, firm_code: str, token_id: str,
                        issued_at: datetime) -> bool:
    """Whether a verified token must still be refused: its client or firm disabled, its secret rotated (or the
    client signed out) after it was issued, or the token revoked by id."""
    row = await conn.fetchrow(
        "SELECT c.active AND f.active AS active, c.tokens_valid_after, c.firm_code, "
        "EXISTS (SELECT 1 FROM revoked_tokens WHERE token_id = $2) AS revoked "
        "FROM clients c JOIN firms f USING (firm_code) WHERE c.client_id = $1", client_id, token_id)
    if row is None or not row["active"] or row["revoked"] or row["firm_code"] != firm_code:
        return True
    # A token's iat is in whole seconds: one issued in the second of a rotation counts as issued before it (a
    # client that signs in again within that second is asked once more, rather than an old token let through).
    return int(issued_at.timestamp()) <= int(row["tokens_valid_after"].timestamp())


async def audit(conn: asyncpg.Connection, *, client: Client | None, method: str, path: str, case_ref: str | None,
                fields: list[str], status: int, remote: str | None, staff_id: str | None = None,
                returned_ids: list[str] | None = None) -> None:
    """One request: who (a firm's client, or a staff member on the admin routes), what, which case, which
    fields and which ids (the case refs of a list, the rows an admin read) it returned."""
    await conn.execute(
        "INSERT INTO audit_log (client_id, firm_code, lawyer_id, method, path, case_ref, fields, status, remote, "
        "staff_id, returned_ids) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
        client.client_id if client else None, client.firm_code if client else None,
        client.lawyer_id if client else None, method, path, case_ref, fields, status, remote, staff_id,
        returned_ids or [])


# --- the central division's view (admin.py) ---------------------------------------------------------------------


async def audit_rows(conn: asyncpg.Connection, *, firm: str | None, case_ref: str | None, client_id: str | None,
                     since: datetime | None, until: datetime | None, limit: int) -> list[asyncpg.Record]:
    """The gateway's audit log, newest first, optionally by firm, case, client and period."""
    return await conn.fetch(
        "SELECT audit_id, occurred_at, client_id, firm_code, lawyer_id, method, path, case_ref, fields, status, "
        "staff_id, returned_ids FROM audit_log WHERE ($1::text IS NULL OR firm_code = $1) AND ($2::text IS NULL OR case_ref = $2) "
        "AND ($3::text IS NULL OR client_id = $3) AND ($4::timestamptz IS NULL OR occurred_at >= $4) "
        "AND ($5::timestamptz IS NULL OR occurred_at < $5) ORDER BY audit_id DESC LIMIT $6",
        firm, case_ref, client_id, since, until, limit)


async def alerts(conn: asyncpg.Connection, firm: str | None, limit: int) -> list[asyncpg.Record]:
    """Alerts on unusual access, newest first, optionally of one firm."""
    return await conn.fetch("SELECT * FROM alerts WHERE ($1::text IS NULL OR firm_code = $1) "
                            "ORDER BY alert_id DESC LIMIT $2", firm, limit)


async def revoke_token(conn: asyncpg.Connection, token_id: str, revoked_by: str) -> None:
    """Refuse one firm token from now on (revoking twice changes nothing)."""
    await conn.execute("INSERT INTO revoked_tokens (token_id, revoked_by) VALUES ($1, $2) "
                       "ON CONFLICT (token_id) DO NOTHING", token_id, revoked_by)


async def record_alert(conn: asyncpg.Connection, *, kind: str, client_id: str | None, firm_code: str | None,
                       lawyer_id: str | None, detail: str) -> None:
    """Unusual access by a firm, for the central division's supervisors (GET /admin/alerts)."""
    await conn.execute("INSERT INTO alerts (kind, client_id, firm_code, lawyer_id, detail) VALUES ($1, $2, $3, $4, $5)",
                       kind, client_id, firm_code, lawyer_id, detail)
