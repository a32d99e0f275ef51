"""Writing billing events into the ledger and reading a debtor's ledger back. Each message is applied in one
transaction together with its id in ``processed_messages``, so a redelivered message changes nothing."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg

from contracts import (
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    ClaimDecision,
    ClaimDecisionRecorded,
    ClaimNoticeSent,
    ClaimSucceeded,
    DebtorMerged,
    DebtorSplit,
    Envelope,
    ExemptionApplied,
    InstallmentAgreed,
    NoticeKind,
    PaymentReceived,
    PaymentRefunded,
    PaymentReported,
    PaymentReversed,
    PersonReference,
    SupportMeasureChanged,
    WaterSupplyChanged,
)
from services.collection.allocation import AllocationPolicy
from services.collection.installments import Installment, PlanPayment, PlanStatus, plan_status
from services.collection.ledger import (
    Adjustment,
    Cancellation,
    Claim,
    DebtorLedger,
    LegalAction,
    Payment,
    PaymentReport,
    Reversal,
    build_ledger,
)
from services.collection.stores.support_measures import RECORD_FROM_DEPARTMENT
from services.collection.workflow import ActionKind
from shared.consumer import ConflictingRedelivery, payload_digest


class MissingDebtorError(ValueError):
    """A message reached collection without a debtor id (it must come through debtor matching)."""


async def apply_messages(conn: asyncpg.Connection, messages: list[Envelope]) -> list[bool]:
    """Store matched billing events in one transaction, and queue their debtors' cases for recomputation; for
    each, False when it had been applied before."""
    async with conn.transaction():
        touched: set[str] = set()
        applied = await apply_batch(conn, messages, touched=touched)
        await queue_case_refresh(conn, touched, "billing events")
        return applied


async def _refuse_conflicting_redeliveries(conn: asyncpg.Connection, messages: list[Envelope], digests: list[bytes],
                                           new_ids: set[object]) -> None:
    """A known message id with another payload than the one applied is not a redelivery: raise (the consumer
    dead-letters it with the reason) instead of dropping it. Rows from before the digest column have none."""
    known = {r["message_id"]: r["payload_sha256"] for r in await conn.fetch(
        "SELECT message_id, payload_sha256 FROM processed_messages WHERE message_id = ANY($1::uuid[])",
        [m.message_id for m in messages])}
    first_in_batch: dict[object, bytes] = {}
    for message, digest in zip(messages, digests, strict=True):
        stored = first_in_batch.setdefault(message.message_id, digest) if message.message_id in new_ids \
            else known.get(message.message_id)
        if stored is not None and stored != digest:
            raise ConflictingRedelivery(message.message_id)


async def apply_message(conn: asyncpg.Connection, message: Envelope, *, touched: set[str] | None = None) -> bool:
    """Store one matched billing event inside the caller's transaction; False when applied before."""
    return (await apply_batch(conn, [message], touched=touched))[0]


async def apply_batch(conn: asyncpg.Connection, messages: list[Envelope], *, touched: set[str] | None = None
                      ) -> list[bool]:
    """Store matched billing events inside the caller's transaction, in a fixed number of round trips whatever
    the batch's size (one query resolves the debtors, one records the message ids, one ``executemany`` per
    statement kind); for each message, False when it had been applied before (also a repeat within the batch).
    The debtors they landed on are added to ``touched`` (their cases must be recomputed)."""
    for message in messages:
        if not message.debtor_id:
            raise MissingDebtorError(f"message {message.message_id} has no debtor_id")
    debtors = await current_debtors(conn, [(m.department.value, m.payload.person.source_person_id,  # type: ignore[attr-defined]
                                            str(m.debtor_id)) for m in messages])
    digests = [payload_digest(m) for m in messages]
    new_ids = {r["message_id"] for r in await conn.fetch(
        "INSERT INTO processed_messages (message_id, message_type, payload_sha256) "
        "SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[]) "
        "ON CONFLICT (message_id) DO NOTHING RETURNING message_id",
        [m.message_id for m in messages], [m.message_type for m in messages], digests)}
    await _refuse_conflicting_redeliveries(conn, messages, digests, new_ids)
    statements: dict[str, list[tuple[object, ...]]] = {}
    applied = []
    for message, debtor in zip(messages, debtors, strict=True):
        first_time = message.message_id in new_ids
        new_ids.discard(message.message_id)
        applied.append(first_time)
        if not first_time:
            continue
        if touched is not None:
            touched.add(debtor)
        for sql, row in _rows(message, debtor):
            statements.setdefault(sql, []).append(row)
    if _PERSON in statements:  # a person's record as last sent: one upsert per record, not per message
        statements[_PERSON] = list({row[:2]: row for row in statements[_PERSON]}.values())
    for sql, rows in statements.items():
        await conn.executemany(sql, rows)
    return applied


