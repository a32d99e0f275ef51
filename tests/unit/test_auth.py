"""shared.auth: password hashes, tokens (expiry, forgery, audience, issuer, key rotation), roles, and the FastAPI
dependency, including that no refusal echoes the token."""

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from shared.auth import (
    Authenticator,
    AuthError,
    Principal,
    StaffRole,
    TokenIssuer,
    TokenKeys,
    hash_password,
    role_allows,
    verify_password,
)

SECRET_A = "a" * 16 + "-first-secret-0123456789"
SECRET_B = "b" * 16 + "-second-secret-987654321"
SECRET_OTHER = "x" * 16 + "-someone-elses-secret-00"
T0 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=15)


def issuer_with(keys: TokenKeys, *, issuer: str = "city-collection", audience: str = "staff-api") -> TokenIssuer:
    return TokenIssuer(keys, issuer=issuer, audience=audience, ttl=TTL)


@pytest.fixture
def tokens() -> TokenIssuer:
    return issuer_with(TokenKeys({"k1": SECRET_A}, "k1"))


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def hand_signed(header: dict, claims: dict, secret: str) -> str:
    signing_input = f"{b64url(header)}.{b64url(claims)}"
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def segments(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(base64.urlsafe_b64decode(pad(payload))),
            signature)


def refused(issuer: TokenIssuer, token: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(AuthError) as caught:
        issuer.verify(token, **kwargs)
    if len(token) > 3:  # (the empty token is "in" every string)
        assert token not in str(caught.value) and token not in repr(caught.value)
    return caught.value.reason


# --- passwords ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["correct horse battery staple", "パスワード１２３", "", " leading space"])
def test_password_round_trip(password: str) -> None:
    encoded = hash_password(password)
    assert verify_password(password, encoded)
    scheme, n, r, p, salt, key = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt, validate=True)) == 16
    assert len(base64.b64decode(key, validate=True)) == 32
    assert password not in encoded or password == ""


def test_wrong_password_is_refused() -> None:
    encoded = hash_password("s3cret-password")
    assert not verify_password("s3cret-passwore", encoded)
    assert not verify_password("s3cret-password ", encoded)
    assert not verify_password("", encoded)


def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_password("same password"), hash_password("same password")
    assert first != second
    assert first.split("$")[4] != second.split("$")[4]
    assert verify_password("same password", first) and verify_password("same password", second)


def _valid_parts() -> list[str]:
    return hash_password("pw").split("$")


def _with(index: int, value: str) -> str:
    parts = _valid_parts()
    parts[index] = value
    return "$".join(parts)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "scrypt",
        "plain-text-password",
        "$".join(_valid_parts()[:5]),  # a part missing
        "$".join([*_valid_parts(), "extra"]),  # a part too many
        _with(0, "bcrypt"),
        _with(1, "abc"),
        _with(1, "-16384"),
        _with(1, "16383"),  # not a power of two
        _with(1, "0"),
        _with(1, str(2**30)),  # would need gigabytes
        _with(1, "１６３８４"),  # full-width digits
        _with(2, "0"),
        _with(3, "99"),
        _with(4, "not base64!"),
        _with(4, ""),
        _with(5, "@@@@"),
        _with(5, base64.b64encode(b"short").decode()),
    ],
)
def test_malformed_encodings_are_false_not_errors(encoded: str) -> None:
    assert verify_password("pw", encoded) is False


def test_verify_password_refuses_non_strings() -> None:
    assert verify_password("pw", None) is False  # type: ignore[arg-type]
    assert verify_password(None, hash_password("pw")) is False  # type: ignore[arg-type]


# --- keys --------------------------------------------------------------------------------------------------------


def test_keys_parse_from_a_setting() -> None:
    keys = TokenKeys.parse(f" k1:{SECRET_A} , k2:{SECRET_B},", "k2")
    assert dict(keys) == {"k1": SECRET_A.encode(), "k2": SECRET_B.encode()}
    assert keys.active_kid == "k2" and keys.active_secret == SECRET_B.encode()


def test_keys_secret_may_contain_a_colon() -> None:
    assert TokenKeys.parse(f"k1:{SECRET_A}:tail", "k1")["k1"] == f"{SECRET_A}:tail".encode()


@pytest.mark.parametrize(
    ("text", "active"),
    [
        ("k1:too-short-secret", "k1"),
        (f"k1:{SECRET_A}", "k2"),  # active kid not configured
        (f"k1:{SECRET_A},k1:{SECRET_B}", "k1"),  # duplicate kid
        (f"k1{SECRET_A}", "k1"),  # no colon
        (f":{SECRET_A}", ""),
        ("k1:", "k1"),
        ("", "k1"),
        (" , ", "k1"),
    ],
)
def test_bad_key_settings_are_refused_without_showing_secrets(text: str, active: str) -> None:
    with pytest.raises(ValueError) as caught:
        TokenKeys.parse(text, active)
    for secret in (SECRET_A, SECRET_B, "too-short-secret"):
        assert secret not in str(caught.value)


