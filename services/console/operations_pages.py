"""運用 (supervisors: 係長・課長 and above): the import history of every department export and the dead letters of
every service with their replay, from collection's /operations API (which checks the role, audit-logs each read
and replay, and shows no personal data: no payload, an error's kind but never its text)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.sources import DEPARTMENT_LABELS, SOURCES
from services.console.backend import Backend, Refused, SignedOut
from services.console.session import gathered

#: Each source system (the envelope's name, e.g. tax-core) as 所管 and what it bills.
SOURCE_LABELS = {row.source_system: f"{DEPARTMENT_LABELS[row.department]}（{row.label}）" if row.department
                 else row.label for row in SOURCES}  # the standard link carries several departments

#: Each service's dead-letter topic by the service's name on paper (a topic not listed shows as itself).
TOPIC_LABELS = {"dead-letter.matching.v1": "名寄せ", "dead-letter.collection.v1": "徴収（債権台帳）",
                "dead-letter.lawyer-gateway.v1": "弁護士事務所との連携", "dead-letter.welfare-referral.v1": "福祉連携"}

#: The kind of a dead letter's error (collection's ``error_kind``) as the page says it.
ERROR_KINDS = {"contract": "形式の誤り（契約に合わない）", "processing": "処理中の誤り"}


def source_label(source_system: str) -> str:
    return SOURCE_LABELS.get(source_system, source_system)


def error_label(kind: str) -> str:
    """``processing: IntegrityError`` → 処理中の誤り（IntegrityError）."""
    head, _, name = kind.partition(":")
    word = ERROR_KINDS.get(head.strip())
    return f"{word}（{name.strip()}）" if word and name.strip() else word or kind


def add_operations_routes(app: FastAPI, backend: Backend, render: Callable[..., HTMLResponse],
                          to_sign_in: Callable[[Request], Response], same_origin: Callable[[Request], bool]) -> None:
    """GET /operations (imports and one topic's dead letters), POST /operations/replay."""

    async def operations_view(request: Request, token: str, topic: str | None, *, status: int = 200,
                              problem: str | None = None, done: str | None = None) -> Response:
        try:
            me, imports, letters = await gathered(backend.me(token), backend.imports(token),
                                                  backend.dead_letters(token, topic))
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            message = ("運用の画面は係長・課長以上の権限で使えます。" if refused.status == 403
                       else f"表示できませんでした（{refused.status}：{refused.detail}）。")
            return render("message.html", status=refused.status, me=None, title="運用", message=message)
        return render("operations.html", status=status, me=me, imports=imports, letters=letters, problem=problem,
                      done=done, error_label=error_label,
                      source_label=source_label, topic_labels=TOPIC_LABELS)

    @app.get("/operations", response_class=HTMLResponse, response_model=None)
    async def operations(request: Request) -> Response:
        token = request.cookies.get("console_token")
        if not token:
            return to_sign_in(request)
        replayed = request.query_params.get("replayed")
        return await operations_view(request, token, request.query_params.get("topic") or None,
                                     done=replayed if replayed and replayed.isdigit() else None)

    @app.post("/operations/replay", response_class=HTMLResponse, response_model=None)
    async def replay(request: Request, topic: Annotated[str, Form(max_length=100)],
                     offset: Annotated[list[int] | None, Form()] = None) -> Response:
        token = request.cookies.get("console_token")
        if not token:
            return to_sign_in(request)
        if not same_origin(request):
            return await operations_view(request, token, topic, status=403, problem="この画面から再送してください。")
        if not offset:
            return await operations_view(request, token, topic, status=422,
                                         problem="再送するメッセージを選んでください。")
        try:
            done = await backend.replay_dead_letters(token, topic, offset)
        except SignedOut:
            return to_sign_in(request)
        except Refused as refused:
            return await operations_view(request, token, topic, status=refused.status,
                                         problem=f"再送できませんでした（{refused.status}：{refused.detail}）")
        return RedirectResponse("/operations?" + urlencode({"topic": topic, "replayed": done["replayed"]}),
                                status_code=303)


__all__ = ["add_operations_routes", "error_label", "source_label"]
