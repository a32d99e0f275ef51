"""docker-compose.yml cannot run here (no Docker engine), so its consistency with the code is checked."""

import re
from pathlib import Path

import pytest
import yaml

from contracts.sources import SOURCES

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICE_DIRS = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
ADAPTERS = {row.adapter: row for row in SOURCES}  # contracts/sources.py: one adapter per source system


def test_services_folder_is_not_empty() -> None:
    assert {"collection", "matching", "tax_adapter"} <= set(SERVICE_DIRS)


@pytest.mark.parametrize("name", SERVICE_DIRS)
def test_every_service_is_deployed_with_a_health_check(name: str) -> None:
    service = COMPOSE["services"].get(name)
    assert service is not None, f"services/{name} is missing from docker-compose.yml"
    if name in ADAPTERS:  # an adapter's folder holds its format; the shared runner serves it
        assert service["command"] == ["python", *ADAPTERS[name].command("serve")]
    else:
        assert service["command"][:3] == ["python", "-m", f"services.{name}"]
    assert "readyz" in " ".join(service["healthcheck"]["test"])
    port = next(v for k, v in service["environment"].items() if k.endswith("_HTTP_PORT"))
    assert f"{port}/readyz" in " ".join(service["healthcheck"]["test"])


@pytest.mark.parametrize("row", SOURCES, ids=lambda row: row.code)
def test_every_source_system_has_its_adapter_in_compose_on_its_port(row) -> None:  # type: ignore[no-untyped-def]
    service = COMPOSE["services"].get(row.adapter)
    assert service is not None, f"{row.adapter} (contracts/sources.py) is missing from docker-compose.yml"
    assert service["command"] == ["python", *row.command("serve")]
    env = service["environment"]
    assert env[row.port_variable] == row.port
    assert env[f"{row.env_prefix}HTTP_HOST"] == "0.0.0.0"
    assert f"127.0.0.1:{row.port}/readyz" in " ".join(service["healthcheck"]["test"])
    assert service["ports"] == [f"${{PUBLISH_ADDRESS:-127.0.0.1}}:{row.port}:{row.port}"]
    assert (ROOT / "services" / row.adapter / "__init__.py").is_file()


def test_compose_runs_no_adapter_the_registry_does_not_list() -> None:
    runners = {name for name, service in COMPOSE["services"].items()
               if service.get("command", [])[2:3] == ["shared.ingest"] or name.endswith("_adapter")}
    assert runners == set(ADAPTERS)


def test_infrastructure_is_kafka_4_postgres_and_jaeger() -> None:
    services = COMPOSE["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert services["postgres"]["image"].startswith("postgres:")
    assert "jaeger" in services["jaeger"]["image"]
    assert services["topics"]["command"] == ["python", "-m", "shared.kafka", "topics"]


def test_every_referenced_file_exists() -> None:
    for name, service in COMPOSE["services"].items():
        build = service.get("build")
        if build:
            assert (ROOT / build["context"]).is_dir(), name
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source}"


def test_databases_in_compose_are_the_ones_postgres_creates() -> None:
    declared = {line.strip() for line in (ROOT / "deploy/postgres/databases.conf").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    for service in COMPOSE["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if key.endswith("_DATABASE_URL"):
                assert value.rsplit("/", 1)[1] in declared, key


def _interpolate_defaults(value: str) -> str:
    """The value compose would use with an empty .env: ``${X:-d}`` → d; ``${X:?msg}`` stays (compose refuses)."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_no_secret_is_written_in_compose_and_every_one_is_required_from_env() -> None:
    from shared.deployment import DEVELOPMENT_ENVIRONMENTS

    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "dev-password" not in text and "development-signing-key" not in text
    secret_words = ("PASSWORD", "_KEYS", "SECRETS", "DATABASE_URL")
    for name, service in COMPOSE["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in secret_words):
                assert ":?" in str(value), f"{name}: {key} must come from .env (${{VAR:?…}}), not a literal"
        environment = (service.get("environment") or {}).get("DEPLOYMENT_ENVIRONMENT")
        if environment is not None:
            assert _interpolate_defaults(environment) not in DEVELOPMENT_ENVIRONMENTS, name


def test_every_service_needs_the_staff_authority_and_the_department_keys() -> None:
    for name in SERVICE_DIRS:
        env = COMPOSE["services"][name]["environment"]
        assert env["STAFF_AUTHORITY_URL"] == "http://collection:8000", name
        assert "DEPARTMENT_AUTH_KEYS" in env, name


def test_ports_are_published_on_loopback_unless_told_otherwise() -> None:
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            host = _interpolate_defaults(str(port)).split(":")[0]
            assert host == "127.0.0.1", f"{name} publishes {port} beyond this machine by default"
    assert COMPOSE["services"]["jaeger"]["ports"] == ["127.0.0.1:16686:16686"]


def test_the_env_file_is_generated_ignored_and_not_committed() -> None:
    import subprocess

    assert ".env" in (ROOT / ".gitignore").read_text().split()
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert tracked.stdout.strip() == ""
    assert "compose-env:" in (ROOT / "Makefile").read_text()


def test_compose_env_writes_every_required_value(tmp_path: Path) -> None:
    import subprocess

    target = tmp_path / ".env"
    subprocess.run([str(ROOT / "deploy/compose-env.sh"), str(target)], check=True, capture_output=True)
    written = dict(line.split("=", 1) for line in target.read_text().splitlines() if not line.startswith("#"))
    needed = set(re.findall(r"\$\{([A-Z_]+):\?", (ROOT / "docker-compose.yml").read_text()))
    assert needed <= written.keys()
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert written["DEPLOYMENT_ENVIRONMENT"] == "production"
    assert all(len(written[k]) >= 32 for k in needed if "PASSWORD" in k)


def test_every_service_gets_the_one_business_date() -> None:
    """shared/clock.py: one clock; no service keeps a business date of its own in the deployment."""
    assert "BUSINESS_DATE" in COMPOSE["x-service"]["environment"]
    for name, service in COMPOSE["services"].items():
        assert not any(key.endswith("_BUSINESS_DATE") for key in service.get("environment", {})), name