def test_short_bytes_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenKeys({"k1": b"\x00" * 31}, "k1")
    assert TokenKeys({"k1": b"\x00" * 32}, "k1")["k1"] == b"\x00" * 32


def test_keys_repr_hides_secrets() -> None:
    keys = TokenKeys({"k1": SECRET_A, "k2": SECRET_B}, "k1")
    assert SECRET_A not in repr(keys) and SECRET_B not in repr(keys) and "k2" in repr(keys)


# --- tokens ------------------------------------------------------------------------------------------------------


def test_issue_and_verify(tokens: TokenIssuer) -> None:
    token = tokens.issue("staff-0042", ["collector", "viewer"], extra={"firm_id": "F-7"}, now=T0)
    principal = tokens.verify(token, now=T0 + timedelta(minutes=1))
    assert isinstance(principal, Principal)
    assert principal.subject == "staff-0042"
    assert principal.roles == frozenset({"collector", "viewer"})
    assert uuid.UUID(principal.token_id).version == 4
    assert principal.issued_at == T0 and principal.issued_at.tzinfo is not None
    assert principal.issued_at.utcoffset() == timedelta(0)
    assert principal.expires_at == T0 + TTL
    assert dict(principal.claims) == {"firm_id": "F-7"}
    header, payload, _ = segments(token)
    assert header == {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    assert set(payload) == {"iss", "aud", "sub", "roles", "iat", "nbf", "exp", "jti", "firm_id"}
    assert (payload["iss"], payload["aud"]) == ("city-collection", "staff-api")


def test_each_token_has_its_own_id(tokens: TokenIssuer) -> None:
    first, second = (tokens.verify(tokens.issue("s", [], now=T0), now=T0) for _ in range(2))
    assert first.token_id != second.token_id


def test_verify_without_now_uses_the_clock(tokens: TokenIssuer) -> None:
    assert tokens.verify(tokens.issue("s", ["viewer"])).subject == "s"


def test_extra_claims_cannot_override_standard_ones(tokens: TokenIssuer) -> None:
    for claim in ("sub", "roles", "exp", "aud"):
        with pytest.raises(ValueError):
            tokens.issue("s", ["viewer"], extra={claim: "x"})


def test_naive_now_is_refused(tokens: TokenIssuer) -> None:
    with pytest.raises(ValueError):
        tokens.issue("s", [], now=datetime(2025, 4, 1, 9, 0))


def test_expired_token_is_refused_after_the_leeway(tokens: TokenIssuer) -> None:
    token = tokens.issue("s", ["viewer"], now=T0)
    assert tokens.verify(token, now=T0 + TTL + timedelta(seconds=4)).subject == "s"
    assert refused(tokens, token, now=T0 + TTL + timedelta(seconds=6)) == "expired"
    assert refused(tokens, token, now=T0 + timedelta(days=30)) == "expired"


def test_not_yet_valid_token_is_refused(tokens: TokenIssuer) -> None:
    token = tokens.issue("s", ["viewer"], now=T0 + timedelta(minutes=1))
    assert refused(tokens, token, now=T0) == "not_yet_valid"
    assert tokens.verify(token, now=T0 + timedelta(seconds=56)).subject == "s"


def test_forged_signature_is_refused(tokens: TokenIssuer) -> None:
    forger = issuer_with(TokenKeys({"k1": SECRET_OTHER}, "k1"))
    assert refused(tokens, forger.issue("s", ["admin"], now=T0), now=T0) == "bad_signature"


def test_wrong_audience_is_refused(tokens: TokenIssuer) -> None:
    lawyers = issuer_with(TokenKeys({"k1": SECRET_A}, "k1"), audience="lawyer-api")
    assert refused(tokens, lawyers.issue("s", ["admin"], now=T0), now=T0) == "wrong_audience"


def test_wrong_issuer_is_refused(tokens: TokenIssuer) -> None:
    other = issuer_with(TokenKeys({"k1": SECRET_A}, "k1"), issuer="another-city")
    assert refused(tokens, other.issue("s", ["admin"], now=T0), now=T0) == "wrong_issuer"


def test_unknown_kid_is_refused(tokens: TokenIssuer) -> None:
    stranger = issuer_with(TokenKeys({"k9": SECRET_A}, "k9"))
    assert refused(tokens, stranger.issue("s", ["admin"], now=T0), now=T0) == "unknown_key"


def _claims(now: datetime = T0, **changes: object) -> dict:
    issued = int(now.timestamp())
    claims = {"iss": "city-collection", "aud": "staff-api", "sub": "s", "roles": ["admin"], "iat": issued,
              "nbf": issued, "exp": issued + 900, "jti": str(uuid.uuid4())}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_token_is_refused(tokens: TokenIssuer, alg: str) -> None:
    token = f"{b64url({'alg': alg, 'typ': 'JWT', 'kid': 'k1'})}.{b64url(_claims())}."
    assert refused(tokens, token, now=T0) == "bad_signature"


def test_other_algorithms_are_refused_even_with_the_right_key() -> None:
    long_secret = SECRET_A * 2  # long enough for HS512, so only the algorithm is wrong
    tokens = issuer_with(TokenKeys({"k1": long_secret}, "k1"))
    token = jwt.encode(_claims(), long_secret, algorithm="HS512", headers={"kid": "k1"})
    assert refused(tokens, token, now=T0) == "bad_signature"


def test_tampered_payload_is_refused(tokens: TokenIssuer) -> None:
    token = tokens.issue("s", ["viewer"], now=T0)
    header, payload, signature = token.split(".")
    _, claims, _ = segments(token)
    claims["roles"] = ["admin"]
    assert refused(tokens, f"{header}.{b64url(claims)}.{signature}", now=T0) == "bad_signature"


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b.c", "a.b", "x" * 10_000,
     jwt.encode(_claims(), SECRET_A, algorithm="HS256"),  # no kid
     hand_signed({"alg": "HS256", "typ": "JWT", "kid": 7}, _claims(), SECRET_A),
     jwt.encode(_claims(jti=None), SECRET_A, algorithm="HS256", headers={"kid": "k1"}),  # a claim missing
     jwt.encode(_claims(roles="admin"), SECRET_A, algorithm="HS256", headers={"kid": "k1"}),
     jwt.encode(_claims(exp="later"), SECRET_A, algorithm="HS256", headers={"kid": "k1"}),
     jwt.encode(_claims(sub=""), SECRET_A, algorithm="HS256", headers={"kid": "k1"})],
)
def test_malformed_tokens_are_refused(tokens: TokenIssuer, token: str) -> None:
    assert refused(tokens, token, now=T0) == "malformed"


