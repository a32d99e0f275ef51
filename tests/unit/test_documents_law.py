"""Notices say what the law requires (issue 19 §6), read back from the PDF with pypdf: the 教示 per receivable, a
催告書 whose text follows what was actually sent before it, the consequence per legal category, and the seal."""

import io
from datetime import date

import pypdf
import pytest

from contracts.enums import LegalCategory
from shared.documents import Addressee, ClaimLine, DemandNotice, Issuer, PaymentSlip, Reminder, render_pdf
from shared.documents.appeals import AppealRoute, appeal_route, final_consequences, notice_history

ISSUER = Issuer(city_name="豊田市", prefecture="愛知県", city_code="232114", authority="豊田市長　山田 太郎",
                office="債権管理課", phone="0565-34-0000", payment_account="豊田信用金庫 本店 普通 1234567")
PERSON = Addressee(postal_code="471-8501", address="愛知県豊田市西町3丁目60番地", name="山﨑 太郎",
                   name_kana="ﾔﾏｻｷ ﾀﾛｳ")


def line(receivable: str, label: str, category: str, department: str) -> ClaimLine:
    return ClaimLine(department=department, receivable=label, receivable_type=receivable, fiscal_year=2024,
                     installment="第1期", due_date=date(2024, 6, 30), principal=12_300, legal_category=category)


TAX = line("individual_inhabitant_tax", "市県民税", "forced_public", "tax")
NHI_TAX = line("national_health_insurance_tax", "国民健康保険税", "forced_public", "insurance")
CARE = line("long_term_care_premium", "介護保険料", "forced_public", "insurance")
ELDERLY = line("late_elderly_medical_premium", "後期高齢者医療保険料", "forced_public", "insurance")
NHI_PREMIUM = ClaimLine(department="insurance", receivable="国民健康保険料", fiscal_year=2024, installment="第1期",
                        due_date=date(2024, 6, 30), principal=12_300, legal_category="forced_public")
NURSERY = line("nursery_fee", "保育料", "forced_public", "childcare")
RENT = line("municipal_housing_rent", "市営住宅使用料", "private", "housing")
WATER = line("water_supply_charge", "水道料金", "private", "water")


def compact(document) -> str:  # type: ignore[no-untyped-def]
    pdf = pypdf.PdfReader(io.BytesIO(render_pdf(document)))
    return "".join("".join(page.extract_text() for page in pdf.pages).split())


def demand(claim: ClaimLine, issuer: Issuer = ISSUER) -> DemandNotice:
    return DemandNotice(document_number="6債管第201号", issued_on=date(2024, 7, 10), issuer=issuer, addressee=PERSON,
                        claim=claim, pay_by=date(2024, 7, 20),
                        slip=PaymentSlip(claim_reference="N2024000002010", amount=12_300, due_date=date(2024, 7, 20),
                                         company_code="912345", company_digits="000000000123456789012"))


@pytest.mark.parametrize(("claim", "route"), [
    (TAX, AppealRoute.TAX), (NHI_TAX, AppealRoute.TAX), (NHI_PREMIUM, AppealRoute.NATIONAL_HEALTH_INSURANCE_BOARD),
    (CARE, AppealRoute.LONG_TERM_CARE_BOARD), (ELDERLY, AppealRoute.LATE_ELDERLY_MEDICAL_BOARD),
    (NURSERY, AppealRoute.PUBLIC), (RENT, AppealRoute.COURT), (WATER, AppealRoute.COURT),
    (line("municipal_housing_rent", "市営住宅使用料", "non_forced_public", "housing"), AppealRoute.PUBLIC),
])
def test_the_appeal_route_per_receivable(claim: ClaimLine, route: AppealRoute) -> None:
    assert appeal_route(claim) is route


# (claim, phrases the 教示 must contain, phrases it must not)
TEACHINGS = {
    "tax": (TAX, ["豊田市長に対して審査請求", "地方税法第19条の4", "差押えに係る通知を受けた日", "3か月を経過した日以後",
                  "地方税法第19条の12", "裁決を経た後でなければ提起することができず", "1年を経過したとき"],
            ["審査会"]),
    "nhi_tax": (NHI_TAX, ["地方税法第19条の4", "豊田市長に対して審査請求"], ["国民健康保険審査会"]),
    "nhi_premium": (NHI_PREMIUM, ["愛知県国民健康保険審査会に対して審査請求", "国民健康保険法第91条第1項",
                                  "国民健康保険法第103条の規定により、審査請求に対する裁決を経た後でなければ"],
                    ["地方税法第19条の4", "豊田市長に対して審査請求"]),
    "care": (CARE, ["愛知県介護保険審査会に対して審査請求", "介護保険法第183条第1項", "介護保険法第196条"],
             ["地方税法第19条の4"]),
    "elderly": (ELDERLY, ["愛知県後期高齢者医療審査会に対して審査請求", "高齢者の医療の確保に関する法律第128条第1項",
                          "高齢者の医療の確保に関する法律第130条"], ["地方税法第19条の4"]),
    "nursery": (NURSERY, ["豊田市長に対して審査請求", "処分の取消しの訴えを提起することができます"],
                ["裁決を経た後でなければ", "地方税法第19条の4", "審査会"]),
    "rent": (RENT, ["審査請求をすることはできません", "支払督促又は訴訟の手続", "法的措置"],
             ["審査請求をすることができます", "滞納処分"]),
}


