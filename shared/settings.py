"""Settings common to every service, each overridable by an environment variable of the same name.

A service subclasses ``ServiceSettings`` and sets ``env_prefix`` for its own values (e.g. ``COLLECTION_``);
the shared values below keep their unprefixed names so one environment configures all services alike.
"""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field("127.0.0.1:19092", validation_alias=_env("KAFKA_BOOTSTRAP_SERVERS"))
    environment: str = Field("development", validation_alias=_env("DEPLOYMENT_ENVIRONMENT"))
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL"))
    timezone: str = Field("Asia/Tokyo", validation_alias=_env("BUSINESS_TIMEZONE"))
    consumer_max_poll_records: int = Field(500, validation_alias=_env("KAFKA_MAX_POLL_RECORDS"))
    # Per service (prefixed, e.g. COLLECTION_HTTP_PORT): where its HTTP side listens.
    http_host: str = "127.0.0.1"
    http_port: int = 8000


class DatabaseSettings(ServiceSettings):
    """For services that own a PostgreSQL database: ``<PREFIX>DATABASE_URL`` and pool sizes."""

    database_url: str
    db_pool_min_size: int = 1
    db_pool_max_size: int = 10


class AdapterSettings(ServiceSettings):
    """For department adapters: the city's legal-category decisions per receivable, as JSON, e.g.
    ``RECEIVABLE_CATEGORY_OVERRIDES='{"municipal_housing_rent": "non_forced_public"}'``."""

    receivable_category_overrides: dict[str, str] = Field(
        default_factory=dict, validation_alias=_env("RECEIVABLE_CATEGORY_OVERRIDES")
    )
    ingest_chunk_size: int = Field(2000, ge=1, le=100_000, validation_alias=_env("INGEST_CHUNK_SIZE"),
                                   description="Records per Kafka transaction when publishing an import")
    max_upload_bytes: int = Field(200 * 1024 * 1024, validation_alias=_env("INGEST_MAX_UPLOAD_BYTES"))
    ingest_chunk_deadline_seconds: float = Field(
        60.0, gt=0, le=3600, validation_alias=_env("INGEST_CHUNK_DEADLINE_SECONDS"),
        description="How long one step of publishing an import (connect, read progress, one chunk) may take before "
                    "the import stops with exit 1 (Kafka down or stalled); run it again to resume")
