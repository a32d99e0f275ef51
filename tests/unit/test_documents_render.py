"""Every document kind rendered from synthetic data and read back: text extracted with pypdf (names with variant
kanji, amounts, era dates, statutory wording), pages rasterised with pypdfium2 and the GS1-128 barcode and QR
code decoded with zxing-cpp, fonts checked to be the embedded IPAex ones; then the refusals and batches.

Each document is rendered once per module (fixtures) to keep the file fast."""

import io
from datetime import date

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from shared.documents import (
    Addressee,
    AssetInquiry,
    ClaimLine,
    ContactEntry,
    DebtorSummary,
    DemandNotice,
    InstallmentPledge,
    Issuer,
    PaymentSlip,
    PaymentSlipDocument,
    Reminder,
    ScheduleRow,
    parse_convenience_store_code,
    parse_payment_qr,
    render_batch,
    render_pdf,
)
from shared.documents import render as render_module
from shared.documents.payment_codes import normalise_scanned_code
from shared.documents.templates import wording

ISSUER = Issuer(city_name="豊田市", city_code="232114", authority="豊田市長　山田 太郎", office="債権管理課",
                phone="0565-34-0000", hours="平日8時30分～17時15分", office_address="愛知県豊田市西町3丁目60番地",
                payment_account="豊田信用金庫 本店 普通 1234567 豊田市会計管理者")
LONG_ADDRESS = ("愛知県豊田市西町三丁目60番地の1 豊田市営住宅西町団地第一号棟1234号室 "
                "（旧住所表示 豊田市挙母町字西町百二十三番地の四）")
TAKAHASHI = Addressee(postal_code="4718501", address=LONG_ADDRESS, name="髙橋 一郎", name_kana="ﾀｶﾊｼ ｲﾁﾛｳ")
YAMAZAKI = Addressee(postal_code="471-0034", address="愛知県豊田市小坂本町1丁目5番地", name="山﨑 花子",
                     name_kana="ヤマザキ ハナコ")
BANK = Addressee(postal_code="471-0025", address="愛知県豊田市西町1丁目1番地", name="三河銀行 豊田支店長",
                 institution=True)


def claim(department: str, receivable: str, category: str, principal: int, late: int = 0,
          fiscal_year: int = 2024, installment: str = "第1期", due: date = date(2024, 4, 30)) -> ClaimLine:
    return ClaimLine(department=department, receivable=receivable, fiscal_year=fiscal_year, installment=installment,
                     due_date=due, principal=principal, late_charge=late, legal_category=category)


TAX = claim("tax", "市県民税", "forced_public", 45_600, 1_200)
HEALTH = claim("insurance", "国民健康保険税", "forced_public", 30_000, 500, fiscal_year=2023, due=date(2023, 7, 31))
NURSERY = claim("childcare", "保育料", "forced_public", 21_000)
RENT = claim("housing", "市営住宅使用料", "private", 48_000, 300, installment="4月分")
WATER = claim("water", "水道料金", "private", 5_600, installment="4・5月分")


def slip(amount: int, reference: str = "R6-0001234-01") -> PaymentSlip:
    return PaymentSlip(claim_reference=reference, amount=amount, due_date=date(2024, 6, 30), company_code="912345",
                       company_digits="000000000123456789012")


