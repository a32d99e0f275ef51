"""The welfare referral API: collection staff see suggested referrals and move them (inform, consent, refer,
decline, close); welfare staff (their own ``welfare`` role) work their inbox (acknowledge, record the outcome);
supervisors plan consultation days (納付相談会) and everyone with a staff role reads the funnel report.

Staff tokens come from the collection service's POST /auth/token. Every read of personal data (lists, standings,
invitations, the funnel, the inbox, one referral) is audit-logged with the ids it returned (``shared.audit``).
Lists carry codes and generated reasons, never staff free text (``consent_scopes.list_reasons``); collection
staff never see welfare's notes (``consent_scopes.visible_reason``); welfare sees what consent covers, by the
same filter as the webhook (``assessment.referral_payload``). Refusals say what is wrong (wrong state, wrong role,
consent missing) and never name the person.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from contracts import DebtorStandingChanged
from services.welfare_referral import read_models, store
from services.welfare_referral.assessment import referral_payload
from services.welfare_referral.consent_scopes import (
    default_scopes,
    is_collection_staff,
    list_reasons,
    visible_reason,
    welfare_detail,
)
from services.welfare_referral.delivery import retry_failed
from services.welfare_referral.lifecycle import (
    CONSENT_SCOPES,
    TRANSITIONS,
    Consent,
    Event,
    EventKind,
    Outcome,
    ReferralState,
    TransitionRefused,
    is_open,
)
from services.welfare_referral.report import ReferredPerson, funnel_rows
from shared.auth import Principal, StaffRole, bearer_token_scheme, require_staff, role_allows

router = APIRouter()

_bearer = bearer_token_scheme("StaffToken", "A staff token from the collection service's POST /auth/token")
Viewer = Annotated[Principal, Depends(require_staff(StaffRole.VIEWER, _bearer))]
Collector = Annotated[Principal, Depends(require_staff(StaffRole.COLLECTOR, _bearer))]
Supervisor = Annotated[Principal, Depends(require_staff(StaffRole.SUPERVISOR, _bearer))]
Welfare = Annotated[Principal, Depends(require_staff(StaffRole.WELFARE, _bearer))]


async def _any_staff(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal:
    """Any signed-in staff member; the lifecycle decides what their roles allow."""
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None
    return await request.app.state.authenticator.authenticate(credentials)


Staff = Annotated[Principal, Depends(_any_staff)]


async def _connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.pool.acquire() as conn:
        yield conn


Connection = Annotated[asyncpg.Connection, Depends(_connection)]


async def _business_date(request: Request) -> date:
    return request.app.state.business_date()


BusinessDate = Annotated[date, Depends(_business_date)]


def _day(on: date | None, today: date) -> date:
    if on is None:
        return today
    if on > today:
        raise HTTPException(422, f"on: {on} is after the business date {today}")
    return on


# --- models ---------------------------------------------------------------------------------------------------


class HistoryOut(BaseModel):
    kind: str
    on: date
    by: str
    role: str
    from_state: str | None
    to_state: str
    reason: str


class DeliveryOut(BaseModel):
    delivery_id: int
    referral_id: str
    event: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class ReferralSummary(BaseModel):
    referral_id: str
    debtor_id: str
    state: str
    origin: str = Field(description="signals: suggested by the hardship signals; staff: opened by a collector")
    suggested_on: date
    points: int | None = Field(description="The signals' points (withheld from welfare staff)")
    signals: list[str]
    reasons: list[str] = Field(description="Why, in words: generated from codes and counts; a collector's own "
                                           "words only in the single read (GET /referrals/{id})")
    consent_scope: list[str] | None
    outcome: str | None


class ReferralDetail(ReferralSummary):
    consent_by: str | None
    consent_on: date | None
    shared_details: dict[str, Any] | None = Field(description="What the person agreed to share (personal data)")
    history: list[HistoryOut]
    deliveries: list[DeliveryOut]
    baseline_arrears: int | None = Field(description="Yen overdue at suggestion (withheld from welfare staff)")
    baseline_collected: int | None


class NewReferral(BaseModel):
    debtor_id: str = Field(min_length=1, max_length=80)
    reason: str = Field(min_length=1, max_length=500, description="Why staff judge the person needs help")
    on: date | None = None


class EventIn(BaseModel):
    kind: EventKind
    on: date | None = Field(None, description="The business date when omitted")
    scope: list[str] | None = Field(None, description=f"record_consent: what the person agreed to share, among "
                                                      f"{', '.join(sorted(CONSENT_SCOPES))}")
    outcome: Outcome | None = Field(None, description="record_outcome")
    reason: str = Field("", max_length=500, description="decline / close: why")
    details: dict[str, Any] | None = Field(None, description="refer: what the person gave for welfare, by consent "
                                                             "scope (contact, household, consultation_notes)")


class WelfareAck(BaseModel):
    on: date | None = None


class WelfareOutcome(BaseModel):
    outcome: Outcome
    on: date | None = None
    note: str = Field("", max_length=500)


class ConsultationDayIn(BaseModel):
    held_on: date
    venue: str = Field(min_length=1, max_length=200)
    welfare_desk: str = Field(min_length=1, max_length=200, description="e.g. 福祉総合相談課, 社会福祉協議会")


class InviteIn(BaseModel):
    limit: int = Field(200, ge=1, le=5000)


class AttendanceIn(BaseModel):
    attended: bool


class ConsultationDayOut(BaseModel):
    day_id: int
    held_on: date
    venue: str
    welfare_desk: str
    invited: int
    attended: int
    referred_same_day: int = Field(description="Attendees whose referral was handed to welfare on the day")
    connected: int = Field(description="Attendees whose referral later connected to support")


# --- referrals (collection staff) -------------------------------------------------------------------------------


def _summary(row: asyncpg.Record) -> dict[str, Any]:
    """A referral as lists show it: codes and generated reasons, no one's free text."""
    summary = {k: row[k] for k in ("referral_id", "debtor_id", "state", "origin", "suggested_on", "points",
                                   "signals", "consent_scope", "outcome")}
    summary["reasons"] = list_reasons(row["signals"], row["reasons"], default_scopes())
    return summary


