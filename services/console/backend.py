"""The console's calls to the published APIs, made with the signed-in officer's own token: what an officer may
see is decided, audited and limited by the service that owns the data, never by the console (it has no database).

Each call returns the decoded JSON or raises ``SignedOut`` (the token was refused: expired, revoked, disabled) or
``Refused`` (the API said no, with its reason); the pages turn those into a sign-in or a message."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx


class SignedOut(Exception):
    """The API no longer accepts the officer's token: sign in again."""


class Refused(Exception):
    """The API refused the request (403, 404, 409, 422 …): ``status`` and its ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.reason_phrase
    if isinstance(detail, list):  # FastAPI's validation errors: the fields and why
        return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', [])[1:])}: {e.get('msg', '')}" for e in detail)
    return str(detail or response.reason_phrase)


def _checked(response: httpx.Response, expected: int = 200) -> httpx.Response:
    """The response when it is the one expected; SignedOut on 401, Refused with the API's reason otherwise."""
    if response.status_code == 401:
        raise SignedOut
    if response.status_code != expected:
        raise Refused(response.status_code, _detail(response))
    return response


class Backend:
    """HTTP clients for collection and matching, shared by every request of the process."""

    def __init__(self, collection_url: str, matching_url: str, timeout: float) -> None:
        self.collection = httpx.AsyncClient(base_url=collection_url, timeout=timeout)
        self.matching = httpx.AsyncClient(base_url=matching_url, timeout=timeout)

    async def close(self) -> None:
        await self.collection.aclose()
        await self.matching.aclose()

    async def sign_in(self, staff_id: str, password: str, client_address: str | None) -> str:
        """A staff token for the account, or Refused (401 wrong id or password, 429 too many attempts). The
        officer's own address is forwarded, so collection's sign-in limits count per officer, not per console."""
        headers = {"X-Forwarded-For": client_address} if client_address else {}
        response = await self.collection.post("/auth/token", data={"username": staff_id, "password": password},
                                              headers=headers)
        if response.status_code != 200:
            raise Refused(response.status_code, _detail(response))
        return str(response.json()["access_token"])

    @staticmethod
    async def _get(client: httpx.AsyncClient, token: str, path: str, params: dict[str, Any] | None = None) -> Any:
        return _checked(await client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})).json()

    async def me(self, token: str) -> dict[str, Any]:
        """The officer: staff id, roles they may use now, the business date."""
        return await self._get(self.collection, token, "/auth/me")  # type: ignore[no-any-return]

    async def find_persons(self, token: str, params: dict[str, str]) -> dict[str, Any]:
        return await self._get(self.matching, token, "/persons", params)  # type: ignore[no-any-return]

    async def claim(self, token: str, department: str, claim_id: str) -> dict[str, Any]:
        """The claim's record: amounts, 時効, 延滞金, its 経過記録 and what the law allows on it today."""
        return await self._get(self.collection, token, f"/claims/{department}/{quote(claim_id, safe='')}")  # type: ignore[no-any-return]

    async def action_table(self, token: str) -> list[dict[str, Any]]:
        """Every legal action with its Japanese label and the role that records it."""
        return await self._get(self.collection, token, "/actions")  # type: ignore[no-any-return]

    async def record_action(self, token: str, department: str, claim_id: str, action: dict[str, Any]) -> dict[str, Any]:
        """Record an action; Refused with the law's reason (409) or the role it needs (403)."""
        response = await self.collection.post(f"/claims/{department}/{quote(claim_id, safe='')}/actions",
                                              json=action, headers={"Authorization": f"Bearer {token}"})
        return _checked(response, expected=201).json()  # type: ignore[no-any-return]

    async def cases(self, token: str, params: dict[str, str]) -> dict[str, Any]:
        """One page of the case list with collection's filters, sort and paging."""
        return await self._get(self.collection, token, "/cases", params)  # type: ignore[no-any-return]

    async def cases_csv(self, token: str, params: dict[str, str]) -> httpx.Response:
        """The same list as collection's CSV (Japanese columns, UTF-8 with BOM), to hand to the browser as it is."""
        return _checked(await self.collection.get("/cases/export.csv", params=params,
                                                  headers={"Authorization": f"Bearer {token}"}))

    async def debtor(self, token: str, debtor_id: str) -> dict[str, Any]:
        return await self._get(self.collection, token, f"/debtors/{debtor_id}")  # type: ignore[no-any-return]

    # --- matching's review queue and collection's reports (the 名寄せ確認 and 報告 pages) ---

    async def reviews(self, token: str, params: dict[str, str]) -> dict[str, Any]:
        """One page of matching's review queue (oldest first): both records and the evidence per field."""
        return await self._get(self.matching, token, "/reviews", params)  # type: ignore[no-any-return]

    async def review(self, token: str, review_id: int) -> dict[str, Any]:
        return await self._get(self.matching, token, f"/reviews/{review_id}")  # type: ignore[no-any-return]

    async def decide_review(self, token: str, review_id: int, verdict: str, reason: str) -> dict[str, Any]:
        """``verdict`` accept (the same person: matching merges or splits as proposed) or reject (different
        people); Refused 403 for a role that may not decide, 409 for a review already decided."""
        if verdict not in ("accept", "reject"):
            raise ValueError(f"verdict: {verdict!r} is neither accept nor reject")
        response = await self.matching.post(f"/reviews/{review_id}/{verdict}", json={"reason": reason},
                                            headers={"Authorization": f"Bearer {token}"})
        return _checked(response).json()  # type: ignore[no-any-return]

    async def report(self, token: str, name: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """One of collection's reports as JSON: collection-rates, outstanding, outstanding-by-bureau, aging,
        workload."""
        return await self._get(self.collection, token, f"/reports/{name}", params)  # type: ignore[no-any-return]

    async def imports(self, token: str) -> list[dict[str, Any]]:
        """Collection's import history (supervisor): each export's last progress, newest first."""
        return await self._get(self.collection, token, "/operations/imports")  # type: ignore[no-any-return]

    async def dead_letters(self, token: str, topic: str | None) -> dict[str, Any]:
        """One service's dead letters (supervisor), without payloads; the topics there are."""
        params = {"topic": topic} if topic else None
        return await self._get(self.collection, token, "/operations/dead-letters", params)  # type: ignore[no-any-return]

    async def replay_dead_letters(self, token: str, topic: str, offsets: list[int]) -> dict[str, Any]:
        response = await self.collection.post("/operations/dead-letters/replay",
                                              json={"topic": topic, "offsets": offsets},
                                              headers={"Authorization": f"Bearer {token}"})
        return _checked(response).json()  # type: ignore[no-any-return]


__all__ = ["Backend", "Refused", "SignedOut"]
