"""Allocation (充当), table by table: department orders, late-charge components, the central-window split
(oldest first, forced-collection first, pro rata in whole yen, the payer's designation), overpayment,
validation, and random cases checked against the invariants."""

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.collection.allocation import (
    DEFAULT_POLICY_PATH,
    Allocation,
    AllocationPolicy,
    CentralMethod,
    Component,
    DepartmentOrder,
    Due,
    SortKey,
    allocate_department_payment,
    load_allocation_policy,
    sort_dues,
    split_central_payment,
)
from services.collection.ledger import Claim, Payment, build_ledger

P, L = Component.PRINCIPAL, Component.LATE_CHARGE
ALL_PRINCIPAL_FIRST = ["component", "due_date", "fiscal_year", "installment", "claim_id"]
PER_CLAIM = ["due_date", "fiscal_year", "installment", "claim_id", "component"]
FORCED, PRIVATE = "forced_public", "private"


def due(claim_id: str, balance: int, due_on: date, component: Component = P, *, department: str = "tax",
        fiscal_year: int | None = None, installment: int = 1, category: str = FORCED) -> Due:
    fy = fiscal_year if fiscal_year is not None else (due_on.year if due_on.month >= 4 else due_on.year - 1)
    return Due(department, claim_id, component, balance, due_on, fy, installment, category)


# Two tax claims, each with a synthetic late charge (延滞金 is not computed yet; these stand in for it).
A_P = due("A", 10_000, date(2023, 6, 30))
A_L = due("A", 1_000, date(2023, 6, 30), L)
B_P = due("B", 5_000, date(2023, 8, 31))
B_L = due("B", 500, date(2023, 8, 31), L)
WITH_LATE = [B_L, A_L, B_P, A_P]  # deliberately out of order


@pytest.mark.parametrize(
    ("case", "order", "dues", "amount", "claim_id", "expected", "overpayment"),
    [
        ("all principal before any late charge", ALL_PRINCIPAL_FIRST, WITH_LATE, 15_500, None,
         [("A", P, 10_000), ("B", P, 5_000), ("A", L, 500)], 0),
        ("per claim: principal then its late charge", PER_CLAIM, WITH_LATE, 15_500, None,
         [("A", P, 10_000), ("A", L, 1_000), ("B", P, 4_500)], 0),
        ("principal first, partial", ALL_PRINCIPAL_FIRST, WITH_LATE, 12_345, None,
         [("A", P, 10_000), ("B", P, 2_345)], 0),
        ("per claim, partial late charge", PER_CLAIM, WITH_LATE, 10_001, None, [("A", P, 10_000), ("A", L, 1)], 0),
        ("everything settled, rest is overpayment", ALL_PRINCIPAL_FIRST, WITH_LATE, 20_000, None,
         [("A", P, 10_000), ("B", P, 5_000), ("A", L, 1_000), ("B", L, 500)], 3_500),
        ("naming a claim: its principal then its late charge", ALL_PRINCIPAL_FIRST, WITH_LATE, 5_200, "B",
         [("B", P, 5_000), ("B", L, 200)], 0),
        ("naming a claim: excess is refunded, never spilled", ALL_PRINCIPAL_FIRST, WITH_LATE, 6_000, "B",
         [("B", P, 5_000), ("B", L, 500)], 500),
        ("naming a claim with nothing open: all overpayment", PER_CLAIM, WITH_LATE, 700, "Z", [], 700),
        ("no dues at all: all overpayment", PER_CLAIM, [], 700, None, [], 700),
        ("zero balances are skipped", PER_CLAIM, [due("A", 0, date(2023, 6, 30)), B_P], 100, None,
         [("B", P, 100)], 0),
        ("same due date: fiscal year decides", PER_CLAIM,
         [due("N", 100, date(2024, 5, 31), fiscal_year=2024), due("O", 100, date(2024, 5, 31), fiscal_year=2023)],
         150, None, [("O", P, 100), ("N", P, 50)], 0),
        ("same due date and year: installment decides", PER_CLAIM,
         [due("X1", 100, date(2024, 6, 30), installment=2), due("X2", 100, date(2024, 6, 30), installment=1)],
         150, None, [("X2", P, 100), ("X1", P, 50)], 0),
        ("claim id is the last tie-break", ALL_PRINCIPAL_FIRST,
         [due("K2", 100, date(2024, 6, 30)), due("K1", 100, date(2024, 6, 30))], 150, None,
         [("K1", P, 100), ("K2", P, 50)], 0),
        ("an order may rank claim id first", ["claim_id", "component"],
         [due("Z", 100, date(2020, 6, 30)), due("A", 100, date(2024, 6, 30))], 150, None,
         [("A", P, 100), ("Z", P, 50)], 0),
    ],
)
def test_department_allocation(case: str, order: list[str], dues: list[Due], amount: int, claim_id: str | None,
                               expected: list[tuple[str, Component, int]], overpayment: int) -> None:
    result = allocate_department_payment(amount, dues, order, claim_id=claim_id)
    assert [tuple(a) for a in result.allocations] == expected, case
    assert result.overpayment == overpayment, case
    assert result.allocated + result.overpayment == amount


