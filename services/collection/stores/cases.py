"""Cases (滞納案件) as the work list reads them: the filtered, sorted list and one case with its claims, override,
assignment history and the lawyer teams' activities."""

from collections.abc import Sequence
from datetime import date

import asyncpg

#: The debtor's name and reading as one department recorded them (the first by department and id): a list staff
#: read shows people, not identity numbers. Never the address (a list leaves the 360's DV等支援措置 warning behind).
_NAMED = ("(SELECT p.person->>'{field}' FROM departmental_persons p WHERE p.debtor_id = cases.debtor_id "
          "AND p.person->>'{field}' IS NOT NULL ORDER BY p.department, p.source_person_id LIMIT 1)")
CASE_COLUMNS = ("case_id, debtor_id, status, opened_on, closed_on, as_of, lead_kind, lead_code, delinquent_balance, "
                "outsourced_balance, claim_count, oldest_due_date, departments, legal_categories, holder_codes, "
                f"on_hold, {_NAMED.format(field='name_kanji')} AS name, {_NAMED.format(field='name_kana')} AS name_kana, "
                # the officer working the case (担当者, stores/case_assignees.py) and the latest 経過記録 entry's date
                "(SELECT a.staff_id FROM case_assignees a WHERE a.case_id = cases.case_id) AS assignee_id, "
                "(SELECT s.display_name FROM case_assignees a JOIN staff_accounts s USING (staff_id) "
                "WHERE a.case_id = cases.case_id) AS assignee_name, "
                "(SELECT max(x.done_on) FROM claim_actions x JOIN case_claims cc USING (department, claim_id) "
                "WHERE cc.case_id = cases.case_id) AS last_action_on, "
                # the recommended next step as the case worker stored it (services/collection/cases.py)
                "next_action_kind, next_action_due, next_action_lead")


def case_filter(*, status: str, holder: str | None = None, lead: str | None = None,
                legal_category: str | None = None, department: str | None = None, min_balance: int | None = None,
                max_balance: int | None = None, oldest_due_by: date | None = None, on_hold: bool | None = None,
                assignee: str | None = None, unassigned: bool = False) -> tuple[str, list[object]]:
    """The WHERE clause and its arguments for the list's filters (the clause is also what the read logs)."""
    clauses, args = ["status = $1"], [status]

    def add(clause: str, value: object) -> None:
        args.append(value)
        clauses.append(clause.replace("?", f"${len(args)}"))

    if holder:
        add("holder_codes @> ARRAY[?]::text[]", holder)
    if lead:
        add("lead_code = ?", lead)
    if legal_category:
        add("legal_categories @> ARRAY[?]::text[]", legal_category)
    if department:
        add("departments @> ARRAY[?]::text[]", department)
    if min_balance is not None:
        add("delinquent_balance >= ?", min_balance)
    if max_balance is not None:
        add("delinquent_balance <= ?", max_balance)
    if oldest_due_by is not None:
        add("oldest_due_date <= ?", oldest_due_by)
    if on_hold is not None:
        add("on_hold = ?", on_hold)
    if assignee:
        add("case_id IN (SELECT case_id FROM case_assignees WHERE staff_id = ?)", assignee)
    if unassigned:
        clauses.append("NOT EXISTS (SELECT 1 FROM case_assignees a WHERE a.case_id = cases.case_id)")
    return " AND ".join(clauses), args


def case_order(sort: str, descending: bool) -> str:
    """The ORDER BY of the list: the sort column, then the case id, in one direction. ``next_action``: the day the
    recommended step became due, then the kind's rank (next_action.urgency), cases with nothing to do last."""
    direction = "DESC" if descending else "ASC"
    if sort == "next_action":
        return (f"next_action_due {direction} NULLS LAST, next_action_rank {direction} NULLS LAST, "
                f"case_id {direction}")
    return f"{sort} {direction} NULLS LAST, case_id {direction}"


