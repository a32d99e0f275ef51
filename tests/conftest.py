"""Session fixtures: the real infrastructure (tests/infrastructure.py), topics, pools, and service processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from shared.kafka import ensure_topics
from shared.migrations import apply_migrations
from tests.infrastructure import ROOT, Infrastructure, provide_infrastructure


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    with provide_infrastructure() as infra:
        asyncio.run(ensure_topics(infra.kafka_bootstrap_servers))
        for name in ("matching", "collection"):
            apply_migrations(infra.database_urls[name], ROOT / "services" / name / "migrations")
        yield infra


@pytest.fixture(scope="session")
async def matching_pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(infrastructure.database_urls["matching"], min_size=1, max_size=5)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def collection_pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(infrastructure.database_urls["collection"], min_size=1, max_size=5)
    yield pool
    await pool.close()