def test_key_rotation() -> None:
    before = issuer_with(TokenKeys({"k1": SECRET_A}, "k1"))
    old_token = before.issue("s", ["viewer"], now=T0)

    during = issuer_with(TokenKeys.parse(f"k1:{SECRET_A},k2:{SECRET_B}", "k2"))
    assert during.verify(old_token, now=T0).subject == "s"  # the old kid still verifies
    new_token = during.issue("s", ["viewer"], now=T0)
    assert segments(new_token)[0]["kid"] == "k2"
    assert during.verify(new_token, now=T0).subject == "s"
    assert refused(before, new_token, now=T0) == "unknown_key"

    after = issuer_with(TokenKeys.parse(f"k2:{SECRET_B}", "k2"))
    assert refused(after, old_token, now=T0) == "unknown_key"
    assert after.verify(new_token, now=T0).subject == "s"


def test_kid_pointing_at_the_wrong_key_is_refused() -> None:
    both = issuer_with(TokenKeys({"k1": SECRET_A, "k2": SECRET_B}, "k1"))
    token = jwt.encode(_claims(), SECRET_A, algorithm="HS256", headers={"kid": "k2"})
    assert refused(both, token, now=T0) == "bad_signature"


# --- roles -------------------------------------------------------------------------------------------------------

_ORDER = [StaffRole.VIEWER, StaffRole.COLLECTOR, StaffRole.SUPERVISOR, StaffRole.ADMIN]
_PAIRS = [(held, needed) for held in StaffRole for needed in StaffRole]


def _expected(held: StaffRole, needed: StaffRole) -> bool:
    if {StaffRole.WELFARE, StaffRole.WELFARE_ADMIN} & {held, needed}:  # apart from the hierarchy, and each other
        return held == needed
    return _ORDER.index(held) >= _ORDER.index(needed)


@pytest.mark.parametrize(("held", "needed"), _PAIRS, ids=[f"{h}-{n}" for h, n in _PAIRS])
def test_role_hierarchy(held: StaffRole, needed: StaffRole) -> None:
    assert role_allows([held.value], needed) is _expected(held, needed)


def test_role_table_spelled_out() -> None:
    assert role_allows(["supervisor"], StaffRole.COLLECTOR)
    assert not role_allows(["viewer"], StaffRole.COLLECTOR)
    assert not role_allows(["admin"], StaffRole.WELFARE)
    assert not role_allows(["welfare"], StaffRole.VIEWER)
    assert role_allows(["viewer", "welfare"], StaffRole.WELFARE)
    assert role_allows(["viewer", "welfare"], StaffRole.VIEWER)


def test_unknown_or_no_roles_allow_nothing() -> None:
    for needed in StaffRole:
        assert not role_allows([], needed)
        assert not role_allows(["root", "Admin", "superuser"], needed)


