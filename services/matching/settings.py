from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from shared.auth import DEVELOPMENT_STAFF_KEYS, refuse_public_keys
from shared.settings import DatabaseSettings


class MatchingSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore", populate_by_name=True)

    http_port: int = 8002

    database_url: str = "postgresql://matching_svc:matching-dev-password@127.0.0.1:15432/matching"
    #: The collection service's staff token keys (``kid:secret,…``): matching verifies the tokens it issues.
    auth_keys: str = DEVELOPMENT_STAFF_KEYS
    auth_active_kid: str = "dev"
    #: Transactions a consumed batch is split into, by partition, run side by side (PostgreSQL and Python overlap).
    parallel_transactions: int = 2
    model_path: str | None = None  # MATCHING_MODEL_PATH: a Fellegi–Sunter model file; default the packaged v1

    @field_validator("auth_keys")
    @classmethod
    def _no_development_key_outside_development(cls, value: str, info) -> str:  # type: ignore[no-untyped-def]
        return refuse_public_keys(value, info.data.get("environment"), "MATCHING_AUTH_KEYS", DEVELOPMENT_STAFF_KEYS)
