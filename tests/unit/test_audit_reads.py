"""shared.audit: a read of personal data is written with every id it returned, split into rows of a bounded
size, a read that returned nothing still leaves a row, and the service's own INSERT gets (actor, action,
subject, detail)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.audit import IDS_PER_ROW, audit_read, read_details


def test_every_returned_id_is_in_exactly_one_row_in_order() -> None:
    ids = [f"D{n:07d}" for n in range(2 * IDS_PER_ROW + 17)]
    rows = read_details(ids, filter="status = $1", limit=None)
    assert [len(r["ids"]) for r in rows] == [IDS_PER_ROW, IDS_PER_ROW, 17]
    assert [i for r in rows for i in r["ids"]] == ids
    assert all(r["returned"] == len(ids) and r["parts"] == 3 and r["filter"] == "status = $1" for r in rows)
    assert [r["part"] for r in rows] == [1, 2, 3]


def test_an_empty_read_leaves_one_row() -> None:
    assert read_details([], action_filter="x") == [{"action_filter": "x", "returned": 0, "ids": []}]


def test_debtors_are_named_per_row_for_their_own_ids() -> None:
    rows = read_details(["tax:1", "water:2", "tax:3"], debtor_ids=["D-髙", "D-崎", "D-髙"], per_row=2)
    assert rows[0]["debtor_ids"] == ["D-崎", "D-髙"] and rows[1]["debtor_ids"] == ["D-髙"]
    with pytest.raises(ValueError, match="debtor_ids: 1 given for 2 ids"):
        read_details(["a", "b"], debtor_ids=["D"])
    with pytest.raises(ValueError, match="context: returned is set by read_details"):
        read_details(["a"], returned=5)
    with pytest.raises(ValueError, match="per_row: must be at least 1"):
        read_details(["a"], per_row=0)


def test_ids_are_recorded_as_text() -> None:
    assert read_details([101, 102])[0]["ids"] == ["101", "102"]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def execute(self, query: str, *args: Any) -> None:
        self.calls.append((query, *args))


def test_audit_read_uses_the_services_own_statement() -> None:
    conn = Recorder()
    insert = "INSERT INTO audit_log (staff_id, action, target, detail) VALUES ($1, $2, $3, $4)"
    asyncio.run(audit_read(conn, insert, "e2e-welfare", "read_inbox", None, ["R1", "R2"], debtor_ids=["D1", "D2"]))
    assert conn.calls == [(insert, "e2e-welfare", "read_inbox", None,
                           {"returned": 2, "ids": ["R1", "R2"], "debtor_ids": ["D1", "D2"]})]