DOCUMENTS = {
    "demand": DemandNotice(document_number="6債管第101号", issued_on=date(2024, 5, 20), issuer=ISSUER,
                           addressee=TAKAHASHI, claim=TAX, pay_by=date(2024, 5, 30), slip=slip(45_600)),
    "reminder": Reminder(document_number="6債管第102号", issued_on=date(2024, 4, 1), issuer=ISSUER,
                         addressee=YAMAZAKI, severity="final", unified=True, claims=(TAX, HEALTH, NURSERY),
                         reply_by=date(2024, 4, 15), slip=slip(98_300, "R6-0001234-02"),
                         history="demand_notice_and_reminder"),
    "reminder_private": Reminder(document_number="6債管第103号", issued_on=date(2024, 6, 1), issuer=ISSUER,
                                 addressee=TAKAHASHI, severity="final", claims=(RENT,), reply_by=date(2024, 6, 20),
                                 for_outsourced_firm=True),
    "pledge": InstallmentPledge(
        document_number="6債管第104号", issued_on=date(2024, 7, 1), issuer=ISSUER, pledger=YAMAZAKI,
        pledger_phone="090-1234-5678", claims=(TAX, RENT),
        schedule=(ScheduleRow(number=1, due_date=date(2024, 7, 25), amount=50_000),
                  ScheduleRow(number=2, due_date=date(2024, 8, 26), amount=45_100))),
    "slip": PaymentSlipDocument(document_number="6債管第105号", issued_on=date(2024, 6, 1), issuer=ISSUER,
                                addressee=YAMAZAKI, claims=(RENT, WATER), slip=slip(1_234_567, "R6-0009999-01")),
    "inquiry": AssetInquiry(document_number="6債管第106号", issued_on=date(2024, 7, 1), issuer=ISSUER,
                            inquiry="bank", institution=BANK, subject=TAKAHASHI, subject_birth_date=date(1980, 2, 3),
                            claims=(TAX, HEALTH), reply_by=date(2024, 7, 16), history_from=date(2023, 7, 1)),
    "summary": DebtorSummary(
        document_number="6債管第107号", issued_on=date(2024, 7, 1), issuer=ISSUER, addressee=TAKAHASHI,
        claims=(TAX, HEALTH, NURSERY, RENT, WATER),
        plan_status=("分納誓約 令和6年7月1日 月額30,000円", "第1回 令和6年7月25日 納付済"),
        contacts=(ContactEntry(on=date(2024, 6, 3), text="電話にて納付相談。失業中のため分納を希望。"),
                  ContactEntry(on=date(2024, 6, 20), text="来庁。分納誓約書を作成。"))),
}


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    return {key: render_pdf(document) for key, document in DOCUMENTS.items()}


@pytest.fixture(scope="module")
def texts(pdfs: dict[str, bytes]) -> dict[str, str]:
    return {key: "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
            for key, pdf in pdfs.items()}


def flat(text: str) -> str:
    """Extracted text without line breaks or spaces, for phrases that wrap."""
    return "".join(text.split())


def scan(pdf: bytes, page: int = -1) -> list:
    document = pdfium.PdfDocument(pdf)
    image = document[page if page >= 0 else len(document) - 1].render(scale=3, grayscale=True).to_pil()
    return zxingcpp.read_barcodes(image, formats=(zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.QRCode))


# ------------------------------------------------------------------------------------------------------ text


def test_demand_notice_text(texts: dict[str, str]) -> None:
    text, compact = texts["demand"], flat(texts["demand"])
    assert "督促状" in text and "6債管第101号" in text
    assert "〒471-8501" in text and "髙橋" in text and "一郎" in text and "様" in text
    assert "タカハシ" in text  # half-width kana input printed full-width
    assert "令和6年5月20日" in text  # issued
    assert "指定期限令和6年5月30日" in compact
    assert "納期限の令和6年4月30日" in compact and "令和6年度" in text
    assert "金45,600円" in text and "46,800円" in text and "1,200円" in text
    assert "￥45,600※" in text
    assert "年14.6パーセント" in compact and "延滞金特例基準割合" in compact
    assert "滞納処分（財産の差押え）" in compact
    assert "地方税法の規定により督促します" in compact
    assert "審査請求" in compact


def test_long_address_wraps_in_the_window(texts: dict[str, str]) -> None:
    lines = texts["demand"].splitlines()
    assert flat(LONG_ADDRESS) in flat(texts["demand"])
    assert not any(flat(LONG_ADDRESS) in flat(line) for line in lines)  # wrapped over several lines


