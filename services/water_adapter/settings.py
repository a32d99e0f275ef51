from pydantic_settings import SettingsConfigDict

from shared.settings import AdapterSettings


class WaterAdapterSettings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="WATER_ADAPTER_", extra="ignore", populate_by_name=True)

    http_port: int = 8006
