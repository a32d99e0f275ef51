"""Management reports (services/collection/reports.py): collection rates 現年度分 / 滞納繰越分 / 全体 by receivable
with their targets, the outstanding balance against the year's target, aging, and the workload of each group and
team; JSON or CSV. Supervisors enter the targets per fiscal year."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from contracts import Department
from contracts.receivables import RECEIVABLES
from services.collection.api.csv_export import csv_response
from services.collection.api.deps import BusinessDate, Connection, Supervisor, Viewer, audit
from services.collection.ledger import fiscal_year_of
from services.collection.reports import Target, aging, collection_rates, fiscal_year_start, outstanding_against_targets
from services.collection.store import load_all_ledgers

router = APIRouter(prefix="/reports", tags=["reports"])
FiscalYear = Annotated[int | None, Query(ge=2000, le=2100, description="年度 (starting 1 April); default: the current")]
Format = Annotated[Literal["json", "csv"], Query(description="csv: UTF-8 with BOM, for Excel")]


class RateReportRow(BaseModel):
    department: str
    receivable_type: str
    receivable_name: str
    current_assessed: int = Field(description="現年度分 調定額, yen")
    current_received: int = Field(description="現年度分 収入済額, yen")
    current_rate: Decimal | None = Field(description="現年度分 収納率, percent")
    current_rate_target: Decimal | None
    carried_assessed: int = Field(description="滞納繰越分 調定額 (balance on 31 March), yen")
    carried_received: int
    carried_rate: Decimal | None
    overall_rate: Decimal | None = Field(description="全体 収納率, percent")
    overall_rate_target: Decimal | None


class OutstandingReportRow(BaseModel):
    department: str
    receivable_type: str
    receivable_name: str
    prior_year_end: int = Field(description="前年度末 収入未済額, yen")
    target: int | None = Field(description="The year's target, yen")
    actual: int
    difference: int | None = Field(description="actual − target (negative: better than the target)")
    achievement: Decimal | None = Field(description="target ÷ actual, percent")
    compression: Decimal | None = Field(description="actual ÷ prior year-end, percent (圧縮率)")


class AgingReportRow(BaseModel):
    department: str
    bucket: str
    claims: int
    balance: int


class WorkloadRow(BaseModel):
    holder_kind: str
    holder_code: str
    open_cases: int
    claims: int
    balance: int


def _out(rows: list[BaseModel], fmt: str, name: str, model: type[BaseModel]):  # type: ignore[no-untyped-def]
    if fmt == "csv":
        columns = list(model.model_fields)
        return csv_response(columns, ([getattr(r, c) for c in columns] for r in rows), name)
    return rows


async def _targets(conn: Connection, fiscal_year: int) -> dict[tuple[str, str], Target]:
    return {(r["department"], r["receivable_type"]): Target(r["outstanding"], r["current_rate"], r["overall_rate"])
            for r in await conn.fetch("SELECT * FROM report_targets WHERE fiscal_year = $1", fiscal_year)}


def _name(code: str) -> str:
    spec = RECEIVABLES.get(code)
    return spec.name_ja if spec else code


@router.get("/collection-rates", response_model=list[RateReportRow], summary="収納率: 現年度分, 滞納繰越分, 全体")
async def rate_report(conn: Connection, staff: Viewer, today: BusinessDate, fiscal_year: FiscalYear = None,
                      as_of: date | None = None, format: Format = "json"):  # type: ignore[no-untyped-def]  # noqa: A002
    as_of = as_of or today
    fiscal_year = fiscal_year or fiscal_year_of(as_of)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        before = await load_all_ledgers(conn, fiscal_year_start(fiscal_year) - timedelta(days=1))
        now = await load_all_ledgers(conn, as_of)
    targets = await _targets(conn, fiscal_year)
    rows = [RateReportRow(**{**r.__dict__, "receivable_name": _name(r.receivable_type),
                             "current_rate_target": targets.get((r.department, r.receivable_type), Target()).current_rate,
                             "overall_rate_target": targets.get((r.department, r.receivable_type), Target()).overall_rate})
            for r in collection_rates(before, now, fiscal_year)]
    await audit(conn, staff, "report_collection_rates", "reports", fiscal_year=fiscal_year, as_of=as_of.isoformat())
    return _out(rows, format, f"collection-rates-{fiscal_year}.csv", RateReportRow)


@router.get("/outstanding", response_model=list[OutstandingReportRow],
            summary="収入未済額: prior year-end, target, actual, difference, achievement, compression")
async def outstanding_report(conn: Connection, staff: Viewer, today: BusinessDate,
                             fiscal_year: FiscalYear = None,
                             as_of: date | None = None, format: Format = "json"):  # type: ignore[no-untyped-def]  # noqa: A002
    as_of = as_of or today
    fiscal_year = fiscal_year or fiscal_year_of(as_of)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        before = await load_all_ledgers(conn, fiscal_year_start(fiscal_year) - timedelta(days=1))
        now = await load_all_ledgers(conn, as_of)
    rows = [OutstandingReportRow(**{**r.__dict__, "receivable_name": _name(r.receivable_type)})
            for r in outstanding_against_targets(before, now, await _targets(conn, fiscal_year))]
    await audit(conn, staff, "report_outstanding", "reports", fiscal_year=fiscal_year, as_of=as_of.isoformat())
    return _out(rows, format, f"outstanding-{fiscal_year}.csv", OutstandingReportRow)


@router.get("/aging", response_model=list[AgingReportRow], summary="Arrears by how long they are overdue")
async def aging_report(conn: Connection, staff: Viewer, today: BusinessDate, as_of: date | None = None,
                       format: Format = "json"):  # type: ignore[no-untyped-def]  # noqa: A002
    as_of = as_of or today
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        now = await load_all_ledgers(conn, as_of)
    rows = [AgingReportRow(**r.__dict__) for r in aging(now, as_of)]
    await audit(conn, staff, "report_aging", "reports", as_of=as_of.isoformat())
    return _out(rows, format, f"aging-{as_of.isoformat()}.csv", AgingReportRow)


@router.get("/workload", response_model=list[WorkloadRow], summary="Open cases and arrears per group and team")
async def workload_report(conn: Connection, staff: Viewer, format: Format = "json"):  # type: ignore[no-untyped-def]  # noqa: A002
    rows = [WorkloadRow(**dict(r)) for r in await conn.fetch(
        "SELECT cc.holder_kind, cc.holder_code, count(DISTINCT cc.case_id) AS open_cases, count(*) AS claims, "
        "sum(cc.balance)::bigint AS balance FROM case_claims cc JOIN cases c USING (case_id) WHERE c.status = 'open' "
        "GROUP BY cc.holder_kind, cc.holder_code ORDER BY balance DESC")]
    await audit(conn, staff, "report_workload", "reports")
    return _out(rows, format, "workload.csv", WorkloadRow)


class TargetIn(BaseModel):
    department: Department
    receivable_type: str = Field(min_length=1, max_length=64)
    outstanding: int | None = Field(None, ge=0, description="収入未済額 target for the year's end, yen")
    current_rate: Decimal | None = Field(None, ge=0, le=100, decimal_places=1)
    overall_rate: Decimal | None = Field(None, ge=0, le=100, decimal_places=1)


class TargetOut(TargetIn):
    fiscal_year: int
    set_by: str
    set_at: datetime


@router.put("/targets/{fiscal_year}", response_model=list[TargetOut],
            summary="Enter the year's targets (supervisor): replaces that year's targets")
async def set_targets(fiscal_year: Annotated[int, Path(ge=2000, le=2100)], body: list[TargetIn], conn: Connection,
                      staff: Supervisor) -> list[TargetOut]:
    for target in body:
        spec = RECEIVABLES.get(target.receivable_type)
        if spec is None or spec.department.value != target.department.value:
            raise HTTPException(422, f"{target.department.value}/{target.receivable_type}: not a receivable of "
                                     "that department")
    async with conn.transaction():
        await conn.execute("DELETE FROM report_targets WHERE fiscal_year = $1", fiscal_year)
        await conn.executemany(
            "INSERT INTO report_targets (fiscal_year, department, receivable_type, outstanding, current_rate, "
            "overall_rate, set_by) VALUES ($1,$2,$3,$4,$5,$6,$7)",
            [(fiscal_year, t.department.value, t.receivable_type, t.outstanding, t.current_rate, t.overall_rate,
              staff.subject) for t in body])
        await audit(conn, staff, "set_report_targets", f"fiscal_year:{fiscal_year}", rows=len(body))
    rows = await conn.fetch("SELECT * FROM report_targets WHERE fiscal_year = $1 ORDER BY department, "
                            "receivable_type", fiscal_year)
    return [TargetOut(**dict(r)) for r in rows]
