"""The welfare referral service's database work: standings and their scores, referrals moved through the
lifecycle (lifecycle.py) with their history, the referral events on Kafka (outbox) and the webhook deliveries.

Every change happens in the caller's transaction with the referral's row locked, so the state, its history, the
``ReferralChanged`` for collection and the delivery for welfare are written together or not at all.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import orjson

from contracts import DebtorStandingChanged, Envelope, ReferralChanged
from contracts.topics import WELFARE_REFERRALS
from services.welfare_referral.assessment import arrears, check_details, referral_payload, situation
from services.welfare_referral.consent_scopes import STAFF_JUDGEMENT, consented_view, default_scopes
from services.welfare_referral.lifecycle import (
    Consent,
    Event,
    EventKind,
    HistoryEntry,
    Referral,
    ReferralState,
    apply,
    is_open,
    pauses_collection,
    shareable,
    suggest,
)
from services.welfare_referral.signals import HardshipPolicy, HardshipScore, score
from shared.audit import audit_read as shared_audit_read
from shared.auth import Principal
from shared.outbox import enqueue_event

#: Events after which welfare is told (a delivery): the referral itself, and what ends or limits it later.
_DELIVERED_EVENTS = {EventKind.REFER.value, EventKind.CONSENT_WITHDRAWN.value, EventKind.CLOSE.value}


_AUDIT_INSERT = "INSERT INTO audit_log (staff_id, action, target, detail) VALUES ($1, $2, $3, $4)"


async def audit(conn: asyncpg.Connection, staff: Principal | str, action: str, target: str | None,
                **detail: Any) -> None:
    staff_id = staff if isinstance(staff, str) else staff.subject
    await conn.execute(_AUDIT_INSERT, staff_id, action, target, detail)


async def audit_read(conn: asyncpg.Connection, staff: Principal, action: str, target: str | None,
                     ids: list[str], **context: Any) -> None:
    """A read of personal data, with the ids it returned (``shared.audit``)."""
    await shared_audit_read(conn, _AUDIT_INSERT, staff.subject, action, target, ids, **context)


# --- standings ------------------------------------------------------------------------------------------------


async def apply_standing(conn: asyncpg.Connection, message: Envelope, *, policy: HardshipPolicy, as_of: date,
                         resuggest_after_days: int) -> str | None:
    """Keep a newer standing, score it and suggest a referral when the points reach the threshold; returns the
    new referral's id, or None. An older or repeated version changes nothing."""
    standing = message.payload
    assert isinstance(standing, DebtorStandingChanged)
    kept = await conn.fetchval(
        "INSERT INTO standings (debtor_id, version, as_of, facts, arrears, collected) VALUES ($1,$2,$3,$4,$5,$6) "
        "ON CONFLICT (debtor_id) DO UPDATE SET version = EXCLUDED.version, as_of = EXCLUDED.as_of, "
        "facts = EXCLUDED.facts, arrears = EXCLUDED.arrears, collected = EXCLUDED.collected, updated_at = now() "
        "WHERE standings.version < EXCLUDED.version RETURNING true",
        standing.debtor_id, standing.version, standing.as_of, standing.model_dump(mode="json"), arrears(standing),
        standing.collected_to_date)
    if not kept:
        return None
    return await score_and_suggest(conn, standing, policy=policy, as_of=as_of,
                                   resuggest_after_days=resuggest_after_days)


async def score_and_suggest(conn: asyncpg.Connection, standing: DebtorStandingChanged, *, policy: HardshipPolicy,
                            as_of: date, resuggest_after_days: int) -> str | None:
    result = score(situation(standing, policy, as_of=as_of), policy, as_of=as_of)
    await conn.execute(
        "UPDATE standings SET points = $2, suggest = $3, signals = $4, reasons = $5, policy_version = $6, "
        "scored_on = $7 WHERE debtor_id = $1", standing.debtor_id, result.points, result.suggest,
        [s.id for s in result.signals], [s.reason for s in result.signals], result.policy_version, as_of)
    if not result.suggest:
        return None
    return await _suggest(conn, standing, result, as_of=as_of, resuggest_after_days=resuggest_after_days)


