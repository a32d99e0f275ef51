"""Probabilistic scoring for debtor matching (名寄せ): comparison levels per field, weights with name
frequencies, the decision rules that protect people, EM, and precision on the synthetic city."""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from dataclasses import replace
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from contracts import PersonReference
from services.matching.normalise import NormalisedPerson, normalise_person
from services.matching.scoring import (
    FIELDS,
    LEVELS,
    MISSING,
    LevelProbabilities,
    Model,
    NameFrequencies,
    Score,
    compare,
    decide,
    estimate,
    frequency_adjustments,
    load_model,
    match_probability,
    score,
)

MODEL = load_model()


def person(**fields: Any) -> NormalisedPerson:
    """A normalised individual: 高橋 一郎 (タカハシ イチロウ), born 1970-05-12, at 西町3-60-5; override what a case needs."""
    values: dict[str, Any] = dict(
        kind="individual", name="高橋一郎", surname="高橋", given_name="一郎", name_kana="タカハシイチロウ",
        kana_surname="タカハシ", given_kana="イチロウ", birth_date=date(1970, 5, 12), postal_code="4710001",
        address="西町3-60-5", address_block="西町3", house_number="3-60-5", phone="0565123456")
    values.update(fields)
    return NormalisedPerson(**values)


BASE = person()
NO_KANA = dict(name_kana=None, kana_surname=None, given_kana=None)


# ---------------------------------------------------------------------------------------------------------------
# comparison levels


LEVEL_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("surname", {}, "exact"),
    ("surname", dict(name="斉藤一郎", surname="斉藤", kana_surname="タカハシ"), "kana"),  # kanji differ, reading equal
    ("surname", dict(name="鷹橋一郎", surname="鷹橋", kana_surname="タカハシ"), "kana"),
    ("surname", dict(name=None, surname=None, name_kana="オーノイチロウ", kana_surname="オーノ"), "disagree"),
    ("surname", dict(surname="高槁", name="高槁一郎", kana_surname="タカバシ"), "disagree"),  # two characters: no typo level
    ("surname", dict(**NO_KANA, name=None, surname=None, given_name=None), MISSING),
    ("given_name", {}, "exact"),
    ("given_name", dict(name="高橋市郎", given_name="市郎"), "kana"),
    ("given_name", dict(name="高橋一朗", given_name="一朗", given_kana="イチロー"), "phonetic"),  # イチロウ / イチロー
    ("given_name", dict(name="高橋一郎太", given_name="一郎太", given_kana="イチロウタ"), "similar"),  # by kana
    ("given_name", dict(name="高橋次郎", given_name="次郎", given_kana="ジロウ"), "disagree"),
    ("given_name", dict(name="高橋", surname="高橋", given_name=None, name_kana=None, kana_surname=None,
                        given_kana=None), MISSING),
    ("birth_date", {}, "exact"),
    ("birth_date", dict(birth_date=date(1970, 5, 13)), "one_digit"),
    ("birth_date", dict(birth_date=date(1970, 12, 5)), "day_month_swapped"),
    ("birth_date", dict(birth_date=date(1970, 5, 29)), "one_component"),
    ("birth_date", dict(birth_date=date(2000, 5, 12)), "one_component"),  # a generation apart is never "one digit"
    ("birth_date", dict(birth_date=date(1940, 5, 12)), "one_component"),  # the decade digit differs
    ("birth_date", dict(birth_date=date(1985, 2, 3)), "disagree"),
    ("birth_date", dict(birth_date=None), MISSING),
    ("address", {}, "exact"),
    ("address", dict(address="西町3-60-5ハイツ豊田101"), "same_house"),  # flat name recorded on one side only
    ("address", dict(address="西町3-60-6", house_number="3-60-6"), "similar"),
    ("address", dict(address="西町3-1-1", house_number="3-1-1"), "same_block"),
    ("address", dict(address="東町1-2-3", address_block="東町1", house_number="1-2-3"), "disagree"),
    ("address", dict(address=None, address_block=None), MISSING),
    ("postal_code", {}, MISSING),  # the same house: its postal code adds nothing
    ("postal_code", dict(address="東町1-2-3", address_block="東町1", house_number="1-2-3"), "exact"),
    ("postal_code", dict(address="東町1-2-3", address_block="東町1", house_number="1-2-3", postal_code="4710002"),
     "disagree"),
    ("postal_code", dict(postal_code=None), MISSING),
    ("phone", {}, "exact"),
    ("phone", dict(phone="0565999999"), "disagree"),
    ("phone", dict(phone=None), MISSING),
    ("register_number", dict(register_number="000123"), MISSING),  # only one side knows it
    ("corporate_number", {}, MISSING),
]


