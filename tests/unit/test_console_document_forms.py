"""What the console reads from the officer's forms for documents, 送付先 and window payments
(services/console/documents_pages.py): amounts only as integer yen (refusals name the field in Japanese), the
document request for a 督促状 or 催告書, the 送付先 chosen from a department's record or typed, and the confirmation
token that goes stale when the 送付先 changes."""

from datetime import date

import pytest

from services.console.documents_pages import (
    FormProblem,
    address_token,
    designation,
    document_request,
    mailing_choice,
    new_receipt_id,
    parse_count,
    parse_yen,
)


@pytest.mark.parametrize(("typed", "amount"), [
    ("12750", 12_750), ("12,750", 12_750), ("¥12,750", 12_750), ("１２，７５０", 12_750), ("12,750円", 12_750),
    (" ￥12750 ", 12_750),
])
def test_amounts_are_read_as_integer_yen(typed: str, amount: int) -> None:
    assert parse_yen(typed, "領収金額") == amount


@pytest.mark.parametrize("typed", ["12750.5", "-500", "0", "一万円", "12 750a", "1e4"])
def test_other_amounts_are_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(FormProblem, match="^領収金額："):
        parse_yen(typed, "領収金額")


def test_a_blank_amount_is_refused_only_where_required() -> None:
    with pytest.raises(FormProblem, match="領収金額：金額を入力してください"):
        parse_yen("  ", "領収金額")
    assert parse_yen("", "市税への指定額", required=False) is None


def test_designation_keeps_the_departments_given_and_names_a_bad_one() -> None:
    form = {"designated_tax": "3,000", "designated_water": "", "designated_housing": "500"}
    assert designation(form, ["tax", "water", "housing"], {}) == {"tax": 3_000, "housing": 500}
    with pytest.raises(FormProblem, match="^上下水道への指定額："):
        designation({"designated_water": "3.5"}, ["water"], {"water": "上下水道"})


def test_document_requests_for_a_demand_notice_and_a_reminder() -> None:
    assert document_request("D1", {"kind": "demand_notice", "claim": "tax:T-2024-001"}) == {
        "kind": "demand_notice", "department": "tax", "claim_id": "T-2024-001"}
    assert document_request("D1", {"kind": "reminder", "severity": "final", "department": ""}) == {
        "kind": "reminder", "debtor_id": "D1", "severity": "final", "department": None}
    with pytest.raises(FormProblem, match="^対象の債権"):
        document_request("D1", {"kind": "demand_notice", "claim": ""})
    with pytest.raises(FormProblem, match="^文書の種類"):
        document_request("D1", {"kind": "asset_inquiry"})
    with pytest.raises(FormProblem, match="^催告の段階"):
        document_request("D1", {"kind": "reminder", "severity": "angry"})


def test_a_mailing_choice_from_a_department_or_typed_with_a_reason() -> None:
    assert mailing_choice({"source": "water", "reason": "本人から申出"}) == {"from_department": "water",
                                                                          "reason": "本人から申出"}
    typed = mailing_choice({"source": "staff", "name": "髙橋 一郎", "postal_code": "〒４７１－８５０１",
                            "address": "豊田市西町3-60", "reason": "居所の申出"})
    assert typed == {"name": "髙橋 一郎", "postal_code": "471-8501", "address": "豊田市西町3-60", "reason": "居所の申出"}
    with pytest.raises(FormProblem, match="^理由"):
        mailing_choice({"source": "water", "reason": " "})
    with pytest.raises(FormProblem, match="^郵便番号・住所"):
        mailing_choice({"source": "staff", "name": "髙橋 一郎", "reason": "申出"})
    with pytest.raises(FormProblem, match="^郵便番号："):
        mailing_choice({"source": "staff", "name": "a", "postal_code": "47185", "address": "b", "reason": "c"})


def test_the_confirmation_goes_stale_when_the_mailing_address_changes() -> None:
    before = {"chosen": {"source": "department:tax", "set_at": "2025-01-31T01:00:00Z"}}
    after = {"chosen": {"source": "staff", "set_at": "2025-01-31T01:05:00Z"}}
    assert address_token(before) != address_token(after)
    assert address_token({"chosen": None}) == ""


def test_receipt_numbers_carry_the_day_and_differ() -> None:
    first, second = new_receipt_id(date(2025, 1, 31)), new_receipt_id(date(2025, 1, 31))
    assert first.startswith("W20250131-") and first != second


def test_a_wave_size_is_a_whole_number_within_the_limit() -> None:
    assert parse_count("", "件数", 200) == 200
    assert parse_count("５０件", "件数", 200) == 50
    for typed in ("0", "201", "1.5", "十"):
        with pytest.raises(FormProblem, match="^件数：1から200まで"):
            parse_count(typed, "件数", 200)
