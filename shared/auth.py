"""Staff authentication: password hashes, signed bearer tokens with rotatable keys, roles, a FastAPI dependency.

Tokens are HS256 JWTs carrying ``iss, aud, sub, roles, iat, nbf, exp, jti`` and a ``kid`` header naming the key
that signed them, so keys rotate without logging everyone out: add a new kid, make it active, drop the old one
once its tokens have expired. Nothing here puts a token, a password or a secret into a log line, an exception
message or a response body: failures carry only a short reason code.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------------------------
# Passwords

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SALT_BYTES, _KEY_BYTES = 16, 32
# Bounds on parameters read back from a stored hash, so a corrupt or planted row cannot make a login use gigabytes.
_MAX_SCRYPT_N, _MAX_SCRYPT_R, _MAX_SCRYPT_P = 2**20, 32, 16


def hash_password(password: str) -> str:
    """``scrypt$16384$8$1$<salt>$<hash>`` (standard base64): the parameters travel with the hash so they can be
    raised later without invalidating stored passwords."""
    salt = os.urandom(_SALT_BYTES)
    key = _scrypt(password.encode("utf-8"), salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _KEY_BYTES)
    return "$".join(("scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(key)))


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded``, compared in constant time; False, not an exception, for an
    encoding that cannot be read (the caller treats it like a wrong password)."""
    if not isinstance(password, str) or not isinstance(encoded, str):
        return False
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    if not all(part.isascii() and part.isdigit() and len(part) <= 8 for part in parts[1:4]):
        return False
    n, r, p = (int(part) for part in parts[1:4])
    try:
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return False
    if not (2 <= n <= _MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= r <= _MAX_SCRYPT_R and 1 <= p <= _MAX_SCRYPT_P):
        return False
    if len(salt) < 8 or not 16 <= len(expected) <= 64:
        return False
    try:
        actual = _scrypt(password.encode("utf-8"), salt, n, r, p, len(expected))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # scrypt needs about 128·n·r·p bytes; OpenSSL's default ceiling (32 MiB) would refuse the upper bounds above.
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=length, maxmem=129 * n * r * p + (1 << 20))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# ---------------------------------------------------------------------------------------------------------------
# Tokens

AuthReason = Literal[
    "malformed", "bad_signature", "unknown_key", "expired", "not_yet_valid", "wrong_audience", "wrong_issuer",
    "revoked",
]

ALGORITHM = "HS256"
MIN_SECRET_LENGTH = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash output
_MAX_TOKEN_LENGTH = 8192  # far above any token issued here; refuses a huge header before any parsing
_REGISTERED = frozenset({"iss", "aud", "sub", "roles", "iat", "nbf", "exp", "jti"})


class AuthError(Exception):
    """A token was refused. ``reason`` is a short code, safe to log; the token itself is never kept here."""

    def __init__(self, reason: AuthReason):
        super().__init__(reason)
        self.reason: AuthReason = reason


