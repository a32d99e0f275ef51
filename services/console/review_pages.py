"""名寄せ確認: matching's review queue in the console. The doubtful pairs oldest first, one pair with the two
person records side by side and each field's evidence (how the two compare and what that weighs), and the
officer's decision with its reason: accept (the same person: matching merges, or splits as proposed) or reject
(different people: never proposed again). Matching decides who may do what (viewers read, collectors decide) and
audit-logs every read and decision under the officer's id; the page only shows and asks.

The evidence in Japanese (``evidence_rows``) is a pure function, unit-tested; the routes are thin."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.backend import Backend, Refused, SignedOut
from services.console.session import gathered

REVIEW_PAGE = 20

KINDS: Mapping[str, str] = {"merge": "統合の提案（別々の人として登録された2件が同一人か）",
                            "split": "分離の提案（同一人として結び付けた2件が別人か）"}
STATUSES: Mapping[str, str] = {"open": "未確認", "accepted": "同一人と判断", "rejected": "別人と判断"}
#: Each comparison level of matching's model (services/matching/scoring.py LEVELS) as officers say it.
LEVELS: Mapping[str, str] = {
    "exact": "一致", "kana": "漢字は違うが読みが一致", "phonetic": "読みがほぼ一致（拗音・長音など）",
    "similar": "よく似ている（誤記の可能性）", "disagree": "不一致", "missing": "片方または両方に記載なし",
    "one_digit": "1桁だけ違う", "day_month_swapped": "月と日が入れ替わっている", "one_component": "年・月・日のうち1つだけ違う",
    "same_house": "同じ番地（建物名などが違う）", "same_block": "同じ町・丁目",
    "individual": "個人どうし", "corporation": "法人どうし", "mixed": "個人と法人",
    "common": "よくある氏名（同姓同名が多い）", "rare": "珍しい氏名",
}
#: The person record's fields as the two columns show them, with the evidence fields that compare them.
RECORD_ROWS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("氏名", "name_kanji", ("surname", "given_name", "name_frequency")),
    ("フリガナ", "name_kana", ()),
    ("生年月日", "birth_date", ("birth_date",)),
    ("住所", "address", ("address",)),
    ("郵便番号", "postal_code", ("postal_code",)),
    ("電話番号", "phone", ("phone",)),
    ("宛名番号（住民記録）", "resident_register_number", ("register_number",)),
    ("法人番号", "corporate_number", ("corporate_number",)),
    ("個人・法人", "kind", ("kind",)),
)
EVIDENCE_NAMES: Mapping[str, str] = {
    "surname": "姓", "given_name": "名", "name_frequency": "氏名の頻度", "birth_date": "生年月日", "address": "住所",
    "postal_code": "郵便番号", "phone": "電話番号", "register_number": "宛名番号", "corporate_number": "法人番号",
    "kind": "種別",
}


def level_label(level: str) -> str:
    return LEVELS.get(level, level)


def weight_label(weight: float) -> str:
    """+7.75 for evidence for the same person, −3.20 against, ±0 for none (log2 units, as the model weighs)."""
    if abs(weight) < 0.005:
        return "±0"
    return f"+{weight:.2f}" if weight > 0 else f"−{-weight:.2f}"


def evidence_rows(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pair as the page shows it: one row per record field with both sides' values and the evidence that
    compares them (field, level and weight in Japanese), and a last row for evidence no field above shows."""
    evidence = {e["field"]: e for e in item["evidence"]}
    left, right = item["record"].get("recorded") or {}, item["candidate"].get("recorded") or {}
    rows, shown = [], set()
    for label, key, fields in RECORD_ROWS:
        found = [_evidence(evidence[f]) for f in fields if f in evidence]
        shown.update(f for f in fields if f in evidence)
        if left.get(key) is None and right.get(key) is None and not found:
            continue
        rows.append({"label": label, "key": key, "record": _value(key, left.get(key)), "candidate": _value(key, right.get(key)),
                     "evidence": found})
    rest = [_evidence(e) for f, e in evidence.items() if f not in shown]
    if rest:
        rows.append({"label": "その他", "key": "", "record": "", "candidate": "", "evidence": rest})
    return rows


def _evidence(entry: Mapping[str, Any]) -> dict[str, Any]:
    weight = float(entry["weight"])
    return {"field": EVIDENCE_NAMES.get(entry["field"], entry["field"]), "level": level_label(entry["level"]),
            "weight": weight_label(weight), "direction": "for" if weight > 0 else "against" if weight < 0 else "none"}