def test_a_single_role_string_counts_as_one_role() -> None:
    assert role_allows("admin", StaffRole.VIEWER)
    assert not role_allows("viewer", StaffRole.ADMIN)


# --- FastAPI -----------------------------------------------------------------------------------------------------

REVOKED_SUBJECT = "staff-revoked"


@pytest.fixture
def client() -> TestClient:
    issuer = TokenIssuer(TokenKeys({"k1": SECRET_A}, "k1"), issuer="city-collection", audience="staff-api",
                         ttl=TTL)

    async def is_revoked(principal: Principal) -> bool:
        return principal.subject == REVOKED_SUBJECT

    auth = Authenticator(issuer, is_revoked=is_revoked)
    app = FastAPI()
    app.state.tokens = issuer

    @app.get("/collect")
    async def collect(principal: Annotated[Principal, Depends(auth.require(StaffRole.COLLECTOR))]) -> dict:
        return {"subject": principal.subject, "roles": sorted(principal.roles)}

    @app.get("/welfare")
    async def welfare(principal: Annotated[Principal, Depends(auth.require(StaffRole.WELFARE))]) -> dict:
        return {"subject": principal.subject}

    return TestClient(app)


def bearer(roles: list[str], subject: str = "staff-0042", **kwargs) -> str:  # type: ignore[no-untyped-def]
    issuer = TokenIssuer(TokenKeys({"k1": SECRET_A}, "k1"), issuer="city-collection", audience="staff-api",
                         ttl=TTL)
    return issuer.issue(subject, roles, **kwargs)


def _no_token_in(response, token: str) -> None:  # type: ignore[no-untyped-def]
    assert token not in response.text
    assert all(token not in value for value in response.headers.values())


def test_no_header_is_401_with_a_challenge(client: TestClient) -> None:
    response = client.get("/collect")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_other_scheme_is_401(client: TestClient) -> None:
    response = client.get("/collect", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "token",
    ["not-a-token",
     bearer(["admin"]).rsplit(".", 1)[0] + ".c2lnbmF0dXJl",
     TokenIssuer(TokenKeys({"k1": SECRET_OTHER}, "k1"), "city-collection", "staff-api", TTL).issue("s", ["admin"]),
     bearer(["admin"], now=datetime.now(UTC) - timedelta(hours=2))],
    ids=["garbage", "bad-signature", "forged", "expired"],
)
def test_bad_token_is_401(client: TestClient, token: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        response = client.get("/collect", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _no_token_in(response, token)
    assert token not in caplog.text


def test_viewer_on_a_collector_route_is_403(client: TestClient) -> None:
    token = bearer(["viewer"])
    response = client.get("/collect", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    _no_token_in(response, token)
    assert "staff-0042" not in response.text


def test_supervisor_on_a_collector_route_is_200(client: TestClient) -> None:
    response = client.get("/collect", headers={"Authorization": f"Bearer {bearer(['supervisor'])}"})
    assert response.status_code == 200
    assert response.json() == {"subject": "staff-0042", "roles": ["supervisor"]}


def test_admin_is_not_welfare(client: TestClient) -> None:
    assert client.get("/welfare", headers={"Authorization": f"Bearer {bearer(['admin'])}"}).status_code == 403
    assert client.get("/welfare", headers={"Authorization": f"Bearer {bearer(['welfare'])}"}).status_code == 200


def test_revoked_token_is_401(client: TestClient) -> None:
    token = bearer(["admin"], subject=REVOKED_SUBJECT)
    response = client.get("/collect", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _no_token_in(response, token)
    assert REVOKED_SUBJECT not in response.text


def test_openapi_shows_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert schema["paths"]["/collect"]["get"]["security"] == [{"HTTPBearer": []}]


@pytest.mark.parametrize("settings_class", ["collection", "matching", "lawyer_gateway"])
def test_the_public_development_keys_are_refused_in_production(settings_class: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from services.collection.settings import CollectionSettings
    from services.lawyer_gateway.settings import LawyerGatewaySettings
    from services.matching.settings import MatchingSettings

    cls = {"collection": CollectionSettings, "matching": MatchingSettings,
           "lawyer_gateway": LawyerGatewaySettings}[settings_class]
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "development")
    assert cls().auth_keys  # development: the built-in key is fine
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="AUTH_KEYS contains a published development key"):
        cls()
    monkeypatch.setenv(f"{settings_class.upper()}_AUTH_KEYS", "prod:" + "s" * 40)
    monkeypatch.setenv(f"{settings_class.upper()}_STAFF_AUTH_KEYS", "prod:" + "t" * 40)
    monkeypatch.setenv(f"{settings_class.upper()}_DATABASE_URL", "postgresql://svc:a-password-of-its-own@db/x")
    assert cls().auth_keys.startswith("prod:")