@router.get("/referrals", response_model=list[ReferralSummary], tags=["referrals"],
            summary="Referrals, newest first (no personal data)")
async def list_referrals(staff: Viewer, conn: Connection, state: ReferralState | None = None,
                         debtor_id: str | None = None, limit: int = Query(100, ge=1, le=1000),
                         offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    rows = await read_models.list_referrals(conn, state=state.value if state else None, debtor_id=debtor_id,
                                            limit=limit, offset=offset)
    await store.audit_read(conn, staff, "list_referrals", None, [r["referral_id"] for r in rows],
                           debtor_ids=[r["debtor_id"] for r in rows], state=state.value if state else None,
                           debtor_id=debtor_id, limit=limit, offset=offset)
    return [_summary(r) for r in rows]


async def _detail(conn: asyncpg.Connection, referral_id: str, reader: Principal) -> dict[str, Any]:
    """One referral as ``reader`` may see it: collection staff see the collector's own reasons in full, never
    welfare's notes; welfare staff only see what the consent covers (``welfare_detail``), never collection's
    notes."""
    row = await read_models.referral_row(conn, referral_id)
    if row is None:
        raise HTTPException(404, f"no referral {referral_id}")
    history = await read_models.referral_history(conn, referral_id)
    deliveries = await read_models.referral_deliveries(conn, referral_id)
    return {**_summary(row), "reasons": list(row["reasons"]),
            "consent_by": row["consent_by"], "consent_on": row["consent_on"],
            "shared_details": row["shared_details"], "baseline_arrears": row["baseline_arrears"],
            "baseline_collected": row["baseline_collected"],
            "history": [HistoryOut(kind=h["kind"], on=h["done_on"], by=h["done_by"], role=h["role"],
                                   from_state=h["from_state"], to_state=h["to_state"],
                                   reason=visible_reason(h["role"], h["reason"], reader.roles))
                        for h in history],
            "deliveries": [_delivery(d) for d in deliveries],
            **({} if is_collection_staff(reader.roles) else welfare_detail(
                signals=row["signals"], reasons=row["reasons"], shared_details=row["shared_details"],
                consented=(row["consent_scope"] or []) if is_open(row["state"]) else [], policy=default_scopes()))}


def _delivery(row: asyncpg.Record) -> DeliveryOut:
    return DeliveryOut(**{k: row[k] for k in DeliveryOut.model_fields})


@router.get("/referrals/{referral_id}", response_model=ReferralDetail, tags=["referrals"],
            summary="One referral with its history, consent, shared details and deliveries (audit-logged)")
async def get_referral(referral_id: str, staff: Collector, conn: Connection) -> dict[str, Any]:
    detail = await _detail(conn, referral_id, staff)
    await store.audit_read(conn, staff, "read_referral", referral_id, [referral_id],
                           debtor_ids=[detail["debtor_id"]], fields=sorted((detail["shared_details"] or {}).keys()))
    return detail


@router.post("/referrals", status_code=201, response_model=ReferralDetail, tags=["referrals"],
             summary="Open a referral on a collector's judgement (e.g. the person asked for help)")
async def open_referral(body: NewReferral, staff: Collector, conn: Connection, today: BusinessDate
                        ) -> dict[str, Any]:
    on = _day(body.on, today)
    async with conn.transaction():
        try:
            referral_id = await store.open_by_staff(conn, body.debtor_id, on=on, staff=staff, reason=body.reason,
                                                    policy_version="staff")
        except LookupError as exc:
            raise HTTPException(409, f"the debtor already has an open referral {exc.args[0]}") from None
        await store.audit(conn, staff, "open_referral", referral_id)
    return await _detail(conn, referral_id, staff)


def acting_role(roles: frozenset[str], kind: str) -> str:
    """The role a staff member acts in for ``kind``: one of theirs that the lifecycle allows for it, else their
    highest (so the lifecycle's refusal names the role it needs)."""
    for row in TRANSITIONS:
        if row.event == kind:
            for role in sorted(roles):
                if role_allows({role}, StaffRole(row.role)):
                    return role
    ranked = [r.value for r in (StaffRole.ADMIN, StaffRole.SUPERVISOR, StaffRole.COLLECTOR, StaffRole.VIEWER,
                                StaffRole.WELFARE) if r.value in roles]
    return ranked[0] if ranked else "none"


async def _record(conn: asyncpg.Connection, referral_id: str, staff: Principal, body: EventIn, today: date
                  ) -> dict[str, Any]:
    on = _day(body.on, today)
    consent = None
    if body.kind is EventKind.RECORD_CONSENT:
        try:
            consent = Consent(staff.subject, on, frozenset(body.scope or ()))
        except ValueError as exc:
            raise HTTPException(422, f"scope: {exc}") from None
    elif body.scope is not None:
        raise HTTPException(422, "scope: only record_consent carries a consent scope")
    event = Event(kind=body.kind.value, on=on, by=staff.subject, role=acting_role(staff.roles, body.kind.value),
                  consent=consent, outcome=body.outcome.value if body.outcome else None, reason=body.reason)
    async with conn.transaction():
        try:
            await store.record_event(conn, referral_id, event, details=body.details)
        except LookupError:
            raise HTTPException(404, f"no referral {referral_id}") from None
        except TransitionRefused as exc:
            code = 403 if exc.reason.startswith("wrong role") else 409
            raise HTTPException(code, exc.reason) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        await store.audit(conn, staff, f"referral_{body.kind.value}", referral_id,
                          fields=sorted((body.details or {}).keys()))
    return await _detail(conn, referral_id, staff)


@router.post("/referrals/{referral_id}/events", response_model=ReferralDetail, tags=["referrals"],
             summary="Record a step: inform (利用勧奨), record_consent (本人同意), refer (引継ぎ), decline, "
                     "consent_withdrawn, close; welfare staff also acknowledge and record_outcome")
async def record_referral_event(referral_id: str, body: EventIn, staff: Staff, conn: Connection,
                                today: BusinessDate) -> dict[str, Any]:
    return await _record(conn, referral_id, staff, body, today)


# --- the welfare side's inbox -----------------------------------------------------------------------------------


class SignalOut(BaseModel):
    id: str
    reason: str


class InboxItem(BaseModel):
    """What welfare sees of a referral: exactly the webhook's filter (``assessment.referral_payload``); a key is
    absent when consent does not cover it."""

    referral_id: str
    debtor_ref: str
    state: str
    referred_on: date | None = None
    shared_scope: list[str]
    scope_policy: str
    signals: list[SignalOut] | None = None
    arrears_summary: dict[str, Any] | None = None
    departments: list[str] | None = None
    contact: str | dict[str, Any] | None = None
    household: str | dict[str, Any] | None = None
    consultation_notes: str | dict[str, Any] | None = None


@router.get("/inbox", response_model=list[InboxItem], response_model_exclude_none=True, tags=["welfare inbox"],
            summary="Referrals handed to welfare and not closed, with what the person's consent covers now, as "
                    "the webhook carries it (audit-logged)")
async def inbox(staff: Welfare, conn: Connection, state: Literal["referred", "acknowledged", "outcome_recorded"] |
                None = None) -> list[dict[str, Any]]:
    rows = await read_models.inbox_rows(conn, [state] if state else ["referred", "acknowledged", "outcome_recorded"])
    items = []
    for referral, r in zip(await store.load_referrals(conn, rows), rows, strict=True):
        standing = DebtorStandingChanged.model_validate(r["standing"]) if r["standing"] else None
        items.append(referral_payload(referral, signals=list(r["signals"]), reasons=list(r["reasons"]),
                                      standing=standing, details=r["shared_details"] or {},
                                      referred_on=r["referred_on"].isoformat() if r["referred_on"] else None))
    await store.audit_read(conn, staff, "read_inbox", None, [i["referral_id"] for i in items],
                           debtor_ids=[i["debtor_ref"] for i in items], state=state)
    return items


@router.post("/inbox/{referral_id}/acknowledge", response_model=ReferralDetail, tags=["welfare inbox"],
             summary="Welfare takes the referral over")
async def acknowledge(referral_id: str, body: WelfareAck, staff: Welfare, conn: Connection,
                      today: BusinessDate) -> dict[str, Any]:
    return await _record(conn, referral_id, staff, EventIn(kind=EventKind.ACKNOWLEDGE, on=body.on), today)


@router.post("/inbox/{referral_id}/outcome", response_model=ReferralDetail, tags=["welfare inbox"],
             summary="Welfare records the outcome: connected to support, not needed, declined")
async def record_outcome(referral_id: str, body: WelfareOutcome, staff: Welfare, conn: Connection,
                         today: BusinessDate) -> dict[str, Any]:
    return await _record(conn, referral_id, staff,
                         EventIn(kind=EventKind.RECORD_OUTCOME, on=body.on, outcome=body.outcome, reason=body.note),
                         today)


# --- deliveries -----------------------------------------------------------------------------------------------


@router.get("/deliveries", response_model=list[DeliveryOut], tags=["deliveries"],
            summary="Webhook deliveries to the welfare system (no bodies)")
async def list_deliveries(staff: Supervisor, conn: Connection,
                          status: Literal["pending", "delivered", "failed"] | None = None,
                          limit: int = Query(100, ge=1, le=1000)) -> list[DeliveryOut]:
    rows = await read_models.list_deliveries(conn, status, limit)
    await store.audit_read(conn, staff, "list_deliveries", None, [str(r["delivery_id"]) for r in rows],
                           referral_ids=sorted({r["referral_id"] for r in rows}), status=status)
    return [_delivery(r) for r in rows]


@router.post("/deliveries/{delivery_id}/retry", status_code=202, tags=["deliveries"],
             summary="Try a given-up delivery again")
async def retry_delivery(delivery_id: int, staff: Supervisor, conn: Connection) -> dict[str, Any]:
    if not await retry_failed(conn, delivery_id):
        raise HTTPException(409, f"delivery {delivery_id} is not a failed delivery")
    await store.audit(conn, staff, "retry_delivery", str(delivery_id))
    return {"delivery_id": delivery_id, "status": "pending"}


# --- consultation days (納付相談会) --------------------------------------------------------------------------


async def _day_out(conn: asyncpg.Connection, day_id: int) -> ConsultationDayOut:
    day = await read_models.consultation_day(conn, day_id)
    if day is None:
        raise HTTPException(404, f"no consultation day {day_id}")
    counts = await read_models.consultation_day_counts(conn, day_id, day["held_on"])
    return ConsultationDayOut(day_id=day_id, held_on=day["held_on"], venue=day["venue"],
                              welfare_desk=day["welfare_desk"], **dict(counts))


@router.post("/consultation-days", status_code=201, response_model=ConsultationDayOut, tags=["consultation days"],
             summary="Schedule a 納付相談会 with the welfare desk")
async def schedule_day(body: ConsultationDayIn, staff: Supervisor, conn: Connection) -> ConsultationDayOut:
    day_id = await store.schedule_consultation_day(conn, held_on=body.held_on, venue=body.venue,
                                                   welfare_desk=body.welfare_desk, created_by=staff.subject)
    await store.audit(conn, staff, "schedule_consultation_day", str(day_id))
    return await _day_out(conn, day_id)


@router.get("/consultation-days", response_model=list[ConsultationDayOut], tags=["consultation days"])
async def list_days(staff: Viewer, conn: Connection) -> list[ConsultationDayOut]:
    return [await _day_out(conn, day_id) for day_id in await read_models.consultation_day_ids(conn)]


@router.get("/consultation-days/{day_id}", response_model=ConsultationDayOut, tags=["consultation days"])
async def get_day(day_id: int, staff: Viewer, conn: Connection) -> ConsultationDayOut:
    return await _day_out(conn, day_id)


class Invitation(BaseModel):
    debtor_id: str
    referral_id: str | None
    points: int
    attended: bool | None


@router.post("/consultation-days/{day_id}/invitations", response_model=list[Invitation],
             tags=["consultation days"],
             summary="Invite the debtors whose signals qualify and who are not with welfare already (highest "
                     "points first); returns the whole invitation list")
async def invite(day_id: int, body: InviteIn, staff: Collector, conn: Connection) -> list[Invitation]:
    async with conn.transaction():
        await _day_out(conn, day_id)
        await store.invite_qualifying(conn, day_id, body.limit, staff.subject)
        await store.audit(conn, staff, "invite", str(day_id))
    return await _invitations(conn, day_id, staff)


async def _invitations(conn: asyncpg.Connection, day_id: int, staff: Principal) -> list[Invitation]:
    invited = [Invitation(**dict(r)) for r in await read_models.invitations(conn, day_id)]
    await store.audit_read(conn, staff, "read_invitations", str(day_id), [i.debtor_id for i in invited],
                           debtor_ids=[i.debtor_id for i in invited])
    return invited


@router.get("/consultation-days/{day_id}/invitations", response_model=list[Invitation],
            tags=["consultation days"])
async def list_invitations(day_id: int, staff: Viewer, conn: Connection) -> list[Invitation]:
    await _day_out(conn, day_id)
    return await _invitations(conn, day_id, staff)


@router.put("/consultation-days/{day_id}/attendance/{debtor_id}", response_model=Invitation,
            tags=["consultation days"], summary="Record whether an invited debtor came")
async def attendance(day_id: int, debtor_id: str, body: AttendanceIn, staff: Collector,
                     conn: Connection) -> Invitation:
    row = await store.record_attendance(conn, day_id, debtor_id, body.attended, staff.subject)
    if row is None:
        raise HTTPException(404, f"debtor {debtor_id} was not invited to consultation day {day_id}")
    await store.audit(conn, staff, "attendance", f"{day_id}:{debtor_id}", attended=body.attended)
    return Invitation(**dict(row))


# --- the funnel report ----------------------------------------------------------------------------------------


class FunnelRowOut(BaseModel):
    period: str
    signal: str
    suggested: int
    informed: int
    consented: int
    referred: int
    acknowledged: int
    connected: int
    declined: int
    closed: int
    arrears_at_suggestion: int = Field(description="Yen overdue when the referrals were suggested")
    arrears_now: int = Field(description="Yen overdue now, for the same people")
    collected_since: int = Field(description="Yen paid by the same people since the suggestion")


@router.get("/reports/funnel", response_model=list[FunnelRowOut], tags=["reports"],
            summary="Referrals suggested → informed → consented → referred → acknowledged → connected, by period "
                    "and signal, with the same people's collection results since (JSON or CSV)")
async def funnel_report(staff: Viewer, conn: Connection, period: Literal["month", "fiscal_year", "all"] = "month",
                        from_: Annotated[date | None, Query(alias="from")] = None,
                        to: date | None = None, by_signal: bool = True,
                        format: Literal["json", "csv"] = "json") -> Any:
    rows = await read_models.funnel_rows(conn, from_, to)
    people = [ReferredPerson(referral, r["suggested_on"], tuple(r["signals"]), r["baseline_arrears"],
                             r["baseline_collected"], r["arrears_now"], r["collected_now"])
              for referral, r in zip(await store.load_referrals(conn, rows), rows, strict=True)]
    result = [row.as_dict() for row in funnel_rows(people, period=period, by_signal=by_signal)]
    await store.audit_read(conn, staff, "report_funnel", None, [p.referral.referral_id for p in people],
                           debtor_ids=[p.referral.debtor_ref for p in people], period=period,
                           **{"from": from_ and from_.isoformat(), "to": to and to.isoformat()}, format=format)
    if format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(FunnelRowOut.model_fields))
        writer.writeheader()
        writer.writerows(result)
        return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="welfare-funnel.csv"'})
    return result


@router.get("/standings/{debtor_id}", tags=["referrals"],
            summary="A debtor's hardship score and its reasons, from collection's latest standing")
async def standing(debtor_id: str, staff: Collector, conn: Connection) -> dict[str, Any]:
    row = await read_models.standing_row(conn, debtor_id)
    if row is None:
        raise HTTPException(404, f"no standing for debtor {debtor_id}")
    facts = DebtorStandingChanged.model_validate(row["facts"])
    await store.audit_read(conn, staff, "read_standing", debtor_id, [debtor_id], debtor_ids=[debtor_id])
    return {"debtor_id": debtor_id, "as_of": facts.as_of, "points": row["points"], "suggest": row["suggest"],
            "signals": row["signals"], "reasons": row["reasons"], "policy_version": row["policy_version"],
            "scored_on": row["scored_on"], "overdue_claims": len(facts.overdue_claims), "arrears": row["arrears"],
            "collected_to_date": row["collected"], "address_protected": facts.address_protected}