_PERSON = ("INSERT INTO departmental_persons (department, source_person_id, debtor_id, person) VALUES ($1,$2,$3,$4) "
           "ON CONFLICT (department, source_person_id) DO UPDATE SET person = EXCLUDED.person, updated_at = now() "
           "WHERE departmental_persons.person IS DISTINCT FROM EXCLUDED.person")
_CLAIM = ("INSERT INTO claims (department, claim_id, debtor_id, source_person_id, receivable_type, legal_category, "
          "fiscal_year, installment, due_date, amount, assessed_on, message_id, tax_year) "
          "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (department, claim_id) DO NOTHING")
_RELATED = ("INSERT INTO claim_related_persons (department, claim_id, role, source_person_id, person) "
            "VALUES ($1,$2,$3,$4,$5) ON CONFLICT (department, claim_id, role, source_person_id) "
            "DO UPDATE SET person = EXCLUDED.person")
_ADJUSTMENT = ("INSERT INTO claim_adjustments (message_id, department, claim_id, debtor_id, amount_delta, reason, "
               "adjusted_on) VALUES ($1,$2,$3,$4,$5,$6,$7)")
_CANCELLATION = ("INSERT INTO claim_cancellations (department, claim_id, debtor_id, reason, cancelled_on, message_id) "
                 "VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (department, claim_id) DO NOTHING")
_PAYMENT = ("INSERT INTO payments (department, payment_id, debtor_id, source_person_id, claim_id, amount, paid_on, "
            "channel, message_id, reported_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) "
            "ON CONFLICT (department, payment_id) DO NOTHING")
#: How long a 速報 waits for its 確報 when the source does not say (the agents settle within two weeks).
REPORT_WAIT_DAYS = 14
_REPORT = ("INSERT INTO payment_reports (department, payment_id, debtor_id, source_person_id, claim_id, amount, "
           "paid_on, channel, reported_on, expected_by, message_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) "
           "ON CONFLICT (department, payment_id) DO NOTHING")
_REVERSAL = ("INSERT INTO payment_reversals (department, payment_id, debtor_id, reason, reversed_on, message_id) "
             "VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (department, payment_id) DO NOTHING")
_AGREEMENT = ("INSERT INTO installment_agreements (department, agreement_id, debtor_id, claim_ids, schedule, "
              "agreed_on, message_id) VALUES ($1,$2,$3,$4,$5,$6,$7)")
_EXEMPTION = ("INSERT INTO exemption_applications (department, application_id, debtor_id, receivable_type, "
              "claim_id, reason, applied_on, message_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) "
              "ON CONFLICT (department, application_id) DO NOTHING")
_NOTICE = ("INSERT INTO claim_actions (department, claim_id, kind, done_on, outcome, note, recorded_by, message_id) "
           "VALUES ($1,$2,$3,$4,'sent',$5,$6,$7) ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO NOTHING")
