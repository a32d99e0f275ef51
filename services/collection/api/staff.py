"""Staff sign-in, who am I, and the accounts an administrator manages. Passwords are kept as scrypt hashes; a token
stops working at once when its account is disabled or signed out everywhere."""

import logging
import math
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from services.collection.api.deps import Admin, AnyStaff, BusinessDate, Connection, audit, audit_read
from services.collection.stores import staff as store
from shared.auth import Principal, StaffRole, TokenIssuer, grant_refusal, hash_password, verify_password
from shared.sign_in_limits import SignInLimits, account_label, client_address

router = APIRouter(tags=["staff"])
log = logging.getLogger(__name__)

#: Verified against when the staff id is unknown, so a wrong id costs the same time as a wrong password.
_UNKNOWN_STAFF_HASH = hash_password("an account that does not exist")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds")
    roles: list[str]


@router.post("/auth/token", response_model=Token, summary="Sign in (OAuth2 password flow): a bearer token",
             responses={429: {"description": "Too many wrong passwords for this account or from this address"}})
async def sign_in(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request,
                  conn: Connection) -> Token:
    limits: SignInLimits = request.app.state.sign_in_limits
    address = client_address(request.client.host if request.client else None,
                             request.headers.get("x-forwarded-for"), request.app.state.trusted_proxies)
    submitted = form.username[:64]
    if refusal := limits.check(address, submitted):
        label = account_label(submitted, await store.account_exists(conn, submitted))
        log.warning("sign-in refused by its limit", extra={"limit": refusal.scope, "account": label,
                                                           "retry_after": round(refusal.retry_after)})
        await audit(conn, label, "sign_in_throttled", "auth", limit=refusal.scope)
        raise HTTPException(429, "too many wrong passwords: try again later",
                            headers={"Retry-After": str(max(1, math.ceil(refusal.retry_after)))})
    account = await store.load_credentials(conn, form.username)
    valid = verify_password(form.password, account["password_hash"] if account else _UNKNOWN_STAFF_HASH)
    if account is None or not valid or not account["active"]:
        label = account_label(submitted, account is not None)
        lockout = limits.failed(address, submitted)
        if lockout:
            log.warning("staff account locked after wrong passwords", extra={"account": label,
                                                                             "lockout_seconds": lockout})
        await audit(conn, label, "sign_in_refused", "auth", **({"lockout_seconds": lockout} if lockout else {}))
        raise HTTPException(401, "wrong staff id or password, or the account is disabled",
                            headers={"WWW-Authenticate": "Bearer"})
    limits.succeeded(submitted)
    issuer: TokenIssuer = request.app.state.authenticator.issuer
    token = issuer.issue(account["staff_id"], account["roles"])
    await audit(conn, account["staff_id"], "sign_in", "auth")
    return Token(access_token=token, expires_in=int(issuer.ttl.total_seconds()), roles=sorted(account["roles"]))


class Me(BaseModel):
    staff_id: str
    roles: list[str]
    expires_at: datetime
    business_date: date = Field(description="The one business date every service works on (BUSINESS_DATE; unset: "
                                            "today in Asia/Tokyo)")


@router.get("/auth/me", response_model=Me, summary="Who the token speaks for, with the roles it may use now")
async def who_am_i(staff: AnyStaff, today: BusinessDate) -> Me:
    return Me(staff_id=staff.subject, roles=sorted(staff.roles), expires_at=staff.expires_at, business_date=today)


class Authority(BaseModel):
    staff_id: str
    roles: list[str] = Field(description="The roles the token may use now: issued with it and still held")


@router.get("/auth/authority", response_model=Authority,
            summary="The one authority for staff accounts: is the token's account active, with which roles now")
async def staff_authority(staff: AnyStaff) -> Authority:
    """Asked by the other services with the token they were shown (shared/staff_authority.py), which they
    cache for at most a minute: 401 when the account is unknown, disabled or signed out, else its roles now."""
    return Authority(staff_id=staff.subject, roles=sorted(staff.roles))


class StaffAccount(BaseModel):
    staff_id: str
    display_name: str
    roles: list[StaffRole]
    active: bool
    created_at: datetime


class NewStaff(BaseModel):
    staff_id: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    display_name: str = Field(min_length=1, max_length=100)
    roles: list[StaffRole] = Field(min_length=1)
    password: str = Field(min_length=12, max_length=200, description="At least 12 characters")


@router.get("/staff", response_model=list[StaffAccount], summary="Staff accounts (admin)")
async def list_staff(conn: Connection, staff: Admin) -> list[StaffAccount]:
    rows = await store.list_accounts(conn)
    await audit_read(conn, staff, "list_staff", "staff", [r["staff_id"] for r in rows])
    return [StaffAccount(**dict(r)) for r in rows]


def _may_grant(staff: Principal, changed: set[str]) -> None:
    if refusal := grant_refusal(staff.roles, changed):
        raise HTTPException(403, refusal)


@router.post("/staff", response_model=StaffAccount, status_code=201,
             summary="Create a staff account (admin; the welfare roles: welfare_admin)")
async def create_staff(body: NewStaff, conn: Connection, staff: AnyStaff) -> StaffAccount:
    _may_grant(staff, {r.value for r in body.roles})
    row = await store.create_account(conn, staff_id=body.staff_id, display_name=body.display_name,
                                     password_hash=hash_password(body.password), roles=[r.value for r in body.roles])
    if row is None:
        raise HTTPException(409, f"staff id {body.staff_id} exists")
    await audit(conn, staff, "create_staff", body.staff_id, roles=[r.value for r in body.roles])
    return StaffAccount(**dict(row))


class NewRoles(BaseModel):
    roles: list[StaffRole] = Field(min_length=1)


@router.put("/staff/{staff_id}/roles", response_model=StaffAccount,
            summary="Change an account's roles: effective everywhere within a minute (admin; welfare: welfare_admin)")
async def change_roles(staff_id: Annotated[str, Path(max_length=64)], body: NewRoles, conn: Connection,
                       staff: AnyStaff) -> StaffAccount:
    async with conn.transaction():
        before = await store.lock_roles(conn, staff_id)
        if before is None:
            raise HTTPException(404, f"no staff id {staff_id}")
        roles = sorted({r.value for r in body.roles})
        _may_grant(staff, set(before) ^ set(roles))
        row = await store.set_roles(conn, staff_id, roles)
        await audit(conn, staff, "change_roles", staff_id, before=sorted(before), after=roles)
    return StaffAccount(**dict(row))


@router.post("/staff/{staff_id}/disable", response_model=StaffAccount,
             summary="Disable an account: its tokens are refused from now on (admin)")
async def disable_staff(staff_id: Annotated[str, Path(max_length=64)], conn: Connection, staff: Admin) -> StaffAccount:
    row = await store.disable_account(conn, staff_id)
    if row is None:
        raise HTTPException(404, f"no staff id {staff_id}")
    await audit(conn, staff, "disable_staff", staff_id)
    return StaffAccount(**dict(row))