def test_an_address_with_a_part_left_out_is_similar() -> None:
    """Jaro–Winkler weighs the start of the text and misses a house number or a district left out at the front;
    the insertion/deletion ratio does not. Neighbours (another house number in the same 丁目) stay apart."""
    def latin(address: str) -> NormalisedPerson:
        return normalise_person(PersonReference(source_person_id="1", name_kanji="boxhall madison",
                                                birth_date=date(1917, 9, 26), address=address))

    full, no_number = latin("5 house circuit retirement village taringa qld"), latin(
        "house cicuit retirement village taringa qld")
    assert compare(full, no_number)["address"] == "similar"
    assert compare(BASE, person(address="西町3-1-1", house_number="3-1-1"))["address"] == "same_block"


@pytest.mark.parametrize(("field", "other", "expected"), LEVEL_CASES)
def test_every_comparison_level(field: str, other: dict[str, Any], expected: str) -> None:
    assert compare(BASE, person(**other))[field] == expected
    assert compare(person(**other), BASE)[field] == expected  # symmetric


def test_register_numbers_compare_exactly() -> None:
    a, b = person(register_number="000123"), person(register_number="000123")
    assert compare(a, b)["register_number"] == "exact"
    assert compare(a, person(register_number="000124"))["register_number"] == "disagree"


def test_every_level_of_every_field_is_covered() -> None:
    covered = {(f, level) for f, _, level in LEVEL_CASES} | {("register_number", "exact"),
                                                            ("register_number", "disagree")}
    corporate = {("corporate_number", "exact"), ("corporate_number", "disagree")}  # test_corporations_*
    missing = {(f, level) for f in FIELDS for level in LEVELS[f]} - covered - corporate
    assert missing <= {("surname", "phonetic"), ("surname", "similar")}  # test_phonetic_and_similar_*


def test_phonetic_and_similar_surnames_and_latin_names() -> None:
    oono = person(name=None, surname=None, name_kana="オオノイチロウ", kana_surname="オオノ")
    ohno = person(name=None, surname=None, name_kana="オーノイチロウ", kana_surname="オーノ")
    assert compare(oono, ohno)["surname"] == "phonetic"
    smith = person(**NO_KANA, name="jacksonjohn", surname="jackson", given_name="john")
    assert compare(smith, replace(smith, name="jakcsonjohn", surname="jakcson"))["surname"] == "similar"
    swapped = replace(smith, name="johnjackson", surname="john", given_name="jackson")
    assert (compare(smith, swapped)["surname"], compare(smith, swapped)["given_name"]) == ("exact", "exact")


def test_crossed_parts_may_be_misspelt_too() -> None:
    smith = person(**NO_KANA, name="mcgirrtabitha", surname="mcgirr", given_name="tabitha")
    crossed = replace(smith, name="tabkthamcgirr", surname="tabktha", given_name="mcgirr")
    assert (compare(smith, crossed)["surname"], compare(smith, crossed)["given_name"]) == ("exact", "similar")
    both = replace(smith, name="tabkthamcgirk", surname="tabktha", given_name="mcgirk")
    assert (compare(smith, both)["surname"], compare(smith, both)["given_name"]) == ("similar", "similar")
    other = replace(smith, name="leslieroles", surname="leslie", given_name="roles")
    assert (compare(smith, other)["surname"], compare(smith, other)["given_name"]) == ("disagree", "disagree")


