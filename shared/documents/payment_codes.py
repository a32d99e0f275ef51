"""The machine-readable codes on a 納付書: the convenience-store barcode and the payment QR code.

Both are built here as plain strings, apart from drawing, so that they can be checked and parsed back (the
collection service matches convenience-store payment records by the same fields).

コンビニ収納用バーコード (GS1-128,料金代理収納 standard): 44 digits including the application identifier (91),
printed as Code 128 with FNC1 in first position.

| digits | field | content |
| ---: | --- | --- |
| 2 | AI | ``91`` (company internal information) |
| 6 | 収納企業コード | ``9`` + the 5-digit code GS1 Japan assigned to the city's collection contract |
| 21 | 企業任意 | defined by the city: here its 納付番号 (claim reference digits), zero-padded |
| 1 | 再発行区分 | 0 for the first issue, 1–9 for reissues |
| 6 | 支払期限 | YYMMDD; stores refuse the slip after this day |
| 1 | 印紙フラグ | 0 no revenue stamp; 1 the store stamps the receipt. Receipts for a city's own revenue are exempt from stamp duty (印紙税法第5条), so cities print 0 |
| 6 | 支払金額 | yen, zero-padded; at most 999,999 (a larger amount cannot be coded) |
| 1 | チェックデジット | modulus 10, weights 3 and 1 from the rightmost of the 43 preceding digits (AI included) |

Before the first production run, compare one printed slip with the 収納代行会社's test procedure: the field split of
the 21 company digits and the check-digit range are what their validation checks.

Payment QR code (this system's own format, ASCII, lines separated by LF, keys in this order):

| line | example | content |
| --- | --- | --- |
| 1 | ``JPMUNIPAY/1`` | format name / version; a reader refuses versions it does not know |
| 2 | ``CITY:232114`` | 全国地方公共団体コード (6 digits with its check digit) |
| 3 | ``REF:R6-0001234-01`` | the claim reference printed on the slip (A–Z, a–z, 0–9, hyphen; ≤ 32) |
| 4 | ``AMT:1234567`` | amount in yen, no separators (any size: the QR also carries amounts the barcode cannot) |
| 5 | ``DUE:20240430`` | due date, YYYYMMDD |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

AI = "91"
CODE_LENGTH = 44
BARCODE_AMOUNT_LIMIT = 999_999
COMPANY_DIGITS = 21
QR_FORMAT = "JPMUNIPAY"
QR_VERSION = 1

_DIGITS = re.compile(r"^\d+$")
_REFERENCE = re.compile(r"^[A-Za-z0-9-]{1,32}$")
_QR_KEYS = ("CITY", "REF", "AMT", "DUE")


@dataclass(frozen=True, slots=True)
class ConvenienceStoreCode:
    """The fields of a 44-digit convenience-store code, as parsed back from a scan."""

    company_code: str
    company_digits: str
    reissue: int
    pay_by: date
    stamp_required: bool
    amount: int


@dataclass(frozen=True, slots=True)
class PaymentQr:
    """The fields of a payment QR code."""

    city_code: str
    claim_reference: str
    amount: int
    due_date: date


def _digits(field: str, value: str, length: int) -> str:
    if not isinstance(value, str) or len(value) != length or not _DIGITS.match(value) or not value.isascii():
        raise ValueError(f"{field} must be exactly {length} ASCII digits")
    return value


def check_digit(digits: str) -> str:
    """Modulus 10 with weights 3, 1, 3, … from the rightmost digit (the GS1 check digit)."""
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError("check digit input must be ASCII digits")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def city_code_is_valid(code: str) -> bool:
    """全国地方公共団体コード: 5 digits and a check digit (weights 6–2, modulus 11, ones digit of 11 − remainder)."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(code[:5], (6, 5, 4, 3, 2), strict=True)) % 11
    return int(code[5]) == (11 - remainder) % 10


