"""The console's clients of the APIs (services/console/backend.py): what they keep between requests."""

from __future__ import annotations

import httpx

from services.console.backend import Backend


async def test_the_table_of_actions_is_read_once_per_period_and_again_after_it() -> None:
    calls: list[str] = []

    def collection(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Authorization"])
        return httpx.Response(200, json=[{"kind": "demand_notice", "label": "督促"}])

    backend = Backend("http://collection", "http://matching", 5)
    backend.collection = httpx.AsyncClient(base_url="http://collection", transport=httpx.MockTransport(collection))
    try:
        first = await backend.action_table("token-a")
        second = await backend.action_table("token-b")
        assert first == second == [{"kind": "demand_notice", "label": "督促"}] and calls == ["Bearer token-a"]
        backend.ACTION_TABLE_SECONDS = 0.0  # the period over: read again
        await backend.action_table("token-b")
        assert calls == ["Bearer token-a", "Bearer token-b"]
    finally:
        await backend.close()
