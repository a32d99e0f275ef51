"""Signatures and retry timing for webhook deliveries to the welfare side's system.

Why: a referral carries personal data the person agreed to share (本人同意), so the receiver must be able to tell
that a delivery came from us, unaltered and recently. The scheme is the common webhook one: the header
``t=<unix seconds>,v1=<hex HMAC-SHA256>`` signs ``f"{t}.".encode() + body``; binding the timestamp into the MAC lets
the receiver refuse replays. Several ``v1=`` values (and a list of secrets on the receiving side) let a secret be
rotated without a window of failed deliveries. Pure: no I/O, no clock (the caller passes ``now``), no randomness
(retry jitter comes from a hash, so tests and reruns see the same schedule). Errors carry a short reason only,
never a secret, a signature or the body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

__all__ = [
    "DEFAULT_TOLERANCE",
    "MAX_ATTEMPTS",
    "SCHEME",
    "SignatureError",
    "gives_up",
    "retry_schedule",
    "sign",
    "verify",
]

SCHEME = "v1"
"""The signature scheme name in the header: HMAC-SHA256 over ``"<t>." + body``, hex."""

DEFAULT_TOLERANCE = 300
"""Seconds a delivery's timestamp may differ from the receiver's clock (either way) before it counts as a replay."""

MAX_ATTEMPTS = 10
"""Deliveries tried at most this often; after the last failure the delivery is parked for staff to look at."""

_MAX_HEADER_CHARS = 4096  # a header longer than this is malformed, not worth parsing
_HEX_DIGEST_CHARS = 64
_HEX = frozenset("0123456789abcdef")
_JITTER = 0.10


class SignatureError(Exception):
    """The delivery may not be trusted; ``reason`` says why in words (malformed, bad signature, replay)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _mac(secret: bytes, body: bytes, timestamp: int) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    if not secret:
        raise ValueError("an empty secret signs nothing")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("timestamp must be a non-negative integer of unix seconds")
    return f"t={timestamp},{SCHEME}={_mac(secret, body, timestamp)}"


def _parse(header: str) -> tuple[int, list[str]]:
    """``(t, [v1 signatures])``; unknown schemes (e.g. a future ``v2``) are ignored so senders can add them."""
    if not isinstance(header, str) or not header.strip():
        raise SignatureError("malformed signature header: empty")
    if len(header) > _MAX_HEADER_CHARS:
        raise SignatureError("malformed signature header: too long")
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep or not key:
            raise SignatureError("malformed signature header: an element is not key=value")
        if key == "t":
            timestamps.append(value)
        elif key == SCHEME:
            if len(value) != _HEX_DIGEST_CHARS or not set(value) <= _HEX:
                raise SignatureError(f"malformed signature header: a {SCHEME} value is not a hex SHA-256 digest")
            signatures.append(value)
    if len(timestamps) != 1:
        raise SignatureError("malformed signature header: needs exactly one t")
    if not timestamps[0].isascii() or not timestamps[0].isdigit():
        raise SignatureError("malformed signature header: t is not a number of unix seconds")
    if not signatures:
        raise SignatureError(f"malformed signature header: no {SCHEME} signature")
    return int(timestamps[0]), signatures


def verify(secrets: bytes | Sequence[bytes], body: bytes, header: str, *, now: int,
           tolerance: int = DEFAULT_TOLERANCE) -> None:
    """Accept the delivery or raise ``SignatureError``. ``secrets``: one secret or the secrets in force (during a
    rotation both the old and the new one); a delivery is genuine if any ``v1`` value matches any secret. The
    signature is checked before the timestamp, so only a genuine delivery learns that it came too late or early.
    Comparisons are constant-time and every pair is compared, so timing does not tell which one matched."""
    keys = [secrets] if isinstance(secrets, bytes | bytearray) else list(secrets)
    if not keys or not all(isinstance(key, bytes | bytearray) and key for key in keys):
        raise ValueError("verify needs at least one non-empty secret")
    if tolerance < 0:
        raise ValueError("tolerance must not be negative")
    timestamp, signatures = _parse(header)
    matched = False
    for key in keys:
        expected = _mac(bytes(key), body, timestamp)
        for candidate in signatures:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("bad signature")
    if timestamp < now - tolerance:
        raise SignatureError("timestamp too old: outside the tolerance (replay?)")
    if timestamp > now + tolerance:
        raise SignatureError("timestamp in the future: outside the tolerance")


def _jitter(seed: str, attempt: int) -> float:
    """A factor in [-0.1, +0.1) from the seed and attempt: spreads retries of different deliveries apart."""
    digest = hashlib.sha256(f"{seed}:{attempt}".encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64
    return (2 * unit - 1) * _JITTER


def retry_schedule(attempt: int, *, base: float = 5.0, cap: float = 3600.0, jitter_seed: str | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based) before the next one: ``min(cap, base·2^(n−1))``,
    then, with a seed (e.g. the delivery id), ±10 % jitter from a hash of seed and attempt, rounded to
    milliseconds. The cap bounds the un-jittered delay, so at the cap retries still spread (within cap ± 10 %)."""
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise ValueError("attempt counts from 1")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    delay = cap if attempt - 1 >= 64 else min(cap, base * 2 ** (attempt - 1))
    if jitter_seed is not None:
        delay *= 1 + _jitter(jitter_seed, attempt)
    return round(delay, 3)


def gives_up(attempt: int) -> bool:
    """Whether to stop after failed attempt ``attempt``: yes from the ``MAX_ATTEMPTS``-th on."""
    return attempt >= MAX_ATTEMPTS
