"""The data each document prints, validated before anything is drawn.

Frozen pydantic models: money is integer yen, dates are ``datetime.date``, codes are the contracts' strings
(``Department``, ``LegalCategory``, receivable codes). A model that validates can be printed; the rules the law puts
on a document (a 督促状 after the due date, asset inquiries only for 強制徴収公債権, a pledge whose instalments add
up) are checked here so that an invalid document is never produced. Error messages name the field and never
repeat a person's name or address.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, ClassVar, Literal

import jaconv
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, field_validator, model_validator

from contracts.enums import Department, LegalCategory
from contracts.receivables import RECEIVABLES
from shared.documents.appeals import Consequence, History, final_consequences
from shared.documents.formatting import CATEGORY_LABELS, yen
from shared.documents.payment_codes import (
    BARCODE_AMOUNT_LIMIT,
    COMPANY_DIGITS,
    city_code_is_valid,
    convenience_store_code,
    payment_qr_text,
)

Yen = Annotated[StrictInt, Field(ge=0, le=10_000_000_000)]
PositiveYen = Annotated[StrictInt, Field(gt=0, le=10_000_000_000)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
FiscalYear = Annotated[int, Field(ge=1989, le=2200)]
Claims = Annotated[tuple["ClaimLine", ...], Field(min_length=1, max_length=500)]  # 500: a sanity bound

_POSTAL = re.compile(r"^([0-9]{3})-?([0-9]{4})$")
_DOCUMENT_NUMBER = re.compile(r"^[^\s/\\\x00-\x1f]{1,40}$")
#: receivables that are local taxes (地方税法第22条 applies): the tax department's and 国民健康保険税
_TAX_RECEIVABLES = frozenset({code for code, spec in RECEIVABLES.items() if spec.department is Department.TAX}
                             | {"national_health_insurance_tax"})


def widen_kana(text: str) -> str:
    """Half-width katakana (as legacy host systems export names) to full-width; nothing else is touched, so kanji
    variants such as 髙 and 﨑 stay exactly as recorded."""
    return jaconv.h2z(text, kana=True, ascii=False, digit=False)


class _Frozen(BaseModel):
    # hide_input_in_errors: a validation error must not echo names or addresses into logs
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Addressee(_Frozen):
    """Who a document is sent to, as printed in the envelope window."""

    postal_code: str = Field(repr=False, description="〒 seven digits, with or without the hyphen; kept as 471-8501.")
    address: LongText = Field(repr=False)
    name: Text = Field(repr=False)
    name_kana: Text | None = Field(default=None, repr=False)
    institution: bool = Field(default=False, description="A bank or employer: addressed with 殿 instead of 様.")

    @field_validator("postal_code", mode="before")
    @classmethod
    def _postal(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = _POSTAL.match(unicodedata.normalize("NFKC", value).strip().removeprefix("〒").strip())
        if match is None:
            raise ValueError("postal_code must be seven digits, e.g. 471-8501")
        return f"{match[1]}-{match[2]}"

    @field_validator("address", "name", "name_kana", mode="after")
    @classmethod
    def _kana(cls, value: str | None) -> str | None:
        return None if value is None else widen_kana(value)

    @property
    def honorific(self) -> str:
        return "殿" if self.institution else "様"


class WithheldAddressee(_Frozen):
    """A person named on a letter to someone else whose address must not be given (DV等支援措置): the letter names
    them and says why the address is left out; the model has nowhere to hold one."""

    name: Text = Field(repr=False)
    name_kana: Text | None = Field(default=None, repr=False)

    @field_validator("name", "name_kana", mode="after")
    @classmethod
    def _kana(cls, value: str | None) -> str | None:
        return None if value is None else widen_kana(value)


class Issuer(_Frozen):
    """The city office a document comes from."""

    city_name: Text = Field(description="e.g. 豊田市")
    prefecture: Text | None = Field(default=None, description="e.g. 愛知県: the 教示 of insurance premiums names its "
                                                              "審査会 (国民健康保険審査会, 介護保険審査会, …)")
    city_code: str = Field(description="全国地方公共団体コード, 6 digits with check digit (豊田市 232114).")
    authority: Text = Field(description="The issuing authority as printed, e.g. 豊田市長　山田太郎.")
    seal: Literal["omitted", "impressed"] = Field(
        default="omitted", description="The city's choice: 公印省略 printed under the authority (omitted), or the place "
                                       "of the official seal printed next to it (impressed)")
    office: Text = Field(description="The section handling the case, e.g. 債権管理課.")
    office_address: Text | None = None
    phone: Text
    hours: Text | None = Field(default=None, description="Office hours for consultations, e.g. 平日8時30分～17時15分.")
    payment_account: LongText = Field(description="Bank transfer details printed for payers who cannot use the slip.")

    @field_validator("city_code")
    @classmethod
    def _city_code(cls, value: str) -> str:
        if not city_code_is_valid(value):
            raise ValueError("city_code must be a 6-digit 全国地方公共団体コード with a valid check digit")
        return value


class ClaimLine(_Frozen):
    """One claim as listed on a document (one row of the claims table)."""

    department: Department
    receivable: Text = Field(description="Label as printed, e.g. 市県民税, 国民健康保険税, 保育料.")
    receivable_type: str | None = Field(default=None, description="Code from contracts.receivables, if known.")
    fiscal_year: FiscalYear
    installment: Text = Field(description="期別 as printed, e.g. 第1期 or 4月分.")
    due_date: date
    principal: Yen = Field(description="本税・本料 outstanding, in yen.")
    late_charge: Yen = Field(default=0, description="延滞金 or 遅延損害金 in yen.")
    fees: Yen = Field(default=0, description="督促手数料 and 滞納処分費 outstanding, in yen (in the total).")
    legal_category: LegalCategory

    @model_validator(mode="after")
    def _receivable_type(self) -> ClaimLine:
        if self.receivable_type is None:
            return self
        spec = RECEIVABLES.get(self.receivable_type)
        if spec is None:
            raise ValueError("receivable_type is not a code of contracts.receivables")
        if spec.department is not self.department:
            raise ValueError(f"receivable_type {self.receivable_type} belongs to department {spec.department}, "
                             f"not {self.department}")
        return self

    @property
    def charges(self) -> int:
        """What the 延滞金等 column prints: the late charge and the fees (everything but the principal), so that
        the columns of a row add up to its total."""
        return self.late_charge + self.fees

    @property
    def total(self) -> int:
        return self.principal + self.charges

    @property
    def is_tax(self) -> bool:
        """A local tax (地方税法第22条 secrecy applies): the tax department's claims, 国民健康保険税, any label
        naming a 税."""
        return (self.department is Department.TAX or self.receivable_type in _TAX_RECEIVABLES
                or "税" in self.receivable)

    @property
    def is_public(self) -> bool:
        return self.legal_category is not LegalCategory.PRIVATE

    @property
    def late_charge_term(self) -> str:
        """延滞金 for public claims, 遅延損害金 for private ones (Civil Code damages, not a statutory charge)."""
        return "延滞金" if self.is_public else "遅延損害金"


class ScheduleRow(_Frozen):
    """One instalment of a pledge."""

    number: Annotated[int, Field(ge=1, le=999)]
    due_date: date
    amount: PositiveYen


class ContactEntry(_Frozen):
    """One line of contact history (交渉経過)."""

    on: date
    text: LongText


class PaymentSlip(_Frozen):
    """納付書 data: what the convenience-store barcode and the QR code carry, and what the slip prints."""

    claim_reference: str = Field(pattern=r"^[A-Za-z0-9-]{1,32}$", description="納付番号 printed and in the QR.")
    amount: PositiveYen
    due_date: date = Field(description="The slip's last day of use (支払期限), also coded in the barcode.")
    company_code: str = Field(pattern=r"^9\d{5}$", description="収納企業コード: 9 and the 5 digits GS1 Japan gave.")
    company_digits: str = Field(pattern=rf"^\d{{{COMPANY_DIGITS}}}$",
                                description="The 21 company-defined digits (the city's 納付番号 layout).")
    reissue: Annotated[int, Field(ge=0, le=9)] = Field(default=0, description="再発行区分")

    @property
    def has_barcode(self) -> bool:
        """Amounts above 999,999 yen cannot be coded: such a slip is paid at a counter or bank only."""
        return self.amount <= BARCODE_AMOUNT_LIMIT

    @property
    def barcode_data(self) -> str | None:
        if not self.has_barcode:
            return None
        return convenience_store_code(company_code=self.company_code, company_digits=self.company_digits,
                                      pay_by=self.due_date, amount=self.amount, reissue=self.reissue)

    def qr_text(self, issuer: Issuer) -> str:
        return payment_qr_text(city_code=issuer.city_code, claim_reference=self.claim_reference,
                               amount=self.amount, due_date=self.due_date)


class Document(_Frozen):
    """What every document has: its number (the key of its PDF in a batch), date, issuer and who may see it."""

    kind: ClassVar[str]

    document_number: str = Field(description="文書番号, unique in a batch; no spaces or slashes (used as a file key).")
    issued_on: date
    issuer: Issuer
    for_outsourced_firm: bool = Field(
        default=False, description="Printed for an outside firm (lawyer, servicer): tax and forced claims refused.")

    @field_validator("document_number")
    @classmethod
    def _document_number(cls, value: str) -> str:
        if not _DOCUMENT_NUMBER.match(value):
            raise ValueError("document_number must be 1-40 characters without spaces, slashes or control characters")
        return value

    @property
    def all_claims(self) -> tuple[ClaimLine, ...]:
        return ()

    @property
    def claims_field(self) -> str:
        return "claims"


def _department_totals(claims: tuple[ClaimLine, ...]) -> dict[Department, tuple[int, int]]:
    totals: dict[Department, tuple[int, int]] = {}
    for claim in claims:
        principal, late = totals.get(claim.department, (0, 0))
        totals[claim.department] = (principal + claim.principal, late + claim.charges)
    return {department: totals[department] for department in Department if department in totals}


class _ListsClaims:
    """What every document listing claims in ``claims`` computes from them (mixed into those models)."""

    @property
    def all_claims(self) -> tuple[ClaimLine, ...]:
        return self.claims  # type: ignore[attr-defined, no-any-return]

    @property
    def total(self) -> int:
        return sum(claim.total for claim in self.all_claims)

    @property
    def department_totals(self) -> dict[Department, tuple[int, int]]:
        """(principal, late charges and fees) per department, in the Department enum's order."""
        return _department_totals(self.all_claims)