def convenience_store_code(*, company_code: str, company_digits: str, pay_by: date, amount: int,
                           reissue: int = 0, stamp_required: bool = False) -> str:
    """The 44 digits of a convenience-store barcode; raises ValueError naming the field that cannot be coded."""
    _digits("company_code", company_code, 6)
    if not company_code.startswith("9"):
        raise ValueError("company_code must start with 9 (the 収納企業コード is 9 + five digits)")
    _digits("company_digits", company_digits, COMPANY_DIGITS)
    if isinstance(reissue, bool) or not isinstance(reissue, int) or not 0 <= reissue <= 9:
        raise ValueError("reissue must be a single digit 0-9 (再発行区分)")
    if not 2000 <= pay_by.year <= 2099:
        raise ValueError("pay_by must be in 2000-2099 (the code has a two-digit year)")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValueError("amount must be a positive integer number of yen")
    if amount > BARCODE_AMOUNT_LIMIT:
        raise ValueError(f"amount must be at most {BARCODE_AMOUNT_LIMIT:,} yen to fit the convenience-store code")
    body = (f"{AI}{company_code}{company_digits}{reissue}{pay_by:%y%m%d}{int(stamp_required)}{amount:06d}")
    return body + check_digit(body)


def normalise_scanned_code(text: str) -> str:
    """The 44 digits of a scan, whichever way the reader reports GS1 content: ``]C1`` prefix, ``(91)`` form,
    FNC1 as GS (0x1D), spaces or hyphens of a human-readable line."""
    value = text.removeprefix("]C1").replace("\x1d", "")
    return re.sub(r"[()\s-]", "", value)


def parse_convenience_store_code(text: str) -> ConvenienceStoreCode:
    """Parse and verify a scanned or printed convenience-store code; raises ValueError saying what is wrong."""
    code = normalise_scanned_code(text)
    _digits("code", code, CODE_LENGTH)
    if not code.startswith(AI + "9"):
        raise ValueError("code must start with AI 91 and a company code beginning with 9")
    if check_digit(code[:-1]) != code[-1]:
        raise ValueError("code has a wrong check digit")
    try:
        pay_by = date(2000 + int(code[30:32]), int(code[32:34]), int(code[34:36]))
    except ValueError:
        raise ValueError("code has an impossible pay_by date") from None
    if code[36] not in "01":
        raise ValueError("code has a stamp flag other than 0 or 1")
    return ConvenienceStoreCode(company_code=code[2:8], company_digits=code[8:29], reissue=int(code[29]),
                                pay_by=pay_by, stamp_required=code[36] == "1", amount=int(code[37:43]))


def human_readable(code: str) -> str:
    """The line printed under the bars, split at the field boundaries so a clerk can key it in by hand."""
    parts = (code[:2], code[2:8], code[8:29], code[29], code[30:36], code[36], code[37:43], code[43])
    return f"({parts[0]}){' '.join(parts[1:])}"


def payment_qr_text(*, city_code: str, claim_reference: str, amount: int, due_date: date) -> str:
    """The QR code's text (layout in the module docstring)."""
    if not city_code_is_valid(city_code):
        raise ValueError("city_code must be a 6-digit 全国地方公共団体コード with a valid check digit")
    if not _REFERENCE.match(claim_reference):
        raise ValueError("claim_reference must be 1-32 characters of A-Z, a-z, 0-9 or hyphen")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValueError("amount must be a positive integer number of yen")
    lines = (f"{QR_FORMAT}/{QR_VERSION}", f"CITY:{city_code}", f"REF:{claim_reference}", f"AMT:{amount}",
             f"DUE:{due_date:%Y%m%d}")
    return "\n".join(lines)


def parse_payment_qr(text: str) -> PaymentQr:
    """Parse a payment QR code's text; raises ValueError for another format, version or a malformed line."""
    lines = text.replace("\r\n", "\n").strip("\n").split("\n")
    if not lines or lines[0] != f"{QR_FORMAT}/{QR_VERSION}":
        raise ValueError(f"qr: not a {QR_FORMAT}/{QR_VERSION} payment code")
    fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    if tuple(fields) != _QR_KEYS or len(lines) != len(_QR_KEYS) + 1:
        raise ValueError(f"qr: expected the lines {', '.join(_QR_KEYS)} in that order")
    if not _DIGITS.match(fields["AMT"]) or not _DIGITS.match(fields["DUE"]) or len(fields["DUE"]) != 8:
        raise ValueError("qr: AMT and DUE must be digits")
    due = fields["DUE"]
    try:
        due_date = date(int(due[:4]), int(due[4:6]), int(due[6:]))
    except ValueError:
        raise ValueError("qr: DUE is not a calendar date") from None
    return PaymentQr(city_code=fields["CITY"], claim_reference=fields["REF"], amount=int(fields["AMT"]),
                     due_date=due_date)