#: The 経過記録 kind of a department's own notice.
NOTICE_ACTIONS = {NoticeKind.DEMAND_NOTICE: ActionKind.DEMAND_NOTICE, NoticeKind.REMINDER: ActionKind.REMINDER_LETTER}
#: A department's decisions (ClaimDecisionRecorded) that are legal actions: recorded in the 経過記録 as that action,
#: so it takes that action's effect (a 執行停止 blocks 差押 and 換価, a 不納欠損 closes the claim, …).
DECISION_ACTIONS = {ClaimDecision.COLLECTION_GRACE: ActionKind.COLLECTION_GRACE,
                    ClaimDecision.REALISATION_GRACE: ActionKind.REALISATION_GRACE,
                    ClaimDecision.SUSPENSION_OF_EXECUTION: ActionKind.SUSPENSION_OF_EXECUTION,
                    ClaimDecision.WRITE_OFF: ActionKind.WRITE_OFF}
_DECISION = ("INSERT INTO claim_actions (department, claim_id, kind, done_on, note, basis, recorded_by, message_id) "
             "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO NOTHING")
_DATE = ("INSERT INTO claim_department_dates (message_id, department, claim_id, debtor_id, kind, on_date, decided_on, "
         "ground) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (message_id) DO NOTHING")
_REFUND = ("INSERT INTO payment_refunds (department, refund_id, debtor_id, source_person_id, payment_id, amount, "
           "refunded_on, appropriated_to, message_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) "
           "ON CONFLICT (department, refund_id) DO NOTHING")
_SUPPLY = ("INSERT INTO water_supply_events (message_id, department, contract_id, debtor_id, status, effective_on) "
           "VALUES ($1,$2,$3,$4,$5,$6)")


def _rows(message: Envelope, debtor: str) -> list[tuple[str, tuple[object, ...]]]:
    """The rows one billing event writes, as (statement, parameters)."""
    department, p, mid = message.department.value, message.payload, message.message_id  # type: ignore[union-attr]
    rows: list[tuple[str, tuple[object, ...]]] = []
    person: PersonReference = p.person  # type: ignore[attr-defined]
    if person.name_kanji or person.name_kana:  # the record as last sent with a name; a bare reference changes nothing
        rows.append((_PERSON, (department, person.source_person_id, debtor, _person_json(person))))
    if isinstance(p, ClaimAssessed):
        rows.append((_CLAIM, (department, p.claim_id, debtor, person.source_person_id, p.receivable_type,
                              p.legal_category.value, p.fiscal_year, p.installment, p.due_date, p.amount,
                              p.assessed_on, mid, p.tax_year)))
        rows += [(_RELATED, (department, p.claim_id, r.role.value, r.person.source_person_id, _person_json(r.person)))
                 for r in p.related_persons]
    elif isinstance(p, ClaimAdjusted):
        rows.append((_ADJUSTMENT, (mid, department, p.claim_id, debtor, p.amount_delta, p.reason.value,
                                   p.adjusted_on)))
    elif isinstance(p, ClaimCancelled):
        rows.append((_CANCELLATION, (department, p.claim_id, debtor, p.reason.value, p.cancelled_on, mid)))
    elif isinstance(p, PaymentReceived):
        rows.append((_PAYMENT, (department, p.payment_id, debtor, person.source_person_id, p.claim_id, p.amount,
                                p.paid_on, p.channel.value, mid, p.reported_on)))
    elif isinstance(p, PaymentReported):
        rows.append((_REPORT, (department, p.payment_id, debtor, person.source_person_id, p.claim_id, p.amount,
                               p.paid_on, p.channel.value, p.reported_on,
                               p.expected_by or p.reported_on + timedelta(days=REPORT_WAIT_DAYS), mid)))
    elif isinstance(p, PaymentReversed):
        rows.append((_REVERSAL, (department, p.payment_id, debtor, p.reason.value, p.reversed_on, mid)))
    elif isinstance(p, InstallmentAgreed):
        rows.append((_AGREEMENT, (department, p.agreement_id, debtor, list(p.claim_ids),
                                  [{"due_date": s.due_date.isoformat(), "amount": s.amount} for s in p.schedule],
                                  p.agreed_on, mid)))
    elif isinstance(p, ExemptionApplied):
        rows.append((_EXEMPTION, (department, p.application_id, debtor, p.receivable_type, p.claim_id,
                                  p.reason.value, p.applied_on, mid)))
    elif isinstance(p, ClaimNoticeSent):  # the department sent it: a fact for the 経過記録, not a request to check
        rows.append((_NOTICE, (department, p.claim_id, NOTICE_ACTIONS[p.kind].value, p.sent_on,
                               f"{message.source_system} {p.notice_id}", f"department:{department}", mid)))
    elif isinstance(p, WaterSupplyChanged):
        rows.append((_SUPPLY, (mid, department, p.contract_id, debtor, p.status.value, p.effective_on)))
    elif isinstance(p, SupportMeasureChanged):
        rows.append((RECORD_FROM_DEPARTMENT, (department, person.source_person_id, debtor, p.active,
                                              p.effective_on, mid)))
    elif isinstance(p, PaymentRefunded):
        rows.append((_REFUND, (department, p.refund_id, debtor, person.source_person_id, p.payment_id, p.amount,
                               p.refunded_on, p.appropriated_to, mid)))
    elif isinstance(p, ClaimDecisionRecorded):  # the department decided it: a fact, not a request to check
        if p.kind in DECISION_ACTIONS:
            rows.append((_DECISION, (department, p.claim_id, DECISION_ACTIONS[p.kind].value, p.decided_on,
                                     f"{message.source_system} {p.record_id}", p.ground, f"department:{department}",
                                     mid)))
        else:
            on = p.due_date if p.kind is ClaimDecision.ACCELERATED_COLLECTION else p.completes_on
            rows.append((_DATE, (mid, department, p.claim_id, debtor, p.kind.value, on, p.decided_on, p.ground)))
    elif isinstance(p, ClaimSucceeded):  # the heirs or the successor: relations of the claim, never the debtor
        rows += [(_RELATED, (department, p.claim_id, r.role.value, r.person.source_person_id, _person_json(r.person)))
                 for r in p.related_persons]
    else:
        raise TypeError(f"collection does not handle {message.message_type}")
    return rows


