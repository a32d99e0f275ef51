"""報告: collection's management reports in the console, each as a bar chart drawn on the server (inline SVG,
services/console/charts.py) above a table of the same figures. Collection rates per 所管 and 債権 with their
targets, the bureau table (未収金の目標値（局別）: outstanding against targets in thousand yen), the outstanding
balance per 債権, aging, and the workload per group and team. The 年度 is chosen on the page; collection computes
every figure and audit-logs each read under the officer's id (the console only arranges them).

The arrangement (``report_view``) is a pure function of the API's answers, unit-tested; the route is thin."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment

from services.console.backend import Backend, Refused, SignedOut
from services.console.charts import Series, bar_chart
from services.console.formatting import HOLDERS, department, fiscal_year, label, yen

#: collection's aging buckets (services/collection/reports.py AGING_BUCKETS) as officers name them, in order.
AGING_BUCKETS: Mapping[str, str] = {"0-90 days": "90日以内", "91-180 days": "91日〜180日",
                                    "181-365 days": "181日〜1年", "1-2 years": "1年超〜2年", "over 2 years": "2年超"}
#: How many 年度 back the page offers.
YEARS_OFFERED = 5


def fiscal_year_of(day: date) -> int:
    """年度 of a day: it starts on 1 April."""
    return day.year if day.month >= 4 else day.year - 1


def percent(value: Decimal | float | int | str | None) -> str:
    """96.50%; － for no figure (nothing assessed, no target)."""
    if value is None or value == "":
        return "－"
    return f"{Decimal(str(value)):.2f}%"


def thousand_yen(value: int | None) -> str:
    """12,450,780千円; a reduction as △ 134,885千円, as the bureau table is published."""
    if value is None:
        return "－"
    return f"△ {-value:,}千円" if value < 0 else f"{value:,}千円"


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def report_view(rates: Sequence[Mapping[str, Any]], outstanding: Sequence[Mapping[str, Any]],
                bureaus: Sequence[Mapping[str, Any]], aging: Sequence[Mapping[str, Any]],
                workload: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The page's sections from collection's five reports: each section's table rows (written as officers read
    them) and its chart. Figures are the API's own; only the aging is summed (per bucket over 所管)."""
    rate_rows = sorted(rates, key=lambda r: (r["department"], r["receivable_type"]))
    rate_labels = [f"{department(r['department'])}・{r['receivable_name']}" for r in rate_rows]
    bureau_rows = [r for r in bureaus if not r.get("total")]
    buckets = list(AGING_BUCKETS)
    departments = sorted({r["department"] for r in aging})
    cells: dict[tuple[str, str], Mapping[str, Any]] = {(r["bucket"], r["department"]): r for r in aging}
    aging_rows = [{"bucket": AGING_BUCKETS[b],
                   "cells": [cells.get((b, d), {"claims": 0, "balance": 0}) for d in departments],
                   "claims": sum(int(cells[(b, d)]["claims"]) for d in departments if (b, d) in cells),
                   "balance": sum(int(cells[(b, d)]["balance"]) for d in departments if (b, d) in cells)}
                  for b in buckets]
    holders = [f"{label(HOLDERS, r['holder_kind'])}（{r['holder_code']}）" for r in workload]
    return {
        "rates": rate_rows, "rate_labels": rate_labels,
        "rate_chart": bar_chart("全体 収納率（実績と目標）", rate_labels, [
            Series("実績", [_decimal(r["overall_rate"]) for r in rate_rows]),
            Series("目標", [_decimal(r["overall_rate_target"]) for r in rate_rows])], percent, chart_id="rates"),
        "outstanding": sorted(outstanding, key=lambda r: (r["department"], r["receivable_type"])),
        "bureaus": bureaus,
        "bureau_chart": bar_chart("局別 収入未済額：前年度決算①と目標②（千円）", [r["bureau"] for r in bureau_rows], [
            Series("前年度決算①", [r["prior_year_end"] for r in bureau_rows]),
            Series("目標②", [r["target"] for r in bureau_rows])], thousand_yen, chart_id="bureaus"),
        "aging_departments": departments, "aging": aging_rows,
        "aging_chart": bar_chart("経過期間別 滞納額", [r["bucket"] for r in aging_rows],
                                 [Series("滞納額", [r["balance"] for r in aging_rows])], _yen, chart_id="aging"),
        "workload": workload, "holders": holders,
        "workload_chart": bar_chart("担当別 未完結の事案の滞納額", holders,
                                    [Series("滞納額", [r["balance"] for r in workload])], _yen, chart_id="workload"),
        "cases_chart": bar_chart("担当別 未完結の事案数", holders,
                                 [Series("事案数", [r["open_cases"] for r in workload])],
                                 lambda n: f"{int(n):,}件", chart_id="cases"),
    }


def _yen(value: int | Decimal | float) -> str:
    return yen(int(value))


def years_offered(business_date: date) -> list[int]:
    current = fiscal_year_of(business_date)
    return list(range(current, current - YEARS_OFFERED, -1))


def add_report_routes(app: FastAPI, backend: Backend, pages: Environment, render: Callable[..., HTMLResponse],
                      to_sign_in: Callable[[Request], Response]) -> None:
    """GET /reports?fiscal_year=2024; the templates learn ``percent`` and ``thousand_yen``."""
    pages.filters.update(percent=percent, thousand_yen=thousand_yen)

    @app.get("/reports", response_class=HTMLResponse, response_model=None)
    async def reports(request: Request) -> Response:
        token = request.cookies.get("console_token")
        if not token:
            return to_sign_in(request)
        try:
            me = await backend.me(token)
        except SignedOut:
            return to_sign_in(request)
        offered = years_offered(date.fromisoformat(me["business_date"]))
        asked = request.query_params.get("fiscal_year", "")
        year = int(asked) if asked.isdigit() and int(asked) in offered else offered[0]
        by_year = {"fiscal_year": str(year)}
        try:
            answers = await asyncio.gather(
                backend.report(token, "collection-rates", by_year), backend.report(token, "outstanding", by_year),
                backend.report(token, "outstanding-by-bureau", by_year), backend.report(token, "aging"),
                backend.report(token, "workload"))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            message = ("報告を見る権限がありません。" if refused.status == 403
                       else f"報告を作成できませんでした（{refused.status}：{refused.detail}）。")
            return render("message.html", status=refused.status, me=me, title="報告", message=message)
        return render("reports.html", me=me, year=year, year_label=fiscal_year(year), offered=offered,
                      problem=None if not asked or asked.isdigit() and int(asked) in offered
                      else f"年度「{asked}」は選べません。{fiscal_year(year)}を表示しています。",
                      **report_view(*answers))


__all__ = ["add_report_routes", "fiscal_year_of", "percent", "report_view", "thousand_yen", "years_offered"]