class DemandNotice(Document):
    """督促状: the statutory demand after a due date has passed, one per claim, with a 指定期限 (pay_by) the law
    requires to be stated (地方税法: ten days after issue is usual; the caller decides)."""

    kind: ClassVar[str] = "demand_notice"

    addressee: Addressee
    claim: ClaimLine
    pay_by: date = Field(description="指定期限")
    slip: PaymentSlip

    @model_validator(mode="after")
    def _dates(self) -> DemandNotice:
        if self.issued_on <= self.claim.due_date:
            raise ValueError("issued_on: a 督促状 is issued only after the claim's due_date has passed")
        if self.pay_by <= self.issued_on:
            raise ValueError("pay_by (指定期限) must be after issued_on")
        return self

    @property
    def all_claims(self) -> tuple[ClaimLine, ...]:
        return (self.claim,)

    @property
    def claims_field(self) -> str:
        return "claim"


class Reminder(_ListsClaims, Document):
    """催告書: a reminder listing many claims, per department or unified across departments (一元化催告)."""

    kind: ClassVar[str] = "reminder"

    addressee: Addressee
    severity: Literal["first", "second", "final"]
    unified: bool = Field(default=False, description="One reminder per debtor across departments (一元化催告).")
    claims: Claims
    reply_by: date = Field(description="Pay or consult by this date.")
    slip: PaymentSlip | None = None
    history: History | None = Field(
        default=None, description="What every listed claim had before (appeals.notice_history): the text says only "
                                  "that; None (unknown) says none, so a 催告書 never claims a 督促 nobody sent")

    @model_validator(mode="after")
    def _consistent(self) -> Reminder:
        if not self.unified and len({claim.department for claim in self.claims}) > 1:
            raise ValueError("claims: a per-department reminder lists claims of one department (set unified=True "
                             "for the 一元化催告)")
        if self.reply_by <= self.issued_on:
            raise ValueError("reply_by must be after issued_on")
        return self

    @property
    def all_forced(self) -> bool:
        """Seizure (差押) may be announced only when every listed claim can be enforced by 滞納処分."""
        return all(claim.legal_category is LegalCategory.FORCED_PUBLIC for claim in self.claims)

    @property
    def consequences(self) -> list[Consequence]:
        """What a final reminder announces, per legal category and history (appeals.final_consequences)."""
        return final_consequences((claim.legal_category for claim in self.claims), self.history)


