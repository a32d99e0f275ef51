"""The request guard (issue 18 §7): body limits counted while streaming, control characters refused with 422
naming the field, 422s that never echo their input."""

import json

import httpx
import pytest
from fastapi import FastAPI, Query, Request
from pydantic import BaseModel

from shared.http import (
    BodyPolicy,
    control_character,
    guard_requests,
    set_body_policy,
    validation_problems,
)


class Note(BaseModel):
    note: str
    staff_id: str
    count: int = 0


def make_app() -> FastAPI:
    app = FastAPI()

    @app.post("/notes")
    async def post_note(body: Note) -> dict[str, str]:
        return {"note": body.note}

    @app.get("/cases")
    async def cases(holder: str = Query("", max_length=64)) -> dict[str, str]:
        return {"holder": holder}

    @app.post("/imports")
    async def imports(request: Request) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    set_body_policy(app, "POST", "/imports", BodyPolicy(5000, inspect_text=False))
    guard_requests(app, max_body_bytes=1000)
    return app


@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def chunks(total: int, size: int = 100):  # type: ignore[no-untyped-def]
    async def generate():  # type: ignore[no-untyped-def]
        for start in range(0, total, size):
            yield b"x" * min(size, total - start)
    return generate()


async def test_a_declared_body_over_the_limit_is_refused_before_reading(client: httpx.AsyncClient) -> None:
    response = await client.post("/raw", content=b"x" * 1001)
    assert response.status_code == 413
    assert (await client.post("/raw", content=b"x" * 1000)).json() == {"size": 1000}


async def test_a_chunked_body_is_counted_while_it_streams(client: httpx.AsyncClient) -> None:
    response = await client.post("/raw", content=chunks(3000))
    assert response.status_code == 413
    assert "content-length" not in response.request.headers  # sent chunked: nothing declared up front
    json_body = await client.post("/notes", content=chunks(3000), headers={"content-type": "application/json"})
    assert json_body.status_code == 413


async def test_a_route_override_takes_a_larger_body_and_still_ends(client: httpx.AsyncClient) -> None:
    assert (await client.post("/imports", content=chunks(4000))).json() == {"size": 4000}
    assert (await client.post("/imports", content=chunks(6000))).status_code == 413
    assert (await client.post("/imports", content=b"x" * 5001)).status_code == 413


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x1f", "\t", "\n", "\r"])
async def test_query_parameters_take_no_control_character(client: httpx.AsyncClient, char: str) -> None:
    response = await client.get("/cases", params={"holder": f"髙橋{char}"})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["query", "holder"] and detail["type"] == "control_character"
    assert f"U+{ord(char):04X}" in detail["msg"]


async def test_a_control_character_in_the_path_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/cases%00")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["path"]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1f"])
async def test_json_strings_take_no_control_character_but_tab_and_line_ends(client: httpx.AsyncClient,
                                                                           char: str) -> None:
    response = await client.post("/notes", json={"note": f"相談{char}あり", "staff_id": "s1"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "note"]
    nested = await client.post("/notes", content=json.dumps({"note": "ok", "staff_id": "s", "x": [{"y": char}]}),
                               headers={"content-type": "application/json"})
    assert nested.json()["detail"][0]["loc"] == ["body", "x", 0, "y"]
    free_text = await client.post("/notes", json={"note": "令和6年4月1日\t来庁\r\n分納の相談", "staff_id": "s1"})
    assert free_text.status_code == 200 and free_text.json()["note"].endswith("分納の相談")


async def test_an_escaped_backslash_is_not_mistaken_for_a_control(client: httpx.AsyncClient) -> None:
    response = await client.post("/notes", json={"note": "C:\\u0000 is text", "staff_id": "s1"})
    assert response.status_code == 200


async def test_form_fields_take_no_control_character(client: httpx.AsyncClient) -> None:
    response = await client.post("/raw", data={"username": "demo\x00admin", "password": "p"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "username"]


async def test_a_422_never_echoes_the_input(client: httpx.AsyncClient) -> None:
    huge = "髙" * 300_000
    response = await client.post("/notes", json={"note": 1, "staff_id": ["x"], "count": huge})
    assert response.status_code == 413  # over the limit first
    big_but_allowed = "﨑" * 300
    response = await client.post("/notes", json={"note": 1, "staff_id": ["x"], "count": big_but_allowed})
    assert response.status_code == 422
    assert big_but_allowed not in response.text and "input" not in response.text
    assert {tuple(p["loc"]) for p in response.json()["detail"]} >= {("body", "count")}
    response = await client.get("/cases", params={"holder": "x" * 500})
    assert response.status_code == 422 and "x" * 65 not in response.text


def test_validation_problems_cut_long_locations_and_show_controls() -> None:
    problems = validation_problems([{"type": "extra_forbidden", "loc": ("body", "k" * 500, 3), "msg": "m" * 999,
                                     "input": "secret"}])
    assert problems[0]["loc"][1].startswith("k" * 64) and len(problems[0]["loc"][1]) == 65
    assert len(problems[0]["msg"]) == 200 and "input" not in problems[0]
    assert validation_problems([{"loc": ("q", "a\x00b"), "msg": "x"}])[0]["loc"] == ["q", "a\\x00b"]


def test_control_character() -> None:
    assert control_character("ﾀﾅｶ ﾀﾛｳ") is None
    assert control_character("a\tb") == "\t"
    assert control_character("a\tb", frozenset("\t")) is None
    assert control_character("\x7f") is None  # DEL is not C0
