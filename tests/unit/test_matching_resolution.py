"""The decisions of one batch of new person records (services/matching/resolution.py), without a database: what
``resolve_batch`` would insert given what its queries returned."""

from __future__ import annotations

import itertools
from datetime import date

from contracts import PersonReference
from services.matching.blocking import record_keys
from services.matching.normalise import NormalisedPerson, normalise_person
from services.matching.resolution import Candidate, NewRecord, late_reviews, resolve_new_records, shortlist
from services.matching.scoring import Score, compare, frequency_adjustments, load_model, score

MODEL = load_model()


def weigh(a: NormalisedPerson, b: NormalisedPerson) -> Score:
    levels = compare(a, b)
    return score(levels, MODEL, frequency_adjustments(a, b, levels, None))


def person(name: str = "髙橋 一郎", kana: str = "タカハシ イチロウ", born: date | None = date(1975, 4, 1),
           address: str = "愛知県豊田市西町三丁目60番地5", phone: str | None = "0565-31-1212",
           postal: str = "471-0001") -> NormalisedPerson:
    return normalise_person(PersonReference(source_person_id="x", name_kanji=name, name_kana=kana, birth_date=born,
                                            address=address, postal_code=postal, phone=phone))


def new_record(department: str, source_id: str, who: NormalisedPerson, **kwargs: object) -> NewRecord:
    keys, lookups = record_keys(who)
    return NewRecord((department, source_id), who, keys, lookups, **kwargs)  # type: ignore[arg-type]


def stored_index(*candidates: Candidate) -> dict[bytes, list[Candidate]]:
    index: dict[bytes, list[Candidate]] = {}
    for candidate in candidates:
        for key in record_keys(candidate.normalised)[0]:
            index.setdefault(key, []).append(candidate)
    return index


def ids() -> itertools.count[int]:
    return itertools.count(1)


def run(news: list[NewRecord], stored: dict[bytes, list[Candidate]], rejected=frozenset(), linked=None):  # noqa: ANN001, ANN201
    counter = ids()
    rejected = set(rejected)
    contenders = [shortlist(n, stored, rejected, weigh, MODEL.review_threshold) for n in news]
    return contenders, resolve_new_records(news, contenders, stored, rejected, linked or {}, weigh, MODEL,
                                           new_debtor_id=lambda: f"new-{next(counter)}")


def test_the_same_person_from_another_department_joins_the_stored_debtor() -> None:
    stored = stored_index(Candidate("tax", "T1", person(), "debtor-A"))
    _, resolution = run([new_record("water", "W1", person("高橋 一郎"))], stored)
    assert resolution.debtor_of == {("water", "W1"): "debtor-A"}
    assert resolution.new_debtors == []
    assert resolution.links == [("water", "W1", "debtor-A", f"link:{MODEL.version}")]
    decision = resolution.decisions[0]
    assert decision[3] == "link" and decision[4:6] == ("tax", "T1") and decision[6] >= MODEL.link_threshold


def test_a_stranger_gets_a_new_debtor_and_the_decision_names_the_best_candidate_it_beat() -> None:
    stored = stored_index(Candidate("tax", "T1", person(), "debtor-A"))
    stranger = person("鈴木 花子", "スズキ ハナコ", born=date(1975, 4, 1), address="愛知県豊田市元城町1丁目1番地",
                      phone=None)
    contenders, resolution = run([new_record("water", "W9", stranger)], stored)
    assert len(contenders[0]) == 1  # only the birth date was shared: kept to explain the "new"
    assert resolution.debtor_of == {("water", "W9"): "new-1"} and resolution.new_debtors == ["new-1"]
    assert resolution.decisions[0][3] == "new" and resolution.decisions[0][4:6] == ("tax", "T1")
    assert resolution.reviews == []


def test_a_rejected_pair_is_never_scored_again() -> None:
    stored = stored_index(Candidate("tax", "T1", person(), "debtor-A"))
    contenders, resolution = run([new_record("water", "W1", person())], stored,
                                 rejected={("water", "W1", "tax", "T1"), ("tax", "T1", "water", "W1")})
    assert contenders == [[]]
    assert resolution.debtor_of == {("water", "W1"): "new-1"} and resolution.decisions[0][3] == "new"


