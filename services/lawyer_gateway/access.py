"""Access control helpers for the lawyer gateway, which outside firms reach over the internet.

``TokenBucket`` limits how fast one client may call, so that a stolen or misused account cannot scrape the
cases quickly; ``AccessWatch`` notices the patterns a misused account leaves (naming cases the firm cannot see,
or many different cases in a short time) so that staff get an alert. Both are pure: the caller gives the key and
the facts, time comes from an injected clock, and neither does any I/O or logging.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    """Per-key token bucket: each key may make ``burst`` calls at once, then ``rate_per_second`` calls a second.

    Memory stays bounded: a key untouched for ``burst / rate_per_second`` seconds has a full bucket again, which is
    the same as a key never seen, so it is dropped (checked on every call, amortised O(1) because keys are kept in
    least-recently-used order). Beyond ``max_keys`` live keys the least recently used one is dropped even if not yet
    full: that key then starts over with a full bucket, a small leniency preferred to unbounded memory.
    """

    def __init__(self, rate_per_second: float, burst: int, clock: Callable[[], float] = time.monotonic, *,
                 max_keys: int = 10_000) -> None:
        if isinstance(rate_per_second, bool) or not (rate_per_second > 0 and math.isfinite(rate_per_second)):
            raise ValueError("rate_per_second must be a finite number greater than 0")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError("burst must be an integer of at least 1")
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError("max_keys must be an integer of at least 1")
        self.rate_per_second = float(rate_per_second)
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._refill_seconds = burst / self.rate_per_second  # from empty to full
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        """Number of keys currently tracked (for tests and metrics)."""
        return len(self._buckets)

    def _tokens(self, bucket: _Bucket, now: float) -> float:
        elapsed = max(0.0, now - bucket.updated)  # a clock stepping back must not mint or take tokens
        return min(float(self.burst), bucket.tokens + elapsed * self.rate_per_second)

    def _prune(self, now: float) -> None:
        buckets = self._buckets
        while buckets:
            bucket = next(iter(buckets.values()))
            if now - bucket.updated < self._refill_seconds:
                break  # least recently used first: every key after this one was touched later
            buckets.popitem(last=False)

    def allow(self, key: str) -> bool:
        """Take one token for ``key`` when it has one; False means the caller should refuse (HTTP 429)."""
        now = self._clock()
        self._prune(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), updated=now)
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            bucket.tokens = self._tokens(bucket, now)
            bucket.updated = now
            self._buckets.move_to_end(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True
        return False

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` has a token again (0 when it has one now); takes nothing and changes nothing."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = self._tokens(bucket, self._clock())
        if tokens >= 1.0:
            return 0.0
        return (1.0 - tokens) / self.rate_per_second


AlertKind = Literal["outside_assignment", "many_cases"]


@dataclass(frozen=True, slots=True)
class Alert:
    """Something staff should look at. ``detail`` is plain English with counts and the case ref only: case refs
    are opaque numbers, and nothing about the debtor is ever put here, so the alert may be logged and mailed."""

    kind: AlertKind
    lawyer: str
    detail: str


_UNSAFE_REF = re.compile(r"[^0-9A-Za-z_.:-]")


def _printable_ref(case_ref: str) -> str:
    """The case ref as it may appear in an alert: it comes from the request, so it is cut short and anything other
    than the characters a case ref is made of is replaced (no log injection, no text someone typed)."""
    shown = _UNSAFE_REF.sub("?", case_ref[:64])
    return shown + ("…" if len(case_ref) > 64 else "")


@dataclass(slots=True)
class _LawyerState:
    # case ref → when this lawyer last named it, oldest first; at most distinct_case_limit + 1 entries
    seen: OrderedDict[str, float] = field(default_factory=OrderedDict)
    last_request: float = 0.0
    over_limit: bool = False


class AccessWatch:
    """Watches each lawyer's requests for signs of a misused account and says which alerts a request raises.

    * ``outside_assignment`` on every request naming a case the firm cannot see: each one is either guessing ids
      or working from a stale list, and both are worth a look;
    * ``many_cases`` when the lawyer named more than ``distinct_case_limit`` different cases within the last
      ``window_seconds`` (a person reads a few cases at a time; a script reads them all). It is raised once on
      crossing the limit and again only after the count has fallen to the limit or below and crosses it again.

    Memory: per lawyer only the ``distinct_case_limit + 1`` most recently named cases are kept, which is enough to
    compare the count with the limit exactly; entries older than the window are dropped, and a lawyer with no
    request within the window is forgotten altogether (their state is then the same as a new lawyer's).
    """

    def __init__(self, distinct_case_limit: int = 30, window_seconds: float = 300,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(distinct_case_limit, bool) or not isinstance(distinct_case_limit, int) or distinct_case_limit < 1:
            raise ValueError("distinct_case_limit must be an integer of at least 1")
        if isinstance(window_seconds, bool) or not (window_seconds > 0 and math.isfinite(window_seconds)):
            raise ValueError("window_seconds must be a finite number greater than 0")
        self.distinct_case_limit = distinct_case_limit
        self.window_seconds = float(window_seconds)
        self._clock = clock
        self._lawyers: OrderedDict[str, _LawyerState] = OrderedDict()  # least recent request first

    def __len__(self) -> int:
        """Number of lawyers currently tracked (for tests and metrics)."""
        return len(self._lawyers)

    def distinct_cases(self, lawyer: str) -> int:
        """Distinct cases the lawyer named within the window, capped at ``distinct_case_limit + 1``."""
        state = self._lawyers.get(lawyer)
        if state is None:
            return 0
        self._expire(state, self._clock())
        return len(state.seen)

    def _expire(self, state: _LawyerState, now: float) -> None:
        seen = state.seen
        while seen:
            when = next(iter(seen.values()))
            if now - when < self.window_seconds:
                break
            seen.popitem(last=False)

    def _forget_idle(self, now: float) -> None:
        lawyers = self._lawyers
        while lawyers:
            state = next(iter(lawyers.values()))
            if now - state.last_request < self.window_seconds:
                break
            lawyers.popitem(last=False)

    def record(self, lawyer: str, case_ref: str | None, *, visible: bool) -> list[Alert]:
        """Record one request of ``lawyer``; ``case_ref`` is the case it named (None for a list request) and
        ``visible`` whether that case exists for the lawyer's firm. Returns the alerts this request raises."""
        now = self._clock()
        self._forget_idle(now)
        state = self._lawyers.get(lawyer)
        if state is None:
            state = self._lawyers[lawyer] = _LawyerState(last_request=now)
        else:
            self._lawyers.move_to_end(lawyer)
            state.last_request = max(state.last_request, now)
        self._expire(state, now)

        if case_ref is not None:
            state.seen[case_ref] = now
            state.seen.move_to_end(case_ref)
            if len(state.seen) > self.distinct_case_limit + 1:
                # the kept entries are the most recent, so the count stays exact up to limit + 1
                state.seen.popitem(last=False)
        distinct = len(state.seen)
        window = f"{self.window_seconds:g} seconds"

        alerts: list[Alert] = []
        if case_ref is not None and not visible:
            alerts.append(Alert(
                kind="outside_assignment", lawyer=lawyer,
                detail=(f"request named case {_printable_ref(case_ref)}, which is not assigned to this firm "
                        f"(withdrawn, assigned elsewhere or unknown); {distinct} distinct cases named in the last "
                        f"{window}")))
        if distinct > self.distinct_case_limit:
            if not state.over_limit:
                state.over_limit = True
                alerts.append(Alert(
                    kind="many_cases", lawyer=lawyer,
                    detail=(f"{distinct} distinct cases named in the last {window}, more than the limit of "
                            f"{self.distinct_case_limit}; latest case {_printable_ref(case_ref or '')}")))
        else:
            state.over_limit = False
        return alerts


__all__ = ["Alert", "AlertKind", "AccessWatch", "TokenBucket"]
