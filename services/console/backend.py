"""The console's calls to the published APIs, made with the signed-in officer's own token: what an officer may
see is decided, audited and limited by the service that owns the data, never by the console (it has no database).

Each call returns the decoded JSON or raises ``SignedOut`` (the token was refused: expired, revoked, disabled) or
``Refused`` (the API said no, with its reason); the pages turn those into a sign-in or a message."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx


class SignedOut(Exception):
    """The API no longer accepts the officer's token: sign in again."""


class Refused(Exception):
    """The API refused the request (403, 404, 409, 422 …): ``status`` and its ``detail``."""

    def __init__(self, status: int, detail: str, detail_ja: str | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        #: ``detail_ja``: the API's own Japanese wording when it gives one (the legal check's refusals)
        self.status, self.detail, self.detail_ja = status, detail, detail_ja


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
        raise Refused(response.status_code, _detail(response), _detail_ja(response))
    return response


def _detail_ja(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body["detail_ja"]) if isinstance(body, dict) and body.get("detail_ja") else None


class Backend:
    """HTTP clients for collection and matching, shared by every request of the process."""

    def __init__(self, collection_url: str, matching_url: str, timeout: float,
                 welfare_url: str = "http://127.0.0.1:8008") -> None:
        self.collection = httpx.AsyncClient(base_url=collection_url, timeout=timeout)
        self.matching = httpx.AsyncClient(base_url=matching_url, timeout=timeout)
        self.welfare = httpx.AsyncClient(base_url=welfare_url, timeout=timeout)
        self._actions: tuple[float, list[dict[str, Any]]] | None = None  # (read at, the table)

    async def close(self) -> None:
        await self.collection.aclose()
        await self.matching.aclose()
        await self.welfare.aclose()

    async def welfare_referrals(self, token: str, debtor_id: str) -> list[dict[str, Any]]:
        """The debtor's welfare referrals as welfare's list gives them (state, consent scopes, outcome code; no one's
        notes), newest first; audited by welfare referral."""
        return await self._get(self.welfare, token, "/referrals",  # type: ignore[no-any-return]
                               {"debtor_id": debtor_id, "limit": 20})

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

    #: The table of legal actions changes only with a release of collection: read again after this many seconds.
    ACTION_TABLE_SECONDS = 300.0

    async def action_table(self, token: str) -> list[dict[str, Any]]:
        """Every legal action with its Japanese label and the role that records it (the same for every officer and
        no one's data: kept for ``ACTION_TABLE_SECONDS``; the page's own /auth/me still refuses a bad token)."""
        now = time.monotonic()
        if self._actions is not None and now - self._actions[0] < self.ACTION_TABLE_SECONDS:
            return self._actions[1]
        table: list[dict[str, Any]] = await self._get(self.collection, token, "/actions")
        self._actions = (now, table)
        return table

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

    async def debtor_summaries(self, token: str, debtor_ids: list[str]) -> list[dict[str, Any]]:
        """滞納額, case lead and DV等支援措置 of a page of debtors in one read (collection's POST /debtor-summaries)."""
        response = await self.collection.post("/debtor-summaries", json={"debtor_ids": debtor_ids},
                                              headers={"Authorization": f"Bearer {token}"})
        return _checked(response).json()  # type: ignore[no-any-return]

    async def debtor(self, token: str, debtor_id: str) -> dict[str, Any]:
        return await self._get(self.collection, token, f"/debtors/{debtor_id}")  # type: ignore[no-any-return]

    # --- 担当者 (a case's officer), my cases' helpers and the debtor's whole 経過記録 (services/console/assign_pages.py)

    async def assignees(self, token: str) -> list[dict[str, Any]]:
        """The officers a case may be given to (active, collector or above)."""
        return await self._get(self.collection, token, "/assignees")  # type: ignore[no-any-return]

    async def case(self, token: str, case_id: int) -> dict[str, Any]:
        """One case: the debtor, arrears, claims and the recommended next step."""
        return await self._get(self.collection, token, f"/cases/{case_id}")  # type: ignore[no-any-return]

    async def case_assignee(self, token: str, case_id: int) -> dict[str, Any]:
        """The case's 担当者 now and every change of it."""
        return await self._get(self.collection, token, f"/cases/{case_id}/assignee")  # type: ignore[no-any-return]

    async def assign_case(self, token: str, case_id: int, staff_id: str, note: str) -> dict[str, Any]:
        """Give the case to an officer (``me``: the signed-in one); Refused with the rule that says no."""
        response = await self.collection.put(f"/cases/{case_id}/assignee", json={"staff_id": staff_id, "note": note},
                                             headers={"Authorization": f"Bearer {token}"})
        return _checked(response).json()  # type: ignore[no-any-return]

    async def release_case(self, token: str, case_id: int, note: str) -> dict[str, Any]:
        """Take the case back from its 担当者."""
        response = await self.collection.delete(f"/cases/{case_id}/assignee", params={"note": note},
                                                headers={"Authorization": f"Bearer {token}"})
        return _checked(response).json()  # type: ignore[no-any-return]

    async def debtor_timeline(self, token: str, debtor_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """The debtor's whole 経過記録 across claims, newest first (one page)."""
        return await self._get(self.collection, token, f"/debtors/{quote(debtor_id, safe='')}/timeline",  # type: ignore[no-any-return]
                               params)

    async def workload_by_staff(self, token: str) -> list[dict[str, Any]]:
        """Open cases and arrears per 担当者, and the cases nobody holds."""
        return await self._get(self.collection, token, "/reports/workload-by-staff")  # type: ignore[no-any-return]
    # --- documents, 送付先, print queue, window payments (issue 24) -------------------------------------------

    async def _send(self, method: str, token: str, path: str, json: dict[str, Any] | None = None,
                    expected: int = 200) -> httpx.Response:
        return _checked(await self.collection.request(method, path, json=json,
                                                      headers={"Authorization": f"Bearer {token}"}), expected)

    async def documents(self, token: str, debtor_id: str) -> list[dict[str, Any]]:
        """Documents issued to a debtor, newest first (each with its 送付先 as printed)."""
        return await self._get(self.collection, token, "/documents", {"debtor_id": debtor_id})  # type: ignore[no-any-return]

    async def preview_document(self, token: str, request: dict[str, Any]) -> bytes:
        """The document as it would be issued (numbered 見本), as PDF bytes."""
        return (await self._send("POST", token, "/documents/preview", request)).content

    async def issue_document(self, token: str, request: dict[str, Any]) -> dict[str, Any]:
        return (await self._send("POST", token, "/documents", request, 201)).json()  # type: ignore[no-any-return]

    async def reissue_document(self, token: str, number: str) -> dict[str, Any]:
        return (await self._send("POST", token, f"/documents/{quote(number, safe='')}/reissue",  # type: ignore[no-any-return]
                                 expected=201)).json()

    async def document_pdf(self, token: str, number: str) -> bytes:
        return (await self._send("GET", token, f"/documents/{quote(number, safe='')}.pdf")).content

    async def mailing_address(self, token: str, debtor_id: str) -> dict[str, Any]:
        """送付先: the chosen address (or None) and every address the departments recorded."""
        return await self._get(self.collection, token, f"/debtors/{quote(debtor_id, safe='')}/mailing-address")  # type: ignore[no-any-return]

    async def choose_mailing_address(self, token: str, debtor_id: str, choice: dict[str, Any]) -> dict[str, Any]:
        return (await self._send("PUT", token, f"/debtors/{quote(debtor_id, safe='')}/mailing-address",  # type: ignore[no-any-return]
                                 choice)).json()

    async def clear_mailing_address(self, token: str, debtor_id: str) -> dict[str, Any]:
        return (await self._send("DELETE", token, f"/debtors/{quote(debtor_id, safe='')}/mailing-address")).json()  # type: ignore[no-any-return]

    async def print_queue(self, token: str) -> dict[str, Any]:
        """The business day's documents waiting for a wave, and the latest waves."""
        return await self._get(self.collection, token, "/documents/print-queue")  # type: ignore[no-any-return]

    async def wave_of_the_day(self, token: str) -> dict[str, Any]:
        return (await self._send("POST", token, "/documents/print-queue/waves", {}, 201)).json()  # type: ignore[no-any-return]

    async def demand_notice_wave(self, token: str, limit: int) -> dict[str, Any]:
        """Issue a wave of the 督促状 due (numbered, recorded, one combined PDF)."""
        return (await self._send("POST", token, "/documents/batches",  # type: ignore[no-any-return]
                                 {"kind": "demand_notice", "selection": "demand_notices_due", "limit": limit},
                                 201)).json()

    async def wave_pdf(self, token: str, batch_id: int) -> bytes:
        return (await self._send("GET", token, f"/documents/batches/{batch_id}.pdf")).content

    async def receive_window_payment(self, token: str, debtor_id: str, payment: dict[str, Any]) -> dict[str, Any]:
        return (await self._send("POST", token, f"/debtors/{quote(debtor_id, safe='')}/central-payments",  # type: ignore[no-any-return]
                                 payment, 201)).json()

    async def window_payments(self, token: str, debtor_id: str) -> list[dict[str, Any]]:
        return await self._get(self.collection, token, f"/debtors/{quote(debtor_id, safe='')}/central-payments")  # type: ignore[no-any-return]

    async def issue_receipt(self, token: str, receipt_id: str) -> dict[str, Any]:
        """The 領収証書 of a window payment; asked again, a re-issue marked 再発行."""
        return (await self._send("POST", token, f"/central-payments/{quote(receipt_id, safe='')}/receipts",  # type: ignore[no-any-return]
                                 expected=201)).json()
    # Central installment plans (分納計画): collection's /debtors/{id}/installment-plans and the pledge PDF.

    async def _post(self, token: str, path: str, body: dict[str, Any], expected: int) -> Any:
        response = await self.collection.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        return _checked(response, expected=expected).json()

    async def preview_plan(self, token: str, debtor_id: str, terms: dict[str, Any]) -> dict[str, Any]:
        """The schedule the terms give (nothing stored); Refused 422 naming each field that makes it impossible."""
        return await self._post(token, f"/debtors/{quote(debtor_id, safe='')}/installment-plans/preview",  # type: ignore[no-any-return]
                                terms, 200)

    async def create_plan(self, token: str, debtor_id: str, terms: dict[str, Any]) -> dict[str, Any]:
        """Agree the plan: stored, watched, its 分納誓約書 issued; Refused 403/409/422 with the reason."""
        return await self._post(token, f"/debtors/{quote(debtor_id, safe='')}/installment-plans",  # type: ignore[no-any-return]
                                terms, 201)

    async def debtor_plans(self, token: str, debtor_id: str) -> list[dict[str, Any]]:
        return await self._get(self.collection, token,  # type: ignore[no-any-return]
                               f"/debtors/{quote(debtor_id, safe='')}/installment-plans")

    async def cancel_plan(self, token: str, plan_id: int, reason: str) -> dict[str, Any]:
        return await self._post(token, f"/installment-plans/{plan_id}/cancel",  # type: ignore[no-any-return]
                                {"reason": reason}, 200)

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