def test_a_space_in_another_place_is_the_same_name() -> None:
    moved = person(name="佐藤花子", surname="佐", given_name="藤花子", **NO_KANA)
    right = person(name="佐藤花子", surname="佐藤", given_name="花子", **NO_KANA)
    assert (compare(moved, right)["surname"], compare(moved, right)["given_name"]) == ("exact", "exact")
    latin = person(name="vanwijkjames", surname="van", given_name="wijkjames", **NO_KANA)
    crossed = person(name="jamesvanwijk", surname="james", given_name="vanwijk", **NO_KANA)
    assert (compare(latin, crossed)["surname"], compare(latin, crossed)["given_name"]) == ("exact", "exact")
    sister = person(name="佐藤花江", surname="佐藤", given_name="花江", **NO_KANA)
    assert compare(moved, sister)["given_name"] == "disagree"


def test_one_misspelt_part_alone_is_compared_with_the_part_it_resembles() -> None:
    alone = person(name="tennat", surname=None, given_name=None, **NO_KANA)
    full = person(name="tenantjesse", surname="tenant", given_name="jesse", **NO_KANA)
    assert (compare(alone, full)["surname"], compare(alone, full)["given_name"]) == ("similar", MISSING)
    given_only = person(name="jessie", surname=None, given_name=None, **NO_KANA)
    assert compare(given_only, full)["surname"] == MISSING and compare(given_only, full)["given_name"] == "similar"


def test_a_name_without_a_space_is_cut_where_the_other_side_says() -> None:
    married = person(name="佐藤一郎", surname=None, given_name=None, **NO_KANA)
    levels = compare(BASE, married)
    assert (levels["surname"], levels["given_name"]) == ("disagree", "exact")
    unsplit = person(surname=None, given_name=None, **NO_KANA)
    assert (compare(unsplit, unsplit)["surname"], compare(unsplit, unsplit)["given_name"]) == ("exact", "exact")


def test_corporations_compare_the_whole_name_and_their_number() -> None:
    corp = NormalisedPerson(kind="corporation", name="株式会社豊田商事", surname=None, given_name=None,
                            name_kana="トヨタシヨウジ", kana_surname=None, birth_date=None, postal_code="4710001",
                            address="西町3-60-5", address_block="西町3", phone=None, house_number="3-60-5",
                            corporate_number="1234567890123")
    levels = compare(corp, corp)
    assert levels["kind"] == "corporation" and levels["surname"] == "exact" and levels["given_name"] == MISSING
    assert levels["birth_date"] == MISSING and levels["corporate_number"] == "exact"
    assert compare(corp, replace(corp, corporate_number="9999999999999"))["corporate_number"] == "disagree"
    assert compare(corp, BASE)["kind"] == "mixed" and decide(score(compare(corp, BASE), MODEL), MODEL) == "new"


# ---------------------------------------------------------------------------------------------------------------
# weights and decisions

W = {(f, level): math.log2(MODEL.fields[f][level].m / MODEL.fields[f][level].u) for f in FIELDS for level in LEVELS[f]}


def test_totals_are_the_sum_of_log2_m_over_u() -> None:
    result = score(compare(BASE, person(address="東町1-2-3", address_block="東町1", house_number="1-2-3",
                                        postal_code="4710099")), MODEL)
    expected = (W["surname", "exact"] + W["given_name", "exact"] + W["birth_date", "exact"]
                + W["address", "disagree"] + W["postal_code", "disagree"] + W["phone", "exact"])
    assert result.total == pytest.approx(expected, abs=1e-5)
    assert sum(c["weight"] for c in result.contributions.values()) == pytest.approx(result.total, abs=1e-5)
    empty = score({}, MODEL)
    assert empty.total == 0 and all(c == {"level": MISSING, "weight": 0.0} for c in empty.contributions.values())


def test_weights_fall_with_the_strength_of_agreement() -> None:
    for f in FIELDS:
        weights = [MODEL.weight(f, level) for level in LEVELS[f]]
        assert weights[0] == max(weights) and weights[-1] == min(weights) < 0 < weights[0], f


