"""The console's pages for what goes on paper (issue 24): a debtor's 「文書」 (preview, issue with the 送付先 confirmed,
re-issue, download), the 「送付先」 (every address the departments recorded, choose one with a reason or clear), the
「印刷待ち」 print queue (the day's documents into one wave, the 督促状 due as a wave, each wave's PDF) and the
「窓口収納」 window payment with its 領収証書.

Routes stay thin: collection decides, numbers, records and audits; the console parses the officer's form (amounts
in integer yen, named when refused) with the pure functions below and hands every PDF on from its own address.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.backend import Backend, Refused, SignedOut
from services.console.formatting import department as department_label

COOKIE = "console_token"
KINDS = {"demand_notice": "督促状", "reminder": "催告書"}
SEVERITIES = {"first": "催告書", "second": "再催告書", "final": "最終催告書"}
DOCUMENT_KINDS = {**KINDS, "asset_inquiry": "財産調査の照会書", "installment_pledge": "分納誓約書",
                  "payment_slip": "納付書", "debtor_summary": "納付相談用の概要", "receipt": "領収証書", "mixed": "文書"}
#: How many 督促状 a wave issues at most from the console (the API's own limit is 500).
WAVE_LIMIT = 200
_DIGITS = re.compile(r"^[0-9]+$")


class FormProblem(ValueError):
    """What the officer typed cannot be used: the message names the field in Japanese."""


def parse_yen(text: str, field: str, *, required: bool = True) -> int | None:
    """An amount typed as 12750, 12,750, ¥12,750, １２７５０ or 12,750円: integer yen above zero; FormProblem naming
    the field otherwise (a decimal point, a minus, letters). Blank: None unless required."""
    plain = unicodedata.normalize("NFKC", text).strip().replace(",", "").replace("¥", "").replace("円", "").strip()
    if not plain:
        if required:
            raise FormProblem(f"{field}：金額を入力してください")
        return None
    if not _DIGITS.match(plain):
        raise FormProblem(f"{field}：整数の円で入力してください（例：12750、¥12,750）。「{text.strip()[:20]}」は読み取れません")
    amount = int(plain)
    if amount <= 0:
        raise FormProblem(f"{field}：0円より大きい額を入力してください")
    return amount


def parse_count(text: str, field: str, most: int) -> int:
    """A number of documents from 1 to ``most`` (blank: ``most``); FormProblem naming the field otherwise."""
    plain = unicodedata.normalize("NFKC", text).strip().replace(",", "").removesuffix("件")
    if not plain:
        return most
    if not _DIGITS.match(plain) or not 1 <= int(plain) <= most:
        raise FormProblem(f"{field}：1から{most}までの整数で入力してください")
    return int(plain)


def designation(form: Mapping[str, str], departments: list[str], labels: Mapping[str, str]) -> dict[str, int]:
    """The yen the payer designated for each department (fields designated_<department>; blank ones left out)."""
    chosen: dict[str, int] = {}
    for department in departments:
        amount = parse_yen(form.get(f"designated_{department}", ""), f"{labels.get(department, department)}への指定額",
                           required=False)
        if amount is not None:
            chosen[department] = amount
    return chosen


def new_receipt_id(day: date) -> str:
    """The window's receipt number, made when the form is shown: a form sent twice is recorded once."""
    return f"W{day:%Y%m%d}-{secrets.token_hex(4).upper()}"


def address_token(mailing: Mapping[str, Any]) -> str:
    """What the officer confirmed: the chosen 送付先 as it was when the page was shown (a change in between is
    refused, so a document never goes to an address nobody looked at)."""
    chosen = mailing.get("chosen")
    return f"{chosen['source']}|{chosen['set_at']}" if chosen else ""