async def _suggest(conn: asyncpg.Connection, standing: DebtorStandingChanged, result: HardshipScore, *,
                   as_of: date, resuggest_after_days: int) -> str | None:
    debtor = standing.debtor_id
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('referral:' || $1))", debtor)
    recent = await conn.fetchval(
        "SELECT 1 FROM referrals WHERE debtor_id = $1 AND (state <> 'closed' OR closed_on > $2) LIMIT 1",
        debtor, as_of - timedelta(days=resuggest_after_days))
    if recent:
        return None
    referral = suggest(new_referral_id(as_of), debtor, on=as_of)
    await _insert_referral(conn, referral, origin="signals", points=result.points,
                           signals=[s.id for s in result.signals], reasons=[s.reason for s in result.signals],
                           policy_version=result.policy_version, standing=standing)
    return referral.referral_id


async def rescore_all(conn: asyncpg.Connection, *, policy: HardshipPolicy, as_of: date,
                      resuggest_after_days: int) -> tuple[int, int]:
    """Score every standing again for a new business date (signals age: a missed installment leaves its window,
    arrears reach twelve months); returns (scored, referrals suggested)."""
    scored = suggested = 0
    async for row in conn.cursor("SELECT facts FROM standings WHERE scored_on IS DISTINCT FROM $1", as_of):
        standing = DebtorStandingChanged.model_validate(row["facts"])
        scored += 1
        suggested += await score_and_suggest(conn, standing, policy=policy, as_of=as_of,
                                             resuggest_after_days=resuggest_after_days) is not None
    return scored, suggested


def new_referral_id(on: date) -> str:
    return f"R{on:%Y%m%d}-{uuid.uuid4().hex[:10]}"


async def _insert_referral(conn: asyncpg.Connection, referral: Referral, *, origin: str, points: int,
                           signals: list[str], reasons: list[str], policy_version: str,
                           standing: DebtorStandingChanged | None) -> None:
    on = referral.history[0].on
    await conn.execute(
        "INSERT INTO referrals (referral_id, debtor_id, state, suggested_on, origin, points, signals, reasons, "
        "policy_version, baseline_arrears, baseline_collected) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
        referral.referral_id, referral.debtor_ref, referral.state.value, on, origin, points, signals, reasons,
        policy_version, arrears(standing) if standing else 0, standing.collected_to_date if standing else 0)
    await _history(conn, referral.referral_id, 1, referral.history[0])
    await _announce(conn, referral, signals, version=1, on=on)


