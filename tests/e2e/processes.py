"""Run the real services as separate processes against the test infrastructure."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from contracts.sources import SOURCES
from tests.infrastructure import ROOT, Infrastructure


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningService:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    argv: list[str]
    env: dict[str, str]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """kill -9: no shutdown hooks, no offset commits, no flushes."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def restart(self) -> None:
        self.process = _spawn(self.argv, self.env, self.log)
        _wait_ready(self)


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


# Nine interpreters import FastAPI, pydantic, OpenTelemetry and aiokafka at once (about 1.5 s of CPU each): on the
# shared two-core machine at a load average of 20-25 that took over 60 s, so a start may take up to three minutes.
START_TIMEOUT_SECONDS = 180


def _wait_ready(service: RunningService, timeout: float = START_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with {service.process.returncode}:\n{service.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):  # not listening yet
            if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{service.name} not ready within {timeout}s:\n{service.log_tail()}")


def _stop(service: RunningService) -> None:
    if service.process.poll() is None:
        service.process.send_signal(signal.SIGTERM)
        try:
            service.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait(timeout=10)


def replica(of: RunningService, log_dir: Path) -> RunningService:
    """A second process of a running service: the same command and settings (so the same consumer groups and
    database), its own HTTP port and log. Stop it with ``stop``."""
    port_variable = next(k for k, v in of.env.items() if k.endswith("_HTTP_PORT") and of.url.endswith(f":{v}"))
    port = free_port()
    env = {**of.env, port_variable: str(port)}
    log = log_dir / f"{of.name}-replica.log"
    started = RunningService(f"{of.name} (replica)", f"http://127.0.0.1:{port}", _spawn(of.argv, env, log), log,
                             of.argv, env)
    _wait_ready(started)
    return started


def stop(service: RunningService) -> None:
    """SIGTERM, then SIGKILL if it does not exit within 20 s; nothing when it already exited."""
    _stop(service)


ADAPTERS = tuple(row.adapter for row in SOURCES)  # contracts/sources.py: tax_adapter, insurance_adapter …


@contextmanager
def run_services(infra: Infrastructure, log_dir: Path, extra_env: dict[str, str] | None = None,
                 adapters: tuple[str, ...] = ADAPTERS) -> Iterator[dict[str, RunningService]]:
    """Start matching, collection and the adapters' HTTP sides; stop them all afterwards."""
    commands = {
        "matching": ("MATCHING_HTTP_PORT", [sys.executable, "-m", "services.matching"]),
        "collection": ("COLLECTION_HTTP_PORT", [sys.executable, "-m", "services.collection"]),
        "lawyer_gateway": ("LAWYER_GATEWAY_HTTP_PORT", [sys.executable, "-m", "services.lawyer_gateway"]),
        "welfare_referral": ("WELFARE_REFERRAL_HTTP_PORT", [sys.executable, "-m", "services.welfare_referral"]),
        "console": ("CONSOLE_HTTP_PORT", [sys.executable, "-m", "services.console"]),
    } | {row.adapter: (row.port_variable, [sys.executable, *row.command("serve")])
         for row in SOURCES if row.adapter in adapters}
    started: dict[str, RunningService] = {}
    ports = {name: free_port() for name in commands}
    # Collection is the one authority for staff accounts: the other services ask it (shared/staff_authority.py).
    # The tests stand in for a TLS-terminating proxy on 127.0.0.1, so the security suite can sign in "from" other
    # client addresses (X-Forwarded-For) without blocking the address every other test signs in from.
    authority = {"STAFF_AUTHORITY_URL": f"http://127.0.0.1:{ports['collection']}", "TRUSTED_PROXIES": "127.0.0.1",
                 "CONSOLE_COLLECTION_URL": f"http://127.0.0.1:{ports['collection']}",
                 "CONSOLE_MATCHING_URL": f"http://127.0.0.1:{ports['matching']}",
                 "CONSOLE_WELFARE_URL": f"http://127.0.0.1:{ports['welfare_referral']}"}
    try:
        for name, (port_variable, argv) in commands.items():
            port = ports[name]
            log = log_dir / f"{name}.log"
            env = {**os.environ, **infra.service_env(), port_variable: str(port), **authority, **(extra_env or {})}
            started[name] = RunningService(name, f"http://127.0.0.1:{port}", _spawn(argv, env, log), log, argv, env)
        for service in started.values():
            _wait_ready(service)
        yield started
    finally:
        for service in started.values():
            _stop(service)


def eventually(check, timeout: float = 60, what: str = "the expected state"):  # type: ignore[no-untyped-def]
    """Poll ``check`` until it returns something truthy (returned), or fail naming ``what`` after ``timeout`` s:
    the services work asynchronously (Kafka between them), so an effect shows up a little later."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")

