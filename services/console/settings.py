from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    """The staff console has no database and no topic: it signs staff in at collection and reads the published
    APIs of collection and matching with the signed-in officer's own token."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore", populate_by_name=True)

    http_port: int = 8010
    collection_url: str = "http://127.0.0.1:8000"
    matching_url: str = "http://127.0.0.1:8002"
    #: Set behind TLS (every real deployment): the session cookie is then sent over HTTPS only.
    cookie_secure: bool = False
    #: Seconds an API call may take before the page says the system is busy.
    api_timeout_seconds: float = 10.0
