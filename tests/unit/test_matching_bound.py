"""The cheap first comparison of matching (``scoring.upper_bound``) and the ranking that uses it
(``resolution.rank``): a pair is left unscored only when its full score could not reach the review threshold, and
the ranking is exactly the one scoring every pair would give."""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import date

from contracts import PersonKind, PersonReference
from services.matching.normalise import NormalisedPerson, normalise_person
from services.matching.resolution import rank
from services.matching.scoring import (
    FIELDS,
    LEVELS,
    LevelProbabilities,
    Model,
    NameFrequencies,
    Score,
    compare,
    frequency_adjustments,
    load_model,
    pair_weigher,
    score,
    upper_bound,
)

MODEL = load_model()


def person(name: str | None = "髙橋 一郎", kana: str | None = "タカハシ イチロウ", born: date | None = date(1975, 4, 1),
           address: str | None = "愛知県豊田市西町三丁目60番地5", phone: str | None = "0565-31-1212",
           postal: str | None = "471-0001", register: str | None = None, kind: str = "individual",
           corporate: str | None = None) -> NormalisedPerson:
    return normalise_person(PersonReference(
        source_person_id="x", kind=PersonKind(kind), name_kanji=name, name_kana=kana, birth_date=born,
        address=address, postal_code=postal, phone=phone, resident_register_number=register,
        corporate_number=corporate))


def full_score(a: NormalisedPerson, b: NormalisedPerson, model: Model, frequencies: NameFrequencies | None) -> Score:
    levels = compare(a, b)
    return score(levels, model, frequency_adjustments(a, b, levels, frequencies))


#: Japanese records and the ways departments write them differently: 異体字 (髙/高, 﨑/崎), half-width kana,
#: kana-only, no space between the names, married names, crossed Latin names, typos in kana, a birth date one
#: digit or a day/month swap away, the same house written with and without its building, other towns.
PEOPLE = [
    person(),
    person("高橋 一郎", "ﾀｶﾊｼ ｲﾁﾛｳ"),
    person("高橋一郎", "タカハシイチロウ"),
    person("髙橋 一朗", "タカハシ イチロー", born=date(1975, 4, 11)),
    person("高橋 花子", "タカハシ ハナコ", born=date(1975, 4, 1), phone=None),
    person("鈴木 花子", "スズキ ハナコ", born=date(1975, 4, 1), address="愛知県豊田市東町1-2-3", postal="471-0002"),
    person("山﨑 翔太", "ヤマザキ シヨウタ", born=date(1975, 4, 1), address="西町三丁目60番地5 コーポ西101"),
    person("山崎 翔太", "ヤマサキ ショウタ", born=date(1975, 1, 4), address="西町3-60-5", phone=None),
    person("大野 優子", "オオノ ユウコ", born=date(1975, 4, 1), address="西町3-61-5", postal="471-0001"),
    person("大野 裕子", "オーノ ユーコ", born=date(1976, 4, 1), address="西町3-61-5", postal="471-0001"),
    person(None, "オオノ ユウコ", born=date(1975, 4, 1), address=None, postal=None, phone=None),
    person(None, "オオノユウコ", born=None, address="西町3-61", postal=None, phone=None),
    person("佐藤 一郎", "サトウ イチロウ", born=date(1975, 4, 1), address="南町5-1-1", postal="471-0009",
           phone="0565-99-0000"),
    person("佐藤 次郎", "サトウ ジロウ", born=date(1975, 4, 1), address="南町5-1-1", postal="471-0009",
           phone="0565-99-0000"),
    person("伊藤 次郎", "イトウ ジロウ", born=date(1975, 4, 1), address=None, postal="471-0009", phone=None),
    person("伊藤 次朗", None, born=date(1957, 4, 1), address="南町5-1-1", postal=None),
    person("田中 太郎", "タナカ タロウ", born=None, address="北町1-1-1", register="000123"),
    person("田仲 太朗", "タナカ タロー", born=date(1980, 2, 3), address="北町1-1-1", register="000123"),
    person("中田 太郎", "ナカタ タロウ", born=date(1980, 2, 3), address="北町1-1-2", register="000124"),
    person("SMITH John", None, born=date(1970, 1, 2), address="10 Longerenong Street Horsham", postal="3400",
           phone=None),
    person("john smith", None, born=date(1970, 1, 2), address="10 longerenong st horsham", postal="3400",
           phone=None),
    person("Jon Smyth", None, born=date(1970, 2, 1), address="12 Longerenong Street Horsham", postal="3400",
           phone=None),
    person("Mary Jones", None, born=date(1970, 1, 2), address="3 High Street Ballarat", postal="3350",
           phone=None),
    person("佐 藤花子", "サ トウハナコ", born=date(1975, 4, 1)),  # the space in another place
    person("佐藤 花子", "サトウ ハナコ", born=date(1975, 4, 1)),
    person("MCGIRR TABKTHA", None, born=date(1970, 1, 2), address="3 High Street Ballarat", postal="3350",
           phone=None),  # crossed and misspelt
    person("TABITHA MCGIRR", None, born=date(1970, 1, 2), address="5 Low Street Ballarat", postal="3350",
           phone=None),
    person("TABITHA MCGIRT", None, born=date(1970, 1, 2), address="5 Low Street Ballarat", postal="3350",
           phone=None),  # crossed, both parts misspelt
    person("TABITHA", None, born=date(1970, 1, 2), address="5 Low Street Ballarat", postal="3350",
           phone=None),  # one part recorded alone
    person("株式会社 豊田商事", "トヨタシヨウジ", born=None, kind="corporation", corporate="1234567890123",
           phone="0565-11-2222"),
    person("豊田商事株式会社", "トヨタショウジ(カ", born=None, kind="corporation", phone="0565-11-2222"),
]


