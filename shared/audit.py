"""Audit a read of personal data with the ids it returned: one rule for every service's API.

Why: a filter and a count say that someone looked, not at whom. A privacy review, or the question "who read
this person's record?", needs the ids each list, export or single read returned. Every service keeps its own ``audit_log`` table (services never read each other's tables); what they
share is how a read is written into it: ``read_details`` (pure) splits the returned ids into rows of at most
``IDS_PER_ROW`` so that a 100,000-row CSV export is still recorded id by id without one enormous row, and
``audit_read`` inserts those rows through the caller's own INSERT statement.

Rows hold ids (case, debtor, claim, referral, review numbers), never names, addresses or free text; the
``context`` keeps what the caller asked for (filters, page) so a row says why these ids came back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["IDS_PER_ROW", "Executor", "audit_read", "read_details"]

#: At most this many ids in one audit row; a larger read writes several rows (``part`` of ``parts``).
IDS_PER_ROW = 1000


class Executor(Protocol):
    async def execute(self, query: str, *args: Any) -> Any: ...


def read_details(ids: Sequence[str], *, debtor_ids: Sequence[str] | None = None, per_row: int = IDS_PER_ROW,
                 **context: Any) -> list[dict[str, Any]]:
    """The ``detail`` of each audit row for one read that returned ``ids`` (in the order returned).

    ``debtor_ids``, when given, is parallel to ``ids`` (the person each returned record concerns, e.g. a claim's
    debtor) and each row names the distinct debtors of its own ids. A read that returned nothing still gives one
    row (``returned`` 0): that someone looked is itself on record. Ids are kept as text, duplicates included
    (the same id twice in a result is what was returned)."""
    if per_row < 1:
        raise ValueError(f"per_row: must be at least 1, got {per_row}")
    ids = [str(i) for i in ids]
    if debtor_ids is not None and len(debtor_ids) != len(ids):
        raise ValueError(f"debtor_ids: {len(debtor_ids)} given for {len(ids)} ids (must be one per id)")
    clash = {"ids", "debtor_ids", "returned", "part", "parts"} & set(context)
    if clash:
        raise ValueError(f"context: {', '.join(sorted(clash))} is set by read_details itself")
    starts = range(0, len(ids), per_row) if ids else range(1)
    rows = []
    for part, start in enumerate(starts, 1):
        detail: dict[str, Any] = {**context, "returned": len(ids), "ids": ids[start:start + per_row]}
        if debtor_ids is not None:
            detail["debtor_ids"] = sorted({str(d) for d in debtor_ids[start:start + per_row]})
        if len(starts) > 1:
            detail["part"], detail["parts"] = part, len(starts)
        rows.append(detail)
    return rows


async def audit_read(conn: Executor, insert: str, actor: str, action: str, subject: str | None,
                     ids: Sequence[str], *, debtor_ids: Sequence[str] | None = None, **context: Any) -> None:
    """Write the rows of ``read_details`` with ``insert``, the service's own statement taking
    ``(actor, action, subject, detail)`` as $1..$4 (its audit table, its column names)."""
    for detail in read_details(ids, debtor_ids=debtor_ids, **context):
        await conn.execute(insert, actor, action, subject, detail)
