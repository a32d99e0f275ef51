"""A fiscal year of bills, payments and the other events of every department, department-neutral.

The truth of the city: each bill knows its debtor (a resident or a business), and each payment knows its bill.
Department views (views.py) turn this into what each department's system records, noise included.
"""

from __future__ import annotations

import random
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta

from contracts import (
    AdjustmentReason,
    CancellationReason,
    Department,
    ExemptionReason,
    PaymentChannel,
    RelationRole,
    SupplyStatus,
)
from tools.synthetic_city.population import Behaviour, Business, City, Household, Resident

Debtor = Resident | Business


@dataclass(eq=False)
class Bill:
    department: Department
    receivable: str
    debtor: Debtor
    fiscal_year: int
    installment: int
    due_date: date
    amount: int
    assessed_on: date
    source_key: str  # notice number, tenancy, contract …: the department's own reference
    related: list[tuple[RelationRole, Resident]] = field(default_factory=list)
    period: tuple[date, date] | None = None
    payments: list[Payment] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    cancelled: Cancellation | None = None

    def balance(self, as_of: date) -> int:
        """The ground truth: what is still owed on this bill as of a date."""
        if self.assessed_on > as_of:
            return 0
        if self.cancelled is not None and self.cancelled.on <= as_of:
            return 0
        principal = self.amount + sum(a.delta for a in self.adjustments if a.on <= as_of)
        paid = sum(p.amount for p in self.payments
                   if p.paid_on <= as_of and (p.reversed_on is None or p.reversed_on > as_of))
        return principal - paid


@dataclass(eq=False)
class Payment:
    payment_no: str
    amount: int
    paid_on: date
    channel: PaymentChannel
    reversed_on: date | None = None


@dataclass(eq=False)
class Adjustment:
    serial: str
    delta: int
    on: date
    reason: AdjustmentReason


@dataclass(eq=False)
class Cancellation:
    on: date
    reason: CancellationReason


@dataclass(eq=False)
class Exemption:
    application_no: str
    department: Department
    receivable: str
    debtor: Debtor
    bill: Bill | None
    on: date
    reason: ExemptionReason


@dataclass(eq=False)
class Agreement:
    agreement_no: str
    department: Department
    debtor: Debtor
    bill: Bill
    schedule: list[tuple[date, int]]
    on: date


@dataclass(eq=False)
class SupplyChange:
    contract_id: str
    debtor: Debtor
    status: SupplyStatus
    on: date


@dataclass
class Year:
    fiscal_year: int
    as_of: date
    bills: list[Bill] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    supply_changes: list[SupplyChange] = field(default_factory=list)


def _month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def _fy_month(fiscal_year: int, month: int) -> tuple[int, int]:
    return (fiscal_year if month >= 4 else fiscal_year + 1), month


CHANNEL_WEIGHTS = {PaymentChannel.ACCOUNT_TRANSFER: 0.5, PaymentChannel.CONVENIENCE_STORE: 0.3,
                   PaymentChannel.COUNTER: 0.1, PaymentChannel.SMARTPHONE: 0.1}


