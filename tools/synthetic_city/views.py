"""Each department's own view of the city: its person records (with noise) and its canonical payloads, in the
claim-id scheme of that department's adapter, ready for the adapter's ``render_export``.

The synthetic city is a tool, not a service: it uses the adapters' format modules to write their files.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from contracts import (
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    ClaimNoticeSent,
    Department,
    ExemptionApplied,
    InstallmentAgreed,
    NoticeKind,
    Payload,
    PaymentReceived,
    PaymentReversed,
    PersonKind,
    PersonReference,
    RelatedPerson,
    ReversalReason,
    ScheduledInstallment,
    WaterSupplyChanged,
)
from contracts.receivables import legal_category
from contracts.sources import source_of
from services.childcare_adapter import export_format as childcare
from services.housing_adapter import export_format as housing
from services.insurance_adapter import export_format as insurance
from services.tax_adapter import export_format as tax
from services.water_adapter import export_format as water
from tools.synthetic_city.bills import Bill, Debtor, Year
from tools.synthetic_city.noise import NoiseLevel, join_name, kana, person_rng, variant_kanji
from tools.synthetic_city.population import Business, City, Resident


@dataclass
class DepartmentExport:
    department: Department
    file_name: str
    render: Callable[[Sequence[Payload]], bytes]
    records: list[Payload] = field(default_factory=list)
    #: (source_person_id, entity id) of every person record this department holds (debtors and related persons)
    person_records: dict[str, str] = field(default_factory=dict)
    #: claim id → the bill it was made from (for the ground truth)
    claims: dict[str, Bill] = field(default_factory=dict)
    #: claim id → the day the department sent its own 督促 (for the ground truth)
    demand_notices: dict[str, date] = field(default_factory=dict)


DEPARTMENT_DEMAND_SHARE = 0.85
"""Most 督促 are sent by the departments' own systems (issue 19 §5): this share of the claims still unpaid on the
day gets its 督促 from the department, 5 to 20 days after the due date (地方税法329条1項: within 20 days); the rest
is left to the central office's 督促 task list."""
DEPARTMENT_REMINDER_SHARE = 0.5
"""Of the claims the department demanded and that stay unpaid, this share gets a 催告 45 to 55 days after the due
date."""


def entity_id(debtor: Debtor) -> str:
    return debtor.resident_id if isinstance(debtor, Resident) else debtor.business_id


