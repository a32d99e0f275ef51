"""Management reports (services/collection/reports.py) as a city publishes them: collection rates 現年度分 /
滞納繰越分 / 全体 by receivable on the 出納閉鎖 basis (地方自治法235条の5) with 不納欠損額 and their targets, the
outstanding balance against the year's target per receivable and per bureau (局, the city's configuration), aging,
and the workload of each group and team; JSON, or CSV with Japanese headers. Supervisors enter the targets per
fiscal year."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from contracts import Department
from contracts.receivables import RECEIVABLES
from services.collection.api.csv_export import csv_response
from services.collection.api.deps import BusinessDate, Connection, Supervisor, Viewer, audit
from services.collection.ledger import fiscal_year_of
from services.collection.reports import (
    Target,
    aging,
    books_dates,
    bureau_table,
    collection_rates,
    outstanding_against_targets,
)
from services.collection.store import load_all_ledgers
from services.collection.stores import reports as store
from services.collection.workflow import ActionKind

router = APIRouter(prefix="/reports", tags=["reports"])
FiscalYear = Annotated[int | None, Query(ge=2000, le=2100, description="年度 (starting 1 April); default: the current")]
Format = Annotated[Literal["json", "csv"], Query(description="csv: UTF-8 with BOM, for Excel; Japanese headers")]


class RateReportRow(BaseModel):
    CSV_HEADERS: ClassVar[dict[str, str]] = {
        "department": "所管", "receivable_type": "債権コード", "receivable_name": "債権名",
        "current_assessed": "現年度分 調定額（円）", "current_received": "現年度分 収入済額（円）",
        "current_written_off": "現年度分 不納欠損額（円）", "current_outstanding": "現年度分 収入未済額（円）",
        "current_rate": "現年度分 収納率（％）", "current_rate_target": "現年度分 目標収納率（％）",
        "carried_assessed": "滞納繰越分 調定額（円）", "carried_received": "滞納繰越分 収入済額（円）",
        "carried_written_off": "滞納繰越分 不納欠損額（円）", "carried_outstanding": "滞納繰越分 収入未済額（円）",
        "carried_rate": "滞納繰越分 収納率（％）", "overall_rate": "全体 収納率（％）",
        "overall_rate_target": "全体 目標収納率（％）",
    }

    department: str
    receivable_type: str
    receivable_name: str
    current_assessed: int = Field(description="現年度分 調定額, yen")
    current_received: int = Field(description="現年度分 収入済額 up to the 出納閉鎖 (31 May next year), yen")
    current_written_off: int = Field(description="現年度分 不納欠損額, yen")
    current_outstanding: int = Field(description="現年度分 収入未済額, yen")
    current_rate: Decimal | None = Field(description="現年度分 収納率, percent, two decimals")
    current_rate_target: Decimal | None
    carried_assessed: int = Field(description="滞納繰越分 調定額: unpaid when the previous year's books closed "
                                              "(31 May), yen")
    carried_received: int
    carried_written_off: int = Field(description="滞納繰越分 不納欠損額, yen")
    carried_outstanding: int = Field(description="滞納繰越分 収入未済額, yen")
    carried_rate: Decimal | None
    overall_rate: Decimal | None = Field(description="全体 収納率, percent, two decimals")
    overall_rate_target: Decimal | None


class OutstandingReportRow(BaseModel):
    CSV_HEADERS: ClassVar[dict[str, str]] = {
        "department": "所管", "receivable_type": "債権コード", "receivable_name": "債権名",
        "prior_year_end": "前年度末 収入未済額（円）", "target": "目標（円）", "actual": "現在 収入未済額（円）",
        "difference": "目標との差（円）", "achievement": "達成率（％）", "compression": "圧縮割合（％）",
    }

    department: str
    receivable_type: str
    receivable_name: str
    prior_year_end: int = Field(description="前年度末 収入未済額 when the previous year's books closed (31 May), yen")
    target: int | None = Field(description="The year's target, yen")
    actual: int
    difference: int | None = Field(description="actual − target (negative: better than the target)")
    achievement: Decimal | None = Field(description="target ÷ actual, percent")
    compression: Decimal | None = Field(description="actual ÷ prior year-end, percent (圧縮率)")


class BureauReportRow(BaseModel):
    CSV_HEADERS: ClassVar[dict[str, str]] = {
        "bureau": "局名", "prior_year_end": "前年度決算 ①（千円）", "target": "目標 ②（千円）",
        "difference": "未収金額差 ②－①（千円）", "ratio": "圧縮割合 ②／①（％）",
    }
    #: as published: a reduction is written with △ (△ 134,885), not a minus sign
    CSV_FORMAT: ClassVar[dict[str, object]] = {
        "difference": lambda v: None if v is None else (f"△ {-v:,}" if v < 0 else f"{v:,}"),
        "prior_year_end": lambda v: f"{v:,}", "target": lambda v: None if v is None else f"{v:,}",
    }

    bureau: str = Field(description="局名 (合計 on the total row)")
    prior_year_end: int = Field(description="① 収入未済額 when the previous year's books closed, thousand yen "
                                            "(rounded half up from yen, each row on its own)")
    target: int | None = Field(description="② the year's target, thousand yen")
    difference: int | None = Field(description="② − ①, thousand yen (negative: a reduction, printed △)")
    ratio: Decimal | None = Field(description="② ÷ ①, percent with two decimals, from yen")
    prior_year_end_yen: int
    target_yen: int | None
    total: bool


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
        headers: dict[str, str] = getattr(model, "CSV_HEADERS", {})
        formats: dict = getattr(model, "CSV_FORMAT", {})  # type: ignore[type-arg]
        columns = list(headers) if headers else list(model.model_fields)
        return csv_response([headers.get(c, c) for c in columns],
                            ([formats[c](getattr(r, c)) if c in formats else getattr(r, c) for c in columns]
                             for r in rows), name)
    return rows


async def _targets(conn: Connection, fiscal_year: int) -> dict[tuple[str, str], Target]:
    return {(r["department"], r["receivable_type"]): Target(r["outstanding"], r["current_rate"], r["overall_rate"])
            for r in await store.report_targets(conn, fiscal_year)}


async def _write_offs(conn: Connection, up_to: date) -> dict[tuple[str, str], date]:
    """The day each claim was written off (不納欠損, the 経過記録's write_off action) up to a day."""
    return {(r["department"], r["claim_id"]): r["written_on"]
            for r in await store.write_off_dates(conn, ActionKind.WRITE_OFF.value, up_to)}


def _name(code: str) -> str:
    spec = RECEIVABLES.get(code)
    return spec.name_ja if spec else code


@router.get("/collection-rates", response_model=list[RateReportRow],
            summary="収納率: 現年度分, 滞納繰越分, 全体 on the 出納閉鎖 basis, with 不納欠損額 and 収入未済額")
async def rate_report(conn: Connection, staff: Viewer, today: BusinessDate, fiscal_year: FiscalYear = None,
                      as_of: date | None = None, format: Format = "json"):  # type: ignore[no-untyped-def]  # noqa: A002
    as_of = as_of or today
    fiscal_year = fiscal_year or fiscal_year_of(as_of)
    opening, closing = books_dates(fiscal_year, as_of)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        before = await load_all_ledgers(conn, opening)
        now = await load_all_ledgers(conn, closing)
        write_offs = await _write_offs(conn, closing)
    targets = await _targets(conn, fiscal_year)
    rows = [RateReportRow(**{**r.__dict__, "receivable_name": _name(r.receivable_type),
                             "current_rate_target": targets.get((r.department, r.receivable_type), Target()).current_rate,
                             "overall_rate_target": targets.get((r.department, r.receivable_type), Target()).overall_rate})
            for r in collection_rates(before, now, fiscal_year, write_offs)]
    await audit(conn, staff, "report_collection_rates", "reports", fiscal_year=fiscal_year, as_of=as_of.isoformat())
    return _out(rows, format, f"collection-rates-{fiscal_year}.csv", RateReportRow)


async def _outstanding_rows(conn: Connection, fiscal_year: int, as_of: date) -> list:  # type: ignore[type-arg]
    opening, _ = books_dates(fiscal_year, as_of)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        before = await load_all_ledgers(conn, opening)
        now = await load_all_ledgers(conn, as_of)
        write_offs = await _write_offs(conn, as_of)
    return outstanding_against_targets(before, now, await _targets(conn, fiscal_year), fiscal_year=fiscal_year,
                                       write_offs=write_offs)


@router.get("/outstanding", response_model=list[OutstandingReportRow],
            summary="収入未済額: prior year-end (出納閉鎖), target, actual, difference, achievement, compression")
async def outstanding_report(conn: Connection, staff: Viewer, today: BusinessDate,
                             fiscal_year: FiscalYear = None,
                             as_of: date | None = None, format: Format = "json"):  # type: ignore[no-untyped-def]  # noqa: A002
    as_of = as_of or today
    fiscal_year = fiscal_year or fiscal_year_of(as_of)
    rows = [OutstandingReportRow(**{**r.__dict__, "receivable_name": _name(r.receivable_type)})
            for r in await _outstanding_rows(conn, fiscal_year, as_of)]
    await audit(conn, staff, "report_outstanding", "reports", fiscal_year=fiscal_year, as_of=as_of.isoformat())
    return _out(rows, format, f"outstanding-{fiscal_year}.csv", OutstandingReportRow)


@router.get("/outstanding-by-bureau", response_model=list[BureauReportRow],
            summary="未収金の目標値（局別）: 前年度末 ①, 目標 ②, ②−①, ②/① in thousand yen, with the total row")
async def bureau_report(request: Request, conn: Connection, staff: Viewer, today: BusinessDate,
                        fiscal_year: FiscalYear = None, as_of: date | None = None,
                        format: Format = "json"):  # type: ignore[no-untyped-def]  # noqa: A002
    as_of = as_of or today
    fiscal_year = fiscal_year or fiscal_year_of(as_of)
    table = bureau_table(await _outstanding_rows(conn, fiscal_year, as_of), request.app.state.report_bureaus)
    rows = [BureauReportRow(**r.__dict__) for r in table]
    await audit(conn, staff, "report_outstanding_by_bureau", "reports", fiscal_year=fiscal_year,
                as_of=as_of.isoformat())
    return _out(rows, format, f"outstanding-by-bureau-{fiscal_year}.csv", BureauReportRow)


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
    rows = [WorkloadRow(**dict(r)) for r in await store.workload(conn)]
    await audit(conn, staff, "report_workload", "reports")
    return _out(rows, format, "workload.csv", WorkloadRow)


class TargetIn(BaseModel):
    department: Department
    receivable_type: str = Field(min_length=1, max_length=64)
    outstanding: int | None = Field(None, ge=0, description="収入未済額 target for the year's end, yen")
    current_rate: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    overall_rate: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)


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
        await store.replace_targets(
            conn, fiscal_year, [(t.department.value, t.receivable_type, t.outstanding, t.current_rate, t.overall_rate)
                                for t in body], staff.subject)
        await audit(conn, staff, "set_report_targets", f"fiscal_year:{fiscal_year}", rows=len(body))
    rows = await store.sorted_targets(conn, fiscal_year)
    return [TargetOut(**dict(r)) for r in rows]
