"""The firms' API: sign in with client credentials, list and read the cases the firm holds, record what the
lawyer did, hand a case back, download a watermarked case file.

Every route but sign-in needs the firm's bearer token; the case data comes only through ``FirmCases`` built
from that token (services/lawyer_gateway/store.py), so a case of another firm, a withdrawn case and an unknown
id all answer 404 alike. Every request is audit-logged (the middleware in app.py) with the fields returned.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError

from contracts import RECEIVABLES, ScheduledInstallment
from services.lawyer_gateway.case_file import CaseFileActivity, CaseFileClaim, CaseFileData, render_case_file
from services.lawyer_gateway.store import Client, FirmCases, authenticate_client
from shared.auth import Authenticator, TokenIssuer
from shared.clock import business_date as one_business_date
from shared.documents import Addressee, ClaimLine, Reminder, refusal_reason, render_pdf
from shared.documents.letterhead import load_letterhead
from shared.sign_in_limits import client_address

TOKYO = ZoneInfo("Asia/Tokyo")


class Problem(BaseModel):
    """Why a request was refused, in words (never with the personal data it carried)."""

    detail: str


log = logging.getLogger(__name__)
router = APIRouter(responses={
    401: {"model": Problem, "description": "No valid token: missing, expired, forged, revoked or for another API"},
    403: {"model": Problem, "description": "The token lacks the scope this needs"},
    413: {"model": Problem, "description": "Request body too large"},
    429: {"model": Problem, "description": "Too many requests from this client: retry after Retry-After seconds"},
})
NOT_FOUND = {404: {"model": Problem, "description": "No such case for your firm (another firm's, withdrawn or "
                                                     "unknown: all the same)"}}
BAD_REQUEST = {400: {"model": Problem, "description": "The request is incomplete or inconsistent"}}
_bearer = HTTPBearer(auto_error=False, scheme_name="FirmToken", bearerFormat="JWT",
                     description="A firm token from POST /oauth/token (client credentials)")
CONTACT_FIELDS = ["name_kanji", "name_kana", "postal_code", "address", "phone"]


async def get_connection(request: Request):  # type: ignore[no-untyped-def]
    async with request.app.state.pool.acquire() as conn:
        yield conn


Connection = Annotated[asyncpg.Connection, Depends(get_connection)]


def _limit(request: Request, key: str) -> None:
    limiter = request.app.state.limiter
    if not limiter.allow(key):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many requests",
                            headers={"Retry-After": str(max(1, round(limiter.retry_after(key))))})


async def current_client(request: Request,
                         credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Client:
    """The firm's client behind a valid token (401 otherwise), within its rate limit (429)."""
    authenticator: Authenticator = request.app.state.firm_authenticator
    principal = await authenticator.authenticate(credentials)
    client = Client(principal.subject, str(principal.claims.get("firm")), str(principal.claims.get("lawyer")))
    request.state.client = client
    request.state.scopes = set(str(principal.claims.get("scope", "")).split())
    _limit(request, client.client_id)
    return client


def _require_scope(request: Request, scope: str) -> None:
    if scope not in request.state.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {scope} scope")


async def firm_cases(client: Annotated[Client, Depends(current_client)], conn: Connection) -> FirmCases:
    return FirmCases(conn, client.firm_code, client.lawyer_id)


Cases = Annotated[FirmCases, Depends(firm_cases)]
CaseRef = Annotated[str, Path(pattern=r"^[0-9]{1,18}$", description="The case number the city gave the firm")]


def _watch(request: Request, client: Client, case_ref: str | None, visible: bool) -> None:
    """Feed the unusual-access watch; alerts are written by the middleware with the audit row."""
    request.state.alerts = request.app.state.watch.record(client.lawyer_id, case_ref, visible=visible)


def _returned(request: Request, *fields: str) -> None:
    request.state.fields = list(fields)


# --- Sign-in -------------------------------------------------------------------------------------------------------


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    scope: str


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


@router.post("/oauth/token", response_model=Token, tags=["sign-in"], responses=BAD_REQUEST,
             summary="OAuth2 client credentials: a short-lived token for one lawyer of one firm")
