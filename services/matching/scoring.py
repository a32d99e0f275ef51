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

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz.distance import JaroWinkler

if TYPE_CHECKING:
    from services.matching.normalise import NormalisedPerson

MISSING = "missing"

#: Comparison levels per field, strongest agreement first. ``"missing"`` (either side lacks the value) is implicit:
#: it is not part of the model's m/u distributions and weighs 0.
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "surname_and_given_kana", "jaro_winkler_high", "given_name_only", "disagree"),
    "name_kana": ("exact", "jaro_winkler_high", "disagree"),
    "birth_date": ("exact", "one_component_differs", "disagree"),
    "address": ("exact", "same_block", "same_postal_code", "disagree"),
    "phone": ("exact", "disagree"),
}
FIELDS: tuple[str, ...] = tuple(LEVELS)

#: Jaro–Winkler similarity from which two different kanji names count as "jaro_winkler_high".
NAME_JARO_WINKLER = 0.92
#: Jaro–Winkler similarity from which two different kana names count as "jaro_winkler_high".
KANA_JARO_WINKLER = 0.90
#: No m or u probability is estimated below this (a level never seen is still possible).
PROBABILITY_FLOOR = 1e-4

DEFAULT_MODEL_PATH = Path(__file__).parent / "model" / "fellegi_sunter.v1.json"

Decision = Literal["link", "review", "new"]


# ---------------------------------------------------------------------------------------------------------------
# 1. Comparison levels


def compare(a: NormalisedPerson, b: NormalisedPerson) -> dict[str, str]:
    """The comparison level of every field (``FIELDS``) for two normalised person records.

    The kana reading is not independent of the name: when the name level already says "same given name,
    different surname" (旧姓), the readings differ for that same reason, so the kana says nothing more
    (``missing``) instead of counting the changed surname a second time."""
    name = _name_level(a, b)
    return {
        "name": name,
        "name_kana": MISSING if name == "given_name_only" else _kana_level(a.name_kana, b.name_kana),
        "birth_date": _birth_date_level(a, b),
        "address": _address_level(a, b),
        "phone": MISSING if not a.phone or not b.phone else "exact" if a.phone == b.phone else "disagree",
    }


def _name_level(a: NormalisedPerson, b: NormalisedPerson) -> str:
    if not a.name or not b.name:
        return MISSING
    if a.name == b.name:
        return "exact"
    if a.name_kana and a.name_kana == b.name_kana:
        return "surname_and_given_kana"  # e.g. 斉藤/斎藤 or a variant kanji normalisation does not fold
    if JaroWinkler.similarity(a.name, b.name) >= NAME_JARO_WINKLER:
        return "jaro_winkler_high"
    if _given_name_only(a, b):
        return "given_name_only"  # 旧姓: a department still holds the surname from before marriage (or after)
    return "disagree"


def _given_name_only(a: NormalisedPerson, b: NormalisedPerson) -> bool:
    """Same given name, different surname. When only one side records where the surname ends, its split is used
    on the other side's full name."""
    if a.given_name and b.given_name:
        return a.given_name == b.given_name and a.surname != b.surname
    split, whole = (a, b) if a.given_name else (b, a)
    if not split.given_name or not split.surname or not whole.name:
        return False
    return (len(whole.name) > len(split.given_name) and whole.name.endswith(split.given_name)
            and not whole.name.startswith(split.surname))


def _kana_level(a: str | None, b: str | None) -> str:
    if not a or not b:
        return MISSING
    if a == b:
        return "exact"
    return "jaro_winkler_high" if JaroWinkler.similarity(a, b) >= KANA_JARO_WINKLER else "disagree"


def _birth_date_level(a: NormalisedPerson, b: NormalisedPerson) -> str:
    if a.kind == "corporation" or b.kind == "corporation":
        return MISSING  # a corporation has no birth date (設立日 is not compared)
    x, y = a.birth_date, b.birth_date
    if x is None or y is None:
        return MISSING
    if x == y:
        return "exact"
    return "one_component_differs" if _one_component_differs(x, y) else "disagree"


def _one_component_differs(x: date, y: date) -> bool:
    """A typo: only the day, only the month or only the year differs, or day and month are swapped."""
    same = (x.year == y.year) + (x.month == y.month) + (x.day == y.day)
    swapped = x.year == y.year and x.month == y.day and x.day == y.month
    return same == 2 or swapped


