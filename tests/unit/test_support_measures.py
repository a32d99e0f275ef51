"""DV等支援措置: a protected person's address never leaves the city — not to a firm (the case they receive, the
file they download), not to a bank (財産調査), not to the welfare webhook — while letters the city mails to the
person themselves still carry it. Each piece read back as the outsider would: the contract, the PDF's text, the
CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pypdf
import pytest

from services.collection.notices import Numbering, build, overdue
from services.collection.protection import STAFF_WARNING, contact_for_firm
from services.lawyer_gateway.case_file import ADDRESS_WITHHELD, CaseFileClaim, CaseFileData, render_case_file
from services.welfare_referral.assessment import check_details, looks_like_address
from shared.documents import AssetInquiry, WithheldAddressee, render_pdf
from shared.documents.letterhead import load_letterhead
from tests.unit.test_notices import LEDGER, TODAY

ADDRESS, POSTAL = "愛知県豊田市小坂本町1丁目5番地 ﾊｲﾂ小坂203", "471-0034"
PERSON = {"name_kanji": "山﨑 花子", "name_kana": "ﾔﾏｻﾞｷ ﾊﾅｺ", "postal_code": POSTAL, "address": ADDRESS,
          "phone": "0565-31-2222", "birth_date": "1980-02-03"}
PLACE_WORDS = ("小坂本町", "1丁目", "５番地", "5番地", "ﾊｲﾂ", "ハイツ", "471-0034", "4710034")


def test_a_firm_gets_the_name_and_phone_but_no_address_under_a_measure() -> None:
    protected = contact_for_firm(PERSON, address_protected=True)
    assert protected.address is None and protected.postal_code is None and protected.address_withheld
    assert protected.name_kanji == "山﨑 花子" and protected.phone == "0565-31-2222"
    assert not [w for w in PLACE_WORDS if w in protected.model_dump_json()]
    free = contact_for_firm(PERSON, address_protected=False)
    assert free.address == ADDRESS and free.postal_code == POSTAL and not free.address_withheld
    assert "birth_date" not in free.model_dump()  # a firm never learns a birth date, protected or not
    assert "DV等支援措置" in STAFF_WARNING


def pdf_text(document: object) -> str:
    return "".join("".join(page.extract_text().split())
                   for page in pypdf.PdfReader(io.BytesIO(render_pdf(document))).pages)  # type: ignore[arg-type]


def test_a_bank_inquiry_names_the_person_and_says_why_the_address_is_left_out() -> None:
    letterhead, numbering = load_letterhead(), Numbering(2024, 7)
    bank = {"name": "豊田信用金庫 本店", "postal_code": "4710025", "address": "愛知県豊田市西町1丁目1番地"}
    claims = overdue(LEDGER, keys=[("tax", "T-1")])
    withheld = build("asset_inquiry", letterhead=letterhead, numbering=numbering, issued_on=TODAY, person=PERSON,
                     claims=claims, late_charges={}, institution=bank, address_withheld=True)
    assert isinstance(withheld, AssetInquiry) and isinstance(withheld.subject, WithheldAddressee)
    text = pdf_text(withheld)
    assert "山﨑花子" in text and "支援措置対象者のため記載を省略します" in text
    assert [w for w in ("小坂本町", "471-0034", "ハイツ小坂") if w in text] == []
    # positive control: without the measure the same inquiry prints the address
    plain = pdf_text(build("asset_inquiry", letterhead=letterhead, numbering=numbering, issued_on=TODAY,
                           person=PERSON, claims=claims, late_charges={}, institution=bank))
    assert "小坂本町" in plain and "471-0034" in plain and "支援措置" not in plain
    # the city's own letter to the person keeps the address: it is theirs
    reminder = build("reminder", letterhead=letterhead, numbering=numbering, issued_on=TODAY, person=PERSON,
                     claims=claims, late_charges={}, address_withheld=True)
    assert "小坂本町" in pdf_text(reminder)
    with pytest.raises(ValueError, match="DV等支援措置"):
        build("reminder", letterhead=letterhead, numbering=numbering, issued_on=TODAY, person=PERSON, claims=claims,
              late_charges={}, for_outsourced_firm=True, address_withheld=True)


def test_the_case_file_a_firm_downloads_has_no_address_to_give() -> None:
    case = CaseFileData(case_ref="20250009", name_kanji="山﨑 花子", name_kana="ﾔﾏｻﾞｷ ﾊﾅｺ", address=None,
                        postal_code=None, phone="0565-31-2222", total_balance=8_250,
                        claims=(CaseFileClaim("W-1", "water", "water_supply_charge", "private", 2024,
                                              date(2024, 8, 20), 8_250),), address_withheld=True)
    content, _ = render_case_file(case, downloaded_by="sato", firm_name="山田法律事務所",
                                  downloaded_at=datetime(2025, 4, 7, tzinfo=UTC))
    rows = {r[0]: r[1:] for r in csv.reader(io.StringIO(content.decode("utf-8-sig"))) if r}
    assert rows["住所"] == [ADDRESS_WITHHELD] and rows["郵便番号"] == [""]


@pytest.mark.parametrize("text", [
    "愛知県豊田市小坂本町1丁目5番地", "〒471-0034 に住んでいる", "4710034", "小坂本町１−５−２０３",
    "豊田市西町3-60-1 ハイツ", "名古屋市中区三の丸三丁目", "実家は豊田市挙母町", "札幌市中央区北1条西2",
    "住所 1番3号"])
def test_an_address_in_staffs_free_text_is_recognised(text: str) -> None:
    assert looks_like_address(text), text


@pytest.mark.parametrize("text", [
    "090-1234-5678", "0565-31-2222 (平日午後)", "夕方以降に携帯へ", "本人は就労中、昼休みなら可", "03-1234-5678",
    "世帯4人、子2人"])
def test_a_phone_number_or_a_time_to_call_is_not_an_address(text: str) -> None:
    assert not looks_like_address(text), text


def test_the_welfare_referral_of_a_protected_person_refuses_an_address_only() -> None:
    scope = frozenset({"contact", "household"})
    with pytest.raises(ValueError, match=r"details\.contact: .*DV等支援措置") as refused:
        check_details({"contact": "豊田市小坂本町1丁目5番地 携帯090-1234-5678"}, scope, address_protected=True)
    assert "小坂本町" not in str(refused.value)  # the refusal names the field, never the text
    with pytest.raises(ValueError, match=r"details\.household"):
        check_details({"household": {"住まい": "〒471-0034"}}, scope, address_protected=True)
    check_details({"contact": "携帯090-1234-5678 平日17時以降"}, scope, address_protected=True)
    check_details({"contact": "豊田市小坂本町1丁目5番地"}, scope)  # no measure: the person gave it for welfare
