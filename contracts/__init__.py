"""Message contracts shared by every service: the versioned envelope and the canonical billing messages.

Services exchange only these models over Kafka. The JSON Schemas under ``contracts/schemas`` and the
AsyncAPI document ``contracts/asyncapi.json`` are generated from them (``python -m contracts.export``).
"""

from contracts.enums import (
    AdjustmentReason,
    CancellationReason,
    Department,
    ExemptionReason,
    LegalCategory,
    PaymentChannel,
    PersonKind,
    RelationRole,
    ReversalReason,
    SupplyStatus,
)
from contracts.envelope import (
    AnyBillingMessage,
    ContractError,
    Envelope,
    decode_message,
    encode_message,
    envelope_class,
    message_classes,
    new_envelope,
)
from contracts.messages import (
    BILLING_PAYLOADS,
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    ExemptionApplied,
    InstallmentAgreed,
    Payload,
    PaymentReceived,
    PaymentReversed,
    PersonReference,
    RelatedPerson,
    ScheduledInstallment,
    WaterSupplyChanged,
)
from contracts.receivables import RECEIVABLES, ReceivableSpec, receivable

__all__ = [
    "BILLING_PAYLOADS",
    "RECEIVABLES",
    "ExemptionApplied",
    "ExemptionReason",
    "InstallmentAgreed",
    "Payload",
    "RelatedPerson",
    "RelationRole",
    "ScheduledInstallment",
    "SupplyStatus",
    "WaterSupplyChanged",
    "AdjustmentReason",
    "AnyBillingMessage",
    "CancellationReason",
    "ClaimAdjusted",
    "ClaimAssessed",
    "ClaimCancelled",
    "ContractError",
    "Department",
    "Envelope",
    "LegalCategory",
    "PaymentChannel",
    "PaymentReceived",
    "PaymentReversed",
    "PersonKind",
    "PersonReference",
    "ReceivableSpec",
    "ReversalReason",
    "decode_message",
    "encode_message",
    "envelope_class",
    "message_classes",
    "new_envelope",
    "receivable",
]
