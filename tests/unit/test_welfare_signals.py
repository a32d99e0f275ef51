"""Hardship signals (生活困窮のサイン): each signal alone, combinations around the threshold, the boundaries of every
period and count, public assistance as "already supported", the policy's validation refusals, reasons free of
personal data, and random situations checked for additivity and monotonicity."""

import copy
import json
import random
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from contracts.enums import Department, ExemptionReason
from services.welfare_referral.signals import (
    DEFAULT_POLICY_PATH,
    SIGNAL_IDS,
    DebtorSituation,
    HardshipPolicy,
    Outcome,
    load_policy,
    parse_policy,
    score,
)

POLICY = load_policy()
RAW = json.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
AS_OF = date(2025, 6, 30)

# One department, two claims, three months: nothing fires.
BASE = DebtorSituation(arrears_by_department={"tax": 48_000}, delinquent_claims=2, months_in_arrears=3)


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def variant(edit) -> HardshipPolicy:
    """The default policy with ``edit(raw)`` applied to a copy of its JSON."""
    raw = copy.deepcopy(RAW)
    edit(raw)
    return parse_policy(raw)


def entry(raw: dict, signal_id: str) -> dict:
    return next(s for s in raw["signals"] if s["id"] == signal_id)


def set_param(signal_id: str, name: str, value):
    def edit(raw: dict) -> None:
        entry(raw, signal_id)[name] = value

    return edit


def fired(result) -> dict[str, tuple[int, str]]:
    return {s.id: (s.points, s.reason) for s in result.signals}


# --- the default policy -------------------------------------------------------------------------------------


def test_default_policy_is_versioned_dated_and_complete():
    assert POLICY.version == "signals.v1"
    assert POLICY.effective_from == date(2024, 4, 1)
    assert POLICY.threshold == 5
    assert tuple(POLICY.rules) == SIGNAL_IDS
    assert POLICY.small_amount_yen == 10_000
    for rule in POLICY.rules.values():
        assert rule.weight > 0, rule.id
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", rule.description), f"{rule.id}: no Japanese term"


def test_nothing_fires_on_the_base_situation():
    result = score(BASE, POLICY, as_of=AS_OF)
    assert (result.points, result.signals, result.suggest, result.already_supported) == (0, (), False, False)
    assert result.outcome is Outcome.NO_REFERRAL
    assert result.policy_version == "signals.v1"


# --- each signal alone --------------------------------------------------------------------------------------

ALONE = [
    ("multiple_departments", {"arrears_by_department": {"tax": 48_000, "insurance": 22_000, "water": 9_000},
                              "delinquent_claims": 4},
     3, "arrears in 3 departments at once (多重滞納): tax, insurance, water"),
    ("many_small_arrears", {"delinquent_claims": 8, "small_arrears": 6},
     2, "6 of 8 overdue claims are small (少額滞納: each under the policy's small-amount limit)"),
    ("missed_installment", {"missed_installments": (ago(30),)},
     2, "1 missed installment in the last 90 days (分納不履行), the latest 30 days ago"),
    ("missed_installment", {"missed_installments": (ago(200), ago(45), ago(12))},
     2, "2 missed installments in the last 90 days (分納不履行), the latest 12 days ago"),
    ("exemption_application", {"exemption_applications": ((ago(40), "income_drop"),)},
     3, "1 exemption application (減免申請) in the last 365 days, the latest 40 days ago: income drop (所得の減少)"),
    ("exemption_application", {"exemption_applications": ((ago(300), "disaster"), (ago(1), "hardship"),
                                                          (ago(20), "other"))},
     3, "2 exemption applications (減免申請) in the last 365 days, the latest 1 day ago: disaster (災害), "
        "hardship (生活困窮)"),
    ("execution_suspended", {"execution_suspended": True}, 4, "enforcement suspended for lack of means (執行停止)"),
    ("hardship_noted", {"hardship_noted": True}, 5, "hardship noted in a payment consultation (納付相談)"),
    ("long_arrears", {"months_in_arrears": 14}, 1, "arrears outstanding for 14 months (長期滞納)"),
]


@pytest.mark.parametrize(("signal_id", "changes", "points", "reason"), ALONE,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(ALONE)])
def test_each_signal_alone(signal_id, changes, points, reason):
    result = score(replace(BASE, **changes), POLICY, as_of=AS_OF)
    assert fired(result) == {signal_id: (points, reason)}
    assert result.points == points == POLICY.rules[signal_id].weight
    assert result.suggest is (points >= POLICY.threshold)