def test_unified_final_reminder_announces_seizure_for_forced_claims(texts: dict[str, str]) -> None:
    text, compact = texts["reminder"], flat(texts["reminder"])
    assert "最終催告書（差押予告）" in compact and "（一元化催告）" in compact
    assert "山﨑" in text and "花子" in text
    assert "令和6年4月1日" in text and "令和6年4月15日" in text
    assert "令和5年度" in text and "令和6年度" in text
    assert "所管別の内訳" in text and "市税" in text and "保険年金" in text and "保育給食" in text
    assert "金98,300円" in text and "97,700円" not in text
    assert "差押えなどの滞納処分を行います" in compact
    assert "￥98,300※" in text


def test_final_reminder_for_private_claims_mentions_legal_proceedings_only(texts: dict[str, str]) -> None:
    compact = flat(texts["reminder_private"])
    assert "最終催告書" in compact and "差押予告" not in compact
    assert "法的措置" in compact and "差押" not in compact and "滞納処分" not in compact
    assert "金48,300円" in compact and "4月分" in compact


def test_pledge_text(texts: dict[str, str]) -> None:
    text, compact = texts["pledge"], flat(texts["pledge"])
    assert "分納誓約書" in text and "山﨑" in text
    assert "（宛先）豊田市長山田太郎" in compact
    assert "合計金95,100円" in compact
    assert "第1回" in text and "令和6年7月25日" in text and "50,000円" in text
    assert "第2回" in text and "令和6年8月26日" in text and "45,100円" in text
    assert "残額を直ちに一括して納付" in compact
    assert "滞納処分（財産の差押え）" in compact and "法的措置" in compact  # a forced and a private claim
    assert "署名・押印欄" in text and "氏名（自署）" in text and "印" in text


def test_standalone_slip_over_the_barcode_limit(texts: dict[str, str], pdfs: dict[str, bytes]) -> None:
    compact = flat(texts["slip"])
    assert "￥1,234,567※" in compact
    assert "窓口・金融機関でお支払いください" in compact
    assert "遅延損害金" in compact
    found = scan(pdfs["slip"])
    assert [r.format for r in found] == [zxingcpp.BarcodeFormat.QRCode]  # no barcode, the QR still there
    qr = parse_payment_qr(found[0].text)
    assert (qr.amount, qr.claim_reference, qr.city_code) == (1_234_567, "R6-0009999-01", "232114")


def test_asset_inquiry_text(texts: dict[str, str]) -> None:
    text, compact = texts["inquiry"], flat(texts["inquiry"])
    assert "預貯金等の照会書" in text and "三河銀行" in text and "殿" in text
    assert "国税徴収法第141条" in compact and "地方税法第20条の11" in compact
    assert "髙橋" in text and "昭和55年2月3日" in text and "令和5年7月1日以降の取引履歴" in compact
    assert "令和6年7月16日" in text and "77,300円" in text


def test_debtor_summary_text(texts: dict[str, str]) -> None:
    text, compact = texts["summary"], flat(texts["summary"])
    assert "納付相談用" in text and "髙橋" in text
    assert "金152,200円" in compact  # 46,800 + 30,500 + 21,000 + 48,300 + 5,600
    for department in ("市税", "保険年金", "保育給食", "市営住宅", "上下水道"):
        assert department in text
    assert "令和6年6月3日" in text and "分納を希望" in compact and "月額30,000円" in compact


