"""Matching quality and speed on a synthetic city: ``python -m tools.benchmarks.matching``.

Every departmental person record of the city (debtors and the people named on claims) arrives one by one,
as they would from the adapters, and is resolved like the matching service does: normalise, look up
candidates by blocking keys, score each with the Fellegi–Sunter model, then link (above the link threshold),
queue for review (between) or start a new identity (below). The resulting identities are compared pairwise
with the ground truth: precision, recall and F1 of "same person" pairs, at several noise levels, with and
without birth dates. Figures are printed, never asserted. (In memory: the database-backed latency against a
million stored identities is measured by the service benchmark.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from contracts import PersonReference
from services.matching.blocking import blocking_keys, candidate_keys
from services.matching.normalise import NormalisedPerson, normalise_person
from services.matching.scoring import compare, decide, load_model, score
from tools.synthetic_city.bills import simulate_year
from tools.synthetic_city.noise import LEVELS
from tools.synthetic_city.population import build_city
from tools.synthetic_city.views import department_views


@dataclass
class Outcome:
    precision: float
    recall: float
    f1: float
    links: int
    reviews: int
    review_true_share: float
    records: int
    per_record_ms: list[float]


def city_records(households: int, seed: int, noise: str) -> tuple[list[tuple[str, str, PersonReference]], dict[tuple[str, str], str]]:
    city = build_city(households, seed=seed)
    exports = department_views(city, simulate_year(city), LEVELS[noise])
    seen: dict[tuple[str, str], PersonReference] = {}
    for export in exports.values():
        for record in export.records:
            people = [record.person] + [r.person for r in getattr(record, "related_persons", ())]  # type: ignore[attr-defined]
            for person in people:
                seen.setdefault((export.department.value, person.source_person_id), person)
    truth = {(e.department.value, sid): entity for e in exports.values() for sid, entity in e.person_records.items()}
    return [(d, s, p) for (d, s), p in seen.items()], truth


def resolve_all(records: Iterable[tuple[str, str, PersonReference]], *, drop_birth_dates: bool = False
                ) -> tuple[dict[tuple[str, str], int], int, list[tuple[tuple[str, str], tuple[str, str]]], list[float]]:
    model = load_model()
    index: dict[bytes, list[tuple[str, str]]] = defaultdict(list)
    people: dict[tuple[str, str], NormalisedPerson] = {}
    identity: dict[tuple[str, str], int] = {}
    reviews: list[tuple[tuple[str, str], tuple[str, str]]] = []
    timings: list[float] = []
    links = 0
    for department, source_id, person in records:
        started = time.perf_counter()
        me = (department, source_id)
        normalised = normalise_person(person)
        if drop_birth_dates:
            normalised = replace(normalised, birth_date=None)
        keys = blocking_keys(normalised)
        candidates = {c for k, _ in candidate_keys(normalised) for c in index[k][:50] if c != me}
        best, best_score = None, None
        for candidate in candidates:
            result = score(compare(normalised, people[candidate]), model)
            if best_score is None or result.total > best_score.total:
                best, best_score = candidate, result
        verdict = decide(best_score, model) if best_score is not None else "new"
        if verdict == "link" and best is not None:
            identity[me] = identity[best]
            links += 1
        else:
            identity[me] = len(identity) + 1_000_000
            if verdict == "review" and best is not None:
                reviews.append((me, best))
        people[me] = normalised
        for key in keys:
            index[key].append(me)
        timings.append((time.perf_counter() - started) * 1000)
    return identity, links, reviews, timings


def pairs(groups: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in groups)


def evaluate(households: int, seed: int, noise: str, drop_birth_dates: bool) -> Outcome:
    records, truth = city_records(households, seed, noise)
    identity, links, reviews, timings = resolve_all(records, drop_birth_dates=drop_birth_dates)
    both = Counter((identity[r], truth[r]) for r in identity)
    true_positive = pairs(both.values())
    predicted = pairs(Counter(identity.values()).values())
    actual = pairs(Counter(truth[r] for r in identity).values())
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    review_true = sum(truth[a] == truth[b] for a, b in reviews) / len(reviews) if reviews else 0.0
    return Outcome(precision, recall, f1, links, len(reviews), review_true, len(records), timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.matching", description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20240401)
    args = parser.parse_args(argv)
    print(f"synthetic city of {args.households} households, seed {args.seed}; pairwise figures over person records")
    print("| noise | birth dates | records | precision | recall | F1 | auto-links | reviews (true share) | "
          "p50 ms | p99 ms | records/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for noise in ("low", "default", "high"):
        for drop in (False, True):
            o = evaluate(args.households, args.seed, noise, drop)
            ordered = sorted(o.per_record_ms)
            p50 = statistics.median(ordered)
            p99 = ordered[int(len(ordered) * 0.99) - 1]
            rate = len(ordered) / (sum(ordered) / 1000)
            print(f"| {noise} | {'without' if drop else 'with'} | {o.records:,} | {o.precision:.4f} | "
                  f"{o.recall:.4f} | {o.f1:.4f} | {o.links:,} | {o.reviews:,} ({o.review_true_share:.0%}) | "
                  f"{p50:.3f} | {p99:.3f} | {rate:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