def test_living_costs_alone_when_three_departments_are_not_yet_multiple():
    """Water, housing and childcare are three departments, so under v1 多重滞納 fires too; with a policy that
    needs four departments for 多重滞納 the living-costs signal is seen alone."""
    policy = variant(set_param("multiple_departments", "min_departments", 4))
    situation = replace(BASE, arrears_by_department={"housing": 120_000, "water": 15_000, "childcare": 30_000},
                        delinquent_claims=5)
    assert fired(score(situation, policy, as_of=AS_OF)) == {
        "living_costs_arrears": (3, "water, housing and childcare all in arrears together (生活費の同時滞納)"),
    }


# --- combinations -------------------------------------------------------------------------------------------

COMBINATIONS = [
    ("living costs are also 多重滞納", {"arrears_by_department": {"water": 9_000, "housing": 64_000,
                                                                 "childcare": 31_000}, "delinquent_claims": 3},
     {"multiple_departments", "living_costs_arrears"}, 6, True),
    ("多重滞納 and a broken plan", {"arrears_by_department": {"tax": 1, "insurance": 1, "water": 1},
                               "delinquent_claims": 3, "missed_installments": (ago(10),)},
     {"multiple_departments", "missed_installment"}, 5, True),
    ("exemption and long arrears: one short", {"exemption_applications": ((ago(100), "hardship"),),
                                               "months_in_arrears": 24},
     {"exemption_application", "long_arrears"}, 4, False),
    ("exemption, long arrears and small claims", {"exemption_applications": ((ago(100), "hardship"),),
                                                  "months_in_arrears": 24, "delinquent_claims": 7,
                                                  "small_arrears": 7},
     {"exemption_application", "long_arrears", "many_small_arrears"}, 6, True),
    ("執行停止 alone is one short", {"execution_suspended": True}, {"execution_suspended"}, 4, False),
    ("執行停止 and long arrears", {"execution_suspended": True, "months_in_arrears": 12},
     {"execution_suspended", "long_arrears"}, 5, True),
    ("broken plan and small claims: one short", {"missed_installments": (ago(5),), "delinquent_claims": 6,
                                                 "small_arrears": 6},
     {"missed_installment", "many_small_arrears"}, 4, False),
    ("everything", {"arrears_by_department": {"water": 9_000, "housing": 64_000, "childcare": 31_000},
                    "delinquent_claims": 9, "small_arrears": 6, "missed_installments": (ago(5),),
                    "exemption_applications": ((ago(5), "income_drop"),), "execution_suspended": True,
                    "hardship_noted": True, "months_in_arrears": 30},
     set(SIGNAL_IDS), 23, True),
]


@pytest.mark.parametrize(("changes", "ids", "points", "suggest"), [row[1:] for row in COMBINATIONS],
                         ids=[row[0] for row in COMBINATIONS])
def test_combinations_around_the_threshold(changes, ids, points, suggest):
    result = score(replace(BASE, **changes), POLICY, as_of=AS_OF)
    assert set(fired(result)) == ids
    assert result.points == points
    assert result.suggest is suggest
    assert result.outcome is (Outcome.SUGGEST_REFERRAL if suggest else Outcome.NO_REFERRAL)
    assert [s.id for s in result.signals] == [s for s in SIGNAL_IDS if s in ids]  # policy order, stable


# --- boundaries ---------------------------------------------------------------------------------------------

BOUNDARIES = [
    ("2 departments", {"arrears_by_department": {"tax": 5_000, "water": 5_000}}, "multiple_departments", False),
    ("3 departments", {"arrears_by_department": {"tax": 5_000, "water": 5_000, "housing": 5_000}},
     "multiple_departments", True),
    ("3 departments, one at 0 yen", {"arrears_by_department": {"tax": 5_000, "water": 5_000, "housing": 0}},
     "multiple_departments", False),
    ("5 small arrears", {"delinquent_claims": 9, "small_arrears": 5}, "many_small_arrears", False),
    ("6 small arrears", {"delinquent_claims": 9, "small_arrears": 6}, "many_small_arrears", True),
    ("missed 90 days ago", {"missed_installments": (ago(90),)}, "missed_installment", True),
    ("missed 91 days ago", {"missed_installments": (ago(91),)}, "missed_installment", False),
    ("missed today", {"missed_installments": (ago(0),)}, "missed_installment", True),
    ("installment due tomorrow", {"missed_installments": (ago(-1),)}, "missed_installment", False),
    ("exemption 365 days ago", {"exemption_applications": ((ago(365), "income_drop"),)}, "exemption_application",
     True),
    ("exemption 366 days ago", {"exemption_applications": ((ago(366), "income_drop"),)}, "exemption_application",
     False),
    ("exemption dated tomorrow", {"exemption_applications": ((ago(-1), "disaster"),)}, "exemption_application",
     False),
    ("exemption for another reason", {"exemption_applications": ((ago(3), "other"),)}, "exemption_application",
     False),
    ("exemption for public assistance", {"exemption_applications": ((ago(3), "public_assistance"),)},
     "exemption_application", False),
    ("water and housing only", {"arrears_by_department": {"water": 1, "housing": 1, "tax": 1}},
     "living_costs_arrears", False),
    ("water, housing and childcare", {"arrears_by_department": {"water": 1, "housing": 1, "childcare": 1}},
     "living_costs_arrears", True),
    ("11 months", {"months_in_arrears": 11}, "long_arrears", False),
    ("12 months", {"months_in_arrears": 12}, "long_arrears", True),
]


