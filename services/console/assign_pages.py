"""The console's pages for a case's officer (担当者) and the debtor's whole 経過記録 (issue 24):

- 自分の事案 (``/my-cases``): the case list with the officer's own cases only, with its filters, sorts, paging and CSV;
- a case's 担当者 (``/cases/{case_id}/assignee``): who works it, every change, and the form to give it to an officer
  (係長以上: anyone; 徴収担当: an unheld case to themselves) or take it back; linked from the case list and the 360;
- the debtor's 経過記録 across claims (``/debtors/{debtor_id}/timeline``), newest first, by kind and page, and its
  latest entries on the 360;
- 担当者別の事案数 (``/workload``): open cases and arrears per officer.

Everything is read and changed through collection's API with the officer's own token (collection decides, audits
and words the rules); the console only turns its refusals into Japanese.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.backend import Backend, Refused, SignedOut
from services.console.session import gathered

COOKIE = "console_token"
#: Entries of the whole 経過記録 on one page, and on the 360.
TIMELINE_PAGE = 50
TIMELINE_ON_360 = 10
TIMELINE_CATEGORIES = {"action": "処分・手続", "notice": "通知", "payment": "入金", "contact": "接触・交渉"}
SOURCES = {"staff": "職員", "department": "所管課", "central": "債権管理課（文書）", "ledger": "所管課（収納）",
           "lawyer": "委託先"}
SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})
COLLECTOR_ROLES = frozenset({"collector", "supervisor", "admin"})
DONE = {"assigned": "担当者を設定しました。", "released": "担当を外しました。"}

CaseId = Annotated[int, Path(ge=1)]


def assignment_problem(refused: Refused) -> str:
    """Collection's refusal of an assignment, in the words of the rules (staff_assignment.py) an officer reads."""
    return {
        403: "この割当ての権限がありません。他の職員への割当て・担当替え・他の職員の担当を外すのは係長以上です"
             "（徴収担当は、担当者のいない事案を自分に割り当て、自分の担当を外せます）。",
        404: "該当する事案がありません。",
        409: "この事案は完結しているか、担当者がいません。",
        422: "この職員には割り当てられません（アカウントが無効か、徴収担当以上の権限がありません）。",
    }.get(refused.status, f"処理できませんでした（{refused.status}）。")


async def debtor_extras(backend: Backend, token: str, view: dict[str, Any]) -> dict[str, Any]:
    """What the 360 shows beside collection's debtor view: the case's 担当者 and the latest 経過記録 entries."""
    case = view.get("case") or {}
    assignee = None
    if case.get("case_id") and case.get("status") == "open":
        assignee = await backend.case_assignee(token, int(case["case_id"]))
    timeline = await backend.debtor_timeline(token, view["debtor_id"], {"limit": TIMELINE_ON_360})
    return {"assignee": assignee, "timeline": timeline, "sources": SOURCES}


def add_assign_pages(app: FastAPI, backend: Backend, *, render: Callable[..., HTMLResponse],
                     to_sign_in: Callable[[Request], Response], same_origin: Callable[[Request], bool],
                     case_list: Callable[..., Awaitable[Response]]) -> None:
    """The routes of these pages (one call in create_app)."""

    @app.get("/my-cases", response_class=HTMLResponse, response_model=None)
    async def my_cases(request: Request) -> Response:
        return await case_list(request, path="/my-cases", title="自分の事案", fixed={"assignee": "me"})

    async def assignee_view(request: Request, token: str, case_id: int, *, status: int = 200,
                            problem: str | None = None, note: str = "") -> Response:
        try:
            me, record, case = await gathered(backend.me(token), backend.case_assignee(token, case_id),
                                              backend.case(token, case_id))
            roles = set(me["roles"])
            staff = await backend.assignees(token) if roles & SUPERVISOR_ROLES else []
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return render("message.html", status=refused.status, me=None, title="表示できません",
                          message=assignment_problem(refused) if refused.status == 404 else
                          f"表示できませんでした（{refused.status}）。")
        current = (record.get("assignee") or {}).get("staff_id")
        return render("case_assignee.html", status=status, me=me, case=case, record=record, staff=staff,
                      supervisor=bool(roles & SUPERVISOR_ROLES), collector=bool(roles & COLLECTOR_ROLES),
                      mine=current == me["staff_id"], problem=problem, note=note,
                      done=DONE.get(request.query_params.get("done", "")))

    @app.get("/cases/{case_id}/assignee", response_class=HTMLResponse, response_model=None)
    async def assignee_page(request: Request, case_id: CaseId) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        return await assignee_view(request, token, case_id)

    @app.post("/cases/{case_id}/assignee", response_class=HTMLResponse, response_model=None)
    async def change_assignee(request: Request, case_id: CaseId, action: Annotated[str, Form(max_length=10)],
                              staff_id: Annotated[str, Form(max_length=64)] = "",
                              note: Annotated[str, Form(max_length=500)] = "") -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        if not same_origin(request):
            return await assignee_view(request, token, case_id, status=403, note=note,
                                       problem="この画面から操作してください。")
        if action not in ("assign", "release") or (action == "assign" and not staff_id):
            return await assignee_view(request, token, case_id, status=422, note=note,
                                       problem="担当者を選んでください。")
        try:
            if action == "assign":
                await backend.assign_case(token, case_id, staff_id, note)
            else:
                await backend.release_case(token, case_id, note)
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await assignee_view(request, token, case_id, status=refused.status, note=note,
                                       problem=assignment_problem(refused))
        done = "assigned" if action == "assign" else "released"
        return RedirectResponse(f"/cases/{case_id}/assignee?done={done}", status_code=303)

    @app.get("/debtors/{debtor_id}/timeline", response_class=HTMLResponse, response_model=None)
    async def timeline_page(request: Request, debtor_id: Annotated[str, Path(max_length=64)]) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        chosen = [c for c in request.query_params.getlist("category") if c in TIMELINE_CATEGORIES]
        try:
            offset = max(int(request.query_params.get("offset", "0")), 0)
        except ValueError:
            offset = 0
        params: dict[str, Any] = {"limit": TIMELINE_PAGE, "offset": offset}
        if chosen:
            params["category"] = chosen
        try:
            me, page, view = await gathered(backend.me(token), backend.debtor_timeline(token, debtor_id, params),
                                            backend.debtor(token, debtor_id))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return render("message.html", status=refused.status, me=None, title="表示できません",
                          message="該当するデータがありません。" if refused.status == 404 else
                          f"表示できませんでした（{refused.status}）。")
        kept = [("category", c) for c in chosen]
        total = int(page["total"])
        return render("timeline.html", me=me, debtor=view, page=page, chosen=chosen, categories=TIMELINE_CATEGORIES,
                      sources=SOURCES, first=offset + 1 if total else 0, last=min(offset + TIMELINE_PAGE, total),
                      previous=urlencode([*kept, ("offset", max(offset - TIMELINE_PAGE, 0))]) if offset else None,
                      following=urlencode([*kept, ("offset", offset + TIMELINE_PAGE)])
                      if offset + TIMELINE_PAGE < total else None)

    @app.get("/workload", response_class=HTMLResponse, response_model=None)
    async def workload_page(request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        try:
            me, rows = await gathered(backend.me(token), backend.workload_by_staff(token))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return render("message.html", status=refused.status, me=None, title="表示できません",
                          message=f"表示できませんでした（{refused.status}）。")
        return render("workload.html", me=me, rows=rows)
