"""What a batch of new person records decides, given what the database returned: no I/O.

``store.resolve_batch`` does the round trips (look up links, lock keys, fetch candidates, rejected pairs and the
debtors of the contenders, then bulk inserts); the choices between them are these two functions, so every rule
of the decision (capped keys, rejected pairs, relations that must not be joined, records earlier in the same
batch, the thresholds) is reached by unit tests without a database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from services.matching.blocking import COMMON_KEY_LIMIT
from services.matching.normalise import NormalisedPerson
from services.matching.scoring import Model, Score, decide

Record = tuple[str, str]  # (department, source person id)
Weigh = Callable[[NormalisedPerson, NormalisedPerson], Score]
#: An upper bound of a pair's total, cheaper than weighing it (``scoring.upper_bound``).
Bound = Callable[[NormalisedPerson, NormalisedPerson], float]


@dataclass(slots=True)
class Candidate:
    """A stored (or earlier-in-batch) record that shares a blocking key with a new one."""

    department: str
    source_person_id: str
    normalised: NormalisedPerson
    debtor_id: str | None  # None until read: only the candidates that may decide are looked up

    @property
    def record(self) -> Record:
        return (self.department, self.source_person_id)


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record of the batch seen for the first time: who it is, what it is stored and looked up under."""

    record: Record
    person: NormalisedPerson
    keys: Sequence[bytes]  # stored under
    lookups: Sequence[tuple[bytes, int]]  # looked up by, each with how many records may share it
    never_link_to: str | None = None  # a debtor this record must not join (a relation)
    #: the same, by another record of the batch (resolved before this one): the debtor it was given
    never_link_to_record: Record | None = None


def shortlist(new: NewRecord, stored: Mapping[bytes, Sequence[Candidate]], rejected: set[tuple[str, str, str, str]],
              weigh: Weigh, review_threshold: float, bound: Bound | None = None) -> list[tuple[Score, Candidate]]:
    """The stored candidates that may decide for ``new``, best first: those from the review threshold up, and the
    best of the rest (to explain a "new"). A key shared by more records than its cap identifies nobody and is
    skipped; pairs a person rejected are never scored. ``bound`` (an upper bound of a pair's total): see
    ``rank``; it is tried on the candidates that only broad keys brought (capped below ``COMMON_KEY_LIMIT``:
    the birth date alone, the postal code with the house number or a name part, the street, a rare name), since
    a candidate sharing a narrow key (the birth date with a name part, the phone…) is almost always scored."""
    candidates: dict[Record, Candidate] = {}
    narrow: set[Record] = set()
    for key, limit in new.lookups:
        sharing = stored.get(key, ())
        if len(sharing) > limit:
            continue
        for candidate in sharing:
            pair = candidate.record
            if pair != new.record and new.record + pair not in rejected:
                candidates.setdefault(pair, candidate)
                if limit >= COMMON_KEY_LIMIT:
                    narrow.add(pair)
    found = list(candidates.values())
    return [(result, found[i]) for i, result in rank(
        new.person, [c.normalised for c in found], weigh, review_threshold, bound,
        bounded=[c.record not in narrow for c in found] if bound is not None else None)]


def rank(person: NormalisedPerson, candidates: Sequence[NormalisedPerson], weigh: Weigh, threshold: float,
         bound: Bound | None = None, bounded: Sequence[bool] | None = None) -> list[tuple[int, Score]]:
    """The candidates (by position) scoring ``threshold`` or more, best first, and the best of the rest when none
    does; equal totals in the candidates' order. Exactly what scoring every pair and sorting would give.

    With ``bound`` (``scoring.upper_bound``: a total the pair's score cannot exceed, cheaper than the score) a
    pair bounded below the threshold is not scored, unless the best of the rest is wanted: then the pairs are
    scored from the highest bound down, until the best score found beats every bound left. ``bounded`` (by
    position, default all): the pairs the bound is tried on; the others are scored at once."""
    if bound is None:
        scored = [(i, weigh(person, c)) for i, c in enumerate(candidates)]
        rest: list[tuple[float, int]] = []
    else:
        scored, rest = [], []
        for i, c in enumerate(candidates):
            if bounded is not None and not bounded[i]:
                scored.append((i, weigh(person, c)))
                continue
            limit = bound(person, c)
            if limit >= threshold:
                scored.append((i, weigh(person, c)))
            else:
                rest.append((limit, i))
    ranked = sorted(scored, key=lambda ir: ir[1].total, reverse=True)  # stable: equal totals keep their order
    if rest and not (ranked and ranked[0][1].total >= threshold):
        best = ranked[0] if ranked else None
        rest.sort(key=lambda li: (-li[0], li[1]))
        for limit, i in rest:
            if best is not None and (limit < best[1].total or (limit == best[1].total and i > best[0])):
                break  # no pair left can beat it (nor equal it from an earlier position)
            result = weigh(person, candidates[i])
            if best is None or result.total > best[1].total or (result.total == best[1].total and i < best[0]):
                best = (i, result)
        return [best] if best is not None else []
    return [ir for n, ir in enumerate(ranked) if n == 0 or ir[1].total >= threshold]