def document_request(debtor_id: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The API's document request from the 文書 form; FormProblem naming the field."""
    kind = form.get("kind", "")
    if kind == "demand_notice":
        department, _, claim_id = form.get("claim", "").partition(":")
        if not department or not claim_id:
            raise FormProblem("対象の債権：督促状を出す債権を選んでください")
        return {"kind": "demand_notice", "department": department, "claim_id": claim_id}
    if kind == "reminder":
        severity = form.get("severity", "first")
        if severity not in SEVERITIES:
            raise FormProblem("催告の段階：選択肢から選んでください")
        department = form.get("department") or None
        return {"kind": "reminder", "debtor_id": debtor_id, "severity": severity, "department": department}
    raise FormProblem("文書の種類：督促状か催告書を選んでください")


def add_document_pages(app: FastAPI, backend: Backend, render: Callable[..., HTMLResponse],
                       to_sign_in: Callable[[Request], RedirectResponse], same_origin: Callable[[Request], bool],
                       refusal: Callable[[Refused], str]) -> None:
    """The routes of the 文書, 送付先, 印刷待ち and 窓口収納 pages."""

    def pdf(content: bytes, name: str, disposition: str = "inline") -> Response:
        """A PDF from the console's own address: a preview shown in the browser, an issued document downloaded."""
        return Response(content, media_type="application/pdf", headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name, safe='')}.pdf",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff"})

    def refused_page(me: dict[str, Any] | None, refused: Refused, title: str = "表示できません") -> HTMLResponse:
        return render("message.html", status=refused.status, me=me, title=title, message=refusal(refused))

    def problem_of(refused: Refused) -> str:
        return {403: f"この操作の権限がありません（{refused.detail}）",
                409: f"今はできません：{refused.detail}",
                422: f"入力を確認してください：{refused.detail}"}.get(
            refused.status, f"処理できませんでした（{refused.status}：{refused.detail}）")

    # ------------------------------------------------------------------------------------------------ 文書

    async def documents_view(request: Request, token: str, debtor_id: str, *, status: int = 200,
                             problem: str | None = None, entered: Mapping[str, str] | None = None) -> Response:
        try:
            me = await backend.me(token)
            debtor, mailing, issued = await asyncio.gather(backend.debtor(token, debtor_id),
                                                           backend.mailing_address(token, debtor_id),
                                                           backend.documents(token, debtor_id))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return refused_page(None, refused)
        overdue = [c for c in debtor["claims"] if c["status"] == "delinquent"]
        return render("documents.html", status=status, me=me, debtor=debtor, mailing=mailing, issued=issued,
                      overdue=overdue, departments=sorted({c["department"] for c in overdue}), kinds=KINDS,
                      severities=SEVERITIES, document_kinds=DOCUMENT_KINDS, token=address_token(mailing),
                      problem=problem, entered=entered or {"kind": "demand_notice"},
                      done=request.query_params.get("issued"))

    @app.get("/debtors/{debtor_id}/documents", response_class=HTMLResponse, response_model=None)
    async def documents_page(request: Request, debtor_id: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        return await documents_view(request, token, debtor_id)

    async def document_form(request: Request) -> dict[str, str]:
        return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}

    @app.post("/debtors/{debtor_id}/documents/preview", response_model=None)
    async def preview_document(request: Request, debtor_id: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        form = await document_form(request)
        if not same_origin(request):
            return await documents_view(request, token, debtor_id, status=403, entered=form,
                                        problem="この画面から操作してください。")
        try:
            content = await backend.preview_document(token, document_request(debtor_id, form))
        except FormProblem as problem:
            return await documents_view(request, token, debtor_id, status=422, entered=form, problem=str(problem))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await documents_view(request, token, debtor_id, status=refused.status, entered=form,
                                        problem=problem_of(refused))
        return pdf(content, f"見本-{KINDS.get(form.get('kind', ''), '文書')}")

    @app.post("/debtors/{debtor_id}/documents", response_model=None)
    async def issue_document(request: Request, debtor_id: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        form = await document_form(request)
        if not same_origin(request):
            return await documents_view(request, token, debtor_id, status=403, entered=form,
                                        problem="この画面から操作してください。")
        try:
            wanted = document_request(debtor_id, form)
            mailing = await backend.mailing_address(token, debtor_id)
            if mailing["chosen"] is None:
                raise FormProblem("送付先が選ばれていません。先に「送付先」で選んでください。")
            if form.get("confirmed") != "yes" or form.get("address_token") != address_token(mailing):
                raise FormProblem("送付先の確認：表示されている送付先を確認し、チェックを入れてから発行してください"
                                  "（確認の後に送付先が変わった場合も、もう一度確認が必要です）。")
            issued = await backend.issue_document(token, wanted)
        except FormProblem as problem:
            return await documents_view(request, token, debtor_id, status=422, entered=form, problem=str(problem))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await documents_view(request, token, debtor_id, status=refused.status, entered=form,
                                        problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/documents?issued="
                                f"{quote(issued['document_number'], safe='')}", status_code=303)

    @app.post("/debtors/{debtor_id}/documents/{number}/reissue", response_model=None)
    async def reissue_document(request: Request, debtor_id: str, number: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        if not same_origin(request):
            return await documents_view(request, token, debtor_id, status=403, problem="この画面から操作してください。")
        try:
            issued = await backend.reissue_document(token, number)
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await documents_view(request, token, debtor_id, status=refused.status, problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/documents?issued="
                                f"{quote(issued['document_number'], safe='')}", status_code=303)

    @app.get("/documents/{number}.pdf", response_model=None)
    async def download_document(request: Request, number: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        try:
            return pdf(await backend.document_pdf(token, number), number, "attachment")
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return refused_page(None, refused)

    # ------------------------------------------------------------------------------------------------ 送付先

    async def mailing_view(request: Request, token: str, debtor_id: str, *, status: int = 200,
                           problem: str | None = None, entered: Mapping[str, str] | None = None) -> Response:
        try:
            me = await backend.me(token)
            debtor, mailing = await asyncio.gather(backend.debtor(token, debtor_id),
                                                   backend.mailing_address(token, debtor_id))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return refused_page(None, refused)
        return render("mailing.html", status=status, me=me, debtor=debtor, mailing=mailing, problem=problem,
                      entered=entered or {}, done=request.query_params.get("done"))

    @app.get("/debtors/{debtor_id}/mailing", response_class=HTMLResponse, response_model=None)
    async def mailing_page(request: Request, debtor_id: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        return await mailing_view(request, token, debtor_id)

    @app.post("/debtors/{debtor_id}/mailing", response_model=None)
    async def choose_mailing(request: Request, debtor_id: str,
                             source: Annotated[str, Form(max_length=40)] = "",
                             name: Annotated[str, Form(max_length=100)] = "",
                             postal_code: Annotated[str, Form(max_length=10)] = "",
                             address: Annotated[str, Form(max_length=300)] = "",
                             reason: Annotated[str, Form(max_length=500)] = "") -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        entered = {"source": source, "name": name, "postal_code": postal_code, "address": address, "reason": reason}
        if not same_origin(request):
            return await mailing_view(request, token, debtor_id, status=403, entered=entered,
                                      problem="この画面から操作してください。")
        try:
            choice = mailing_choice(entered)
            await backend.choose_mailing_address(token, debtor_id, choice)
        except FormProblem as problem:
            return await mailing_view(request, token, debtor_id, status=422, entered=entered, problem=str(problem))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await mailing_view(request, token, debtor_id, status=refused.status, entered=entered,
                                      problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/mailing?done=chosen", status_code=303)

    @app.post("/debtors/{debtor_id}/mailing/clear", response_model=None)
    async def clear_mailing(request: Request, debtor_id: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        if not same_origin(request):
            return await mailing_view(request, token, debtor_id, status=403, problem="この画面から操作してください。")
        try:
            await backend.clear_mailing_address(token, debtor_id)
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await mailing_view(request, token, debtor_id, status=refused.status, problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/mailing?done=cleared", status_code=303)

    # ------------------------------------------------------------------------------------------------ 印刷待ち

    async def queue_view(request: Request, token: str, *, status: int = 200, problem: str | None = None) -> Response:
        try:
            me = await backend.me(token)
            queue = await backend.print_queue(token)
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return refused_page(None, refused)
        return render("print_queue.html", status=status, me=me, queue=queue, problem=problem,
                      document_kinds=DOCUMENT_KINDS, done=request.query_params.get("wave"), limit=WAVE_LIMIT)

    @app.get("/print-queue", response_class=HTMLResponse, response_model=None)
    async def print_queue_page(request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        return await queue_view(request, token)

    @app.post("/print-queue/waves", response_model=None)
    async def make_wave(request: Request, selection: Annotated[str, Form(max_length=40)] = "day",
                        limit: Annotated[str, Form(max_length=10)] = "") -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        if not same_origin(request):
            return await queue_view(request, token, status=403, problem="この画面から操作してください。")
        try:
            if selection == "demand_notices_due":
                wave = await backend.demand_notice_wave(token, parse_count(limit, "件数", WAVE_LIMIT))
            else:
                wave = await backend.wave_of_the_day(token)
        except FormProblem as problem:
            return await queue_view(request, token, status=422, problem=str(problem))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await queue_view(request, token, status=refused.status, problem=problem_of(refused))
        return RedirectResponse(f"/print-queue?wave={wave['batch_id']}", status_code=303)

    @app.get("/print-queue/waves/{batch_id}.pdf", response_model=None)
    async def wave_pdf(request: Request, batch_id: int) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        try:
            return pdf(await backend.wave_pdf(token, batch_id), f"印刷-{batch_id}")
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return refused_page(None, refused)

    # ------------------------------------------------------------------------------------------------ 窓口収納

    async def window_view(request: Request, token: str, debtor_id: str, *, status: int = 200,
                          problem: str | None = None, entered: Mapping[str, str] | None = None) -> Response:
        try:
            me = await backend.me(token)
            debtor, payments = await asyncio.gather(backend.debtor(token, debtor_id),
                                                    backend.window_payments(token, debtor_id))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return refused_page(None, refused)
        owed = sorted({c["department"] for c in debtor["claims"] if c["balance"] > 0})
        fresh = {"receipt_id": new_receipt_id(date.fromisoformat(me["business_date"]))}
        return render("window_payment.html", status=status, me=me, debtor=debtor, payments=payments,
                      departments=owed, problem=problem, entered={**fresh, **(entered or {})},
                      done=request.query_params.get("received"))

    @app.get("/debtors/{debtor_id}/window-payment", response_class=HTMLResponse, response_model=None)
    async def window_page(request: Request, debtor_id: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        return await window_view(request, token, debtor_id)

    @app.post("/debtors/{debtor_id}/window-payment", response_model=None)
    async def take_window_payment(request: Request, debtor_id: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        form = await document_form(request)
        if not same_origin(request):
            return await window_view(request, token, debtor_id, status=403, entered=form,
                                     problem="この画面から操作してください。")
        try:
            me = await backend.me(token)
            amount = parse_yen(form.get("amount", ""), "領収金額")
            departments = [k.removeprefix("designated_") for k in form if k.startswith("designated_")]
            designated = designation(form, departments, {d: department_label(d) for d in departments}) \
                if form.get("order") == "designated" else {}
            if form.get("order") == "designated" and not designated:
                raise FormProblem("所管の指定：指定する場合は、少なくとも一つの所管に金額を入力してください")
            note = form.get("note", "").strip() or "窓口収納"
            payment = {"receipt_id": form.get("receipt_id", ""), "amount": amount, "paid_on": me["business_date"],
                       "note": note, **({"designated": designated} if designated else {})}
            await backend.receive_window_payment(token, debtor_id, payment)
            await backend.issue_receipt(token, payment["receipt_id"])
        except FormProblem as problem:
            return await window_view(request, token, debtor_id, status=422, entered=form, problem=str(problem))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await window_view(request, token, debtor_id, status=refused.status, entered=form,
                                     problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/window-payment?received="
                                f"{quote(str(payment['receipt_id']), safe='')}", status_code=303)

    @app.post("/debtors/{debtor_id}/window-payment/{receipt_id}/receipt", response_model=None)
    async def reissue_receipt(request: Request, debtor_id: str, receipt_id: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return to_sign_in(request)
        if not same_origin(request):
            return await window_view(request, token, debtor_id, status=403, problem="この画面から操作してください。")
        try:
            await backend.issue_receipt(token, receipt_id)
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await window_view(request, token, debtor_id, status=refused.status, problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/window-payment?received="
                                f"{quote(receipt_id, safe='')}", status_code=303)


def mailing_choice(entered: Mapping[str, str]) -> dict[str, Any]:
    """The API's 送付先 choice from the form: a department's record (source=department code) or the address typed
    (source=staff); FormProblem naming the field."""
    reason = entered.get("reason", "").strip()
    if not reason:
        raise FormProblem("理由：送付先を選ぶ理由を入力してください（例：本人から居所の申出）")
    source = entered.get("source", "")
    if not source:
        raise FormProblem("送付先：一覧から選ぶか、「別の住所を入力」を選んでください")
    if source != "staff":
        return {"from_department": source, "reason": reason}
    missing = [label for key, label in (("name", "宛名"), ("postal_code", "郵便番号"), ("address", "住所"))
               if not entered.get(key, "").strip()]
    if missing:
        raise FormProblem(f"{'・'.join(missing)}：別の住所を入力する場合は、宛名・郵便番号・住所をすべて入力してください")
    postal = unicodedata.normalize("NFKC", entered["postal_code"]).strip().removeprefix("〒").strip()
    if not re.fullmatch(r"\d{3}-?\d{4}", postal):
        raise FormProblem("郵便番号：7桁で入力してください（例：471-8501）")
    return {"name": entered["name"].strip(), "postal_code": postal, "address": entered["address"].strip(),
            "reason": reason}
