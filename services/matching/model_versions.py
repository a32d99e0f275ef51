"""Model versions: parameters estimated from the city's own records, reviewed before they are used.

1. **Propose** (``propose``): u per level is measured on records paired at random (almost all different
   people); candidate pairs are sampled from the store the way matching finds them (records sharing a blocking
   key), and m and the prior are estimated by EM without labels (``scoring.estimate``), starting from the model
   in use. The result is stored as a *proposed* version with a
   report of m, u and weight per level next to the current ones. Nothing changes in matching.
2. **Re-score** (``rescore``): the stored pairs are decided again with a version. Where it would link two
   identities that are apart, the pair goes to the review queue (a proposed merge, with that version's
   evidence); where it would no longer link two records of one identity, the pair goes to the review queue as a
   proposed split (kind ``split``: accepted, the record leaves for an identity of its own). Identities change only
   through the review queue and merge undo, never silently.
3. **Activate** (``activate``): an administrator's decision, through the API: the version becomes the one
   matching uses (every consumer batch looks up the active version, so all replicas switch); the previous one is
   retired. Thresholds are kept from the version EM started from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.matching.scoring import FIELDS, LEVELS, Model, compare, decide, estimate, score, u_from_random_pairs
from services.matching.store import normalised_from_json

#: Records sharing one key that are paired for a sample (a common key would give only non-matches).
PAIRS_PER_KEY = 20
#: Records drawn at random for the u probabilities (paired among themselves).
RANDOM_RECORDS = 5_000


class ModelVersionError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def sample_pairs(conn: asyncpg.Connection, pairs: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Up to ``pairs`` candidate pairs (their normalised records), from random blocking keys of the store."""
    rows = await conn.fetch(
        "WITH keys AS (SELECT key_hash FROM blocking_keys GROUP BY key_hash HAVING count(*) BETWEEN 2 AND $2 "
        "              ORDER BY random() LIMIT $1) "
        "SELECT k.key_hash, p.normalised FROM keys JOIN blocking_keys k USING (key_hash) "
        "JOIN person_records p USING (department, source_person_id) ORDER BY k.key_hash",
        pairs, PAIRS_PER_KEY)
    groups: dict[bytes, list[dict[str, Any]]] = {}
    for row in rows:
        value = row["normalised"]
        groups.setdefault(bytes(row["key_hash"]), []).append(json.loads(value) if isinstance(value, str) else value)
    sampled: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for members in groups.values():
        sampled.extend((members[i], members[j]) for i in range(len(members)) for j in range(i + 1, len(members)))
        if len(sampled) >= pairs:
            break
    return sampled[:pairs]


async def random_pairs(conn: asyncpg.Connection, pairs: int) -> list[dict[str, str]]:
    """Level vectors of records paired at random (almost all different people): where u comes from."""
    rows = await conn.fetch("SELECT normalised FROM person_records ORDER BY random() LIMIT $1",
                            min(RANDOM_RECORDS, max(pairs, 2)))
    people = [normalised_from_json(r["normalised"]) for r in rows]
    if len(people) < 2:
        return []
    vectors = []
    for shift in range(1, len(people)):  # each record against the one ``shift`` places on: distinct pairs
        for i in range(len(people)):
            vectors.append(compare(people[i], people[(i + shift) % len(people)]))
            if len(vectors) >= pairs:
                return vectors
    return vectors


def report(proposed: Model, current: Model, pairs: int) -> dict[str, Any]:
    """m, u and weight per level of the proposed version, with the current version's next to them."""
    return {
        "pairs": pairs, "based_on": current.version, "prior": proposed.prior, "current_prior": current.prior,
        "fields": {name: {level: {"m": round(proposed.fields[name][level].m, 6),
                                  "u": round(proposed.fields[name][level].u, 6),
                                  "weight": round(proposed.weight(name, level), 3),
                                  "current_weight": round(current.weight(name, level), 3)}
                          for level in LEVELS[name]} for name in FIELDS},
    }


async def propose(conn: asyncpg.Connection, current: Model, pairs: int) -> dict[str, Any]:
    """Estimate a version by EM on sampled pairs and store it as proposed; returns its report."""
    sampled = await sample_pairs(conn, pairs)
    if not sampled:
        raise ModelVersionError(409, "the store holds no candidate pairs to estimate from")
    vectors = [compare(normalised_from_json(a), normalised_from_json(b)) for a, b in sampled]
    randomly = await random_pairs(conn, pairs)
    fitted = estimate(vectors, current, fixed_u=u_from_random_pairs(randomly, current) if randomly else None)
    version = f"{current.version.split('+')[0]}+em.{datetime.now(UTC):%Y%m%dT%H%M%S}"
    proposed = Model.from_dict({**fitted.to_dict(), "version": version,
                                "description": f"EM on {len(vectors)} sampled pairs from {current.version}"})
    summary = report(proposed, current, len(vectors))
    await conn.execute("INSERT INTO model_versions (version, model, report) VALUES ($1, $2, $3)",
                       version, proposed.to_dict(), summary)
    return {"version": version, "status": "proposed", "report": summary}


