"""Sign-in limits per account (lockout with back-off) and per client address (issue 18 §7)."""

import pytest

from shared.sign_in_limits import SignInLimits, account_label, client_address, parse_trusted_proxies


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def limits(clock: Clock) -> SignInLimits:
    return SignInLimits(account_failures=5, lockout_seconds=30, lockout_max_seconds=900, address_failures=20,
                        address_window_seconds=600, clock=clock)


def test_forty_wrong_passwords_then_the_right_one_is_still_refused() -> None:
    clock = Clock()
    limit = limits(clock)
    tried = 0
    for _ in range(40):
        if limit.check(f"10.0.0.{tried}", "demo-admin") is None:  # a new address every time does not help
            limit.failed(f"10.0.0.{tried}", "demo-admin")
            tried += 1
        clock.now += 1
    assert tried < 40
    refusal = limit.check("10.9.9.9", "demo-admin")
    assert refusal is not None and refusal.scope == "account"


def test_the_lockout_doubles_per_failure_up_to_the_maximum() -> None:
    clock = Clock()
    limit = limits(clock)
    lockouts = []
    for _ in range(12):
        clock.now += 1000  # wait out every lockout
        assert limit.check("a", "c1") is None
        lockouts.append(limit.failed("a", "c1"))
    assert lockouts[:5] == [0, 0, 0, 0, 0]
    assert lockouts[5:9] == [30, 60, 120, 240]
    assert max(lockouts) == 900


def test_a_success_clears_the_account_but_not_the_address() -> None:
    clock = Clock()
    limit = limits(clock)
    for _ in range(4):
        limit.failed("a", "c1")
    limit.succeeded("c1")
    for _ in range(4):
        assert limit.failed("a", "c1") == 0


def test_spraying_from_one_address_is_blocked_for_every_account() -> None:
    clock = Clock()
    limit = limits(clock)
    for n in range(20):
        assert limit.check("198.51.100.7", f"user{n}") is None
        limit.failed("198.51.100.7", f"user{n}")
    refusal = limit.check("198.51.100.7", "someone-else")
    assert refusal is not None and refusal.scope == "address" and refusal.retry_after == pytest.approx(600)
    assert limit.check("198.51.100.8", "someone-else") is None
    clock.now += 601
    assert limit.check("198.51.100.7", "someone-else") is None


def test_memory_is_bounded() -> None:
    limit = SignInLimits(max_keys=100)
    for n in range(1000):
        limit.failed(f"a{n}", f"u{n}")
    assert len(limit._accounts) <= 100 and len(limit._addresses) <= 100


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    trusted = parse_trusted_proxies("10.0.0.1, ::1")
    assert client_address("10.0.0.1", "203.0.113.5, 198.51.100.9", trusted) == "198.51.100.9"
    assert client_address("192.0.2.4", "198.51.100.9", trusted) == "192.0.2.4"
    assert client_address("10.0.0.1", "not-an-address", trusted) == "10.0.0.1"
    assert client_address(None, None, trusted) == "unknown"
    with pytest.raises(ValueError):
        parse_trusted_proxies("proxy.example")


def test_an_unknown_account_name_is_logged_as_a_hash_only() -> None:
    assert account_label("demo-admin", known=True) == "demo-admin"
    label = account_label("山田太郎", known=False)
    assert label.startswith("unknown:") and "山田" not in label and len(label) == 20
