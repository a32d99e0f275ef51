"""The console's one way to read the officer and a page's data (services/console/session.py): `/auth/me` and the
page's calls in flight together, answers in order, a missing cookie or a refused token is a SignedOut (the app
sends it to the sign-in), and a SignedOut outranks any refusal from the same page."""

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from services.console.backend import Refused, SignedOut
from services.console.session import Sessions, gathered


def request(cookie: str | None) -> Request:
    headers = [(b"cookie", f"console_token={cookie}".encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/cases", "headers": headers, "query_string": b""})


class Officer:
    """A backend whose /auth/me answers only once the page's own call has started."""

    def __init__(self) -> None:
        self.page_started = asyncio.Event()
        self.tokens: list[str] = []

    async def me(self, token: str) -> dict[str, Any]:
        self.tokens.append(token)
        await self.page_started.wait()  # sequential calls would never get here
        return {"staff_id": "c-0042", "display_name": "髙田 花子", "business_date": "2025-01-31"}


async def test_the_officer_and_the_pages_data_are_read_at_once_and_answered_in_order() -> None:
    backend = Officer()
    sessions = Sessions(backend, "console_token")  # type: ignore[arg-type]

    async def cases(token: str) -> dict[str, Any]:
        backend.page_started.set()
        return {"token": token, "items": []}

    async def table(token: str) -> list[str]:
        return ["督促", "催告 (電話)"]

    token, me, (page, words) = await asyncio.wait_for(sessions.load(request("tok-1"), cases, table), 10)
    assert token == "tok-1" and backend.tokens == ["tok-1"]
    assert me["display_name"] == "髙田 花子" and page == {"token": "tok-1", "items": []}
    assert words == ["督促", "催告 (電話)"]


async def test_no_cookie_is_signed_out_before_any_call() -> None:
    backend = Officer()
    with pytest.raises(SignedOut):
        await Sessions(backend, "console_token").load(request(None))  # type: ignore[arg-type]
    assert backend.tokens == []


async def test_a_signed_out_officer_signs_in_before_reading_any_refusal() -> None:
    finished: list[str] = []

    async def refused() -> None:
        raise Refused(403, "this needs the supervisor role")

    async def expired() -> None:
        await asyncio.sleep(0)
        finished.append("expired")
        raise SignedOut

    async def slow_but_fine() -> str:
        await asyncio.sleep(0.01)
        finished.append("fine")
        return "ok"

    with pytest.raises(SignedOut):
        await gathered(refused(), expired(), slow_but_fine())
    assert sorted(finished) == ["expired", "fine"]  # every call ran to its end: none left running unobserved
    with pytest.raises(Refused) as caught:
        await gathered(slow_but_fine(), refused())
    assert caught.value.status == 403
    assert await gathered(slow_but_fine(), slow_but_fine()) == ["ok", "ok"]