@pytest.mark.parametrize(("changes", "signal_id", "fires"), [row[1:] for row in BOUNDARIES],
                         ids=[row[0] for row in BOUNDARIES])
def test_boundaries(changes, signal_id, fires):
    changes = {"delinquent_claims": 9, **changes}
    result = score(replace(BASE, **changes), POLICY, as_of=AS_OF)
    assert (signal_id in fired(result)) is fires


def test_reasons_say_today_and_one_day():
    result = score(replace(BASE, missed_installments=(ago(0),), exemption_applications=((ago(1), "hardship"),)),
                   POLICY, as_of=AS_OF)
    reasons = fired(result)
    assert reasons["missed_installment"][1].endswith("the latest today")
    assert "the latest 1 day ago" in reasons["exemption_application"][1]


# --- public assistance --------------------------------------------------------------------------------------


def test_public_assistance_is_already_supported_not_a_referral():
    situation = replace(BASE, arrears_by_department={"tax": 5_000, "water": 5_000, "housing": 5_000},
                        delinquent_claims=3, hardship_noted=True, receives_public_assistance=True)
    result = score(situation, POLICY, as_of=AS_OF)
    assert result.points == 8 >= POLICY.threshold  # the signs are still shown to staff
    assert set(fired(result)) == {"multiple_departments", "hardship_noted"}
    assert result.already_supported is True
    assert result.suggest is False
    assert result.outcome is Outcome.ALREADY_SUPPORTED
    assert "public_assistance" not in {s.id for s in result.signals}  # not a score signal


def test_public_assistance_without_other_signs():
    result = score(replace(BASE, receives_public_assistance=True), POLICY, as_of=AS_OF)
    assert (result.points, result.suggest, result.already_supported) == (0, False, True)
    assert result.outcome is Outcome.ALREADY_SUPPORTED


# --- policy -------------------------------------------------------------------------------------------------


def test_weight_zero_switches_a_signal_off():
    policy = variant(set_param("hardship_noted", "weight", 0))
    result = score(replace(BASE, hardship_noted=True), policy, as_of=AS_OF)
    assert (result.points, result.signals, result.suggest) == (0, (), False)


def test_weights_and_threshold_come_from_the_policy():
    def edit(raw: dict) -> None:
        raw["threshold"] = 2
        raw["version"] = "signals.test"
        entry(raw, "long_arrears")["weight"] = 2
        entry(raw, "long_arrears")["min_months"] = 6

    result = score(replace(BASE, months_in_arrears=6), variant(edit), as_of=AS_OF)
    assert (result.points, result.suggest, result.policy_version, result.threshold) == (2, True, "signals.test", 2)


def _drop(key):
    return lambda raw: raw.pop(key)


def _add_signal(signal: dict):
    return lambda raw: raw["signals"].append(signal)


def _remove_signal(signal_id: str):
    def edit(raw: dict) -> None:
        raw["signals"] = [s for s in raw["signals"] if s["id"] != signal_id]

    return edit


def _drop_param(signal_id: str, name: str):
    return lambda raw: entry(raw, signal_id).pop(name)


