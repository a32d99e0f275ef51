"""The officer behind a page request, read once per page and at the same time as the page's data.

Every page needs the same three things: the staff token from the cookie (none: sign in), the officer as collection
knows them (`/auth/me`: the name, roles and business date in the header) and the page's own data from the APIs.
The data calls do not need `/auth/me`'s answer — each API checks the token itself and refuses with 401, which the
backend raises as ``SignedOut`` — so ``Sessions.load`` runs `/auth/me` and the page's calls concurrently: a page
waits for its slowest call, not for their sum (`make bench-console`: three calls in a row per page was the p95 of
the ten-officers round).

``SignedOut`` anywhere (no cookie, an expired or revoked token) ends at the app's handler, which sends the officer
to the sign-in with the page they asked for (create_app: ``app.add_exception_handler(SignedOut, …)``); a page
handles only the refusals it words itself (``Refused``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request

from services.console.backend import Backend, SignedOut

Loader = Callable[[str], Awaitable[Any]]


async def gathered(*calls: Awaitable[Any]) -> list[Any]:
    """Await ``calls`` concurrently and return their answers in order. When some fail, every call still finishes
    (none is left running unobserved) and the first failure is raised, a ``SignedOut`` before any other: an
    officer whose session ended signs in again before reading any refusal."""
    answers = await asyncio.gather(*calls, return_exceptions=True)
    failures = [a for a in answers if isinstance(a, BaseException)]
    for failure in failures:
        if isinstance(failure, SignedOut):
            raise failure
    if failures:
        raise failures[0]
    return answers


class Sessions:
    """The officer of a request: their token and, with ``load``, who they are and the page's data at once."""

    def __init__(self, backend: Backend, cookie: str) -> None:
        self.backend, self.cookie = backend, cookie

    def token(self, request: Request) -> str:
        """The staff token of the request's cookie; SignedOut without one."""
        token = request.cookies.get(self.cookie)
        if not token:
            raise SignedOut("no session cookie")
        return token

    async def load(self, request: Request, *loaders: Loader) -> tuple[str, dict[str, Any], list[Any]]:
        """(token, the officer from `/auth/me`, each loader's answer): `/auth/me` and the loaders (each called with
        the token) run concurrently. SignedOut or Refused as ``gathered`` says."""
        token = self.token(request)
        me, *data = await gathered(self.backend.me(token), *(loader(token) for loader in loaders))
        return token, me, data


__all__ = ["Loader", "Sessions", "gathered"]
