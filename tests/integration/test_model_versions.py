"""Model versions against a real database (services/matching/model_versions.py): propose by EM from the store,
re-score stored pairs with a version (merges go to the review queue, splits are listed, identities never change),
activate as an administrator's decision.

Each test works in a schema of its own in the matching database, with matching's migrations applied there, so
the matching service running beside the tests neither sees these records nor switches to these versions.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest

from contracts import Department, PersonReference
from services.matching.identity_changes import accept, undo
from services.matching.model_versions import (
    ModelVersionError,
    activate,
    active_model,
    active_version,
    load_version,
    propose,
    rescore,
)
from services.matching.scoring import Model, load_model
from services.matching.store import ResolveRequest, resolve_batch
from shared.db import create_pool
from shared.migrations import apply_migrations
from tests.infrastructure import Infrastructure

MODEL = load_model()
MIGRATIONS = Path(__file__).parents[2] / "services" / "matching" / "migrations"
SURNAMES = [("佐藤", "サトウ"), ("鈴木", "スズキ"), ("髙橋", "タカハシ"), ("田中", "タナカ"), ("渡邉", "ワタナベ"),
            ("伊藤", "イトウ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ")]
GIVEN = [("一郎", "イチロウ"), ("花子", "ハナコ"), ("翔太", "ショウタ"), ("美咲", "ミサキ"), ("健一", "ケンイチ"),
         ("陽子", "ヨウコ"), ("大輔", "ダイスケ"), ("由美", "ユミ")]


@pytest.fixture
async def store(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    url = infrastructure.database_urls["matching"]
    schema = f"model_versions_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
    finally:
        await conn.close()
    apply_migrations(f"{url}?schema={schema}", MIGRATIONS)
    pool = await create_pool(url, min_size=1, max_size=3, server_settings={"search_path": schema})
    try:
        yield pool
    finally:
        await pool.close()
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        finally:
            await conn.close()


def residents(count: int, seed: int) -> list[tuple[Department, PersonReference]]:
    """People of a small town, each in the tax system and again in water's with the usual variations (half-width
    kana, 異体字, no space), plus namesakes who share a birth date: the store's candidate pairs."""
    rng = random.Random(seed)
    records: list[tuple[Department, PersonReference]] = []
    for n in range(count):
        (surname, surname_kana), (given, given_kana) = rng.choice(SURNAMES), rng.choice(GIVEN)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(25_000))
        address = f"愛知県豊田市西町{rng.randrange(1, 9)}丁目{rng.randrange(1, 60)}番地{n}"
        records.append((Department.TAX, PersonReference(
            source_person_id=f"T{n}", name_kanji=f"{surname} {given}", name_kana=f"{surname_kana} {given_kana}",
            birth_date=born, address=address, postal_code="471-0025")))
        water_name = f"{surname.replace('髙', '高').replace('邉', '辺')}{given}"
        records.append((Department.WATER, PersonReference(
            source_person_id=f"W{n}", name_kanji=water_name, birth_date=born, address=address,
            postal_code="471-0025")))
        if n % 4 == 1:  # someone else born the same day with the same given name: a separate identity today
            records.append((Department.CHILDCARE, PersonReference(
                source_person_id=f"C{n}", name_kanji=f"勅使河原 {given}", birth_date=born,
                address=f"愛知県豊田市元城町{n}番地", postal_code="471-0034")))
        if n % 5 == 0:  # a namesake elsewhere with the same birth date
            records.append((Department.HOUSING, PersonReference(
                source_person_id=f"H{n}", name_kanji=f"{surname} {given}", birth_date=born,
                address=f"愛知県豊田市東山町{n}番地", postal_code="471-0099")))
    return records


async def fill(pool: asyncpg.Pool, records: list[tuple[Department, PersonReference]]) -> dict[str, str]:
    async with pool.acquire() as conn, conn.transaction():
        debtors = await resolve_batch(conn, [ResolveRequest(d, p) for d, p in records], MODEL)
    return {f"{d.value}:{p.source_person_id}": debtor for (d, p), debtor in zip(records, debtors, strict=True)}


async def add_version(pool: asyncpg.Pool, model: Model) -> None:
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO model_versions (version, model, report) VALUES ($1, $2, $3)",
                           model.version, model.to_dict(), {})


def with_thresholds(version: str, link: float, review: float) -> Model:
    data = MODEL.to_dict()
    return Model.from_dict({**data, "version": version,
                            "thresholds": {**data["thresholds"], "link": link, "review": review}})