INVALID = [
    ("unknown signal id", _add_signal({"id": "debt_to_income", "weight": 2, "description": "x"}),
     r"signal 'debt_to_income': unknown signal id"),
    ("negative weight", set_param("missed_installment", "weight", -2),
     r"signal 'missed_installment': weight must be a whole number of points, 0 or more, got -2"),
    ("fractional weight", set_param("long_arrears", "weight", 1.5), r"signal 'long_arrears': weight must be"),
    ("boolean weight", set_param("long_arrears", "weight", True), r"signal 'long_arrears': weight must be"),
    ("missing weight", _drop_param("hardship_noted", "weight"), r"signal 'hardship_noted': weight missing"),
    ("missing threshold", _drop("threshold"), r"threshold: missing"),
    ("zero threshold", lambda raw: raw.update(threshold=0), r"threshold: must be a whole number of points"),
    ("duplicate id", _add_signal({"id": "hardship_noted", "weight": 1, "description": "again (重複)"}),
     r"signal 'hardship_noted': id appears more than once"),
    ("missing signal", _remove_signal("long_arrears"), r"signals: no entry for signal id\(s\) long_arrears"),
    ("missing parameter", _drop_param("missed_installment", "within_days"),
     r"signal 'missed_installment': within_days missing"),
    ("zero months", set_param("long_arrears", "min_months", 0),
     r"signal 'long_arrears': min_months must be a whole number, at least 1, got 0"),
    ("unknown exemption reason", set_param("exemption_application", "reasons", ["hardship", "bankrupt"]),
     r"signal 'exemption_application': reasons: unknown code\(s\) 'bankrupt'"),
    ("unknown department", set_param("living_costs_arrears", "departments", ["water", "gas"]),
     r"signal 'living_costs_arrears': departments: unknown code\(s\) 'gas'"),
    ("one living-cost department", set_param("living_costs_arrears", "departments", ["water"]),
     r"signal 'living_costs_arrears': departments must be a list of at least 2"),
    ("misspelt key", set_param("hardship_noted", "wieght", 3), r"signal 'hardship_noted': unknown key\(s\) wieght"),
    ("missing description", set_param("execution_suspended", "description", " "),
     r"signal 'execution_suspended': description must be non-empty"),
    ("signal without id", _add_signal({"weight": 1, "description": "x"}), r"signals: item 9 needs an id"),
    ("no signals", lambda raw: raw.update(signals=[]), r"signals: must be a non-empty list"),
    ("empty version", lambda raw: raw.update(version=""), r"version: must be a non-empty string"),
    ("bad effective_from", lambda raw: raw.update(effective_from="2024-13-01"), r"effective_from: must be a date"),
    ("missing effective_from", _drop("effective_from"), r"effective_from: missing"),
    ("unknown top-level key", lambda raw: raw.update(treshold=5), r"unknown key\(s\) treshold"),
]


@pytest.mark.parametrize(("edit", "message"), [row[1:] for row in INVALID], ids=[row[0] for row in INVALID])
def test_bad_policies_are_refused(edit, message):
    with pytest.raises(ValueError, match=message):
        variant(edit)


def test_policy_file_that_is_not_json(tmp_path: Path):
    path = tmp_path / "signals.v9.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not JSON"):
        load_policy(path)


def test_scoring_before_the_policy_is_in_force_is_refused():
    with pytest.raises(ValueError, match=r"before policy signals.v1 is in force \(effective from 2024-04-01\)"):
        score(BASE, POLICY, as_of=date(2024, 3, 31))


def test_as_of_must_be_a_date():
    with pytest.raises(TypeError, match="as_of"):
        score(BASE, POLICY, as_of=datetime(2025, 6, 30, 9, 0))


# --- the situation ------------------------------------------------------------------------------------------