@dataclass
class Resolution:
    """What to insert for the new records of a batch, and each one's debtor."""

    debtor_of: dict[Record, str] = field(default_factory=dict)
    new_debtors: list[str] = field(default_factory=list)
    links: list[tuple[str, str, str, str]] = field(default_factory=list)  # source_links rows
    decisions: list[tuple[object, ...]] = field(default_factory=list)  # match_decisions rows
    reviews: list[tuple[object, ...]] = field(default_factory=list)  # review_queue rows


def resolve_new_records(new_records: Sequence[NewRecord], contenders: Sequence[list[tuple[Score, Candidate]]],
                        stored: Mapping[bytes, Sequence[Candidate]], rejected: set[tuple[str, str, str, str]],
                        linked: Mapping[Record, str], weigh: Weigh, model: Model,
                        new_debtor_id: Callable[[], str]) -> Resolution:
    """Decide each new record in batch order, as if they came one by one: its best stored contender whose debtor
    is known and is not a debtor it must not join, then the new records before it in the batch that share a
    key (their sharing counts against the same cap). A link joins the best's debtor; a review or a new record
    gets a new debtor, and a review queues the pair. ``linked``: the debtors of the batch's records seen before."""
    resolution = Resolution()
    in_batch: dict[bytes, list[Candidate]] = defaultdict(list)
    for new, shortlisted in zip(new_records, contenders, strict=True):
        never_link_to = new.never_link_to
        if new.never_link_to_record is not None:
            never_link_to = resolution.debtor_of.get(new.never_link_to_record, linked.get(new.never_link_to_record))
        best: Candidate | None = None
        best_score: Score | None = None
        for result, candidate in shortlisted:
            if candidate.debtor_id is not None and candidate.debtor_id != never_link_to:
                best, best_score = candidate, result
                break
        seen: set[Record] = {new.record}
        for key, limit in new.lookups:
            sharing = in_batch.get(key, ())
            if len(sharing) + len(stored.get(key, ())) > limit:
                continue
            for candidate in sharing:
                pair = candidate.record
                if pair in seen or candidate.debtor_id == never_link_to or new.record + pair in rejected:
                    continue
                seen.add(pair)
                result = weigh(new.person, candidate.normalised)
                if best_score is None or result.total > best_score.total:
                    best, best_score = candidate, result
        verdict = decide(best_score, model) if best_score is not None else "new"
        if verdict == "link" and best is not None and best.debtor_id is not None:
            debtor_id = best.debtor_id
        else:
            debtor_id = new_debtor_id()
            resolution.new_debtors.append(debtor_id)
        dept, source_id = new.record
        resolution.debtor_of[new.record] = debtor_id
        resolution.links.append((dept, source_id, debtor_id, f"{verdict}:{model.version}"))
        contributions = best_score.contributions if best_score is not None else None
        resolution.decisions.append((dept, source_id, debtor_id, verdict, best.department if best else None,
                                     best.source_person_id if best else None,
                                     best_score.total if best_score else None, contributions, model.version))
        if verdict == "review" and best is not None and best_score is not None:
            resolution.reviews.append((dept, source_id, best.department, best.source_person_id, best_score.total,
                                       contributions, model.version))
        for key in new.keys:
            in_batch[key].append(Candidate(dept, source_id, new.person, debtor_id))
    return resolution


def late_reviews(late: Sequence[NewRecord], contenders: Sequence[list[tuple[Score, Candidate]]],
                 linked: Mapping[Record, str], model: Model) -> list[tuple[object, ...]]:
    """``review_queue`` rows for records first seen without a name (a payment's bare reference got an identity
    of its own, with nothing compared) that now come with one: the best stored contender of another debtor
    that would link or be reviewed is put before a person. Never a link: the record keeps its debtor until a
    person accepts the pair, as for any review."""
    rows: list[tuple[object, ...]] = []
    for named, shortlisted in zip(late, contenders, strict=True):
        own = linked.get(named.record)
        for result, candidate in shortlisted:
            if candidate.debtor_id is None or candidate.debtor_id == own:
                continue
            if decide(result, model) in ("link", "review"):
                rows.append((*named.record, candidate.department, candidate.source_person_id, result.total,
                             result.contributions, model.version))
            break  # the best of another debtor decides, as for a new record
    return rows