class InstallmentPledge(_ListsClaims, Document):
    """分納誓約書: the debtor acknowledges the claims and pledges a schedule that pays exactly their total."""

    kind: ClassVar[str] = "installment_pledge"

    pledger: Addressee
    pledger_phone: Text | None = None
    claims: Claims
    schedule: tuple[ScheduleRow, ...]

    @model_validator(mode="after")
    def _schedule(self) -> InstallmentPledge:
        if not self.schedule:
            raise ValueError("schedule must have at least one instalment")
        for index, row in enumerate(self.schedule):
            if row.number != index + 1:
                raise ValueError(f"schedule[{index}].number must be {index + 1} (instalments are numbered 1, 2, …)")
            if index and row.due_date <= self.schedule[index - 1].due_date:
                raise ValueError(f"schedule[{index}].due_date must be after the previous instalment's")
        if self.schedule[0].due_date < self.issued_on:
            raise ValueError("schedule[0].due_date must not be before issued_on")
        scheduled = sum(row.amount for row in self.schedule)
        if scheduled != self.total:
            raise ValueError(f"schedule: the instalments add up to {yen(scheduled)} but the claims total "
                             f"{yen(self.total)}")
        return self

    @property
    def has_forced(self) -> bool:
        return any(claim.legal_category is LegalCategory.FORCED_PUBLIC for claim in self.claims)

    @property
    def has_court_claims(self) -> bool:
        return any(claim.legal_category is not LegalCategory.FORCED_PUBLIC for claim in self.claims)


