"""Settings common to every service, each overridable by an environment variable of the same name.

A service subclasses ``ServiceSettings`` and sets ``env_prefix`` for its own values (e.g. ``COLLECTION_``);
the shared values below keep their unprefixed names so one environment configures all services alike.
"""

import os
from datetime import date

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.clock import configured_business_date


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field("127.0.0.1:19092", validation_alias=_env("KAFKA_BOOTSTRAP_SERVERS"))
    environment: str = Field("development", validation_alias=_env("DEPLOYMENT_ENVIRONMENT"))
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL"))
    timezone: str = Field("Asia/Tokyo", validation_alias=_env("BUSINESS_TIMEZONE"))
    consumer_max_poll_records: int = Field(500, validation_alias=_env("KAFKA_MAX_POLL_RECORDS"))
    #: The one business date of every service (shared/clock.py): ``BUSINESS_DATE``; unset: today in Asia/Tokyo.
    business_date: date | None = Field(None, validation_alias=_env("BUSINESS_DATE"))
    # Per service (prefixed, e.g. COLLECTION_HTTP_PORT): where its HTTP side listens.
    http_host: str = "127.0.0.1"
    http_port: int = 8000

    @model_validator(mode="before")
    @classmethod
    def _one_business_date(cls, data: object) -> object:
        """BUSINESS_DATE, or a deprecated per-service alias of it; refused when two of them disagree."""
        if not isinstance(data, dict):
            return data
        given = [v for k, v in data.items() if k in ("BUSINESS_DATE", "business_date") and v is not None]
        environ = dict(os.environ)
        if given:
            environ["BUSINESS_DATE"] = given[0] if isinstance(given[0], str) else str(given[0])
        day = configured_business_date(environ)
        data = {k: v for k, v in data.items() if k not in ("BUSINESS_DATE", "business_date")}
        data["business_date"] = day
        return data


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