def perturbed_model(seed: int) -> Model:
    """Another model with valid m and u (as EM would estimate): the bound follows the weights, whatever they are."""
    rng = random.Random(seed)

    def distribution(n: int) -> list[float]:
        raw = [rng.uniform(0.05, 1.0) for _ in range(n)]
        return [x / sum(raw) for x in raw]

    fields = {}
    for name in FIELDS:
        m, u = distribution(len(LEVELS[name])), distribution(len(LEVELS[name]))
        fields[name] = {level: LevelProbabilities(m[i], u[i]) for i, level in enumerate(LEVELS[name])}
    return Model(version=f"perturbed-{seed}", fields=fields, link_threshold=8.0, review_threshold=2.0, prior=0.1)


def synthetic_people(count: int, seed: int) -> list[NormalisedPerson]:
    """Records drawn from short lists of Japanese names, readings, birth dates and addresses: many pairs share a
    birth date and little else, as the birth-date key brings them."""
    rng = random.Random(seed)
    surnames = [("高橋", "タカハシ"), ("髙橋", "タカハシ"), ("佐藤", "サトウ"), ("斉藤", "サイトウ"), ("齋藤", "サイトー"),
                ("大野", "オオノ"), ("小野", "オノ"), ("渡辺", "ワタナベ"), ("渡邉", "ワタナベ"), ("伊藤", "イトウ")]
    givens = [("一郎", "イチロウ"), ("一朗", "イチロー"), ("花子", "ハナコ"), ("翔太", "シヨウタ"), ("翔太", "ショウタ"),
              ("優子", "ユウコ"), ("裕子", "ユーコ"), ("健", "ケン"), ("健一", "ケンイチ"), ("由紀", "ユキ")]
    streets = ["西町3-60-5", "西町3-60-5 コーポ西101", "西町3-61-5", "東町1-2-3", "南町5-1-1", "北町1-1-1"]
    people = []
    for _ in range(count):
        (sur, sur_kana), (given, given_kana) = rng.choice(surnames), rng.choice(givens)
        kanji = rng.choice([f"{sur} {given}", f"{sur}{given}", f"{sur} {given}", None])
        kana = rng.choice([f"{sur_kana} {given_kana}", f"{sur_kana}{given_kana}", None, f"{sur_kana} {given_kana}"])
        if kanji is None and kana is None:
            kana = f"{sur_kana} {given_kana}"
        people.append(person(
            kanji, kana, born=rng.choice([date(1975, 4, 1), date(1975, 1, 4), date(1975, 4, 11), date(1985, 4, 1), None]),
            address=rng.choice([*streets, None]), postal=rng.choice(["471-0001", "471-0002", None]),
            phone=rng.choice(["0565-31-1212", "0565-99-0000", None]), register=rng.choice([None, None, "000123"])))
    return people