@pytest.mark.parametrize(("total", "expected"), [(14.01, "link"), (14.0, "review"), (6.5, "review"), (6.49, "new")])
def test_decision_thresholds(total: float, expected: str) -> None:
    assert MODEL.link_threshold == 14.0 and MODEL.review_threshold == 6.5
    evidence = {"surname": {"level": "exact", "weight": total}, "birth_date": {"level": "exact", "weight": 0}}
    assert decide(Score(total, evidence), MODEL) == expected


def test_a_common_name_weighs_less_than_a_rare_one() -> None:
    common = NameFrequencies({"surname|高橋": 3000, "given_name|一郎": 2000}, 100_000)
    rare = NameFrequencies({"surname|高橋": 2, "given_name|一郎": 1}, 100_000)
    levels = compare(BASE, BASE)
    heavy = score(levels, MODEL, frequency_adjustments(BASE, BASE, levels, rare))
    light = score(levels, MODEL, frequency_adjustments(BASE, BASE, levels, common))
    plain = score(levels, MODEL)
    assert light.total < plain.total < heavy.total
    assert light.contributions["name_frequency"]["level"] == "common"
    assert heavy.contributions["name_frequency"]["level"] == "rare"
    assert frequency_adjustments(BASE, BASE, levels, NameFrequencies({}, 10)) == {}  # too few records to tell


def test_contributions_round_trip_through_json() -> None:
    result = score(compare(BASE, person(address="東町1-2-3", address_block="東町1", house_number="1-2-3")), MODEL)
    stored = json.dumps(result.to_dict(), ensure_ascii=False)
    again = Score.from_dict(json.loads(stored))
    assert again == result
    assert json.loads(stored)["contributions"]["address"] == {"level": "disagree",
                                                              "weight": round(W["address", "disagree"], 6)}
    assert again.model_version == "fellegi_sunter.v2"


def test_match_probability_follows_prior_and_total() -> None:
    assert match_probability(Score(0.0, {}), MODEL) == pytest.approx(MODEL.prior)
    assert match_probability(Score(30.0, {}), MODEL) > 0.9999
    assert match_probability(Score(-30.0, {}), MODEL) < 1e-6


def test_model_file_round_trip_and_validation(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(MODEL.to_dict()), encoding="utf-8")
    assert load_model(path) == MODEL
    broken = MODEL.to_dict()
    broken["fields"]["phone"]["exact"]["m"] = 0.9  # m no longer sums to 1
    with pytest.raises(ValueError, match="sum to 1"):
        Model.from_dict(broken)


# ---------------------------------------------------------------------------------------------------------------
# EM

TRUE_PRIOR = 0.3