def _person_json(person: PersonReference) -> dict[str, object]:
    return person.model_dump(mode="json", exclude_none=True)


async def queue_case_refresh(conn: asyncpg.Connection, debtor_ids: Iterable[str], cause: str) -> None:
    """Ask the case worker to recompute these debtors' cases (services/collection/cases.py), in the caller's
    transaction, so the request commits with the change that caused it."""
    ids = sorted(set(debtor_ids))
    if ids:
        await conn.execute(
            "INSERT INTO case_refresh_queue (debtor_id, cause) SELECT unnest($1::text[]), $2 "
            "ON CONFLICT (debtor_id) DO NOTHING", ids, cause)


#: Every table that holds a debtor id, and whether its rows know their departmental record.
_BY_RECORD = ("claims", "payments", "payment_reports", "installment_agreements", "exemption_applications", "water_supply_events",
              "departmental_persons", "support_measures", "payment_refunds")
_BY_CLAIM = ("claim_adjustments", "claim_cancellations", "claim_department_dates")


async def current_debtors(conn: asyncpg.Connection, keys: list[tuple[str, str, str]]) -> list[str]:
    """The debtor each matched message belongs to now, for many (department, source person, stamped debtor) at
    once, in their order: a record moved back by a split is pinned to its restored debtor; an identity merged
    into another resolves to it; otherwise the id matching stamped."""
    if not keys:
        return []
    rows = await conn.fetch(
        "SELECT k.ord, coalesce(o.debtor_id, a.into_debtor_id, k.debtor) AS debtor "
        "FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(department, person, debtor, ord) "
        "LEFT JOIN record_owners o ON o.department = k.department AND o.source_person_id = k.person "
        "LEFT JOIN debtor_aliases a ON a.from_debtor_id = k.debtor ORDER BY k.ord",
        [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])
    return [str(r["debtor"]) for r in rows]


