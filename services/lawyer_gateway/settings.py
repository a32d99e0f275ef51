from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from shared.auth import DEVELOPMENT_STAFF_KEYS, refuse_public_keys
from shared.settings import DatabaseSettings

#: The firms' token signing key of development and tests; refused unless DEPLOYMENT_ENVIRONMENT is development or test.
DEVELOPMENT_FIRM_KEYS = "dev:lawyer-gateway-development-signing-key-not-for-production"


class LawyerGatewaySettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAWYER_GATEWAY_", extra="ignore", populate_by_name=True)

    http_port: int = 8007
    database_url: str = "postgresql://lawyer_gateway_svc:lawyer_gateway-dev-password@127.0.0.1:15432/lawyer_gateway"
    #: Keys that sign the firms' tokens (``kid:secret,…``, rotatable: add, make active, drop the old later).
    auth_keys: str = DEVELOPMENT_FIRM_KEYS
    auth_active_kid: str = "dev"
    token_minutes: int = 15
    #: The collection service's staff token keys: the central division reads the audit log and the alerts here.
    staff_auth_keys: str = DEVELOPMENT_STAFF_KEYS
    staff_auth_active_kid: str = "dev"
    #: Limits per client: requests a second, burst, request body size, page size.
    rate_per_second: float = 5.0
    rate_burst: int = 30
    max_body_bytes: int = 16_384
    #: Token requests per client address (a second, burst), besides the limit per client id: rotating client
    #: ids must not buy unlimited password hashing.
    sign_in_rate_per_second: float = 1.0
    sign_in_burst: int = 10
    page_limit: int = 50
    #: Unusual access: more distinct cases than this within the window raises an alert.
    alert_distinct_cases: int = 30
    alert_window_seconds: float = 300.0

    @field_validator("auth_keys", "staff_auth_keys")
    @classmethod
    def _no_development_key_outside_development(cls, value: str, info) -> str:  # type: ignore[no-untyped-def]
        return refuse_public_keys(value, info.data.get("environment"), f"LAWYER_GATEWAY_{info.field_name.upper()}",
                                  DEVELOPMENT_FIRM_KEYS, DEVELOPMENT_STAFF_KEYS)