async def open_by_staff(conn: asyncpg.Connection, debtor_id: str, *, on: date, staff: Principal, reason: str,
                        policy_version: str) -> str:
    """A referral a collector opens on their own judgement (e.g. the person asked for help at the window).
    Raises LookupError when the debtor already has an open referral."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('referral:' || $1))", debtor_id)
    existing = await conn.fetchval("SELECT referral_id FROM referrals WHERE debtor_id = $1 AND state <> 'closed'",
                                   debtor_id)
    if existing:
        raise LookupError(existing)
    facts = await conn.fetchval("SELECT facts FROM standings WHERE debtor_id = $1", debtor_id)
    standing = DebtorStandingChanged.model_validate(facts) if facts else None
    referral = suggest(new_referral_id(on), debtor_id, on=on, by=staff.subject, role="collector")
    await _insert_referral(conn, referral, origin="staff", points=0, signals=[STAFF_JUDGEMENT],
                           reasons=[f"staff judgement (職員の判断): {reason}"], policy_version="staff",
                           standing=standing)
    return referral.referral_id


# --- the lifecycle ---------------------------------------------------------------------------------------------


async def load_referral(conn: asyncpg.Connection, referral_id: str, *, lock: bool = False
                        ) -> tuple[Referral, asyncpg.Record] | None:
    row = await conn.fetchrow("SELECT * FROM referrals WHERE referral_id = $1" + (" FOR UPDATE" if lock else ""),
                              referral_id)
    if row is None:
        return None
    return (await _with_history(conn, [row]))[0], row


async def load_referrals(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[Referral]:
    """The referrals of these ``referrals`` rows with their histories, in two queries whatever their number."""
    return await _with_history(conn, rows)


async def _with_history(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[Referral]:
    history: dict[str, list[HistoryEntry]] = {r["referral_id"]: [] for r in rows}
    for h in await conn.fetch("SELECT * FROM referral_history WHERE referral_id = ANY($1::text[]) "
                              "ORDER BY referral_id, seq", list(history)):
        history[h["referral_id"]].append(HistoryEntry(
            h["kind"], h["done_on"], h["done_by"], h["role"],
            ReferralState(h["from_state"]) if h["from_state"] else None, ReferralState(h["to_state"]), h["reason"]))
    referrals = []
    for row in rows:
        consent = None
        if row["consent_scope"]:
            consent = Consent(row["consent_by"], row["consent_on"], frozenset(row["consent_scope"]))
        referrals.append(Referral(row["referral_id"], row["debtor_id"], ReferralState(row["state"]), consent,
                                  row["outcome"], tuple(history[row["referral_id"]])))
    return referrals


async def record_event(conn: asyncpg.Connection, referral_id: str, event: Event, *,
                       details: dict[str, Any] | None = None) -> Referral:
    """Apply one staff event (inside the caller's transaction): LookupError for an unknown referral,
    ``TransitionRefused`` when the lifecycle refuses it, ValueError when the details exceed the consent."""
    loaded = await load_referral(conn, referral_id, lock=True)
    if loaded is None:
        raise LookupError(referral_id)
    before, row = loaded
    after = apply(before, event)
    shared = row["shared_details"]
    if event.kind == EventKind.REFER.value:
        assert after.consent is not None
        facts = await conn.fetchval("SELECT facts FROM standings WHERE debtor_id = $1", after.debtor_ref)
        check_details(details or {}, after.consent.scope,
                      address_protected=bool(facts) and DebtorStandingChanged.model_validate(facts).address_protected)
        shared = details or {}
    elif details:
        raise ValueError("details: only a refer event carries details for welfare")
    if after.consent is None:
        shared = None  # consent withdrawn: what the person shared is not kept for sending any more
    version = row["version"] + 1
    consent = after.consent
    await conn.execute(
        "UPDATE referrals SET state = $2, version = $3, consent_by = $4, consent_on = $5, consent_scope = $6, "
        "outcome = $7, shared_details = $8, closed_on = $9, updated_at = now() WHERE referral_id = $1",
        referral_id, after.state.value, version, consent and consent.given_by, consent and consent.given_on,
        sorted(consent.scope) if consent else None, after.outcome, shared,
        event.on if after.state is ReferralState.CLOSED else None)
    await _history(conn, referral_id, len(after.history), after.history[-1])
    await _announce(conn, after, list(row["signals"]), version=version, on=event.on)
    told = any(h.kind == EventKind.REFER.value for h in before.history)
    if event.kind == EventKind.REFER.value or (event.kind in _DELIVERED_EVENTS and told):
        standing_facts = await conn.fetchval("SELECT facts FROM standings WHERE debtor_id = $1", after.debtor_ref)
        standing = DebtorStandingChanged.model_validate(standing_facts) if standing_facts else None
        body = referral_payload(after, signals=list(row["signals"]), reasons=list(row["reasons"]),
                                standing=standing, details=shared or {}, event=event.kind,
                                sent_on=event.on.isoformat())
        await conn.execute("INSERT INTO deliveries (referral_id, event, body) VALUES ($1, $2, $3)",
                           referral_id, event.kind, orjson.dumps(body))
    if shareable(after) < shareable(before):
        await redact_undelivered(conn, referral_id, shareable(after))
    return after


async def redact_undelivered(conn: asyncpg.Connection, referral_id: str, consented: frozenset[str]) -> int:
    """Filter every webhook body of this referral not yet delivered (pending, or given up and retryable) again
    under the narrower consent (withdrawn: none; closed: none), so what the consent no longer covers never
    leaves. Returns how many bodies changed."""
    changed = 0
    for row in await conn.fetch("SELECT delivery_id, body FROM deliveries WHERE referral_id = $1 "
                                "AND status <> 'delivered' FOR UPDATE", referral_id):
        body = orjson.loads(bytes(row["body"]))
        narrowed = orjson.dumps(consented_view(body, consented, default_scopes()))
        if narrowed != bytes(row["body"]):
            await conn.execute("UPDATE deliveries SET body = $2 WHERE delivery_id = $1", row["delivery_id"], narrowed)
            changed += 1
    return changed


async def _history(conn: asyncpg.Connection, referral_id: str, seq: int, entry: HistoryEntry) -> None:
    await conn.execute(
        "INSERT INTO referral_history (referral_id, seq, kind, done_on, done_by, role, from_state, to_state, reason) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", referral_id, seq, entry.kind, entry.on, entry.by, entry.role,
        entry.from_state.value if entry.from_state else None, entry.to_state.value, entry.reason)


async def _announce(conn: asyncpg.Connection, referral: Referral, signals: list[str], *, version: int,
                    on: date) -> None:
    """Tell collection (it holds escalation while the referral pauses collection) through the outbox, in this
    transaction."""
    change = ReferralChanged(referral_id=referral.referral_id, debtor_id=referral.debtor_ref,
                             state=referral.state.value, open=is_open(referral.state),
                             pauses_collection=pauses_collection(referral.state), signals=tuple(signals),
                             changed_on=on, version=version)
    await enqueue_event(conn, change, topic=WELFARE_REFERRALS.name, key=referral.debtor_ref,
                        source_system="welfare-referral", correlation_id=f"referral-{referral.referral_id}",
                        source_keys=("referral-changed", referral.referral_id, str(version)))


# --- consultation days (納付相談会) --------------------------------------------------------------------------


async def schedule_consultation_day(conn: asyncpg.Connection, *, held_on: date, venue: str, welfare_desk: str,
                                    created_by: str) -> int:
    """A new consultation day; its id."""
    return await conn.fetchval("INSERT INTO consultation_days (held_on, venue, welfare_desk, created_by) "
                               "VALUES ($1, $2, $3, $4) RETURNING day_id", held_on, venue, welfare_desk, created_by)


async def invite_qualifying(conn: asyncpg.Connection, day_id: int, limit: int, invited_by: str) -> None:
    """Invite up to ``limit`` debtors whose standing suggests a referral and who are not with welfare already
    (highest points first), once per day."""
    await conn.execute(
        "INSERT INTO invitations (day_id, debtor_id, referral_id, points, invited_by) "
        "SELECT $1, s.debtor_id, r.referral_id, s.points, $3 FROM standings s "
        "LEFT JOIN referrals r ON r.debtor_id = s.debtor_id AND r.state <> 'closed' "
        "WHERE s.suggest AND coalesce(r.state, 'suggested') IN ('suggested', 'informed') "
        "AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.day_id = $1 AND i.debtor_id = s.debtor_id) "
        "ORDER BY s.points DESC, s.debtor_id LIMIT $2", day_id, limit, invited_by)


async def record_attendance(conn: asyncpg.Connection, day_id: int, debtor_id: str, attended: bool,
                            recorded_by: str) -> asyncpg.Record | None:
    """Whether an invited debtor came; the invitation, or None when they were not invited."""
    return await conn.fetchrow(
        "UPDATE invitations SET attended = $3, recorded_by = $4 WHERE day_id = $1 AND debtor_id = $2 "
        "RETURNING debtor_id, referral_id, points, attended", day_id, debtor_id, attended, recorded_by)


async def rescored_mark(conn: asyncpg.Connection) -> str | None:
    """The business date and policy version every standing was last scored for (locked until the transaction
    ends, so two replicas never rescore at once)."""
    return await conn.fetchval("SELECT value FROM service_state WHERE key = 'rescored' FOR UPDATE")


async def set_rescored_mark(conn: asyncpg.Connection, mark: str) -> None:
    await conn.execute("INSERT INTO service_state (key, value) VALUES ('rescored', $1) "
                       "ON CONFLICT (key) DO UPDATE SET value = $1", mark)