def _address_level(a: NormalisedPerson, b: NormalisedPerson) -> str:
    comparable = False
    if a.address and b.address:
        if a.address == b.address:
            return "exact"
        comparable = True
    if a.address_block and b.address_block:
        if a.address_block == b.address_block:
            return "same_block"
        comparable = True
    if a.postal_code and b.postal_code:
        if a.postal_code == b.postal_code:
            return "same_postal_code"
        comparable = True
    return "disagree" if comparable else MISSING


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
    #: Scores already computed, by level vector: a few hundred vectors occur at all, millions of pairs share them.
    _scores: dict[tuple[str, ...], Score] = field(default_factory=dict, init=False, repr=False, compare=False)

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
            "thresholds": {"link": self.link_threshold, "review": self.review_threshold},
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
            fields={name: {level: LevelProbabilities(float(data["fields"][name][level]["m"]),
                                                     float(data["fields"][name][level]["u"]))
                           for level in LEVELS[name]}
                    for name in FIELDS},
        )


def load_model(path: str | Path | None = None) -> Model:
    """The model in ``path``, by default the packaged ``model/fellegi_sunter.v1.json``."""
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


def score(levels: Mapping[str, str], model: Model) -> Score:
    """Sum of the log2(m/u) weights of the levels; a missing field (or one absent from ``levels``) weighs 0.
    The result is shared between pairs with the same levels: treat it as read-only."""
    vector = tuple(levels.get(name, MISSING) for name in FIELDS)
    known = model._scores.get(vector)
    if known is not None:
        return known
    contributions: dict[str, dict[str, Any]] = {}
    for name, level in zip(FIELDS, vector, strict=True):
        contributions[name] = {"level": level, "weight": round(model.weight(name, level), 6)}
    total = round(sum(c["weight"] for c in contributions.values()), 6)
    result = model._scores[vector] = Score(total, contributions, model.version)
    return result


BIRTH_DATES_DIFFER = frozenset({"disagree", "one_component_differs"})


#: Agreements that identify a person beyond the name: one of them is needed for an automatic link.
IDENTIFYING = (("birth_date", "exact"), ("address", "exact"), ("phone", "exact"))


def decide(result: Score, model: Model) -> Decision:
    """``"link"`` when the total exceeds the link threshold, ``"review"`` from the review threshold up to it,
    ``"new"`` below.

    Two hard rules on top of the weights, because a wrong merge can seize the wrong person's assets:

    - when both birth dates are known and differ — even by one component, which may be a typo but may as well be
      another person — the pair is never linked automatically, whatever the other fields say;
    - an automatic link needs, besides the name, an agreement that identifies a person: the same birth date, the
      same full address or the same phone number. Names alone (even with the same 丁目) are shared by many people
      in a city of a million: such a pair goes to review.
    """
    if result.total > model.link_threshold:
        levels = {name: c.get("level") for name, c in result.contributions.items()}
        if levels.get("birth_date") in BIRTH_DATES_DIFFER:
            return "review"
        if not any(levels.get(name) == level for name, level in IDENTIFYING):
            return "review"
        return "link"
    if result.total >= model.review_threshold:
        return "review"
    return "new"


def match_probability(result: Score, model: Model) -> float:
    """Posterior probability that the pair is the same person, from the prior and the total weight."""
    log_odds = math.log2(model.prior / (1 - model.prior)) + result.total
    return 1.0 / (1.0 + 2.0 ** -log_odds) if log_odds > -1000 else 0.0


# ---------------------------------------------------------------------------------------------------------------
# 4. EM estimation


def estimate(level_vectors: Iterable[Mapping[str, str]], model: Model,
             iterations: int = 50, *, tolerance: float = 1e-9) -> Model:
    """Fellegi–Sunter EM under conditional independence of the fields, from ``model`` as the starting point.

    ``level_vectors`` are the ``compare`` results of candidate pairs (matches and non-matches unlabelled). A missing
    field is unobserved: it takes no part in that pair's likelihood nor in the field's m/u. Returns a model with
    the new m, u and prior (version suffixed ``+em``, thresholds kept). Each probability is floored at
    ``PROBABILITY_FLOOR`` and the distributions renormalised. Deterministic: the same input gives the same model.
    Stops early when no parameter moves by more than ``tolerance``.
    """
    index = {name: {level: i for i, level in enumerate(LEVELS[name])} for name in FIELDS}
    patterns: Counter[tuple[int, ...]] = Counter()
    for vector in level_vectors:
        patterns[tuple(index[name].get(vector.get(name, MISSING), -1) for name in FIELDS)] += 1
    if not patterns:
        return model
    observed = list(patterns.items())  # insertion order: deterministic

    m = [[model.fields[name][level].m for level in LEVELS[name]] for name in FIELDS]
    u = [[model.fields[name][level].u for level in LEVELS[name]] for name in FIELDS]
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
        new_m = [_normalise(counts) for counts in m_counts]
        new_u = [_normalise(counts) for counts in u_counts]
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
    "DEFAULT_MODEL_PATH", "FIELDS", "LEVELS", "MISSING", "Decision", "LevelProbabilities", "Model", "Score",
    "compare", "decide", "estimate", "load_model", "match_probability", "score",
]