async def issue_token(
    request: Request,
    conn: Connection,
    grant_type: Annotated[str, Form(pattern="^client_credentials$")],
    client_id: Annotated[str | None, Form(max_length=100)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
) -> Token:
    address = client_address(request.client.host if request.client else None,
                             request.headers.get("x-forwarded-for"), request.app.state.trusted_proxies)
    if not request.app.state.sign_in_limiter.allow(address):
        log.warning("token requests limited for a client address")
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many token requests from this address",
                            headers={"Retry-After": str(max(1, round(
                                request.app.state.sign_in_limiter.retry_after(address))))})
    given = _basic(request) or ((client_id, client_secret) if client_id and client_secret else None)
    if given is None:
        raise HTTPException(400, "client_id and client_secret are required (form fields or HTTP Basic)")
    _limit(request, f"sign-in:{given[0]}")
    client = await authenticate_client(conn, *given)
    if client is None:
        raise HTTPException(401, "invalid client", headers={"WWW-Authenticate": "Basic"})
    request.state.client = client
    issuer: TokenIssuer = request.app.state.firm_authenticator.issuer
    scope = "cases:read activities:write"
    token = issuer.issue(client.client_id, ["firm"], extra={"firm": client.firm_code, "lawyer": client.lawyer_id,
                                                            "scope": scope})
    return Token(access_token=token, expires_in=int(issuer.ttl.total_seconds()), scope=scope)


# --- Cases ---------------------------------------------------------------------------------------------------------


class Contact(BaseModel):
    name_kanji: str | None = None
    name_kana: str | None = None
    postal_code: str | None = None
    address: str | None = None
    phone: str | None = None
    address_withheld: bool = Field(False, description="DV等支援措置: the city does not give the address; it mails "
                                                     "this debtor itself")


class ClaimView(BaseModel):
    claim_id: str
    department: str
    receivable_type: str
    legal_category: Literal["non_forced_public", "private"]
    fiscal_year: int
    due_date: date
    balance: int = Field(description="Yen")


class CaseSummary(BaseModel):
    case_ref: str
    as_of: date
    name_kanji: str | None
    total_balance: int
    claim_count: int


class CasePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CaseSummary]


class ActivityView(BaseModel):
    activity_id: str
    kind: str
    occurred_on: date
    lawyer_id: str
    note: str
    amount: int | None
    promised_on: date | None


class CaseView(BaseModel):
    case_ref: str
    as_of: date
    contact: Contact
    claims: list[ClaimView]
    total_balance: int
    activities: list[ActivityView]


@router.get("/cases", response_model=CasePage, tags=["cases"], summary="The cases your firm holds")
async def list_cases(request: Request, cases: Cases,
                     limit: Annotated[int, Query(ge=1, le=50)] = 20,
                     offset: Annotated[int, Query(ge=0, le=100_000)] = 0) -> CasePage:
    _require_scope(request, "cases:read")
    rows = await cases.page(limit, offset)
    _watch(request, request.state.client, None, True)
    _returned(request, "case_ref", "name_kanji", "total_balance")
    request.state.returned_ids = [r["case_ref"] for r in rows]
    return CasePage(total=await cases.count(), limit=limit, offset=offset, items=[
        CaseSummary(case_ref=r["case_ref"], as_of=r["as_of"], name_kanji=(r["contact"] or {}).get("name_kanji"),
                    total_balance=r["total_balance"], claim_count=len(r["claims"])) for r in rows])


async def _case_or_404(request: Request, cases: FirmCases, case_ref: str) -> asyncpg.Record:
    _require_scope(request, "cases:read")
    row = await cases.get(case_ref)
    _watch(request, request.state.client, case_ref, row is not None)
    if row is None:
        raise HTTPException(404, "no such case for your firm")
    return row


@router.get("/cases/{case_ref}", response_model=CaseView, tags=["cases"], responses=NOT_FOUND,
            summary="One case your firm holds")
async def get_case(request: Request, case_ref: CaseRef, cases: Cases) -> CaseView:
    row = await _case_or_404(request, cases, case_ref)
    activities = await cases.activities(case_ref)
    _returned(request, *CONTACT_FIELDS, "claims", "total_balance", "activities")
    return CaseView(case_ref=row["case_ref"], as_of=row["as_of"], contact=Contact(**(row["contact"] or {})),
                    claims=[ClaimView(**c) for c in row["claims"]], total_balance=row["total_balance"],
                    activities=[ActivityView(**dict(a)) for a in activities])


class NewActivity(BaseModel):
    """What the lawyer did. ``case_returned`` hands the case back to the city (the reason in ``note``)."""

    kind: Literal["contact", "payment_promise", "installment_agreed", "payment_received", "case_returned"]
    occurred_on: date
    note: str = Field(default="", max_length=1000, pattern=r"^[^\x00]*$",
                      description="Free text (no NUL characters: PostgreSQL text cannot hold them)")
    amount: int | None = Field(default=None, gt=0, le=10_000_000_000)
    promised_on: date | None = None
    schedule: list[ScheduledInstallment] = Field(default_factory=list, max_length=120)


@router.post("/cases/{case_ref}/activities", response_model=ActivityView, status_code=201, tags=["cases"],
             responses={**NOT_FOUND, **BAD_REQUEST},
             summary="Record a contact, promise, installment plan or payment, or hand the case back")
