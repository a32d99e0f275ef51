"""Two water utilities after a merger (contracts/keys.py): the city's own water system (``water``, the primary
source) and a second vendor, ``water_east`` (source system ``water-east-billing``), that writes the same layout
and numbers its customers, 水栓 and receipts from the same start, so their ids overlap. Used by the unit tests of
the key spaces and by the end-to-end test on real Kafka and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from contracts import ClaimAssessed, LegalCategory, Payload, PaymentChannel, PaymentReceived, PersonReference
from services.water_adapter import export_format as water
from shared.ingest.records import ParsedExport

EAST_CODE, EAST_SYSTEM = "water_east", "water-east-billing"


def parse_east(data: bytes, *, file_name: str, produced_at: Callable[[], datetime] = lambda: datetime.now(UTC),
               category_overrides: dict[str, str] | None = None) -> ParsedExport:
    """The second vendor's adapter: the water layout, its own source system, its own key space."""
    return water.parse_export(data, file_name=file_name, produced_at=produced_at,
                              category_overrides=category_overrides, source_system=EAST_SYSTEM, key_space=EAST_CODE)


def parse_primary(data: bytes, *, file_name: str) -> ParsedExport:
    return water.parse_export(data, file_name=file_name, produced_at=lambda: datetime.now(UTC))


def bill_and_payment(customer: str, contract: str, receipt: str, person: PersonReference, *, amount: int,
                     paid: int | None, fiscal_year: int = 2024) -> bytes:
    """One bimonthly 上水道料金 bill of ``customer`` for ``contract`` and a payment of part of it (入金番号
    ``receipt``; none when ``paid`` is None), as the water layout writes them (CP932, no header)."""
    claim_id = water.claim_id(fiscal_year, water.WATER, contract, customer, 1)
    person = person.model_copy(update={"source_person_id": customer})
    records: list[Payload] = [
        ClaimAssessed(claim_id=claim_id, person=person, receivable_type=water.WATER,
                      legal_category=LegalCategory.PRIVATE, fiscal_year=fiscal_year, installment=1,
                      due_date=date(fiscal_year, 6, 30), amount=amount, assessed_on=date(fiscal_year, 6, 1),
                      period_start=date(fiscal_year, 4, 1), period_end=date(fiscal_year, 5, 31))]
    if paid is not None:
        records.append(PaymentReceived(payment_id=receipt, person=PersonReference(source_person_id=customer),
                                       claim_id=claim_id, amount=paid, paid_on=date(fiscal_year, 6, 20),
                                       channel=PaymentChannel.CONVENIENCE_STORE))
    return water.render_export(records, era_dates=True)
