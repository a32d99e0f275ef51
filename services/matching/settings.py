from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings


class MatchingSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore", populate_by_name=True)

    http_port: int = 8002

    database_url: str = "postgresql://matching_svc:matching-dev-password@127.0.0.1:15432/matching"
    model_path: str | None = None  # MATCHING_MODEL_PATH: a Fellegi–Sunter model file; default the packaged v1
