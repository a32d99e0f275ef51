"""Case assignment: central routing, outsourcing thresholds, holds, team choice, lead, overrides, policy
validation and the statutory guard that keeps forced-collection and tax claims with staff."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.enums import Department, LegalCategory
from contracts.receivables import RECEIVABLES
from services.collection.assignment import (
    RULE_DEFAULT_GROUP,
    RULE_FORCED_PUBLIC,
    RULE_HOLD,
    RULE_OVERRIDE,
    RULE_TAX,
    AssignmentPolicy,
    CaseAssignment,
    CaseClaim,
    CaseFacts,
    Conditions,
    Holder,
    HolderKind,
    OutsourcingRule,
    Override,
    assign_case,
    load_policy,
)

AS_OF = date(2025, 3, 31)
POLICY = load_policy()
TEAMS = ("lawyer_team_a", "lawyer_team_b")


def central(code: str) -> Holder:
    return Holder(HolderKind.CENTRAL_GROUP, code)


def team(code: str) -> Holder:
    return Holder(HolderKind.LAWYER_TEAM, code)


def claim(receivable_type: str, *, category: str | None = None, days: int = 30, balance: int = 50_000,
          claim_id: str | None = None) -> CaseClaim:
    """A claim ``days`` overdue as of AS_OF, in its catalogue department and (unless given) default category."""
    spec = RECEIVABLES[receivable_type]
    due = AS_OF - timedelta(days=days)
    return CaseClaim(spec.department.value, claim_id or f"{receivable_type}-{days}-{balance}", receivable_type,
                     category or spec.default_category.value, 2023, due, balance)


def case(*claims: CaseClaim, debtor_id: str = "D-0001", on_hold: bool = False,
         hold_reason: str | None = None) -> CaseFacts:
    return CaseFacts(debtor_id, AS_OF, tuple(claims), on_hold=on_hold, hold_reason=hold_reason)


def only(result: CaseAssignment) -> tuple[Holder, str]:
    (assigned,) = result.claims
    return assigned.holder, assigned.rule_id


def policy_data() -> dict[str, Any]:
    return json.loads((Path(__file__).parents[2] / "services/collection/policy/assignment.v1.json").read_text("utf-8"))


# --- the default policy file ------------------------------------------------------------------------------


def test_default_policy_file_loads_with_japanese_group_names() -> None:
    assert POLICY.version == "assignment.v1"
    assert POLICY.effective_from == date(2024, 4, 1)
    assert POLICY.central_groups["tax_insurance"] == "税・国保債権グループ"
    assert set(POLICY.central_groups) == {"tax_insurance", "welfare", "children", "housing_water"}
    assert set(POLICY.lawyer_teams) == set(TEAMS)
    assert [r.id for r in POLICY.outsourcing_rules] == ["outsource-aged-no-forced", "outsource-private-very-old"]


# --- central routing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("receivable_type", "category", "group", "rule_id"),
    [
        ("individual_inhabitant_tax", None, "tax_insurance", "route-tax"),
        ("fixed_asset_tax", None, "tax_insurance", "route-tax"),
        ("light_vehicle_tax", None, "tax_insurance", "route-tax"),
        ("national_health_insurance_tax", None, "tax_insurance", "route-insurance"),
        ("long_term_care_premium", None, "tax_insurance", "route-insurance"),
        ("late_elderly_medical_premium", None, "tax_insurance", "route-insurance"),
        ("nursery_fee", None, "children", "route-children"),
        ("school_lunch_fee", None, "children", "route-children"),
        ("municipal_housing_rent", None, "housing_water", "route-housing-water"),
        ("water_supply_charge", None, "housing_water", "route-housing-water"),
        ("sewerage_charge", None, "housing_water", "route-housing-water"),
        # a city that classifies housing rent or school lunch fees as 非強制徴収公債権 sends them to welfare
        ("municipal_housing_rent", "non_forced_public", "welfare", "route-non-forced-welfare"),
        ("school_lunch_fee", "non_forced_public", "welfare", "route-non-forced-welfare"),
    ],
)
def test_each_claim_is_routed_to_its_central_group(receivable_type: str, category: str | None, group: str,
                                                    rule_id: str) -> None:
    result = assign_case(case(claim(receivable_type, category=category)), POLICY)
    assert only(result) == (central(group), rule_id)
    assert result.claims[0].reason.startswith(f"routed to central group {group}")


def test_claim_no_routing_rule_matches_goes_to_the_default_group() -> None:
    data = policy_data()
    data["central_routing"] = [r for r in data["central_routing"] if r["id"] == "route-tax"]
    data["default_group"] = "welfare"
    policy = AssignmentPolicy.model_validate(data)
    result = assign_case(case(claim("water_supply_charge"), claim("fixed_asset_tax")), policy)
    assert [(a.holder, a.rule_id) for a in result.claims] == [
        (central("welfare"), RULE_DEFAULT_GROUP), (central("tax_insurance"), "route-tax")]


def test_claims_keep_the_case_order_and_identity() -> None:
    claims = (claim("fixed_asset_tax", claim_id="T-1"), claim("nursery_fee", claim_id="C-1"),
              claim("water_supply_charge", claim_id="W-1"))
    result = assign_case(case(*claims), POLICY)
    assert [(a.department, a.claim_id) for a in result.claims] == [("tax", "T-1"), ("childcare", "C-1"),
                                                                    ("water", "W-1")]
    assert result.debtor_id == "D-0001" and result.policy_version == "assignment.v1"


# --- outsourcing thresholds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("receivable_type", "category", "days", "balance", "with_forced_claim", "rule_id"),
    [
        # outsource-aged-no-forced: >= 180 days, >= 10,000 yen, no forced-collection claim in the case
        ("municipal_housing_rent", "private", 180, 10_000, False, "outsource-aged-no-forced"),
        ("municipal_housing_rent", "private", 179, 10_000, False, None),
        ("municipal_housing_rent", "private", 180, 9_999, False, None),
        ("water_supply_charge", "private", 300, 80_000, False, "outsource-aged-no-forced"),
        ("school_lunch_fee", "non_forced_public", 181, 12_000, False, "outsource-aged-no-forced"),
        ("municipal_housing_rent", "non_forced_public", 180, 10_000, True, None),
        ("municipal_housing_rent", "private", 364, 90_000, True, None),
        # outsource-private-very-old: >= 365 days private, whatever else the case holds, any balance
        ("municipal_housing_rent", "private", 365, 90_000, True, "outsource-private-very-old"),
        ("water_supply_charge", "private", 400, 500, True, "outsource-private-very-old"),
        ("water_supply_charge", "private", 400, 500, False, "outsource-private-very-old"),
        ("municipal_housing_rent", "non_forced_public", 900, 90_000, True, None),
        # never: forced-collection claims, whatever their age and amount
        ("sewerage_charge", None, 900, 900_000, False, None),
        ("nursery_fee", None, 900, 900_000, False, None),
        ("national_health_insurance_tax", None, 900, 900_000, False, None),
    ],
)
def test_outsourcing_thresholds(receivable_type: str, category: str | None, days: int, balance: int,
                                with_forced_claim: bool, rule_id: str | None) -> None:
    subject = claim(receivable_type, category=category, days=days, balance=balance, claim_id="subject")
    others = (claim("light_vehicle_tax", days=30, balance=5_000, claim_id="other"),) if with_forced_claim else ()
    result = assign_case(case(subject, *others), POLICY)
    assigned = next(a for a in result.claims if a.claim_id == "subject")
    if rule_id is None:
        assert assigned.holder.kind is HolderKind.CENTRAL_GROUP
        assert not assigned.rule_id.startswith("outsource")
    else:
        assert assigned.holder.kind is HolderKind.LAWYER_TEAM and assigned.holder.code in TEAMS
        assert assigned.rule_id == rule_id
        assert assigned.reason.startswith(f"outsourced to lawyer team {assigned.holder.code}")
    assert all(a.holder.kind is HolderKind.CENTRAL_GROUP for a in result.claims if a.claim_id == "other")


@pytest.mark.parametrize(
    ("min_case_balance", "balances", "outsourced"),
    [(100_000, (60_000, 40_000), True), (100_000, (60_000, 39_999), False)],
)
def test_min_case_balance_counts_every_claim_of_the_case(min_case_balance: int, balances: tuple[int, int],
                                                         outsourced: bool) -> None:
    data = policy_data()
    data["outsourcing_rules"] = [{"id": "outsource-big-case", "description": "big cases", "teams": ["lawyer_team_a"],
                                  "when": {"legal_category": ["private"], "min_case_balance": min_case_balance}}]
    policy = AssignmentPolicy.model_validate(data)
    result = assign_case(case(claim("water_supply_charge", balance=balances[0]),
                              claim("national_health_insurance_tax", balance=balances[1])), policy)
    assert [a.holder.kind for a in result.outsourced_claims] == ([HolderKind.LAWYER_TEAM] if outsourced else [])


def test_mixed_case_keeps_forced_claims_central_and_outsources_the_rest() -> None:
    result = assign_case(case(claim("municipal_housing_rent", days=400, claim_id="H"),
                              claim("fixed_asset_tax", days=400, claim_id="T"),
                              claim("nursery_fee", days=400, claim_id="N")), POLICY)
    assert [a.claim_id for a in result.outsourced_claims] == ["H"]
    assert [(a.claim_id, a.holder) for a in result.central_claims] == [("T", central("tax_insurance")),
                                                                         ("N", central("children"))]


# --- welfare-referral hold --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        (claim("municipal_housing_rent", days=200, balance=20_000),),
        (claim("water_supply_charge", days=400), claim("fixed_asset_tax", days=400)),
        (claim("municipal_housing_rent", days=400), claim("school_lunch_fee", category="non_forced_public", days=200)),
    ],
)
def test_hold_keeps_everything_central_and_says_why_without_the_personal_reason(claims: tuple[CaseClaim, ...]) -> None:
    unheld = assign_case(case(*claims), POLICY)
    assert unheld.outsourced_claims, "the case must be one the policy would outsource"
    held = assign_case(case(*claims, on_hold=True, hold_reason="生活保護申請中 (福祉課 山田)"), POLICY)
    assert held.outsourced_claims == ()
    for before, after in zip(unheld.claims, held.claims, strict=True):
        if before.holder.kind is HolderKind.LAWYER_TEAM:
            assert after.rule_id == RULE_HOLD
            assert "escalation paused by a welfare referral hold" in after.reason
            assert "生活保護" not in after.reason and "山田" not in after.reason
        else:
            assert after == before
    assert held.lead.kind is HolderKind.CENTRAL_GROUP


def test_hold_leaves_claims_no_rule_would_outsource_with_their_routing() -> None:
    result = assign_case(case(claim("fixed_asset_tax"), on_hold=True), POLICY)
    assert only(result) == (central("tax_insurance"), "route-tax")


# --- team choice ------------------------------------------------------------------------------------------


def aged_private_case(debtor_id: str) -> CaseFacts:
    return case(claim("municipal_housing_rent", days=400, claim_id="H"),
                claim("water_supply_charge", days=200, balance=15_000, claim_id="W"),
                claim("school_lunch_fee", category="non_forced_public", days=250, claim_id="S"), debtor_id=debtor_id)


@pytest.mark.parametrize("debtor_id", ["D-0001", "D-0002", "D-0003", "山田-42", ""])
def test_team_is_stable_per_debtor_and_shared_by_all_their_outsourced_claims(debtor_id: str) -> None:
    first = assign_case(aged_private_case(debtor_id), POLICY)
    again = assign_case(aged_private_case(debtor_id), POLICY)
    assert first == again
    assert len(first.outsourced_claims) == 3
    assert len({a.holder for a in first.outsourced_claims}) == 1
    assert first.lead == first.outsourced_claims[0].holder


def test_team_choice_does_not_depend_on_claim_order() -> None:
    facts = aged_private_case("D-0777")
    reversed_facts = case(*reversed(facts.claims), debtor_id="D-0777")
    assert {a.holder for a in assign_case(facts, POLICY).outsourced_claims} == \
        {a.holder for a in assign_case(reversed_facts, POLICY).outsourced_claims}


def test_team_load_spreads_over_the_teams() -> None:
    counts = Counter(assign_case(aged_private_case(f"D-{n:06d}"), POLICY).lead.code for n in range(1_000))
    assert set(counts) == set(TEAMS)
    for code in TEAMS:
        assert 400 <= counts[code] <= 600, counts


def test_one_firm_per_debtor_even_when_rules_list_different_teams() -> None:
    data = policy_data()
    data["outsourcing_rules"] = [
        {"id": "private-ab", "description": "private", "teams": ["lawyer_team_a", "lawyer_team_b"],
         "when": {"legal_category": ["private"]}},
        {"id": "non-forced-b", "description": "non-forced", "teams": ["lawyer_team_b"],
         "when": {"legal_category": ["non_forced_public"]}},
    ]
    policy = AssignmentPolicy.model_validate(data)
    for n in range(200):
        result = assign_case(aged_private_case(f"D-{n:04d}"), policy)
        assert {a.holder for a in result.outsourced_claims} == {team("lawyer_team_b")}
        assert {a.rule_id for a in result.outsourced_claims} == {"private-ab", "non-forced-b"}


# --- lead -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "lead", "reason_part"),
    [
        ((claim("fixed_asset_tax", balance=30_000), claim("nursery_fee", balance=80_000)),
         central("children"), "largest central balance held by children (子ども債権グループ): 80,000 yen"),
        # balances add up per group: 2 x 30,000 of tax and insurance beat 50,000 of housing
        ((claim("fixed_asset_tax", balance=30_000), claim("national_health_insurance_tax", balance=30_000),
          claim("municipal_housing_rent", balance=50_000)),
         central("tax_insurance"), "tax_insurance (税・国保債権グループ): 60,000 yen"),
        # ties go to the group code first in order: children < housing_water < tax_insurance
        ((claim("fixed_asset_tax", balance=40_000), claim("sewerage_charge", balance=40_000)),
         central("housing_water"), "housing_water"),
        ((claim("fixed_asset_tax", balance=40_000), claim("sewerage_charge", balance=40_000),
          claim("nursery_fee", balance=40_000)),
         central("children"), "children"),
        # an outsourced claim bigger than every central one does not take the lead
        ((claim("municipal_housing_rent", days=400, balance=900_000), claim("light_vehicle_tax", balance=1_000)),
         central("tax_insurance"), "1,000 yen"),
    ],
)
def test_lead_is_the_central_group_with_the_largest_balance(claims: tuple[CaseClaim, ...], lead: Holder,
                                                            reason_part: str) -> None:
    result = assign_case(case(*claims), POLICY)
    assert result.lead == lead
    assert reason_part in result.lead_reason


def test_fully_outsourced_case_is_led_by_its_team() -> None:
    result = assign_case(aged_private_case("D-0001"), POLICY)
    assert result.central_claims == ()
    assert result.lead.kind is HolderKind.LAWYER_TEAM
    assert result.lead_reason.startswith("all claims outsourced")


def test_case_without_claims_is_refused() -> None:
    with pytest.raises(ValueError, match="no claims"):
        assign_case(case(), POLICY)


# --- overrides --------------------------------------------------------------------------------------------


def mixed_case(on_hold: bool = False) -> CaseFacts:
    return case(claim("fixed_asset_tax", balance=70_000, claim_id="T"), claim("nursery_fee", claim_id="N"),
                claim("municipal_housing_rent", category="non_forced_public", claim_id="H"),
                claim("water_supply_charge", days=10, balance=3_000, claim_id="W"), on_hold=on_hold)


@pytest.mark.parametrize("on_hold", [False, True])
def test_override_to_a_central_group_takes_every_claim(on_hold: bool) -> None:
    facts = aged_private_case("D-0001") if not on_hold else case(*aged_private_case("D-0001").claims, on_hold=True)
    override = Override(central("welfare"), "debtor asked for a single contact", by="staff-017")
    result = assign_case(facts, POLICY, override)
    assert {(a.holder, a.rule_id) for a in result.claims} == {(central("welfare"), RULE_OVERRIDE)}
    assert all("debtor asked for a single contact" in a.reason and "staff-017" in a.reason for a in result.claims)
    assert result.lead == central("welfare")


def test_override_to_a_lawyer_team_moves_only_the_claims_the_law_permits() -> None:
    override = Override(team("lawyer_team_a"), "firm already handles this debtor", by="staff-017")
    policy_only = assign_case(mixed_case(), POLICY)
    result = assign_case(mixed_case(), POLICY, override)
    by_id = {a.claim_id: a for a in result.claims}
    assert [a.claim_id for a in result.outsourced_claims] == ["H", "W"]
    assert {by_id["H"].holder, by_id["W"].holder} == {team("lawyer_team_a")}
    assert by_id["H"].rule_id == by_id["W"].rule_id == RULE_OVERRIDE
    assert "firm already handles this debtor" in by_id["H"].reason
    kept = {a.claim_id: a for a in policy_only.claims}
    assert by_id["T"] == kept["T"] and by_id["N"] == kept["N"]
    assert result.lead == central("tax_insurance")


def test_override_to_a_lawyer_team_moves_nothing_while_on_hold() -> None:
    override = Override(team("lawyer_team_b"), "escalate", by="staff-017")
    assert assign_case(mixed_case(on_hold=True), POLICY, override) == assign_case(mixed_case(on_hold=True), POLICY)
    assert assign_case(mixed_case(on_hold=True), POLICY, override).outsourced_claims == ()


@pytest.mark.parametrize(
    "holder",
    [central("no_such_group"), team("no_such_team"), central("lawyer_team_a"), team("tax_insurance")],
)
def test_override_to_an_unknown_holder_is_refused(holder: Holder) -> None:
    with pytest.raises(ValueError, match=holder.code):
        assign_case(mixed_case(), POLICY, Override(holder, "reason", by="staff-017"))


@pytest.mark.parametrize(("reason", "by"), [("", "staff-017"), ("reason", " ")])
def test_override_needs_a_reason_and_a_name(reason: str, by: str) -> None:
    with pytest.raises(ValueError, match="required"):
        Override(central("welfare"), reason, by)


# --- facts validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: CaseClaim("water", "X", "fixed_asset_tax", "private", 2023, AS_OF, 1), "belongs to department 'tax'"),
        (lambda: CaseClaim("tax", "X", "fixed_asset_tax", "forced-public", 2023, AS_OF, 1), "legal category"),
        (lambda: CaseClaim("tax", "X", "dog_tax", "forced_public", 2023, AS_OF, 1), "unknown receivable type"),
        (lambda: CaseClaim("tax", "X", "fixed_asset_tax", "forced_public", 2023, AS_OF, -1), "negative"),
        (lambda: case(claim("nursery_fee", claim_id="N"), claim("nursery_fee", claim_id="N")), "appears twice"),
    ],
)
def test_facts_the_guard_could_misread_are_refused(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


# --- policy validation ------------------------------------------------------------------------------------


def outsourcing_rule(**when: Any) -> dict[str, Any]:
    return {"id": "outsource-x", "description": "test rule", "when": when, "teams": ["lawyer_team_a"]}


def with_outsourcing(*rules: dict[str, Any]) -> dict[str, Any]:
    data = policy_data()
    data["outsourcing_rules"] = list(rules)
    return data


def edited(edit: Any) -> dict[str, Any]:
    data = policy_data()
    edit(data)
    return data


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (with_outsourcing(outsourcing_rule(min_arrears_days=180)),
         ["'outsource-x'", "when.legal_category is required"]),
        (with_outsourcing(outsourcing_rule(legal_category=["private", "forced_public"])),
         ["'outsource-x'", "when.legal_category must not include 'forced_public'"]),
        (with_outsourcing(outsourcing_rule(legal_category=["private"], department=["water", "tax"])),
         ["'outsource-x'", "when.department must not include 'tax'"]),
        (with_outsourcing(outsourcing_rule(legal_category=["private"], receivable_type=["light_vehicle_tax"])),
         ["'outsource-x'", "when.receivable_type must not include tax receivables", "light_vehicle_tax"]),
        (with_outsourcing({**outsourcing_rule(legal_category=["private"]), "teams": []}),
         ["'outsource-x'", "teams is empty"]),
        (with_outsourcing({**outsourcing_rule(legal_category=["private"]), "teams": ["lawyer_team_a"] * 2}),
         ["'outsource-x'", "teams lists 'lawyer_team_a' more than once"]),
        (with_outsourcing({**outsourcing_rule(legal_category=["private"]), "teams": ["lawyer_team_z"]}),
         ["'outsource-x'", "teams: unknown lawyer team 'lawyer_team_z'"]),
        (with_outsourcing(outsourcing_rule(legal_category=["privat"])),
         ["'outsource-x'", "when.legal_category: unknown 'privat'"]),
        (with_outsourcing(outsourcing_rule(legal_category=["private"], department=["parks"])),
         ["'outsource-x'", "when.department: unknown 'parks'"]),
        (with_outsourcing(outsourcing_rule(legal_category=[])),
         ["'outsource-x'", "when.legal_category is empty"]),
        (with_outsourcing(outsourcing_rule(legal_category=["private"]), outsourcing_rule(legal_category=["private"])),
         ["rule id 'outsource-x' is used more than once"]),
        (with_outsourcing({**outsourcing_rule(legal_category=["private"]), "id": "route-tax"}),
         ["rule id 'route-tax' is used more than once"]),
        (with_outsourcing({**outsourcing_rule(legal_category=["private"]), "id": "override"}),
         ["rule id 'override' is reserved"]),
        (edited(lambda d: d["central_routing"][0].update(group="parks")),
         ["central routing rule 'route-tax'", "group 'parks' is not a central group"]),
        (edited(lambda d: d["central_routing"][3]["when"].update(receivable_type=["nursery_fees"])),
         ["central routing rule 'route-children'", "when.receivable_type: unknown 'nursery_fees'"]),
        (edited(lambda d: d.update(default_group="parks")), ["default_group 'parks' is not a central group"]),
    ],
)
def test_policy_validation_refuses_with_the_rule_and_field_named(data: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(ValueError) as refused:
        AssignmentPolicy.model_validate(data)
    for fragment in fragments:
        assert fragment in str(refused.value)


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (lambda d: d["outsourcing_rules"][0]["when"].update(min_days=180), ["outsourcing_rules.0.when.min_days",
                                                                           "Extra inputs are not permitted"]),
        (lambda d: d["outsourcing_rules"][0]["when"].update(min_claim_balance=-1),
         ["outsourcing_rules.0.when.min_claim_balance", "greater than or equal to 0"]),
        (lambda d: d["outsourcing_rules"][0]["when"].update(min_claim_balance="10000"),
         ["outsourcing_rules.0.when.min_claim_balance"]),
        (lambda d: d["outsourcing_rules"][1].update(id="Bad Id"), ["outsourcing_rules.1.id"]),
        (lambda d: d.update(colour="blue"), ["colour", "Extra inputs are not permitted"]),
    ],
)
def test_policy_shape_errors_name_the_field(edit: Any, fragments: list[str]) -> None:
    with pytest.raises(ValueError) as refused:
        AssignmentPolicy.model_validate(edited(edit))
    for fragment in fragments:
        assert fragment in str(refused.value)


def test_load_policy_names_the_file_it_refuses(tmp_path: Path) -> None:
    bad = tmp_path / "assignment.v1.json"
    bad.write_text(json.dumps(with_outsourcing(outsourcing_rule(legal_category=["forced_public"]))), "utf-8")
    with pytest.raises(ValueError, match="forced_public") as refused:
        load_policy(bad)
    assert str(bad) in str(refused.value) and "'outsource-x'" in str(refused.value)


def test_outsourcing_rule_without_department_is_accepted_when_it_excludes_forced_public() -> None:
    policy = AssignmentPolicy.model_validate(with_outsourcing(outsourcing_rule(legal_category=["private"])))
    assert policy.outsourcing_rules[0].when.department is None


# --- statutory guard --------------------------------------------------------------------------------------


def reckless_policy() -> AssignmentPolicy:
    """A policy built in code around validation: it outsources every claim. Only the guard stands in the way."""
    everything = Conditions.model_construct(legal_category=tuple(c.value for c in LegalCategory))
    rule = OutsourcingRule.model_construct(id="outsource-everything", description="everything", when=everything,
                                           teams=TEAMS)
    fields = {name: getattr(POLICY, name) for name in AssignmentPolicy.model_fields}
    return AssignmentPolicy.model_construct(**{**fields, "outsourcing_rules": (rule,)})


def test_statutory_guard_returns_forced_and_tax_claims_to_their_central_group() -> None:
    facts = case(claim("fixed_asset_tax", claim_id="T"), claim("sewerage_charge", claim_id="S"),
                 claim("municipal_housing_rent", claim_id="H"))
    result = assign_case(facts, reckless_policy())
    by_id = {a.claim_id: a for a in result.claims}
    assert (by_id["T"].holder, by_id["T"].rule_id) == (central("tax_insurance"), RULE_FORCED_PUBLIC)
    assert by_id["T"].reason == "forced-collection claim stays with staff (statutory)"
    assert (by_id["S"].holder, by_id["S"].rule_id) == (central("housing_water"), RULE_FORCED_PUBLIC)
    assert by_id["H"].holder.kind is HolderKind.LAWYER_TEAM and by_id["H"].rule_id == "outsource-everything"


def test_statutory_guard_keeps_a_tax_claim_central_even_when_miscategorised() -> None:
    result = assign_case(case(claim("light_vehicle_tax", category="private")), reckless_policy())
    assert only(result) == (central("tax_insurance"), RULE_TAX)
    assert "tax confidentiality" in result.claims[0].reason


# --- property: the law holds for any case -----------------------------------------------------------------


def random_case(rng: random.Random, n: int) -> tuple[CaseFacts, Override | None]:
    claims = []
    for i in range(rng.randint(1, 6)):
        receivable_type = rng.choice(sorted(RECEIVABLES))
        category = rng.choice([None, *(c.value for c in LegalCategory)])
        claims.append(claim(receivable_type, category=category, days=rng.randint(0, 1_500),
                            balance=rng.choice([0, rng.randint(1, 9_999), rng.randint(10_000, 2_000_000)]),
                            claim_id=f"C{i}"))
    facts = case(*claims, debtor_id=f"D-{n:05d}", on_hold=rng.random() < 0.2, hold_reason="referral")
    override = rng.choice([None, None, Override(central(rng.choice(sorted(POLICY.central_groups))), "r", "s"),
                           Override(team(rng.choice(TEAMS)), "r", "s")])
    return facts, override


def test_no_forced_collection_or_tax_claim_is_ever_outsourced() -> None:
    rng = random.Random(20240401)
    outsourced_seen = 0
    for n in range(2_000):
        facts, override = random_case(rng, n)
        policy = POLICY if n % 2 else reckless_policy()
        result = assign_case(facts, policy, override)
        claims = {c.claim_id: c for c in facts.claims}
        assert len(result.claims) == len(facts.claims)
        for assigned in result.outsourced_claims:
            c = claims[assigned.claim_id]
            assert c.legal_category != LegalCategory.FORCED_PUBLIC.value, (facts, override, assigned)
            assert c.department != Department.TAX.value, (facts, override, assigned)
        if facts.on_hold:
            assert result.outsourced_claims == ()
        if result.central_claims:
            assert result.lead.kind is HolderKind.CENTRAL_GROUP
        outsourced_seen += len(result.outsourced_claims)
    assert outsourced_seen > 500, "the generator must produce cases that do get outsourced"
