"""Cases (滞納案件): one open case per debtor gathering all that debtor's delinquent claims across departments,
each claim assigned to a central group or a lawyer team by the assignment policy (services/collection/assignment.py).

A case is derived data: it is recomputed from the ledger, never edited by hand (an override is an input, kept in
``case_overrides``). What changes a case queues its debtor in ``case_refresh_queue`` in the same transaction
(billing events, merges, splits, holds, overrides); the case worker drains the queue. A new business date (a claim
becomes delinquent the day after its due date) or a new policy version queues every debtor. Every change of who
holds a claim is written to ``assignment_history`` with the rule, the cause and the actor.

Several workers may drain the queue at once: each takes its debtors with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import asyncpg

from contracts import (
    Envelope,
    InstallmentMissed,
    LawyerActivityRecorded,
    OutsourcedCaseChanged,
    OutsourcedClaim,
    OutsourcedContact,
    ReferralChanged,
)
from contracts.enums import PersonKind
from contracts.topics import COLLECTION_EVENTS, OUTSOURCED_CASES
from services.collection.assignment import (
    AssignmentPolicy,
    CaseAssignment,
    CaseClaim,
    CaseFacts,
    Holder,
    HolderKind,
    Override,
    assign_case,
)
from services.collection.ledger import ClaimStatus, DebtorLedger, facts_of
from services.collection.next_action import (
    CaseSituation,
    DelinquentClaim,
    EscalationPolicy,
    Recommendation,
    action_rank,
    recommend,
)
from services.collection.next_action import load_policy as load_escalation_policy
from services.collection.protection import contact_for_firm
from services.collection.standing import publish_standings
from services.collection.store import load_installment_plans, load_ledgers, queue_case_refresh
from services.collection.stores import cases as case_store
from services.collection.stores.actions import actions_of_claims
from services.collection.stores.support_measures import is_protected
from services.collection.workflow import ActionKind, ActionRecord, ClaimFacts
from shared.outbox import enqueue_event

log = logging.getLogger(__name__)

#: Debtors recomputed per transaction by the worker. Small enough that building their ledgers (the worker's
#: costly, synchronous part) keeps the event loop for a few milliseconds only: the ledger consumer and the API
#: share that loop, and a chunk of 200 held them up for a fifth of a second at a time (make bench).
REFRESH_CHUNK = 20


@dataclass
class RefreshSummary:
    debtors: int = 0
    opened: int = 0
    closed: int = 0
    claims_assigned: int = 0  # claims that joined a case or changed holder
    claims_left: int = 0  # claims that left a case (paid, cancelled, moved by a merge)
    installments_missed: int = 0  # newly found missed installments, announced on collection.events.v1
    standings_published: int = 0  # debtors whose standing changed, published for the welfare side
    by_cause: dict[str, int] = field(default_factory=dict)

    def add(self, other: RefreshSummary) -> None:
        self.debtors += other.debtors
        self.opened += other.opened
        self.closed += other.closed
        self.claims_assigned += other.claims_assigned
        self.claims_left += other.claims_left
        self.installments_missed += other.installments_missed
        self.standings_published += other.standings_published
        for cause, n in other.by_cause.items():
            self.by_cause[cause] = self.by_cause.get(cause, 0) + n


def case_facts(debtor_id: str, ledger: DebtorLedger | None, *, as_of: date, on_hold: bool) -> CaseFacts:
    """The delinquent claims of a debtor's ledger (unpaid after their due date) as the facts assignment needs."""
    claims = () if ledger is None else tuple(
        CaseClaim(department=c.claim.department, claim_id=c.claim.claim_id, receivable_type=c.claim.receivable_type,
                  legal_category=c.claim.legal_category, fiscal_year=c.claim.fiscal_year, due_date=c.claim.due_date,
                  balance=c.outstanding, principal_balance=c.balance)
        # Extinguished claims (status extinguished) are out; a claim whose principal is paid but whose 延滞金 is
        # still owed stays in, with what may be demanded (principal, fees, fixed 延滞金).
        for c in ledger.claims if c.status is ClaimStatus.DELINQUENT and c.outstanding > 0)
    return CaseFacts(debtor_id=debtor_id, as_of=as_of, claims=claims, on_hold=on_hold,
                     hold_reason="welfare referral" if on_hold else None)