def test_no_pair_scores_above_its_bound() -> None:
    rare = NameFrequencies({}, 10_000_000)  # every name as rare as can be: exact agreements weigh the most
    common = NameFrequencies({"surname|高橋": 900_000, "given_name|一郎": 800_000}, 1_000_000)
    models = [MODEL, perturbed_model(1), perturbed_model(2)]
    people = PEOPLE + synthetic_people(80, seed=20240401)
    checked = 0
    for model in models:
        for a, b in itertools.product(people, repeat=2):
            for frequencies in (None, rare, common):
                total = full_score(a, b, model, frequencies).total
                for threshold in (model.review_threshold, model.link_threshold, -100.0):
                    limit = upper_bound(a, b, model, threshold)
                    assert limit >= total, (a, b, model.version, threshold, limit, total)
                    checked += 1
    assert checked > 100_000


def test_a_pair_sharing_only_a_birth_date_is_not_scored() -> None:
    newcomer = person("鈴木 花子", "スズキ ハナコ", address="愛知県豊田市東町1-2-3", postal="471-0002", phone=None)
    resident = person("高橋 一郎", "タカハシ イチロウ")  # born the same day; another name, house and postal code
    limit = upper_bound(newcomer, resident, MODEL, MODEL.review_threshold)
    assert limit < MODEL.review_threshold
    assert full_score(newcomer, resident, MODEL, None).total <= limit


def test_a_pair_that_may_reach_review_is_bounded_above_the_threshold() -> None:
    for a, b in [(person("高橋 一郎", "ﾀｶﾊｼ ｲﾁﾛｳ"), person()),  # the same person, half-width kana
                 (person("髙橋 一朗", "タカハシ イチロー", born=date(1975, 4, 11)), person()),  # typos
                 (person("鈴木 花子", "スズキ ハナコ"), person("鈴木花子", None))]:  # no space between the names
        assert full_score(a, b, MODEL, None).total >= MODEL.review_threshold
        assert upper_bound(a, b, MODEL, MODEL.review_threshold) >= MODEL.review_threshold


def test_corporations_and_mixed_pairs_are_not_bounded() -> None:
    corporation = PEOPLE[-1]
    assert upper_bound(corporation, PEOPLE[-2], MODEL, MODEL.review_threshold) == float("inf")
    assert upper_bound(corporation, person(), MODEL, MODEL.review_threshold) == float("inf")


def full_rank(candidates: list[NormalisedPerson], me: NormalisedPerson, weigh, threshold: float):  # noqa: ANN001, ANN201
    ranked = sorted(((i, weigh(me, c)) for i, c in enumerate(candidates)), key=lambda ir: ir[1].total, reverse=True)
    return [ir for n, ir in enumerate(ranked) if n == 0 or ir[1].total >= threshold]


def test_rank_with_the_bound_equals_scoring_every_pair() -> None:
    frequencies = NameFrequencies({"surname|高橋": 3_000, "given_name|一郎": 2_000}, 1_000_000)
    weigh = pair_weigher(MODEL, frequencies)
    people = PEOPLE + synthetic_people(60, seed=7)
    bound = lambda a, b: upper_bound(a, b, MODEL, MODEL.review_threshold)  # noqa: E731
    rng = random.Random(3)
    for me in people:
        candidates = rng.sample(people, 25)
        expected = full_rank(candidates, me, weigh, MODEL.review_threshold)
        # the bound tried on every pair, and on some only (those that only broad keys brought, in the service)
        for bounded in (None, [rng.random() < 0.5 for _ in candidates]):
            found = rank(me, candidates, weigh, MODEL.review_threshold, bound, bounded)
            assert [(i, s.total, s.contributions) for i, s in found] == \
                [(i, s.total, s.contributions) for i, s in expected]


