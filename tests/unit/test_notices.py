"""Which claims collection's documents list, their numbers, the slip's amount and codes (services/collection/
notices.py), without a database."""

from __future__ import annotations

from datetime import date

import pytest

from services.collection.ledger import ArrearsClass, Claim, ClaimBalance, ClaimStatus, DebtorLedger
from services.collection.notices import Numbering, addressee, build, fiscal_year_of, overdue
from shared.documents import AssetInquiry, DemandNotice, Reminder, parse_convenience_store_code, refusal_reason
from shared.documents.letterhead import load_letterhead

LETTERHEAD = load_letterhead()
TODAY = date(2025, 1, 31)
PERSON = {"name_kanji": "髙橋 一郎", "name_kana": "ﾀｶﾊｼ ｲﾁﾛｳ", "postal_code": "4718501",
          "address": "愛知県豊田市西町3丁目60番地"}


def balance(department: str, claim_id: str, amount: int, due: date, category: str, *, paid: int = 0,
            status: ClaimStatus = ClaimStatus.DELINQUENT, receivable: str = "water_supply_charge") -> ClaimBalance:
    claim = Claim(department=department, claim_id=claim_id, receivable_type=receivable, legal_category=category,
                  fiscal_year=2024, installment=1, due_date=due, amount=amount, assessed_on=date(2024, 4, 1))
    return ClaimBalance(claim=claim, principal=amount, paid=paid, status=status,
                        arrears_class=ArrearsClass.CURRENT_YEAR)


LEDGER = DebtorLedger(as_of=TODAY, claims=[
    balance("water", "W-2", 9_800, date(2024, 7, 31), "private"),
    balance("tax", "T-1", 42_000, date(2024, 6, 30), "forced_public", receivable="individual_inhabitant_tax"),
    balance("water", "W-paid", 5_000, date(2024, 5, 31), "private", paid=5_000, status=ClaimStatus.PAID),
    balance("water", "W-future", 3_000, date(2025, 3, 31), "private", status=ClaimStatus.OPEN),
])


def test_numbers_by_fiscal_year_with_reissues_and_previews() -> None:
    assert Numbering(2024, 123).number(LETTERHEAD) == "6債管第123号"
    assert Numbering(2024, 123, 2).number(LETTERHEAD) == "6債管第123号-再2"
    assert Numbering(2024, 0).number(LETTERHEAD) == "見本"
    assert Numbering(2024, 123, 2).reference == "N2024000001232"
    assert (fiscal_year_of(date(2025, 3, 31)), fiscal_year_of(date(2025, 4, 1))) == (2024, 2025)


def test_only_overdue_claims_with_an_open_principal_oldest_first() -> None:
    assert [c.claim.claim_id for c in overdue(LEDGER)] == ["T-1", "W-2"]
    assert [c.claim.claim_id for c in overdue(LEDGER, department="water")] == ["W-2"]
    assert [c.claim.claim_id for c in overdue(LEDGER, keys=[("water", "W-2")])] == ["W-2"]


def test_a_unified_reminder_and_its_slip_carry_principal_and_late_charges() -> None:
    document = build("reminder", letterhead=LETTERHEAD, numbering=Numbering(2024, 7), issued_on=TODAY,
                     person=PERSON, claims=overdue(LEDGER), late_charges={("tax", "T-1"): 1_200},
                     severity="final")
    assert isinstance(document, Reminder) and document.unified and document.reply_by == date(2025, 2, 7)
    assert [c.receivable for c in document.claims] == ["市民税・県民税（普通徴収）", "上水道料金"]
    assert document.slip is not None and document.slip.amount == 42_000 + 1_200 + 9_800
    code = parse_convenience_store_code(document.slip.barcode_data or "")
    assert code.amount == 53_000 and code.pay_by == date(2025, 2, 7)


def test_the_slip_and_every_table_count_the_fees_the_document_demands() -> None:
    """A 督促手数料 still open is demanded with the rest: the slip, the 所管別 table and each row add it (the CI
    failure: the slip said 1,500 yen less than the document's 未納額合計 for fifteen fees)."""
    document = build("reminder", letterhead=LETTERHEAD, numbering=Numbering(2024, 10), issued_on=TODAY,
                     person=PERSON, claims=overdue(LEDGER), late_charges={("tax", "T-1"): 1_200},
                     fees={("tax", "T-1"): 100})
    assert isinstance(document, Reminder)
    assert document.total == 42_000 + 1_200 + 100 + 9_800
    assert document.slip is not None and document.slip.amount == document.total
    assert parse_convenience_store_code(document.slip.barcode_data or "").amount == document.total
    tax_line = document.claims[0]
    assert (tax_line.charges, tax_line.total) == (1_300, 43_300)  # 延滞金等 + 本税 = 合計 on the row
    assert sum(p + c for p, c in document.department_totals.values()) == document.total