@pytest.mark.parametrize(
    ("department", "first_four"),
    [
        ("tax", [("A", P), ("B", P), ("A", L), ("B", L)]),
        ("insurance", [("A", P), ("B", P), ("A", L), ("B", L)]),
        ("childcare", [("A", P), ("A", L), ("B", P), ("B", L)]),
        ("housing", [("A", P), ("A", L), ("B", P), ("B", L)]),
        ("water", [("A", P), ("A", L), ("B", P), ("B", L)]),
        ("a_department_not_in_the_policy", [("A", P), ("A", L), ("B", P), ("B", L)]),
    ],
)
def test_policy_orders_per_department(department: str, first_four: list[tuple[str, Component]]) -> None:
    order = load_allocation_policy().order_for(department)
    assert [(d.claim_id, d.component) for d in sort_dues(WITH_LATE, order)] == first_four


def test_policy_file_is_the_written_policy() -> None:
    policy = load_allocation_policy()
    assert policy == load_allocation_policy(DEFAULT_POLICY_PATH) and policy.version == "allocation.v1"
    assert set(policy.departments) == {"tax", "insurance", "childcare", "housing", "water"}
    for department in ("tax", "insurance"):
        assert policy.departments[department].order[0] is SortKey.COMPONENT
    for department in ("childcare", "housing", "water"):
        assert policy.departments[department].order[-1] is SortKey.COMPONENT
    assert all(o.description for o in [*policy.departments.values(), policy.default])
    assert policy.central_window.method is CentralMethod.FORCED_PUBLIC_FIRST
    assert "滞納処分" in policy.central_window.description


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.update(surprise=1), "surprise"),
        (lambda p: p["departments"]["tax"].update(priority=1), "priority"),
        (lambda p: p["central_window"].update(method="largest_first"), "method"),
        (lambda p: p["departments"]["tax"].update(order=["due_date", "component"]), "claim_id"),
        (lambda p: p["departments"]["tax"].update(order=["due_date", "claim_id", "component", "due_date"]),
         "more than once"),
        (lambda p: p["departments"]["water"].update(order=["amount", "claim_id", "component"]), "amount"),
        (lambda p: p["central_window"].update(description=""), "description"),
    ],
)
def test_a_malformed_policy_is_rejected(tmp_path: Path, change, field: str) -> None:  # type: ignore[no-untyped-def]
    raw = json.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "allocation.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValidationError, match=field):
        load_allocation_policy(path)


# Across departments: housing and water are private claims here, tax and insurance forced-collection ones.
TAX = due("T", 10_000, date(2024, 6, 30))
INSURANCE = due("I", 4_000, date(2024, 7, 31), department="insurance")
HOUSING = due("H", 6_000, date(2024, 4, 30), department="housing", category=PRIVATE)
WATER = due("W", 3_000, date(2024, 5, 31), department="water", category=PRIVATE)
CITY = [TAX, INSURANCE, HOUSING, WATER]


