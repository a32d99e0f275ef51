"""The staff console of the central collection division (債権管理課): Japanese pages served by the project itself.

Server-rendered HTML (Jinja2, autoescaped) with one local stylesheet and no script a page needs: it runs from
`make up` with no build step and nothing from outside (LGWAN has no CDN and no web fonts). The console keeps no
data: an officer signs in at collection (their token goes into an HttpOnly, SameSite=Strict cookie) and every
page reads the published APIs of collection and matching with that token, so what an officer sees is decided
and audit-logged by the service that owns it. Pages: sign-in, person search (人物検索), the debtor 360
(滞納者カルテ), claims and cases; 名寄せ確認, 報告 and 運用 in their own modules (review_pages.py, report_pages.py,
operations_pages.py). docs/console.md says why it is built this way and what comes next.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.console.assign_pages import add_assign_pages, debtor_extras
from services.console.backend import Backend, Refused, SignedOut
from services.console.documents_pages import add_document_pages
from services.console.formatting import FILTERS, wareki
from services.console.operations_pages import add_operations_routes
from services.console.plans_pages import add_plan_pages
from services.console.report_pages import add_report_routes
from services.console.review_pages import add_review_routes
from services.console.session import Sessions
from services.console.settings import ConsoleSettings
from shared.http import add_health_routes, guard_requests, instrument_app
from shared.japanese_dates import DateFormatError, parse_japanese_date
from shared.logging import setup_logging
from shared.telemetry import setup_telemetry, shutdown_telemetry

SERVICE = "console"
HERE = Path(__file__).parent
COOKIE = "console_token"
#: The search fields, as matching's GET /persons names them.
SEARCH_FIELDS = ("name", "birth_date", "phone", "postal_code", "address", "register_number")
#: People whose arrears a search page reads from collection at most (each read is audit-logged there).
SEARCH_ROWS = 20

log = logging.getLogger(__name__)


def templates() -> Environment:
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(FILTERS)
    return environment


def _same_origin(request: Request) -> bool:
    """A form posted from the console's own pages: its Origin (or Referer) names this host. SameSite=Strict
    keeps the cookie off other sites' requests; this refuses a cross-site sign-in or sign-out too."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return False
    origin = urlsplit(sent)
    return f"{origin.scheme}://{origin.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()
    setup_logging(SERVICE, settings.log_level)
    setup_telemetry(SERVICE, environment=settings.environment)
    backend = Backend(settings.collection_url, settings.matching_url, settings.api_timeout_seconds,
                      settings.welfare_url)
    pages = templates()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await backend.close()
        shutdown_telemetry()

    app = FastAPI(title="Staff console (債権管理課)", description=__doc__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = pages.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status, headers={
            "Cache-Control": "no-store",  # personal data: never kept by the browser or a proxy
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                                       "form-action 'self'; base-uri 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})

    def to_sign_in(request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"/login?next={target}" if target != "/" else "/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    sessions = Sessions(backend, COOKIE)  # the officer and the page's data at once (session.py)

    async def signed_out(request: Request, _: Exception) -> Response:
        """No cookie, or a token an API no longer accepts, wherever a page finds it: sign in again."""
        return to_sign_in(request)

    app.add_exception_handler(SignedOut, signed_out)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/search", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    async def sign_in_page(next: str = "/search") -> HTMLResponse:  # noqa: A002 - the query parameter's name
        return render("login.html", next=_local(next), message=None)

    @app.post("/login", response_class=HTMLResponse, response_model=None)
    async def sign_in(request: Request, staff_id: Annotated[str, Form(max_length=64)],
                      password: Annotated[str, Form(max_length=256)],
                      next: Annotated[str, Form(max_length=500)] = "/search") -> Response:  # noqa: A002
        if not _same_origin(request):
            return render("login.html", status=403, next="/search", message="この画面からサインインしてください。")
        try:
            token = await backend.sign_in(staff_id, password, request.client.host if request.client else None)
        except Refused as refused:
            message = ("サインインの試行が多すぎます。しばらくしてからもう一度お試しください。" if refused.status == 429
                       else "職員IDまたはパスワードが違います。")
            return render("login.html", status=401 if refused.status != 429 else 429, next=_local(next),
                          message=message)
        response = RedirectResponse(_local(next), status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=settings.cookie_secure, path="/")
        return response

    @app.post("/logout", include_in_schema=False)
    async def sign_out(request: Request) -> RedirectResponse:
        response = RedirectResponse("/login", status_code=303)
        if _same_origin(request):
            response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/search", response_class=HTMLResponse, response_model=None)
    async def person_search(request: Request) -> Response:
        asked = {k: v.strip() for k, v in request.query_params.items() if k in SEARCH_FIELDS and v.strip()}

        async def found(token: str) -> tuple[list[dict[str, Any]], bool, str | None]:
            """The page of people with their arrears (the summaries need the people first)."""
            if not asked:
                return [], False, None
            try:
                page = await backend.find_persons(token, {**asked, "limit": str(SEARCH_ROWS)})
                people = page["items"]
                summaries = await backend.debtor_summaries(token, [p["debtor_id"] for p in people]) \
                    if people else []
            except Refused as refused:
                return [], False, _search_problem(refused)
            by_debtor = {summary["debtor_id"]: summary for summary in summaries}
            return [_search_row(person, by_debtor[person["debtor_id"]]) for person in people], page["more"], None

        _, me, [(rows, more, problem)] = await sessions.load(request, found)
        return render("search.html", me=me, asked=asked, rows=rows, more=more, problem=problem, searched=bool(asked))

    @app.get("/debtors/{debtor_id}", response_class=HTMLResponse, response_model=None)
    async def debtor_page(request: Request, debtor_id: str) -> Response:
        async def card(token: str) -> tuple[Any, ...]:
            view, mailing, welfare = await asyncio.gather(backend.debtor(token, debtor_id),
                                                          backend.mailing_address(token, debtor_id),
                                                          _welfare_standing(backend, token, debtor_id))
            extra = await debtor_extras(backend, token, view)  # the 担当者 and the latest 経過記録 (assign_pages.py)
            return view, mailing, welfare, extra

        try:  # the officer and the 360's reads at once
            _, me, [(view, mailing, welfare, extra)] = await sessions.load(request, card)
        except Refused as refused:
            return render("message.html", status=refused.status, me=await backend.me(sessions.token(request)),
                          title="表示できません", message=_refusal(refused))
        return render("debtor.html", me=me, debtor=view, by_department=_by_department(view["claims"]), mailing=mailing,
                      welfare=welfare, **extra)

    @app.get("/cases", response_class=HTMLResponse, response_model=None)
    async def case_list(request: Request) -> Response:
        return await case_list_view(request)

    async def case_list_view(request: Request, *, path: str = "/cases", title: str = "事案一覧",
                             fixed: dict[str, str] | None = None) -> Response:
        """The case list, or a view of it with some filters ``fixed`` (自分の事案: assignee=me)."""
        asked = {**_case_query(request), **(fixed or {})}

        async def listed(token: str) -> tuple[dict[str, Any], str | None]:
            try:
                return await backend.cases(token, _for_collection(asked)), None
            except Refused as refused:
                return {"items": [], "total": 0, "limit": CASE_PAGE, "offset": 0}, _search_problem(refused)

        # the officer, the page and the actions' Japanese words (次の対応) at once
        _, me, [(page, problem), table] = await sessions.load(request, listed, backend.action_table)
        offset, total = int(page["offset"]), int(page["total"])
        filters = _without_paging(asked)
        links = {k: v for k, v in filters.items() if k not in (fixed or {})}
        return render("cases.html", me=me, page=page, asked=asked, problem=problem, sorts=CASE_SORTS,
                      actions={row["kind"]: row["label"] for row in table},
                      path=path, title=title, fixed=fixed or {},
                      previous=_with(links, offset=max(offset - CASE_PAGE, 0)) if offset > 0 else None,
                      following=_with(links, offset=offset + CASE_PAGE) if offset + CASE_PAGE < total else None,
                      csv=_with(filters), first=offset + 1 if total else 0, last=min(offset + CASE_PAGE, total))

    @app.get("/cases/export.csv", include_in_schema=False, response_model=None)
    async def case_list_csv(request: Request) -> Response:
        asked = _without_paging(_case_query(request))
        try:
            exported = await backend.cases_csv(sessions.token(request), _for_collection(asked))
        except Refused as refused:
            return render("message.html", status=refused.status, me=None, title="出力できません",
                          message=_search_problem(refused))
        return Response(exported.content, media_type=exported.headers.get("content-type", "text/csv"),
                        headers={"Content-Disposition": exported.headers.get("content-disposition", "attachment"),
                                 "Cache-Control": "no-store"})

    @app.get("/claims/{department}/{claim_id}", response_class=HTMLResponse, response_model=None)
    async def claim_page(request: Request, department: str, claim_id: str) -> Response:
        return await claim_view(sessions.token(request), request, department, claim_id,
                                done=request.query_params.get("recorded"))

    async def claim_view(token: str, request: Request, department: str, claim_id: str, *, status: int = 200,
                         problem: str | None = None, done: str | None = None,
                         entered: dict[str, str] | None = None) -> Response:
        try:  # the officer, the claim's record and the table of actions at once
            _, me, [record, table] = await sessions.load(
                request, lambda token: backend.claim(token, department, claim_id), backend.action_table)
        except Refused as refused:
            return render("message.html", status=refused.status, me=None, title="表示できません",
                          message=_refusal(refused))
        allowed = set(record["allowed_now"])
        labels = {row["kind"]: row["label"] for row in table}
        why_not = {r["kind"]: r.get("reason_ja") or r["reason"] for r in record.get("refused_now", [])}
        choices = [{"kind": row["kind"], "label": row["label"], "allowed": row["kind"] in allowed,
                    "role": row["role"], "why_not": why_not.get(row["kind"])} for row in table]
        return render("claim.html", status=status, me=me, claim=record, labels=labels, choices=choices,
                      problem=problem, done=done,
                      entered=entered or {"done_on": wareki(me["business_date"]),
                                          "kind": next((c["kind"] for c in choices if c["allowed"]), "")},
                      history=sorted(record["actions"], key=lambda a: (a["done_on"], a["action_id"]), reverse=True))

    @app.post("/claims/{department}/{claim_id}/actions", response_class=HTMLResponse, response_model=None)
    async def record_action(request: Request, department: str, claim_id: str,
                            kind: Annotated[str, Form(max_length=40)],
                            done_on: Annotated[str, Form(max_length=40)],
                            note: Annotated[str, Form(max_length=2000)] = "",
                            outcome: Annotated[str, Form(max_length=40)] = "") -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        entered = {"kind": kind, "done_on": done_on, "note": note, "outcome": outcome}
        if not _same_origin(request):
            return await claim_view(token, request, department, claim_id, status=403, entered=entered,
                                    problem="この画面から記録してください。")
        try:
            day = parse_japanese_date(done_on)
        except DateFormatError as exc:
            return await claim_view(token, request, department, claim_id, status=422, entered=entered,
                                    problem=f"実施日を読み取れません（{exc}。例：令和7年1月31日、R7.1.31、2025-01-31）")
        action = {"kind": kind, "done_on": day.isoformat(), "note": note, "outcome": outcome or None}
        try:
            await backend.record_action(token, department, claim_id, action)
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            reason = {409: f"法令上、今は記録できません：{refused.detail_ja or refused.detail}",
                      403: f"この操作の権限がありません（{refused.detail}）"}.get(
                refused.status, f"記録できませんでした（{refused.status}：{refused.detail}）")
            return await claim_view(token, request, department, claim_id, status=refused.status, entered=entered,
                                    problem=reason)
        target = f"/claims/{quote(department, safe='')}/{quote(claim_id, safe='')}?recorded={quote(kind, safe='')}"
        return RedirectResponse(target, status_code=303)

    add_assign_pages(app, backend, render=render, to_sign_in=to_sign_in, same_origin=_same_origin,
                     case_list=case_list_view)
    add_document_pages(app, backend, render, _same_origin, _refusal)
    add_plan_pages(app, backend=backend, render=render, to_sign_in=to_sign_in, same_origin=_same_origin, cookie=COOKIE)
    add_review_routes(app, backend, render, to_sign_in, _same_origin)
    add_report_routes(app, backend, pages, render, to_sign_in)
    add_operations_routes(app, backend, render, to_sign_in, _same_origin)
    add_health_routes(app, {})
    instrument_app(app)
    guard_requests(app)
    return app


#: The case list's filters as collection's GET /cases names them, and the sorts offered (collection's names).
CASE_FILTERS = ("department", "legal_category", "lead", "min_balance", "min_arrears_days", "on_hold", "sort",
                "descending", "offset", "assignee")
CASE_SORTS = {"delinquent_balance": "滞納額", "oldest_due_date": "最古の納期限", "name_kana": "フリガナ",
              "opened_on": "開始日", "claim_count": "債権数", "last_action_on": "最終対応日",
              "next_action": "次の対応（期日順）"}
CASE_PAGE = 50


#: The direction each sort takes when the officer leaves 向き at its default: the most pressing first.
DEFAULT_ASCENDING = frozenset({"next_action"})


def _case_query(request: Request) -> dict[str, str]:
    asked = {k: v.strip() for k, v in request.query_params.items() if k in CASE_FILTERS and v.strip()}
    asked["limit"] = str(CASE_PAGE)
    return asked


def _for_collection(asked: dict[str, str]) -> dict[str, str]:
    """The list's query as collection takes it: a sort whose default is ascending (the next action: the earliest
    due day is the most pressing) gets it unless the officer chose a direction."""
    if "descending" not in asked and asked.get("sort") in DEFAULT_ASCENDING:
        return {**asked, "descending": "false"}
    return asked


def _without_paging(asked: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in asked.items() if k not in ("offset", "limit")}


def _with(filters: dict[str, str], **changes: object) -> str:
    """A query string of the list's filters with some changed (for paging links and the CSV)."""
    return urlencode({**filters, **{k: str(v) for k, v in changes.items()}})


def _local(target: str) -> str:
    """Only a path of this console (never another site) is followed after sign-in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/search"


async def _welfare_standing(backend: Backend, token: str, debtor_id: str) -> dict[str, Any]:
    """The debtor's welfare referrals for the 360, or why they cannot be shown: welfare decides what an officer
    may read (its list carries states and codes, never notes), and a welfare service that does not answer must not
    take the debtor's page down with it."""
    try:
        return {"referrals": await backend.welfare_referrals(token, debtor_id), "problem": None}
    except Refused as refused:
        return {"referrals": [], "problem": _refusal(refused)}
    except httpx.HTTPError:
        log.warning("welfare referral did not answer for the debtor page")
        return {"referrals": [], "problem": "福祉連携の状況を取得できませんでした。"}


def _search_row(person: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """A result row: the person as matching knows them, 滞納額 and holder from their case at collection (a
    person who never owed anything has no case: 0)."""
    first = person["records"][0]["recorded"] or {}
    return {"debtor_id": person["debtor_id"], "name": first.get("name_kanji"), "kana": first.get("name_kana"),
            "birth_date": first.get("birth_date"), "address": first.get("address"),
            "departments": sorted({r["department"] for r in person["records"]}),
            "arrears": summary["delinquent_balance"], "holder_kind": summary["lead_kind"],
            "holder_code": summary["lead_code"], "protected": summary["protected"]}


def _search_problem(refused: Refused) -> str:
    if refused.status == 422:
        return f"検索条件を読み取れません（{refused.detail}）"
    return _refusal(refused)


def _refusal(refused: Refused) -> str:
    return {403: "この情報を見る権限がありません。", 404: "該当するデータがありません。"}.get(
        refused.status, f"処理できませんでした（{refused.status}）。")


def _by_department(claims: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The claims grouped by 所管 (department), each group by 年度 and 期別."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for claim in sorted(claims, key=lambda c: (c["department"], c["fiscal_year"], c["installment"], c["claim_id"])):
        groups.setdefault(claim["department"], []).append(claim)
    return list(groups.items())