def test_a_relation_never_joins_the_debtor_it_is_related_to() -> None:
    stored = stored_index(Candidate("tax", "T1", person(), "debtor-A"))
    _, resolution = run([new_record("childcare", "C1", person(), never_link_to="debtor-A")], stored)
    assert resolution.debtor_of[("childcare", "C1")] != "debtor-A"


def test_a_relation_named_by_another_record_of_the_batch_avoids_the_debtor_that_record_was_given() -> None:
    stored = stored_index(Candidate("tax", "T1", person(), "debtor-A"))
    debtor = new_record("water", "W1", person())
    guarantor = new_record("water", "W2", person(), never_link_to_record=("water", "W1"))
    _, resolution = run([debtor, guarantor], stored)
    assert resolution.debtor_of[("water", "W1")] == "debtor-A"
    assert resolution.debtor_of[("water", "W2")] != "debtor-A"


def test_two_new_records_of_one_person_in_one_batch_become_one_debtor() -> None:
    first = new_record("tax", "T1", person())
    second = new_record("insurance", "I1", person("高橋 一郎", "ﾀｶﾊｼ ｲﾁﾛｳ"))
    _, resolution = run([first, second], {})
    assert resolution.debtor_of[("tax", "T1")] == resolution.debtor_of[("insurance", "I1")] == "new-1"
    assert resolution.new_debtors == ["new-1"]
    assert [d[3] for d in resolution.decisions] == ["new", "link"]


def test_doubt_creates_a_new_debtor_and_queues_the_pair_for_review() -> None:
    parent = person("高橋 一郎", born=date(1950, 4, 1), phone=None)
    stored = stored_index(Candidate("tax", "T1", parent, "debtor-A"))
    child = person("高橋 一郎", born=None, phone=None)  # one name, one household, no birth date
    _, resolution = run([new_record("water", "W1", child)], stored)
    assert resolution.debtor_of == {("water", "W1"): "new-1"}
    assert [r[:4] for r in resolution.reviews] == [("water", "W1", "tax", "T1")]


def test_a_key_shared_by_more_records_than_its_cap_brings_no_candidate() -> None:
    crowd = [Candidate("tax", f"T{n}", person(f"山田 {n}郎", "ヤマダ", born=date(1975, 4, 1), phone=None,
                                                address=f"愛知県豊田市小坂町{n}番地"), f"debtor-{n}")
             for n in range(200)]
    stored = stored_index(*crowd)
    arriving = new_record("water", "W1", person("佐藤 花子", "サトウ ハナコ", born=date(1975, 4, 1), phone=None,
                                                address="愛知県豊田市元城町9番地", postal="471-0025"))
    shared = [(key, limit) for key, limit in arriving.lookups if key in stored]
    assert shared and all(len(stored[key]) > limit for key, limit in shared)  # the birth date alone is too common
    contenders, resolution = run([arriving], stored)
    assert contenders == [[]] and resolution.decisions[0][3] == "new" and resolution.decisions[0][4] is None


def test_a_record_named_late_is_put_before_a_person_never_linked() -> None:
    """A record whose identity was made from a bare reference, now named: the best stored record of another
    debtor that would link (or be reviewed) becomes a review row; its own debtor's records and strangers do not."""
    named = new_record("tax", "T1", person())
    own = Candidate("tax", "T0", person(), "debtor-own")
    same_person = Candidate("water", "W1", person(), "debtor-water")
    stranger = Candidate("housing", "H1", person("鈴木 花子", "スズキ ハナコ", date(1990, 1, 2), phone=None,
                                                address="愛知県豊田市東山町一丁目2番地3", postal="471-0099"),
                         "debtor-housing")
    linked = {("tax", "T1"): "debtor-own"}
    found = shortlist(named, stored_index(own, same_person, stranger), set(), weigh, MODEL.review_threshold)
    rows = late_reviews([named], [found], linked, MODEL)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [("tax", "T1", "water", "W1")]
    alone = shortlist(named, stored_index(own, stranger), set(), weigh, MODEL.review_threshold)
    assert late_reviews([named], [alone], linked, MODEL) == []