@pytest.mark.parametrize(
    ("case", "method", "dues", "amount", "designated", "parts", "overpayment", "reasons"),
    [
        ("oldest due first", "oldest_first", CITY, 12_000, None,
         [("housing", 6_000), ("water", 3_000), ("tax", 3_000)], 0,
         {"housing": "oldest due first across departments"}),
        ("oldest first settles principal before late charges", "oldest_first",
         [due("T", 1_000, date(2023, 6, 30), L), due("W", 3_000, date(2024, 5, 31), department="water")], 3_500,
         None, [("water", 3_000), ("tax", 500)], 0, {}),
        ("forced-collection claims first", "forced_public_first", CITY, 12_000, None,
         [("tax", 10_000), ("insurance", 2_000)], 0,
         {"tax": "forced-collection claims first (滞納処分 and prescription risk)"}),
        ("then the others, oldest first", "forced_public_first", CITY, 20_000, None,
         [("tax", 10_000), ("insurance", 4_000), ("housing", 6_000)], 0,
         {"housing": "other claims after the forced-collection ones, oldest due first"}),
        ("more than everything: overpayment", "forced_public_first", CITY, 25_000, None,
         [("tax", 10_000), ("insurance", 4_000), ("housing", 6_000), ("water", 3_000)], 2_000, {}),
        ("pro rata, 10,001 yen over three balances", "pro_rata", [TAX, HOUSING, WATER], 10_001, None,
         [("housing", 3_158), ("water", 1_579), ("tax", 5_264)], 0,
         {"tax": "pro rata to balances (10,000 of 19,000 yen); +1 remainder yen", "water": "(3,000 of 19,000 yen)"}),
        ("pro rata, equal remainders go to the oldest claims", "pro_rata",
         [due("T", 5_000, date(2024, 6, 30)), due("H", 5_000, date(2024, 4, 30), department="housing"),
          due("W", 5_000, date(2024, 5, 31), department="water")], 10_001, None,
         [("housing", 3_334), ("water", 3_334), ("tax", 3_333)], 0, {"housing": "+1 remainder yen"}),
        ("pro rata, 1 yen over three balances", "pro_rata", [TAX, HOUSING, WATER], 1, None, [("tax", 1)], 0, {}),
        ("pro rata, 7 yen over seven 1-yen balances",  "pro_rata",
         [due(f"C{i}", 1, date(2024, 6, 1) + timedelta(days=i), department=f"d{i}") for i in range(7)], 7, None,
         [(f"d{i}", 1) for i in range(7)], 0, {}),
        ("pro rata, more than everything", "pro_rata", [TAX, WATER], 14_000, None,
         [("water", 3_000), ("tax", 10_000)], 1_000, {"tax": "the whole balance"}),
        ("designation first, then oldest first", "oldest_first", CITY, 12_000, {"water": 2_000},
         [("water", 3_000), ("housing", 6_000), ("tax", 3_000)], 0,
         {"water": "designated by the payer; then oldest due first across departments"}),
        ("designation overrides forced-collection first", "forced_public_first", CITY, 5_000, {"housing": 5_000},
         [("housing", 5_000)], 0, {"housing": "designated by the payer"}),
        ("designation beyond a balance is refunded, not moved", "forced_public_first", CITY, 5_000,
         {"water": 5_000}, [("water", 3_000)], 2_000, {"water": "2,000 yen beyond its balance"}),
        ("designation, then pro rata of the rest", "pro_rata", [TAX, HOUSING, WATER], 10_001, {"tax": 4_000},
         [("tax", 6_400), ("housing", 2_401), ("water", 1_200)], 0,
         {"tax": "designated by the payer; then pro rata to balances (6,000 of 15,000 yen)"}),
        ("several designations", "oldest_first", CITY, 9_000, {"tax": 1_000, "insurance": 1_000},
         [("tax", 1_000), ("insurance", 1_000), ("housing", 6_000), ("water", 1_000)], 0, {}),
    ],
)
def test_central_window_split(case: str, method: str, dues: list[Due], amount: int, designated: dict[str, int] | None,
                              parts: list[tuple[str, int]], overpayment: int, reasons: dict[str, str]) -> None:
    split = split_central_payment(amount, dues, method, designated)
    assert [(p.department, p.amount) for p in split.parts] == parts, case
    assert split.overpayment == overpayment, case
    assert sum(p.amount for p in split.parts) + split.overpayment == amount
    assert split.method is CentralMethod(method)
    for department, words in reasons.items():
        assert words in next(p.reason for p in split.parts if p.department == department), case
    assert all(p.reason for p in split.parts)


