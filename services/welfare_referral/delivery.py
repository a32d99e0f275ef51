"""Webhook deliveries to the welfare side's system: signed (signing.py), retried with backoff until delivered,
given up after ``MAX_ATTEMPTS`` (the delivery stays, marked failed, for staff to see and retry).

Why a table and a worker rather than a call in the request: a referral must not be lost when the welfare system
is down, and staff must not wait on it. ``deliver_due`` takes due rows with ``FOR UPDATE SKIP LOCKED`` (several
replicas may run), posts each and records the result in the same transaction. The receiver sees the delivery
id in ``Welfare-Delivery-Id`` and may see a delivery twice (after a lost answer): it deduplicates by that id.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import httpx

from services.welfare_referral.signing import gives_up, retry_schedule, sign

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Welfare-Signature"
DELIVERY_ID_HEADER = "Welfare-Delivery-Id"


@dataclass
class DeliveryPass:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


async def deliver_due(pool: asyncpg.Pool, client: httpx.AsyncClient, *, url: str, secrets: list[bytes],
                      retry_base: float, retry_cap: float, batch: int = 20, lease_seconds: float = 120.0
                      ) -> DeliveryPass:
    """Post every due delivery once; returns what happened. The due rows are leased first (their next attempt
    moved ``lease_seconds`` on, committed), so no transaction stays open while the welfare system answers and a
    worker that dies mid-way leaves them to be tried again when the lease runs out."""
    result = DeliveryPass()
    async with pool.acquire() as conn:
        due = await conn.fetch(
            "UPDATE deliveries SET next_attempt_at = now() + $2 WHERE delivery_id IN (SELECT delivery_id "
            "FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at "
            "LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING delivery_id, body, attempts",
            batch, timedelta(seconds=lease_seconds))
        for row in sorted(due, key=lambda r: r["delivery_id"]):
            attempt = row["attempts"] + 1
            error = await _post(client, url, row["delivery_id"], bytes(row["body"]), secrets)
            if error is None:
                result.delivered += 1
                await conn.execute("UPDATE deliveries SET status = 'delivered', attempts = $2, delivered_at = now(), "
                                   "last_error = NULL WHERE delivery_id = $1", row["delivery_id"], attempt)
            elif gives_up(attempt):
                result.failed += 1
                log.warning("welfare delivery given up", extra={"delivery_id": row["delivery_id"],
                                                                 "attempts": attempt, "error": error})
                await conn.execute("UPDATE deliveries SET status = 'failed', attempts = $2, last_error = $3 "
                                   "WHERE delivery_id = $1", row["delivery_id"], attempt, error)
            else:
                result.retried += 1
                wait = retry_schedule(attempt, base=retry_base, cap=retry_cap, jitter_seed=str(row["delivery_id"]))
                await conn.execute("UPDATE deliveries SET attempts = $2, last_error = $3, "
                                   "next_attempt_at = now() + $4 WHERE delivery_id = $1",
                                   row["delivery_id"], attempt, error, timedelta(seconds=wait))
    return result


def signature_header(secrets: list[bytes], body: bytes, now: int) -> str:
    """``t=…,v1=…`` with one ``v1=`` per secret, so a receiver that knows either accepts it during a rotation."""
    macs = [sign(secret, body, now).split(",", 1)[1] for secret in secrets]
    return ",".join([f"t={now}", *macs])


async def _post(client: httpx.AsyncClient, url: str, delivery_id: int, body: bytes, secrets: list[bytes]
                ) -> str | None:
    """None when the receiver took it (2xx), else the reason in words (no body, no secret)."""
    headers = {"content-type": "application/json", SIGNATURE_HEADER: signature_header(secrets, body, int(time.time())),
               DELIVERY_ID_HEADER: str(delivery_id)}
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: the welfare system did not answer"
    if 200 <= response.status_code < 300:
        return None
    return f"the welfare system answered {response.status_code}"


async def retry_failed(conn: asyncpg.Connection, delivery_id: int) -> bool:
    """Staff asked to try a given-up delivery again (the welfare system is back)."""
    return bool(await conn.fetchval(
        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now() WHERE delivery_id = $1 "
        "AND status = 'failed' RETURNING true", delivery_id))