async def load_version(conn: asyncpg.Connection, version: str) -> tuple[Model, str]:
    row = await conn.fetchrow("SELECT model, status FROM model_versions WHERE version = $1", version)
    if row is None:
        raise ModelVersionError(404, f"no model version {version}")
    model = row["model"] if isinstance(row["model"], dict) else json.loads(row["model"])
    return Model.from_dict(model), row["status"]


async def active_model(conn: asyncpg.Connection, default: Model) -> Model:
    """The version an administrator activated, or ``default`` (the packaged model) when none is."""
    row = await conn.fetchrow("SELECT model FROM model_versions WHERE status = 'active'")
    if row is None:
        return default
    return Model.from_dict(row["model"] if isinstance(row["model"], dict) else json.loads(row["model"]))


async def active_version(conn: asyncpg.Connection) -> str | None:
    return await conn.fetchval("SELECT version FROM model_versions WHERE status = 'active'")


async def activate(conn: asyncpg.Connection, version: str, actor: str) -> None:
    """Make ``version`` the one matching uses (call in a transaction); the previously active one is retired."""
    _, status = await load_version(conn, version)
    if status == "active":
        raise ModelVersionError(409, f"model version {version} is already active")
    await conn.execute("UPDATE model_versions SET status = 'retired' WHERE status = 'active'")
    await conn.execute("UPDATE model_versions SET status = 'active', activated_by = $2, activated_at = now() "
                       "WHERE version = $1", version, actor)


@dataclass(frozen=True, slots=True)
class Rescored:
    pairs: int
    proposed_merges: int  # newly queued for review (a pair already in the queue, either way round, is not)
    proposed_splits: list[dict[str, str]]  # records of one identity the version would not link, newly queued

    def to_dict(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "proposed_merges": self.proposed_merges,
                "proposed_splits": self.proposed_splits}


async def rescore(conn: asyncpg.Connection, model: Model, pairs: int) -> Rescored:
    """Decide up to ``pairs`` stored candidate pairs again with ``model`` (call in a transaction)."""
    rows = await conn.fetch(
        "WITH keys AS (SELECT key_hash FROM blocking_keys GROUP BY key_hash HAVING count(*) BETWEEN 2 AND $2 "
        "              ORDER BY random() LIMIT $1) "
        "SELECT k.key_hash, p.department, p.source_person_id, p.normalised, l.debtor_id FROM keys "
        "JOIN blocking_keys k USING (key_hash) JOIN person_records p USING (department, source_person_id) "
        "JOIN source_links l USING (department, source_person_id) ORDER BY k.key_hash",
        pairs, PAIRS_PER_KEY)
    groups: dict[bytes, list[asyncpg.Record]] = {}
    for row in rows:
        groups.setdefault(bytes(row["key_hash"]), []).append(row)
    # A pair already in the queue, in either order and whatever its state, is not proposed again: an open one
    # awaits its reviewer, a rejected one was decided by a person.
    queued = {(r["department"], r["source_person_id"], r["candidate_department"], r["candidate_source_person_id"])
              for r in await conn.fetch("SELECT department, source_person_id, candidate_department, "
                                        "candidate_source_person_id FROM review_queue")}
    seen: set[tuple[str, str, str, str]] = set()
    merges: list[tuple[Any, ...]] = []
    split_rows: list[tuple[Any, ...]] = []
    splits: list[dict[str, str]] = []
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                pair = (a["department"], a["source_person_id"], b["department"], b["source_person_id"])
                reverse = pair[2:] + pair[:2]
                if pair in seen or reverse in seen or len(seen) >= pairs:
                    continue
                seen.add(pair)
                result = score(compare(normalised_from_json(a["normalised"]), normalised_from_json(b["normalised"])),
                               model)
                verdict = decide(result, model)
                if verdict == "link" and a["debtor_id"] != b["debtor_id"]:
                    if pair not in queued and reverse not in queued:
                        merges.append((*pair, result.total, result.contributions, model.version))
                elif verdict == "new" and a["debtor_id"] == b["debtor_id"]:
                    if pair not in queued and reverse not in queued:
                        split_rows.append((*reverse, result.total, result.contributions, model.version))
                        splits.append({"debtor_id": a["debtor_id"], "department": b["department"],
                                       "source_person_id": b["source_person_id"]})
    for kind, rows in (("merge", merges), ("split", split_rows)):
        if rows:
            await conn.executemany(
                "INSERT INTO review_queue (department, source_person_id, candidate_department, "
                "candidate_source_person_id, score, contributions, model_version, kind) "
                "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING", [(*row, kind) for row in rows])
    return Rescored(len(seen), len(merges), splits)