@cache
def escalation_policy() -> EscalationPolicy:
    """The escalation policy the next action follows (policy/escalation.v1.json), read once."""
    return load_escalation_policy()


def next_step(claims: Iterable[CaseClaim], history: Mapping[tuple[str, str], Sequence[ActionRecord]], *,
              as_of: date, on_hold: bool, corporation: bool, guarantor: bool,
              ledger: Mapping[tuple[str, str], ClaimFacts], policy: EscalationPolicy) -> Recommendation | None:
    """The recommended next step of a case (next_action.recommend) from its delinquent claims, their 経過記録 (by
    department and claim id), the debtor's facts and what the ledger knows of each claim today (``ledger_facts``:
    the open principal apart from the 延滞金 and fees — a 督促 demands the principal only —, a payment reported on
    its way, 時効). Pure: what the case worker stores (the list's sort) and what GET /cases/{id} shows come from
    this one function."""

    def delinquent(c: CaseClaim) -> DelinquentClaim:
        known = ledger.get((c.department, c.claim_id))
        principal = known.balance if known else (c.principal_balance if c.principal_balance is not None
                                                 else c.balance)
        return DelinquentClaim(c.department, f"{c.department}:{c.claim_id}", c.receivable_type, c.legal_category,
                               c.due_date, principal, tuple(history.get((c.department, c.claim_id), ())),
                               extinguished=bool(known and known.extinguished),
                               payment_in_transit=known.payment_in_transit if known else None,
                               late_charge_open=known.late_charge_open if known else 0,
                               fees_open=known.fees_open if known else 0)

    situation = CaseSituation(
        claims=tuple(delinquent(c) for c in claims),
        debtor_kind=PersonKind.CORPORATION if corporation else PersonKind.INDIVIDUAL,
        has_guarantor=guarantor, on_hold=on_hold)
    return recommend(situation, policy, as_of=as_of)


def action_records(rows: Iterable[Mapping[str, object]]) -> dict[tuple[str, str], list[ActionRecord]]:
    """claim_actions rows (oldest first) as each claim's 経過記録 for ``next_step``."""
    history: dict[tuple[str, str], list[ActionRecord]] = {}
    for r in rows:
        history.setdefault((str(r["department"]), str(r["claim_id"])), []).append(
            ActionRecord(ActionKind(r["kind"]), r["done_on"], r["recorded_by"], r["outcome"], r["note"]))  # type: ignore[arg-type]
    return history


def ledger_facts(ledger: DebtorLedger | None) -> dict[tuple[str, str], ClaimFacts]:
    """What the action rules know of each claim of a ledger today (ledger.facts_of), by department and claim id."""
    return {} if ledger is None else {(b.claim.department, b.claim.claim_id): facts_of(b) for b in ledger.claims}