class _Views:
    def __init__(self, city: City, noise: NoiseLevel, as_of: date | None = None):
        self.seed, self.noise, self.as_of = city.seed, noise, as_of
        self.households = {h.household_id: h for h in city.households}
        # Each department's export under the file name of its source system (contracts/sources.py), written the
        # way that system writes it (era dates, a BOM).
        renderers: dict[Department, Callable[[Sequence[Payload]], bytes]] = {
            Department.TAX: lambda r: tax.render_export(r, era_dates=True),
            Department.INSURANCE: insurance.render_export,
            Department.CHILDCARE: lambda r: childcare.render_export(r, bom=True),
            Department.HOUSING: housing.render_export,
            Department.WATER: lambda r: water.render_export(r, era_dates=True),
        }
        self.exports = {department: DepartmentExport(department, source_of(department).export_file, render)
                        for department, render in renderers.items()}
        self._people: dict[tuple[Department, str], PersonReference] = {}

    def source_person_id(self, department: Department, who: Debtor) -> str:
        if isinstance(who, Business):
            return {Department.WATER: f"W{who.business_id}"}.get(department, f"8{who.business_id[1:]:0>8}")
        if department is Department.HOUSING:
            return f"K{who.resident_id[1:]}"
        if department is Department.WATER:
            return f"W{who.household_id}"
        return who.atena  # 宛名番号: shared by tax, insurance and childcare

    def person(self, department: Department, who: Debtor) -> PersonReference:
        """How this department records this person; always the same within one department."""
        source_id = self.source_person_id(department, who)
        key = (department, source_id)
        if key in self._people:
            return self._people[key]
        rng, noise = person_rng(self.seed, department.value, source_id), self.noise
        if isinstance(who, Business):
            reference = PersonReference.model_construct(
                source_person_id=source_id, kind=PersonKind.CORPORATION, name_kanji=who.name, name_kana=who.kana,
                birth_date=None, postal_code=who.address.postal_code, address=who.address.full(), phone=who.phone)
        else:
            surname, surname_kana = who.surname, who.surname_kana
            if who.maiden_surname and rng.random() < noise.maiden_name:
                surname, surname_kana = who.maiden_surname
            if rng.random() < noise.variant_kanji:
                surname = variant_kanji(surname, rng)
            address = who.previous_address if who.previous_address and rng.random() < noise.old_address else None
            household_address = address or self.households[who.household_id].address
            reference = PersonReference.model_construct(
                source_person_id=source_id, kind=PersonKind.INDIVIDUAL,
                name_kanji=join_name(surname, who.given, rng, noise),
                name_kana=kana(f"{surname_kana} {who.given_kana}", rng, noise),
                birth_date=None if rng.random() < noise.missing_birth_date else who.birth_date,
                postal_code=household_address.postal_code, address=household_address.full(), phone=who.phone)
        self._people[key] = reference
        self.exports[department].person_records[source_id] = entity_id(who)
        return reference

    def claim_id(self, bill: Bill) -> str:
        d = bill.department
        if d is Department.TAX:
            return tax.claim_id(bill.fiscal_year, bill.receivable, bill.source_key, bill.installment)
        if d is Department.INSURANCE:
            return insurance.claim_id(bill.fiscal_year, bill.receivable, bill.source_key, bill.installment)
        if d is Department.CHILDCARE:
            child_id = self.source_person_id(d, bill.related[0][1])
            return childcare.claim_id(bill.receivable, bill.due_date.year, bill.due_date.month, child_id)
        if d is Department.HOUSING:
            return housing.claim_id(bill.source_key, bill.due_date.year, bill.due_date.month)
        customer = self.source_person_id(d, bill.debtor)
        return water.claim_id(bill.fiscal_year, bill.receivable, bill.source_key, customer, bill.installment)

    def add_bill(self, bill: Bill) -> None:
        export, d = self.exports[bill.department], bill.department
        person = self.person(d, bill.debtor)
        cid = self.claim_id(bill)
        export.claims[cid] = bill
        related = bill.related[:1] if d is Department.INSURANCE else bill.related  # the format names one member
        export.records.append(ClaimAssessed.model_construct(
            claim_id=cid, person=person, receivable_type=bill.receivable,
            legal_category=legal_category(bill.receivable), fiscal_year=bill.fiscal_year,
            installment=bill.installment, due_date=bill.due_date, amount=bill.amount, assessed_on=bill.assessed_on,
            related_persons=tuple(RelatedPerson.model_construct(role=role, person=self.person(d, who))
                                  for role, who in related),
            period_start=bill.period[0] if bill.period else None, period_end=bill.period[1] if bill.period else None,
        ))
        for adjustment in bill.adjustments:
            export.records.append(ClaimAdjusted.model_construct(
                claim_id=cid, person=person, amount_delta=adjustment.delta, reason=adjustment.reason,
                adjusted_on=adjustment.on))
        if bill.cancelled is not None:
            export.records.append(ClaimCancelled.model_construct(
                claim_id=cid, person=person, reason=bill.cancelled.reason, cancelled_on=bill.cancelled.on))
        for payment in bill.payments:
            export.records.append(PaymentReceived.model_construct(
                payment_id=payment.payment_no, person=person, claim_id=cid, amount=payment.amount,
                paid_on=payment.paid_on, channel=payment.channel))
            if payment.reversed_on is not None:
                export.records.append(PaymentReversed.model_construct(
                    payment_id=payment.payment_no, person=person, reason=ReversalReason.ACCOUNT_TRANSFER_FAILED,
                    reversed_on=payment.reversed_on))
        self.add_notices(export, person, cid, bill)

    def add_notices(self, export: DepartmentExport, person: PersonReference, cid: str, bill: Bill) -> None:
        """The department's own 督促 (and sometimes a 催告) of a bill still unpaid on the day, decided by a random
        stream of the seed and the claim id alone, so the city stays deterministic whatever else changes."""
        if self.as_of is None:  # a view without a date of its own (the matching benchmarks): no notices
            return
        rng = random.Random(f"{self.seed}:notices:{export.department.value}:{cid}")
        sent_on = bill.due_date + timedelta(days=rng.randint(5, 20))
        if sent_on > self.as_of or bill.balance(sent_on) <= 0 or rng.random() >= DEPARTMENT_DEMAND_SHARE:
            return
        export.records.append(ClaimNoticeSent.model_construct(
            notice_id=f"D{len(export.demand_notices) + 1:09d}", person=person, claim_id=cid,
            kind=NoticeKind.DEMAND_NOTICE, sent_on=sent_on))
        export.demand_notices[cid] = sent_on
        reminder_on = bill.due_date + timedelta(days=rng.randint(45, 55))
        if reminder_on <= self.as_of and bill.balance(reminder_on) > 0 and rng.random() < DEPARTMENT_REMINDER_SHARE:
            export.records.append(ClaimNoticeSent.model_construct(
                notice_id=f"R{len(export.demand_notices):09d}", person=person, claim_id=cid,
                kind=NoticeKind.REMINDER, sent_on=reminder_on))


def department_views(city: City, year: Year, noise: NoiseLevel) -> dict[Department, DepartmentExport]:
    views = _Views(city, noise, year.as_of)
    for bill in year.bills:
        views.add_bill(bill)
    for exemption in year.exemptions:
        export = views.exports[exemption.department]
        export.records.append(ExemptionApplied.model_construct(
            application_id=exemption.application_no, person=views.person(exemption.department, exemption.debtor),
            receivable_type=exemption.receivable,
            claim_id=views.claim_id(exemption.bill) if exemption.bill else None, reason=exemption.reason,
            applied_on=exemption.on))
    for agreement in year.agreements:
        export = views.exports[agreement.department]
        export.records.append(InstallmentAgreed.model_construct(
            agreement_id=agreement.agreement_no, person=views.person(agreement.department, agreement.debtor),
            claim_ids=(views.claim_id(agreement.bill),),
            schedule=tuple(ScheduledInstallment.model_construct(due_date=d, amount=a) for d, a in agreement.schedule),
            agreed_on=agreement.on))
    for change in year.supply_changes:
        views.exports[Department.WATER].records.append(WaterSupplyChanged.model_construct(
            contract_id=change.contract_id, person=views.person(Department.WATER, change.debtor),
            status=change.status, effective_on=change.on))
    return views.exports