async def count_cases(conn: asyncpg.Connection, where: str, args: Sequence[object]) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM cases WHERE {where}", *args)


async def list_cases(conn: asyncpg.Connection, where: str, args: Sequence[object], order_by: str, *,
                     limit: int, offset: int) -> list[asyncpg.Record]:
    """One page of the list."""
    n = len(args)
    return await conn.fetch(
        f"SELECT {CASE_COLUMNS} FROM cases WHERE {where} ORDER BY {order_by} "
        f"LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit, offset)


async def all_cases(conn: asyncpg.Connection, where: str, args: Sequence[object], order_by: str
                    ) -> list[asyncpg.Record]:
    """The whole list (the CSV export)."""
    return await conn.fetch(f"SELECT {CASE_COLUMNS} FROM cases WHERE {where} ORDER BY {order_by}", *args)


async def load_case(conn: asyncpg.Connection, case_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {CASE_COLUMNS}, lead_reason, policy_version FROM cases WHERE case_id = $1",
                               case_id)


async def case_claims(conn: asyncpg.Connection, case_id: int) -> list[asyncpg.Record]:
    """The case's claims with their holders, oldest due date first."""
    return await conn.fetch("SELECT * FROM case_claims WHERE case_id = $1 ORDER BY due_date, department, claim_id",
                            case_id)


async def case_override(conn: asyncpg.Connection, case_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT holder_kind, holder_code, reason, decided_by, decided_at "
                               "FROM case_overrides WHERE case_id = $1", case_id)


async def assignment_history(conn: asyncpg.Connection, case_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT department, claim_id, from_code, to_code, rule_id, reason, cause, actor, policy_version, changed_at "
        "FROM assignment_history WHERE case_id = $1 ORDER BY history_id", case_id)


async def case_activities(conn: asyncpg.Connection, case_id: int) -> list[asyncpg.Record]:
    """What the lawyer teams recorded on the case, in order."""
    return await conn.fetch(
        "SELECT activity_id, firm_code, lawyer_id, kind, occurred_on, note, amount, promised_on FROM case_activities "
        "WHERE case_id = $1 ORDER BY occurred_on, recorded_at", case_id)


async def debtor_facts(conn: asyncpg.Connection, debtor_id: str) -> asyncpg.Record:
    """Whether a department knows the debtor as a corporation, and whether any claim has a guarantor."""
    return await conn.fetchrow(
        "SELECT EXISTS (SELECT 1 FROM departmental_persons WHERE debtor_id = $1 AND person->>'kind' = 'corporation') "
        "AS corporation, EXISTS (SELECT 1 FROM claim_related_persons r JOIN claims k USING (department, claim_id) "
        "WHERE k.debtor_id = $1 AND r.role = 'guarantor') AS guarantor", debtor_id)


async def debtors_facts(conn: asyncpg.Connection, debtor_ids: Sequence[str]) -> dict[str, asyncpg.Record]:
    """``debtor_facts`` of many debtors at once (the case worker's chunk), by debtor id."""
    rows = await conn.fetch(
        "SELECT d AS debtor_id, EXISTS (SELECT 1 FROM departmental_persons WHERE debtor_id = d "
        "AND person->>'kind' = 'corporation') AS corporation, EXISTS (SELECT 1 FROM claim_related_persons r "
        "JOIN claims k USING (department, claim_id) WHERE k.debtor_id = d AND r.role = 'guarantor') AS guarantor "
        "FROM unnest($1::text[]) AS d", list(debtor_ids))
    return {r["debtor_id"]: r for r in rows}


async def write_next_action(conn: asyncpg.Connection, case_id: int, *, kind: str | None, due: date | None,
                            rank: int | None, lead: str | None) -> None:
    """Store the case's recommended next step (None: nothing to do)."""
    await conn.execute("UPDATE cases SET next_action_kind = $2, next_action_due = $3, next_action_rank = $4, "
                       "next_action_lead = $5 WHERE case_id = $1", case_id, kind, due, rank, lead)
