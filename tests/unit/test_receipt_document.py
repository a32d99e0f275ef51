"""領収証書 (shared/documents Receipt): the amount in ¥ and 金…円, the day received in 和暦, the window's receipt
number, the document number and the city read back from the PDF; the payer named (variant kanji and half-width kana
kept as recorded, widened) and never an address; a re-issue says 再発行 and names the original; a receipt whose
parts do not add up, one dated before its payment, or a non-integer amount is refused naming the field."""

import io
from datetime import date

import pypdf
import pytest
from pydantic import ValidationError

from shared.documents import Receipt, ReceiptPart, WithheldAddressee, refusal_reason, render_batch, render_pdf
from shared.documents.letterhead import load_letterhead

ISSUER = load_letterhead().issuer


def receipt(**changes: object) -> Receipt:
    fields: dict[str, object] = {
        "document_number": "6債管第41号", "issued_on": date(2025, 1, 31), "issuer": ISSUER,
        "payer": WithheldAddressee(name="髙橋 一郎", name_kana="ﾀｶﾊｼ ｲﾁﾛｳ"), "receipt_id": "W20250131-0A1B",
        "paid_on": date(2025, 1, 31), "amount": 12_750,
        "parts": (ReceiptPart(department="tax", amount=10_000), ReceiptPart(department="water", amount=2_000)),
        "overpayment": 750, "received_by": "officer-7"}
    return Receipt(**{**fields, **changes})


def text_of(pdf: bytes) -> str:
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return text.replace(" ", "").replace("\u3000", "").replace("\n", "")


def test_a_receipt_states_amount_date_numbers_city_and_the_split() -> None:
    text = text_of(render_pdf(receipt()))
    assert "領収証書" in text and "再発行" not in text
    assert "¥12,750-" in text and "金12,750円" in text
    assert "令和7年1月31日に領収しました" in text
    assert "W20250131-0A1B" in text and "6債管第41号" in text
    assert "豊田市" in text
    assert "髙橋一郎様" in text and "タカハシイチロウ" in text  # the variant kanji kept, half-width kana widened
    assert "市税10,000円" in text and "上下水道2,000円" in text and "過納金（還付します）750円" in text
    assert "〒" not in text.split("お問い合わせ先")[0]  # no address of the payer anywhere above the office's own


def test_a_reissued_receipt_says_so_and_names_the_original() -> None:
    text = text_of(render_pdf(receipt(document_number="6債管第41号-再2", reissued=True, issued_on=date(2025, 2, 3))))
    assert "領収証書（再発行）" in text and "原本：6債管第41号" in text
    assert "令和7年1月31日に領収しました" in text  # the day received, not the day re-issued


def test_receipts_print_in_a_wave_with_other_documents() -> None:
    batch = render_batch([receipt(), receipt(document_number="6債管第42号", receipt_id="W20250131-0A1C")])
    assert batch.page_counts == {"6債管第41号": 1, "6債管第42号": 1}


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": 12_000}, "parts"),
    ({"paid_on": date(2025, 2, 1)}, "paid_on"),
    ({"amount": 12_750.0}, "amount"),
    ({"amount": "12750"}, "amount"),
    ({"receipt_id": "W 1/2"}, "receipt_id"),
    ({"parts": ()}, "parts"),
])
def test_a_receipt_that_does_not_add_up_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        receipt(**changes)
    reason = refusal_reason(refused.value)
    assert field in reason
    assert "髙橋" not in reason  # a refusal never repeats the payer's name


def test_a_receipt_names_the_claims_the_payer_designated() -> None:
    parts = (ReceiptPart(department="tax", amount=8_000, claim="固定資産税 令和6年度 第3期"),
             ReceiptPart(department="water", amount=2_000, claim="水道料金 令和6年度 第1期"),
             ReceiptPart(department="tax", amount=2_000))
    text = text_of(render_pdf(receipt(parts=parts)))
    assert "市税（固定資産税令和6年度第3期）8,000円" in text and "上下水道（水道料金令和6年度第1期）2,000円" in text
    assert "市税2,000円" in text and "納付者の指定により" in text
    plain = text_of(render_pdf(receipt()))
    assert "納付者の指定により" not in plain  # a receipt without a designation is printed as before
