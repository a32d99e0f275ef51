"""The law wired into the ledger (issue 19 §1–§4), each figure computed by hand in the comment above it:
prescription drives status and payments (公債権 extinguished without invocation, 私債権 after 援用), 過誤納金 and
地方税法17条の2, 国民健康保険料 against 国民健康保険税, the supply contract's date, 督促手数料 and 滞納処分費, the 延滞金
fixed when the principal is paid, 猶予 halving the 延滞金, 民法489条, and the ordinance table's validation."""

import json
from datetime import date
from pathlib import Path

import pytest

from contracts.enums import LegalCategory
from services.collection.allocation import Component, DepartmentOrder, Due, allocate_department_payment
from services.collection.late_charges import late_charge, load_late_charge_rates
from services.collection.ledger import (
    Claim,
    ClaimStatus,
    LegalAction,
    Payment,
    build_ledger,
    facts_of,
    grace_periods,
)
from services.collection.ordinances import DEFAULT_ORDINANCES_PATH, check_categories, load_ordinances
from services.collection.prescription import (
    PrescriptionClaim,
    default_prescription_table,
    legal_events,
    prescription,
)
from services.collection.workflow import ActionKind, ActionRecord, allowed_actions, check_action

D = date.fromisoformat


def tax(claim_id: str, amount: int, due: str, *, receivable: str = "fixed_asset_tax", department: str = "tax",
        category: str = "forced_public") -> Claim:
    due_on = D(due)
    fy = due_on.year if due_on.month >= 4 else due_on.year - 1
    return Claim(department, claim_id, receivable, category, fy, 1, due_on, amount, D(f"{fy}-04-01"))


def pay(payment_id: str, amount: int, on: str, claim_id: str | None = None, department: str = "tax") -> Payment:
    return Payment(department, payment_id, claim_id, amount, D(on), "bank")


def act(claim_id: str, kind: str, on: str, *, outcome: str | None = None, amount: int = 0,
        department: str = "tax") -> LegalAction:
    return LegalAction(department, claim_id, D(on), kind, outcome, amount)


def ledger(claims, payments=(), actions=(), as_of="2025-01-31"):  # type: ignore[no-untyped-def]
    return build_ledger(claims, [], [], payments, [], D(as_of), actions=actions)


def one(result, claim_id: str):  # type: ignore[no-untyped-def]
    return next(c for c in result.claims if c.claim.claim_id == claim_id)


# --- §1 prescription drives the ledger ------------------------------------------------------------------------

def test_a_public_claim_is_extinguished_at_completion_without_invocation() -> None:
    # 固定資産税 due 2019-05-31: the period runs 2019-06-01 … 2024-05-31 (地方税法18条1項, 民法143条).
    claims = [tax("T", 50_000, "2019-05-31")]
    assert one(ledger(claims, as_of="2024-05-31"), "T").status is ClaimStatus.DELINQUENT
    after = ledger(claims, as_of="2024-06-01")
    claim = one(after, "T")
    assert (claim.status, claim.extinguished_on, claim.extinguished_by) == (
        ClaimStatus.EXTINGUISHED, D("2024-05-31"), "prescription")
    assert claim.outstanding == 0 and claim.extinguished_amount == 50_000
    assert after.balance == 0 and after.delinquent_balance == 0
    # The rules obey it: only 不納欠損 remains (地方自治法236条2項).
    assert allowed_actions("forced_public", history=[], facts=facts_of(claim), on=D("2024-06-01")) == [
        ActionKind.WRITE_OFF]


def test_the_first_demand_notice_renews_a_tax_claim_after_its_ten_days() -> None:
    # 督促 sent 2019-06-20 → new period from 2019-07-01 (地方税法18条の2第1項2号) → completes 2024-06-30.
    claims = [tax("T", 50_000, "2019-05-31")]
    actions = [act("T", "demand_notice", "2019-06-20")]
    assert one(ledger(claims, actions=actions, as_of="2024-06-30"), "T").status is ClaimStatus.DELINQUENT
    claim = one(ledger(claims, actions=actions, as_of="2024-07-01"), "T")
    assert (claim.status, claim.extinguished_on) == (ClaimStatus.EXTINGUISHED, D("2024-06-30"))
    # 督促手数料 100 yen (市税条例) was charged by that 督促 and is extinguished with the claim.
    assert claim.extinguished_amount == 50_100


