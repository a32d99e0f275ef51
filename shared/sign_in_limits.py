"""Limits on password sign-in: per account (lockout with back-off) and per client address.

Why both: a per-account limit alone lets one address try one password against every account (spraying); a
per-address limit alone lets a botnet try every password against one account. Each wrong password counts
against the account it named and the address it came from; a success clears the account's count (not the
address's). Checked *before* the password is verified, so a locked account or a blocked address costs no
scrypt work and learns nothing (the answer is 429 with Retry-After whatever the password).

* account: ``account_failures`` wrong passwords in a row are free; each further one locks the account for
  ``lockout_seconds`` doubled per failure beyond that, up to ``lockout_max_seconds``.
* address: more than ``address_failures`` wrong passwords within ``address_window_seconds`` block the address
  until the oldest of them leaves the window.

Unknown account names count like known ones (the answer must not tell which exist). State is in memory, per
process, bounded (least recently used keys are forgotten past ``max_keys``); a restart forgets it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Account:
    failures: int = 0
    locked_until: float = 0.0


@dataclass
class _Address:
    failures: deque[float] = field(default_factory=deque)


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is not even tried: ``scope`` is ``account`` or ``address``."""

    scope: str
    retry_after: float


class SignInLimits:
    def __init__(self, *, account_failures: int = 5, lockout_seconds: float = 30.0, lockout_max_seconds: float = 900.0,
                 address_failures: int = 20, address_window_seconds: float = 600.0, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic):
        if account_failures < 1 or address_failures < 1 or lockout_seconds <= 0 or address_window_seconds <= 0:
            raise ValueError("limits must be positive")
        self.account_failures = account_failures
        self.lockout_seconds = lockout_seconds
        self.lockout_max_seconds = max(lockout_max_seconds, lockout_seconds)
        self.address_failures = address_failures
        self.address_window_seconds = address_window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._accounts: OrderedDict[str, _Account] = OrderedDict()
        self._addresses: OrderedDict[str, _Address] = OrderedDict()

    def check(self, address: str, account: str) -> Refusal | None:
        """None when a sign-in may be tried now; else who is limited and for how long."""
        now = self._clock()
        state = self._addresses.get(address)
        if state is not None:
            self._expire(state, now)
            if len(state.failures) >= self.address_failures:
                return Refusal("address", state.failures[0] + self.address_window_seconds - now)
        locked = self._accounts.get(account)
        if locked is not None and locked.locked_until > now:
            return Refusal("account", locked.locked_until - now)
        return None

    def failed(self, address: str, account: str) -> float:
        """Count a wrong password; the lockout it started, in seconds (0: none yet)."""
        now = self._clock()
        state = self._touch(self._addresses, address, _Address)
        self._expire(state, now)
        state.failures.append(now)
        while len(state.failures) > self.address_failures:
            state.failures.popleft()
        holder = self._touch(self._accounts, account, _Account)
        holder.failures += 1
        beyond = holder.failures - self.account_failures
        if beyond <= 0:
            return 0.0
        lockout = min(self.lockout_seconds * 2 ** min(beyond - 1, 30), self.lockout_max_seconds)
        holder.locked_until = now + lockout
        return lockout

    def succeeded(self, account: str) -> None:
        self._accounts.pop(account, None)

    def _expire(self, state: _Address, now: float) -> None:
        while state.failures and state.failures[0] <= now - self.address_window_seconds:
            state.failures.popleft()

    def _touch(self, table: OrderedDict, key: str, make: Callable[[], object]):  # type: ignore[no-untyped-def]
        value = table.get(key)
        if value is None:
            value = table[key] = make()
        table.move_to_end(key)
        while len(table) > self.max_keys:
            table.popitem(last=False)
        return value


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: frozenset[str]) -> str:
    """The client's address: the peer's, unless the peer is a configured trusted proxy (e.g. the TLS terminator
    in front of the service), then the last address that proxy appended to ``X-Forwarded-For``. A client cannot
    pick its own address by sending the header: it is believed only from a trusted proxy."""
    address = peer or "unknown"
    if forwarded_for and address in trusted_proxies:
        last = forwarded_for.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            return address
    return address


def account_label(submitted: str, known: bool) -> str:
    """What logs and the audit may say about the account a sign-in named: a staff id is an account id, not
    personal data, so a known one is written as is; an unknown one may be anything typed into the field (a
    name, a password), so only a short hash of it is written."""
    if known:
        return submitted
    return "unknown:" + hashlib.sha256(submitted.encode("utf-8", "replace")).hexdigest()[:12]


def parse_trusted_proxies(text: str) -> frozenset[str]:
    found = set()
    for item in (part.strip() for part in text.split(",")):
        if item:
            found.add(str(ipaddress.ip_address(item)))
    return frozenset(found)
