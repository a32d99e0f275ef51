"""Real Kafka and PostgreSQL for the test session, from the first source that is available:

1. already running and configured: ``TEST_KAFKA_BOOTSTRAP_SERVERS``, ``TEST_MATCHING_DATABASE_URL`` and
   ``TEST_COLLECTION_DATABASE_URL`` (e.g. a shared CI service or your own instances);
2. a Docker daemon answers: testcontainers (Kafka 4 in KRaft mode, PostgreSQL 15);
3. otherwise the project's native processes (deploy/kafka/kafka.sh, deploy/postgres/postgres.sh) in a test
   run folder with their own ports, so a system started with ``make up`` is left alone. When the session starts
   them they begin empty (reset); they are stopped at the end of the session unless they were already running
   or ``TEST_KEEP_INFRA=1`` (then the next session reuses them as they are).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICE_DATABASES = ("matching", "collection", "lawyer_gateway", "welfare_referral")

#: The business date of the services under test (and the date the synthetic cities are generated for).
BUSINESS_DATE = date(2025, 1, 31)


@dataclass
class Infrastructure:
    kafka_bootstrap_servers: str
    database_urls: dict[str, str]
    source: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def controllable(self) -> bool:
        """Fault tests can kill and restart Kafka and PostgreSQL only when they are this project's processes."""
        return self.source == "native processes"

    def kill_kafka(self) -> None:
        """kill -9 the broker (no clean shutdown)."""
        pid = int((Path(self.env["COLLECTION_RUN_DIR"]) / "kafka" / "kafka.pid").read_text())
        os.kill(pid, 9)

    def start_kafka(self) -> None:
        _script("deploy/kafka/kafka.sh", "start", self.env)

    def kafka_pid(self) -> int:
        return int((Path(self.env["COLLECTION_RUN_DIR"]) / "kafka" / "kafka.pid").read_text())

    def kill_postgres(self, postmaster_pid: int) -> None:
        """kill -9 the postmaster (no shutdown: its backends die when they notice), then start it again once
        the old backends are gone."""
        os.kill(postmaster_pid, 9)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                _script("deploy/postgres/postgres.sh", "start", self.env)
                return
            except RuntimeError:  # old backends still hold the shared memory: try again
                time.sleep(1)
        _script("deploy/postgres/postgres.sh", "start", self.env)

    def psql(self, database: str, sql: str) -> str:
        """Run ``sql`` in ``database`` as the cluster's superuser (unaligned, tuples only); its output."""
        return _script("deploy/postgres/postgres.sh", "psql", self.env,
                       args=("-v", "ON_ERROR_STOP=1", "-qtAX", "-d", database, "-c", sql)).stdout.strip()

    def restart_postgres(self) -> None:
        _script("deploy/postgres/postgres.sh", "stop", self.env)
        _script("deploy/postgres/postgres.sh", "start", self.env)

    def service_env(self) -> dict[str, str]:
        """Environment for a service process pointed at this infrastructure."""
        return {
            **self.env,
            # The published development keys and passwords are accepted only in development and test deployments.
            "DEPLOYMENT_ENVIRONMENT": "test",
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "MATCHING_DATABASE_URL": self.database_urls["matching"],
            "COLLECTION_DATABASE_URL": self.database_urls["collection"],
            "LAWYER_GATEWAY_DATABASE_URL": self.database_urls["lawyer_gateway"],
            "WELFARE_REFERRAL_DATABASE_URL": self.database_urls["welfare_referral"],
            # One business date for every service (shared/clock.py): the synthetic cities' "today", not the clock's.
            "BUSINESS_DATE": BUSINESS_DATE.isoformat(),
        }


def _native_env() -> dict[str, str]:
    return {
        "COLLECTION_RUN_DIR": os.environ.get("TEST_RUN_DIR", str(ROOT / ".run" / "test")),
        "KAFKA_PORT": os.environ.get("TEST_KAFKA_PORT", "29092"),
        "KAFKA_CONTROLLER_PORT": os.environ.get("TEST_KAFKA_CONTROLLER_PORT", "29093"),
        "PG_PORT": os.environ.get("TEST_PG_PORT", "25432"),
    }


def _script(path: str, command: str, env: dict[str, str], check: bool = True,
            args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    argv = [str(ROOT / path), command, *args]
    result = subprocess.run(argv, env={**os.environ, **env}, text=True, capture_output=True, check=False, timeout=600)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@contextmanager
def _native() -> Iterator[Infrastructure]:
    env = _native_env()
    scripts = ("deploy/postgres/postgres.sh", "deploy/kafka/kafka.sh")
    was_running = {s: _script(s, "status", env, check=False).returncode == 0 for s in scripts}
    for script in scripts:
        if not was_running[script]:  # a session we start begins from empty topics and databases
            _script(script, "reset", env)
        _script(script, "start", env)
    password = {name: os.environ.get(f"PG_PASSWORD_{name.upper()}", f"{name}-dev-password")
                for name in SERVICE_DATABASES}
    try:
        yield Infrastructure(
            kafka_bootstrap_servers=f"127.0.0.1:{env['KAFKA_PORT']}",
            database_urls={name: f"postgresql://{name}_svc:{password[name]}@127.0.0.1:{env['PG_PORT']}/{name}"
                           for name in SERVICE_DATABASES},
            source="native processes",
            env=env,
        )
    finally:
        if os.environ.get("TEST_KEEP_INFRA") != "1":
            for script in reversed(scripts):
                if not was_running[script]:
                    _script(script, "stop", env, check=False)


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means: no usable daemon
        return False


@contextmanager
def _containers() -> Iterator[Infrastructure]:
    import psycopg
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with KafkaContainer("confluentinc/cp-kafka:8.0.0").with_kraft() as kafka, \
            PostgresContainer("postgres:15", username="postgres", password="postgres", dbname="postgres") as pg:
        host, port = pg.get_container_host_ip(), pg.get_exposed_port(5432)
        urls = {}
        with psycopg.connect(f"postgresql://postgres:postgres@{host}:{port}/postgres", autocommit=True) as conn:
            for name in SERVICE_DATABASES:
                conn.execute(f"CREATE ROLE {name}_svc LOGIN PASSWORD '{name}-dev-password'")
                conn.execute(f"CREATE DATABASE {name} OWNER {name}_svc")
                urls[name] = f"postgresql://{name}_svc:{name}-dev-password@{host}:{port}/{name}"
        yield Infrastructure(kafka.get_bootstrap_server(), urls, source="testcontainers")


@contextmanager
def provide_infrastructure() -> Iterator[Infrastructure]:
    configured = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield Infrastructure(
            configured,
            {name: os.environ[f"TEST_{name.upper()}_DATABASE_URL"] for name in SERVICE_DATABASES},
            source="configured instances",
        )
    elif _docker_answers():
        with _containers() as infra:
            yield infra
    else:
        with _native() as infra:
            yield infra