NON_FORCED = claim("childcare", "児童扶養手当返還金", "non_forced_public", 12_000)
VARIANTS = {
    "demand_private": (DOCUMENTS["demand"].model_copy(update={"claim": RENT}),
                       ["地方自治法施行令第171条", "遅延損害金", "法的措置", "審査請求をすることはできません"],
                       ["審査請求をすることができます", "滞納処分", "年14.6"]),
    "demand_non_forced": (DOCUMENTS["demand"].model_copy(update={"claim": NON_FORCED}),
                          ["地方自治法第231条の3第1項", "豊田市の条例に定める割合", "審査請求をすることができます",
                           "処分の取消しの訴えを提起"], ["滞納処分", "地方税法"]),
    "reminder_first": (DOCUMENTS["reminder_private"].model_copy(update={"severity": "first",
                                                                         "history": "demand_notice"}),
                       ["催告書", "督促状によりお知らせしましたが"], ["最終", "法的措置", "一元化"]),
    "reminder_second": (DOCUMENTS["reminder_private"].model_copy(update={"severity": "second",
                                                                          "history": "demand_notice_and_reminder"}),
                        ["催告書（再催告）", "再三にわたり"], ["最終"]),
    "employer": (DOCUMENTS["inquiry"].model_copy(update={"inquiry": "employer", "history_from": None}),
                 ["給与等の照会書", "退職手当", "総支給額"], ["預貯金等の照会書"]),
    "summary_empty": (DOCUMENTS["summary"].model_copy(update={"plan_status": (), "contacts": ()}),
                      ["記録はありません"], ["交渉経過日付"]),
}


@pytest.mark.parametrize("key", sorted(VARIANTS))
def test_wording_variants(key: str) -> None:
    document, present, absent = VARIANTS[key]
    compact = flat("".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(render_pdf(document))).pages))
    for phrase in present:
        assert phrase in compact, phrase
    for phrase in absent:
        assert phrase not in compact, phrase


def test_every_page_has_its_footer(texts: dict[str, str]) -> None:
    for key, document in DOCUMENTS.items():
        assert f"{document.document_number}　1頁" in texts[key]
        assert f"（様式 {document.kind} {wording(document.kind).version}）" in texts[key]


# ---------------------------------------------------------------------------------------------- symbols, fonts


def test_demand_notice_barcode_and_qr_decode(pdfs: dict[str, bytes]) -> None:
    expected = DOCUMENTS["demand"].slip.barcode_data
    found = {r.format: r for r in scan(pdfs["demand"])}
    barcode = found[zxingcpp.BarcodeFormat.Code128]
    assert barcode.content_type == zxingcpp.ContentType.GS1 and barcode.symbology_identifier == "]C1"
    assert normalise_scanned_code(barcode.text) == expected
    assert barcode.bytes.decode() == expected
    parsed = parse_convenience_store_code(barcode.text)
    assert (parsed.amount, parsed.pay_by) == (45_600, date(2024, 6, 30))
    assert found[zxingcpp.BarcodeFormat.QRCode].text == DOCUMENTS["demand"].slip.qr_text(ISSUER)


def test_reminder_slip_decodes(pdfs: dict[str, bytes]) -> None:
    found = {r.format: r.text for r in scan(pdfs["reminder"])}
    assert normalise_scanned_code(found[zxingcpp.BarcodeFormat.Code128]) == DOCUMENTS["reminder"].slip.barcode_data
    assert parse_payment_qr(found[zxingcpp.BarcodeFormat.QRCode]).amount == 98_300


def test_only_embedded_ipaex_fonts(pdfs: dict[str, bytes]) -> None:
    for pdf in (pdfs["demand"], pdfs["pledge"]):
        names = set()
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                names.add(str(font["/BaseFont"]).split("+")[-1])
                assert "/FontFile2" in font["/FontDescriptor"].get_object()  # embedded TrueType
        assert names == {"IPAexMincho", "IPAexGothic"}
        assert pdf.startswith(b"%PDF-")
    width, height = pypdf.PdfReader(io.BytesIO(pdfs["demand"])).pages[0].mediabox.upper_right
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points


def test_rendering_is_deterministic(pdfs: dict[str, bytes]) -> None:
    assert render_pdf(DOCUMENTS["pledge"]) == pdfs["pledge"]


def test_missing_font_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    missing = tmp_path / "ipaexm.ttf"
    monkeypatch.setitem(render_module.FONT_FILES, render_module.MINCHO, missing)
    with pytest.raises(render_module.FontNotFoundError, match="deploy/setup.sh") as caught:
        render_module._font_coverage.__wrapped__()
    assert str(missing) in str(caught.value) and "fonts-ipaexfont-mincho" in str(caught.value)


