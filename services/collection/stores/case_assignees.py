"""The officer (担当者) of each open case and the history of who held it; the accounts that may hold cases; the
workload per officer. The rules of who may assign whom are services/collection/staff_assignment.py."""

import asyncpg

#: A staff id's display name (a colleague's name as the city writes it on screens; not a debtor's personal data).
_NAME = "(SELECT s.display_name FROM staff_accounts s WHERE s.staff_id = {column})"


async def lock_case(conn: asyncpg.Connection, case_id: int) -> asyncpg.Record | None:
    """The case's status and its 担当者 now (``staff_id`` None when nobody), the case row locked until the caller's
    transaction ends, so two supervisors assigning at once are applied one after the other; None: no such case."""
    return await conn.fetchrow(
        "SELECT c.case_id, c.status, a.staff_id FROM cases c LEFT JOIN case_assignees a USING (case_id) "
        "WHERE c.case_id = $1 FOR UPDATE OF c", case_id)


async def case_exists(conn: asyncpg.Connection, case_id: int) -> bool:
    return await conn.fetchval("SELECT true FROM cases WHERE case_id = $1", case_id) is True


async def staff_member(conn: asyncpg.Connection, staff_id: str) -> asyncpg.Record | None:
    """staff_id, roles and active of an account; None when there is none."""
    return await conn.fetchrow("SELECT staff_id, roles, active FROM staff_accounts WHERE staff_id = $1", staff_id)


async def assign(conn: asyncpg.Connection, case_id: int, *, before: str | None, staff_id: str, by: str,
                 note: str) -> None:
    """Give the case to ``staff_id`` and keep the change in the history (run in the caller's transaction)."""
    await conn.execute(
        "INSERT INTO case_assignees (case_id, staff_id, assigned_by, note) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (case_id) DO UPDATE SET staff_id = EXCLUDED.staff_id, assigned_by = EXCLUDED.assigned_by, "
        "note = EXCLUDED.note, assigned_at = now()", case_id, staff_id, by, note)
    await conn.execute(
        "INSERT INTO case_assignee_history (case_id, from_staff_id, to_staff_id, changed_by, note) "
        "VALUES ($1, $2, $3, $4, $5)", case_id, before, staff_id, by, note)


async def release(conn: asyncpg.Connection, case_id: int, *, before: str, by: str, note: str) -> None:
    """Take the case back from its 担当者, kept in the history (run in the caller's transaction)."""
    await conn.execute("DELETE FROM case_assignees WHERE case_id = $1", case_id)
    await conn.execute(
        "INSERT INTO case_assignee_history (case_id, from_staff_id, to_staff_id, changed_by, note) "
        "VALUES ($1, $2, NULL, $3, $4)", case_id, before, by, note)


async def current(conn: asyncpg.Connection, case_id: int) -> asyncpg.Record | None:
    """The case's 担当者 with their display name, who assigned them and when; None when nobody holds it."""
    return await conn.fetchrow(
        f"SELECT staff_id, {_NAME.format(column='a.staff_id')} AS display_name, assigned_by, note, assigned_at "
        "FROM case_assignees a WHERE case_id = $1", case_id)


async def history(conn: asyncpg.Connection, case_id: int) -> list[asyncpg.Record]:
    """Every change of the case's 担当者, oldest first."""
    return await conn.fetch(
        "SELECT from_staff_id, to_staff_id, changed_by, note, changed_at FROM case_assignee_history "
        "WHERE case_id = $1 ORDER BY history_id", case_id)


async def assignable_staff(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Active accounts that may hold cases (collector, supervisor or admin), by staff id."""
    return await conn.fetch(
        "SELECT staff_id, display_name, roles FROM staff_accounts WHERE active "
        "AND roles && ARRAY['collector', 'supervisor', 'admin']::text[] ORDER BY staff_id")


async def workload_by_staff(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Open cases, claims, arrears and the oldest unpaid due date per 担当者, largest arrears first; one row with
    ``staff_id`` None for the open cases nobody holds yet."""
    return await conn.fetch(
        f"SELECT a.staff_id, {_NAME.format(column='a.staff_id')} AS display_name, count(*) AS open_cases, "
        "sum(c.claim_count)::bigint AS claims, sum(c.delinquent_balance)::bigint AS balance, "
        "min(c.oldest_due_date) AS oldest_due_date "
        "FROM cases c LEFT JOIN case_assignees a USING (case_id) WHERE c.status = 'open' "
        "GROUP BY a.staff_id ORDER BY a.staff_id IS NULL, balance DESC, a.staff_id")
