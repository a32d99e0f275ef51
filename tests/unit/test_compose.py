"""docker-compose.yml cannot run here (no Docker engine), so its consistency with the code is checked."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICE_DIRS = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())


def test_services_folder_is_not_empty() -> None:
    assert {"collection", "matching", "tax_adapter"} <= set(SERVICE_DIRS)


@pytest.mark.parametrize("name", SERVICE_DIRS)
def test_every_service_is_deployed_with_a_health_check(name: str) -> None:
    service = COMPOSE["services"].get(name)
    assert service is not None, f"services/{name} is missing from docker-compose.yml"
    assert service["command"][:3] == ["python", "-m", f"services.{name}"]
    assert "readyz" in " ".join(service["healthcheck"]["test"])
    port = next(v for k, v in service["environment"].items() if k.endswith("_HTTP_PORT"))
    assert f"{port}/readyz" in " ".join(service["healthcheck"]["test"])


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


def test_every_service_gets_the_one_business_date() -> None:
    """shared/clock.py: one clock; no service keeps a business date of its own in the deployment."""
    assert "BUSINESS_DATE" in COMPOSE["x-service"]["environment"]
    for name, service in COMPOSE["services"].items():
        assert not any(key.endswith("_BUSINESS_DATE") for key in service.get("environment", {})), name