def test_rank_finds_the_best_of_the_rest_and_keeps_the_first_of_equal_totals() -> None:
    # totals and bounds chosen by hand: nothing reaches the threshold (10); the best is 4.0, twice, at 3 and 5
    totals = [1.0, 3.5, -2.0, 4.0, 0.0, 4.0, 2.0]
    bounds = [9.0, 3.5, 9.5, 4.0, 1.0, 8.0, 4.5]
    candidates = [dataclasses.replace(person(), phone=str(i) * 10) for i in range(len(totals))]
    scored: list[int] = []

    def weigh(_: NormalisedPerson, c: NormalisedPerson) -> Score:
        i = candidates.index(c)
        scored.append(i)
        return Score(totals[i], {})

    def bound(_: NormalisedPerson, c: NormalisedPerson) -> float:
        return bounds[candidates.index(c)]

    found = rank(person(), candidates, weigh, 10.0, bound)
    assert [(i, s.total) for i, s in found] == [(3, 4.0)]
    assert 4 not in scored and 1 not in scored  # their bounds are below the best found: never scored
    assert [(i, s.total) for i, s in found] == [(i, s.total) for i, s in full_rank(candidates, person(), weigh, 10.0)]


def test_rank_keeps_every_pair_from_the_threshold_up_in_order() -> None:
    totals = [12.0, 3.0, 15.0, 12.0, 7.0]
    bounds = [20.0, 5.0, 20.0, 12.5, 20.0]
    candidates = [dataclasses.replace(person(), phone=str(i) * 10) for i in range(len(totals))]
    scored: list[int] = []

    def weigh(_: NormalisedPerson, c: NormalisedPerson) -> Score:
        scored.append(candidates.index(c))
        return Score(totals[candidates.index(c)], {})

    found = rank(person(), candidates, weigh, 10.0, lambda _, c: bounds[candidates.index(c)])
    assert [(i, s.total) for i, s in found] == [(2, 15.0), (0, 12.0), (3, 12.0)]
    assert 1 not in scored


def test_shortlist_tries_the_bound_only_on_candidates_that_broad_keys_alone_brought() -> None:
    from services.matching.blocking import record_keys
    from services.matching.resolution import Candidate, NewRecord, shortlist

    me = person("鈴木 花子", "スズキ ハナコ", address="愛知県豊田市東町1-2-3", postal="471-0002", phone=None)
    same_day = Candidate("tax", "T1", person("高橋 一郎", "タカハシ イチロウ"), "debtor-A")  # the birth date alone
    namesake = Candidate("tax", "T2", person("鈴木 花子", "スズキ ハナコ", address="北町1-1-1", postal="471-0009",
                                             phone=None), "debtor-B")  # the name and birth date too
    stored: dict[bytes, list[Candidate]] = {}
    for candidate in (same_day, namesake):
        for key in record_keys(candidate.normalised)[0]:
            stored.setdefault(key, []).append(candidate)
    keys, lookups = record_keys(me)
    bounded: list[str] = []

    def bound(_: NormalisedPerson, other: NormalisedPerson) -> float:
        bounded.append(other.name or "")
        return upper_bound(me, other, MODEL, MODEL.review_threshold)

    found = shortlist(NewRecord(("water", "W1"), me, keys, lookups), stored, set(), pair_weigher(MODEL, None),
                      MODEL.review_threshold, bound)
    assert bounded == [same_day.normalised.name]
    assert [c.record for _, c in found] == [("tax", "T2")]
