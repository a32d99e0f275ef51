"""Probabilistic scoring for debtor matching (名寄せ): Fellegi–Sunter weights with an explanation per field.

Pure functions over two normalised person records (``services.matching.normalise.NormalisedPerson``); the only I/O
is reading the model file. The flow for a candidate pair (two departmental person records that share a blocking
key such as the birth date or the kana surname):

1. ``compare(a, b)`` → one comparison *level* per field (``LEVELS`` lists them, strongest agreement first, and
   every field can also be ``"missing"`` when either side lacks the value);
2. ``score(levels, model)`` → the total log2 weight and each field's contribution (JSON-serialisable, so it can be
   stored with the link and shown to staff in the review queue);
3. ``decide(score, model)`` → ``"link"`` (same debtor), ``"review"`` (a person decides) or ``"new"`` (a new
   debtor identity).

The model (m and u probabilities per level, thresholds, prior) is versioned data in ``model/fellegi_sunter.v*.json``;
``estimate`` re-fits m, u and the prior with EM on the comparison vectors of real candidate pairs.

A wrong merge shows one resident's debts to another, so precision beats recall: besides the weights there is a hard
rule that two records whose birth dates are both known and differ (level ``"disagree"``; one-component typos are a
level of their own) are never linked automatically — at most they go to review.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz.distance import Indel, JaroWinkler

from services.matching.normalise import phonetic_kana

if TYPE_CHECKING:
    from services.matching.normalise import NormalisedPerson

MISSING = "missing"

#: Comparison levels per field, strongest agreement first. ``"missing"`` (either side lacks the value) is implicit:
#: it is not part of the model's m/u distributions and weighs 0.
#:
#: - surname / given_name: ``exact`` (the folded kanji, or the Latin name case-folded, agree; or the kana where a
#:   side has no kanji), ``kana`` (kanji differ or are absent, the readings agree: 斉藤/斎藤, 浩/宏), ``phonetic``
#:   (the readings agree once folded: シヨウタ/ショウタ, オオノ/オーノ, ヴ/ブ), ``similar`` (a typo: Jaro–Winkler ≥
#:   ``SIMILAR``, names of three characters or more), ``disagree``;
#: - birth_date: ``exact``, ``one_digit`` (one digit of YYYYMMDD, not the decade: 1960/1990 is a generation),
#:   ``day_month_swapped``, ``one_component`` (only the year, month or day differs otherwise), ``disagree``;
#: - address (normalised): ``exact``, ``same_house`` (same house number, the rest alike: a flat name omitted, a
#:   typo in the street), ``similar`` (Jaro–Winkler or Indel similarity ≥ ``ADDRESS_SIMILAR``: a typo, a part
#:   left out), ``same_block`` (town and 丁目),
#:   ``disagree``;
#: - postal_code, phone: ``exact`` or ``disagree``;
#: - register_number (the resident register's 宛名番号, shared by the departments that use the register) and
#:   corporate_number (法人番号): ``exact`` or ``disagree``, each close to proof either way.
LEVELS: dict[str, tuple[str, ...]] = {
    "surname": ("exact", "kana", "phonetic", "similar", "disagree"),
    "given_name": ("exact", "kana", "phonetic", "similar", "disagree"),
    "birth_date": ("exact", "one_digit", "day_month_swapped", "one_component", "disagree"),
    "address": ("exact", "same_house", "similar", "same_block", "disagree"),
    "postal_code": ("exact", "disagree"),
    "phone": ("exact", "disagree"),
    "register_number": ("exact", "disagree"),
    "corporate_number": ("exact", "disagree"),
}
FIELDS: tuple[str, ...] = tuple(LEVELS)
#: Name fields whose exact agreement is weighed by how common the value is in the city (term frequencies).
FREQUENCY_FIELDS: tuple[str, ...] = ("surname", "given_name")

#: Jaro–Winkler similarity from which two different names (three characters or more) count as "similar".
SIMILAR = 0.9
#: Jaro–Winkler similarity from which two different normalised addresses count as "similar".
ADDRESS_SIMILAR = 0.9
#: No m or u probability is estimated below this (a level never seen is still possible).
PROBABILITY_FLOOR = 1e-4
#: A full name expected this many times or more among the city's records (surname share × given-name share ×
#: records) is common: agreeing on it with the same birth date at another address is not enough to link.
COMMON_NAME_RECORDS = 2.0

DEFAULT_MODEL_PATH = Path(__file__).parent / "model" / "fellegi_sunter.v2.json"

Decision = Literal["link", "review", "new"]


# ---------------------------------------------------------------------------------------------------------------
# 1. Comparison levels


def compare(a: NormalisedPerson, b: NormalisedPerson) -> dict[str, str]:
    """The comparison level of every field (``FIELDS``) for two normalised person records, plus ``"kind"``
    (``individual``, ``corporation`` or ``mixed``), which decides which rules apply."""
    kind = a.kind if a.kind == b.kind else "mixed"
    if kind == "corporation":
        surname, given = _part_level(a.name, b.name, a.name_kana, b.name_kana), MISSING
    else:
        surname, given = _name_levels(a, b)
    address = _address_level(a, b)
    return {
        "kind": kind,
        "surname": surname,
        "given_name": given,
        "birth_date": _birth_date_level(a, b),
        "address": address,
        # The same house has the same postal code: counting both would weigh one agreement twice.
        "postal_code": MISSING if address in ("exact", "same_house") else _equal_level(a.postal_code, b.postal_code),
        "phone": _equal_level(a.phone, b.phone),
        "register_number": _equal_level(a.register_number, b.register_number),
        "corporate_number": _equal_level(a.corporate_number, b.corporate_number),
    }


def _equal_level(x: str | None, y: str | None) -> str:
    if not x or not y:
        return MISSING
    return "exact" if x == y else "disagree"


def _aligned(whole_a: str | None, sur_a: str | None, given_a: str | None,
             whole_b: str | None, sur_b: str | None, given_b: str | None
             ) -> tuple[tuple[str | None, str | None], tuple[str | None, str | None]] | None:
    """Both names as (surname, given name). A name recorded without a space is cut where the other side's
    surname ends or its given name starts (佐藤花子 against 鈴木 花子: 佐藤 / 花子, a married name). None when
    neither side says where the surname ends."""
    if sur_a is not None and given_a is not None and sur_b is not None and given_b is not None:
        return (sur_a, given_a), (sur_b, given_b)
    if sur_a is not None and given_a is not None and whole_b:
        return (sur_a, given_a), _cut(whole_b, sur_a, given_a)
    if sur_b is not None and given_b is not None and whole_a:
        return _cut(whole_a, sur_b, given_b), (sur_b, given_b)
    return None


def _cut(whole: str, surname: str, given: str) -> tuple[str | None, str | None]:
    if whole.startswith(surname):
        return surname, whole[len(surname):] or None
    if whole.endswith(given):
        return whole[: -len(given)] or None, given
    if _similar(whole, surname):
        return whole, None  # one part only, misspelt: the given name was not recorded
    if _similar(whole, given):
        return None, whole
    cut = max(1, min(len(whole) - 1, round(len(whole) * len(surname) / max(len(surname) + len(given), 1))))
    return whole[:cut], whole[cut:]  # both parts differ: cut in proportion, they disagree either way


def _name_levels(a: NormalisedPerson, b: NormalisedPerson) -> tuple[str, str]:
    kanji = _aligned(a.name, a.surname, a.given_name, b.name, b.surname, b.given_name)
    kana = _aligned(a.name_kana, a.kana_surname, a.given_kana, b.name_kana, b.kana_surname, b.given_kana)
    if kanji is None and a.name and b.name and a.name == b.name:
        return "exact", "exact"  # the same whole name: both parts agree wherever the surname ends
    if kana is None and a.name_kana and b.name_kana and (
            a.name_kana == b.name_kana or phonetic_kana(a.name_kana) == phonetic_kana(b.name_kana)):
        same = "exact" if not (a.name and b.name) else "kana" if a.name_kana == b.name_kana else "phonetic"
        if kanji is None:
            return same, same
    if kanji is None and kana is None:
        whole = _part_level(a.name, b.name, a.name_kana, b.name_kana)
        return whole, MISSING  # one comparison of the whole name: it counts once
    (ks_a, kg_a), (ks_b, kg_b) = kanji if kanji is not None else ((None, None), (None, None))
    (rs_a, rg_a), (rs_b, rg_b) = kana if kana is not None else ((None, None), (None, None))
    levels = _part_level(ks_a, ks_b, rs_a, rs_b), _part_level(kg_a, kg_b, rg_a, rg_b)
    if "disagree" in levels and ks_a and kg_a and ks_b and kg_b:
        # the space in another place (佐 藤花子, VAN WIJKJAMES), or also the parts crossed (JAMES VANWIJK)
        if ks_a + kg_a == ks_b + kg_b:
            return "exact", "exact"
        if ks_a + kg_a == kg_b + ks_b:
            return "exact", "exact"
    if "disagree" in levels:  # written given name first in one system (Latin records): the parts crossed
        crossed = _part_level(ks_a, kg_b, rs_a, rg_b), _part_level(kg_a, ks_b, rg_a, rs_b)
        if crossed[0] in SAME_OR_SIMILAR_NAME and crossed[1] in SAME_OR_SIMILAR_NAME:
            return crossed  # misspelt as well (MCGIRR TABKTHA against TABITHA MCGIRR)
    return levels


def _part_level(kanji_a: str | None, kanji_b: str | None, kana_a: str | None, kana_b: str | None) -> str:
    """One name part (or a corporation's whole name) compared by its kanji (or Latin) form and its reading."""
    both_kanji = bool(kanji_a and kanji_b)
    both_kana = bool(kana_a and kana_b)
    if both_kanji and kanji_a == kanji_b:
        return "exact"
    if both_kana:
        if kana_a == kana_b:
            return "kana" if both_kanji else "exact"
        if phonetic_kana(kana_a) == phonetic_kana(kana_b):  # type: ignore[arg-type]
            return "phonetic"
    if both_kanji and _similar(kanji_a, kanji_b):  # type: ignore[arg-type]
        return "similar"
    if both_kana and _similar(kana_a, kana_b):  # type: ignore[arg-type]
        return "similar"
    return "disagree" if both_kanji or both_kana else MISSING


def _similar(x: str, y: str) -> bool:
    # score_cutoff lets rapidfuzz stop early: a similarity below it comes back as 0
    return len(x) >= 3 and len(y) >= 3 and JaroWinkler.similarity(x, y, score_cutoff=SIMILAR) >= SIMILAR


def _birth_date_level(a: NormalisedPerson, b: NormalisedPerson) -> str:
    if a.kind == "corporation" or b.kind == "corporation":
        return MISSING  # a corporation has no birth date (設立日 is not compared)
    x, y = a.birth_date, b.birth_date
    if x is None or y is None:
        return MISSING
    if x == y:
        return "exact"
    if x.year == y.year and x.month == y.day and x.day == y.month:
        return "day_month_swapped"
    same = (x.year == y.year) + (x.month == y.month) + (x.day == y.day)
    if same < 2:
        return "disagree"  # two components differ: two digits at least, no typo of one digit
    digits_x, digits_y = _digits(x), _digits(y)
    differing = [i for i in range(8) if digits_x[i] != digits_y[i]]
    if len(differing) == 1 and differing[0] != 2:  # the decade digit: 1960 / 1990 is a parent and a child
        return "one_digit"
    return "one_component"


@functools.lru_cache(maxsize=65_536)  # birth dates repeat across candidate pairs; strftime was a tenth of compare
def _digits(day: date) -> str:
    return day.strftime("%Y%m%d")


def _address_level(a: NormalisedPerson, b: NormalisedPerson) -> str:
    if a.address and b.address:
        if a.address == b.address:
            return "exact"
        if a.house_number and a.house_number == b.house_number and (
                a.address.startswith(b.address) or b.address.startswith(a.address)
                or JaroWinkler.similarity(a.address, b.address, score_cutoff=ADDRESS_SIMILAR) >= ADDRESS_SIMILAR
                or (a.address_block is not None and a.address_block == b.address_block
                    and _street(a.address, a.house_number) == _street(b.address, b.house_number))):
            return "same_house"
        if _addresses_similar(a.address, b.address):
            return "similar"
        if a.address_block and a.address_block == b.address_block:
            return "same_block"
        return "disagree"
    if a.address_block and b.address_block:
        return "same_block" if a.address_block == b.address_block else "disagree"
    return MISSING


def _addresses_similar(x: str, y: str) -> bool:
    """A typo, or a part one side left out (the house number, a building, a district name): Jaro–Winkler weighs
    the start of the text, so it misses a dropped first part; the insertion/deletion ratio (Indel) does not."""
    return (JaroWinkler.similarity(x, y, score_cutoff=ADDRESS_SIMILAR) >= ADDRESS_SIMILAR
            or Indel.normalized_similarity(x, y, score_cutoff=ADDRESS_SIMILAR) >= ADDRESS_SIMILAR)


def _street(address: str, house: str) -> str:
    """The address up to and including its house number (the building after it left out)."""
    return address[: address.index(house) + len(house)]


def upper_bound(a: NormalisedPerson, b: NormalisedPerson, model: Model, threshold: float) -> float:
    """A cheap first comparison: a total that ``score(compare(a, b), model, frequency_adjustments(…))`` never
    exceeds, computed without the full comparison while the pair can still reach ``threshold``.

    The birth date, phone, 宛名番号, 法人番号 and postal code are compared exactly (equality, or the birth date's
    few date comparisons). The names are compared exactly, cheaply when both records give surname and given
    name (and both give them in kana too, or one has no kana at all) and no part of one, nor its reading folded
    phonetically, equals a part of the other: then neither part can agree, directly or crossed, and each is
    ``similar`` or ``disagree`` (two Jaro–Winkler calls); otherwise as ``compare`` does, an exact agreement
    counted with the most a rare name's frequency can add. The address counts at the strongest level it may still
    reach (a different house number cannot be ``same_house``); only when that keeps the pair at ``threshold`` or
    above is it compared in full. Corporations and mixed pairs are not bounded (infinity): they are few.

    Safe by construction (each field's bound is at least the weight its level can take, rounding included:
    ``tests/unit/test_matching_bound.py``): a pair whose bound is below the review threshold cannot reach
    review, and its full score is needed only to explain a "new" (``resolution.rank``)."""
    if a.kind != "individual" or b.kind != "individual":
        return math.inf
    table = _weight_table(model)
    names = _names_without_agreement(a, b)
    if names is not None:
        total = table["surname"][names[0]] + table["given_name"][names[1]]
    else:  # a part may agree: the levels as compare gives them, an exact one at the most its frequency can weigh
        surname, given = _name_levels(a, b)
        total = table["surname"][surname] + table["given_name"][given]
        boost = max(FREQUENCY_WEIGHT_RANGE[1], 0.0)  # the most a rare name adds to an exact agreement (score)
        total += boost * ((surname == "exact") + (given == "exact"))
    total += table["birth_date"][_birth_date_level(a, b)] + _BOUND_MARGIN
    if a.phone and b.phone:
        total += table["phone"]["exact" if a.phone == b.phone else "disagree"]
    if a.register_number and b.register_number:
        total += table["register_number"]["exact" if a.register_number == b.register_number else "disagree"]
    if a.corporate_number and b.corporate_number:
        total += table["corporate_number"]["exact" if a.corporate_number == b.corporate_number else "disagree"]
    postal = table["postal_code"][_equal_level(a.postal_code, b.postal_code)]
    address = table["address"]
    if a.address and b.address and a.address != b.address:
        # not yet compared in full: the strongest level still possible (same_house needs the same number)
        strongest = max(address["similar"], address["disagree"]) + postal
        if a.house_number and a.house_number == b.house_number:
            strongest = max(strongest, address["same_house"])
        if a.address_block and a.address_block == b.address_block:
            strongest = max(strongest, address["same_block"] + postal)
        if total + strongest < threshold:
            return total + strongest
    level = _address_level(a, b)
    return total + address[level] + (0.0 if level in ("exact", "same_house") else postal)


#: Added to a bound so that the rounding of weights and totals (6 decimals) never puts a score above it.
_BOUND_MARGIN = 1e-4


def _weight_table(model: Model) -> dict[str, dict[str, float]]:
    """Each field's weight per level, ``missing`` (0) included, computed once per model."""
    table = model._weights
    if not table:
        for name in FIELDS:
            table[name] = {level: model.weight(name, level) for level in (*LEVELS[name], MISSING)}
    return table


def _names_without_agreement(a: NormalisedPerson, b: NormalisedPerson) -> tuple[str, str] | None:
    """The name levels of two individuals when neither part can agree (see ``upper_bound``): ``similar`` or
    ``disagree`` each, as ``compare`` gives them; None when a part may agree or the names are not both split.

    Both split in kanji (or Latin) means ``compare`` aligns the parts as written; the readings are aligned
    as written too when both are split, and take no part when either record has none. A level of exact, kana
    or phonetic needs two parts (or crossed parts) equal in writing or in folded reading, or the whole names
    equal with the space in another place (佐 藤花子), which the checks below exclude; so each part, direct or
    crossed, is ``similar`` or ``disagree``, and the crossed levels count when both are ``similar``."""
    sur_a, given_a, sur_b, given_b = a.surname, a.given_name, b.surname, b.given_name
    if not (sur_a and given_a and sur_b and given_b) or sur_a == sur_b or sur_a == given_b or given_a == sur_b \
            or given_a == given_b or sur_a + given_a in (sur_b + given_b, given_b + sur_b):
        return None
    kana_s_a = kana_g_a = kana_s_b = kana_g_b = None
    if a.name_kana and b.name_kana:
        kana_s_a, kana_g_a, kana_s_b, kana_g_b = a.kana_surname, a.given_kana, b.kana_surname, b.given_kana
        if not (kana_s_a and kana_g_a and kana_s_b and kana_g_b):
            return None
        folded_a, folded_b = (phonetic_kana(kana_s_a), phonetic_kana(kana_g_a)), (phonetic_kana(kana_s_b),
                                                                                   phonetic_kana(kana_g_b))
        if folded_a[0] in folded_b or folded_a[1] in folded_b:
            return None  # equal kana fold to equal readings: this covers them too
    surname = "similar" if _similar(sur_a, sur_b) or (kana_s_a is not None and _similar(kana_s_a, kana_s_b)) \
        else "disagree"  # type: ignore[arg-type]
    given = "similar" if _similar(given_a, given_b) or (kana_g_a is not None and _similar(kana_g_a, kana_g_b)) \
        else "disagree"  # type: ignore[arg-type]
    if "disagree" in (surname, given) and (  # crossed (given name first) and misspelt, as _name_levels takes them
            _similar(sur_a, given_b) or (kana_s_a is not None and _similar(kana_s_a, kana_g_b))) and (  # type: ignore[arg-type]
            _similar(given_a, sur_b) or (kana_g_a is not None and _similar(kana_g_a, kana_s_b))):  # type: ignore[arg-type]
        return "similar", "similar"
    return surname, given


def frequency_values(person: NormalisedPerson) -> dict[str, str]:
    """The values whose frequency in the city weighs a name agreement: the folded surname and given name (the
    reading, folded phonetically, when there is no kanji name). Individuals only."""
    if person.kind != "individual":
        return {}
    values = {}
    surname = person.surname or (phonetic_kana(person.kana_surname) if person.kana_surname else None)
    given = person.given_name or (phonetic_kana(person.given_kana) if person.given_kana else None)
    if surname:
        values["surname"] = surname
    if given:
        values["given_name"] = given
    return values


@dataclass(frozen=True, slots=True)
class NameFrequencies:
    """How many of the city's records hold each surname and given name (``"surname|佐藤"`` → 1234) out of
    ``records``: read from the store for the names a batch needs, kept current as records arrive."""

    counts: Mapping[str, int]
    records: int

    def share(self, field_name: str, value: str) -> float | None:
        """The proportion of records with this value, None when the city has too few records to tell."""
        if self.records < MIN_RECORDS_FOR_FREQUENCIES:
            return None
        return max(self.counts.get(f"{field_name}|{value}", 0), 1) / self.records

    def expected_namesakes(self, surname: str, given: str) -> float | None:
        s, g = self.share("surname", surname), self.share("given_name", given)
        return None if s is None or g is None else s * g * self.records


#: Below this many records, frequencies say nothing: the model's average u is used.
MIN_RECORDS_FOR_FREQUENCIES = 1000


def frequency_adjustments(a: NormalisedPerson, b: NormalisedPerson, levels: Mapping[str, str],
                          frequencies: NameFrequencies | None) -> dict[str, str | float]:
    """Term-frequency evidence for a pair: for each name part that agrees exactly, the value's share of the city
    (replacing the model's average u, so a common surname weighs less and a rare one more), and whether the
    full name is common. Empty without frequencies."""
    if frequencies is None:
        return {}
    values_a, values_b = frequency_values(a), frequency_values(b)
    result: dict[str, str | float] = {}
    for name in FREQUENCY_FIELDS:
        value = values_a.get(name)
        if value is not None and levels.get(name) == "exact" and value == values_b.get(name):
            share = frequencies.share(name, value)
            if share is not None:
                result[name] = share
    if "surname" in values_a and "given_name" in values_a:
        namesakes = frequencies.expected_namesakes(values_a["surname"], values_a["given_name"])
        if namesakes is not None:
            result["name_frequency"] = "common" if namesakes >= COMMON_NAME_RECORDS else "rare"
    return result


def pair_weigher(model: Model, frequencies: NameFrequencies | None
                 ) -> Callable[[NormalisedPerson, NormalisedPerson], Score]:
    """``score(levels, model, frequency_adjustments(a, b, levels, frequencies))`` for ``levels = compare(a, b)``,
    the same scores, with what depends on the first record alone (its name values and whether its name is
    common) worked out once per record instead of once per candidate pair."""
    evidence: dict[int, tuple[NormalisedPerson, dict[str, str], str | None]] = {}

    def weigh(a: NormalisedPerson, b: NormalisedPerson) -> Score:
        levels = compare(a, b)
        if frequencies is None:
            return score(levels, model, None)
        known = evidence.get(id(a))
        if known is None or known[0] is not a:
            values_a = frequency_values(a)
            common = None
            if "surname" in values_a and "given_name" in values_a:
                namesakes = frequencies.expected_namesakes(values_a["surname"], values_a["given_name"])
                if namesakes is not None:
                    common = "common" if namesakes >= COMMON_NAME_RECORDS else "rare"
            known = evidence[id(a)] = (a, values_a, common)
        _, values_a, common = known
        adjustments: dict[str, str | float] = {}
        values_b = None
        for name in FREQUENCY_FIELDS:
            value = values_a.get(name)
            if value is not None and levels.get(name) == "exact":
                if values_b is None:
                    values_b = frequency_values(b)
                if value == values_b.get(name):
                    share = frequencies.share(name, value)
                    if share is not None:
                        adjustments[name] = share
        if common is not None:
            adjustments["name_frequency"] = common
        return score(levels, model, adjustments)

    return weigh


# ---------------------------------------------------------------------------------------------------------------
# 2. The model


@dataclass(frozen=True, slots=True)
class LevelProbabilities:
    m: float  # P(level | same person)
    u: float  # P(level | different persons), among candidate pairs

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


@dataclass(frozen=True, slots=True)
class Model:
    """Fellegi–Sunter parameters: m/u per field and level (``"missing"`` excluded: weight 0), the log2-weight
    thresholds (link above ``link``, review from ``review`` up to ``link``, a new identity below ``review``), and the
    prior proportion of true matches among candidate pairs."""

    version: str
    fields: Mapping[str, Mapping[str, LevelProbabilities]]
    link_threshold: float
    review_threshold: float
    prior: float
    description: str = ""
    #: A corporation has no birth date nor given name: its own thresholds (法人番号 decides where both have one).
    corporation_link_threshold: float = 11.0
    corporation_review_threshold: float = 5.0
    #: Scores already computed, by level vector: a few hundred vectors occur at all, millions of pairs share them.
    _scores: dict[tuple[str, ...], Score] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: Weights per field and level (``upper_bound``), computed once.
    _weights: dict[str, dict[str, float]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if set(self.fields) != set(FIELDS):
            raise ValueError(f"model fields {sorted(self.fields)} != {sorted(FIELDS)}")
        for name, levels in self.fields.items():
            if tuple(levels) != LEVELS[name]:
                raise ValueError(f"model levels of {name!r} {tuple(levels)} != {LEVELS[name]}")
            for kind in ("m", "u"):
                values = [getattr(p, kind) for p in levels.values()]
                if not all(0 < v < 1 for v in values) or not math.isclose(sum(values), 1.0, abs_tol=1e-6):
                    raise ValueError(f"{kind} of {name!r} must be in (0, 1) and sum to 1: {values}")
        if not 0 < self.prior < 1:
            raise ValueError(f"prior must be in (0, 1): {self.prior}")
        if self.review_threshold > self.link_threshold:
            raise ValueError("the review threshold must not exceed the link threshold")

    def weight(self, field_name: str, level: str) -> float:
        if level == MISSING:
            return 0.0
        return self.fields[field_name][level].weight

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "description": self.description,
            "prior": self.prior,
            "thresholds": {"link": self.link_threshold, "review": self.review_threshold,
                           "corporation_link": self.corporation_link_threshold,
                           "corporation_review": self.corporation_review_threshold},
            "fields": {name: {level: {"m": p.m, "u": p.u} for level, p in levels.items()}
                       for name, levels in self.fields.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        return cls(
            version=str(data["version"]),
            description=str(data.get("description", "")),
            prior=float(data["prior"]),
            link_threshold=float(data["thresholds"]["link"]),
            review_threshold=float(data["thresholds"]["review"]),
            corporation_link_threshold=float(data["thresholds"].get("corporation_link", 11.0)),
            corporation_review_threshold=float(data["thresholds"].get("corporation_review", 5.0)),
            fields={name: {level: LevelProbabilities(float(data["fields"][name][level]["m"]),
                                                     float(data["fields"][name][level]["u"]))
                           for level in LEVELS[name]}
                    for name in FIELDS},
        )


def load_model(path: str | Path | None = None) -> Model:
    """The model in ``path``, by default the packaged ``model/fellegi_sunter.v2.json``."""
    source = Path(path) if path is not None else DEFAULT_MODEL_PATH
    return Model.from_dict(json.loads(source.read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------------------------------------------
# 3. Score, explanation and decision


@dataclass(frozen=True, slots=True)
class Score:
    """The total log2 weight of a pair and what each field contributed, e.g.
    ``{"name": {"level": "exact", "weight": 7.75}, …}`` — plain JSON types, to store and show to staff."""

    total: float
    contributions: dict[str, dict[str, Any]]
    model_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "contributions": self.contributions, "model_version": self.model_version}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Score:
        return cls(float(data["total"]), {k: dict(v) for k, v in data["contributions"].items()},
                   str(data.get("model_version", "")))


#: Entries of a score's contributions that are not model fields: they explain, and weigh 0.
CONTEXT = ("kind", "name_frequency")
_ALL_MISSING = (MISSING,) * len(FIELDS)
#: How far a name's frequency may move its agreement weight from the model's average (log2 units): a name seen
#: once in a small store is not proof, and the most common surname still agrees.
FREQUENCY_WEIGHT_RANGE = (-4.0, 3.0)


def score(levels: Mapping[str, str], model: Model, frequencies: Mapping[str, str | float] | None = None) -> Score:
    """Sum of the log2(m/u) weights of the levels; a missing field (or one absent from ``levels``) weighs 0.
    ``frequencies`` (``frequency_adjustments``): a name part that agrees exactly weighs log2(m / its share of the
    city) instead of log2(m/u), within ``FREQUENCY_WEIGHT_RANGE`` of it. The result is shared between pairs with
    the same levels: treat it as read-only."""
    frequencies = frequencies or {}
    vector = (*map(levels.get, FIELDS, _ALL_MISSING),
              *(str(levels.get(name) or frequencies.get(name) or "") for name in CONTEXT))
    base = model._scores.get(vector)
    if base is None:
        contributions: dict[str, dict[str, Any]] = {}
        for name, level in zip(FIELDS, vector, strict=False):
            contributions[name] = {"level": level, "weight": round(model.weight(name, level), 6)}
        for name, level in zip(CONTEXT, vector[len(FIELDS):], strict=True):
            if level:
                contributions[name] = {"level": level, "weight": 0.0}
        total = round(sum(c["weight"] for c in contributions.values()), 6)
        base = model._scores[vector] = Score(total, contributions, model.version)
    shares = {name: float(frequencies[name]) for name in FREQUENCY_FIELDS
              if isinstance(frequencies.get(name), float) and levels.get(name) == "exact"}
    if not shares:
        return base
    contributions = dict(base.contributions)
    for name, share in shares.items():
        average = model.weight(name, "exact")
        low, high = FREQUENCY_WEIGHT_RANGE
        weight = min(max(math.log2(model.fields[name]["exact"].m / share), average + low), average + high)
        contributions[name] = {"level": "exact", "weight": round(weight, 6), "frequency": round(share, 8)}
    total = round(sum(c["weight"] for c in contributions.values()), 6)
    return Score(total, contributions, model.version)


#: Levels of a birth date that differ yet may be a typo: they weigh what they weigh, and never link alone.
BIRTH_DATE_TYPOS = frozenset({"one_digit", "day_month_swapped"})
BIRTH_DATES_DIFFER = frozenset({"disagree", "one_component"}) | BIRTH_DATE_TYPOS
#: Name levels that count as the same name for the protective rules.
SAME_NAME = frozenset({"exact", "kana", "phonetic"})
SAME_OR_SIMILAR_NAME = SAME_NAME | {"similar"}
SAME_PLACE = frozenset({"exact", "same_house"})


class _Levels:
    """The level of each entry of a score's contributions, read on demand (``decide`` reads a few of them for
    every candidate pair: building the whole mapping each time cost more than the rules)."""

    __slots__ = ("_contributions",)

    def __init__(self, contributions: Mapping[str, Mapping[str, Any]]) -> None:
        self._contributions = contributions

    def get(self, name: str) -> str | None:
        entry = self._contributions.get(name)
        return None if entry is None else entry.get("level")


def decide(result: Score, model: Model) -> Decision:
    """``"link"`` when the total exceeds the link threshold, ``"review"`` from the review threshold up to it,
    ``"new"`` below; corporations against their own thresholds.

    Rules on top of the weights, because a wrong merge shows one resident's tax data to another (地方税法22条) and
    can seize the wrong person's assets; each of them turns a link into a review, never the reverse:

    - a different 宛名番号 of the resident register, or a different given name, is another person (twins share a
      household and a birth date; siblings a surname and an address);
    - two known birth dates that differ are never linked, even by one digit (a typo, or another person);
    - without a birth date on both sides, a link needs the same phone or the same 宛名番号 (a parent and a child
      of one name share a household);
    - a common name with the same birth date at another address goes to review (同姓同名 in another town);
    - an individual is never linked with a corporation;
    - and the other way: the same birth date at the same house is reviewed even when the weights say "new".

    The same 宛名番号 (both from the resident register, where twins have two) links whatever the weights,
    unless the birth dates differ beyond a typo or both name parts differ. The same 法人番号 links two
    corporations; a different one never does.
    """
    levels = _Levels(result.contributions)
    kind = levels.get("kind") or "individual"
    if kind == "mixed":
        return "new"
    if kind == "corporation":
        if levels.get("corporate_number") == "exact":
            return "link"
        if levels.get("corporate_number") == "disagree":
            return "review" if result.total >= model.corporation_link_threshold else "new"
        if result.total > model.corporation_link_threshold:
            return "link"
        return "review" if result.total >= model.corporation_review_threshold else "new"
    birth = levels.get("birth_date")
    register = levels.get("register_number")
    if register == "exact" and birth in (None, MISSING, "exact", *BIRTH_DATE_TYPOS) \
            and not levels.get("surname") == levels.get("given_name") == "disagree":
        return "link"  # one resident register entry: twins have two; a name part may be misspelt or changed
    if result.total < model.review_threshold:
        # One birth date at one house is somebody a person should look at, whatever the names say: an alias
        # (通称名) in one system and the legal name in another, both names changed, or two systems' spellings.
        return "review" if birth == "exact" and levels.get("address") in SAME_PLACE else "new"
    if result.total <= model.link_threshold or register == "disagree" or levels.get("given_name") == "disagree":
        return "review"
    if birth in BIRTH_DATES_DIFFER:
        return "review"
    if birth in (None, MISSING):
        return "link" if levels.get("phone") == "exact" or register == "exact" else "review"
    if levels.get("name_frequency") == "common" and levels.get("address") not in SAME_PLACE \
            and levels.get("phone") != "exact":
        return "review"
    return "link"


def match_probability(result: Score, model: Model) -> float:
    """Posterior probability that the pair is the same person, from the prior and the total weight."""
    log_odds = math.log2(model.prior / (1 - model.prior)) + result.total
    return 1.0 / (1.0 + 2.0 ** -log_odds) if log_odds > -1000 else 0.0


# ---------------------------------------------------------------------------------------------------------------
# 4. EM estimation


def u_from_random_pairs(level_vectors: Iterable[Mapping[str, str]], model: Model
                        ) -> dict[str, dict[str, float]]:
    """u per field and level from pairs of records drawn at random (almost all of them different people), as
    mature linkers estimate it: among blocked candidate pairs the blocking fields agree by construction, so EM
    alone would read a birth-date agreement as no evidence. A field never observed keeps the model's u."""
    counts = {name: dict.fromkeys(LEVELS[name], 0.0) for name in FIELDS}
    for vector in level_vectors:
        for name in FIELDS:
            level = vector.get(name, MISSING)
            if level in counts[name]:
                counts[name][level] += 1
    return {name: (dict(zip(LEVELS[name], _normalise(list(counts[name].values())), strict=True))
                   if sum(counts[name].values()) else {level: model.fields[name][level].u for level in LEVELS[name]})
            for name in FIELDS}


def estimate(level_vectors: Iterable[Mapping[str, str]], model: Model,
             iterations: int = 50, *, tolerance: float = 1e-9,
             fixed_u: Mapping[str, Mapping[str, float]] | None = None) -> Model:
    """Fellegi–Sunter EM under conditional independence of the fields, from ``model`` as the starting point.

    ``level_vectors`` are the ``compare`` results of candidate pairs (matches and non-matches unlabelled). A missing
    field is unobserved: it takes no part in that pair's likelihood nor in the field's m/u. Returns a model with
    the new m, u and prior (version suffixed ``+em``, thresholds kept). Each probability is floored at
    ``PROBABILITY_FLOOR`` and the distributions renormalised. Deterministic: the same input gives the same model.
    Stops early when no parameter moves by more than ``tolerance``. With ``fixed_u`` (``u_from_random_pairs``)
    only m and the prior are estimated. A field no pair observes keeps the starting m and u.
    """
    index = {name: {level: i for i, level in enumerate(LEVELS[name])} for name in FIELDS}
    patterns: Counter[tuple[int, ...]] = Counter()
    for vector in level_vectors:
        patterns[tuple(index[name].get(vector.get(name, MISSING), -1) for name in FIELDS)] += 1
    if not patterns:
        return model
    observed = list(patterns.items())  # insertion order: deterministic

    m = [[model.fields[name][level].m for level in LEVELS[name]] for name in FIELDS]
    u = [[(fixed_u[name][level] if fixed_u else model.fields[name][level].u) for level in LEVELS[name]]
         for name in FIELDS]
    prior = model.prior
    for _ in range(iterations):
        m_counts = [[0.0] * len(LEVELS[name]) for name in FIELDS]
        u_counts = [[0.0] * len(LEVELS[name]) for name in FIELDS]
        matches = total = 0.0
        for pattern, count in observed:
            pm, pu = prior, 1.0 - prior
            for f, level in enumerate(pattern):
                if level >= 0:
                    pm *= m[f][level]
                    pu *= u[f][level]
            g = pm / (pm + pu) if pm + pu > 0 else 0.0
            matches += g * count
            total += count
            for f, level in enumerate(pattern):
                if level >= 0:
                    m_counts[f][level] += g * count
                    u_counts[f][level] += (1.0 - g) * count
        new_m = [_normalise(counts) if sum(counts) > 0 else m[f] for f, counts in enumerate(m_counts)]
        new_u = u if fixed_u else [_normalise(counts) if sum(counts) > 0 else u[f]
                                   for f, counts in enumerate(u_counts)]
        new_prior = min(max(matches / total, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR)
        change = max([abs(new_prior - prior)] + [abs(x - y) for old, new in ((m, new_m), (u, new_u))
                                                 for row_old, row_new in zip(old, new, strict=True)
                                                 for x, y in zip(row_old, row_new, strict=True)])
        m, u, prior = new_m, new_u, new_prior
        if change <= tolerance:
            break

    return Model(
        version=f"{model.version}+em",
        description=model.description,
        prior=prior,
        link_threshold=model.link_threshold,
        review_threshold=model.review_threshold,
        corporation_link_threshold=model.corporation_link_threshold,
        corporation_review_threshold=model.corporation_review_threshold,
        fields={name: {level: LevelProbabilities(m[f][i], u[f][i]) for i, level in enumerate(LEVELS[name])}
                for f, name in enumerate(FIELDS)},
    )


def _normalise(counts: list[float]) -> list[float]:
    """Proportions with a floor: no level's probability reaches 0 (nor 1)."""
    total = sum(counts)
    if total <= 0:
        return [1.0 / len(counts)] * len(counts)
    spare = 1.0 - PROBABILITY_FLOOR * len(counts)
    return [PROBABILITY_FLOOR + spare * c / total for c in counts]


__all__ = [
    "DEFAULT_MODEL_PATH", "FIELDS", "LEVELS", "MISSING", "Decision", "LevelProbabilities", "Model",
    "NameFrequencies", "Score", "compare", "decide", "estimate", "frequency_adjustments", "frequency_values",
    "load_model", "match_probability", "pair_weigher", "score", "u_from_random_pairs", "upper_bound",
]