BAD_SITUATIONS = [
    ({"arrears_by_department": {"gas": 1_000}}, r"arrears_by_department: unknown department 'gas'"),
    ({"arrears_by_department": {"tax": -1}}, r"arrears_by_department\['tax'\]: must be whole yen"),
    ({"delinquent_claims": -1}, r"delinquent_claims: must be a whole number"),
    ({"delinquent_claims": 3, "small_arrears": 4}, r"small_arrears: 4 is more than delinquent_claims \(3\)"),
    ({"months_in_arrears": 1.5}, r"months_in_arrears: must be a whole number"),
    ({"exemption_applications": ((date(2025, 1, 1), "bankrupt"),)}, r"item 1 has unknown reason 'bankrupt'"),
    ({"exemption_applications": (("2025-01-01", "hardship"),)}, r"item 1 must start with a date"),
    ({"missed_installments": ("2025-01-01",)}, r"missed_installments: must be dates"),
    ({"hardship_noted": "yes"}, r"hardship_noted: must be true or false"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_SITUATIONS)
def test_bad_situations_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        replace(BASE, **changes)


def test_situation_is_frozen_and_keeps_its_own_copy():
    arrears = {"tax": 1_000}
    situation = DebtorSituation(arrears_by_department=arrears, delinquent_claims=1)
    arrears["water"] = 2_000
    assert dict(situation.arrears_by_department) == {"tax": 1_000}
    with pytest.raises(TypeError):
        situation.arrears_by_department["water"] = 2_000  # type: ignore[index]
    assert situation.exemption_applications == ()
    assert DebtorSituation(exemption_applications=((AS_OF, ExemptionReason.DISASTER),)).exemption_applications == (
        (AS_OF, "disaster"),
    )


# --- random situations --------------------------------------------------------------------------------------

DEPARTMENTS = [d.value for d in Department]
REASONS = [r.value for r in ExemptionReason]
AMOUNT = re.compile(r"\d{1,3}(,\d{3})+|\d{4,}")  # no yen amount: every number in a reason is a count or a period


def random_situation(rng: random.Random) -> DebtorSituation:
    owing = rng.sample(DEPARTMENTS, rng.randint(0, len(DEPARTMENTS)))
    arrears = {d: rng.choice([0, rng.randint(1_000, 900_000)]) for d in owing}
    claims = sum(1 for a in arrears.values() if a) + rng.randint(0, 20)
    return DebtorSituation(
        arrears_by_department=arrears,
        delinquent_claims=claims,
        small_arrears=rng.randint(0, claims),
        missed_installments=tuple(ago(rng.randint(-30, 400)) for _ in range(rng.choice([0, 0, 1, 2, 3]))),
        exemption_applications=tuple((ago(rng.randint(-30, 700)), rng.choice(REASONS))
                                     for _ in range(rng.choice([0, 0, 1, 2]))),
        execution_suspended=rng.random() < 0.15,
        hardship_noted=rng.random() < 0.1,
        receives_public_assistance=rng.random() < 0.1,
        months_in_arrears=rng.randint(0, 60),
    )


def add_hardship_fact(rng: random.Random, s: DebtorSituation) -> DebtorSituation:
    """One more sign of hardship, chosen at random: never a fact taken away."""
    fact = rng.randrange(7)
    if fact == 0:
        department = rng.choice(DEPARTMENTS)
        arrears = dict(s.arrears_by_department)
        arrears[department] = arrears.get(department, 0) + rng.randint(1, 50_000)
        return replace(s, arrears_by_department=arrears, delinquent_claims=s.delinquent_claims + 1)
    if fact == 1:
        return replace(s, delinquent_claims=s.delinquent_claims + 1, small_arrears=s.small_arrears + 1)
    if fact == 2:
        return replace(s, missed_installments=(*s.missed_installments, ago(rng.randint(0, 120))))
    if fact == 3:
        return replace(s, exemption_applications=(*s.exemption_applications,
                                                  (ago(rng.randint(0, 400)), rng.choice(REASONS))))
    if fact == 4:
        return replace(s, execution_suspended=True)
    if fact == 5:
        return replace(s, hardship_noted=True)
    return replace(s, months_in_arrears=s.months_in_arrears + rng.randint(1, 12))


@pytest.mark.parametrize("seed", range(4))
def test_random_situations(seed):
    rng = random.Random(seed)
    outcomes = set()
    for _ in range(250):
        situation = random_situation(rng)
        result = score(situation, POLICY, as_of=AS_OF)
        outcomes.add(result.outcome)

        # points are the sum of the fired signals, each worth its weight, in policy order
        assert result.points == sum(s.points for s in result.signals)
        assert all(s.points == POLICY.rules[s.id].weight for s in result.signals)
        ids = [s.id for s in result.signals]
        assert ids == [s for s in SIGNAL_IDS if s in ids]

        # suggest ⇔ points ≥ threshold, unless welfare already supports the person
        assert result.already_supported is situation.receives_public_assistance
        assert result.suggest is (result.points >= POLICY.threshold and not result.already_supported)

        # public assistance changes the outcome, never the points
        flipped = score(replace(situation, receives_public_assistance=not situation.receives_public_assistance),
                        POLICY, as_of=AS_OF)
        assert flipped.points == result.points

        # one more hardship fact never lowers the score nor silences a signal
        more = score(add_hardship_fact(rng, situation), POLICY, as_of=AS_OF)
        assert more.points >= result.points
        assert set(ids) <= {s.id for s in more.signals}
        assert not result.suggest or more.suggest

        # no personal data: counts, periods and department codes only
        for signal in result.signals:
            assert not AMOUNT.search(signal.reason), signal.reason
            assert not re.search(r"yen|円|¥", signal.reason), signal.reason
            for amount in filter(None, situation.arrears_by_department.values()):
                assert str(amount) not in signal.reason and f"{amount:,}" not in signal.reason, signal.reason
            if signal.id == "multiple_departments":
                named = signal.reason.split(": ", 1)[1].split(", ")
                assert set(named) <= set(DEPARTMENTS)
    assert outcomes == set(Outcome)  # the sample reaches every outcome