def test_a_partial_payment_acknowledges_and_renews() -> None:
    # 10,000 paid 2020-01-10 (承認, 民法152条) → new period 2020-01-11 … 2025-01-10.
    claims = [tax("T", 50_000, "2019-05-31")]
    payments = [pay("p1", 10_000, "2020-01-10", "T")]
    assert one(ledger(claims, payments, as_of="2025-01-10"), "T").status is ClaimStatus.DELINQUENT
    claim = one(ledger(claims, payments, as_of="2025-01-11"), "T")
    assert (claim.status, claim.extinguished_on, claim.extinguished_amount) == (
        ClaimStatus.EXTINGUISHED, D("2025-01-10"), 40_000)


def test_a_seizure_suspends_until_it_ends_then_renews() -> None:
    # Seized 2023-01-10 and never released: no completion while it lasts (民法148条1項).
    claims = [tax("T", 50_000, "2019-05-31")]
    seized = [act("T", "demand_notice", "2019-06-20"), act("T", "seizure", "2023-01-10")]
    assert one(ledger(claims, actions=seized, as_of="2026-01-01"), "T").status is ClaimStatus.DELINQUENT
    # Released 2023-03-31 → the period runs anew 2023-04-01 … 2028-03-31 (民法148条2項).
    released = [*seized, act("T", "seizure_release", "2023-03-31")]
    state = prescription(PrescriptionClaim("T", "fixed_asset_tax", LegalCategory.FORCED_PUBLIC, D("2019-05-31"),
                                           D("2019-04-01")),
                         legal_events([(a.on, a.kind, a.outcome) for a in released]),
                         table=default_prescription_table(), as_of=D("2026-01-01"))
    assert (state.period_starts_on, state.completes_on) == (D("2023-04-01"), D("2028-03-31"))


def test_money_paid_after_extinction_is_overpaid_never_revenue() -> None:
    # 8,000 paid 2024-07-01 on a claim extinguished 2024-05-31: 過誤納金, the claim stays extinguished.
    claims = [tax("T", 50_000, "2019-05-31", receivable="light_vehicle_tax")]
    result = ledger(claims, [pay("p1", 8_000, "2024-07-01", "T")], as_of="2024-08-01")
    claim = one(result, "T")
    assert claim.status is ClaimStatus.EXTINGUISHED and claim.paid == 0
    assert [(o.payment_id, o.amount, o.reason, o.appropriated) for o in result.overpayments] == [
        ("p1", 8_000, "after_extinction", 0)]


def test_overpaid_tax_goes_first_to_the_same_persons_other_tax_arrears() -> None:
    # 地方税法17条の2: 30,000 paid on A (10,000, due 2024-05-31) on 2024-09-10. A's 延滞金: 30 days at 2.4% on
    # 10,000 = 19.72 + 72 days at 8.7% = 171.61 → 191 → under 1,000: none. The 20,000 left goes to B, the
    # person's 国民健康保険税 in the insurance department (20,000, due 2024-07-31; its 延滞金 88 yen → none), not
    # to the 介護保険料 (a premium, not a tax) and not to C, not yet due; nothing is refunded.
    claims = [tax("A", 10_000, "2024-05-31"),
              tax("B", 20_000, "2024-07-31", receivable="national_health_insurance_tax", department="insurance"),
              tax("K", 9_000, "2024-06-30", receivable="long_term_care_premium", department="insurance"),
              tax("C", 40_000, "2024-12-31")]
    result = ledger(claims, [pay("p1", 30_000, "2024-09-10", "A")], as_of="2024-09-30")
    assert (one(result, "A").balance, one(result, "B").balance, one(result, "K").balance,
            one(result, "C").balance) == (0, 0, 9_000, 40_000)
    assert [(a.department, a.claim_id, a.component, a.amount) for a in result.appropriations] == [
        ("insurance", "B", Component.PRINCIPAL, 20_000)]
    assert [(o.amount, o.appropriated) for o in result.overpayments] == [(0, 20_000)]


def test_a_refund_remains_only_beyond_every_tax_arrear() -> None:
    # 15,000 on A (10,000) with B (3,000 delinquent, no 延滞金 over the threshold) → 3,000 to B, 2,000 refunded.
    claims = [tax("A", 10_000, "2024-05-31"), tax("B", 3_000, "2024-07-31", receivable="light_vehicle_tax")]
    result = ledger(claims, [pay("p1", 15_000, "2024-09-10", "A")], as_of="2024-09-30")
    assert [(o.amount, o.appropriated, o.reason) for o in result.overpayments] == [(2_000, 3_000, "excess")]


