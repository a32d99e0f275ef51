"""Settings common to every service, each overridable by an environment variable of the same name.

A service subclasses ``ServiceSettings`` and sets ``env_prefix`` for its own values (e.g. ``COLLECTION_``);
the shared values below keep their unprefixed names so one environment configures all services alike.
"""

import os
from datetime import date

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.clock import configured_business_date
from shared.deployment import refuse_default_database_password, refuse_published_secrets

#: The department systems' credential key of development and tests (public: refused in any other deployment).
DEVELOPMENT_DEPARTMENT_KEYS = "dev:department-imports-development-signing-key-not-for-production"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class ServiceSettings(BaseSettings):
    # hide_input_in_errors: a refused setting may hold a real secret next to a published one; never echo it.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, hide_input_in_errors=True)

    kafka_bootstrap_servers: str = Field("127.0.0.1:19092", validation_alias=_env("KAFKA_BOOTSTRAP_SERVERS"))
    #: ``development`` or ``test`` accept the published development secrets; anything else, unset included, is a
    #: real deployment that must bring its own (shared/deployment.py).
    environment: str = Field("", validation_alias=_env("DEPLOYMENT_ENVIRONMENT"))
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL"))
    timezone: str = Field("Asia/Tokyo", validation_alias=_env("BUSINESS_TIMEZONE"))
    consumer_max_poll_records: int = Field(500, validation_alias=_env("KAFKA_MAX_POLL_RECORDS"))
    #: Copies of each partition and the copies a write needs (shared/kafka.TopicDurability): 1 and 1 on one
    #: broker; 3 and 2 on a production cluster (docs/scaling.md). Read when topics are created.
    kafka_replication_factor: int = Field(1, ge=1, le=7, validation_alias=_env("KAFKA_REPLICATION_FACTOR"))
    kafka_min_insync_replicas: int = Field(1, ge=1, le=7, validation_alias=_env("KAFKA_MIN_INSYNC_REPLICAS"))
    #: The one business date of every service (shared/clock.py): ``BUSINESS_DATE``; unset: today in Asia/Tokyo.
    business_date: date | None = Field(None, validation_alias=_env("BUSINESS_DATE"))
    # Per service (prefixed, e.g. COLLECTION_HTTP_PORT): where its HTTP side listens.
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    #: The one authority for staff accounts (collection's API) and how long its answers are kept (≤ 60 s): a
    #: disabled account or a withdrawn role stops working everywhere within that time (shared/staff_authority.py).
    staff_authority_url: str = Field("http://127.0.0.1:8000", validation_alias=_env("STAFF_AUTHORITY_URL"))
    staff_authority_cache_seconds: float = Field(30.0, ge=0, le=60,
                                                 validation_alias=_env("STAFF_AUTHORITY_CACHE_SECONDS"))
    #: Addresses of the proxies in front of the services (comma separated) whose X-Forwarded-For is believed
    #: when limiting by client address (shared/sign_in_limits.py); none by default: the peer's address counts.
    trusted_proxies: str = Field("", validation_alias=_env("TRUSTED_PROXIES"))
    #: Per service (e.g. COLLECTION_MAX_BODY_BYTES): the largest request body, counted while it streams in.
    max_body_bytes: int = Field(1024 * 1024, ge=1024)

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

    @field_validator("database_url")
    @classmethod
    def _no_default_password_outside_development(cls, value: str, info: ValidationInfo) -> str:
        prefix = str(cls.model_config.get("env_prefix", ""))
        return refuse_default_database_password(value, info.data.get("environment"), f"{prefix}DATABASE_URL")


class DepartmentCredentialSettings(ServiceSettings):
    """For services that admit department systems (the adapters' imports, collection's feeds back): the keys that
    sign their credentials (shared/department_auth.py) and the credentials withdrawn."""

    #: ``kid:secret,…``: one setting for every service that checks them, like KAFKA_BOOTSTRAP_SERVERS.
    department_auth_keys: str = Field(DEVELOPMENT_DEPARTMENT_KEYS, validation_alias=_env("DEPARTMENT_AUTH_KEYS"))
    department_auth_active_kid: str = Field("dev", validation_alias=_env("DEPARTMENT_AUTH_ACTIVE_KID"))
    #: Token ids (jti) of department credentials withdrawn before they expire, comma separated.
    department_revoked_tokens: str = Field("", validation_alias=_env("DEPARTMENT_REVOKED_TOKENS"))

    @field_validator("department_auth_keys")
    @classmethod
    def _no_development_key_outside_development(cls, value: str, info: ValidationInfo) -> str:
        return refuse_published_secrets(value, info.data.get("environment"), "DEPARTMENT_AUTH_KEYS",
                                        [DEVELOPMENT_DEPARTMENT_KEYS])


class AdapterSettings(DepartmentCredentialSettings):
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

    def format_options(self) -> dict[str, object]:
        """Keyword arguments the runner gives the format module's ``parse_export`` beyond the common ones: an
        adapter's own settings class (the row's ``settings``) names what its format reads."""
        return {}
