"""Lawyer gateway access helpers: the per-client token bucket and the watch that raises alerts on unusual access."""

from __future__ import annotations

import pytest

from services.lawyer_gateway.access import AccessWatch, Alert, TokenBucket


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# ---- TokenBucket -------------------------------------------------------------------------------------------------

# (rate, burst, steps) where a step is (seconds to advance, expected allow()) for one key
BUCKET_CASES = {
    "burst then refusal": (1.0, 3, [(0, True), (0, True), (0, True), (0, False), (0, False)]),
    "refill one token": (2.0, 2, [(0, True), (0, True), (0, False), (0.5, True), (0, False)]),
    "refill caps at burst": (1.0, 2, [(0, True), (0, True), (100, True), (0, True), (0, False)]),
    "partial refill is not enough": (1.0, 1, [(0, True), (0.5, False), (0.25, False), (0.25, True)]),
    "burst of one": (4.0, 1, [(0, True), (0, False), (0.25, True), (0.25, True), (0, False)]),
}


@pytest.mark.parametrize(("rate", "burst", "steps"), BUCKET_CASES.values(), ids=BUCKET_CASES.keys())
def test_bucket_allows_and_refuses(rate: float, burst: int, steps: list[tuple[float, bool]]) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock)
    for index, (advance, expected) in enumerate(steps):
        clock.advance(advance)
        assert bucket.allow("firm-a") is expected, f"step {index}"


# (rate, burst, calls made at once, seconds waited after, expected retry_after)
RETRY_CASES = {
    "unknown key": (1.0, 3, 0, 0, 0.0),
    "tokens left": (1.0, 3, 2, 0, 0.0),
    "empty, rate 1": (1.0, 3, 3, 0, 1.0),
    "empty, rate 4": (4.0, 2, 2, 0, 0.25),
    "empty after refusals": (2.0, 1, 5, 0, 0.5),
    "half refilled": (1.0, 1, 1, 0.5, 0.5),
    "refilled": (1.0, 1, 1, 1.0, 0.0),
}


@pytest.mark.parametrize(("rate", "burst", "calls", "wait", "expected"), RETRY_CASES.values(),
                         ids=RETRY_CASES.keys())
def test_retry_after(rate: float, burst: int, calls: int, wait: float, expected: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock)
    for _ in range(calls):
        bucket.allow("firm-a")
    clock.advance(wait)
    assert bucket.retry_after("firm-a") == pytest.approx(expected)
    assert bucket.retry_after("firm-a") == pytest.approx(expected), "retry_after takes nothing"


def test_retry_after_is_the_wait_that_works() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4.0, 2, clock)
    assert bucket.allow("k") and bucket.allow("k") and not bucket.allow("k")
    wait = bucket.retry_after("k")
    clock.advance(wait / 2)
    assert not bucket.allow("k")
    clock.advance(bucket.retry_after("k"))
    assert bucket.allow("k")


def test_keys_are_independent() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 2, clock)
    assert [bucket.allow("a") for _ in range(3)] == [True, True, False]
    assert [bucket.allow("b") for _ in range(3)] == [True, True, False]
    assert bucket.retry_after("c") == 0.0 and bucket.allow("c")
    clock.advance(1.0)
    assert bucket.allow("a") and not bucket.allow("a")


def test_memory_is_bounded_by_max_keys() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 5, clock)  # no time passes: no key is full again, only the cap applies
    for index in range(20_000):
        bucket.allow(f"client-{index}")
    assert len(bucket) <= bucket.max_keys == 10_000
    # the most recent keys are the ones kept, with their state
    for _ in range(4):
        assert bucket.allow("client-19999")
    assert not bucket.allow("client-19999")


def test_idle_keys_that_are_full_again_are_dropped() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, 4, clock, max_keys=100)  # full again 2 seconds after the last call
    for index in range(50):
        bucket.allow(f"old-{index}")
    clock.advance(1.0)
    bucket.allow("recent")
    assert len(bucket) == 51, "not yet full: kept"
    clock.advance(1.5)
    bucket.allow("new")
    assert len(bucket) == 2, "the old keys were full again and are gone"
    assert bucket.allow("old-0"), "a dropped key behaves as a new one"


def test_lru_key_is_dropped_first() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 1, clock, max_keys=2)
    assert bucket.allow("a") and bucket.allow("b")
    assert not bucket.allow("a")  # touches a: b is now least recently used
    assert bucket.allow("c")  # drops b
    assert len(bucket) == 2
    assert not bucket.allow("a"), "a was kept, still empty"


BAD_BUCKET_ARGUMENTS = {
    "zero rate": (0, 1, {}),
    "negative rate": (-1.0, 1, {}),
    "nan rate": (float("nan"), 1, {}),
    "infinite rate": (float("inf"), 1, {}),
    "zero burst": (1.0, 0, {}),
    "fractional burst": (1.0, 1.5, {}),
    "zero max_keys": (1.0, 1, {"max_keys": 0}),
}


@pytest.mark.parametrize(("rate", "burst", "extra"), BAD_BUCKET_ARGUMENTS.values(), ids=BAD_BUCKET_ARGUMENTS.keys())
def test_bucket_validates_arguments(rate: float, burst: int, extra: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst, FakeClock(), **extra)


# ---- AccessWatch -------------------------------------------------------------------------------------------------