def test_a_private_claim_completes_and_is_collected_until_invoked() -> None:
    # 上水道料金 due 2020-05-31, arose after the reform: 5 years (民法166条1項1号) → completes 2025-05-31.
    water = Claim("water", "W", "water_supply_charge", "private", 2020, 1, D("2020-05-31"), 4_000, D("2020-05-01"))
    open_claim = one(ledger([water], as_of="2025-06-10"), "W")
    assert open_claim.status is ClaimStatus.DELINQUENT and open_claim.prescription_completed_on == D("2025-05-31")
    facts = facts_of(open_claim)
    assert check_action("private", ActionKind.INVOCATION, history=[], facts=facts, on=D("2025-06-10")).allowed
    assert check_action("private", ActionKind.REMINDER_LETTER, history=[], facts=facts, on=D("2025-06-10")).allowed
    invoked = ledger([water], actions=[act("W", "invocation", "2025-06-05", department="water")],
                     as_of="2025-06-10")
    claim = one(invoked, "W")
    assert (claim.status, claim.extinguished_on, claim.extinguished_by) == (
        ClaimStatus.EXTINGUISHED, D("2025-06-05"), "invocation")
    # Before completion, 援用 is refused.
    early = facts_of(one(ledger([water], as_of="2025-05-01"), "W"))
    assert "only once the prescription period has completed" in check_action(
        "private", ActionKind.INVOCATION, history=[], facts=early, on=D("2025-05-01")).reason


# --- §2 receivables the law distinguishes ---------------------------------------------------------------------

def test_national_health_insurance_premium_prescribes_in_two_years_the_tax_in_five() -> None:
    # Due 2022-06-30: 料 completes 2024-06-30 (国民健康保険法110条1項), 税 2027-06-30 (地方税法18条).
    premium = tax("P", 30_000, "2022-06-30", receivable="national_health_insurance_premium", department="insurance")
    levy = tax("X", 30_000, "2022-06-30", receivable="national_health_insurance_tax", department="insurance")
    result = ledger([premium, levy], as_of="2024-07-01")
    assert one(result, "P").status is ClaimStatus.EXTINGUISHED and one(result, "P").extinguished_on == D("2024-06-30")
    assert one(result, "X").status is ClaimStatus.DELINQUENT


def test_a_water_bill_follows_the_law_of_its_supply_contract() -> None:
    # Billed after the reform (arose 2021-05-01, due 2021-05-31) under a contract of 2019-03-01: the old Civil
    # Code's 2 years (旧民法173条, 附則10条1項) → completes 2023-05-31; without the contract date, the city's
    # stated rule (the assessed date) gives the new law's 5 years → 2026-05-31.
    table = default_prescription_table()

    def completes(contract_on: date | None) -> date | None:
        c = PrescriptionClaim("W", "water_supply_charge", LegalCategory.PRIVATE, D("2021-05-31"), D("2021-05-01"),
                              contract_on)
        return prescription(c, [], table=table, as_of=D("2021-06-01")).completes_on

    assert completes(D("2019-03-01")) == D("2023-05-31")
    assert completes(None) == D("2026-05-31")


def test_the_ordinance_table_is_complete_and_refuses_gaps(tmp_path: Path) -> None:
    data = json.loads(DEFAULT_ORDINANCES_PATH.read_text(encoding="utf-8"))
    data["receivables"]["nursery_fee"]["demand_fee"] = [
        {"from": None, "to": "2023-03-31", "amount": 100, "source": "条例"},
        {"from": "2023-04-02", "to": None, "amount": 150, "source": "条例 改正"}]
    bad = tmp_path / "gap.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="(?s)COLLECTION_ORDINANCES_PATH.*nursery_fee.demand_fee: gap or overlap"):
        load_ordinances(bad)
    del data["receivables"]["sewerage_charge"]
    data["receivables"]["nursery_fee"]["demand_fee"][1]["from"] = "2023-04-01"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=r"no ordinance entry for \['sewerage_charge'\]"):
        load_ordinances(bad)


