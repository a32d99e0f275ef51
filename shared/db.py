"""asyncpg connection pool for a service's own database."""

import asyncpg
import orjson


def _encode_jsonb(value: object) -> bytes:
    return b"\x01" + orjson.dumps(value)  # jsonb's binary format: version 1, then the text


def _decode_jsonb(data: bytes) -> object:
    return orjson.loads(data[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Binary, so that COPY (which only speaks binary) can write jsonb columns too.
    await conn.set_type_codec("jsonb", encoder=_encode_jsonb, decoder=_decode_jsonb, schema="pg_catalog",
                              format="binary")
    await conn.execute("SET TIME ZONE 'Asia/Tokyo'")


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10,
                      server_settings: dict[str, str] | None = None) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(database_url, min_size=min_size, max_size=max_size, init=_init_connection,
                                     server_settings=server_settings)
    assert pool is not None
    return pool
