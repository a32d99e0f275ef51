"""A debtor's standing (what bears on hardship), published for the welfare referral service.

Why here: the welfare side must spot hardship from collection data (several departments unpaid, a broken plan,
an exemption application, 執行停止, hardship noted in a 納付相談) without reading collection's tables and without
learning who the person is. Each time the case worker recomputes a debtor, ``publish_standings`` builds the facts
from the ledger and the action record and, when they differ from what was last published, enqueues a
``DebtorStandingChanged`` through the outbox (same transaction as the case). Facts only: no name, address, birth
date or claim id. ``standing_facts`` is pure; the rest reads the few tables it needs, a chunk of debtors at once.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date

import asyncpg

from contracts import DebtorStandingChanged, ExemptionFact, OverdueClaimFact
from contracts.topics import COLLECTION_EVENTS
from services.collection.ledger import ClaimStatus, DebtorLedger
from services.collection.stores.support_measures import protected_since
from shared.outbox import enqueue_event

#: The outcome code a collector records on a 納付相談 when the person says they cannot make ends meet.
HARDSHIP_OUTCOME = "hardship"


def standing_facts(debtor_id: str, ledger: DebtorLedger | None, *, as_of: date, missed: list[date],
                   exemptions: list[tuple[date, str]], execution_suspended: bool,
                   hardship_noted_on: date | None, version: int = 1,
                   address_protected: bool = False) -> DebtorStandingChanged:
    """The standing of one debtor as of the business date (pure)."""
    claims = [] if ledger is None else ledger.claims
    overdue = tuple(sorted(
        (OverdueClaimFact(department=c.claim.department, receivable_type=c.claim.receivable_type,
                          legal_category=c.claim.legal_category, due_date=c.claim.due_date, balance=c.balance)
         for c in claims if c.status is ClaimStatus.DELINQUENT and c.balance > 0),
        key=lambda f: (f.due_date, f.department, f.receivable_type, f.balance)))
    return DebtorStandingChanged(
        debtor_id=debtor_id, as_of=as_of, version=version, overdue_claims=overdue,
        collected_to_date=sum(c.paid + c.late_charge_paid + c.demand_fee_paid + c.disposition_cost_paid for c in claims),
        missed_installments=tuple(sorted(set(missed))),
        exemption_applications=tuple(ExemptionFact(applied_on=d, reason=r) for d, r in sorted(set(exemptions))),
        execution_suspended=execution_suspended, hardship_noted_on=hardship_noted_on,
        address_protected=address_protected)


def fingerprint(standing: DebtorStandingChanged) -> str:
    """What makes two standings the same news: everything but the date they were computed on and the version (and
    ``address_protected`` while false, so the field's arrival in version 2 republished no one)."""
    body = standing.model_dump_json(exclude={"as_of", "version"} | (set() if standing.address_protected
                                                                    else {"address_protected"}))
    return hashlib.sha256(body.encode()).hexdigest()


async def publish_standings(conn: asyncpg.Connection, ledgers: dict[str, DebtorLedger], ids: list[str], *,
                            as_of: date) -> int:
    """Enqueue a ``DebtorStandingChanged`` for each of these debtors whose standing changed since it was last
    published (inside the caller's transaction); returns how many were enqueued."""
    missed: dict[str, list[date]] = defaultdict(list)
    for r in await conn.fetch("SELECT debtor_id, due_date FROM installment_misses WHERE debtor_id = ANY($1::text[])",
                              ids):
        missed[r["debtor_id"]].append(r["due_date"])
    exemptions: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for r in await conn.fetch("SELECT debtor_id, applied_on, reason FROM exemption_applications "
                              "WHERE debtor_id = ANY($1::text[])", ids):
        exemptions[r["debtor_id"]].append((r["applied_on"], r["reason"]))
    suspended: set[str] = set()
    hardship: dict[str, date] = {}
    for r in await conn.fetch(
            "SELECT c.debtor_id, a.kind, max(a.done_on) AS last_on FROM claim_actions a "
            "JOIN claims c USING (department, claim_id) WHERE c.debtor_id = ANY($1::text[]) AND a.done_on <= $2 "
            "AND (a.kind = 'suspension_of_execution' OR (a.kind = 'payment_consultation' AND a.outcome = $3)) "
            "GROUP BY c.debtor_id, a.kind", ids, as_of, HARDSHIP_OUTCOME):
        if r["kind"] == "suspension_of_execution":
            suspended.add(r["debtor_id"])
        else:
            hardship[r["debtor_id"]] = r["last_on"]
    protected = await protected_since(conn, ids)
    published = {r["debtor_id"]: r for r in await conn.fetch(
        "SELECT debtor_id, fingerprint, version FROM debtor_standings WHERE debtor_id = ANY($1::text[])", ids)}
    enqueued = 0
    for debtor in ids:
        last = published.get(debtor)
        standing = standing_facts(debtor, ledgers.get(debtor), as_of=as_of, missed=missed.get(debtor, []),
                                  exemptions=exemptions.get(debtor, []), execution_suspended=debtor in suspended,
                                  hardship_noted_on=hardship.get(debtor),
                                  version=1 if last is None else last["version"] + 1,
                                  address_protected=debtor in protected)
        mark = fingerprint(standing)
        if last is not None and last["fingerprint"] == mark:
            continue
        if last is None and not standing.overdue_claims and not standing.exemption_applications:
            continue  # nothing overdue ever: no news for the welfare side
        await conn.execute(
            "INSERT INTO debtor_standings (debtor_id, fingerprint, version, published_on) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (debtor_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, version = EXCLUDED.version, "
            "published_on = EXCLUDED.published_on", debtor, mark, standing.version, as_of)
        await enqueue_event(conn, standing, topic=COLLECTION_EVENTS.name, key=debtor, source_system="collection",
                            correlation_id=f"standing-{debtor}",
                            source_keys=("debtor-standing", debtor, str(standing.version)))
        enqueued += 1
    return enqueued
