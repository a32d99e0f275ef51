"""Debtor 360 (債権管理課): who the debtor is in every department, what they owe everywhere as of any date, their
case, holds and the people named on their claims. Every read is audit-logged."""

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from contracts.keys import KEY_SPACE_PATTERN, is_primary, qualify
from services.collection.api.deps import BusinessDate, Connection, Viewer, audit, audit_read
from services.collection.api.support_measures import SupportMeasure, support_measure_view
from services.collection.ledger import ArrearsClass, ClaimBalance, ClaimStatus, DebtorLedger, running_late_charge
from services.collection.store import load_installment_plans, load_ledger
from services.collection.stores import debtors as store

router = APIRouter(tags=["debtors"])

DebtorId = Annotated[str, Path(min_length=1, max_length=64, description="Unified debtor id from debtor matching")]


class PersonView(BaseModel):
    """A person as one department recorded them."""

    department: str
    source_person_id: str = Field(description="The department's own person id (e.g. 宛名番号, お客様番号)")
    kind: str | None = None
    name_kanji: str | None = None
    name_kana: str | None = None
    birth_date: date | None = None
    postal_code: str | None = None
    address: str | None = None
    phone: str | None = None


class RelatedPersonView(PersonView):
    role: str = Field(description="guarantor = 連帯保証人, child = 児童, household_head = 世帯主, "
                                  "household_member = 世帯員")
    claim_id: str


class ClaimView(BaseModel):
    department: str
    claim_id: str
    receivable_type: str
    legal_category: str
    fiscal_year: int
    tax_year: int | None = Field(None, description="相当年度: the year the tax or premium is for, when the department "
                                                   "said it (it differs from 年度 for 過年度分 assessed later)")
    installment: int
    due_date: date
    assessed_amount: int = Field(description="調定額 as first assessed, yen")
    principal: int = Field(description="Principal after adjustments and cancellation, yen")
    paid: int
    balance: int
    status: ClaimStatus
    arrears_class: ArrearsClass = Field(description="current_year = 現年度分, carried_over = 滞納繰越分")
    late_charge: int = Field(0, description="延滞金 (forced-collection) or 遅延損害金 (private) run up by the date, yen, "
                                            "rounded as the law says (not part of the principal balance)")
    late_charge_paid: int = Field(0, description="延滞金 collected (public claims: after the principal) or "
                                                 "遅延損害金 collected (private claims: before it, 民法489条)")
    fees: int = Field(0, description="督促手数料 and 滞納処分費 still open, yen")
    extinguished_on: date | None = Field(None, description="時効 completed (public), 援用 (private), 執行停止 3 years "
                                         "or 債権放棄: the claim is out of arrears; only 不納欠損 remains")
    prescription_completed_on: date | None = Field(None, description="A private claim whose period completed and "
                                                   "that the debtor has not invoked: it may still be collected")
    holder_kind: str | None = Field(None, description="Who collects it while it is in the debtor's case")
    holder_code: str | None = None
    assignment_rule: str | None = None


class ParkedPaymentView(BaseModel):
    department: str
    payment_id: str
    claim_id: str | None
    amount: int
    paid_on: date


class PaymentReportView(BaseModel):
    """A collection agent's 収納速報 whose 確報 (the money) has not arrived."""

    department: str
    payment_id: str
    claim_id: str
    amount: int
    paid_on: date = Field(description="収納日: the day the payer paid")
    reported_on: date = Field(description="The day of the 速報")
    expected_by: date = Field(description="The day the 確報 is due")


class OverpaymentView(BaseModel):
    department: str
    payment_id: str
    amount: int = Field(description="Yen received beyond what the claims owed: due for refund (還付)")


class HoldView(BaseModel):
    hold_id: int
    kind: str
    reason: str = Field(description="Why escalation is paused, e.g. the welfare referral and its signals")
    source_ref: str | None = Field(None, description="The welfare referral that opened the hold")
    started_at: datetime
    started_by: str


class CaseSummary(BaseModel):
    case_id: int
    status: str
    opened_on: date
    lead_kind: str | None
    lead_code: str | None
    lead_reason: str | None
    delinquent_balance: int
    on_hold: bool


class IdentityChangeView(BaseModel):
    kind: str = Field(description="merged | split (decided in debtor matching's review queue)")
    merge_id: str
    from_debtor_id: str
    into_debtor_id: str
    applied_at: datetime


class MissedInstallmentView(BaseModel):
    due_date: date
    shortfall: int = Field(description="Yen short of what was due by then")