@pytest.mark.parametrize("key", sorted(TEACHINGS))
def test_a_demand_notice_teaches_the_appeal_its_receivable_has(key: str) -> None:
    claim, present, absent = TEACHINGS[key]
    text = compact(demand(claim))
    for phrase in present:
        assert phrase in text, phrase
    for phrase in absent:
        assert phrase not in text, phrase


def test_a_board_needs_the_prefecture_of_the_letterhead() -> None:
    with pytest.raises(ValueError, match="issuer.prefecture"):
        render_pdf(demand(CARE, ISSUER.model_copy(update={"prefecture": None})))
    assert "審査請求" in compact(demand(TAX, ISSUER.model_copy(update={"prefecture": None})))


def test_the_seal_as_the_city_set_it() -> None:
    assert "豊田市長山田太郎（公印省略）" in compact(demand(TAX))
    impressed = compact(demand(TAX, ISSUER.model_copy(update={"seal": "impressed"})))
    assert "公印省略" not in impressed and "豊田市長山田太郎印" in impressed
    with pytest.raises(ValueError, match="seal"):
        Issuer(**{**ISSUER.model_dump(), "seal": "stamped"})


# --- what a 催告書 says preceded it, and what follows ---------------------------------------------------------


def test_the_history_is_what_every_listed_claim_had() -> None:
    assert notice_history([True, True], [True, True]) == "demand_notice_and_reminder"
    assert notice_history([True, True], [True, False]) == "demand_notice"
    assert notice_history([True, False], [True, True]) == "reminder"
    assert notice_history([False], [False]) == "none"
    assert notice_history([], []) == "none"


def test_final_consequences_per_category() -> None:
    forced, private = LegalCategory.FORCED_PUBLIC, LegalCategory.PRIVATE
    assert final_consequences([forced], "demand_notice") == ["seizure"]
    assert final_consequences([forced], "reminder") == ["seizure_after_demand"]
    assert final_consequences([private, LegalCategory.NON_FORCED_PUBLIC], "demand_notice_and_reminder") == ["court"]
    assert final_consequences([forced, private], None) == ["seizure_after_demand", "court_after_demand"]


def reminder(claims: tuple[ClaimLine, ...], history: str | None, severity: str = "final") -> Reminder:
    return Reminder(document_number="6債管第202号", issued_on=date(2024, 9, 2), issuer=ISSUER, addressee=PERSON,
                    severity=severity, unified=True, claims=claims, reply_by=date(2024, 9, 9),
                    history=history)  # type: ignore[arg-type]


def test_a_final_reminder_with_nothing_sent_before_claims_nothing_was() -> None:
    text = compact(reminder((TAX,), "none"))
    assert "最終催告書" in text and "これが最終の催告です" in text
    assert "督促状" not in text.replace("督促状を発したうえで", "")  # no 督促状 claimed as sent
    assert "催告書により" not in text and "差押予告" not in text
    assert "督促状を発したうえで、法令の規定により財産を調査し、差押えなどの滞納処分を行うことがあります" in text


def test_unknown_history_is_read_as_nothing_sent() -> None:
    assert compact(reminder((RENT,), None)) == compact(reminder((RENT,), "none"))


def test_a_final_reminder_after_a_demand_notice_says_so_and_announces_seizure() -> None:
    text = compact(reminder((TAX, NHI_TAX), "demand_notice"))
    assert "最終催告書（差押予告）" in text and "督促状により納付をお願いしましたが" in text
    assert "催告書により" not in text and "差押えなどの滞納処分を行います" in text


def test_a_final_reminder_over_forced_and_private_claims_states_both_consequences() -> None:
    text = compact(reminder((TAX, RENT), "demand_notice_and_reminder"))
    assert "差押予告" not in text and "これまで督促状及び催告書により" in text
    assert "強制徴収公債権（市県民税）について：" in text and "差押えなどの滞納処分を行います" in text
    assert "その他の債権（市営住宅使用料）について：" in text and "支払督促の申立てや訴訟の提起などの法的措置" in text


@pytest.mark.parametrize(("history", "title", "phrase"), [
    ("none", "催告書", "納期限を過ぎ"),
    ("demand_notice", "催告書", "督促状によりお知らせしましたが"),
    ("reminder", "催告書（再催告）", "催告書により再三にわたり"),
])
def test_a_second_reminder_is_a_re_reminder_only_after_a_reminder(history: str, title: str, phrase: str) -> None:
    text = compact(reminder((WATER,), history, "second"))
    assert phrase in text
    assert ("催告書（再催告）" in text) == (title == "催告書（再催告）")
