"""The console's pages for what goes on paper (issue 24): a debtor's 「文書」 (preview, issue with the 送付先 confirmed,
re-issue, download), the 「送付先」 (every address the departments recorded, choose one with a reason or clear), the
「印刷待ち」 print queue (the day's documents into one wave, the 督促状 due as a wave, each wave's PDF) and the
「窓口収納」 window payment with its 領収証書.

Routes stay thin: collection decides, numbers, records and audits; the console parses the officer's form (amounts
in integer yen, named when refused) with the pure functions below and hands every PDF on from its own address.
"""

from __future__ import annotations

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
from services.console.formatting import fiscal_year as fiscal_year_label
from services.console.formatting import receivable as receivable_label
from services.console.session import gathered

COOKIE = "console_token"
KINDS = {"demand_notice": "督促状", "reminder": "催告書"}  # re-issued from the list of issued documents
#: What the 文書 page issues (collection's document API; the 分納誓約書 comes with a plan, the 領収証書 at the window).
ISSUABLE = {**KINDS, "payment_slip": "納付書", "debtor_summary": "納付相談用の概要", "asset_inquiry": "財産調査の照会書"}
#: Mailed to the debtor: issued only to the 送付先 the officer confirmed (collection refuses the others too).
MAILED = frozenset({"demand_notice", "reminder", "payment_slip"})
INQUIRIES = {"bank": "金融機関（預貯金）", "employer": "勤務先（給与）"}
_POSTAL = re.compile(r"^[0-9]{3}-?[0-9]{4}$")
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