async def refresh_cases(conn: asyncpg.Connection, causes: dict[str, str], *, as_of: date,
                        policy: AssignmentPolicy, actor: str = "system") -> RefreshSummary:
    """Recompute the cases of these debtors (debtor id → cause) as of a business date, inside the caller's
    transaction: open, update or close each, and record every change of holder."""
    summary = RefreshSummary()
    if not causes:
        return summary
    ids = sorted(causes)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('case:' || d)) FROM unnest($1::text[]) AS d ORDER BY d",
                       ids)
    ledgers = await load_ledgers(conn, ids, as_of)
    held = {r["debtor_id"] for r in await conn.fetch(
        "SELECT DISTINCT debtor_id FROM collection_holds WHERE debtor_id = ANY($1::text[]) AND ended_at IS NULL", ids)}
    open_cases = {r["debtor_id"]: r for r in await conn.fetch(
        "SELECT c.case_id, c.debtor_id, o.holder_kind, o.holder_code, o.reason, o.decided_by FROM cases c "
        "LEFT JOIN case_overrides o USING (case_id) WHERE c.debtor_id = ANY($1::text[]) AND c.status = 'open'", ids)}
    facts = {d: case_facts(d, ledgers.get(d), as_of=as_of, on_hold=d in held) for d in ids}
    wanted_keys = [(c.department, c.claim_id) for f in facts.values() for c in f.claims]
    case_ids = [r["case_id"] for r in open_cases.values()]
    published = {r["case_id"]: r for r in await conn.fetch(  # what the firms were last told, for these cases
        "SELECT case_id, firm_code, status, version, fingerprint FROM case_outsourcing "
        "WHERE case_id = ANY($1::bigint[])", case_ids)}
    existing = {(r["department"], r["claim_id"]): r for r in await conn.fetch(
        "SELECT * FROM case_claims WHERE case_id = ANY($1::bigint[]) UNION "
        "SELECT c.* FROM case_claims c JOIN unnest($2::text[], $3::text[]) AS k(department, claim_id) "
        "USING (department, claim_id)",
        case_ids, [d for d, _ in wanted_keys], [c for _, c in wanted_keys])}
    history = action_records(await actions_of_claims(conn, [d for d, _ in wanted_keys], [c for _, c in wanted_keys]))
    debtors = await case_store.debtors_facts(conn, [d for d in ids if facts[d].claims])

    for debtor in ids:
        cause, current, fact = causes[debtor], open_cases.get(debtor), facts[debtor]
        summary.debtors += 1
        summary.by_cause[cause] = summary.by_cause.get(cause, 0) + 1
        if not fact.claims:
            if current is not None:
                summary.claims_left += await _close(conn, current["case_id"], existing, as_of, cause, actor,
                                                    policy.version)
                await _publish_outsourcing(conn, current["case_id"], debtor, fact, None,
                                           published.get(current["case_id"]))
                summary.closed += 1
            continue
        override = None
        if current is not None and current["holder_code"] is not None:
            override = Override(Holder(HolderKind(current["holder_kind"]), current["holder_code"]),
                                current["reason"], current["decided_by"])
        assignment = assign_case(fact, policy, override)
        if current is None:
            case_id = await conn.fetchval(
                "INSERT INTO cases (debtor_id, status, opened_on, as_of) VALUES ($1, 'open', $2, $2) "
                "RETURNING case_id", debtor, as_of)
            summary.opened += 1
        else:
            case_id = current["case_id"]
        assigned, left = await _write_claims(conn, case_id, fact, assignment, existing, cause, actor)
        summary.claims_assigned += assigned
        summary.claims_left += left
        await _write_summary(conn, case_id, fact, assignment, as_of)
        step = next_step(fact.claims, history, as_of=as_of, on_hold=fact.on_hold,
                         corporation=debtors[debtor]["corporation"], guarantor=debtors[debtor]["guarantor"],
                         ledger=ledger_facts(ledgers.get(debtor)), policy=escalation_policy())
        await case_store.write_next_action(
            conn, case_id, kind=step.action.value if step else None, due=step.due_on if step else None,
            rank=action_rank(step.action) if step else None, lead=step.lead_department.value if step else None)
        await _publish_outsourcing(conn, case_id, debtor, fact, assignment, published.get(case_id))
    summary.installments_missed = await announce_missed_installments(conn, ids, as_of)
    summary.standings_published = await publish_standings(conn, ledgers, ids, as_of=as_of)
    return summary


