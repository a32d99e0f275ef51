"""Reconciliation with a department (services/collection/reconciliation.py): the department's own system sends
its statement of balances (standard-layout lines of event 91 残高, with its import credential); collection
compares it with the central ledger as of the statement's day and keeps the differences by claim with their
likely cause; staff read the latest run. Lines the layout refuses are answered by line and column, the rest
compared."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from contracts import Department
from contracts.keys import is_primary, qualify
from contracts.standard_link import parse
from services.collection.api.deps import Connection, Viewer, audit_read
from services.collection.api.feeds import Sender, Source, key_space_of
from services.collection.reconciliation import EXPLANATIONS, Statement, by_cause, reconcile
from services.collection.stores import audit_log
from services.collection.stores import reconciliation as store

router = APIRouter(tags=["reconciliation"])
STATEMENT_EVENT = "91"


class RejectedLine(BaseModel):
    line: int
    problems: list[str] = Field(description="column: reason (never the value)")


class RunSummary(BaseModel):
    run_id: int
    department: str = Field(description="The key space reconciled: the department's value for its own system, a "
                                        "second vendor's code (e.g. water_east) for that vendor's")
    as_of: date
    claims_stated: int
    claims_compared: int
    by_cause: dict[str, int]
    rejected: list[RejectedLine] = []


@router.post("/reconciliation/{department}", response_model=RunSummary, status_code=201,
             summary="Send the department's balances (standard layout, event 91 残高) to be reconciled")
async def reconcile_statement(department: Department, request: Request, sender: Sender,
                              conn: Connection, source: Source = None) -> RunSummary:
    """``source``: a second vendor of the department (contracts/keys.py) states its own claims with its own ids;
    they are compared with its claims only, and the run is kept under its code."""
    space = key_space_of(sender, department, source)
    try:
        parsed = list(parse(await request.body()))
    except ValueError as refused:
        raise HTTPException(422, str(refused)) from None
    rejected: list[RejectedLine] = []
    statements: list[Statement] = []
    days: set[date] = set()
    for line in parsed:
        if line.row is None:
            rejected.append(RejectedLine(line=line.line, problems=[f"{c}: {r}" for c, r in line.problems]))
        elif line.row["event"] != STATEMENT_EVENT:
            rejected.append(RejectedLine(line=line.line, problems=[
                "レコード種別: a statement holds only 残高 (91) lines"]))
        else:
            statements.append(Statement(qualify(space, department, line.row["claim"]),
                                        qualify(space, department, line.row["person"]), line.row["principal"]))
            days.add(line.row["done_on"])
    if not statements:
        raise HTTPException(422, "no 残高 (91) line could be read" + (f": {len(rejected)} refused" if rejected else ""))
    if len(days) != 1:
        raise HTTPException(422, "処理日: a statement is as of one day; it holds " + ", ".join(map(str, sorted(days))))
    as_of = days.pop()
    central = await store.central_claims(conn, department.value, as_of, space)
    differences = reconcile(statements, central,
                            unacknowledged_payers=await store.unacknowledged_payers(conn, department.value, space))
    counts = by_cause(differences)
    kept_as = space or department.value
    async with conn.transaction():
        run_id = await store.record_run(conn, department=kept_as, as_of=as_of, submitted_by=sender.label,
                                        claims_stated=len(statements), claims_compared=len(central), by_cause=counts,
                                        rejected=len(rejected), differences=differences)
        await audit_log.record(conn, sender.label, "submit_reconciliation", kept_as,
                               {"run_id": run_id, "claims": len(statements), "rejected": len(rejected)})
    request.app.state.reconciliation_counts[kept_as] = counts
    return RunSummary(run_id=run_id, department=kept_as, as_of=as_of, claims_stated=len(statements),
                      claims_compared=len(central), by_cause=counts, rejected=rejected)


class DifferenceView(BaseModel):
    claim_id: str
    source_person_id: str
    department_balance: int | None
    central_balance: int | None
    cause: str
    explanation: str


class RunView(RunSummary):
    submitted_by: str
    differences: list[DifferenceView]


@router.get("/reconciliation/{department}/latest", response_model=RunView,
            summary="The latest reconciliation of a department: differences by claim with their likely cause")
async def latest_reconciliation(department: Department, conn: Connection, staff: Viewer,
                                limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
                                source: Source = None) -> RunView:
    kept_as = department.value if is_primary(source, department) else source
    run = await store.latest_run(conn, kept_as)  # type: ignore[arg-type]
    if run is None:
        raise HTTPException(404, f"no reconciliation of {kept_as} yet")
    rows = await store.differences_of(conn, run["run_id"], limit)
    await audit_read(conn, staff, "read_reconciliation", kept_as, [r["claim_id"] for r in rows],
                     run_id=run["run_id"])
    fields: dict[str, Any] = {k: run[k] for k in ("run_id", "department", "as_of", "claims_stated",
                                                  "claims_compared", "submitted_by")}
    counts = run["by_cause"]
    return RunView(**fields, by_cause=json.loads(counts) if isinstance(counts, str) else dict(counts),
                   differences=[DifferenceView(**{k: r[k] for k in ("claim_id", "source_person_id",
                                                                    "department_balance", "central_balance", "cause")},
                                               explanation=EXPLANATIONS[r["cause"]]) for r in rows])