def test_a_demand_notice_is_for_one_claim_with_ten_days_to_pay() -> None:
    notice = build("demand_notice", letterhead=LETTERHEAD, numbering=Numbering(2024, 8), issued_on=TODAY,
                   person=PERSON, claims=overdue(LEDGER, keys=[("tax", "T-1")]), late_charges={})
    assert isinstance(notice, DemandNotice) and notice.pay_by == date(2025, 2, 10)
    with pytest.raises(ValueError, match="claims: a 督促状 is issued for one claim"):
        build("demand_notice", letterhead=LETTERHEAD, numbering=Numbering(2024, 9), issued_on=TODAY,
              person=PERSON, claims=overdue(LEDGER), late_charges={})


def test_refusals_name_the_field_and_never_the_person() -> None:
    with pytest.raises(ValueError, match="addressee: no department has sent this debtor's address"):
        addressee({"name_kanji": "髙橋 一郎"})
    with pytest.raises(ValueError, match="claims: the debtor has no overdue claim"):
        build("reminder", letterhead=LETTERHEAD, numbering=Numbering(2024, 1), issued_on=TODAY, person=PERSON,
              claims=[], late_charges={})
    with pytest.raises(ValueError, match="institution: an asset inquiry names"):
        build("asset_inquiry", letterhead=LETTERHEAD, numbering=Numbering(2024, 1), issued_on=TODAY,
              person=PERSON, claims=overdue(LEDGER, keys=[("tax", "T-1")]), late_charges={})
    with pytest.raises(ValueError, match=r"claims\[1\]\.legal_category is private") as private:  # no 財産調査
        build("asset_inquiry", letterhead=LETTERHEAD, numbering=Numbering(2024, 1), issued_on=TODAY,
              person=PERSON, claims=overdue(LEDGER), late_charges={},
              institution={"name": "豊田信用金庫", "postal_code": "4710025", "address": "愛知県豊田市西町1丁目"})
    assert "髙橋" not in str(private.value)
    assert refusal_reason(private.value).startswith("document: claims[1].legal_category is private (私債権)")
    with pytest.raises(ValueError) as postal:
        addressee({**PERSON, "postal_code": "12"})
    assert refusal_reason(postal.value) == "postal_code: postal_code must be seven digits, e.g. 471-8501"
    inquiry = build("asset_inquiry", letterhead=LETTERHEAD, numbering=Numbering(2024, 1), issued_on=TODAY,
                    person=PERSON, claims=overdue(LEDGER, keys=[("tax", "T-1")]), late_charges={},
                    institution={"name": "豊田信用金庫", "postal_code": "4710025", "address": "愛知県豊田市西町1丁目"})
    assert isinstance(inquiry, AssetInquiry) and inquiry.institution.institution


def test_a_pledge_must_pay_exactly_the_claims_and_a_slip_stands_alone() -> None:
    from shared.documents import InstallmentPledge, PaymentSlipDocument

    claims = overdue(LEDGER, keys=[("water", "W-2")])
    pledge = build("installment_pledge", letterhead=LETTERHEAD, numbering=Numbering(2024, 3), issued_on=TODAY,
                   person=PERSON, claims=claims, late_charges={("water", "W-2"): 200},
                   schedule=((date(2025, 2, 28), 5_000), (date(2025, 3, 31), 5_000)))
    assert isinstance(pledge, InstallmentPledge) and [r.number for r in pledge.schedule] == [1, 2]
    with pytest.raises(ValueError) as short:
        build("installment_pledge", letterhead=LETTERHEAD, numbering=Numbering(2024, 3), issued_on=TODAY,
              person=PERSON, claims=claims, late_charges={}, schedule=((date(2025, 2, 28), 5_000),))
    assert refusal_reason(short.value).startswith("document: schedule: the instalments add up to 5,000円")
    slip = build("payment_slip", letterhead=LETTERHEAD, numbering=Numbering(2024, 4), issued_on=TODAY,
                 person=PERSON, claims=claims, late_charges={})
    assert isinstance(slip, PaymentSlipDocument) and slip.slip.amount == 9_800


def test_a_reminder_says_only_what_every_listed_claim_had_before() -> None:
    from services.collection.notices import reminder_history

    claims = [("tax", "T1"), ("water", "W1")]
    by_department = [("tax", "T1", "demand_notice"), ("water", "W1", "demand_notice")]  # the departments' own
    assert reminder_history(claims, by_department) == "demand_notice"
    assert reminder_history(claims, [*by_department, ("tax", "T1", "reminder_letter")]) == "demand_notice"
    assert reminder_history(claims, [*by_department, ("tax", "T1", "reminder_letter"),
                                     ("water", "W1", "reminder_letter")]) == "demand_notice_and_reminder"
    assert reminder_history(claims, [("tax", "T1", "demand_notice"), ("tax", "T1", "reminder_phone")]) == "none"
    assert reminder_history(claims, [("tax", "OTHER", "demand_notice")]) == "none"
