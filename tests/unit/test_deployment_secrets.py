"""Deny by default (issue 18 §1): the published development secrets only in a development or test deployment."""

import pytest

from services.collection.settings import CollectionSettings
from services.lawyer_gateway.settings import DEVELOPMENT_FIRM_KEYS, LawyerGatewaySettings
from services.matching.settings import MatchingSettings
from services.welfare_referral.settings import DEVELOPMENT_WEBHOOK_SECRET, WelfareReferralSettings
from shared.auth import DEVELOPMENT_STAFF_KEYS
from shared.deployment import (
    is_development,
    refuse_default_database_password,
    refuse_published_secrets,
    secrets_of,
)
from shared.ingest.adapter import adapter_spec
from shared.settings import DEVELOPMENT_DEPARTMENT_KEYS

REAL_DEPLOYMENTS = ["production", "prod", "Production", "production ", " development", "Development", "staging",
                    "compose", "dev", "testing", "", None]
OWN_KEY = "2026a:" + "k" * 48
DEV_STAFF_SECRET = DEVELOPMENT_STAFF_KEYS.split(":", 1)[1]


@pytest.mark.parametrize("environment", ["development", "test"])
def test_only_development_and_test_accept_published_secrets(environment: str) -> None:
    assert is_development(environment)
    assert refuse_published_secrets(DEVELOPMENT_STAFF_KEYS, environment, "X", [DEVELOPMENT_STAFF_KEYS])


@pytest.mark.parametrize("environment", REAL_DEPLOYMENTS)
@pytest.mark.parametrize("value", [
    DEVELOPMENT_STAFF_KEYS,                                   # the published key as is
    f"{OWN_KEY},{DEVELOPMENT_STAFF_KEYS}",                   # a production list that still holds it
    f"{OWN_KEY}, other:{DEV_STAFF_SECRET}",                  # the published secret under another key id
    f"  {DEVELOPMENT_STAFF_KEYS}  ,{OWN_KEY}",               # with spaces around it
])
def test_a_published_key_anywhere_in_the_list_is_refused(environment: str | None, value: str) -> None:
    assert not is_development(environment)
    with pytest.raises(ValueError, match="COLLECTION_AUTH_KEYS contains a published development key"):
        refuse_published_secrets(value, environment, "COLLECTION_AUTH_KEYS", [DEVELOPMENT_STAFF_KEYS])


@pytest.mark.parametrize("value", ["", " , ", ","])
def test_a_missing_secret_is_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(ValueError, match="WELFARE_REFERRAL_WEBHOOK_SECRETS must be set"):
        refuse_published_secrets(value, "production", "WELFARE_REFERRAL_WEBHOOK_SECRETS", [DEVELOPMENT_WEBHOOK_SECRET])


def test_own_keys_are_accepted_in_production() -> None:
    assert refuse_published_secrets(OWN_KEY, "production", "X", [DEVELOPMENT_STAFF_KEYS]) == OWN_KEY
    assert secrets_of("a:b:c, d") == ["a:b:c", "b:c", "d"]


@pytest.mark.parametrize("url, reason", [
    ("postgresql://collection_svc:collection-dev-password@db/collection", "uses a default database password"),
    ("postgresql://collection_svc:matching-dev-password@db/collection", "uses a default database password"),
    ("postgresql://collection_svc:postgres@db/collection", "uses a default database password"),
    ("postgresql://collection_svc@db/collection", "has no password"),
    ("postgresql://db/collection", "has no password"),
])
@pytest.mark.parametrize("environment", ["production", "staging", "compose", None])
def test_default_database_passwords_are_refused(url: str, reason: str, environment: str | None) -> None:
    with pytest.raises(ValueError, match=f"COLLECTION_DATABASE_URL {reason}"):
        refuse_default_database_password(url, environment, "COLLECTION_DATABASE_URL")
    assert refuse_default_database_password(url, "test", "COLLECTION_DATABASE_URL") == url


SERVICES = {
    "collection": (CollectionSettings, {"COLLECTION_AUTH_KEYS": OWN_KEY}),
    "matching": (MatchingSettings, {"MATCHING_AUTH_KEYS": OWN_KEY}),
    "lawyer_gateway": (LawyerGatewaySettings, {"LAWYER_GATEWAY_AUTH_KEYS": "f:" + "f" * 40,
                                               "LAWYER_GATEWAY_STAFF_AUTH_KEYS": OWN_KEY}),
    "welfare_referral": (WelfareReferralSettings, {"WELFARE_REFERRAL_STAFF_AUTH_KEYS": OWN_KEY,
                                                   "WELFARE_REFERRAL_WEBHOOK_SECRETS": "w" * 40}),
    "tax_adapter": (adapter_spec("tax").settings_cls, {"DEPARTMENT_AUTH_KEYS": "d:" + "d" * 40}),
}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_refuses_development_secrets_and_says_which_setting(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cls, own = SERVICES[name]
    database = {f"{name.upper()}_DATABASE_URL": f"postgresql://{name}_svc:an-own-password-4f9@db/{name}"} \
        if "database_url" in cls.model_fields else {}
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "development")
    cls()  # development: every built-in value is fine
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "Production")
    with pytest.raises(ValueError) as refused:
        cls()
    for setting in [*own, *database]:
        assert setting in str(refused.value)
    assert "-dev-password" not in str(refused.value) and "development-signing-key" not in str(refused.value)
    for key, value in {**own, **database}.items():
        monkeypatch.setenv(key, value)
    cls()
    published = {"COLLECTION_AUTH_KEYS": DEVELOPMENT_STAFF_KEYS, "MATCHING_AUTH_KEYS": DEVELOPMENT_STAFF_KEYS,
                 "LAWYER_GATEWAY_AUTH_KEYS": DEVELOPMENT_FIRM_KEYS, "LAWYER_GATEWAY_STAFF_AUTH_KEYS": DEVELOPMENT_STAFF_KEYS,
                 "WELFARE_REFERRAL_STAFF_AUTH_KEYS": DEVELOPMENT_STAFF_KEYS,
                 "WELFARE_REFERRAL_WEBHOOK_SECRETS": DEVELOPMENT_WEBHOOK_SECRET,
                 "DEPARTMENT_AUTH_KEYS": DEVELOPMENT_DEPARTMENT_KEYS}
    for key in own:  # a production list that keeps the development key next to its own is refused too
        monkeypatch.setenv(key, f"{own[key]},{published[key]}")
        with pytest.raises(ValueError, match=key):
            cls()
        monkeypatch.setenv(key, own[key])
