"""Print-ready A4 PDFs of the collection documents (督促状, 催告書, 分納誓約書, 納付書, 財産調査の照会書, 納付相談用の
概要), with no database or network: the collection service and the lawyer gateway pass validated data in and get
PDF bytes back, so the same wording, legal checks and payment codes apply whoever prints.

See docs/documents.md for the kinds, the template files and the barcode and QR layouts.
"""

from shared.documents.formatting import (
    document_number,
    fiscal_year_label,
    installment_label,
    wareki,
    yen,
    yen_slip,
    yen_stated,
)
from shared.documents.models import (
    Addressee,
    AnyDocument,
    AssetInquiry,
    ClaimLine,
    ContactEntry,
    DebtorSummary,
    DemandNotice,
    InstallmentPledge,
    Issuer,
    PaymentSlip,
    PaymentSlipDocument,
    Receipt,
    ReceiptPart,
    Reminder,
    ScheduleRow,
    WithheldAddressee,
    refusal_reason,
)
from shared.documents.payment_codes import (
    ConvenienceStoreCode,
    PaymentQr,
    check_digit,
    convenience_store_code,
    parse_convenience_store_code,
    parse_payment_qr,
    payment_qr_text,
)
from shared.documents.render import BatchResult, FontNotFoundError, render_batch, render_counted, render_pdf

__all__ = [
    "Addressee",
    "WithheldAddressee",
    "AnyDocument",
    "AssetInquiry",
    "BatchResult",
    "ClaimLine",
    "ContactEntry",
    "ConvenienceStoreCode",
    "DebtorSummary",
    "DemandNotice",
    "FontNotFoundError",
    "InstallmentPledge",
    "Issuer",
    "PaymentQr",
    "PaymentSlip",
    "PaymentSlipDocument",
    "Receipt",
    "ReceiptPart",
    "Reminder",
    "ScheduleRow",
    "check_digit",
    "convenience_store_code",
    "document_number",
    "fiscal_year_label",
    "installment_label",
    "parse_convenience_store_code",
    "parse_payment_qr",
    "payment_qr_text",
    "render_batch",
    "refusal_reason",
    "render_counted",
    "render_pdf",
    "wareki",
    "yen",
    "yen_slip",
    "yen_stated",
]
