from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings


class CollectionSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="COLLECTION_", extra="ignore", populate_by_name=True)

    http_port: int = 8000

    database_url: str = "postgresql://collection_svc:collection-dev-password@127.0.0.1:15432/collection"