async def record_activity(request: Request, case_ref: CaseRef, body: NewActivity, cases: Cases) -> ActivityView:
    _require_scope(request, "activities:write")
    today = one_business_date(request.app.state.configured_business_date)
    if body.occurred_on > today:
        raise HTTPException(400, "occurred_on: in the future")
    try:
        activity = await cases.record_activity(case_ref, body.model_dump())
    except ValidationError as invalid:  # the contract's rules: a promise needs an amount and a date, …
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'activity'}: {e['msg']}"
                             for e in invalid.errors(include_input=False))
        raise HTTPException(400, problems) from None
    _watch(request, request.state.client, case_ref, activity is not None)
    if activity is None:
        raise HTTPException(404, "no such case for your firm")
    await request.app.state.relay.flush()
    _returned(request, "activity_id")
    return ActivityView(activity_id=activity.activity_id, kind=activity.kind, occurred_on=activity.occurred_on,
                        lawyer_id=activity.lawyer_id, note=activity.note, amount=activity.amount,
                        promised_on=activity.promised_on)


@router.get("/cases/{case_ref}/file", tags=["cases"], response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, **NOT_FOUND},
            summary="The case file as CSV, watermarked with who downloaded it and when")
async def download_case_file(request: Request, case_ref: CaseRef, cases: Cases) -> Response:
    row = await _case_or_404(request, cases, case_ref)
    activities = await cases.activities(case_ref)
    client: Client = request.state.client
    contact: dict[str, Any] = row["contact"] or {}
    content, watermark = render_case_file(
        CaseFileData(case_ref=row["case_ref"], name_kanji=contact.get("name_kanji"), name_kana=contact.get("name_kana"),
                     address=contact.get("address"), postal_code=contact.get("postal_code"),
                     phone=contact.get("phone"), address_withheld=bool(contact.get("address_withheld")), total_balance=row["total_balance"],
                     claims=tuple(CaseFileClaim(c["claim_id"], c["department"], c["receivable_type"],
                                                c["legal_category"], c["fiscal_year"],
                                                date.fromisoformat(c["due_date"]), c["balance"])
                                  for c in row["claims"]),
                     activities=tuple(CaseFileActivity(a["occurred_on"], a["kind"], a["lawyer_id"], a["note"])
                                      for a in activities)),
        downloaded_by=f"{client.lawyer_id} ({client.client_id})", firm_name=client.firm_code,
        downloaded_at=datetime.now(TOKYO))
    _returned(request, *CONTACT_FIELDS, "claims", "total_balance", "activities", f"watermark:{watermark}")
    return Response(content, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="case-{case_ref}.csv"',
                             "X-Watermark-Id": watermark})


@router.get("/cases/{case_ref}/documents/reminder.pdf", tags=["cases"], response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, **NOT_FOUND, **BAD_REQUEST},
            summary="A reminder (催告書) for a case your firm holds, as a PDF: only the claims you hold")
async def download_reminder(request: Request, case_ref: CaseRef, cases: Cases,
                            severity: Literal["first", "second", "final"] = "first") -> Response:
    """Printed from what the firm holds (never a tax or forced-collection claim: the contract cannot carry one,
    and the renderer refuses one on a firm's document), with the city's letterhead; numbered by the case and
    the day, not by the city's register."""
    row = await _case_or_404(request, cases, case_ref)
    contact: dict[str, Any] = row["contact"] or {}
    if contact.get("address_withheld"):
        raise HTTPException(409, "the city does not give this debtor's address (DV等支援措置) and mails them itself: "
                                 "ask the collection division to send the letter")
    today = one_business_date(request.app.state.configured_business_date)
    letterhead = load_letterhead()
    try:
        document = Reminder(
            document_number=f"委託{case_ref}-{today:%Y%m%d}", issued_on=today, issuer=letterhead.issuer,
            for_outsourced_firm=True, severity=severity, unified=False, reply_by=today + timedelta(days=14),
            addressee=Addressee(postal_code=contact.get("postal_code") or "", address=contact.get("address") or "",
                                name=contact.get("name_kanji") or "", name_kana=contact.get("name_kana")),
            claims=tuple(ClaimLine(department=c["department"], receivable=_receivable_label(c["receivable_type"]),
                                   receivable_type=c["receivable_type"], fiscal_year=c["fiscal_year"],
                                   installment="全期", due_date=date.fromisoformat(c["due_date"]),
                                   principal=c["balance"], legal_category=c["legal_category"])
                         for c in row["claims"] if c["balance"] > 0))
        content = await asyncio.to_thread(render_pdf, document)
    except ValueError as refused:  # e.g. no postal code on record: say which field, never its value
        raise HTTPException(400, f"the case cannot be printed: {refusal_reason(refused)}") from None
    _returned(request, *CONTACT_FIELDS, "claims", "document:reminder")
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="reminder-{case_ref}.pdf"'})


def _receivable_label(code: str) -> str:
    spec = RECEIVABLES.get(code)
    return spec.name_ja if spec else code