async def _close(conn: asyncpg.Connection, case_id: int, existing: dict[tuple[str, str], asyncpg.Record],
                 as_of: date, cause: str, actor: str, policy_version: str) -> int:
    rows = [r for r in existing.values() if r["case_id"] == case_id]
    await _history(conn, [(case_id, r["department"], r["claim_id"], r["holder_kind"], r["holder_code"], None, None,
                           None, "left the case: no longer delinquent here", cause, actor, policy_version)
                          for r in rows])
    await conn.execute("DELETE FROM case_claims WHERE case_id = $1", case_id)
    await conn.execute("DELETE FROM case_overrides WHERE case_id = $1", case_id)
    await conn.execute(
        "UPDATE cases SET status = 'closed', closed_on = $2, as_of = $2, delinquent_balance = 0, "
        "outsourced_balance = 0, claim_count = 0, holder_codes = '{}', next_action_kind = NULL, "
        "next_action_due = NULL, next_action_rank = NULL, next_action_lead = NULL, updated_at = now() "
        "WHERE case_id = $1",
        case_id, as_of)
    return len(rows)


async def _write_claims(conn: asyncpg.Connection, case_id: int, fact: CaseFacts, assignment: CaseAssignment,
                        existing: dict[tuple[str, str], asyncpg.Record], cause: str, actor: str) -> tuple[int, int]:
    """Upsert the case's claims and remove those that left it; history for each change. Returns (assigned, left)."""
    claims = {(c.department, c.claim_id): c for c in fact.claims}
    history, rows = [], []
    for a in assignment.claims:
        key, claim = (a.department, a.claim_id), claims[(a.department, a.claim_id)]
        before = existing.get(key)
        rows.append((a.department, a.claim_id, case_id, claim.receivable_type, claim.legal_category,
                     claim.fiscal_year, claim.due_date, claim.balance, a.holder.kind.value, a.holder.code,
                     a.rule_id, a.reason, claim.principal_balance))
        changed = before is None or before["case_id"] != case_id or before["holder_code"] != a.holder.code \
            or before["holder_kind"] != a.holder.kind.value
        if changed:
            history.append((case_id, a.department, a.claim_id, before["holder_kind"] if before else None,
                            before["holder_code"] if before else None, a.holder.kind.value, a.holder.code,
                            a.rule_id, a.reason if before is None or before["case_id"] == case_id
                            else f"{a.reason} (moved from case {before['case_id']})", cause, actor,
                            assignment.policy_version))
    gone = [r for k, r in existing.items() if r["case_id"] == case_id and k not in claims]
    for r in gone:
        history.append((case_id, r["department"], r["claim_id"], r["holder_kind"], r["holder_code"], None, None,
                        None, "left the case: paid, cancelled or no longer this debtor's", cause, actor,
                        assignment.policy_version))
    if gone:
        await conn.execute(
            "DELETE FROM case_claims c USING unnest($1::text[], $2::text[]) AS k(department, claim_id) "
            "WHERE (c.department, c.claim_id) = (k.department, k.claim_id) AND c.case_id = $3",
            [r["department"] for r in gone], [r["claim_id"] for r in gone], case_id)
    await conn.executemany(
        "INSERT INTO case_claims (department, claim_id, case_id, receivable_type, legal_category, fiscal_year, "
        "due_date, balance, holder_kind, holder_code, rule_id, reason, principal_balance) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) "
        "ON CONFLICT (department, claim_id) DO UPDATE SET case_id = EXCLUDED.case_id, balance = EXCLUDED.balance, "
        "principal_balance = EXCLUDED.principal_balance, "
        "holder_kind = EXCLUDED.holder_kind, holder_code = EXCLUDED.holder_code, rule_id = EXCLUDED.rule_id, "
        "reason = EXCLUDED.reason, legal_category = EXCLUDED.legal_category", rows)
    await _history(conn, history)
    return sum(1 for h in history if h[5] is not None), len(gone)


