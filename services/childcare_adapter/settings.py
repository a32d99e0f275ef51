from pydantic_settings import SettingsConfigDict

from shared.settings import AdapterSettings


class ChildcareAdapterSettings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="CHILDCARE_ADAPTER_", extra="ignore", populate_by_name=True)

    http_port: int = 8004
