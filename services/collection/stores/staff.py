"""Staff accounts: sign-in's look-ups and what an administrator changes (roles, disabling). Passwords arrive here
hashed."""

import asyncpg


async def active_roles(conn: asyncpg.Connection, staff_id: str) -> asyncpg.Record | None:
    """An active account's roles and the time before which its tokens no longer count; None when unknown or
    disabled (every request's authority check)."""
    return await conn.fetchrow("SELECT roles, tokens_valid_after FROM staff_accounts WHERE staff_id = $1 AND active",
                               staff_id)


async def account_exists(conn: asyncpg.Connection, staff_id: str) -> bool:
    return await conn.fetchval("SELECT staff_id FROM staff_accounts WHERE staff_id = $1", staff_id) is not None


async def load_credentials(conn: asyncpg.Connection, staff_id: str) -> asyncpg.Record | None:
    """staff_id, password_hash, roles and active of an account, or None."""
    return await conn.fetchrow(
        "SELECT staff_id, password_hash, roles, active FROM staff_accounts WHERE staff_id = $1", staff_id)


async def list_accounts(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT staff_id, display_name, roles, active, created_at FROM staff_accounts "
                            "ORDER BY staff_id")


async def create_account(conn: asyncpg.Connection, *, staff_id: str, display_name: str, password_hash: str,
                         roles: list[str]) -> asyncpg.Record | None:
    """The new account, or None when the staff id exists."""
    return await conn.fetchrow(
        "INSERT INTO staff_accounts (staff_id, display_name, password_hash, roles) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (staff_id) DO NOTHING RETURNING staff_id, display_name, roles, active, created_at",
        staff_id, display_name, password_hash, roles)


async def lock_roles(conn: asyncpg.Connection, staff_id: str) -> list[str] | None:
    """An account's roles, locked until the caller's transaction ends; None when there is no such account."""
    return await conn.fetchval("SELECT roles FROM staff_accounts WHERE staff_id = $1 FOR UPDATE", staff_id)


async def set_roles(conn: asyncpg.Connection, staff_id: str, roles: list[str]) -> asyncpg.Record:
    return await conn.fetchrow("UPDATE staff_accounts SET roles = $2 WHERE staff_id = $1 "
                               "RETURNING staff_id, display_name, roles, active, created_at", staff_id, roles)


async def disable_account(conn: asyncpg.Connection, staff_id: str) -> asyncpg.Record | None:
    """Disable an account and void its tokens; None when there is no such account."""
    return await conn.fetchrow(
        "UPDATE staff_accounts SET active = false, tokens_valid_after = now() WHERE staff_id = $1 "
        "RETURNING staff_id, display_name, roles, active, created_at", staff_id)