async def _write_summary(conn: asyncpg.Connection, case_id: int, fact: CaseFacts, assignment: CaseAssignment,
                         as_of: date) -> None:
    outsourced = {(a.department, a.claim_id) for a in assignment.outsourced_claims}
    await conn.execute(
        "UPDATE cases SET as_of = $2, lead_kind = $3, lead_code = $4, lead_reason = $5, policy_version = $6, "
        "delinquent_balance = $7, outsourced_balance = $8, claim_count = $9, oldest_due_date = $10, "
        "departments = $11, legal_categories = $12, holder_codes = $13, on_hold = $14, updated_at = now() "
        "WHERE case_id = $1",
        case_id, as_of, assignment.lead.kind.value, assignment.lead.code, assignment.lead_reason,
        assignment.policy_version, fact.balance,
        sum(c.balance for c in fact.claims if (c.department, c.claim_id) in outsourced), len(fact.claims),
        min(c.due_date for c in fact.claims), sorted({c.department for c in fact.claims}),
        sorted({c.legal_category for c in fact.claims}), sorted({a.holder.code for a in assignment.claims}),
        fact.on_hold)


def outsourced_view(fact: CaseFacts, assignment: CaseAssignment | None) -> tuple[str, list[OutsourcedClaim]] | None:
    """The firm that holds part of a case and the claims it holds, or None. One firm per case: the policy picks
    one per debtor, an override names one; should two ever hold claims, the one with the larger balance."""
    if assignment is None:
        return None
    claims = {(c.department, c.claim_id): c for c in fact.claims}
    by_firm: dict[str, list[OutsourcedClaim]] = {}
    for a in assignment.outsourced_claims:
        c = claims[(a.department, a.claim_id)]
        by_firm.setdefault(a.holder.code, []).append(OutsourcedClaim(
            claim_id=c.claim_id, department=c.department, receivable_type=c.receivable_type,
            legal_category=c.legal_category, fiscal_year=c.fiscal_year, due_date=c.due_date, balance=c.balance))
    if not by_firm:
        return None
    firm = max(sorted(by_firm), key=lambda code: sum(c.balance for c in by_firm[code]))
    return firm, sorted(by_firm[firm], key=lambda c: (c.due_date, c.claim_id))


async def _contact(conn: asyncpg.Connection, debtor_id: str, departments: list[str]) -> OutsourcedContact | None:
    """The debtor as a department of the outsourced claims recorded them: never tax records (地方税法22条), never
    the address of a person under a support measure (DV等支援措置)."""
    row = await conn.fetchrow(
        "SELECT person FROM departmental_persons WHERE debtor_id = $1 AND department = ANY($2::text[]) "
        "AND department <> 'tax' ORDER BY updated_at DESC LIMIT 1", debtor_id, departments)
    if row is None:
        return None
    return contact_for_firm(row["person"], address_protected=await is_protected(conn, debtor_id))


