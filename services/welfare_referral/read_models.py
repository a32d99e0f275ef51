"""What the welfare referral API reads: referrals (the lists, one referral with its history and deliveries, the
inbox, the funnel), deliveries, standings and consultation days with their invitations. The writes of
consultation days live in ``store`` with the rest of the service's changes."""

from __future__ import annotations

from datetime import date

import asyncpg


async def list_referrals(conn: asyncpg.Connection, *, state: str | None, debtor_id: str | None, limit: int,
                         offset: int) -> list[asyncpg.Record]:
    """Referrals, newest suggestion first, optionally of one state or debtor."""
    return await conn.fetch(
        "SELECT * FROM referrals WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR debtor_id = $2) "
        "ORDER BY suggested_on DESC, referral_id LIMIT $3 OFFSET $4", state, debtor_id, limit, offset)


async def referral_row(conn: asyncpg.Connection, referral_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM referrals WHERE referral_id = $1", referral_id)


async def referral_history(conn: asyncpg.Connection, referral_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM referral_history WHERE referral_id = $1 ORDER BY seq", referral_id)


async def referral_deliveries(conn: asyncpg.Connection, referral_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM deliveries WHERE referral_id = $1 ORDER BY delivery_id", referral_id)


async def inbox_rows(conn: asyncpg.Connection, states: list[str]) -> list[asyncpg.Record]:
    """Referrals in ``states`` with their standing's facts and the day they were referred, earliest first."""
    return await conn.fetch(
        "SELECT r.*, s.facts AS standing, (SELECT max(done_on) FROM referral_history h "
        "WHERE h.referral_id = r.referral_id AND h.kind = 'refer') AS referred_on FROM referrals r "
        "LEFT JOIN standings s USING (debtor_id) "
        "WHERE r.state = ANY($1::text[]) ORDER BY referred_on, referral_id", states)


async def list_deliveries(conn: asyncpg.Connection, status: str | None, limit: int) -> list[asyncpg.Record]:
    """Webhook deliveries, newest first, optionally of one status."""
    return await conn.fetch("SELECT * FROM deliveries WHERE ($1::text IS NULL OR status = $1) "
                            "ORDER BY delivery_id DESC LIMIT $2", status, limit)


async def consultation_day(conn: asyncpg.Connection, day_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM consultation_days WHERE day_id = $1", day_id)


async def consultation_day_counts(conn: asyncpg.Connection, day_id: int, held_on: date) -> asyncpg.Record:
    """invited, attended, referred_same_day and connected of a consultation day held on ``held_on``."""
    return await conn.fetchrow(
        "SELECT count(*) AS invited, count(*) FILTER (WHERE i.attended) AS attended, "
        "count(*) FILTER (WHERE i.attended AND EXISTS (SELECT 1 FROM referrals r JOIN referral_history h "
        "USING (referral_id) WHERE r.debtor_id = i.debtor_id AND h.kind = 'refer' AND h.done_on = $2)) "
        "AS referred_same_day, "
        "count(*) FILTER (WHERE i.attended AND EXISTS (SELECT 1 FROM referrals r WHERE r.debtor_id = i.debtor_id "
        "AND r.outcome = 'connected' AND r.suggested_on <= $2 + 365)) AS connected "
        "FROM invitations i WHERE i.day_id = $1", day_id, held_on)


async def consultation_day_ids(conn: asyncpg.Connection) -> list[int]:
    """Every consultation day, latest first."""
    return [r["day_id"] for r in await conn.fetch("SELECT day_id FROM consultation_days ORDER BY held_on DESC, day_id")]


async def invitations(conn: asyncpg.Connection, day_id: int) -> list[asyncpg.Record]:
    """A day's invitations, highest points first."""
    return await conn.fetch(
        "SELECT debtor_id, referral_id, points, attended FROM invitations WHERE day_id = $1 "
        "ORDER BY points DESC, debtor_id", day_id)


async def funnel_rows(conn: asyncpg.Connection, from_: date | None, to: date | None) -> list[asyncpg.Record]:
    """Referrals suggested in the period with the same people's arrears and collections now."""
    return await conn.fetch(
        "SELECT r.*, coalesce(s.arrears, 0) AS arrears_now, "
        "coalesce(s.collected, r.baseline_collected) AS collected_now "
        "FROM referrals r LEFT JOIN standings s USING (debtor_id) "
        "WHERE ($1::date IS NULL OR r.suggested_on >= $1) AND ($2::date IS NULL OR r.suggested_on <= $2)",
        from_, to)


async def standing_row(conn: asyncpg.Connection, debtor_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM standings WHERE debtor_id = $1", debtor_id)
