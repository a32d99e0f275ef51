"""The console's 分納計画 page (central installment plans) of a debtor's 滞納者カルテ: choose the overdue claims, enter
the number of instalments or the amount of each and the first due date (和暦 or 西暦), preview the schedule,
confirm, then download the 分納誓約書 collection issued. The plans agreed are listed with their instalments and how
each department's share stands, and may be cancelled. Every figure comes from collection's API
(/debtors/{id}/installment-plans): the console computes nothing and keeps nothing."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.backend import Backend, Refused, SignedOut
from services.console.session import gathered
from shared.japanese_dates import DateFormatError, parse_japanese_date

#: The API's field names in the reasons it gives, as the form labels them.
FIELD_LABELS = {"claims": "対象債権", "count": "分納回数", "amount": "1回の納付額", "first_due": "初回納期限",
                "day_of_month": "毎月の納期日"}
COMPONENT_LABELS = {"disposition_cost": "滞納処分費", "demand_fee": "督促手数料", "principal": "本税・本料",
                    "late_charge": "延滞金"}
PLAN_STATES = {"on_track": "履行中", "missed": "不履行あり", "completed": "完了"}


def plannable(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The debtor's claims a plan may cover: delinquent with something open, oldest due date first."""
    return sorted((c for c in claims if c["status"] == "delinquent" and c["balance"] + c["late_charge"] + c["fees"] > 0),
                  key=lambda c: (c["due_date"], c["department"], c["claim_id"]))


def whole_yen(text: str, label: str) -> int | None:
    """A number typed in the form (全角 digits, 12,000, 12000円 accepted); None when left empty."""
    folded = unicodedata.normalize("NFKC", text).replace(",", "").replace("円", "").replace("回", "").strip()
    if not folded:
        return None
    if not folded.isdecimal():
        raise ValueError(f"{label}を数字で入力してください（入力：{text}）")
    return int(folded)


def reasons_in_japanese(detail: str) -> list[str]:
    """The API's reasons (``field: why; field: why``), each led by the form's label of its field."""
    out = []
    for reason in detail.split("; "):
        field = reason.split(":", 1)[0]
        names = [FIELD_LABELS.get(f.strip()) for f in field.split(",")]
        out.append(f"{'・'.join(n for n in names if n)}：{reason}" if all(names) else reason)
    return out