def test_a_dated_demand_fee_and_the_city_categories_are_checked() -> None:
    ordinances = load_ordinances()
    assert ordinances.demand_fee("nursery_fee", D("2024-06-15")) == 100
    assert ordinances.demand_fee("water_supply_charge", D("2024-06-15")) == 0
    check_categories(ordinances, {"municipal_housing_rent": "non_forced_public", "water_supply_charge": "private"})
    with pytest.raises(ValueError, match=r"COLLECTION_ORDINANCES_PATH.*fixed_asset_tax is non_forced_public for this city, "
                       r"which cannot bear late-charge scheme \['local_tax'\]"):
        check_categories(ordinances, {"fixed_asset_tax": "non_forced_public"})
    with pytest.raises(ValueError, match="sewerage_charge is private for this city, which cannot bear"):
        check_categories(ordinances, {"sewerage_charge": "private"})


def test_a_rate_table_with_a_missing_year_is_refused(tmp_path: Path) -> None:
    from services.collection.late_charges import DEFAULT_RATES_PATH
    data = json.loads(DEFAULT_RATES_PATH.read_text(encoding="utf-8"))
    del data["tax_late_charge"]["years"]["2023"]
    bad = tmp_path / "rates.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=r"years: no rates for \[2023\]"):
        load_late_charge_rates(bad)


# --- §3 amounts the law adds ----------------------------------------------------------------------------------

def test_demand_fee_and_disposition_cost_are_settled_before_the_principal() -> None:
    # 保育料 30,000 due 2024-05-31; 督促 2024-06-15 adds 100 yen; paying 30,000 on 2024-07-01 settles the fee
    # first, then 29,900 of principal (延滞金 30 days at 2.4% = 59.17 + 1 day at 8.7% = 7.15 → 66 → none).
    nursery = tax("N", 30_000, "2024-05-31", receivable="nursery_fee", department="childcare")
    actions = [act("N", "demand_notice", "2024-06-15", department="childcare")]
    result = ledger([nursery], [pay("p1", 30_000, "2024-07-01", department="childcare")], actions, as_of="2024-07-31")
    claim = one(result, "N")
    assert (claim.demand_fee, claim.demand_fee_paid, claim.balance, claim.status) == (
        100, 100, 100, ClaimStatus.DELINQUENT)
    # A seizure's 滞納処分費 of 3,500 comes before the principal too.
    actions += [act("N", "seizure", "2024-08-01", department="childcare"),
                act("N", "disposition_cost", "2024-08-01", amount=3_500, department="childcare")]
    result = ledger([nursery], [pay("p1", 30_000, "2024-07-01", department="childcare"),
                                pay("p2", 3_550, "2024-08-20", department="childcare")], actions, as_of="2024-08-31")
    claim = one(result, "N")
    assert (claim.disposition_cost_paid, claim.paid, claim.balance) == (3_500, 29_950, 50)


def test_late_charge_left_after_the_principal_stays_open_and_can_be_paid_alone() -> None:
    # 固定資産税 500,000 due 2024-04-30 paid 2024-10-31. 1月を経過する日 is 2024-05-31: 31 days at 2.4% =
    # 1,019.17; 2024-06-01 … 10-31, 153 days at 8.7% = 18,234.24; total 19,253.42 → 19,200 (100-yen rounding).
    claims = [tax("T", 500_000, "2024-04-30")]
    payments = [pay("p1", 500_000, "2024-10-31")]
    claim = one(ledger(claims, payments, as_of="2024-11-10"), "T")
    assert (claim.balance, claim.late_charge_fixed, claim.late_charge_open, claim.outstanding, claim.status) == (
        0, 19_200, 19_200, 19_200, ClaimStatus.DELINQUENT)
    assert check_action("forced_public", ActionKind.REMINDER_LETTER, history=[], facts=facts_of(claim),
                        on=D("2024-11-10")).allowed
    paid = one(ledger(claims, [*payments, pay("p2", 19_200, "2024-11-15", "T")], as_of="2024-11-30"), "T")
    assert (paid.late_charge_paid, paid.outstanding, paid.status) == (19_200, 0, ClaimStatus.PAID)


def test_a_grace_halves_the_late_charge_capped_at_the_grace_rate() -> None:
    # The same claim with 徴収猶予 2024-06-01 … 2024-08-31 (92 days): each day at min(8.7% ÷ 2, 0.9%) = 0.9%
    # (地方税法15条の9, 附則3条の2): 500,000 × 0.9% × 92/365 = 1,134.24; May 31 days at 2.4% = 1,019.17;
    # 2024-09-01 … 10-31, 61 days at 8.7% = 7,269.86; total 9,423.28 → 9,400.
    actions = [act("T", "collection_grace", "2024-06-01"), act("T", "collection_grace", "2024-08-31", outcome="ended")]
    assert grace_periods(actions) == [(D("2024-06-01"), D("2024-08-31"))]
    direct = late_charge(500_000, D("2024-04-30"), D("2024-10-31"), payments=[(D("2024-10-31"), 500_000)],
                         graces=grace_periods(actions))
    assert direct.rounded_total == 9_400
    claim = one(ledger([tax("T", 500_000, "2024-04-30")], [pay("p1", 500_000, "2024-10-31")], actions,
                       as_of="2024-11-10"), "T")
    assert claim.late_charge_fixed == 9_400


