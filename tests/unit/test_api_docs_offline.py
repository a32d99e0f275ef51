"""The API pages work on a closed network (LGWAN): /docs and /redoc of every service load nothing from outside,
and every script, style sheet and icon they name is served by the service itself."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


def _apps() -> dict[str, Callable[[], FastAPI]]:
    from services.collection.app import create_app as collection
    from services.lawyer_gateway.app import create_app as gateway
    from services.matching.app import create_app as matching
    from services.welfare_referral.app import create_app as welfare
    from shared.ingest.adapter import adapter_spec, create_adapter_app
    return {"collection": collection, "matching": matching, "welfare_referral": welfare,
            "lawyer_gateway": gateway, "tax_adapter": lambda: create_adapter_app(adapter_spec("tax"))}


ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")
JS_STRING_URL = re.compile(r"""["'](/[^"']+\.(?:js|css|png|json))["']""")


@pytest.fixture(autouse=True)
def development_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "test")


@pytest.mark.parametrize("service", sorted(_apps()))
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_pages_load_everything_from_the_service_itself(service: str, page: str) -> None:
    client = TestClient(_apps()[service]())  # no lifespan: no database or Kafka needed for static pages
    response = client.get(page)
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    html = response.text
    assert not re.search(r"https?://|//cdn|fonts\.googleapis", html), f"{service}{page} names an outside address"
    named = {a or b for a, b in ATTRIBUTE.findall(html)} | set(JS_STRING_URL.findall(html))
    assets = {url for url in named if url.endswith((".js", ".css", ".png"))}
    assert any(url.endswith(".js") for url in assets), f"{service}{page}: no script found in {sorted(named)}"
    for url in assets:
        served = client.get(url)
        assert served.status_code == 200 and len(served.content) > 1000, f"{service}: {url} not served"
    assert client.get("/openapi.json").json()["info"]["title"]