def add_plan_pages(app: FastAPI, *, backend: Backend, render: Callable[..., HTMLResponse],
                   to_sign_in: Callable[[Request], RedirectResponse],
                   same_origin: Callable[[Request], bool], cookie: str) -> None:
    """The 分納計画 routes (one line in create_app adds them)."""

    async def plans_view(request: Request, token: str, debtor_id: str, *, status: int = 200,
                         entered: dict[str, Any] | None = None, problems: list[str] | None = None,
                         preview: dict[str, Any] | None = None, terms: dict[str, Any] | None = None) -> Response:
        try:
            me, view, plans = await gathered(backend.me(token), backend.debtor(token, debtor_id),
                                             backend.debtor_plans(token, debtor_id))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return render("message.html", status=refused.status, me=None, title="表示できません",
                          message={403: "この情報を見る権限がありません。", 404: "該当するデータがありません。"}.get(
                              refused.status, f"処理できませんでした（{refused.status}）。"))
        entered = entered or {"claims": [], "count": "", "amount": "", "first_due": "", "day_of_month": ""}
        created = request.query_params.get("created")
        cancelled = request.query_params.get("cancelled")
        in_plan = {key: p["plan_id"] for p in plans if p["status"] == "active"
                   for key in (f"{c['department']}:{c['claim_id']}" for c in p["claims"])}
        return render("plans.html", status=status, me=me, debtor=view, claims=plannable(view["claims"]), in_plan=in_plan,
                      plans=plans, entered=entered, problems=problems or [], preview=preview, terms=terms,
                      created=created, cancelled=cancelled, components=COMPONENT_LABELS, states=PLAN_STATES)

    def terms_of(claims: list[str], count: str, amount: str, first_due: str, day_of_month: str
                 ) -> tuple[dict[str, Any] | None, list[str]]:
        problems, terms = [], {"claims": claims}
        if not claims:
            problems.append("対象債権：分納にする債権を1件以上選んでください")
        for name, text, label in (("count", count, "分納回数"), ("amount", amount, "1回の納付額"),
                                  ("day_of_month", day_of_month, "毎月の納期日")):
            try:
                terms[name] = whole_yen(text, label)
            except ValueError as bad:
                problems.append(f"{label}：{bad}")
        try:
            terms["first_due"] = parse_japanese_date(first_due).isoformat()
        except DateFormatError as exc:
            problems.append(f"初回納期限：読み取れません（{exc}。例：令和7年2月28日、R7.2.28、2025-02-28）")
        return (None if problems else terms), problems

    @app.get("/debtors/{debtor_id}/plans", response_class=HTMLResponse, response_model=None)
    async def plans_page(request: Request, debtor_id: str) -> Response:
        token = request.cookies.get(cookie)
        if not token:
            return to_sign_in(request)
        return await plans_view(request, token, debtor_id)

    @app.post("/debtors/{debtor_id}/plans/preview", response_class=HTMLResponse, response_model=None)
    async def preview_plan(request: Request, debtor_id: str,
                           first_due: Annotated[str, Form(max_length=40)],
                           claims: Annotated[list[str] | None, Form()] = None,
                           count: Annotated[str, Form(max_length=20)] = "",
                           amount: Annotated[str, Form(max_length=20)] = "",
                           day_of_month: Annotated[str, Form(max_length=10)] = "") -> Response:
        return await _submit(request, debtor_id, claims or [], count, amount, first_due, day_of_month, confirm=False)

    @app.post("/debtors/{debtor_id}/plans", response_class=HTMLResponse, response_model=None)
    async def create_plan(request: Request, debtor_id: str,
                          first_due: Annotated[str, Form(max_length=40)],
                          claims: Annotated[list[str] | None, Form()] = None,
                          count: Annotated[str, Form(max_length=20)] = "",
                          amount: Annotated[str, Form(max_length=20)] = "",
                          day_of_month: Annotated[str, Form(max_length=10)] = "") -> Response:
        return await _submit(request, debtor_id, claims or [], count, amount, first_due, day_of_month, confirm=True)

    async def _submit(request: Request, debtor_id: str, claims: list[str], count: str, amount: str, first_due: str,
                      day_of_month: str, *, confirm: bool) -> Response:
        token = request.cookies.get(cookie)
        if not token:
            return to_sign_in(request)
        entered = {"claims": claims, "count": count, "amount": amount, "first_due": first_due,
                   "day_of_month": day_of_month}
        if not same_origin(request):
            return await plans_view(request, token, debtor_id, status=403, entered=entered,
                                    problems=["この画面から操作してください。"])
        terms, problems = terms_of(claims, count, amount, first_due, day_of_month)
        if terms is None:
            return await plans_view(request, token, debtor_id, status=422, entered=entered, problems=problems)
        try:
            if not confirm:
                preview = await backend.preview_plan(token, debtor_id, terms)
                return await plans_view(request, token, debtor_id, entered=entered, preview=preview, terms=terms)
            plan = await backend.create_plan(token, debtor_id, terms)
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            reasons = {403: ["分納計画を作る権限がありません（収納担当以上）。"],
                       409: [f"計画を作れません：{r}" for r in reasons_in_japanese(refused.detail)]}.get(
                refused.status, reasons_in_japanese(refused.detail))
            return await plans_view(request, token, debtor_id, status=refused.status, entered=entered,
                                    problems=reasons)
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/plans?created={plan['plan_id']}",
                                status_code=303)

    @app.post("/debtors/{debtor_id}/plans/{plan_id}/cancel", response_class=HTMLResponse, response_model=None)
    async def cancel_plan(request: Request, debtor_id: str, plan_id: int,
                          reason: Annotated[str, Form(max_length=500)] = "") -> Response:
        token = request.cookies.get(cookie)
        if not token:
            return to_sign_in(request)
        if not same_origin(request):
            return await plans_view(request, token, debtor_id, status=403, problems=["この画面から操作してください。"])
        if not reason.strip():
            return await plans_view(request, token, debtor_id, status=422,
                                    problems=[f"取消の理由：計画 {plan_id} を取り消す理由を入力してください"])
        try:
            await backend.cancel_plan(token, plan_id, reason.strip())
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await plans_view(request, token, debtor_id, status=refused.status,
                                    problems=[f"取り消せません（{refused.status}：{refused.detail}）"])
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/plans?cancelled={plan_id}", status_code=303)