def test_no_seizure_during_either_grace() -> None:
    facts = facts_of(one(ledger([tax("T", 50_000, "2024-04-30")], as_of="2024-08-01"), "T"))
    history = [ActionRecord(ActionKind.DEMAND_NOTICE, D("2024-05-10"), "staff"),
               ActionRecord(ActionKind.REALISATION_GRACE, D("2024-07-01"), "staff")]
    assert not check_action("forced_public", ActionKind.SEIZURE, history=history, facts=facts, on=D("2024-08-01")).allowed
    history[1] = ActionRecord(ActionKind.COLLECTION_GRACE, D("2024-07-01"), "staff")
    assert not check_action("forced_public", ActionKind.SEIZURE, history=history, facts=facts, on=D("2024-08-01")).allowed


# --- §4 payment order -----------------------------------------------------------------------------------------

def test_private_claims_settle_costs_then_delay_damages_then_principal_unless_agreed() -> None:
    # 民法489条: 10,000 due 2024-05-31, 5,000 paid 2024-12-31 (214 days: 10,000 × 3% × 214/365 = 175.89 → 175).
    order = DepartmentOrder(order=("due_date", "claim_id", "component"))
    dues = [Due("water", "W", Component.PRINCIPAL, 10_000, D("2024-05-31"), 2024, 1, "private"),
            Due("water", "W", Component.LATE_CHARGE, 175, D("2024-05-31"), 2024, 1, "private"),
            Due("water", "W", Component.DISPOSITION_COST, 300, D("2024-05-31"), 2024, 1, "private")]
    result = allocate_department_payment(5_000, dues, order)
    assert [(a.component, a.amount) for a in result.allocations] == [
        (Component.DISPOSITION_COST, 300), (Component.LATE_CHARGE, 175), (Component.PRINCIPAL, 4_525)]
    agreed = DepartmentOrder(order=("due_date", "claim_id", "component"), agreement="給水契約第12条 (民法490条)",
                             private_agreed_order=(Component.PRINCIPAL, Component.LATE_CHARGE,
                                                   Component.DISPOSITION_COST, Component.DEMAND_FEE))
    result = allocate_department_payment(5_000, dues, agreed)
    assert [(a.component, a.amount) for a in result.allocations] == [(Component.PRINCIPAL, 5_000)]
    with pytest.raises(ValueError, match="must name the clause"):
        DepartmentOrder(order=("claim_id", "component"), private_agreed_order=tuple(Component))


def test_a_water_payment_pays_the_delay_damages_accrued_to_its_date() -> None:
    water = Claim("water", "W", "water_supply_charge", "private", 2024, 1, D("2024-05-31"), 10_000, D("2024-05-01"))
    result = ledger([water], [pay("p1", 5_000, "2024-12-31", department="water")], as_of="2025-01-31")
    claim = one(result, "W")
    assert (claim.late_charge_paid, claim.paid, claim.balance) == (175, 4_825, 5_175)


def test_bad_city_configuration_is_refused_at_start_naming_the_setting() -> None:
    from services.collection.ledger import configure_legal_rules
    with pytest.raises(ValueError, match="COLLECTION_ORDINANCES_PATH.*sewerage_charge is private"):
        configure_legal_rules(ordinances_path=None, category_overrides={"sewerage_charge": "private"},
                              national_health_insurance_levy="tax")
    with pytest.raises(ValueError, match="RECEIVABLE_CATEGORY_OVERRIDES: category override for 'nursery_fee'"):
        configure_legal_rules(ordinances_path=None, category_overrides={"nursery_fee": "公債権"},
                              national_health_insurance_levy="tax")
    with pytest.raises(ValueError, match="NATIONAL_HEALTH_INSURANCE_LEVY: must be tax or premium"):
        configure_legal_rules(ordinances_path=None, category_overrides={}, national_health_insurance_levy="料")