class _Simulator:
    def __init__(self, city: City, fiscal_year: int, as_of: date):
        self.rng = random.Random(city.seed * 7 + fiscal_year)
        self.year = Year(fiscal_year, as_of)
        self.serial = city.id_space * 100_000_000

    def next_no(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:09d}"

    def bill(self, department: Department, receivable: str, debtor: Debtor, installment: int, due: date,
             amount: int, source_key: str, *, assessed_on: date | None = None,
             related: list[tuple[RelationRole, Resident]] | None = None,
             period: tuple[date, date] | None = None) -> Bill:
        bill = Bill(department, receivable, debtor, self.year.fiscal_year, installment, due, amount,
                    assessed_on or date(self.year.fiscal_year, 4, 1), source_key, related or [], period)
        if bill.assessed_on <= self.year.as_of:  # the export is taken on as_of: later bills do not exist yet
            self.year.bills.append(bill)
        return bill

    def pay(self, bill: Bill) -> None:
        """Payments by the debtor's behaviour; only what happened by ``as_of`` is kept."""
        rng, as_of = self.rng, self.year.as_of
        behaviour = bill.debtor.behaviour
        if isinstance(bill.debtor, Resident) and bill.debtor.deceased_on and bill.due_date > bill.debtor.deceased_on:
            cancelled_on = bill.debtor.deceased_on + timedelta(days=14)
            if (bill.department is Department.TAX or bill.assessed_on > bill.debtor.deceased_on) \
                    and cancelled_on <= as_of:
                bill.cancelled = Cancellation(cancelled_on, CancellationReason.DECEASED)
                return
        if behaviour is Behaviour.ON_TIME:
            paid_on, amount = bill.due_date - timedelta(days=rng.randint(0, 10)), bill.amount
        elif behaviour is Behaviour.LATE:
            paid_on, amount = bill.due_date + timedelta(days=rng.randint(15, 90)), bill.amount
        elif behaviour is Behaviour.CHRONIC:
            if rng.random() > 0.3:
                return
            paid_on, amount = bill.due_date + timedelta(days=rng.randint(30, 200)), bill.amount
        else:
            if rng.random() > 0.3:
                return
            paid_on, amount = bill.due_date + timedelta(days=rng.randint(10, 120)), max(1, bill.amount // 2)
        if paid_on > as_of:
            return
        channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        payment = Payment(self.next_no("P"), amount, paid_on, channel)
        bill.payments.append(payment)
        if channel is PaymentChannel.ACCOUNT_TRANSFER and rng.random() < 0.02:  # 口座振替不能, paid again later
            if paid_on + timedelta(days=5) <= as_of:  # nothing after the export date is in the export
                payment.reversed_on = paid_on + timedelta(days=5)
                again = paid_on + timedelta(days=rng.randint(20, 40))
                if again <= as_of and rng.random() < 0.7:
                    bill.payments.append(Payment(self.next_no("P"), amount, again, PaymentChannel.COUNTER))


def simulate_year(city: City, fiscal_year: int = 2024, as_of: date = date(2025, 1, 31)) -> Year:
    """Every department's bills of one fiscal year, and what happened to them by ``as_of``."""
    sim = _Simulator(city, fiscal_year, as_of)
    rng = sim.rng
    fy = fiscal_year
    for household in city.households:
        _tax(sim, household, fy)
        _insurance(sim, household, fy)
        _childcare(sim, household, fy)
        _housing(sim, household, city, fy)
        _water(sim, household.head, household.household_id, fy)
    for business in city.businesses:
        _water(sim, business, business.business_id, fy, scale=6)
        notice = sim.next_no("N")
        for inst, (month, day) in enumerate(((4, 30), (7, 31), (12, 25), (2, 28)), start=1):
            y, m = _fy_month(fy, month)
            sim.bill(Department.TAX, "fixed_asset_tax", business, inst, date(y, m, day), rng.randint(40, 400) * 1000,
                     notice)
    for bill in sim.year.bills:
        sim.pay(bill)
    _hardship_events(sim)
    _adjustments(sim)
    return sim.year


def _tax(sim: _Simulator, household: Household, fy: int) -> None:
    rng = sim.rng
    for member in household.members:
        age = member.age_on(date(fy, 4, 1))
        # 普通徴収 (not withheld by an employer): commoner among the self-employed and the unemployed, who are
        # also likelier to fall behind — hence Toyota's "6 in 10 non-tax delinquents also owe tax".
        ordinary = 0.5 if member.behaviour is Behaviour.ON_TIME else 0.9
        if 20 <= age < 75 and rng.random() < ordinary:
            annual = rng.randint(30, 300) * 1000
            notice = sim.next_no("N")
            for inst, (month, day) in enumerate(((6, 30), (8, 31), (10, 31), (1, 31)), start=1):
                y, m = _fy_month(fy, month)
                share = annual // 4 + (annual % 4 if inst == 1 else 0)
                sim.bill(Department.TAX, "individual_inhabitant_tax", member, inst, date(y, m, day), share, notice,
                         assessed_on=date(fy, 6, 1))
        if age >= 18 and rng.random() < 0.3:
            sim.bill(Department.TAX, "light_vehicle_tax", member, 0, date(fy, 5, 31), 10_800, sim.next_no("N"),
                     assessed_on=date(fy, 4, 10))
    if household.owns_home:
        annual = rng.randint(50, 200) * 1000
        notice = sim.next_no("N")
        for inst, (month, day) in enumerate(((4, 30), (7, 31), (12, 25), (2, 28)), start=1):
            y, m = _fy_month(fy, month)
            share = annual // 4 + (annual % 4 if inst == 1 else 0)
            sim.bill(Department.TAX, "fixed_asset_tax", household.head, inst, date(y, m, day), share, notice)


def _insurance(sim: _Simulator, household: Household, fy: int) -> None:
    rng = sim.rng
    head = household.head
    head_age = head.age_on(date(fy, 4, 1))
    if not household.employer_insured and head_age < 75:  # 国民健康保険税, levied on the head of household
        annual = rng.randint(80, 400) * 1000
        notice = sim.next_no("N")
        members = [(RelationRole.HOUSEHOLD_MEMBER, m) for m in household.members if m is not head]
        for inst, month in enumerate((7, 8, 9, 10, 11, 12, 1, 2), start=1):
            y, m = _fy_month(fy, month)
            share = annual // 8 + (annual % 8 if inst == 1 else 0)
            sim.bill(Department.INSURANCE, "national_health_insurance_tax", head, inst, _month_end(y, m), share,
                     notice, assessed_on=date(fy, 7, 1), related=members)
    for member in household.members:
        age = member.age_on(date(fy, 4, 1))
        if 65 <= age < 75 and rng.random() < 0.25:  # 介護保険料 普通徴収
            annual, notice = rng.randint(40, 120) * 1000, sim.next_no("N")
            for inst, month in enumerate((7, 8, 9, 10, 11, 12, 1, 2), start=1):
                y, m = _fy_month(fy, month)
                share = annual // 8 + (annual % 8 if inst == 1 else 0)
                sim.bill(Department.INSURANCE, "long_term_care_premium", member, inst, _month_end(y, m), share,
                         notice, assessed_on=date(fy, 7, 1))
        if age >= 75 and rng.random() < 0.25:  # 後期高齢者医療保険料 普通徴収
            annual, notice = rng.randint(30, 150) * 1000, sim.next_no("N")
            for inst, month in enumerate((7, 8, 9, 10, 11, 12, 1, 2), start=1):
                y, m = _fy_month(fy, month)
                share = annual // 8 + (annual % 8 if inst == 1 else 0)
                sim.bill(Department.INSURANCE, "late_elderly_medical_premium", member, inst, _month_end(y, m),
                         share, notice, assessed_on=date(fy, 7, 1))


def _childcare(sim: _Simulator, household: Household, fy: int) -> None:
    rng = sim.rng
    guardian = household.head
    for child in household.members:
        age = child.age_on(date(fy, 4, 1))
        if age <= 5 and rng.random() < 0.6:
            receivable, fee = "nursery_fee", rng.randint(10, 40) * 1000
        elif 6 <= age <= 12:
            receivable, fee = "school_lunch_fee", 4_500
        else:
            continue
        for index, month in enumerate((4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3), start=1):
            if receivable == "school_lunch_fee" and month == 8:
                continue
            y, m = _fy_month(fy, month)
            start = date(y, m, 1)
            sim.bill(Department.CHILDCARE, receivable, guardian, index, _month_end(y, m), fee, child.resident_id,
                     assessed_on=start, related=[(RelationRole.CHILD, child)], period=(start, _month_end(y, m)))


def _housing(sim: _Simulator, household: Household, city: City, fy: int) -> None:
    if not household.in_municipal_housing:
        return
    rng = sim.rng
    rent = rng.randint(15, 60) * 1000
    guarantor = rng.choice(rng.choice(city.households).members)
    related = [] if guarantor.household_id == household.household_id else [(RelationRole.GUARANTOR, guarantor)]
    tenancy = f"T{household.household_id[2:]}"
    for index, month in enumerate((4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3), start=1):
        y, m = _fy_month(fy, month)
        sim.bill(Department.HOUSING, "municipal_housing_rent", household.head, index, _month_end(y, m), rent, tenancy,
                 assessed_on=date(y, m, 1), related=related, period=(date(y, m, 1), _month_end(y, m)))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _water(sim: _Simulator, debtor: Debtor, owner_id: str, fy: int, scale: int = 1) -> None:
    """隔月検針: six bills a year, each for two months of use, due at the end of the following month."""
    rng = sim.rng
    contract = f"S{owner_id}"
    for period in range(1, 7):
        start = date(*_add_months(fy, 4, 2 * (period - 1)), 1)
        end = _month_end(*_add_months(start.year, start.month, 1))
        due = _month_end(*_add_months(start.year, start.month, 2))
        water, sewer = rng.randint(3, 12) * 1000 * scale, rng.randint(2, 10) * 1000 * scale
        assessed = end + timedelta(days=5)
        sim.bill(Department.WATER, "water_supply_charge", debtor, period, due, water, contract, assessed_on=assessed,
                 period=(start, end))
        sim.bill(Department.WATER, "sewerage_charge", debtor, period, due, sewer, contract, assessed_on=assessed,
                 period=(start, end))


def _hardship_events(sim: _Simulator) -> None:
    """People in hardship apply for exemptions and agree installments; long water arrears lead to suspension."""
    rng, year = sim.rng, sim.year
    unpaid: dict[tuple[int, Department], list[Bill]] = {}
    for bill in year.bills:
        if bill.due_date < year.as_of and bill.balance(year.as_of) > 0:
            unpaid.setdefault((id(bill.debtor), bill.department), []).append(bill)
    for (_, department), bills in unpaid.items():
        debtor = bills[0].debtor
        if debtor.behaviour is Behaviour.HARDSHIP and department in (Department.TAX, Department.INSURANCE,
                                                                     Department.CHILDCARE):
            if rng.random() < 0.4:
                first = min(bills, key=lambda b: b.due_date)
                year.exemptions.append(Exemption(sim.next_no("G"), department, first.receivable, debtor, first,
                                                 first.due_date + timedelta(days=20), ExemptionReason.HARDSHIP))
        if debtor.behaviour in (Behaviour.HARDSHIP, Behaviour.CHRONIC) and department in (
                Department.TAX, Department.HOUSING) and rng.random() < 0.3:
            bill = min(bills, key=lambda b: b.due_date)
            owed = bill.balance(year.as_of)
            agreed = bill.due_date + timedelta(days=45)
            if owed >= 6 and agreed <= year.as_of:
                count = min(6, owed)
                base, rest = divmod(owed, count)
                schedule = []
                for i in range(count):  # monthly on the 25th from the month after; the remainder paid first
                    month_index = agreed.month + i
                    y, m = agreed.year + month_index // 12, month_index % 12 + 1
                    schedule.append((date(y, m, 25), base + (rest if i == 0 else 0)))
                year.agreements.append(Agreement(sim.next_no("A"), department, debtor, bill, schedule, agreed))
        if department is Department.WATER and len(bills) >= 4 and rng.random() < 0.5:
            contract = bills[0].source_key
            notice_on = max(b.due_date for b in bills[:4]) + timedelta(days=30)
            if notice_on <= year.as_of:
                year.supply_changes.append(SupplyChange(contract, debtor, SupplyStatus.SUSPENSION_NOTICE, notice_on))
                if notice_on + timedelta(days=14) <= year.as_of and rng.random() < 0.5:
                    year.supply_changes.append(SupplyChange(contract, debtor, SupplyStatus.SUSPENDED,
                                                            notice_on + timedelta(days=14)))


def _adjustments(sim: _Simulator) -> None:
    """更正・減額: a few tax and insurance bills are corrected downwards after assessment."""
    rng, as_of = sim.rng, sim.year.as_of
    for bill in sim.year.bills:
        if bill.department in (Department.TAX, Department.INSURANCE) and bill.cancelled is None \
                and rng.random() < 0.02:
            on = bill.assessed_on + timedelta(days=rng.randint(20, 120))
            delta = -min(bill.amount - sum(p.amount for p in bill.payments), rng.randint(1, 5) * 1000)
            if on <= as_of and delta < 0:
                bill.adjustments.append(Adjustment(sim.next_no("K"), delta, on, AdjustmentReason.REDUCTION))