# ------------------------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(("claims", "field", "reason"), [
    ((WATER, TAX), r"claims\[1\]", "tax claim"),
    ((WATER, NURSERY), r"claims\[1\]", "legal_category forced_public"),
    ((claim("insurance", "国民健康保険税", "non_forced_public", 100),), r"claims\[0\]", "tax claim"),
])
def test_outsourced_firm_never_sees_tax_or_forced_claims(claims: tuple, field: str, reason: str) -> None:
    document = Reminder(document_number="6債管第201号", issued_on=date(2024, 6, 1), issuer=ISSUER,
                        addressee=TAKAHASHI, severity="first", unified=True, claims=claims,
                        reply_by=date(2024, 6, 20), for_outsourced_firm=True)
    with pytest.raises(ValueError, match=rf"^{field}: .*{reason}") as caught:
        render_pdf(document)
    assert "髙橋" not in str(caught.value) and LONG_ADDRESS not in str(caught.value)


def test_demand_notice_for_a_firm_names_the_claim() -> None:
    document = DOCUMENTS["demand"].model_copy(update={"for_outsourced_firm": True})
    with pytest.raises(ValueError, match=r"^claim: a tax claim"):
        render_pdf(document)


def test_character_missing_from_the_fonts_is_refused() -> None:
    person = TAKAHASHI.model_copy(update={"name": "\U00020bb7田 太郎"})  # 𠮷 (tsuchi-yoshi) is not in IPAex
    with pytest.raises(ValueError, match=r"^addressee\.name: character U\+20BB7") as caught:
        render_pdf(DOCUMENTS["demand"].model_copy(update={"addressee": person}))
    assert "太郎" not in str(caught.value)


def test_asset_inquiry_for_a_private_claim_cannot_be_built() -> None:
    with pytest.raises(ValueError, match=r"claims\[1\]\.legal_category is private \(私債権\)"):
        AssetInquiry.model_validate(DOCUMENTS["inquiry"].model_dump() | {"claims": (TAX, RENT)})


# -------------------------------------------------------------------------------------------------------- batch


@pytest.fixture(scope="module")
def batch() -> tuple:
    calls: list[tuple[int, int]] = []
    chosen = [DOCUMENTS["demand"], DOCUMENTS["reminder"], DOCUMENTS["pledge"]]
    return chosen, render_batch(chosen, progress=lambda done, total: calls.append((done, total))), calls


def test_batch_combined_and_per_document(batch: tuple, pdfs: dict[str, bytes]) -> None:
    chosen, result, calls = batch
    numbers = [document.document_number for document in chosen]
    assert list(result.documents) == numbers and list(result.page_counts) == numbers
    combined = pypdf.PdfReader(io.BytesIO(result.combined))
    assert len(combined.pages) == result.total_pages == sum(result.page_counts.values())
    for number, pdf in result.documents.items():
        assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == result.page_counts[number]
    assert result.documents["6債管第101号"] == pdfs["demand"]  # the archived file is what render_pdf makes
    first_pages = [sum(list(result.page_counts.values())[:i]) for i in range(3)]
    for number, index in zip(numbers, first_pages, strict=True):
        assert f"{number}　1頁" in combined.pages[index].extract_text()  # each document starts a new page
    assert calls == [(done, 6) for done in range(1, 7)]


def test_batch_refuses_duplicates_and_bad_documents_before_rendering() -> None:
    calls: list = []
    with pytest.raises(ValueError, match=r"documents\[1\]\.document_number duplicates documents\[0\]"):
        render_batch([DOCUMENTS["demand"], DOCUMENTS["demand"]], progress=lambda *a: calls.append(a))
    with pytest.raises(ValueError, match=r"^documents\[1\]\.claim: a tax claim"):
        render_batch([DOCUMENTS["pledge"], DOCUMENTS["demand"].model_copy(update={"for_outsourced_firm": True})],
                     progress=lambda *a: calls.append(a))
    with pytest.raises(ValueError, match="^documents: a batch needs at least one document"):
        render_batch([])
    assert calls == []
