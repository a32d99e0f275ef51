"""The convenience-store code (44 digits, GS1 AI 91) and the payment QR text: layout, check digit, validation of
every field, and round trips through the parsers. Scanning the printed symbols is tested in
test_documents_render.py."""

from datetime import date

import pytest

from shared.documents import (
    check_digit,
    convenience_store_code,
    parse_convenience_store_code,
    parse_payment_qr,
    payment_qr_text,
)
from shared.documents.payment_codes import city_code_is_valid, human_readable, normalise_scanned_code

FIELDS = dict(company_code="912345", company_digits="000000000123456789012", pay_by=date(2024, 6, 30),
              amount=152_200)


@pytest.mark.parametrize(("digits", "expected"), [
    ("400638133393", "1"),  # EAN-13 4006381333931: the same modulus 10, weights 3/1 from the right
    ("629104150021", "3"),  # EAN-13 6291041500213
    ("0", "0"),
])
def test_check_digit_is_the_gs1_algorithm(digits: str, expected: str) -> None:
    assert check_digit(digits) == expected


def test_layout_field_by_field() -> None:
    code = convenience_store_code(**FIELDS, reissue=2)
    assert len(code) == 44 and code.isdigit()
    assert code[:2] == "91"  # AI
    assert code[2:8] == "912345"  # 収納企業コード
    assert code[8:29] == "000000000123456789012"  # 企業任意 (21)
    assert code[29] == "2"  # 再発行区分
    assert code[30:36] == "240630"  # 支払期限 YYMMDD
    assert code[36] == "0"  # 印紙フラグ
    assert code[37:43] == "152200"  # 支払金額
    assert code[43] == check_digit(code[:43])
    weighted = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(reversed(code)))
    assert weighted % 10 == 0


def test_round_trip_and_scanner_forms() -> None:
    code = convenience_store_code(**FIELDS, stamp_required=True)
    parsed = parse_convenience_store_code(code)
    assert (parsed.company_code, parsed.company_digits, parsed.reissue, parsed.pay_by, parsed.stamp_required,
            parsed.amount) == ("912345", FIELDS["company_digits"], 0, date(2024, 6, 30), True, 152_200)
    for scanned in ("]C1" + code, f"({code[:2]}){code[2:]}", human_readable(code), "\x1d" + code):
        assert normalise_scanned_code(scanned) == code
        assert parse_convenience_store_code(scanned) == parsed
    assert human_readable(code).startswith("(91)912345 ")


def test_largest_and_smallest_amounts() -> None:
    assert convenience_store_code(**FIELDS | {"amount": 999_999})[37:43] == "999999"
    assert convenience_store_code(**FIELDS | {"amount": 1})[37:43] == "000001"


@pytest.mark.parametrize(("change", "field"), [
    ({"amount": 1_000_000}, "amount"),
    ({"amount": 0}, "amount"),
    ({"company_code": "812345"}, "company_code"),
    ({"company_code": "91234"}, "company_code"),
    ({"company_code": "９12345"}, "company_code"),
    ({"company_digits": "123"}, "company_digits"),
    ({"company_digits": "00000000012345678901A"}, "company_digits"),
    ({"reissue": 10}, "reissue"),
    ({"pay_by": date(2100, 1, 1)}, "pay_by"),
])
def test_fields_that_cannot_be_coded(change: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} "):
        convenience_store_code(**FIELDS | change)


def test_amount_too_large_message() -> None:
    with pytest.raises(ValueError, match="amount must be at most 999,999 yen"):
        convenience_store_code(**FIELDS | {"amount": 1_000_000})


@pytest.mark.parametrize(("mangle", "reason"), [
    (lambda c: c[:-1] + str((int(c[-1]) + 1) % 10), "wrong check digit"),
    (lambda c: c[:-2], "exactly 44"),
    (lambda c: "92" + c[2:], "AI 91"),
])
def test_parse_refuses_damaged_codes(mangle, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_convenience_store_code(mangle(convenience_store_code(**FIELDS)))


def test_parse_refuses_impossible_date() -> None:
    body = convenience_store_code(**FIELDS)[:43]
    body = body[:30] + "241331" + body[36:]
    with pytest.raises(ValueError, match="pay_by"):
        parse_convenience_store_code(body + check_digit(body))


def test_qr_text_layout_and_round_trip() -> None:
    text = payment_qr_text(city_code="232114", claim_reference="R6-0001234-01", amount=1_234_567,
                           due_date=date(2024, 4, 30))
    assert text == "JPMUNIPAY/1\nCITY:232114\nREF:R6-0001234-01\nAMT:1234567\nDUE:20240430"
    parsed = parse_payment_qr(text)
    assert (parsed.city_code, parsed.claim_reference, parsed.amount, parsed.due_date) == (
        "232114", "R6-0001234-01", 1_234_567, date(2024, 4, 30))
    assert parse_payment_qr(text.replace("\n", "\r\n")) == parsed


@pytest.mark.parametrize(("change", "field"), [
    ({"city_code": "232115"}, "city_code"),
    ({"claim_reference": "R6 0001"}, "claim_reference"),
    ({"claim_reference": "納付-1"}, "claim_reference"),
    ({"amount": 0}, "amount"),
])
def test_qr_refuses_fields(change: dict, field: str) -> None:
    values = dict(city_code="232114", claim_reference="R6-1", amount=1, due_date=date(2024, 4, 30))
    with pytest.raises(ValueError, match=rf"^{field} "):
        payment_qr_text(**values | change)


@pytest.mark.parametrize("text", [
    "JPMUNIPAY/2\nCITY:232114\nREF:R6-1\nAMT:1\nDUE:20240430",
    "JPMUNIPAY/1\nREF:R6-1\nCITY:232114\nAMT:1\nDUE:20240430",
    "JPMUNIPAY/1\nCITY:232114\nREF:R6-1\nAMT:1\nDUE:20240431",
    "JPMUNIPAY/1\nCITY:232114\nREF:R6-1\nAMT:x\nDUE:20240430",
])
def test_qr_parse_refuses_other_versions_and_damage(text: str) -> None:
    with pytest.raises(ValueError, match="^qr: "):
        parse_payment_qr(text)


@pytest.mark.parametrize(("code", "valid"), [
    ("232114", True),  # 豊田市
    ("130001", True),  # 東京都
    ("011002", True),  # 札幌市
    ("131016", True),  # 千代田区
    ("232115", False), ("23211", False), ("２３２１１４", False),
])
def test_city_codes(code: str, valid: bool) -> None:
    assert city_code_is_valid(code) is valid
