from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from shared.auth import DEVELOPMENT_STAFF_KEYS, refuse_public_keys
from shared.settings import DatabaseSettings, DepartmentCredentialSettings


class CollectionSettings(DatabaseSettings, DepartmentCredentialSettings):
    model_config = SettingsConfigDict(env_prefix="COLLECTION_", extra="ignore", populate_by_name=True)

    http_port: int = 8000
    #: How often the feeds back to the departments are gathered (services/collection/feeds.py), and after how many
    #: days an item no department acknowledged is listed as overdue and counted in the alerting metric.
    feed_interval_seconds: float = Field(5.0, gt=0)
    feed_acknowledge_days: int = Field(3, ge=1, le=60)
    #: The file each department takes its feed in (GET /feeds/{department}/file without ``?format=``): ``standard``
    #: (the standard layout, contracts/standard_link) or ``own`` (its own export format, its format module's
    #: render_export). COLLECTION_FEED_FORMAT_TAX, …_INSURANCE, …_CHILDCARE, …_HOUSING, …_WATER.
    feed_format_tax: Literal["standard", "own"] = "standard"
    feed_format_insurance: Literal["standard", "own"] = "standard"
    feed_format_childcare: Literal["standard", "own"] = "standard"
    feed_format_housing: Literal["standard", "own"] = "standard"
    feed_format_water: Literal["standard", "own"] = "standard"

    database_url: str = "postgresql://collection_svc:collection-dev-password@127.0.0.1:15432/collection"
    #: Staff token signing keys, ``kid:secret,kid:secret`` (secrets of 32+ characters); the active kid signs.
    auth_keys: str = DEVELOPMENT_STAFF_KEYS
    auth_active_kid: str = "dev"
    auth_token_minutes: int = 480  # a working day
    #: Sign-in limits (shared/sign_in_limits.py): wrong passwords in a row before an account is locked, the first
    #: lockout (doubling per further failure, up to the maximum), and wrong passwords per client address a window.
    sign_in_account_failures: int = 5
    sign_in_lockout_seconds: float = 30.0
    sign_in_lockout_max_seconds: float = 900.0
    sign_in_address_failures: int = 20
    sign_in_address_window_seconds: float = 600.0
    assignment_policy_path: Path | None = None
    allocation_policy_path: Path | None = None
    #: The city's ordinance rules per receivable (延滞金 scheme, 督促手数料), dated; checked at start.
    ordinances_path: Path | None = None
    #: Whether the city levies 国民健康保険税 (5 years, 地方税法) or 国民健康保険料 (2 years, 国民健康保険法110条).
    national_health_insurance_levy: Literal["tax", "premium"] = Field(
        "tax", validation_alias=AliasChoices("NATIONAL_HEALTH_INSURANCE_LEVY", "national_health_insurance_levy"))
    #: The city's legal category per receivable (the adapters' setting of the same name), to check the ordinances.
    receivable_category_overrides: dict[str, str] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("RECEIVABLE_CATEGORY_OVERRIDES", "receivable_category_overrides"))
    #: The city's bureaus (局) for the outstanding-balance table (services/collection/policy/bureaus.v1.json when
    #: unset); validated at start: every receivable in exactly one bureau.
    report_bureaus_path: Path | None = None
    #: How often the case worker looks for queued debtors and for a new business date.
    case_worker_interval_seconds: float = 1.0

    def feed_format(self, department: str) -> Literal["standard", "own"]:
        """The department's chosen feed file format (``COLLECTION_FEED_FORMAT_<DEPARTMENT>``)."""
        chosen: Literal["standard", "own"] = getattr(self, f"feed_format_{department}")
        return chosen

    @field_validator("auth_keys")
    @classmethod
    def _no_development_key_outside_development(cls, value: str, info) -> str:  # type: ignore[no-untyped-def]
        return refuse_public_keys(value, info.data.get("environment"), "COLLECTION_AUTH_KEYS", DEVELOPMENT_STAFF_KEYS)
