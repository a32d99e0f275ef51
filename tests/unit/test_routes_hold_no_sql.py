"""Routes map HTTP only (#22 item 4): no module that defines routes runs a statement or holds SQL; the service's
stores and read models do (services/collection/stores/, welfare's read_models.py and store.py, matching's
review_queue.py, the lawyer gateway's store.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: asyncpg's ways of sending a statement, on a connection, pool or transaction.
DB_CALLS = frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany", "copy_records_to_table",
                      "copy_to_table", "copy_from_table", "copy_from_query", "copy_to_query", "cursor", "prepare"})

#: SQL in a string literal (or an f-string's literal parts): statements, clauses and positional parameters.
SQL = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\S+\s+SET\b|\bDELETE\s+FROM\b"
                 r"|\bON\s+CONFLICT\b|\bWHERE\b[\s\S]*(=|\bIS\b|\bIN\b)|\bORDER\s+BY\b|\bGROUP\s+BY\b|\$[1-9]")


def sql_in(source: str) -> list[str]:
    """What in ``source`` sends a statement or looks like SQL, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DB_CALLS:
            found.append(f"{node.lineno}: .{node.func.attr}(…)")
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                           for v in node.values)
            if SQL.search(text):
                found.append(f"{node.lineno}: {text[:60]!r}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{node.lineno}: {node.value[:60]!r}")
    return found


def _defines_routes(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) == "APIRouter"
               for n in ast.walk(tree))


def route_modules() -> list[Path]:
    """services/*/api*.py, everything under services/*/api/, any other module that builds an APIRouter, and the
    app factories (services/*/app.py)."""
    services = ROOT / "services"
    paths = {*services.glob("*/api*.py"), *services.glob("*/api/**/*.py")}
    paths |= {p for p in services.glob("*/*.py") if _defines_routes(p)}
    paths |= set(services.glob("*/app.py"))  # the app factories: wiring, not SQL (shared/runtime.py)
    return sorted(paths)


def test_the_route_modules_are_found() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in route_modules()}
    assert {"services/collection/api/cases.py", "services/collection/api/deps.py",
            "services/collection/api/documents.py", "services/welfare_referral/api.py", "services/matching/api.py",
            "services/lawyer_gateway/api.py", "services/lawyer_gateway/admin.py", "services/collection/app.py",
            "services/welfare_referral/app.py", "services/lawyer_gateway/app.py"} <= found


@pytest.mark.parametrize("path", route_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_route_module_holds_no_sql(path: Path) -> None:
    assert sql_in(path.read_text(encoding="utf-8")) == [], \
        f"{path.relative_to(ROOT)}: move the statement into the service's store or read model"


@pytest.mark.parametrize("source", [
    'async def f(conn):\n    return await conn.fetch("SELECT 1")\n',
    "async def f(conn, x):\n    return await conn.fetchval(query, x)\n",
    "async def f(conn, rows):\n    await conn.executemany(statement, rows)\n",
    "async def f(conn, rows):\n    await conn.copy_records_to_table('t', records=rows)\n",
    "async def f(request):\n    await request.app.state.pool.execute(statement)\n",
    'Q = "INSERT INTO audit_log (actor) VALUES ($1)"\n',
    'def f(t, v):\n    return f"UPDATE {t} SET a = {v}"\n',
    'Q = "SELECT count(*)\\nFROM cases"\n',
    'W = "status = $1 AND lead_code = $2"\n',
    'C = "DELETE FROM report_targets"\n',
    'O = ("case_id DESC "\n     "ORDER BY x")\n',
])
def test_sql_is_caught(source: str) -> None:
    assert sql_in(source)


@pytest.mark.parametrize("source", [
    'UPDATED_AT = "updated_at"\n',
    'description = "Select the claims to list; the rest come from the ledger"\n',
    'summary = "Delete the override: the case returns to the policy\'s assignment"\n',
    "async def f(conn):\n    async with conn.transaction():\n        return await store.load(conn)\n",
])
def test_http_code_is_not_taken_for_sql(source: str) -> None:
    assert sql_in(source) == []
