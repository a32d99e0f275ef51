"""One authority for staff accounts (issue 18 §3): roles held now, unknown and disabled accounts refused,
welfare roles granted only by a welfare administrator."""

from datetime import timedelta
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient

from shared.auth import (
    STAFF_TOKEN_AUDIENCE,
    STAFF_TOKEN_ISSUER,
    Authenticator,
    Principal,
    StaffRole,
    TokenIssuer,
    TokenKeys,
    bearer_token_scheme,
    grant_refusal,
    require_staff,
    role_allows,
    roles_in_force,
)
from shared.staff_authority import RemoteStaffAuthority

ISSUER = TokenIssuer(TokenKeys.parse("k:" + "s" * 40, "k"), STAFF_TOKEN_ISSUER, STAFF_TOKEN_AUDIENCE,
                     timedelta(hours=8))


@pytest.mark.parametrize("granter, changed, allowed", [
    ({"admin"}, {"collector"}, True),
    ({"admin"}, {"welfare"}, False),                 # the issue's finding: an admin of collection granted welfare
    ({"admin"}, {"welfare_admin"}, False),
    ({"admin"}, {"viewer", "welfare"}, False),
    ({"welfare_admin"}, {"welfare"}, True),
    ({"welfare_admin"}, {"welfare", "viewer"}, False),  # a welfare admin grants the welfare roles only
    ({"welfare_admin", "admin"}, {"welfare", "viewer"}, True),
    ({"supervisor"}, {"viewer"}, False),
    ({"welfare"}, {"welfare"}, False),
])
def test_who_may_grant_which_role(granter: set[str], changed: set[str], allowed: bool) -> None:
    assert (grant_refusal(granter, changed) is None) is allowed


@pytest.mark.parametrize("token, current, in_force", [
    ({"supervisor", "welfare"}, {"viewer"}, {"viewer"}),          # lowered: works as what remains
    ({"viewer"}, {"admin"}, {"viewer"}),                          # raised: the new role needs a new sign-in
    ({"collector"}, {"collector", "welfare"}, {"collector"}),
    ({"collector", "welfare"}, {"collector"}, {"collector"}),     # welfare withdrawn
    ({"admin"}, {"welfare"}, set()),
    ({"welfare", "welfare_admin"}, {"welfare_admin"}, {"welfare_admin"}),
    ({"admin", "x-unknown"}, {"admin", "x-unknown"}, {"admin", "x-unknown"}),
])
def test_roles_in_force_are_what_both_allow(token: set[str], current: set[str], in_force: set[str]) -> None:
    held = roles_in_force(token, current)
    assert held == in_force
    for role in StaffRole:
        assert role_allows(held, role) == (role_allows(token, role) and role_allows(current, role))


class FakeCollection:
    """Collection's GET /auth/authority as the other services see it."""

    def __init__(self) -> None:
        self.accounts: dict[str, set[str]] = {}
        self.calls = 0
        self.down = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.down:
            raise httpx.ConnectError("collection is down")
        try:
            principal = ISSUER.verify(request.headers["authorization"].removeprefix("Bearer "))
        except Exception:  # noqa: BLE001
            return httpx.Response(401)
        if principal.subject not in self.accounts:
            return httpx.Response(401)
        roles = sorted(roles_in_force(principal.roles, self.accounts[principal.subject]))
        return httpx.Response(200, json={"staff_id": principal.subject, "roles": roles})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    collection, clock = FakeCollection(), Clock()
    authority = RemoteStaffAuthority("http://collection", cache_seconds=30, clock=clock,
                                     transport=httpx.MockTransport(collection.handle))
    app = FastAPI()
    app.state.authenticator = Authenticator(ISSUER, current_roles=authority)
    scheme = bearer_token_scheme("StaffToken", "test")

    @app.get("/reviews")
    async def reviews(staff: Annotated[Principal, Depends(require_staff(StaffRole.COLLECTOR, scheme))]) -> dict:
        return {"roles": sorted(staff.roles)}

    @app.get("/inbox")
    async def inbox(staff: Annotated[Principal, Depends(require_staff(StaffRole.WELFARE, scheme))]) -> dict:
        return {"ok": True}

    return collection, clock, TestClient(app)


def get(client: TestClient, path: str, token: str) -> httpx.Response:
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_an_unknown_subject_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    _, _, client = world
    assert get(client, "/reviews", ISSUER.issue("nobody", ["admin"])).status_code == 401


def test_a_disabled_account_stops_within_the_cache_time(world) -> None:  # type: ignore[no-untyped-def]
    collection, clock, client = world
    collection.accounts["c1"] = {"collector"}
    token = ISSUER.issue("c1", ["collector"])
    assert get(client, "/reviews", token).status_code == 200
    del collection.accounts["c1"]  # disabled at collection
    clock.now += 29
    assert get(client, "/reviews", token).status_code == 200  # the cached answer, at most 30 s old
    clock.now += 2
    assert get(client, "/reviews", token).status_code == 401


def test_a_withdrawn_role_stops_and_a_granted_one_needs_a_new_sign_in(world) -> None:  # type: ignore[no-untyped-def]
    collection, clock, client = world
    collection.accounts["c2"] = {"collector"}
    token = ISSUER.issue("c2", ["collector"])
    assert get(client, "/reviews", token).json() == {"roles": ["collector"]}
    collection.accounts["c2"] = {"viewer"}
    clock.now += 31
    assert get(client, "/reviews", token).status_code == 403
    collection.accounts["c2"] = {"collector", "welfare"}
    clock.now += 31
    assert get(client, "/inbox", token).status_code == 403  # the token was not issued with welfare
    assert get(client, "/inbox", ISSUER.issue("c2", ["collector", "welfare"])).status_code == 200


def test_answers_are_cached_per_token(world) -> None:  # type: ignore[no-untyped-def]
    collection, _, client = world
    collection.accounts["c3"] = {"collector"}
    token = ISSUER.issue("c3", ["collector"])
    for _ in range(5):
        assert get(client, "/reviews", token).status_code == 200
    assert collection.calls == 1


def test_the_authority_down_refuses_with_503_never_admits(world) -> None:  # type: ignore[no-untyped-def]
    collection, _, client = world
    collection.accounts["c4"] = {"collector"}
    collection.down = True
    response = get(client, "/reviews", ISSUER.issue("c4", ["collector"]))
    assert response.status_code == 503


async def test_an_answer_for_another_account_is_refused() -> None:
    def lying(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"staff_id": "someone-else", "roles": ["admin"]})

    authority = RemoteStaffAuthority("http://c", transport=httpx.MockTransport(lying))
    token = ISSUER.issue("c5", ["admin"])
    assert await authority(ISSUER.verify(token), token) is None
    broken = RemoteStaffAuthority("http://c", transport=httpx.MockTransport(lambda _: httpx.Response(500)))
    with pytest.raises(HTTPException) as refused:
        await broken(ISSUER.verify(token), token)
    assert refused.value.status_code == 503


def test_the_cache_may_not_exceed_a_minute() -> None:
    with pytest.raises(ValueError):
        RemoteStaffAuthority("http://c", cache_seconds=61)