async def apply_identity_change(conn: asyncpg.Connection, message: Envelope) -> bool:
    """Apply a DebtorMerged or DebtorSplit inside the caller's transaction; False when applied before."""
    first_time = await conn.fetchval(
        "INSERT INTO processed_messages (message_id, message_type) VALUES ($1, $2) "
        "ON CONFLICT (message_id) DO NOTHING RETURNING true", message.message_id, message.message_type)
    if not first_time:
        return False
    p = message.payload
    departments = [r.department for r in p.records]  # type: ignore[attr-defined]
    people = [r.source_person_id for r in p.records]  # type: ignore[attr-defined]
    if isinstance(p, DebtorMerged):
        source, target = p.from_debtor_id, p.into_debtor_id
        await conn.execute("UPDATE debtor_aliases SET into_debtor_id = $2 WHERE into_debtor_id = $1", source, target)
        await conn.execute(
            "INSERT INTO debtor_aliases (from_debtor_id, into_debtor_id, merge_id) VALUES ($1, $2, $3) "
            "ON CONFLICT (from_debtor_id) DO UPDATE SET into_debtor_id = $2, merge_id = $3", source, target,
            p.merge_id)
        await conn.execute("UPDATE record_owners SET debtor_id = $2 WHERE debtor_id = $1", source, target)
        for table in _BY_RECORD + _BY_CLAIM + ("payment_reversals",):
            await conn.execute(f"UPDATE {table} SET debtor_id = $2 WHERE debtor_id = $1", source, target)
        # a person in hardship stays held under the merged identity
        await conn.execute("UPDATE collection_holds SET debtor_id = $2 WHERE debtor_id = $1 AND ended_at IS NULL",
                           source, target)
    elif isinstance(p, DebtorSplit):
        source, target = p.from_debtor_id, p.restored_debtor_id
        await conn.execute("DELETE FROM debtor_aliases WHERE from_debtor_id = $1", target)
        await conn.executemany(
            "INSERT INTO record_owners (department, source_person_id, debtor_id, merge_id) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (department, source_person_id) DO UPDATE SET debtor_id = $3, merge_id = $4",
            [(d, s, target, p.merge_id) for d, s in zip(departments, people, strict=True)])
        for table in _BY_RECORD:
            await conn.execute(
                f"UPDATE {table} t SET debtor_id = $2 FROM unnest($3::text[], $4::text[]) AS r(department, person) "
                "WHERE t.debtor_id = $1 AND t.department = r.department AND t.source_person_id = r.person",
                source, target, departments, people)
        for table in _BY_CLAIM:
            await conn.execute(
                f"UPDATE {table} t SET debtor_id = c.debtor_id FROM claims c WHERE t.debtor_id = $1 "
                "AND c.debtor_id = $2 AND (c.department, c.claim_id) = (t.department, t.claim_id)", source, target)
        await conn.execute(
            "UPDATE payment_reversals t SET debtor_id = p.debtor_id FROM payments p WHERE t.debtor_id = $1 "
            "AND p.debtor_id = $2 AND (p.department, p.payment_id) = (t.department, t.payment_id)", source, target)
    else:
        raise TypeError(f"not an identity change: {message.message_type}")
    await queue_case_refresh(conn, [source, target], "merge" if isinstance(p, DebtorMerged) else "split")
    await conn.execute(
        "INSERT INTO identity_changes (kind, merge_id, from_debtor_id, into_debtor_id, records) "
        "VALUES ($1, $2, $3, $4, $5)",
        "merged" if isinstance(p, DebtorMerged) else "split", p.merge_id, source, target,
        [{"department": d, "source_person_id": s} for d, s in zip(departments, people, strict=True)])
    return True


async def load_ledger(conn: asyncpg.Connection, debtor_id: str, as_of: date) -> DebtorLedger | None:
    """The debtor's ledger as of a date, or None when the ledger knows nothing of this debtor. Outside a
    transaction it reads one consistent snapshot; inside one, it reads in the caller's."""
    if conn.is_in_transaction():
        return (await load_ledgers(conn, [debtor_id], as_of)).get(debtor_id)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return (await load_ledgers(conn, [debtor_id], as_of)).get(debtor_id)