def kinds(alerts: list[Alert]) -> list[str]:
    return [alert.kind for alert in alerts]


def test_invisible_case_raises_outside_assignment_every_time() -> None:
    clock = FakeClock()
    watch = AccessWatch(clock=clock)
    assert watch.record("lawyer-1", "100234", visible=True) == []
    assert watch.record("lawyer-1", None, visible=True) == []
    for _ in range(3):
        alerts = watch.record("lawyer-1", "999999", visible=False)
        assert kinds(alerts) == ["outside_assignment"]
        assert alerts[0].lawyer == "lawyer-1"
        assert "999999" in alerts[0].detail and "not assigned" in alerts[0].detail
        clock.advance(1)
    assert watch.record("lawyer-2", "100234", visible=True) == [], "per lawyer"


def test_list_requests_never_raise_outside_assignment() -> None:
    watch = AccessWatch(clock=FakeClock())
    assert watch.record("lawyer-1", None, visible=False) == []


def test_case_ref_in_detail_is_made_safe() -> None:
    watch = AccessWatch(clock=FakeClock())
    [alert] = watch.record("lawyer-1", "12\nINFO forged line 髙橋" + "9" * 100, visible=False)
    assert "\n" not in alert.detail and "髙橋" not in alert.detail


def test_many_cases_raised_once_when_crossing_the_limit() -> None:
    clock = FakeClock()
    watch = AccessWatch(clock=clock)  # 30 distinct cases within 300 s
    raised: list[tuple[int, Alert]] = []
    for index in range(60):
        for alert in watch.record("lawyer-1", f"1{index:05d}", visible=True):
            raised.append((index, alert))
        clock.advance(2)
    assert [(index, alert.kind) for index, alert in raised] == [(30, "many_cases")], "the 31st distinct case"
    detail = raised[0][1].detail
    assert "31 distinct cases" in detail and "limit of 30" in detail and "300 seconds" in detail


def test_repeating_the_same_cases_does_not_count() -> None:
    clock = FakeClock()
    watch = AccessWatch(clock=clock)
    for _ in range(10):
        for index in range(30):
            assert watch.record("lawyer-1", f"{index}", visible=True) == []
            clock.advance(0.5)
    assert watch.distinct_cases("lawyer-1") == 30


def test_many_cases_not_raised_when_spread_beyond_the_window() -> None:
    clock = FakeClock()
    watch = AccessWatch(clock=clock)
    for index in range(500):
        assert watch.record("lawyer-1", f"{index}", visible=True) == []
        clock.advance(10.0)  # 30 cases per 300 s at most: never more than the limit
    assert watch.distinct_cases("lawyer-1") <= 30


def test_many_cases_raised_again_only_after_dropping_back() -> None:
    clock = FakeClock()
    watch = AccessWatch(distinct_case_limit=3, window_seconds=60, clock=clock)
    timeline = [
        # (seconds to advance, case ref, expected alert kinds)
        (0, "1", []), (1, "2", []), (1, "3", []),
        (1, "4", ["many_cases"]),  # 4 distinct within 60 s
        (1, "5", []), (1, "6", []), (1, None, []),  # still over the limit: no storm
        (55, "7", []),  # cases 1-2 expired: 3, 4, 5, 6, 7 are still 5 > 3
        (10, None, []),  # all but 7 expired: back to 1, re-armed
        (1, "8", []), (1, "9", []),
        (1, "10", ["many_cases"]),  # 7,8,9,10: crosses again
        (1, "11", []),
    ]
    for step, (advance, case_ref, expected) in enumerate(timeline):
        clock.advance(advance)
        assert kinds(watch.record("lawyer-1", case_ref, visible=True)) == expected, f"step {step}"


def test_both_alerts_from_one_request() -> None:
    watch = AccessWatch(distinct_case_limit=2, clock=FakeClock())
    watch.record("lawyer-1", "1", visible=True)
    watch.record("lawyer-1", "2", visible=True)
    assert kinds(watch.record("lawyer-1", "3", visible=False)) == ["outside_assignment", "many_cases"]


def test_watch_memory_is_bounded() -> None:
    clock = FakeClock()
    watch = AccessWatch(clock=clock)
    for index in range(20_000):  # a script enumerating ids as fast as it can
        watch.record("lawyer-1", f"{index}", visible=False)
    state = watch._lawyers["lawyer-1"]
    assert len(state.seen) <= watch.distinct_case_limit + 1
    assert watch.distinct_cases("lawyer-1") == 31, "still over the limit"

    for index in range(1_000):
        watch.record(f"lawyer-{index}", "1", visible=True)
        clock.advance(1.0)
    assert len(watch) <= 301, "lawyers idle for a whole window are forgotten"
    clock.advance(300)
    watch.record("lawyer-x", None, visible=True)
    assert len(watch) == 1


BAD_WATCH_ARGUMENTS = {
    "zero limit": {"distinct_case_limit": 0},
    "fractional limit": {"distinct_case_limit": 2.5},
    "zero window": {"window_seconds": 0},
    "negative window": {"window_seconds": -5},
    "nan window": {"window_seconds": float("nan")},
}


@pytest.mark.parametrize("arguments", BAD_WATCH_ARGUMENTS.values(), ids=BAD_WATCH_ARGUMENTS.keys())
def test_watch_validates_arguments(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        AccessWatch(clock=FakeClock(), **arguments)  # type: ignore[arg-type]
