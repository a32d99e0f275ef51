"""From the ledger to the documents collection prints (shared/documents): which claims a document lists, the
addressee, the payment slip and its codes. Pure: the API (services/collection/api/documents.py) loads the ledger,
the person and the next serial number, and stores what this returns.

Readings chosen here:
- A document lists the debtor's delinquent claims with an open principal as of the issue date; a unified
  reminder (一元化催告) every department's, a department's reminder only its own. The late charge printed is the
  one run up by the issue date (延滞金 keep running: the wording says so).
- The slip's amount is what the document's total says: the open principal (本税・本料) and the late charge run
  up by the issue date; the wording tells the reader that late charges keep running until the day of payment.
- 督促状: the 指定期限 is the issue date + 10 days (地方税法: 督促状を発した日から起算して10日を経過した日までに完納
  しないときは差押え), the slip valid until then.
- The 納付番号 (slip reference, and the 21 company digits of the barcode) is the document's serial of the fiscal
  year with its re-issue count: a re-issued document has a new number and a new slip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from contracts import RECEIVABLES
from services.collection.ledger import ClaimBalance, ClaimStatus, DebtorLedger
from shared.documents import (
    Addressee,
    AnyDocument,
    AssetInquiry,
    ClaimLine,
    DebtorSummary,
    DemandNotice,
    InstallmentPledge,
    PaymentSlip,
    PaymentSlipDocument,
    Reminder,
    ScheduleRow,
    WithheldAddressee,
    document_number,
    fiscal_year_label,
    installment_label,
)
from shared.documents.appeals import History, notice_history
from shared.documents.letterhead import Letterhead

DEMAND_PERIOD_DAYS = 10
REPLY_DAYS = {"first": 14, "second": 10, "final": 7}

Kind = Literal["reminder", "demand_notice", "debtor_summary", "asset_inquiry", "installment_pledge", "payment_slip"]


@dataclass(frozen=True)
class Numbering:
    """The number a document gets: the serial of its fiscal year, printed as 6債管第123号."""

    fiscal_year: int
    serial: int
    reissue: int = 0

    def number(self, letterhead: Letterhead) -> str:
        """6債管第123号, a re-issue 6債管第123号-再1; serial 0 is a preview, numbered 見本."""
        if self.serial == 0:
            return "見本"
        base = document_number(letterhead.number_prefix, self.fiscal_year, self.serial)
        return base if self.reissue == 0 else f"{base}-再{self.reissue}"

    @property
    def reference(self) -> str:
        return f"N{self.fiscal_year}{self.serial:08d}{self.reissue}"


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def addressee(person: Mapping[str, Any] | None) -> Addressee:
    """The debtor as a department last recorded them; ValueError naming the field when no address is known."""
    if not person or not person.get("name_kanji"):
        raise ValueError("addressee: no department has sent this debtor's name")
    if not person.get("address") or not person.get("postal_code"):
        raise ValueError("addressee: no department has sent this debtor's address and postal code")
    return Addressee(postal_code=person["postal_code"], address=person["address"], name=person["name_kanji"],
                     name_kana=person.get("name_kana"))


def withheld_addressee(person: Mapping[str, Any] | None) -> WithheldAddressee:
    """The debtor named on a letter to a third party without the address (DV等支援措置)."""
    if not person or not person.get("name_kanji"):
        raise ValueError("addressee: no department has sent this debtor's name")
    return WithheldAddressee(name=person["name_kanji"], name_kana=person.get("name_kana"))


def claim_line(claim: ClaimBalance, late_charge: int, fees: int = 0) -> ClaimLine:
    spec = RECEIVABLES.get(claim.claim.receivable_type)
    return ClaimLine(department=claim.claim.department, receivable=spec.name_ja if spec else claim.claim.receivable_type,
                     receivable_type=claim.claim.receivable_type, fiscal_year=claim.claim.fiscal_year,
                     installment=installment_label(claim.claim.installment), due_date=claim.claim.due_date,
                     principal=claim.balance, late_charge=late_charge, fees=fees,
                     legal_category=claim.claim.legal_category)


def claim_label(claim: Any) -> str:
    """A claim as a receipt names it: 固定資産税 令和6年度 第3期 (a ledger ``Claim``: receivable type, fiscal year,
    installment); no amounts, no person."""
    spec = RECEIVABLES.get(claim.receivable_type)
    return (f"{spec.name_ja if spec else claim.receivable_type} {fiscal_year_label(claim.fiscal_year)} "
            f"{installment_label(claim.installment)}")


def overdue(ledger: DebtorLedger, *, department: str | None = None,
            keys: Iterable[tuple[str, str]] | None = None) -> list[ClaimBalance]:
    """Delinquent claims with something to demand (principal, fees, or a 延滞金 fixed when the principal was paid:
    a 納付書 for 延滞金 alone), oldest first; of one department or these (department, id). Extinguished claims are
    never listed (their status is extinguished)."""
    wanted = set(keys) if keys is not None else None
    return sorted((c for c in ledger.claims
                   if c.status is ClaimStatus.DELINQUENT and c.outstanding > 0
                   and (department is None or c.claim.department == department)
                   and (wanted is None or (c.claim.department, c.claim.claim_id) in wanted)),
                  key=lambda c: (c.claim.due_date, c.claim.department, c.claim.claim_id))


def reminder_history(claims: Iterable[tuple[str, str]], actions: Iterable[tuple[str, str, str]]) -> History:
    """What a 催告書 for these claims (department, claim id) may say preceded it, from the 経過記録 (department, claim
    id, action kind): a 督促 (``demand_notice``, the department's own or the centre's) and a 催告書 (``reminder_letter``)
    on every claim (shared.documents.appeals.notice_history)."""
    done: dict[tuple[str, str], set[str]] = {}
    for department, claim_id, kind in actions:
        done.setdefault((department, claim_id), set()).add(kind)
    keys = list(claims)
    return notice_history((("demand_notice" in done.get(k, set())) for k in keys),
                          (("reminder_letter" in done.get(k, set())) for k in keys))


def slip(letterhead: Letterhead, numbering: Numbering, amount: int, valid_until: date) -> PaymentSlip:
    return PaymentSlip(claim_reference=numbering.reference, amount=amount, due_date=valid_until,
                       company_code=letterhead.company_code,
                       company_digits=f"{numbering.fiscal_year:04d}{numbering.serial:016d}{numbering.reissue}",
                       reissue=min(numbering.reissue, 9))


def build(kind: Kind, *, letterhead: Letterhead, numbering: Numbering, issued_on: date,
          person: Mapping[str, Any] | None, claims: list[ClaimBalance], late_charges: Mapping[tuple[str, str], int],
          fees: Mapping[tuple[str, str], int] | None = None,
          severity: Literal["first", "second", "final"] = "first", unified: bool = True,
          institution: Mapping[str, Any] | None = None, inquiry: Literal["bank", "employer"] = "bank",
          plan_status: tuple[str, ...] = (), schedule: tuple[tuple[date, int], ...] = (),
          for_outsourced_firm: bool = False, history: History | None = None,
          address_withheld: bool = False) -> AnyDocument:
    """One document of ``kind`` for these claims (ValueError naming the field when it cannot be printed).
    ``address_withheld``: the debtor is under a support measure (DV等支援措置), so a letter to a third party names
    them without the address, and a firm may not print their letters."""
    if address_withheld and for_outsourced_firm:
        raise ValueError("addressee: under a support measure (DV等支援措置) the address is not given to an outside "
                         "firm; the city mails this debtor itself")
    if not claims:
        raise ValueError("claims: the debtor has no overdue claim with an open principal for this document")
    lines = tuple(claim_line(c, late_charges.get((c.claim.department, c.claim.claim_id), 0),
                             (fees or {}).get((c.claim.department, c.claim.claim_id), 0)) for c in claims)
    common: dict[str, Any] = {"document_number": numbering.number(letterhead), "issued_on": issued_on,
                              "issuer": letterhead.issuer, "for_outsourced_firm": for_outsourced_firm}
    total = sum(line.total for line in lines)  # principal, late charge and fees: what the document demands
    if kind == "demand_notice":
        if len(lines) != 1:
            raise ValueError("claims: a 督促状 is issued for one claim")
        pay_by = issued_on + timedelta(days=DEMAND_PERIOD_DAYS)
        return DemandNotice(**common, addressee=addressee(person), claim=lines[0], pay_by=pay_by,
                            slip=slip(letterhead, numbering, total, pay_by))
    if kind == "reminder":
        reply_by = issued_on + timedelta(days=REPLY_DAYS[severity])
        return Reminder(**common, addressee=addressee(person), severity=severity, unified=unified, claims=lines,
                        reply_by=reply_by, slip=slip(letterhead, numbering, total, reply_by), history=history)
    if kind == "debtor_summary":
        return DebtorSummary(**common, addressee=addressee(person), claims=lines, plan_status=plan_status)
    if kind == "asset_inquiry":
        if not institution:
            raise ValueError("institution: an asset inquiry names the bank branch or employer it goes to")
        subject = withheld_addressee(person) if address_withheld else addressee(person)
        bank = Addressee(postal_code=institution["postal_code"], address=institution["address"],
                         name=institution["name"], institution=True)
        return AssetInquiry(**common, inquiry=inquiry, institution=bank, subject=subject, claims=lines,
                            reply_by=issued_on + timedelta(days=14))
    if kind == "installment_pledge":
        return InstallmentPledge(**common, pledger=addressee(person), claims=lines,
                                 schedule=tuple(ScheduleRow(number=i, due_date=d, amount=a)
                                                for i, (d, a) in enumerate(schedule, 1)))
    if kind == "payment_slip":
        valid_until = issued_on + timedelta(days=REPLY_DAYS["first"])
        return PaymentSlipDocument(**common, addressee=addressee(person), claims=lines,
                                   slip=slip(letterhead, numbering, total, valid_until))
    raise ValueError(f"kind: {kind!r} is not a document collection prints")
