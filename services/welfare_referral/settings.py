from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from shared.auth import DEVELOPMENT_STAFF_KEYS, refuse_public_keys
from shared.settings import DatabaseSettings

#: The webhook signing secret of development and tests; refused unless DEPLOYMENT_ENVIRONMENT is development or test.
DEVELOPMENT_WEBHOOK_SECRET = "welfare-webhook-development-secret-not-for-production"


class WelfareReferralSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="WELFARE_REFERRAL_", extra="ignore", populate_by_name=True)

    http_port: int = 8008
    database_url: str = "postgresql://welfare_referral_svc:welfare_referral-dev-password@127.0.0.1:15432/welfare_referral"
    #: The collection service's staff token keys: staff sign in there; welfare staff hold the ``welfare`` role.
    staff_auth_keys: str = DEVELOPMENT_STAFF_KEYS
    staff_auth_active_kid: str = "dev"
    #: The welfare side's system: where referrals are delivered (none: they wait, and the inbox API serves them).
    webhook_url: str | None = None
    #: Signing secrets, comma separated: each signs (one v1= per secret), so the receiver can rotate.
    webhook_secrets: str = DEVELOPMENT_WEBHOOK_SECRET
    webhook_timeout_seconds: float = 10.0
    #: First retry after this many seconds, doubling up to the cap (signing.retry_schedule).
    webhook_retry_base_seconds: float = 5.0
    webhook_retry_cap_seconds: float = 3600.0
    delivery_interval_seconds: float = 1.0
    #: A debtor whose referral closed is not suggested again for this many days.
    resuggest_after_days: int = 180
    #: A hardship signals policy file other than the shipped policy/signals.v1.json.
    signals_policy_path: str | None = None
    worker_interval_seconds: float = 1.0

    @field_validator("staff_auth_keys", "webhook_secrets")
    @classmethod
    def _no_development_key_outside_development(cls, value: str, info) -> str:  # type: ignore[no-untyped-def]
        return refuse_public_keys(value, info.data.get("environment"), f"WELFARE_REFERRAL_{info.field_name.upper()}",
                                  DEVELOPMENT_STAFF_KEYS, DEVELOPMENT_WEBHOOK_SECRET)

    def signing_secrets(self) -> list[bytes]:
        return [s.strip().encode() for s in self.webhook_secrets.split(",") if s.strip()]