async def _publish_outsourcing(conn: asyncpg.Connection, case_id: int, debtor_id: str, fact: CaseFacts,
                               assignment: CaseAssignment | None, previous: asyncpg.Record | None) -> None:
    """Tell the lawyer gateway what a firm now holds of this case (or that it holds nothing any more), through
    the outbox, only when that changed (``previous``: what it was last told); every message carries a growing
    version."""
    view = outsourced_view(fact, assignment)
    version = (previous["version"] if previous else 0) + 1
    if view is None:
        if previous is None or previous["status"] == "withdrawn":
            return
        payload = OutsourcedCaseChanged(case_ref=str(case_id), firm_code=previous["firm_code"], status="withdrawn",
                                        version=version, as_of=fact.as_of)
    else:
        firm, claims = view
        contact = await _contact(conn, debtor_id, sorted({c.department for c in claims}))
        payload = OutsourcedCaseChanged(case_ref=str(case_id), firm_code=firm, status="assigned", version=version,
                                        as_of=fact.as_of, contact=contact, claims=tuple(claims),
                                        total_balance=sum(c.balance for c in claims))
    fingerprint = hashlib.sha256(json.dumps(payload.model_dump(mode="json", exclude={"version", "as_of"}),
                                            sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    if previous is not None and previous["fingerprint"] == fingerprint:
        return
    await conn.execute(
        "INSERT INTO case_outsourcing (case_id, firm_code, status, version, fingerprint) VALUES ($1,$2,$3,$4,$5) "
        "ON CONFLICT (case_id) DO UPDATE SET firm_code = $2, status = $3, version = $4, fingerprint = $5, "
        "published_at = now()", case_id, payload.firm_code, payload.status, version, fingerprint)
    await enqueue_event(conn, payload, topic=OUTSOURCED_CASES.name, key=str(case_id), source_system="collection",
                        correlation_id=f"case-{case_id}", source_keys=("outsourced-case", str(case_id), str(version)))


async def record_lawyer_activity(conn: asyncpg.Connection, message: Envelope, *, as_of: date,
                                 policy: AssignmentPolicy) -> bool:
    """Keep what a firm recorded on a case (the central 経過記録 shows it); a case handed back goes to the
    central group that would hold it without outsourcing. False when the message was applied before."""
    first_time = await conn.fetchval(
        "INSERT INTO processed_messages (message_id, message_type) VALUES ($1, $2) "
        "ON CONFLICT (message_id) DO NOTHING RETURNING true", message.message_id, message.message_type)
    if not first_time:
        return False
    p: LawyerActivityRecorded = message.payload  # type: ignore[assignment]
    case_id = int(p.case_ref)
    await conn.execute(
        "INSERT INTO case_activities (activity_id, case_id, firm_code, lawyer_id, kind, occurred_on, note, amount, "
        "promised_on, schedule, message_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) "
        "ON CONFLICT (activity_id) DO NOTHING",
        p.activity_id, case_id, p.firm_code, p.lawyer_id, p.kind, p.occurred_on, p.note, p.amount, p.promised_on,
        [{"due_date": s.due_date.isoformat(), "amount": s.amount} for s in p.schedule], message.message_id)
    if p.kind != "case_returned":
        return True
    holder = await conn.fetchrow(
        "SELECT o.firm_code, c.debtor_id FROM case_outsourcing o JOIN cases c USING (case_id) "
        "WHERE o.case_id = $1 AND o.status = 'assigned' AND c.status = 'open'", case_id)
    if holder is None or holder["firm_code"] != p.firm_code:
        log.info("a return for a case the firm no longer holds", extra={"case_id": case_id})
        return True
    ledger = (await load_ledgers(conn, [holder["debtor_id"]], as_of)).get(holder["debtor_id"])
    central = assign_case(case_facts(holder["debtor_id"], ledger, as_of=as_of, on_hold=True), policy)
    await set_override(conn, case_id, central.lead, reason=f"returned by {p.firm_code}", by=f"firm:{p.firm_code}",
                       as_of=as_of, policy=policy)
    return True


async def announce_missed_installments(conn: asyncpg.Connection, debtor_ids: list[str], as_of: date) -> int:
    """Find the installments these debtors missed as of the business date and announce each new one once
    (``InstallmentMissed`` through the outbox); returns how many were new."""
    new = 0
    for plans in (await load_installment_plans(conn, debtor_ids, as_of)).values():
        for plan in plans:
            for miss in plan.status.missed:
                first = await conn.fetchval(
                    "INSERT INTO installment_misses (department, agreement_id, due_date, debtor_id, shortfall, "
                    "found_on) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING RETURNING true",
                    plan.department, plan.agreement_id, miss.due_date, plan.debtor_id, miss.shortfall, as_of)
                if not first:
                    continue
                new += 1
                event = InstallmentMissed(debtor_id=plan.debtor_id, department=plan.department,
                                          agreement_id=plan.agreement_id, due_date=miss.due_date,
                                          expected_to_date=miss.expected_to_date, paid_to_date=miss.paid_to_date,
                                          shortfall=miss.shortfall)
                await enqueue_event(conn, event, topic=COLLECTION_EVENTS.name, key=plan.debtor_id,
                                    source_system="collection", correlation_id=f"plan-{plan.agreement_id}",
                                    source_keys=("installment-missed", plan.department, plan.agreement_id,
                                                 miss.due_date.isoformat()))
    return new


async def _history(conn: asyncpg.Connection, rows: list[tuple[object, ...]]) -> None:
    if rows:
        await conn.executemany(
            "INSERT INTO assignment_history (case_id, department, claim_id, from_kind, from_code, to_kind, to_code, "
            "rule_id, reason, cause, actor, policy_version) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)", rows)


async def drain_refresh_queue(pool: asyncpg.Pool, *, as_of: date, policy: AssignmentPolicy,
                              chunk: int = REFRESH_CHUNK) -> RefreshSummary:
    """Recompute queued cases, a chunk per transaction, until the queue is empty (or held by other workers)."""
    total = RefreshSummary()
    while True:
        async with pool.acquire() as conn, conn.transaction():
            taken = await conn.fetch(
                "DELETE FROM case_refresh_queue WHERE debtor_id IN (SELECT debtor_id FROM case_refresh_queue "
                "ORDER BY queued_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING debtor_id, cause", chunk)
            if not taken:
                return total
            total.add(await refresh_cases(conn, {r["debtor_id"]: r["cause"] for r in taken}, as_of=as_of,
                                          policy=policy))
        await asyncio.sleep(0)  # let waiting consumers and requests run between chunks


async def queue_all_debtors(conn: asyncpg.Connection, cause: str) -> int:
    """Queue every debtor with claims or an open case (a new business date, a new policy)."""
    ids = [r["debtor_id"] for r in await conn.fetch(
        "SELECT DISTINCT debtor_id FROM claims UNION SELECT debtor_id FROM cases WHERE status = 'open'")]
    await queue_case_refresh(conn, ids, cause)
    return len(ids)


def full_refresh_cause(last_date: date | None, last_version: str | None, *, as_of: date,
                       policy_version: str) -> str | None:
    """Why every case must be recomputed now, or None: a new business date (claims due yesterday are delinquent
    today) or a new policy version (assignments may change)."""
    if last_version is not None and last_version != policy_version:
        return f"policy {policy_version}"
    if last_date != as_of:
        return f"business date {as_of.isoformat()}"
    return None


async def start_of_day(pool: asyncpg.Pool, *, as_of: date, policy: AssignmentPolicy) -> int:
    """Queue every debtor once per business date and once per policy version; returns how many were queued (0
    when this date and version were already done)."""
    async with pool.acquire() as conn, conn.transaction():
        state = await conn.fetchrow("SELECT business_date, policy_version FROM case_refresh_state FOR UPDATE")
        cause = full_refresh_cause(state["business_date"] if state else None, state["policy_version"] if state else None,
                                   as_of=as_of, policy_version=policy.version)
        if cause is None:
            return 0
        queued = await queue_all_debtors(conn, cause)
        await conn.execute(
            "INSERT INTO case_refresh_state (singleton, business_date, policy_version) VALUES (true, $1, $2) "
            "ON CONFLICT (singleton) DO UPDATE SET business_date = $1, policy_version = $2, refreshed_at = now()",
            as_of, policy.version)
        log.info("queued every case for recomputation", extra={"cause": cause, "debtors": queued})
        return queued


async def set_override(conn: asyncpg.Connection, case_id: int, holder: Holder, *, reason: str, by: str,
                       as_of: date, policy: AssignmentPolicy) -> RefreshSummary:
    """A supervisor hands a case to a holder against the policy; the law still applies (assign_case keeps
    forced-collection and tax claims central). The case is recomputed at once, in the caller's transaction."""
    debtor = await conn.fetchval("SELECT debtor_id FROM cases WHERE case_id = $1 AND status = 'open' FOR UPDATE",
                                 case_id)
    if debtor is None:
        raise LookupError(f"no open case {case_id}")
    try:
        policy.holder_name(holder)
    except KeyError:
        raise ValueError(f"the policy knows no {holder.kind.value} {holder.code!r}") from None
    await conn.execute(
        "INSERT INTO case_overrides (case_id, holder_kind, holder_code, reason, decided_by) VALUES ($1,$2,$3,$4,$5) "
        "ON CONFLICT (case_id) DO UPDATE SET holder_kind = $2, holder_code = $3, reason = $4, decided_by = $5, "
        "decided_at = now()", case_id, holder.kind.value, holder.code, reason, by)
    return await refresh_cases(conn, {debtor: "override"}, as_of=as_of, policy=policy, actor=by)


async def clear_override(conn: asyncpg.Connection, case_id: int, *, by: str, as_of: date,
                         policy: AssignmentPolicy) -> RefreshSummary:
    """Back to the policy's assignment."""
    debtor = await conn.fetchval("SELECT debtor_id FROM cases WHERE case_id = $1 AND status = 'open' FOR UPDATE",
                                 case_id)
    if debtor is None:
        raise LookupError(f"no open case {case_id}")
    await conn.execute("DELETE FROM case_overrides WHERE case_id = $1", case_id)
    return await refresh_cases(conn, {debtor: "override removed"}, as_of=as_of, policy=policy, actor=by)


async def start_hold(conn: asyncpg.Connection, debtor_id: str, *, reason: str, by: str) -> int:
    """Pause escalation for a debtor (a welfare referral under way); the case is recomputed by the worker."""
    hold_id = await conn.fetchval(
        "INSERT INTO collection_holds (debtor_id, kind, reason, started_by) VALUES ($1, 'welfare_referral', $2, $3) "
        "RETURNING hold_id", debtor_id, reason, by)
    await queue_case_refresh(conn, [debtor_id], "hold started")
    return int(hold_id)


async def end_hold(conn: asyncpg.Connection, hold_id: int, *, by: str) -> None:
    debtor = await conn.fetchval(
        "UPDATE collection_holds SET ended_at = now(), ended_by = $2 WHERE hold_id = $1 AND ended_at IS NULL "
        "RETURNING debtor_id", hold_id, by)
    if debtor is None:
        raise LookupError(f"no active hold {hold_id}")
    await queue_case_refresh(conn, [debtor], "hold ended")


def referral_hold_reason(change: ReferralChanged) -> str:
    """What the debtor view shows for a hold opened by a welfare referral (codes only, no personal data)."""
    signals = f" (signals: {', '.join(change.signals)})" if change.signals else ""
    return f"welfare referral {change.referral_id} {change.state}{signals}: escalation paused"


async def apply_referral_change(conn: asyncpg.Connection, message: Envelope) -> bool:
    """Hold a debtor's escalation while their welfare referral pauses collection (from 利用勧奨 until it closes)
    and release it otherwise, inside the caller's transaction. A version older than the one applied is ignored
    (replays, reordering); returns whether anything changed."""
    change = message.payload
    assert isinstance(change, ReferralChanged)
    debtor = str(await conn.fetchval(
        "SELECT coalesce((SELECT into_debtor_id FROM debtor_aliases WHERE from_debtor_id = $1), $1)",
        change.debtor_id))
    hold = await conn.fetchrow("SELECT hold_id, debtor_id, source_version, ended_at FROM collection_holds "
                               "WHERE source_ref = $1 FOR UPDATE", change.referral_id)
    if hold is not None and hold["source_version"] >= change.version:
        return False
    reason = referral_hold_reason(change)
    if hold is None:
        if not change.pauses_collection:
            return False  # a suggestion (or a referral never held): nothing to hold or release
        await conn.execute(
            "INSERT INTO collection_holds (debtor_id, kind, reason, started_by, source_ref, source_version) "
            "VALUES ($1, 'welfare_referral', $2, 'welfare-referral', $3, $4)",
            debtor, reason, change.referral_id, change.version)
    else:
        debtor = hold["debtor_id"]
        await conn.execute(
            "UPDATE collection_holds SET reason = $2, source_version = $3, "
            "ended_at = CASE WHEN $4 THEN NULL ELSE coalesce(ended_at, now()) END, "
            "ended_by = CASE WHEN $4 THEN NULL ELSE coalesce(ended_by, 'welfare-referral') END "
            "WHERE hold_id = $1", hold["hold_id"], reason, change.version, change.pauses_collection)
    await queue_case_refresh(conn, [debtor], "welfare referral")
    return True