class InstallmentPlanView(BaseModel):
    department: str
    agreement_id: str
    claim_ids: list[str]
    agreed_on: date
    renegotiations: int = Field(description="How many times the plan was agreed again (分納の再協議)")
    schedule: list[dict[str, Any]]
    state: str = Field(description="on_track, missed or completed")
    expected_to_date: int
    paid_to_date: int
    next_due: date | None
    missed: list[MissedInstallmentView]


class DebtorView(BaseModel):
    debtor_id: str
    as_of: date
    balance: int = Field(description="Total unpaid principal over every department, yen")
    delinquent_balance: int = Field(description="Unpaid principal past its due date (滞納額), yen")
    current_year_arrears: int = Field(description="滞納額 of this fiscal year's claims (現年度分), yen")
    carried_over_arrears: int = Field(description="滞納額 of earlier fiscal years' claims (滞納繰越分), yen")
    records: list[PersonView] = Field(description="The debtor in each department (名寄せ result)")
    claims: list[ClaimView]
    related_persons: list[RelatedPersonView] = Field(description="Other people named on the claims (relations, "
                                                                 "never the same identity)")
    case: CaseSummary | None
    holds: list[HoldView]
    installment_plans: list[InstallmentPlanView] = Field(description="分割納付: each plan and how it stands")
    identity_changes: list[IdentityChangeView]
    parked_payments: list[ParkedPaymentView] = Field(description="Payments whose claim has not arrived yet")
    overpayments: list[OverpaymentView]
    payments_in_transit: list[PaymentReportView] = Field(
        description="Reported by the agent (速報), money not yet here: no 督促, 催告 or disposition on those claims")
    unconfirmed_payment_reports: list[PaymentReportView] = Field(
        description="速報 whose 確報 did not arrive by the day it was due: to reconcile with the agent")
    support_measure: SupportMeasure = Field(description="DV等支援措置: when active, the address stays inside the city "
                                                        "and the warning is shown above the debtor")


