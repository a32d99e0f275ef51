"""Document models and formatting: what validates, what is refused (with the field named and no personal data in
the message), and the strings officials expect (円, 金…円, ￥…※, 令和X年度)."""

from datetime import date

import pytest
from pydantic import ValidationError

from shared.documents import (
    Addressee,
    AssetInquiry,
    ClaimLine,
    DemandNotice,
    InstallmentPledge,
    Issuer,
    PaymentSlip,
    Reminder,
    ScheduleRow,
    document_number,
    fiscal_year_label,
    installment_label,
    wareki,
    yen,
    yen_slip,
    yen_stated,
)
from shared.documents.templates import KINDS, wording

ISSUER = Issuer(city_name="豊田市", city_code="232114", authority="豊田市長　山田 太郎", office="債権管理課",
                phone="0565-34-0000", payment_account="豊田信用金庫 本店 普通 1234567 豊田市会計管理者")
NAME = "山﨑 花子"
ADDRESS = "愛知県豊田市西町三丁目60番地"
PERSON = Addressee(postal_code="471-8501", address=ADDRESS, name=NAME)
BANK = Addressee(postal_code="4710025", address="愛知県豊田市西町1丁目1番地", name="三河銀行 豊田支店長",
                 institution=True)
SLIP = PaymentSlip(claim_reference="R6-0001", amount=45_600, due_date=date(2024, 6, 10), company_code="912345",
                   company_digits="0" * 21)


def claim(department: str = "tax", category: str = "forced_public", principal: int = 45_600, late: int = 0,
          receivable: str = "市県民税") -> ClaimLine:
    return ClaimLine(department=department, receivable=receivable, fiscal_year=2024, installment="第1期",
                     due_date=date(2024, 4, 30), principal=principal, late_charge=late, legal_category=category)


# --------------------------------------------------------------------------------------------------- formatting


def test_yen_formats() -> None:
    assert yen(12_345) == "12,345円"
    assert yen(0) == "0円"
    assert yen_stated(1_234_567) == "金1,234,567円"
    assert yen_slip(12_345) == "￥12,345※"
    with pytest.raises(ValueError, match="negative"):
        yen(-1)
    with pytest.raises(TypeError):
        yen(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fiscal_year", "label"), [
    (2024, "令和6年度"), (2019, "令和元年度"), (2018, "平成30年度"), (1989, "平成元年度"), (2020, "令和2年度"),
])
def test_fiscal_year_labels(fiscal_year: int, label: str) -> None:
    assert fiscal_year_label(fiscal_year) == label


def test_dates_numbers_and_installments() -> None:
    assert wareki(date(2024, 4, 1)) == "令和6年4月1日"
    assert document_number("債管", 2024, 123) == "6債管第123号"
    assert document_number("債管", 2019, 1) == "1債管第1号"
    assert installment_label(1) == "第1期"
    assert installment_label(0) == "全期"
    with pytest.raises(ValueError, match="prefix"):
        document_number("債 管", 2024, 1)


# --------------------------------------------------------------------------------------------------- addressees


def test_addressee_normalises_postal_code_and_half_width_kana() -> None:
    person = Addressee(postal_code="〒４７１－８５０１", address="愛知県豊田市ﾆｼﾏﾁ3丁目", name="髙橋 一郎",
                       name_kana="ﾀｶﾊｼ ｲﾁﾛｳ")
    assert person.postal_code == "471-8501"
    assert person.name_kana == "タカハシ イチロウ"
    assert person.address == "愛知県豊田市ニシマチ3丁目"
    assert person.name == "髙橋 一郎"  # the variant kanji is kept exactly (no NFKC on names)
    assert person.honorific == "様"
    assert BANK.honorific == "殿"
    dakuten = Addressee(postal_code="4718501", address=ADDRESS, name="x", name_kana="ﾔﾏｻﾞｷ ﾊﾟﾝ")
    assert dakuten.name_kana == "ヤマザキ パン"


def test_postal_code_refused_without_echoing_input() -> None:
    with pytest.raises(ValidationError, match="postal_code") as caught:
        Addressee(postal_code="47-18501X", address=ADDRESS, name=NAME)
    assert NAME not in str(caught.value) and ADDRESS not in str(caught.value)
    assert NAME not in repr(PERSON) and ADDRESS not in repr(PERSON)


def test_city_code_check_digit() -> None:
    with pytest.raises(ValidationError, match="city_code"):
        ISSUER.model_validate(ISSUER.model_dump() | {"city_code": "232115"})


def test_models_are_frozen_and_money_is_integer_yen() -> None:
    with pytest.raises(ValidationError):
        PERSON.name = "x"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="principal"):
        ClaimLine.model_validate(claim().model_dump() | {"principal": 100.5})
    with pytest.raises(ValidationError, match="late_charge"):
        ClaimLine.model_validate(claim().model_dump() | {"late_charge": -1})


def test_claim_line_terms_and_tax_detection() -> None:
    assert claim().is_tax and claim().late_charge_term == "延滞金"
    health = claim(department="insurance", receivable="国民健康保険税")
    assert health.is_tax  # a tax although the insurance department levies it
    rent = claim(department="housing", category="private", receivable="市営住宅使用料")
    assert not rent.is_tax and rent.late_charge_term == "遅延損害金"
    with pytest.raises(ValidationError, match="receivable_type"):
        ClaimLine.model_validate(rent.model_dump() | {"receivable_type": "fixed_asset_tax"})
    coded = ClaimLine.model_validate(rent.model_dump() | {"receivable_type": "municipal_housing_rent"})
    assert coded.receivable_type == "municipal_housing_rent"


