"""The 分納計画 page's own reading of the form: numbers as officers type them, the API's reasons led by the form's
labels, and which claims a plan may cover."""

import pytest

from services.console.plans_pages import plannable, reasons_in_japanese, whole_yen


@pytest.mark.parametrize(("typed", "value"), [("12000", 12_000), ("12,000", 12_000), ("１２，０００円", 12_000),
                                              ("6回", 6), ("", None), ("  ", None)])
def test_numbers_as_officers_type_them(typed: str, value: int | None) -> None:
    assert whole_yen(typed, "1回の納付額") == value


@pytest.mark.parametrize("typed", ["-5", "1.5", "三", "12a"])
def test_what_is_not_a_whole_number_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(ValueError, match=f"1回の納付額を数字で入力してください（入力：{typed}）"):
        whole_yen(typed, "1回の納付額")


def test_the_apis_reasons_are_led_by_the_forms_labels() -> None:
    detail = ("count: 0 instalments, but a plan has 1 to 60; count, amount: give either; day_of_month: 40; "
              "something else")
    assert reasons_in_japanese(detail) == [
        "分納回数：count: 0 instalments, but a plan has 1 to 60", "分納回数・1回の納付額：count, amount: give either",
        "毎月の納期日：day_of_month: 40", "something else"]


def test_only_delinquent_claims_with_something_open_oldest_first() -> None:
    claim = {"department": "tax", "claim_id": "T-1", "status": "delinquent", "balance": 0, "late_charge": 0,
             "fees": 0, "due_date": "2024-06-30"}
    claims = [claim,
              {**claim, "claim_id": "T-2", "balance": 5_000, "due_date": "2024-07-31"},
              {**claim, "claim_id": "T-3", "late_charge": 300, "due_date": "2024-05-31"},  # a fixed 延滞金 alone
              {**claim, "claim_id": "T-4", "status": "open", "balance": 9_000}]
    assert [c["claim_id"] for c in plannable(claims)] == ["T-3", "T-2"]