class PaymentSlipDocument(_ListsClaims, Document):
    """納付書 on its own: a reissued slip or one instalment's slip, with the claims the amount is for."""

    kind: ClassVar[str] = "payment_slip"

    addressee: Addressee
    claims: Claims
    slip: PaymentSlip


class AssetInquiry(_ListsClaims, Document):
    """財産調査の照会書 to a bank (預貯金等照会) or an employer (給与照会).

    Administrative investigation (国税徴収法第141条, applied to local taxes and to other 強制徴収公債権 by 地方税法 and
    地方自治法第231条の3第3項) exists only for claims the city may enforce itself: any other claim is refused.
    """

    kind: ClassVar[str] = "asset_inquiry"

    inquiry: Literal["bank", "employer"]
    institution: Addressee = Field(description="The bank branch or employer, addressed with 殿.")
    subject: Addressee | WithheldAddressee = Field(
        description="The debtor (滞納者) the inquiry is about; without the address under a support measure.")
    subject_birth_date: date | None = None
    claims: Claims
    reply_by: date
    history_from: date | None = Field(default=None, description="Bank inquiries: transactions since this date.")

    @model_validator(mode="after")
    def _forced_only(self) -> AssetInquiry:
        for index, claim in enumerate(self.claims):
            if claim.legal_category is not LegalCategory.FORCED_PUBLIC:
                category = f"{claim.legal_category} ({CATEGORY_LABELS[claim.legal_category]})"
                raise ValueError(
                    f"claims[{index}].legal_category is {category}: an asset inquiry (財産調査) is allowed only for "
                    "forced_public claims (強制徴収公債権); collect this claim through the courts")
        if not self.institution.institution:
            raise ValueError("institution: set institution=True (a bank or employer is addressed with 殿)")
        if self.reply_by <= self.issued_on:
            raise ValueError("reply_by must be after issued_on")
        return self


class DebtorSummary(_ListsClaims, Document):
    """納付相談用の概要: one page for a consultation — every claim, totals per department, the instalment plan's
    status and the contact history."""

    kind: ClassVar[str] = "debtor_summary"

    addressee: Addressee
    claims: Claims
    plan_status: tuple[LongText, ...] = ()
    contacts: tuple[ContactEntry, ...] = ()


class ReceiptPart(_Frozen):
    """One department's part of a sum received (the central window splits a payment across departments)."""

    department: Department
    amount: PositiveYen
    claim: Text | None = Field(default=None, description="The claim the payer named for this part (固定資産税 令和6年度 "
                                                         "第3期); None: the department's order decides")


class Receipt(Document):
    """領収証書: what the central window hands the payer for a sum received, numbered like every document; a copy
    printed again (``reissued``) says 再発行 in its title. The payer is named without an address (the receipt is
    handed over the counter, and a protected person's address is never printed on it)."""

    kind: ClassVar[str] = "receipt"

    payer: WithheldAddressee
    receipt_id: str = Field(pattern=r"^[A-Za-z0-9-]{1,40}$", description="The window's receipt number (領収番号).")
    paid_on: date
    amount: PositiveYen
    parts: tuple[ReceiptPart, ...] = Field(min_length=1, max_length=20)
    overpayment: Yen = Field(default=0, description="Received beyond every open balance: to be refunded (還付).")
    received_by: Text = Field(description="The officer's staff id (取扱者).")
    reissued: bool = False

    @model_validator(mode="after")
    def _adds_up(self) -> Receipt:
        if self.paid_on > self.issued_on:
            raise ValueError("paid_on must not be after issued_on (a receipt follows the payment)")
        split = sum(part.amount for part in self.parts) + self.overpayment
        if split != self.amount:
            raise ValueError(f"parts: the parts and the overpayment add up to {yen(split)} but the amount received "
                             f"is {yen(self.amount)}")
        return self


AnyDocument = DemandNotice | Reminder | InstallmentPledge | PaymentSlipDocument | AssetInquiry | DebtorSummary | Receipt


def refusal_reason(error: ValueError) -> str:
    """A refusal in one line naming the field, for an API answer: a model's validation errors as
    ``field: reason`` (without the input, which may be personal data), any other ValueError's own message."""
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or e.get('ctx', {}).get('field', 'document')}: "
                         f"{e['msg'].removeprefix('Value error, ')}" for e in error.errors(include_input=False))
    return str(error).splitlines()[0]
