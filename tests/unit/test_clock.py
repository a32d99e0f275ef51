"""shared/clock.py: one business date for every service."""

from datetime import UTC, date, datetime

import pytest

from services.collection.settings import CollectionSettings
from services.welfare_referral.settings import WelfareReferralSettings
from shared.clock import business_date, configured_business_date


def test_unset_is_today_in_tokyo_not_in_utc() -> None:
    # 2025-01-31 15:30 UTC is 2025-02-01 00:30 in Tokyo
    assert business_date(None, datetime(2025, 1, 31, 15, 30, tzinfo=UTC)) == date(2025, 2, 1)
    assert business_date(None, datetime(2025, 1, 31, 14, 59, tzinfo=UTC)) == date(2025, 1, 31)
    assert business_date(date(2025, 1, 31), datetime(2026, 12, 5, tzinfo=UTC)) == date(2025, 1, 31)
    with pytest.raises(ValueError, match="timezone"):
        business_date(None, datetime(2025, 1, 31))


def test_one_variable_with_deprecated_aliases() -> None:
    assert configured_business_date({}) is None
    assert configured_business_date({"BUSINESS_DATE": " "}) is None
    assert configured_business_date({"BUSINESS_DATE": "2025-01-31"}) == date(2025, 1, 31)
    assert configured_business_date({"COLLECTION_BUSINESS_DATE": "2025-01-31"}) == date(2025, 1, 31)
    assert configured_business_date({"BUSINESS_DATE": "2025-01-31",
                                     "WELFARE_REFERRAL_BUSINESS_DATE": "2025-01-31"}) == date(2025, 1, 31)
    with pytest.raises(ValueError, match="WELFARE_REFERRAL_BUSINESS_DATE=2026-12-05 contradicts BUSINESS_DATE"):
        configured_business_date({"BUSINESS_DATE": "2025-01-31", "WELFARE_REFERRAL_BUSINESS_DATE": "2026-12-05"})
    with pytest.raises(ValueError, match="BUSINESS_DATE: '令和7年1月31日' is not a date"):
        configured_business_date({"BUSINESS_DATE": "令和7年1月31日"})


def test_every_service_reads_the_same_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COLLECTION_BUSINESS_DATE", "WELFARE_REFERRAL_BUSINESS_DATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BUSINESS_DATE", "2025-01-31")
    assert CollectionSettings().business_date == WelfareReferralSettings().business_date == date(2025, 1, 31)
    monkeypatch.setenv("WELFARE_REFERRAL_BUSINESS_DATE", "2026-12-05")
    with pytest.raises(ValueError, match="contradicts BUSINESS_DATE"):
        WelfareReferralSettings()
    monkeypatch.delenv("WELFARE_REFERRAL_BUSINESS_DATE")
    monkeypatch.delenv("BUSINESS_DATE")
    assert CollectionSettings().business_date is None
    assert CollectionSettings(business_date=date(2024, 4, 1)).business_date == date(2024, 4, 1)