async def load_ledgers(conn: asyncpg.Connection, debtor_ids: Iterable[str], as_of: date,
                       policy: AllocationPolicy | None = None) -> dict[str, DebtorLedger]:
    """The ledgers of many debtors as of a date, in five queries; debtors the ledger knows nothing of are absent.
    Call inside a transaction (repeatable read for one consistent picture)."""
    ids = sorted(set(debtor_ids))
    events: dict[str, dict[str, list[asyncpg.Record]]] = defaultdict(lambda: defaultdict(list))
    for kind, query in _LEDGER_QUERIES.items():
        for row in await conn.fetch(query, ids):
            events[row["debtor_id"]][kind].append(row)
    return {
        debtor: build_ledger(
            (Claim(**_without_debtor(r)) for r in found["claims"]),
            (Adjustment(**_without_debtor(r)) for r in found["adjustments"]),
            (Cancellation(**_without_debtor(r)) for r in found["cancellations"]),
            (Payment(**_without_debtor(r)) for r in found["payments"]),
            (Reversal(**_without_debtor(r)) for r in found["reversals"]),
            as_of, policy=policy, actions=(LegalAction(**_without_debtor(r)) for r in found["actions"]),
            reports=(PaymentReport(**_without_debtor(r)) for r in found["reports"]))
        for debtor, found in events.items()
    }


_LEDGER_QUERIES = {
    # A department's 繰上徴収 brings the 納期限 forward (claim_department_dates).
    "claims": "SELECT debtor_id, department, claim_id, receivable_type, legal_category, fiscal_year, installment, "
              "LEAST(due_date, (SELECT min(d.on_date) FROM claim_department_dates d WHERE d.kind = "
              "'accelerated_collection' AND (d.department, d.claim_id) = (c.department, c.claim_id))) AS due_date, "
              "amount, assessed_on, tax_year FROM claims c WHERE debtor_id = ANY($1::text[])",
    "adjustments": "SELECT debtor_id, department, claim_id, amount_delta, adjusted_on FROM claim_adjustments "
                   "WHERE debtor_id = ANY($1::text[])",
    "cancellations": "SELECT debtor_id, department, claim_id, cancelled_on FROM claim_cancellations "
                     "WHERE debtor_id = ANY($1::text[])",
    # A receipt counts for what was not refunded or appropriated (還付・充当: payment_refunds); an appropriation
    # counts on its claim as a payment of its own from its day, once the receipt it comes from is there.
    "payments": "SELECT debtor_id, department, payment_id, claim_id, amount - coalesce((SELECT sum(r.amount) "
                "FROM payment_refunds r WHERE (r.department, r.payment_id) = (p.department, p.payment_id)), 0)::bigint "
                "AS amount, paid_on, channel FROM payments p WHERE debtor_id = ANY($1::text[]) AND amount > "
                "coalesce((SELECT sum(r.amount) FROM payment_refunds r WHERE (r.department, r.payment_id) = "
                "(p.department, p.payment_id)), 0) UNION ALL SELECT p.debtor_id, r.department, "
                "'充当:' || r.refund_id, r.appropriated_to, r.amount, r.refunded_on, p.channel FROM payment_refunds r "
                "JOIN payments p USING (department, payment_id) WHERE r.appropriated_to IS NOT NULL "
                "AND p.debtor_id = ANY($1::text[])",
    "reversals": "SELECT debtor_id, department, payment_id, reversed_on FROM payment_reversals "
                 "WHERE debtor_id = ANY($1::text[])",
    "reports": "SELECT debtor_id, department, payment_id, claim_id, amount, paid_on, reported_on, expected_by "
               "FROM payment_reports WHERE debtor_id = ANY($1::text[])",
    # The claims' legal events: the action record (collection's and any department's own 督促 recorded there) and
    # the departments' installment pledges (承認). One list, so prescription sees every renewal and suspension.
    "actions": "SELECT c.debtor_id, a.department, a.claim_id, a.done_on AS \"on\", a.kind, a.outcome, a.amount "
               "FROM claim_actions a JOIN claims c USING (department, claim_id) WHERE c.debtor_id = ANY($1::text[]) "
               "UNION ALL SELECT g.debtor_id, g.department, unnest(g.claim_ids), g.agreed_on, "
               "'installment_agreement', NULL, 0 FROM installment_agreements g WHERE g.debtor_id = ANY($1::text[])",
}