def _true_distributions(seed: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """m concentrated on the first (agreeing) level, u on the last, for every field of the model."""
    rng = random.Random(seed)
    m, u = {}, {}
    for f in FIELDS:
        n = len(LEVELS[f])
        rest_m = [rng.uniform(0.5, 1.5) for _ in range(n - 1)]
        rest_u = [rng.uniform(0.5, 1.5) for _ in range(n - 1)]
        m[f] = [0.8] + [0.2 * r / sum(rest_m) for r in rest_m]
        u[f] = [0.2 * r / sum(rest_u) for r in rest_u] + [0.8]
    return m, u


TRUE_M, TRUE_U = _true_distributions(3)
MISSING_RATE = dict.fromkeys(FIELDS, 0.05)

def _synthetic_vectors(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    vectors = []
    for _ in range(n):
        probabilities = TRUE_M if rng.random() < TRUE_PRIOR else TRUE_U
        vectors.append({f: MISSING if rng.random() < MISSING_RATE[f]
                        else rng.choices(LEVELS[f], weights=probabilities[f])[0] for f in FIELDS})
    return vectors


def _perturbed(model: Model, seed: int) -> Model:
    rng = random.Random(seed)
    fields = {}
    for f in FIELDS:
        m = [model.fields[f][level].m * rng.uniform(0.6, 1.4) for level in LEVELS[f]]
        u = [model.fields[f][level].u * rng.uniform(0.6, 1.4) for level in LEVELS[f]]
        fields[f] = {level: LevelProbabilities(m[i] / sum(m), u[i] / sum(u)) for i, level in enumerate(LEVELS[f])}
    return replace(model, fields=fields, prior=0.1)


@pytest.fixture(scope="module")
def em_vectors() -> list[dict[str, str]]:
    return _synthetic_vectors(30_000, seed=11)


def test_em_recovers_known_m_and_u(em_vectors: list[dict[str, str]]) -> None:
    fitted = estimate(em_vectors, _perturbed(MODEL, seed=5), iterations=200)
    assert fitted.prior == pytest.approx(TRUE_PRIOR, abs=0.02)
    for f in FIELDS:
        for i, level in enumerate(LEVELS[f]):
            p = fitted.fields[f][level]
            assert p.m == pytest.approx(TRUE_M[f][i], abs=0.05), (f, level, "m")
            assert p.u == pytest.approx(TRUE_U[f][i], abs=0.05), (f, level, "u")
    assert (fitted.link_threshold, fitted.review_threshold) == (MODEL.link_threshold, MODEL.review_threshold)
    assert fitted.version == "fellegi_sunter.v2+em"


def test_em_is_deterministic_and_floors_probabilities(em_vectors: list[dict[str, str]]) -> None:
    start = _perturbed(MODEL, seed=5)
    assert estimate(em_vectors[:5000], start) == estimate(list(em_vectors[:5000]), start)
    never_phone = [dict(v, phone="disagree" if v["phone"] != MISSING else MISSING) for v in em_vectors[:5000]]
    fitted = estimate(never_phone, start)
    assert fitted.fields["phone"]["exact"].m >= 1e-4 and fitted.fields["phone"]["exact"].u >= 1e-4
    assert estimate([], start) == start


# ---------------------------------------------------------------------------------------------------------------
# realism: the synthetic city


@pytest.fixture(scope="module")
def city_pairs() -> tuple[list[dict[str, str]], list[bool]]:
    from tools.synthetic_city.bills import simulate_year
    from tools.synthetic_city.noise import LEVELS as NOISE
    from tools.synthetic_city.population import build_city
    from tools.synthetic_city.views import department_views

    city = build_city(300, seed=20240401)
    exports = department_views(city, simulate_year(city, 2024, date(2025, 1, 31)), NOISE["default"])
    records: dict[tuple[str, str], tuple[NormalisedPerson, str]] = {}
    for department, export in exports.items():
        for payload in export.records:
            for ref in [payload.person, *(r.person for r in getattr(payload, "related_persons", ()) or ())]:
                key = (department.value, ref.source_person_id)
                if key not in records:
                    records[key] = (normalise_person(ref), export.person_records[ref.source_person_id])
    blocks: dict[tuple[str, object], list[tuple[str, str]]] = defaultdict(list)
    for key, (p, _) in records.items():
        if p.birth_date:
            blocks[("birth_date", p.birth_date)].append(key)
        if p.kana_surname:
            blocks[("kana_surname", p.kana_surname)].append(key)
    pairs = {tuple(sorted((x, y))) for members in blocks.values() for x, y in combinations(members, 2) if x[0] != y[0]}
    vectors, truth = [], []
    for x, y in sorted(pairs):
        (a, who_a), (b, who_b) = records[x], records[y]
        vectors.append(compare(a, b))
        truth.append(who_a == who_b)
    return vectors, truth


def test_synthetic_city_link_precision(city_pairs: tuple[list[dict[str, str]], list[bool]]) -> None:
    vectors, truth = city_pairs
    decisions = [decide(score(v, MODEL), MODEL) for v in vectors]
    links = [t for d, t in zip(decisions, truth, strict=True) if d == "link"]
    reviews = [t for d, t in zip(decisions, truth, strict=True) if d == "review"]
    assert sum(truth) > 100
    assert all(links), f"{len(links) - sum(links)} wrong links"
    assert sum(links) / sum(truth) >= 0.9
    assert (sum(links) + sum(reviews)) / sum(truth) >= 0.98
