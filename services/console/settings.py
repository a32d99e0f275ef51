from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    """The staff console has no database and no topic: it signs staff in at collection and reads the published
    APIs of collection, matching and welfare referral with the signed-in officer's own token."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore", populate_by_name=True)

    http_port: int = 8010
    collection_url: str = "http://127.0.0.1:8000"
    matching_url: str = "http://127.0.0.1:8002"
    #: Welfare referral's API: the 360 shows a debtor's referrals as welfare's list shows them (states and codes,
    #: never anyone's notes; what consent does not cover stays with welfare).
    welfare_url: str = "http://127.0.0.1:8008"
    #: Set behind TLS (every real deployment): the session cookie is then sent over HTTPS only.
    cookie_secure: bool = False
    #: Seconds an API call may take before the page says the system is busy.
    api_timeout_seconds: float = 10.0
