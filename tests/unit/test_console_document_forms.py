"""What the console reads from the officer's forms for documents, 送付先 and window payments
(services/console/documents_pages.py): amounts only as integer yen (refusals name the field in Japanese), the
document request for a 督促状 or 催告書, the 送付先 chosen from a department's record or typed, and the confirmation
token that goes stale when the 送付先 changes."""

from datetime import date

import pytest

from services.console.documents_pages import (
    FormProblem,
    address_token,
    claim_designation,
    claim_words,
    designation,
    designation_refusal,
    document_request,
    mailing_choice,
    new_receipt_id,
    open_claims,
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
        document_request("D1", {"kind": "receipt"})
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


def test_document_requests_for_a_payment_slip_a_summary_and_an_asset_inquiry() -> None:
    assert document_request("D1", {"kind": "payment_slip"}, []) == {"kind": "payment_slip", "debtor_id": "D1",
                                                                    "claims": None}
    assert document_request("D1", {"kind": "payment_slip"}, ["tax:T-1", "water:W-2"])["claims"] == ["tax:T-1",
                                                                                                 "water:W-2"]
    with pytest.raises(FormProblem, match="^納付書に載せる債権"):
        document_request("D1", {"kind": "payment_slip"}, ["T-1"])
    assert document_request("D1", {"kind": "debtor_summary"}) == {"kind": "debtor_summary", "debtor_id": "D1"}
    inquiry = document_request("D1", {"kind": "asset_inquiry", "inquiry": "employer",
                                      "institution_name": "ﾄﾖﾀ精機株式会社　総務部",
                                      "institution_postal_code": "〒４７１－８５０１",
                                      "institution_address": "愛知県豊田市髙町1丁目1番地"})
    assert inquiry == {"kind": "asset_inquiry", "debtor_id": "D1", "inquiry": "employer",
                       "institution": {"name": "トヨタ精機株式会社 総務部", "postal_code": "471-8501",
                                       "address": "愛知県豊田市髙町1丁目1番地"}}
    bank = {"kind": "asset_inquiry", "institution_name": "豊田信用金庫 本店", "institution_postal_code": "4710025",
            "institution_address": "愛知県豊田市西町1丁目200番地"}
    assert document_request("D1", bank)["institution"]["postal_code"] == "4710025"
    with pytest.raises(FormProblem, match="^照会先の名称"):
        document_request("D1", {**bank, "institution_name": " "})
    with pytest.raises(FormProblem, match="^照会先の郵便番号"):
        document_request("D1", {**bank, "institution_postal_code": "471-002"})
    with pytest.raises(FormProblem, match="^照会先の所在地"):
        document_request("D1", {**bank, "institution_address": ""})
    with pytest.raises(FormProblem, match="^照会の種類"):
        document_request("D1", {**bank, "inquiry": "neighbour"})


CLAIMS = [
    {"department": "water", "claim_id": "W-0601", "receivable_type": "water_supply_charge", "fiscal_year": 2024,
     "installment": 1, "due_date": "2024-06-30", "balance": 4_500, "fees": 0, "status": "delinquent"},
    {"department": "tax", "claim_id": "T-2024-3", "receivable_type": "fixed_asset_tax", "fiscal_year": 2024,
     "installment": 3, "due_date": "2024-12-25", "balance": 12_000, "fees": 100, "status": "delinquent"},
    {"department": "tax", "claim_id": "T-2023-1", "receivable_type": "fixed_asset_tax", "fiscal_year": 2023,
     "installment": 1, "due_date": "2023-05-31", "balance": 0, "fees": 0, "status": "paid"},
]


def test_a_window_payment_names_claims_with_an_amount_each_and_refusals_name_the_claim() -> None:
    listed = open_claims(CLAIMS)
    assert [c["claim_id"] for c in listed] == ["W-0601", "T-2024-3"]  # oldest first, the paid one left out
    assert claim_words(listed[1]) == "市税 固定資産税・都市計画税 令和6年度 第3期"
    form = {"claim_tax:T-2024-3": "１２，０００円", "claim_water:W-0601": ""}
    assert claim_designation(form, listed, claim_words) == [{"department": "tax", "claim_id": "T-2024-3",
                                                              "amount": 12_000}]
    with pytest.raises(FormProblem, match="^上下水道 上水道料金 令和6年度 第1期への指定額：整数の円"):
        claim_designation({"claim_water:W-0601": "4500.5"}, listed, claim_words)
    labels = {"tax:T-2024-3": claim_words(listed[1])}
    over = designation_refusal("claims[0] (tax:T-2024-3): 12,101 yen designated is more than the claim's open "
                               "balance of 12,100 yen", labels)
    assert over == "市税 固定資産税・都市計画税 令和6年度 第3期への指定額：12,101円は、この債権の未納額12,100円を超えています"
    assert "もう未納額がありません" in designation_refusal("claims[0] (tax:T-2024-3): not an open claim of this payer",
                                                    labels)
    assert designation_refusal("receipt W1 is already recorded", labels) is None
