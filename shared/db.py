"""asyncpg connection pool for a service's own database."""

import json

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=lambda v: json.dumps(v, ensure_ascii=False),
                              decoder=json.loads, schema="pg_catalog")
    await conn.execute("SET TIME ZONE 'Asia/Tokyo'")


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(database_url, min_size=min_size, max_size=max_size, init=_init_connection)
    assert pool is not None
    return pool
