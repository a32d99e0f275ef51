"""What every service's HTTP side shares: liveness and readiness endpoints, tracing of requests, API pages served
from the service itself, and the request guard (body limits counted while streaming, control characters refused,
422s that never echo their input)."""

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ReadinessCheck = Callable[[], Awaitable[bool]]


def database_check(app: FastAPI) -> ReadinessCheck:
    """Readiness of the service's database: ``SELECT 1`` on ``app.state.pool`` (set in the lifespan)."""

    async def ready() -> bool:
        async with app.state.pool.acquire() as conn:
            return await conn.fetchval("SELECT 1") == 1

    return ready


#: Swagger UI and ReDoc as files (MIT, packaged by fastapi-offline), served by each service under this path.
API_DOCS_ASSETS = "/docs-assets"


def serve_api_docs_locally(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` from files the service serves itself. FastAPI's defaults load their
    scripts from a CDN and ReDoc its fonts from Google: on a closed government network (LGWAN) those pages stay
    blank. Create the app with ``docs_url=None, redoc_url=None`` first."""
    from importlib.resources import files

    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = str(files("fastapi_offline") / "static")
    app.mount(API_DOCS_ASSETS, StaticFiles(directory=assets), name="api-docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=openapi_url, title=f"{app.title} — API",
                                   swagger_js_url=f"{API_DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{API_DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{API_DOCS_ASSETS}/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=f"{app.title} — API",
                              redoc_js_url=f"{API_DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{API_DOCS_ASSETS}/favicon.png", with_google_fonts=False)


def add_health_routes(app: FastAPI, checks: dict[str, ReadinessCheck]) -> None:
    """``/healthz``: the process answers. ``/readyz``: every dependency answers (503 naming those that do not)."""

    @app.get("/healthz", tags=["operations"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Readiness of the service and its dependencies")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                results[name] = "ok" if await check() else "unavailable"
            except Exception:  # noqa: BLE001 - a failing check means not ready, whatever the cause
                results[name] = "unavailable"
        ready = all(v == "ok" for v in results.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": results},
                            status_code=200 if ready else 503)


def instrument_app(app: FastAPI) -> None:
    """Trace requests (not the health and metrics endpoints) and serve ``/metrics`` for Prometheus."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    from shared.telemetry import redact_query

    # Query strings may carry a filter or a person key: cut from the span's URL attributes (issue 18 §6).
    FastAPIInstrumentor.instrument_app(app, tracer_provider=trace.get_tracer_provider(),
                                       excluded_urls="healthz,readyz,metrics", server_request_hook=redact_query)


# ---------------------------------------------------------------------------------------------------------------
# Request guard: body limits counted while streaming, control characters refused, 422s that echo nothing.

#: The default request body limit of every service: far above any JSON body the APIs take.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: Characters allowed in free text although they are C0 controls.
TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")
_TEXT_CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded")
# A JSON escape of a C0 character other than \t \n \r (\u0009, \u000a, \u000d): only then is the body parsed here.
_JSON_CONTROL_ESCAPE = re.compile(rb"\\u00(?:0[0-8bcefBCEF]|1[0-9a-fA-F])")
_LOC_PART_MAX = 64
_MESSAGE_MAX = 200


@dataclass(frozen=True)
class BodyPolicy:
    """How much body a route takes, and whether its text is inspected for control characters (off for routes that
    take a department's raw export, which their own parser checks record by record)."""

    max_bytes: int
    inspect_text: bool = True


class _BodyTooLarge(Exception):
    pass


def set_body_policy(app: FastAPI, method: str, path: str, policy: BodyPolicy) -> None:
    """The per-route override of ``guard_requests``: e.g. an adapter's ``POST /imports`` takes a large export."""
    if not hasattr(app.state, "body_policies"):
        app.state.body_policies = {}
    app.state.body_policies[(method.upper(), path)] = policy


def _policy_for(scope: Scope, default: BodyPolicy) -> BodyPolicy:
    policies = getattr(getattr(scope.get("app"), "state", None), "body_policies", None) or {}
    return policies.get((scope.get("method", ""), scope.get("path", "")), default)


def control_character(text: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """The first C0 control character (U+0000–U+001F) in ``text`` not in ``allowed``, or None."""
    for char in text:
        if char < " " and char not in allowed:
            return char
    return None


def _find_control(value: Any, loc: list[str | int]) -> tuple[list[str | int], str] | None:
    """Where in a parsed JSON value a string (or object key) holds a refused control character."""
    if isinstance(value, str):
        char = control_character(value, TEXT_CONTROLS_ALLOWED)
        return (loc, char) if char is not None else None
    if isinstance(value, dict):
        for key, item in value.items():
            if (char := control_character(key, TEXT_CONTROLS_ALLOWED)) is not None:
                return [*loc, _short(key)], char
            if found := _find_control(item, [*loc, _short(key)]):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := _find_control(item, [*loc, index]):
                return found
    return None


def _short(part: object) -> str:
    text = str(part)
    return text if len(text) <= _LOC_PART_MAX else text[:_LOC_PART_MAX] + "…"


def _control_problem(loc: list[str | int], char: str) -> dict[str, object]:
    safe = [_short(control_character_free(str(p))) if isinstance(p, str) else p for p in loc]
    return {"type": "control_character", "loc": safe,
            "msg": f"control character U+{ord(char):04X} is not allowed in {'.'.join(str(p) for p in safe)}"}


def control_character_free(text: str) -> str:
    """``text`` with C0 controls shown as ``\\xNN``, for a message that names a field."""
    return "".join(f"\\x{ord(c):02x}" if c < " " else c for c in text)


def _problem_in_target(scope: Scope) -> dict[str, object] | None:
    """Path and query parameters are identifiers and filters: no control character at all."""
    if (char := control_character(scope.get("path", ""))) is not None:
        return _control_problem(["path"], char)
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        if (char := control_character(name) or control_character(value)) is not None:
            return _control_problem(["query", name], char)
    return None


def _problem_in_body(body: bytes, content_type: str) -> dict[str, object] | None:
    if content_type.startswith("application/json"):
        if not _JSON_CONTROL_ESCAPE.search(body):
            return None  # a raw control byte is invalid JSON: the route's own validation answers 422
        try:
            parsed = json.loads(body)
        except ValueError:
            return None
        found = _find_control(parsed, ["body"])
        return _control_problem(*found) if found else None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    for name, value in parse_qsl(text, keep_blank_values=True, errors="replace"):
        if (char := control_character(name, TEXT_CONTROLS_ALLOWED)
                or control_character(value, TEXT_CONTROLS_ALLOWED)) is not None:
            return _control_problem(["body", name], char)
    return None


class RequestGuard:
    """ASGI middleware in front of every route of a service:

    * a body limit counted while the body streams in, so a chunked body without Content-Length is cut off at
      the limit too (413), and a declared Content-Length over the limit is refused before any byte is read;
    * C0 control characters refused with 422 naming the field: none at all in the path and query parameters
      (identifiers, filters), none but TAB, LF and CR in the strings of JSON and form bodies (free text);
    * per-route overrides through ``set_body_policy`` (an adapter's import route takes a large raw export).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES):
        self.app = app
        self.default = BodyPolicy(max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if problem := _problem_in_target(scope):
            await _send_json(send, 422, {"detail": [problem]})
            return
        policy = _policy_for(scope, self.default)
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > policy.max_bytes):
            await _send_json(send, 413, {"detail": f"request body over {policy.max_bytes} bytes"})
            return
        content_type = headers.get("content-type", "").lower()
        if policy.inspect_text and content_type.startswith(_TEXT_CONTENT_TYPES):
            try:
                body = await _read_all(receive, policy.max_bytes)
            except _BodyTooLarge:
                await _send_json(send, 413, {"detail": f"request body over {policy.max_bytes} bytes"})
                return
            if problem := _problem_in_body(body, content_type):
                await _send_json(send, 422, {"detail": [problem]})
                return
            await self.app(scope, _replay(body, receive), send)
            return
        await self._counted(scope, receive, send, policy.max_bytes)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _BodyTooLarge:
            if not started:
                await _send_json(send, 413, {"detail": f"request body over {limit} bytes"})


async def _read_all(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_json(send: Send, status_code: int, content: object) -> None:
    response = JSONResponse(content, status_code=status_code)
    await send({"type": "http.response.start", "status": status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def validation_problems(errors: Sequence[Any]) -> list[dict[str, object]]:
    """FastAPI's validation errors without the input they refused (it may be megabytes, or personal data):
    type, location (each part cut to 64 characters) and message only."""
    problems = []
    for error in errors[:50]:
        loc = [part if isinstance(part, int) else _short(control_character_free(str(part)))
               for part in error.get("loc", ())]
        problems.append({"type": str(error.get("type", "value_error"))[:64], "loc": loc,
                         "msg": str(error.get("msg", ""))[:_MESSAGE_MAX]})
    return problems


def guard_requests(app: FastAPI, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
    """Install the ``RequestGuard`` (outermost, so it also covers the service's own middleware) and the 422
    handler that never echoes input. Call it last in the app factory."""

    async def refuse_quietly(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_problems(exc.errors())}, status_code=422)

    app.add_exception_handler(RequestValidationError, refuse_quietly)  # type: ignore[arg-type]
    app.add_middleware(RequestGuard, max_body_bytes=max_body_bytes)