class TokenKeys(Mapping[str, bytes]):
    """The signing secrets by key id: ``active_kid`` signs new tokens, every configured kid still verifies.
    ``repr`` lists the kids only, so a settings dump never shows a secret."""

    def __init__(self, secrets: Mapping[str, str | bytes], active_kid: str):
        keys: dict[str, bytes] = {}
        for kid, secret in secrets.items():
            if not isinstance(kid, str) or not kid or kid != kid.strip() or any(c in kid for c in ":,"):
                raise ValueError("a key id must be a non-empty string without spaces at its ends, ':' or ','")
            if isinstance(secret, str):
                too_short, raw = len(secret) < MIN_SECRET_LENGTH, secret.encode("utf-8")
            elif isinstance(secret, bytes):
                too_short, raw = len(secret) < MIN_SECRET_LENGTH, secret
            else:
                raise ValueError(f"the secret of key {kid!r} must be str or bytes")
            if too_short:
                raise ValueError(f"the secret of key {kid!r} is shorter than {MIN_SECRET_LENGTH} characters")
            keys[kid] = raw
        if active_kid not in keys:
            raise ValueError(f"the active key id {active_kid!r} is not among the configured keys")
        self._keys = keys
        self.active_kid = active_kid

    @classmethod
    def parse(cls, text: str, active_kid: str) -> Self:
        """From a setting like ``"2025a:<secret>,2025b:<secret>"``. A secret may contain ':' but not ','."""
        secrets: dict[str, str] = {}
        for position, item in enumerate(text.split(","), start=1):
            item = item.strip()
            if not item:
                continue
            kid, sep, secret = item.partition(":")
            kid, secret = kid.strip(), secret.strip()
            if not sep or not kid or not secret:
                raise ValueError(f"token key entry {position} is not 'kid:secret'")
            if kid in secrets:
                raise ValueError(f"token key id {kid!r} is configured twice")
            secrets[kid] = secret
        if not secrets:
            raise ValueError("no token keys configured")
        return cls(secrets, active_kid)

    @property
    def active_secret(self) -> bytes:
        return self._keys[self.active_kid]

    def __getitem__(self, kid: str) -> bytes:
        return self._keys[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"TokenKeys(kids={sorted(self._keys)!r}, active_kid={self.active_kid!r})"


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for. ``claims`` holds the claims beyond the standard ones (e.g. ``firm_id``)."""

    subject: str
    roles: frozenset[str]
    token_id: str
    issued_at: datetime
    expires_at: datetime
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False, compare=False)


class TokenIssuer:
    """Issues and verifies the tokens of one audience (e.g. the staff API, or the lawyers' endpoint)."""

    def __init__(self, keys: TokenKeys, issuer: str, audience: str, ttl: timedelta, *,
                 leeway: timedelta = timedelta(seconds=5)):
        if not issuer or not audience:
            raise ValueError("issuer and audience must be non-empty")
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl
        self.leeway = leeway

    def issue(self, subject: str, roles: Iterable[str], *, extra: Mapping[str, Any] | None = None,
              now: datetime | None = None) -> str:
        if not isinstance(subject, str) or not subject:
            raise ValueError("subject must be a non-empty string")
        if isinstance(roles, str):
            raise TypeError("roles must be a collection of strings, not one string")
        role_list = sorted({str(role) for role in roles})
        extra = dict(extra or {})
        if clash := _REGISTERED & extra.keys():
            raise ValueError(f"extra claims may not set {sorted(clash)}")
        issued = int(_utc(now).timestamp())
        payload = {
            **extra,
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "roles": role_list,
            "iat": issued,
            "nbf": issued,
            "exp": issued + int(self.ttl.total_seconds()),
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(payload, self.keys.active_secret, algorithm=ALGORITHM,
                          headers={"kid": self.keys.active_kid})

    def verify(self, token: str, *, now: datetime | None = None) -> Principal:
        """The token's principal, or ``AuthError``. The signature is checked with the key its ``kid`` names and
        HS256 only; times are checked here (not by PyJWT) so ``now`` can be given, with ``leeway`` either way."""
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
            raise AuthError("malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("malformed") from None
        if header.get("alg") != ALGORITHM:
            raise AuthError("bad_signature")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise AuthError("malformed")
        if kid not in self.keys:
            raise AuthError("unknown_key")
        try:
            payload = jwt.decode(
                token, self.keys[kid], algorithms=[ALGORITHM], audience=self.audience, issuer=self.issuer,
                options={"require": sorted(_REGISTERED), "strict_aud": True,
                         "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidSignatureError:
            raise AuthError("bad_signature") from None
        except jwt.InvalidAlgorithmError:
            raise AuthError("bad_signature") from None
        except jwt.InvalidAudienceError:
            raise AuthError("wrong_audience") from None
        except jwt.InvalidIssuerError:
            raise AuthError("wrong_issuer") from None
        except jwt.PyJWTError:
            raise AuthError("malformed") from None
        return self._principal(payload, _utc(now).timestamp())

    def _principal(self, payload: dict[str, Any], now: float) -> Principal:
        times = [payload["iat"], payload["nbf"], payload["exp"]]
        if not all(isinstance(t, int) and not isinstance(t, bool) for t in times):
            raise AuthError("malformed")
        iat, nbf, exp = times
        leeway = self.leeway.total_seconds()
        if exp <= now - leeway:
            raise AuthError("expired")
        if nbf > now + leeway or iat > now + leeway:
            raise AuthError("not_yet_valid")
        roles, subject, token_id = payload["roles"], payload["sub"], payload["jti"]
        if not (isinstance(roles, list) and all(isinstance(role, str) for role in roles)):
            raise AuthError("malformed")
        if not (isinstance(subject, str) and subject and isinstance(token_id, str) and token_id):
            raise AuthError("malformed")
        try:
            issued_at, expires_at = datetime.fromtimestamp(iat, UTC), datetime.fromtimestamp(exp, UTC)
        except (OverflowError, OSError, ValueError):
            raise AuthError("malformed") from None
        return Principal(
            subject=subject, roles=frozenset(roles), token_id=token_id, issued_at=issued_at, expires_at=expires_at,
            claims=MappingProxyType({k: v for k, v in payload.items() if k not in _REGISTERED}),
        )


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------------------------------------------
# Roles


class StaffRole(StrEnum):
    """Viewer < collector < supervisor < admin: each may do what the ones below it may. Welfare stands apart:
    welfare case data is allowed to welfare staff only, so no other role implies it, not even admin."""

    VIEWER = "viewer"
    COLLECTOR = "collector"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    WELFARE = "welfare"
    #: Grants and withdraws the welfare roles (and only those): welfare data is the welfare division's to give.
    WELFARE_ADMIN = "welfare_admin"


#: Roles only a welfare administrator may grant or withdraw (not an admin of collection).
WELFARE_ROLES = frozenset({StaffRole.WELFARE.value, StaffRole.WELFARE_ADMIN.value})


_HIERARCHY: tuple[StaffRole, ...] = (StaffRole.VIEWER, StaffRole.COLLECTOR, StaffRole.SUPERVISOR, StaffRole.ADMIN)
_RANK = {role.value: rank for rank, role in enumerate(_HIERARCHY)}


def role_allows(held: Iterable[str], needed: StaffRole) -> bool:
    """Whether any of the ``held`` roles allows what ``needed`` may do. Unknown role names allow nothing."""
    needed = StaffRole(needed)
    held_set = {held} if isinstance(held, str) else set(held)
    if needed not in _RANK:
        return needed.value in held_set
    return any(_RANK.get(role, -1) >= _RANK[needed] for role in held_set)


def roles_in_force(token_roles: Iterable[str], current_roles: Iterable[str]) -> frozenset[str]:
    """The roles a request may use: what both the token (issued with) and the account (holds now) allow.

    A role is kept when the token's roles allow it and the account's current roles allow it too, so a withdrawn
    or lowered role stops at once (a supervisor's token of an account now a viewer works as a viewer's), and a
    role granted after sign-in needs a new sign-in (a collector's token does not become an admin's)."""
    token = {token_roles} if isinstance(token_roles, str) else set(token_roles)
    current = {current_roles} if isinstance(current_roles, str) else set(current_roles)
    kept = set()
    for role in token | current:
        try:
            needed = StaffRole(role)
        except ValueError:
            if role in token and role in current:
                kept.add(role)
            continue
        if role_allows(token, needed) and role_allows(current, needed):
            kept.add(role)
    return frozenset(kept)


def grant_refusal(granter_roles: Iterable[str], changed_roles: Iterable[str]) -> str | None:
    """Why someone holding ``granter_roles`` may not grant or withdraw ``changed_roles`` (None: they may).

    The welfare roles are granted only by a welfare administrator (welfare data is the welfare division's to
    give, not collection's); every other role only by an admin."""
    held = {granter_roles} if isinstance(granter_roles, str) else set(granter_roles)
    changed = {changed_roles} if isinstance(changed_roles, str) else set(changed_roles)
    if changed & WELFARE_ROLES and StaffRole.WELFARE_ADMIN.value not in held:
        return "only a welfare administrator (welfare_admin) may grant or withdraw the welfare roles"
    if changed - WELFARE_ROLES and not role_allows(held, StaffRole.ADMIN):
        return "only an admin may grant or withdraw these roles"
    return None


# ---------------------------------------------------------------------------------------------------------------
# FastAPI

RevocationCheck = Callable[[Principal], Awaitable[bool]]
#: The roles the account behind a verified token holds *now* (``None``: unknown, disabled or signed out), from the
#: one authority for staff accounts: collection's own table there, collection's ``GET /auth/authority`` elsewhere
#: (shared/staff_authority.py). Arguments: the principal and the raw token.
CurrentRoles = Callable[[Principal, str], Awaitable[frozenset[str] | None]]

_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_INVALID_TOKEN_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Authenticator:
    """FastAPI dependencies for one app's bearer tokens: ``Depends(auth.require(StaffRole.COLLECTOR))`` gives the
    route the ``Principal``, or answers 401 (no, bad, expired or revoked token) or 403 (role too low).

    ``is_revoked`` is awaited for every verified token (e.g. a lookup of ``token_id`` or of the subject's
    disabled flag); an exception from it propagates, so a failing revocation store refuses rather than admits.
    """

    def __init__(self, issuer: TokenIssuer, is_revoked: RevocationCheck | None = None, *,
                 scheme_name: str | None = None, description: str | None = None,
                 current_roles: CurrentRoles | None = None):
        self.issuer = issuer
        self.is_revoked = is_revoked
        self.current_roles = current_roles
        self._bearer = HTTPBearer(auto_error=False, bearerFormat="JWT", scheme_name=scheme_name,
                                  description=description)

    async def authenticate(self, credentials: HTTPAuthorizationCredentials | None) -> Principal:
        """The principal of a presented bearer token, or ``HTTPException(401)``."""
        if credentials is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated", headers=_CHALLENGE)
        try:
            principal = self.issuer.verify(credentials.credentials)
            if self.is_revoked is not None and await self.is_revoked(principal):
                raise AuthError("revoked")
            if self.current_roles is not None:
                held = await self.current_roles(principal, credentials.credentials)
                if held is None:
                    raise AuthError("revoked")
                # Only what the token was issued with AND the account holds now: a withdrawn role stops at once,
                # a granted one needs a new sign-in.
                principal = replace(principal, roles=roles_in_force(principal.roles, held))
        except AuthError as refused:
            log.info("bearer token refused", extra={"reason": refused.reason})
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token",
                                headers=_INVALID_TOKEN_CHALLENGE) from None
        return principal

    def require(self, role: StaffRole) -> Callable[..., Awaitable[Principal]]:
        """A dependency admitting a valid token whose roles allow ``role``."""
        bearer = self._bearer

        async def principal_with_role(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        ) -> Principal:
            principal = await self.authenticate(credentials)
            if not role_allows(principal.roles, role):
                log.info("role refused", extra={"needed_role": role.value, "token_id": principal.token_id})
                raise HTTPException(status.HTTP_403_FORBIDDEN, "insufficient role")
            return principal

        principal_with_role.__name__ = f"require_{role.value}"
        return principal_with_role


def require_staff(role: StaffRole, scheme: Callable[..., Awaitable[str | None]], *,
                  state_attribute: str = "authenticator") -> Callable[..., Awaitable[Principal]]:
    """A dependency like ``Authenticator.require`` for apps that build their ``Authenticator`` at start-up and keep it
    in ``request.app.state.<state_attribute>``; ``scheme`` is the security scheme that reads the bearer token (e.g. an
    ``OAuth2PasswordBearer(auto_error=False)``, which also gives the docs a sign-in button)."""

    async def staff_with_role(request: Request, token: Annotated[str | None, Depends(scheme)]) -> Principal:
        authenticator: Authenticator = getattr(request.app.state, state_attribute)
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None
        principal = await authenticator.authenticate(credentials)
        if not role_allows(principal.roles, role):
            log.info("role refused", extra={"needed_role": role.value, "token_id": principal.token_id})
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {role.value} role")
        return principal

    staff_with_role.__name__ = f"require_{role.value}"
    return staff_with_role


def authenticated_staff(scheme: Callable[..., Awaitable[str | None]], *,
                        state_attribute: str = "authenticator") -> Callable[..., Awaitable[Principal]]:
    """Like ``require_staff`` but for any role: a valid token of an active account (e.g. who-am-I questions)."""

    async def any_staff(request: Request, token: Annotated[str | None, Depends(scheme)]) -> Principal:
        authenticator: Authenticator = getattr(request.app.state, state_attribute)
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None
        return await authenticator.authenticate(credentials)

    return any_staff


def bearer_token_scheme(scheme_name: str, description: str) -> Callable[..., Awaitable[str | None]]:
    """A security scheme for ``require_staff`` that reads a bearer token (a paste-the-token button in the docs);
    for services that do not sign anyone in themselves."""
    bearer = HTTPBearer(auto_error=False, scheme_name=scheme_name, bearerFormat="JWT", description=description)

    async def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str | None:
        return credentials.credentials if credentials else None

    return bearer_token


def refuse_public_keys(value: str, environment: str | None, setting: str, *public: str) -> str:
    """For a settings validator: the development signing keys are in the source, so only a development or test
    deployment may use them (shared/deployment.py): every other environment refuses them anywhere in the list."""
    from shared.deployment import refuse_published_secrets

    return refuse_published_secrets(value, environment, setting, public)


#: Staff tokens are issued by the collection service (POST /auth/token) and accepted by every staff-facing API.
STAFF_TOKEN_ISSUER = "collection"
STAFF_TOKEN_AUDIENCE = "central-api"
#: The signing key of development and tests (public: refused outside development and test by the settings).
DEVELOPMENT_STAFF_KEYS = "dev:collection-development-signing-key-not-for-production"