def _value(key: str, value: Any) -> Any:
    if key == "kind" and value is not None:
        return {"individual": "個人", "corporation": "法人"}.get(str(value), value)
    return value


def add_review_routes(app: FastAPI, backend: Backend, render: Callable[..., HTMLResponse],
                      to_sign_in: Callable[[Request], Response], same_origin: Callable[[Request], bool]) -> None:
    """GET /reviews (the queue), GET /reviews/{id} (one pair), POST /reviews/{id}/decision."""

    @app.get("/reviews", response_class=HTMLResponse, response_model=None)
    async def review_queue(request: Request, offset: int = 0) -> Response:
        token = request.cookies.get("console_token")
        if not token:
            return to_sign_in(request)
        offset = max(offset, 0)
        try:
            me = await backend.me(token)
            try:
                page, problem, status = await backend.reviews(
                    token, {"status": "open", "limit": str(REVIEW_PAGE), "offset": str(offset)}), None, 200
            except Refused as refused:
                page, problem, status = {"items": [], "total": 0}, _refusal(refused), refused.status
        except SignedOut:
            return to_sign_in(request)
        total = int(page["total"])
        return render("reviews.html", status=status, me=me, page=page, problem=problem, kinds=KINDS,
                      first=offset + 1 if page["items"] else 0, last=offset + len(page["items"]),
                      previous=urlencode({"offset": max(offset - REVIEW_PAGE, 0)}) if offset > 0 else None,
                      following=urlencode({"offset": offset + REVIEW_PAGE}) if offset + REVIEW_PAGE < total else None)

    async def review_view(request: Request, token: str, review_id: int, *, status: int = 200,
                          problem: str | None = None, done: str | None = None, reason: str = "") -> Response:
        try:
            me, item = await gathered(backend.me(token), backend.review(token, review_id))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return render("message.html", status=refused.status, me=None, title="表示できません",
                          message=_refusal(refused))
        return render("review.html", status=status, me=me, item=item, rows=evidence_rows(item), kinds=KINDS,
                      statuses=STATUSES, problem=problem, done=done, reason=reason,
                      may_decide=item["status"] == "open" and bool({"collector", "supervisor", "admin"}
                                                                   & set(me["roles"])))

    @app.get("/reviews/{review_id}", response_class=HTMLResponse, response_model=None)
    async def review_page(request: Request, review_id: int) -> Response:
        token = request.cookies.get("console_token")
        if not token:
            return to_sign_in(request)
        done = request.query_params.get("decided")
        return await review_view(request, token, review_id, done=done if done in ("accept", "reject") else None)

    @app.post("/reviews/{review_id}/decision", response_class=HTMLResponse, response_model=None)
    async def decide(request: Request, review_id: int, verdict: Annotated[str, Form(max_length=10)],
                     reason: Annotated[str, Form(max_length=500)] = "") -> Response:
        token = request.cookies.get("console_token")
        if not token:
            return to_sign_in(request)
        if not same_origin(request):
            return await review_view(request, token, review_id, status=403, reason=reason,
                                     problem="この画面から判断してください。")
        if verdict not in ("accept", "reject"):
            return await review_view(request, token, review_id, status=422, reason=reason,
                                     problem="「同一人」か「別人」のどちらかを選んでください。")
        if not reason.strip():
            return await review_view(request, token, review_id, status=422, reason=reason,
                                     problem="判断の理由を入力してください（例：生年月日を窓口で確認）。")
        try:
            await backend.decide_review(token, review_id, verdict, reason.strip())
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            problem = {403: f"判断する権限がありません（{refused.detail}）",
                       409: f"この組はすでに判断されています（{refused.detail}）",
                       404: "この組は見つかりません。"}.get(refused.status,
                                                      f"判断を記録できませんでした（{refused.status}：{refused.detail}）")
            return await review_view(request, token, review_id, status=refused.status, reason=reason,
                                     problem=problem)
        return RedirectResponse(f"/reviews/{review_id}?decided={verdict}", status_code=303)


def _refusal(refused: Refused) -> str:
    return {403: "名寄せ確認を見る権限がありません。", 404: "該当する組がありません。"}.get(
        refused.status, f"処理できませんでした（{refused.status}）。")


__all__ = ["add_review_routes", "evidence_rows", "level_label", "weight_label"]