def _without_debtor(row: asyncpg.Record) -> dict[str, object]:
    values = dict(row)
    del values["debtor_id"]
    return values


async def audit(conn: asyncpg.Connection, *, actor: str, action: str, subject: str, detail: dict[str, object]) -> None:
    await conn.execute("INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4)",
                       actor, action, subject, detail)


@dataclass(frozen=True)
class DebtorPlan:
    """An installment plan as last (re)negotiated, with its status as of a date."""

    department: str
    agreement_id: str
    debtor_id: str
    claim_ids: tuple[str, ...]
    agreed_on: date
    versions: int  # 1 + the number of renegotiations
    schedule: tuple[Installment, ...]
    status: PlanStatus


async def load_installment_plans(conn: asyncpg.Connection, debtor_ids: Iterable[str], as_of: date
                                 ) -> dict[str, list[DebtorPlan]]:
    """Every debtor's installment plans (the latest version of each) and how they stand as of ``as_of``."""
    ids = sorted(set(debtor_ids))
    agreements = await conn.fetch(  # a cancelled central plan (central_plans) is no longer watched
        "SELECT * FROM (SELECT DISTINCT ON (department, agreement_id) department, agreement_id, debtor_id, claim_ids, "
        "schedule, agreed_on, cancelled_on, count(*) OVER (PARTITION BY department, agreement_id) AS versions "
        "FROM installment_agreements WHERE debtor_id = ANY($1::text[]) AND agreed_on <= $2 "
        "ORDER BY department, agreement_id, agreed_on DESC, message_id) latest "
        "WHERE cancelled_on IS NULL OR cancelled_on > $2", ids, as_of)
    if not agreements:
        return {}
    payments = await conn.fetch(
        "SELECT p.debtor_id, p.department, p.claim_id, p.amount, p.paid_on FROM payments p "
        "WHERE p.debtor_id = ANY($1::text[]) AND p.paid_on <= $2 AND NOT EXISTS (SELECT 1 FROM payment_reversals r "
        "WHERE (r.department, r.payment_id) = (p.department, p.payment_id) AND r.reversed_on <= $2)", ids, as_of)
    plans: dict[str, list[DebtorPlan]] = defaultdict(list)
    for a in agreements:
        claims = set(a["claim_ids"])
        towards = [PlanPayment(p["paid_on"], p["amount"]) for p in payments
                   if p["debtor_id"] == a["debtor_id"] and p["department"] == a["department"]
                   and (p["claim_id"] is None or p["claim_id"] in claims)]
        schedule = tuple(Installment(date.fromisoformat(s["due_date"]), int(s["amount"])) for s in a["schedule"])
        plans[a["debtor_id"]].append(DebtorPlan(
            a["department"], a["agreement_id"], a["debtor_id"], tuple(a["claim_ids"]), a["agreed_on"],
            int(a["versions"]), schedule, plan_status(schedule, towards, agreed_on=a["agreed_on"], as_of=as_of)))
    return dict(plans)


async def load_all_ledgers(conn: asyncpg.Connection, as_of: date, *, chunk: int = 2_000) -> list[DebtorLedger]:
    """Every debtor's ledger as of a date (for reports), a chunk of debtors at a time. Call inside a repeatable-read
    transaction for one consistent picture."""
    ids = [r["debtor_id"] for r in await conn.fetch("SELECT DISTINCT debtor_id FROM claims ORDER BY 1")]
    ledgers: list[DebtorLedger] = []
    for start in range(0, len(ids), chunk):
        ledgers.extend((await load_ledgers(conn, ids[start:start + chunk], as_of)).values())
    return ledgers