def _person(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    person = dict(row["person"] or {})
    return {key: person.get(key) for key in ("kind", "name_kanji", "name_kana", "birth_date", "postal_code",
                                             "address", "phone")}


def late_charge_of(claim: ClaimBalance, as_of: date) -> int:
    """The late charge still to pay on ``as_of``: run up on the unpaid principal (or fixed when it was paid) by
    the receivable's ordinance scheme, less what payments settled; 0 for an extinguished or cancelled claim, and
    when the rate table has no year for it (the claim view says which)."""
    return running_late_charge(claim, as_of)


def _arrears(ledger: DebtorLedger, arrears_class: ArrearsClass) -> int:
    return sum(c.balance for c in ledger.claims
               if c.status is ClaimStatus.DELINQUENT and c.arrears_class is arrears_class)


class DebtorLookupRequest(BaseModel):
    department: str = Field(min_length=1, max_length=32)
    source_person_id: str = Field(min_length=1, max_length=80, description="The department's person key, e.g. 宛名番号")
    source: str | None = Field(
        None, pattern=f"^{KEY_SPACE_PATTERN}$",
        description="The key space the id is numbered in (contracts/keys.py): a second vendor's code, e.g. "
                    "water_east; absent: the department's own (its primary system and the standard link)")


class DebtorLookup(BaseModel):
    department: str
    source: str = Field(description="The key space the id was looked up in")
    source_person_id: str
    debtor_ids: list[str] = Field(description="Debtors this departmental person record's claims and payments are under")


@router.post("/debtor-lookup", response_model=DebtorLookup,
             summary="Which debtor a departmental person record (e.g. a tax 宛名番号) belongs to")
async def lookup_debtor(body: DebtorLookupRequest, conn: Connection, staff: Viewer) -> DebtorLookup:
    """A POST, not a GET with query parameters: a department's person key must not land in URLs, which access
    logs, proxies and trace spans keep (issue 18 §6). ``GET /debtor-lookup`` answers 405."""
    department, source_person_id = body.department, body.source_person_id
    space = body.source or department
    rows = await store.debtors_of_person(conn, department, qualify(space, department, source_person_id))
    await audit_read(conn, staff, "lookup_debtor", f"{department}:{qualify(space, department, source_person_id)}",
                     sorted(r["debtor_id"] for r in rows))
    if not rows:
        raise HTTPException(404, f"no claims or payments for {department} person {source_person_id}"
                                 + ("" if is_primary(space, department) else f" of source {space}"))
    return DebtorLookup(department=department, source=space, source_person_id=source_person_id,
                        debtor_ids=sorted(r["debtor_id"] for r in rows))


@router.get("/debtors/{debtor_id}", response_model=DebtorView,
            summary="Debtor 360: identity, departmental records, every claim with balance, case, holds, relations")
async def get_debtor(
    debtor_id: DebtorId,
    conn: Connection,
    staff: Viewer,
    today: BusinessDate,
    as_of: Annotated[date | None, Query(description="Balances as of this business date (default: today, JST)")] = None,
) -> DebtorView:
    as_of = as_of or today
    ledger = await load_ledger(conn, debtor_id, as_of)
    await audit(conn, staff, "read_debtor", debtor_id, as_of=as_of.isoformat(), found=ledger is not None)
    if ledger is None:
        raise HTTPException(404, f"no ledger entries for debtor {debtor_id}")
    records = {(r["department"], r["source_person_id"]): r for r in await store.departmental_persons(conn, debtor_id)}
    for row in await store.departmental_keys(conn, debtor_id):
        records.setdefault((row["department"], row["source_person_id"]),
                           {"department": row["department"], "source_person_id": row["source_person_id"],
                            "person": None})
    holders = {(r["department"], r["claim_id"]): r for r in await store.claim_holders(conn, debtor_id)}
    related = await store.related_persons(conn, debtor_id)
    case = await store.current_case(conn, debtor_id)
    holds = await store.active_holds(conn, debtor_id)
    plans = (await load_installment_plans(conn, [debtor_id], as_of)).get(debtor_id, [])
    changes = await store.identity_changes(conn, debtor_id)
    return DebtorView(
        debtor_id=debtor_id,
        as_of=ledger.as_of,
        balance=ledger.balance,
        delinquent_balance=ledger.delinquent_balance,
        current_year_arrears=_arrears(ledger, ArrearsClass.CURRENT_YEAR),
        carried_over_arrears=_arrears(ledger, ArrearsClass.CARRIED_OVER),
        records=[PersonView(department=d, source_person_id=s, **_person(r)) for (d, s), r in sorted(records.items())],
        claims=[
            ClaimView(
                department=c.claim.department, claim_id=c.claim.claim_id, receivable_type=c.claim.receivable_type,
                legal_category=c.claim.legal_category, fiscal_year=c.claim.fiscal_year, tax_year=c.claim.tax_year,
                installment=c.claim.installment, due_date=c.claim.due_date, assessed_amount=c.claim.amount,
                principal=c.principal, paid=c.paid, balance=c.balance, status=c.status,
                arrears_class=c.arrears_class, late_charge=late_charge_of(c, ledger.as_of),
                late_charge_paid=c.late_charge_paid, fees=max(c.fees_open, 0) if c.outstanding else 0,
                extinguished_on=c.extinguished_on, prescription_completed_on=c.prescription_completed_on,
                holder_kind=holders[key]["holder_kind"] if (key := (c.claim.department, c.claim.claim_id)) in holders
                else None,
                holder_code=holders[key]["holder_code"] if key in holders else None,
                assignment_rule=holders[key]["rule_id"] if key in holders else None,
            )
            for c in ledger.claims
        ],
        related_persons=[RelatedPersonView(department=r["department"], source_person_id=r["source_person_id"],
                                           role=r["role"], claim_id=r["claim_id"], **_person(r)) for r in related],
        case=CaseSummary(**dict(case)) if case else None,
        holds=[HoldView(**dict(h)) for h in holds],
        installment_plans=[InstallmentPlanView(
            department=p.department, agreement_id=p.agreement_id, claim_ids=list(p.claim_ids), agreed_on=p.agreed_on,
            renegotiations=p.versions - 1,
            schedule=[{"due_date": i.due_date.isoformat(), "amount": i.amount} for i in p.schedule],
            state=p.status.state.value, expected_to_date=p.status.expected_to_date,
            paid_to_date=p.status.paid_to_date, next_due=p.status.next_due.due_date if p.status.next_due else None,
            missed=[MissedInstallmentView(due_date=m.due_date, shortfall=m.shortfall) for m in p.status.missed])
            for p in plans],
        identity_changes=[IdentityChangeView(**dict(c)) for c in changes],
        parked_payments=[ParkedPaymentView(department=p.department, payment_id=p.payment_id, claim_id=p.claim_id,
                                           amount=p.amount, paid_on=p.paid_on) for p in ledger.parked_payments],
        overpayments=[OverpaymentView(department=o.department, payment_id=o.payment_id, amount=o.amount)
                      for o in ledger.overpayments],
        payments_in_transit=[PaymentReportView(**asdict(r)) for r in ledger.in_transit],
        unconfirmed_payment_reports=[PaymentReportView(**asdict(r)) for r in ledger.unconfirmed_reports],
        support_measure=await support_measure_view(conn, debtor_id),
    )

