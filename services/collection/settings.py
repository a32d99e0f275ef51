from pathlib import Path

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from shared.auth import DEVELOPMENT_STAFF_KEYS, refuse_public_keys
from shared.settings import DatabaseSettings


class CollectionSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="COLLECTION_", extra="ignore", populate_by_name=True)

    http_port: int = 8000

    database_url: str = "postgresql://collection_svc:collection-dev-password@127.0.0.1:15432/collection"
    #: Staff token signing keys, ``kid:secret,kid:secret`` (secrets of 32+ characters); the active kid signs.
    auth_keys: str = DEVELOPMENT_STAFF_KEYS
    auth_active_kid: str = "dev"
    auth_token_minutes: int = 480  # a working day
    assignment_policy_path: Path | None = None
    allocation_policy_path: Path | None = None
    #: The city's bureaus (局) for the outstanding-balance table (services/collection/policy/bureaus.v1.json when
    #: unset); validated at start: every receivable in exactly one bureau.
    report_bureaus_path: Path | None = None
    #: How often the case worker looks for queued debtors and for a new business date.
    case_worker_interval_seconds: float = 1.0

    @field_validator("auth_keys")
    @classmethod
    def _no_development_key_in_production(cls, value: str, info) -> str:  # type: ignore[no-untyped-def]
        return refuse_public_keys(value, info.data.get("environment"), "COLLECTION_AUTH_KEYS", DEVELOPMENT_STAFF_KEYS)