def open_claims(claims: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The debtor's claims a window payment may name: something still owed, oldest due date first."""
    return sorted((c for c in claims if c["status"] in ("open", "delinquent") and c["balance"] + c.get("fees", 0) > 0),
                  key=lambda c: (c["due_date"], c["department"], c["claim_id"]))


def claim_designation(form: Mapping[str, str], claims: list[Mapping[str, Any]],
                      label: Callable[[Mapping[str, Any]], str]) -> list[dict[str, Any]]:
    """The claims the payer named with the yen for each (fields claim_<department>:<claim id>; blank ones left out),
    in the order listed; FormProblem naming the claim."""
    named = []
    for claim in claims:
        key = f"{claim['department']}:{claim['claim_id']}"
        amount = parse_yen(form.get(f"claim_{key}", ""), f"{label(claim)}への指定額", required=False)
        if amount is not None:
            named.append({"department": claim["department"], "claim_id": claim["claim_id"], "amount": amount})
    return named


def claim_words(claim: Mapping[str, Any]) -> str:
    """A claim as the officer reads it on the form and in refusals: 市税 固定資産税 令和6年度 第3期."""
    period = "全期" if claim.get("installment") == 0 else f"第{claim.get('installment')}期"
    return (f"{department_label(claim['department'])} {receivable_label(claim['receivable_type'])} "
            f"{fiscal_year_label(claim['fiscal_year'])} {period}")


_OVER_BALANCE = re.compile(r"^claims\[\d+\] \(([^)]+)\): ([\d,]+) yen designated is more than the claim's open "
                           r"balance of ([\d,]+) yen$")
_NOT_OPEN = re.compile(r"^claims\[\d+\] \(([^)]+)\): not an open claim")


def designation_refusal(detail: str, labels: Mapping[str, str]) -> str | None:
    """collection's refusal of a claim designation in the officer's words, naming the claim as the form does
    (``labels``: department:claim_id → its words); None when the refusal is another one."""
    over = _OVER_BALANCE.match(detail)
    if over:
        key, named, owed = over.groups()
        return f"{labels.get(key, key)}への指定額：{named}円は、この債権の未納額{owed}円を超えています"
    gone = _NOT_OPEN.match(detail)
    if gone:
        key = gone.group(1)
        return f"{labels.get(key, key)}への指定額：この債権にはもう未納額がありません（画面を開き直してください）"
    return None


def new_receipt_id(day: date) -> str:
    """The window's receipt number, made when the form is shown: a form sent twice is recorded once."""
    return f"W{day:%Y%m%d}-{secrets.token_hex(4).upper()}"


def address_token(mailing: Mapping[str, Any]) -> str:
    """What the officer confirmed: the chosen 送付先 as it was when the page was shown (a change in between is
    refused, so a document never goes to an address nobody looked at)."""
    chosen = mailing.get("chosen")
    return f"{chosen['source']}|{chosen['set_at']}" if chosen else ""


def document_request(debtor_id: str, form: Mapping[str, str], slip_claims: list[str] | None = None
                     ) -> dict[str, Any]:
    """The API's document request from the 文書 form (``slip_claims``: the claims ticked for a 納付書, none: every
    overdue claim); FormProblem naming the field."""
    kind = form.get("kind", "")
    if kind == "payment_slip":
        if any(":" not in key for key in slip_claims or []):
            raise FormProblem("納付書に載せる債権：一覧から選んでください")
        return {"kind": "payment_slip", "debtor_id": debtor_id, "claims": list(slip_claims) if slip_claims else None}
    if kind == "debtor_summary":
        return {"kind": "debtor_summary", "debtor_id": debtor_id}
    if kind == "asset_inquiry":
        return {"kind": "asset_inquiry", "debtor_id": debtor_id, **inquiry_of(form)}
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
    raise FormProblem("文書の種類：選択肢から選んでください")


def inquiry_of(form: Mapping[str, str]) -> dict[str, Any]:
    """財産調査の照会書: to whom (a bank or an employer) and where it goes; FormProblem naming each field."""
    inquiry = form.get("inquiry", "bank")
    if inquiry not in INQUIRIES:
        raise FormProblem("照会の種類：金融機関か勤務先を選んでください")
    name = unicodedata.normalize("NFKC", form.get("institution_name", "")).strip()
    postal = unicodedata.normalize("NFKC", form.get("institution_postal_code", "")).strip().removeprefix("〒")
    postal = postal.strip().replace("ー", "-")
    address = form.get("institution_address", "").strip()
    if not name:
        raise FormProblem("照会先の名称：金融機関の支店名または勤務先の名称を入力してください")
    if not _POSTAL.match(postal):
        raise FormProblem(f"照会先の郵便番号：7桁で入力してください（例：471-0025）。「{postal[:10]}」は読み取れません")
    if not address:
        raise FormProblem("照会先の所在地：住所を入力してください")
    return {"inquiry": inquiry, "institution": {"name": name[:100], "postal_code": postal, "address": address[:200]}}


def signed_in(request: Request) -> str:
    """The staff token of the request's cookie. SignedOut without one, as from an API that no longer accepts it:
    the app's handler sends the officer to sign in with the page they asked for (create_app)."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignedOut("no session cookie")
    return token


def add_document_pages(app: FastAPI, backend: Backend, render: Callable[..., HTMLResponse],
                       same_origin: Callable[[Request], bool], refusal: Callable[[Refused], str]) -> None:
    """The routes of the 文書, 送付先, 印刷待ち and 窓口収納 pages. A session that ended (``SignedOut``, from the
    cookie or an API) is the app's to handle: sign in again."""

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
                409: f"今はできません：{refused.detail_ja or refused.detail}",
                422: f"入力を確認してください：{refused.detail}"}.get(
            refused.status, f"処理できませんでした（{refused.status}：{refused.detail}）")

    # ------------------------------------------------------------------------------------------------ 文書

    async def documents_view(request: Request, token: str, debtor_id: str, *, status: int = 200,
                             problem: str | None = None, entered: Mapping[str, str] | None = None,
                             slip_claims: list[str] | None = None) -> Response:
        try:
            me, debtor, mailing, issued = await gathered(backend.me(token), backend.debtor(token, debtor_id),
                                                         backend.mailing_address(token, debtor_id),
                                                         backend.documents(token, debtor_id))
        except Refused as refused:
            return refused_page(None, refused)
        overdue = [c for c in debtor["claims"] if c["status"] == "delinquent"]
        return render("documents.html", status=status, me=me, debtor=debtor, mailing=mailing, issued=issued,
                      overdue=overdue, departments=sorted({c["department"] for c in overdue}), kinds=KINDS,
                      issuable=ISSUABLE, mailed=MAILED, inquiries=INQUIRIES,
                      ticked=set(slip_claims or ()),
                      severities=SEVERITIES, document_kinds=DOCUMENT_KINDS, token=address_token(mailing),
                      problem=problem, entered=entered or {"kind": "demand_notice"},
                      done=request.query_params.get("issued"))

    @app.get("/debtors/{debtor_id}/documents", response_class=HTMLResponse, response_model=None)
    async def documents_page(request: Request, debtor_id: str) -> Response:
        token = signed_in(request)
        return await documents_view(request, token, debtor_id)

    async def document_form(request: Request) -> tuple[dict[str, str], list[str]]:
        """The form's single fields, and the claims ticked for a 納付書 (a field given once per claim)."""
        form = await request.form()
        return ({k: v for k, v in form.items() if isinstance(v, str)},
                [v for v in form.getlist("slip_claim") if isinstance(v, str)])

    @app.post("/debtors/{debtor_id}/documents/preview", response_model=None)
    async def preview_document(request: Request, debtor_id: str) -> Response:
        token = signed_in(request)
        form, ticked = await document_form(request)
        if not same_origin(request):
            return await documents_view(request, token, debtor_id, status=403, entered=form, slip_claims=ticked,
                                        problem="この画面から操作してください。")
        try:
            content = await backend.preview_document(token, document_request(debtor_id, form, ticked))
        except FormProblem as problem:
            return await documents_view(request, token, debtor_id, status=422, entered=form, slip_claims=ticked,
                                        problem=str(problem))
        except Refused as refused:
            return await documents_view(request, token, debtor_id, status=refused.status, entered=form,
                                        slip_claims=ticked, problem=problem_of(refused))
        return pdf(content, f"見本-{ISSUABLE.get(form.get('kind', ''), '文書')}")

    @app.post("/debtors/{debtor_id}/documents", response_model=None)
    async def issue_document(request: Request, debtor_id: str) -> Response:
        token = signed_in(request)
        form, ticked = await document_form(request)
        if not same_origin(request):
            return await documents_view(request, token, debtor_id, status=403, entered=form, slip_claims=ticked,
                                        problem="この画面から操作してください。")
        try:
            wanted = document_request(debtor_id, form, ticked)
            if wanted["kind"] in MAILED:
                mailing = await backend.mailing_address(token, debtor_id)
                if mailing["chosen"] is None:
                    raise FormProblem("送付先が選ばれていません。先に「送付先」で選んでください。")
                if form.get("confirmed") != "yes" or form.get("address_token") != address_token(mailing):
                    raise FormProblem("送付先の確認：表示されている送付先を確認し、チェックを入れてから発行してください"
                                      "（確認の後に送付先が変わった場合も、もう一度確認が必要です）。")
                # collection refuses a notice whose 送付先 changed after this one was confirmed (the 送付先 rule)
                wanted["mailing_address_set_at"] = mailing["chosen"]["set_at"]
            issued = await backend.issue_document(token, wanted)
        except FormProblem as problem:
            return await documents_view(request, token, debtor_id, status=422, entered=form, slip_claims=ticked,
                                        problem=str(problem))
        except Refused as refused:
            return await documents_view(request, token, debtor_id, status=refused.status, entered=form,
                                        slip_claims=ticked, problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/documents?issued="
                                f"{quote(issued['document_number'], safe='')}", status_code=303)

    @app.post("/debtors/{debtor_id}/documents/{number}/reissue", response_model=None)
    async def reissue_document(request: Request, debtor_id: str, number: str) -> Response:
        token = signed_in(request)
        if not same_origin(request):
            return await documents_view(request, token, debtor_id, status=403, problem="この画面から操作してください。")
        try:
            issued = await backend.reissue_document(token, number)
        except Refused as refused:
            return await documents_view(request, token, debtor_id, status=refused.status, problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/documents?issued="
                                f"{quote(issued['document_number'], safe='')}", status_code=303)

    @app.get("/documents/{number}.pdf", response_model=None)
    async def download_document(request: Request, number: str) -> Response:
        token = signed_in(request)
        try:
            return pdf(await backend.document_pdf(token, number), number, "attachment")
        except Refused as refused:
            return refused_page(None, refused)

    # ------------------------------------------------------------------------------------------------ 送付先

    async def mailing_view(request: Request, token: str, debtor_id: str, *, status: int = 200,
                           problem: str | None = None, entered: Mapping[str, str] | None = None) -> Response:
        try:
            me, debtor, mailing = await gathered(backend.me(token), backend.debtor(token, debtor_id),
                                                 backend.mailing_address(token, debtor_id))
        except Refused as refused:
            return refused_page(None, refused)
        return render("mailing.html", status=status, me=me, debtor=debtor, mailing=mailing, problem=problem,
                      entered=entered or {}, done=request.query_params.get("done"))

    @app.get("/debtors/{debtor_id}/mailing", response_class=HTMLResponse, response_model=None)
    async def mailing_page(request: Request, debtor_id: str) -> Response:
        token = signed_in(request)
        return await mailing_view(request, token, debtor_id)

    @app.post("/debtors/{debtor_id}/mailing", response_model=None)
    async def choose_mailing(request: Request, debtor_id: str,
                             source: Annotated[str, Form(max_length=40)] = "",
                             name: Annotated[str, Form(max_length=100)] = "",
                             postal_code: Annotated[str, Form(max_length=10)] = "",
                             address: Annotated[str, Form(max_length=300)] = "",
                             reason: Annotated[str, Form(max_length=500)] = "") -> Response:
        token = signed_in(request)
        entered = {"source": source, "name": name, "postal_code": postal_code, "address": address, "reason": reason}
        if not same_origin(request):
            return await mailing_view(request, token, debtor_id, status=403, entered=entered,
                                      problem="この画面から操作してください。")
        try:
            choice = mailing_choice(entered)
            await backend.choose_mailing_address(token, debtor_id, choice)
        except FormProblem as problem:
            return await mailing_view(request, token, debtor_id, status=422, entered=entered, problem=str(problem))
        except Refused as refused:
            return await mailing_view(request, token, debtor_id, status=refused.status, entered=entered,
                                      problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/mailing?done=chosen", status_code=303)

    @app.post("/debtors/{debtor_id}/mailing/clear", response_model=None)
    async def clear_mailing(request: Request, debtor_id: str) -> Response:
        token = signed_in(request)
        if not same_origin(request):
            return await mailing_view(request, token, debtor_id, status=403, problem="この画面から操作してください。")
        try:
            await backend.clear_mailing_address(token, debtor_id)
        except Refused as refused:
            return await mailing_view(request, token, debtor_id, status=refused.status, problem=problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/mailing?done=cleared", status_code=303)

    # ------------------------------------------------------------------------------------------------ 印刷待ち

    async def queue_view(request: Request, token: str, *, status: int = 200, problem: str | None = None) -> Response:
        try:
            me, queue = await gathered(backend.me(token), backend.print_queue(token))
        except Refused as refused:
            return refused_page(None, refused)
        return render("print_queue.html", status=status, me=me, queue=queue, problem=problem,
                      document_kinds=DOCUMENT_KINDS, done=request.query_params.get("wave"), limit=WAVE_LIMIT,
                      awaiting=request.query_params.get("awaiting", "").isdigit()
                      and int(request.query_params["awaiting"]))

    @app.get("/print-queue", response_class=HTMLResponse, response_model=None)
    async def print_queue_page(request: Request) -> Response:
        token = signed_in(request)
        return await queue_view(request, token)

    @app.post("/print-queue/waves", response_model=None)
    async def make_wave(request: Request, selection: Annotated[str, Form(max_length=40)] = "day",
                        limit: Annotated[str, Form(max_length=10)] = "") -> Response:
        token = signed_in(request)
        if not same_origin(request):
            return await queue_view(request, token, status=403, problem="この画面から操作してください。")
        try:
            if selection == "demand_notices_due":
                wave = await backend.demand_notice_wave(token, parse_count(limit, "件数", WAVE_LIMIT))
            else:
                wave = await backend.wave_of_the_day(token)
        except FormProblem as problem:
            return await queue_view(request, token, status=422, problem=str(problem))
        except Refused as refused:
            return await queue_view(request, token, status=refused.status, problem=problem_of(refused))
        awaiting = int(wave.get("awaiting_mailing_address") or 0)  # 督促 due whose 送付先 nobody confirmed yet
        return RedirectResponse(f"/print-queue?wave={wave['batch_id']}" + (f"&awaiting={awaiting}" if awaiting else ""),
                                status_code=303)

    @app.get("/print-queue/waves/{batch_id}.pdf", response_model=None)
    async def wave_pdf(request: Request, batch_id: int) -> Response:
        token = signed_in(request)
        try:
            return pdf(await backend.wave_pdf(token, batch_id), f"印刷-{batch_id}")
        except Refused as refused:
            return refused_page(None, refused)

    # ------------------------------------------------------------------------------------------------ 窓口収納

    async def window_view(request: Request, token: str, debtor_id: str, *, status: int = 200,
                          problem: str | None = None, entered: Mapping[str, str] | None = None) -> Response:
        try:
            me, debtor, payments = await gathered(backend.me(token), backend.debtor(token, debtor_id),
                                                  backend.window_payments(token, debtor_id))
        except Refused as refused:
            return refused_page(None, refused)
        owed = sorted({c["department"] for c in debtor["claims"] if c["balance"] > 0})
        fresh = {"receipt_id": new_receipt_id(date.fromisoformat(me["business_date"]))}
        return render("window_payment.html", status=status, me=me, debtor=debtor, payments=payments,
                      departments=owed, claims=open_claims(debtor["claims"]), problem=problem,
                      entered={**fresh, **(entered or {})},
                      done=request.query_params.get("received"))

    @app.get("/debtors/{debtor_id}/window-payment", response_class=HTMLResponse, response_model=None)
    async def window_page(request: Request, debtor_id: str) -> Response:
        token = signed_in(request)
        return await window_view(request, token, debtor_id)

    @app.post("/debtors/{debtor_id}/window-payment", response_model=None)
    async def take_window_payment(request: Request, debtor_id: str) -> Response:
        token = signed_in(request)
        form, _ = await document_form(request)
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
            named, labels = [], {}
            if form.get("order") == "claims":  # the claims the payer names (collection refuses one over its balance)
                claims = open_claims((await backend.debtor(token, debtor_id))["claims"])
                labels = {f"{c['department']}:{c['claim_id']}": claim_words(c) for c in claims}
                named = claim_designation(form, claims, claim_words)
                if not named:
                    raise FormProblem("債権の指定：指定する場合は、少なくとも一つの債権に金額を入力してください")
            note = form.get("note", "").strip() or "窓口収納"
            payment = {"receipt_id": form.get("receipt_id", ""), "amount": amount, "paid_on": me["business_date"],
                       "note": note, **({"designated": designated} if designated else {}),
                       **({"claims": named} if named else {})}
            await backend.receive_window_payment(token, debtor_id, payment)
            await backend.issue_receipt(token, payment["receipt_id"])
        except FormProblem as problem:
            return await window_view(request, token, debtor_id, status=422, entered=form, problem=str(problem))
        except Refused as refused:
            return await window_view(request, token, debtor_id, status=refused.status, entered=form,
                                     problem=designation_refusal(refused.detail, labels) or problem_of(refused))
        return RedirectResponse(f"/debtors/{quote(debtor_id, safe='')}/window-payment?received="
                                f"{quote(str(payment['receipt_id']), safe='')}", status_code=303)

    @app.post("/debtors/{debtor_id}/window-payment/{receipt_id}/receipt", response_model=None)
    async def reissue_receipt(request: Request, debtor_id: str, receipt_id: str) -> Response:
        token = signed_in(request)
        if not same_origin(request):
            return await window_view(request, token, debtor_id, status=403, problem="この画面から操作してください。")
        try:
            await backend.issue_receipt(token, receipt_id)
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