@pytest.mark.parametrize("amount", [0, -1, -10_000, 1.5, True, "100"])
def test_payment_amount_must_be_positive_integer_yen(amount: object) -> None:
    with pytest.raises(ValueError, match=r"^amount: "):
        allocate_department_payment(amount, [A_P], PER_CLAIM)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^amount: "):
        split_central_payment(amount, CITY, "oldest_first")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: split_central_payment(1_000, CITY, "oldest_first", {"water": -500}), r"designated\[water\]"),
        (lambda: split_central_payment(1_000, CITY, "oldest_first", {"water": 0}), r"designated\[water\]"),
        (lambda: split_central_payment(1_000, CITY, "pro_rata", {"childcare": 500}),
         r"designated\[childcare\]: department 'childcare' has no open balance"),
        (lambda: split_central_payment(1_000, [*CITY, due("C", 0, date(2024, 5, 1), department="childcare")],
                                       "pro_rata", {"childcare": 500}), r"designated\[childcare\]"),
        (lambda: split_central_payment(1_000, CITY, "oldest_first", {"water": 600, "tax": 500}),
         r"designated: the designations total 1,100 yen, more than the amount 1,000 yen"),
        (lambda: split_central_payment(1_000, CITY, "largest_first"), r"^method: "),
        (lambda: split_central_payment(1_000, [due("T", -1, date(2024, 6, 30))], "pro_rata"), r"^balance: tax/T"),
        (lambda: allocate_department_payment(1_000, [due("T", -1, date(2024, 6, 30))], PER_CLAIM), r"^balance: "),
        (lambda: allocate_department_payment(1_000, [A_P, A_P], PER_CLAIM), r"^dues: tax/A/principal"),
        (lambda: allocate_department_payment(1_000, [TAX, WATER], PER_CLAIM), r"^dues: .*tax, water"),
        (lambda: allocate_department_payment(1_000, [A_P], ["due_date", "claim_id"]), r"order: .*component"),
        (lambda: allocate_department_payment(1_000, [A_P], ["due_date", "claim_id", "component", "colour"]),
         "colour"),
    ],
)
def test_validation_errors_name_the_field(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()


def test_build_ledger_takes_a_policy() -> None:
    def claim(claim_id: str, due_on: date) -> Claim:
        return Claim("tax", claim_id, "individual_inhabitant_tax", FORCED, 2024, 1, due_on, 1_000, date(2024, 4, 1))

    claims = [claim("Z", date(2024, 5, 31)), claim("A", date(2024, 7, 31))]
    payments = [Payment("tax", "p1", None, 1_500, date(2024, 8, 1), "counter")]
    as_of = date(2024, 9, 30)
    default = build_ledger(claims, [], [], payments, [], as_of)
    assert [(c.claim.claim_id, c.paid) for c in default.claims] == [("Z", 1_000), ("A", 500)]

    by_claim_id = AllocationPolicy.model_validate({
        **json.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8")),
        "departments": {"tax": {"order": ["claim_id", "component"]}},
    })
    custom = build_ledger(claims, [], [], payments, [], as_of, policy=by_claim_id)
    assert [(c.claim.claim_id, c.paid) for c in custom.claims] == [("Z", 500), ("A", 1_000)]


DEPARTMENTS = ["tax", "insurance", "childcare", "housing", "water"]
ORDERS = [ALL_PRINCIPAL_FIRST, PER_CLAIM, ["claim_id", "component"], ["component", "claim_id"],
          ["installment", "fiscal_year", "component", "claim_id", "due_date"]]


def random_dues(rng: random.Random, departments: list[str]) -> list[Due]:
    dues: list[Due] = []
    for n in range(rng.randint(0, 8)):
        department = rng.choice(departments)
        due_on = date(2019, 4, 30) + timedelta(days=rng.randint(0, 2_000))
        category = rng.choice([FORCED, PRIVATE, "non_forced_public"])
        components = [P, L] if rng.random() < 0.5 else [P]
        for component in components:
            balance = rng.choice([0, 1, 2, 999, rng.randint(1, 60_000)])
            dues.append(due(f"c{n}", balance, due_on, component, department=department,
                            installment=rng.randint(1, 10), category=category))
    return dues


@pytest.mark.parametrize("seed", range(4))
def test_random_department_allocations_keep_the_invariants(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        department = rng.choice(DEPARTMENTS)
        dues = random_dues(rng, [department])
        amount = rng.choice([1, 2, rng.randint(1, 1_000), rng.randint(1, 200_000)])
        claim_id = rng.choice([None, None, "c0", "c1", "unknown"])
        order = rng.choice(ORDERS)
        result = allocate_department_payment(amount, dues, order, claim_id=claim_id)

        balance = {(d.claim_id, d.component): d.balance for d in dues}
        keys = [(a.claim_id, a.component) for a in result.allocations]
        assert len(keys) == len(set(keys))
        assert all(isinstance(a, Allocation) and isinstance(a.amount, int) and a.amount > 0
                   for a in result.allocations)
        assert all(a.amount <= balance[(a.claim_id, a.component)] for a in result.allocations)
        assert isinstance(result.overpayment, int) and result.overpayment >= 0
        assert result.allocated + result.overpayment == amount
        eligible = {k: v for k, v in balance.items() if claim_id is None or k[0] == claim_id}
        assert set(keys) <= set(eligible)
        if result.overpayment:  # only once everything it could settle is settled
            assert result.allocated == sum(eligible.values())
        if claim_id is not None and len(keys) == 2:  # public: principal first; private: 遅延損害金 first (民法489条)
            category = next(d.legal_category for d in dues if d.claim_id == claim_id)
            assert [k[1] for k in keys] == ([L, P] if category == PRIVATE else [P, L])


@pytest.mark.parametrize("seed", range(4))
def test_random_central_splits_keep_the_invariants(seed: int) -> None:
    rng = random.Random(1_000 + seed)
    policy = load_allocation_policy()
    for _ in range(500):
        dues = random_dues(rng, DEPARTMENTS)
        owed: dict[str, int] = {}
        for d in dues:
            owed[d.department] = owed.get(d.department, 0) + d.balance
        amount = rng.choice([1, 3, rng.randint(1, 10_000), rng.randint(1, 300_000)])
        method = rng.choice(list(CentralMethod))
        designated: dict[str, int] = {}
        for department in [d for d, v in owed.items() if v > 0]:
            room = amount - sum(designated.values())
            if room > 0 and rng.random() < 0.3:
                designated[department] = rng.randint(1, room)
        split = split_central_payment(amount, dues, method, designated or None)

        got = split.by_department
        assert len(got) == len(split.parts)
        assert all(isinstance(p.amount, int) and p.amount > 0 and p.reason for p in split.parts)
        assert all(got[d] <= owed[d] for d in got)
        assert isinstance(split.overpayment, int) and split.overpayment >= 0
        assert sum(got.values()) + split.overpayment == amount
        for department, yen in designated.items():
            assert got[department] >= min(yen, owed[department])
        excess = sum(max(yen - owed[d], 0) for d, yen in designated.items())
        if split.overpayment > excess:  # only once every balance is settled
            assert got == {d: v for d, v in owed.items() if v > 0}
        if method is CentralMethod.PRO_RATA and not designated and amount < sum(owed.values()):
            total = sum(owed.values())
            for department, balance in owed.items():  # within one yen of the exact proportion
                assert abs(got.get(department, 0) * total - amount * balance) < total
        # each department can then allocate its part within its own dues without an overpayment
        for department, yen in got.items():
            own = [d for d in dues if d.department == department]
            assert allocate_department_payment(yen, own, policy.order_for(department)).overpayment == 0


def test_department_order_model_accepts_keys_by_name() -> None:
    assert DepartmentOrder(order=("due_date", "claim_id", "component")).order == (  # type: ignore[arg-type]
        SortKey.DUE_DATE, SortKey.CLAIM_ID, SortKey.COMPONENT)