# ------------------------------------------------------------------------------------------------- legal rules


def test_demand_notice_dates() -> None:
    base = dict(document_number="6債管第1号", issuer=ISSUER, addressee=PERSON, claim=claim(), slip=SLIP)
    DemandNotice(issued_on=date(2024, 5, 20), pay_by=date(2024, 5, 30), **base)
    with pytest.raises(ValidationError, match="issued_on"):
        DemandNotice(issued_on=date(2024, 4, 30), pay_by=date(2024, 5, 30), **base)
    with pytest.raises(ValidationError, match="pay_by"):
        DemandNotice(issued_on=date(2024, 5, 20), pay_by=date(2024, 5, 20), **base)


def test_reminder_per_department_needs_one_department() -> None:
    claims = (claim(), claim(department="water", category="private", receivable="水道料金"))
    base = dict(document_number="6債管第2号", issued_on=date(2024, 6, 1), issuer=ISSUER, addressee=PERSON,
                severity="first", claims=claims, reply_by=date(2024, 6, 20))
    with pytest.raises(ValidationError, match="claims: a per-department reminder"):
        Reminder(**base)
    unified = Reminder(**base | {"unified": True})
    assert not unified.all_forced
    assert list(unified.department_totals) == ["tax", "water"]
    with pytest.raises(ValidationError, match="claims"):
        Reminder(**base | {"claims": ()})


def test_pledge_schedule_must_add_up() -> None:
    claims = (claim(principal=50_000, late=1_000),)
    rows = (ScheduleRow(number=1, due_date=date(2024, 7, 25), amount=25_000),
            ScheduleRow(number=2, due_date=date(2024, 8, 25), amount=25_000))
    base = dict(document_number="6債管第3号", issued_on=date(2024, 7, 1), issuer=ISSUER, pledger=PERSON,
                claims=claims)
    with pytest.raises(ValidationError, match=r"schedule: the instalments add up to 50,000円 but the claims total "
                                              r"51,000円") as caught:
        InstallmentPledge(schedule=rows, **base)
    assert NAME not in str(caught.value)
    fixed = rows[:1] + (ScheduleRow(number=2, due_date=date(2024, 8, 25), amount=26_000),)
    assert InstallmentPledge(schedule=fixed, **base).total == 51_000
    with pytest.raises(ValidationError, match=r"schedule\[1\].number"):
        InstallmentPledge(schedule=(fixed[0], fixed[1].model_copy(update={"number": 3})), **base)
    with pytest.raises(ValidationError, match=r"schedule\[1\].due_date"):
        InstallmentPledge(schedule=(fixed[0], fixed[1].model_copy(update={"due_date": date(2024, 7, 1)})), **base)


@pytest.mark.parametrize(("category", "label"), [("private", "私債権"), ("non_forced_public", "非強制徴収公債権")])
def test_asset_inquiry_refused_for_claims_that_are_not_forced(category: str, label: str) -> None:
    claims = (claim(), claim(department="housing", category=category, receivable="市営住宅使用料"))
    with pytest.raises(ValidationError, match=rf"claims\[1\].legal_category is {category} \({label}\)") as caught:
        AssetInquiry(document_number="6債管第4号", issued_on=date(2024, 7, 1), issuer=ISSUER, inquiry="bank",
                     institution=BANK, subject=PERSON, claims=claims, reply_by=date(2024, 7, 15))
    message = str(caught.value)
    assert "forced_public" in message and "強制徴収公債権" in message
    assert NAME not in message and ADDRESS not in message


def test_asset_inquiry_addresses_an_institution() -> None:
    with pytest.raises(ValidationError, match="institution"):
        AssetInquiry(document_number="6債管第4号", issued_on=date(2024, 7, 1), issuer=ISSUER, inquiry="employer",
                     institution=PERSON, subject=PERSON, claims=(claim(),), reply_by=date(2024, 7, 15))


def test_document_number_is_a_safe_key() -> None:
    with pytest.raises(ValidationError, match="document_number"):
        DemandNotice(document_number="../6債管第1号", issued_on=date(2024, 5, 20), issuer=ISSUER, addressee=PERSON,
                     claim=claim(), pay_by=date(2024, 5, 30), slip=SLIP)


def test_slip_barcode_only_up_to_999999_yen() -> None:
    assert SLIP.has_barcode and SLIP.barcode_data is not None and len(SLIP.barcode_data) == 44
    large = SLIP.model_copy(update={"amount": 1_000_000})
    assert not large.has_barcode and large.barcode_data is None
    assert "AMT:1000000" in large.qr_text(ISSUER)


# ---------------------------------------------------------------------------------------------------- templates


def test_templates_load_with_versions() -> None:
    for kind in KINDS:
        template = wording(kind)
        assert template.kind == kind and template.version
    assert wording("reminder").title("final_seizure") == "最終催告書（差押予告）"
    statutory = wording("demand_notice").text("late_charge.forced_public")
    assert "年14.6パーセント" in statutory and "延滞金特例基準割合" in statutory
    with pytest.raises(KeyError, match=r"\$pay_by"):
        wording("demand_notice").text("pay_by")