async def identities(pool: asyncpg.Pool) -> dict[tuple[str, str], str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT department, source_person_id, debtor_id FROM source_links")
    return {(r["department"], r["source_person_id"]): str(r["debtor_id"]) for r in rows}


async def test_a_proposed_version_is_estimated_from_the_store_and_changes_nothing_until_activated(
        store: asyncpg.Pool) -> None:
    await fill(store, residents(120, seed=1))
    async with store.acquire() as conn:
        proposed = await propose(conn, MODEL, 2_000)
        assert proposed["status"] == "proposed" and proposed["version"].startswith(MODEL.version.split("+")[0])
        report = proposed["report"]
        assert json.dumps(report)  # stored and served as JSON
        model, status = await load_version(conn, proposed["version"])
        assert status == "proposed" and model.version == proposed["version"]
        assert model.link_threshold == MODEL.link_threshold  # thresholds kept from the version EM started from
        assert await active_version(conn) is None
        assert (await active_model(conn, MODEL)).version == MODEL.version  # matching still uses the packaged one

        async with conn.transaction():
            await activate(conn, proposed["version"], "e2e-admin")
        assert await active_version(conn) == proposed["version"]
        assert (await active_model(conn, MODEL)).version == proposed["version"]
        with pytest.raises(ModelVersionError) as again:
            async with conn.transaction():
                await activate(conn, proposed["version"], "e2e-admin")
        assert again.value.status == 409

        second = with_thresholds(f"{MODEL.version}+test.{uuid.uuid4().hex[:6]}", MODEL.link_threshold,
                                 MODEL.review_threshold)
        await add_version(store, second)
        async with conn.transaction():
            await activate(conn, second.version, "e2e-admin")
        statuses = dict(await conn.fetch("SELECT version, status FROM model_versions"))
        assert statuses[second.version] == "active" and statuses[proposed["version"]] == "retired"
        with pytest.raises(ModelVersionError) as unknown:
            await load_version(conn, "no-such-version")
        assert unknown.value.status == 404


async def test_proposing_from_an_empty_store_is_refused(store: asyncpg.Pool) -> None:
    async with store.acquire() as conn:
        with pytest.raises(ModelVersionError) as refused:
            await propose(conn, MODEL, 500)
    assert refused.value.status == 409


async def test_rescoring_proposes_merges_through_the_review_queue_and_lists_splits_never_changing_identities(
        store: asyncpg.Pool) -> None:
    await fill(store, residents(80, seed=2))
    before = await identities(store)
    assert len(set(before.values())) > 1 and len(set(before.values())) < len(before)  # links and separate people

    # A version that links anything at all: every pair of different identities it meets is a proposed merge.
    eager = with_thresholds(f"{MODEL.version}+eager.{uuid.uuid4().hex[:6]}", link=-100.0, review=-200.0)
    await add_version(store, eager)
    async with store.acquire() as conn, conn.transaction():
        model, _ = await load_version(conn, eager.version)
        merged = await rescore(conn, model, 100_000)
    assert merged.pairs > 0 and merged.proposed_merges > 0 and merged.proposed_splits == []
    async with store.acquire() as conn:
        queued = await conn.fetch("SELECT department, source_person_id, candidate_department, "
                                  "candidate_source_person_id, status FROM review_queue WHERE model_version = $1",
                                  eager.version)
    assert len(queued) == merged.proposed_merges and {r["status"] for r in queued} == {"open"}
    assert all(before[(r["department"], r["source_person_id"])]
               != before[(r["candidate_department"], r["candidate_source_person_id"])] for r in queued)
    async with store.acquire() as conn:
        every_pair = [frozenset({(r["department"], r["source_person_id"]),
                                 (r["candidate_department"], r["candidate_source_person_id"])})
                      for r in await conn.fetch("SELECT * FROM review_queue")]
    assert len(every_pair) == len(set(every_pair)), "a pair is in the review queue twice (once each way round)"
    async with store.acquire() as conn, conn.transaction():
        again = await rescore(conn, eager, 100_000)
    assert again.proposed_merges == 0  # what is already queued is not proposed again

    # A version that links nothing: every stored pair of one identity it meets is listed as a proposed split.
    strict = with_thresholds(f"{MODEL.version}+strict.{uuid.uuid4().hex[:6]}", link=1_000.0, review=900.0)
    await add_version(store, strict)
    async with store.acquire() as conn, conn.transaction():
        model, _ = await load_version(conn, strict.version)
        split = await rescore(conn, model, 100_000)
    assert split.proposed_merges == 0 and split.proposed_splits
    assert all(before[(s["department"], s["source_person_id"])] == s["debtor_id"] for s in split.proposed_splits)
    async with store.acquire() as conn:
        splits = await conn.fetch("SELECT review_id, department, source_person_id, candidate_department, "
                                  "candidate_source_person_id, status FROM review_queue "
                                  "WHERE model_version = $1 AND kind = 'split'", strict.version)
    assert len(splits) == len(split.proposed_splits) and {r["status"] for r in splits} == {"open"}
    assert all(before[(r["department"], r["source_person_id"])]
               == before[(r["candidate_department"], r["candidate_source_person_id"])] for r in splits)

    assert await identities(store) == before  # neither version changed who is who

    # A person accepts one proposed split: that record alone leaves for an identity of its own, and collection is
    # told (DebtorSplit in the outbox); undoing it brings the record back.
    chosen = splits[0]
    record = (chosen["department"], chosen["source_person_id"])
    async with store.acquire() as conn, conn.transaction():
        change = await accept(conn, chosen["review_id"], "e2e-supervisor", "別人と確認")
    after = await identities(store)
    assert change.records == 1 and change.from_debtor_id == before[record] and after[record] == change.into_debtor_id
    assert after[record] not in set(before.values())
    assert {k: v for k, v in after.items() if k != record} == {k: v for k, v in before.items() if k != record}
    async with store.acquire() as conn:
        sent = await conn.fetch("SELECT value FROM outbox WHERE topic = 'identity.events.v1'")
    events = [json.loads(bytes(r["value"])) for r in sent]
    assert any(e["message_type"] == "DebtorSplit" and e["payload"]["merge_id"] == change.merge_id
               and e["payload"]["records"] == [{"department": record[0], "source_person_id": record[1]}]
               for e in events)
    async with store.acquire() as conn, conn.transaction():
        await undo(conn, change.merge_id, "e2e-supervisor", "誤り")
    assert await identities(store) == before
