"""Canonical billing messages (payloads). Every amount is integer yen; every business date is a calendar date
in Asia/Tokyo. Personal fields are excluded from ``repr`` so a model never leaks them into a log line."""

from datetime import date
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from contracts.enums import (
    AdjustmentReason,
    CancellationReason,
    ClaimDecision,
    ExemptionReason,
    LegalCategory,
    NoticeKind,
    PaymentChannel,
    PersonKind,
    RelationRole,
    ReversalReason,
    SuccessionCause,
    SupplyStatus,
)
from contracts.receivables import RECEIVABLES
from contracts.text import NO_CONTROL_CHARACTERS, PlainText

SourceKey = Annotated[str, StringConstraints(min_length=1, max_length=80, strip_whitespace=True,
                                             pattern=NO_CONTROL_CHARACTERS)]
Yen = Annotated[int, Field(strict=True, description="Amount in integer yen.")]
PositiveYen = Annotated[int, Field(strict=True, gt=0, le=10_000_000_000, description="Amount in integer yen, > 0.")]
FiscalYear = Annotated[int, Field(ge=1989, le=2200, description="年度: the fiscal year starting 1 April.")]
ReceivableCode = Annotated[str, Field(description="A code from contracts.receivables.RECEIVABLES.")]


class Payload(BaseModel):
    """Base of every message payload.

    Unknown fields are ignored so that a consumer keeps working when a producer adds an optional field in a
    later schema version (docs/contracts.md: compatibility rule)."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)
    SCHEMA_VERSION: ClassVar[int] = 1
    #: Billing events come from one department; identity events (merges, splits) from matching, for all.
    DEPARTMENTAL: ClassVar[bool] = True


class PersonReference(BaseModel):
    """The person as one departmental system knows them (宛名). Matching turns it into a debtor id."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    source_person_id: SourceKey = Field(description="The department's own person key (宛名番号, 契約者番号 …).")
    kind: PersonKind = PersonKind.INDIVIDUAL
    name_kanji: PlainText | None = Field(default=None, max_length=100, repr=False, description="氏名 as recorded.")
    name_kana: PlainText | None = Field(default=None, max_length=200, repr=False, description="氏名カナ as recorded.")
    birth_date: date | None = Field(default=None, repr=False)
    postal_code: PlainText | None = Field(default=None, max_length=10, repr=False)
    address: PlainText | None = Field(default=None, max_length=300, repr=False)
    phone: PlainText | None = Field(default=None, max_length=30, repr=False)
    resident_register_number: PlainText | None = Field(
        default=None, max_length=20, repr=False,
        description="住民記録の宛名番号 when the department takes its people from the resident register (shared by "
                    "every department that does): strong evidence of the same person for matching.")
    corporate_number: PlainText | None = Field(
        default=None, max_length=13, repr=False, description="法人番号 (13 digits) of a corporation, when known.")


class RelatedPerson(BaseModel):
    """Another person named on a claim: a guarantor, the child a fee is for, the head of household."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    role: RelationRole
    person: PersonReference


def _known_receivable(code: str) -> str:
    if code not in RECEIVABLES:
        raise ValueError(f"unknown receivable type {code!r}")
    return code


class ClaimAssessed(Payload):
    """調定: a department assessed an amount that a person owes by a due date.

    Version 2 added ``related_persons`` and the billing period (both optional); version 3 ``tax_year``
    (相当年度, optional)."""

    SCHEMA_VERSION: ClassVar[int] = 3

    claim_id: SourceKey = Field(description="The claim's key in its department (unique there).")
    person: PersonReference
    receivable_type: ReceivableCode
    legal_category: LegalCategory
    fiscal_year: FiscalYear
    installment: int = Field(ge=0, le=99, description="期別; 0 when the claim is not split into installments.")
    due_date: date = Field(description="納期限")
    amount: PositiveYen = Field(description="Principal (本税・本料) in yen.")
    assessed_on: date = Field(description="調定日")
    related_persons: tuple[RelatedPerson, ...] = Field(
        default=(), description="v2: guarantors (連帯保証人), the child a fee is for, the head of household.")
    period_start: date | None = Field(default=None, description="v2: first day of the billed period (使用期間)")
    period_end: date | None = Field(default=None, description="v2: last day of the billed period")
    tax_year: FiscalYear | None = Field(
        default=None, description="v3: 相当年度, the year the tax or premium is for when it differs from 年度 "
                                  "(過年度分 assessed later); None when it is the 年度")

    _check_receivable = field_validator("receivable_type")(_known_receivable)

    @model_validator(mode="after")
    def _consistent(self) -> "ClaimAssessed":
        if not self.person.name_kanji and not self.person.name_kana:
            raise ValueError("person: an assessment needs name_kanji or name_kana")
        if (self.period_start is None) != (self.period_end is None):
            raise ValueError("period_start and period_end go together")
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError("period_start is after period_end")
        if self.tax_year is not None and self.tax_year > self.fiscal_year:
            raise ValueError("tax_year (相当年度) is after fiscal_year (年度): a tax is assessed in or after its year")
        return self


class ClaimAdjusted(Payload):
    """更正・減額・減免: the assessed principal changes by a signed amount."""

    claim_id: SourceKey
    person: PersonReference
    amount_delta: Yen = Field(description="Change of principal in yen; negative for 減額・減免.")
    reason: AdjustmentReason
    adjusted_on: date

    @field_validator("amount_delta")
    @classmethod
    def _non_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("amount_delta must not be 0")
        return value


class ClaimCancelled(Payload):
    """調定取消: the whole claim is withdrawn (e.g. 誤賦課)."""

    claim_id: SourceKey
    person: PersonReference
    reason: CancellationReason
    cancelled_on: date


class PaymentReceived(Payload):
    """収納: money received for a claim, or for the person without naming a claim (to be allocated)."""

    payment_id: SourceKey = Field(description="The department's key of the receipt (収納番号).")
    person: PersonReference
    claim_id: SourceKey | None = Field(default=None, description="The claim paid; None when unspecified.")
    amount: PositiveYen
    paid_on: date = Field(description="収納日 (the day the money was received)")
    channel: PaymentChannel
    reported_on: date | None = Field(
        default=None, description="報告日 (version 2): the day the city learned of it (the collection agent's 確報 or "
                                  "the bank's transfer report); days to two weeks after paid_on")

    SCHEMA_VERSION: ClassVar[int] = 2  # v2: reported_on

    @model_validator(mode="after")
    def _reported_after_paid(self) -> "PaymentReceived":
        if self.reported_on is not None and self.reported_on < self.paid_on:
            raise ValueError("reported_on: a payment cannot be reported before the day it was paid")
        return self


class PaymentReported(Payload):
    """収納速報: a collection agent (convenience store, smartphone app, bank) reports a payment the day it is made,
    days to two weeks before the money and the 確報 (``PaymentReceived`` with the same ``payment_id``) reach the
    city. While it is in transit (reported, not yet received, and ``expected_by`` not passed) collection sends no
    督促 or 催告 and takes no disposition step on the claim; the money is not counted until the 確報 arrives.

    Version 1 of its own type: deploy collection and matching before a source that sends it."""

    payment_id: SourceKey = Field(description="The receipt's key, the same the 確報 will carry (収納番号).")
    person: PersonReference
    claim_id: SourceKey = Field(description="The claim paid (the slip's barcode names it).")
    amount: PositiveYen
    paid_on: date = Field(description="収納日: the day the payer paid at the agent")
    channel: PaymentChannel
    reported_on: date = Field(description="The day of the 速報")
    expected_by: date | None = Field(
        default=None, description="The day the 確報 is due; collection assumes 14 days after reported_on when absent")

    @model_validator(mode="after")
    def _in_order(self) -> "PaymentReported":
        if self.reported_on < self.paid_on:
            raise ValueError("reported_on: a payment cannot be reported before the day it was paid")
        if self.expected_by is not None and self.expected_by < self.reported_on:
            raise ValueError("expected_by: the 確報 cannot be due before the 速報")
        return self


class PaymentReversed(Payload):
    """収納取消: a recorded payment is undone (口座振替不能, 誤入金 …)."""

    payment_id: SourceKey = Field(description="The payment being reversed.")
    person: PersonReference
    reason: ReversalReason
    reversed_on: date


class ScheduledInstallment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    due_date: date
    amount: PositiveYen


class InstallmentAgreed(Payload):
    """分割納付の誓約 (分納誓約): the debtor agreed to pay the named claims by a schedule. Acknowledges the debt."""

    agreement_id: SourceKey
    person: PersonReference
    claim_ids: tuple[SourceKey, ...] = Field(min_length=1)
    schedule: tuple[ScheduledInstallment, ...] = Field(min_length=1)
    agreed_on: date

    @model_validator(mode="after")
    def _ordered(self) -> "InstallmentAgreed":
        dates = [s.due_date for s in self.schedule]
        if dates != sorted(dates):
            raise ValueError("schedule: installments must be in due-date order")
        return self


class ExemptionApplied(Payload):
    """減免申請: the person applied for a reduction or exemption (a sign of hardship for welfare referral)."""

    application_id: SourceKey
    person: PersonReference
    receivable_type: ReceivableCode
    claim_id: SourceKey | None = None
    reason: ExemptionReason
    applied_on: date

    _check_receivable = field_validator("receivable_type")(_known_receivable)


class WaterSupplyChanged(Payload):
    """給水停止予告・給水停止・再開・閉栓 of a water contract (水栓)."""

    contract_id: SourceKey = Field(description="The water contract (水栓番号 / お客様番号).")
    person: PersonReference
    status: SupplyStatus
    effective_on: date


class ClaimNoticeSent(Payload):
    """督促状・催告書の発送: a department sent a 督促 or a 催告 for one of its claims itself (most 督促 are sent by
    the departments' own systems). Collection records it in the claim's 経過記録 like the central office's own, so
    nobody sends a second 督促, and 時効 counts its renewal (地方自治法236条4項) or suspension (民法150条).

    New in the contracts as version 1 of its own type: consumers that do not know it dead-letter it (deploy
    collection and matching before the adapters that send it)."""

    notice_id: SourceKey = Field(description="The department's key of the notice (督促状番号・文書番号)")
    person: PersonReference
    claim_id: SourceKey = Field(description="The claim the notice demands")
    kind: NoticeKind
    sent_on: date = Field(description="発送日: the day the notice was sent (督促状を発した日)")


class SupportMeasureChanged(Payload):
    """DV等支援措置: the resident register restricts who may learn this person's address (住民基本台帳法12条6項ほか;
    victims of domestic violence, stalking, child abuse and similar), or lifts the restriction. While it applies,
    the address never leaves the city: collection withholds it from outsourced firms' cases and documents, from
    letters to third parties (財産調査) and from the welfare side, and staff see a warning on the debtor.

    The register's own key is the person (宛名番号); ``active`` says whether the measure applies from
    ``effective_on``. Version 1 of its own type: deploy collection and matching before a source that sends it."""

    person: PersonReference
    active: bool = Field(description="True: the measure applies from effective_on; false: it ended on that day")
    effective_on: date = Field(description="The day the measure started (or ended)")


class PaymentRefunded(Payload):
    """還付・充当 of an overpayment: part of a receipt was more than the claim owed, and the department paid it back
    (還付, 地方税法17条) or applied it to another claim of the same person (充当, 地方税法17条の2). The receipt then
    counts only for the rest; a 充当 counts the amount on ``appropriated_to`` from ``refunded_on``.

    Version 1 of its own type (the standard link's events 12 and 13): deploy matching and collection first."""

    refund_id: SourceKey = Field(description="The department's key of the 還付・充当 decision (連携番号)")
    person: PersonReference
    payment_id: SourceKey = Field(description="The receipt whose overpayment is refunded or appropriated (収納番号)")
    amount: PositiveYen
    refunded_on: date = Field(description="決定日 of the 還付 or 充当")
    appropriated_to: SourceKey | None = Field(
        default=None, description="充当: the claim (same department) the amount is applied to; None: paid back (還付)")


class ClaimDecisionRecorded(Payload):
    """A decision the department's own system recorded on one of its claims (standard link events 41-43, 61-63):
    徴収猶予, 換価の猶予, 執行停止 and 不納欠損 enter the claim's 経過記録 as that legal action with its effect (a
    執行停止 stops 滞納処分, a 不納欠損 closes the claim); 繰上徴収 moves the 納期限 earlier (``due_date``); 時効完成
    records the day the claim's prescription completes (``completes_on``).

    Version 1 of its own type: deploy matching and collection before a source that sends it."""

    record_id: SourceKey = Field(description="The department's key of the decision (連携番号)")
    person: PersonReference
    claim_id: SourceKey
    kind: ClaimDecision
    decided_on: date = Field(description="決定日 (処理日)")
    ground: PlainText = Field("", max_length=200, description="The legal ground (根拠), e.g. 地方税法15条の7第1項第1号")
    due_date: date | None = Field(None, description="繰上徴収: the new 納期限")
    completes_on: date | None = Field(None, description="時効完成: the day prescription completes")

    @model_validator(mode="after")
    def _dates(self) -> "ClaimDecisionRecorded":
        if self.kind is ClaimDecision.ACCELERATED_COLLECTION and self.due_date is None:
            raise ValueError("due_date: 繰上徴収 needs the new 納期限")
        if self.kind is ClaimDecision.PRESCRIPTION_COMPLETED and self.completes_on is None:
            raise ValueError("completes_on: 時効完成 needs its date")
        return self


class ClaimSucceeded(Payload):
    """納税義務の承継: on a debtor's death (相続, 地方税法9条) or a company's merger (合併, 地方税法9条の3) the heirs or
    the successor become liable for the claim. They travel as ``related_persons`` (role ``heir`` or
    ``successor``): matching links each as a relation of the debtor and never merges them; collection lists them on
    the claim. The claim keeps its debtor and its key (department, claim id).

    Version 1 of its own type: deploy matching and collection before a source that sends it."""

    succession_id: SourceKey = Field(description="The department's key of the succession record (連携番号)")
    person: PersonReference = Field(description="The original debtor (被相続人 / 被合併法人)")
    claim_id: SourceKey
    cause: SuccessionCause
    succeeded_on: date = Field(description="承継の日: the death or the merger")
    related_persons: tuple[RelatedPerson, ...] = Field(min_length=1, description="The heirs or the successor")

    @model_validator(mode="after")
    def _roles(self) -> "ClaimSucceeded":
        role = RelationRole.HEIR if self.cause is SuccessionCause.INHERITANCE else RelationRole.SUCCESSOR
        if any(r.role is not role for r in self.related_persons):
            raise ValueError(f"related_persons: a {self.cause.value} names each successor with role {role.value}")
        return self


BILLING_PAYLOADS: tuple[type[Payload], ...] = (
    ClaimAssessed,
    ClaimAdjusted,
    ClaimCancelled,
    PaymentReceived,
    PaymentReported,
    PaymentReversed,
    InstallmentAgreed,
    ExemptionApplied,
    WaterSupplyChanged,
    ClaimNoticeSent,
    SupportMeasureChanged,
    PaymentRefunded,
    ClaimDecisionRecorded,
    ClaimSucceeded,
)


class SourceRecord(BaseModel):
    """A departmental person record by its keys only (no personal data)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    department: str
    source_person_id: SourceKey


class DebtorMerged(Payload):
    """名寄せの統合: a person decided two identities are one; everything of ``from_debtor_id`` now belongs to
    ``into_debtor_id``. ``records`` are the departmental records that moved."""

    DEPARTMENTAL: ClassVar[bool] = False

    merge_id: SourceKey
    from_debtor_id: SourceKey
    into_debtor_id: SourceKey
    records: tuple[SourceRecord, ...] = Field(min_length=1)


class DebtorSplit(Payload):
    """A merge undone: ``records`` go back from ``from_debtor_id`` to ``restored_debtor_id``."""

    DEPARTMENTAL: ClassVar[bool] = False

    merge_id: SourceKey
    restored_debtor_id: SourceKey
    from_debtor_id: SourceKey
    records: tuple[SourceRecord, ...] = Field(min_length=1)


IDENTITY_PAYLOADS: tuple[type[Payload], ...] = (DebtorMerged, DebtorSplit)


# --- Outsourcing to lawyer teams ---------------------------------------------------------------------------------


class OutsourcedContact(BaseModel):
    """What a firm may know of the debtor: the name, a contact address and phone — never a birth date, a
    national id, welfare status or anything from tax records (地方税法22条)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name_kanji: PlainText | None = Field(default=None, max_length=100, repr=False)
    name_kana: PlainText | None = Field(default=None, max_length=200, repr=False)
    postal_code: PlainText | None = Field(default=None, max_length=10, repr=False)
    address: PlainText | None = Field(default=None, max_length=300, repr=False)
    phone: PlainText | None = Field(default=None, max_length=30, repr=False)
    address_withheld: bool = Field(
        default=False, description="DV等支援措置: the address and postal code are not given (version 2): the city "
                                   "mails this debtor itself")

    @model_validator(mode="after")
    def _nothing_withheld_is_given(self) -> "OutsourcedContact":
        if self.address_withheld and (self.address or self.postal_code):
            raise ValueError("address_withheld: a withheld address carries no address and no postal code")
        return self


class OutsourcedClaim(BaseModel):
    """A claim a firm may collect: never 強制徴収公債権, never a tax-department claim (refused by the model)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_id: SourceKey
    department: str
    receivable_type: ReceivableCode
    legal_category: LegalCategory
    fiscal_year: FiscalYear
    due_date: date
    balance: Yen

    @model_validator(mode="after")
    def _may_be_outsourced(self) -> "OutsourcedClaim":
        if self.legal_category is LegalCategory.FORCED_PUBLIC or self.department == "tax":
            raise ValueError(f"claim {self.claim_id}: forced-collection and tax claims are never outsourced")
        return self


class OutsourcedCaseChanged(Payload):
    """委託事件: what a lawyer team holds of one case, whole, each time it changes (compacted by case). A
    ``withdrawn`` case is no longer the firm's (paid, reassigned, returned): the firm must lose sight of it."""

    DEPARTMENTAL: ClassVar[bool] = False
    SCHEMA_VERSION: ClassVar[int] = 2  # v2: contact.address_withheld (DV等支援措置)

    case_ref: SourceKey = Field(description="The collection case id")
    firm_code: SourceKey = Field(description="The lawyer team, as in the assignment policy")
    status: str = Field(pattern="^(assigned|withdrawn)$")
    version: int = Field(ge=1, description="Grows with every change of this case: an older one is ignored")
    as_of: date
    contact: OutsourcedContact | None = None
    claims: tuple[OutsourcedClaim, ...] = ()
    total_balance: Yen = 0

    @model_validator(mode="after")
    def _consistent(self) -> "OutsourcedCaseChanged":
        if self.status == "assigned" and not self.claims:
            raise ValueError("an assigned case holds at least one claim")
        if self.total_balance != sum(c.balance for c in self.claims):
            raise ValueError("total_balance must be the sum of the claims' balances")
        return self


class LawyerActivityRecorded(Payload):
    """What a firm recorded on a case it holds (for the central 経過記録): a contact, a payment promise, an
    agreed installment plan, a payment received, or the case handed back with a reason."""

    DEPARTMENTAL: ClassVar[bool] = False

    activity_id: SourceKey
    case_ref: SourceKey
    firm_code: SourceKey
    lawyer_id: SourceKey
    kind: str = Field(pattern="^(contact|payment_promise|installment_agreed|payment_received|case_returned)$")
    occurred_on: date
    note: PlainText = Field(max_length=1000, repr=False, description="Free text: may hold personal data")
    amount: PositiveYen | None = None
    promised_on: date | None = None
    schedule: tuple[ScheduledInstallment, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> "LawyerActivityRecorded":
        if self.kind in ("payment_promise", "payment_received") and self.amount is None:
            raise ValueError(f"{self.kind} needs an amount")
        if self.kind == "payment_promise" and self.promised_on is None:
            raise ValueError("payment_promise needs promised_on")
        if self.kind == "installment_agreed" and not self.schedule:
            raise ValueError("installment_agreed needs a schedule")
        if self.kind == "case_returned" and not self.note:
            raise ValueError("case_returned needs the reason in note")
        return self


OUTSOURCING_PAYLOADS: tuple[type[Payload], ...] = (OutsourcedCaseChanged, LawyerActivityRecorded)


# --- Collection's own events -------------------------------------------------------------------------------------


class InstallmentMissed(Payload):
    """分納不履行: an installment of an agreed plan was not paid within its grace days (services/collection/
    installments.py). For staff follow-up and the welfare referral's hardship signals; once per installment."""

    DEPARTMENTAL: ClassVar[bool] = False

    debtor_id: SourceKey
    department: str
    agreement_id: SourceKey
    due_date: date
    expected_to_date: PositiveYen
    paid_to_date: Yen
    shortfall: PositiveYen


class OverdueClaimFact(BaseModel):
    """One overdue claim as a fact for the welfare side: what kind, how much, since when; no claim id."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    department: str
    receivable_type: ReceivableCode
    legal_category: LegalCategory
    due_date: date
    balance: PositiveYen


class ExemptionFact(BaseModel):
    """A 減免申請 the person made: when and why (the reason is a hardship signal)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    applied_on: date
    reason: ExemptionReason


class DebtorStandingChanged(Payload):
    """What collection knows of one debtor that bears on hardship, whole, each time it changes (services/collection/
    standing.py). For the welfare referral's signals and its funnel report. Facts only, never a name, an address,
    a birth date or a claim id: the welfare side learns who the person is only with their consent."""

    DEPARTMENTAL: ClassVar[bool] = False
    SCHEMA_VERSION: ClassVar[int] = 2  # v2: address_protected

    debtor_id: SourceKey
    as_of: date
    version: int = Field(ge=1, description="Grows with every change of this debtor's standing: an older one is ignored")
    overdue_claims: tuple[OverdueClaimFact, ...] = ()
    collected_to_date: Yen = Field(0, ge=0, description="Everything paid on this debtor's claims so far")
    missed_installments: tuple[date, ...] = ()
    exemption_applications: tuple[ExemptionFact, ...] = ()
    execution_suspended: bool = Field(False, description="執行停止 (地方税法15条の7) recorded on a claim")
    hardship_noted_on: date | None = Field(None, description="The last 納付相談 where staff noted hardship")
    address_protected: bool = Field(False, description="DV等支援措置 applies (version 2): whatever reaches the "
                                                       "welfare system about this person must not carry an address")


class DepartmentFeedItem(Payload):
    """What the central division did on a claim of this department (a feed back to the department's system):
    money taken at the central window, which claims it settled (充当) and what of it is due back (還付), a 督促 or
    催告 it sent, a 分納誓約 it took, an 執行停止 or a 不納欠損 it decided. Each item once (``feed_id``), until the
    department acknowledges it (POST /feeds/{department}/receipts); the same items as a file in the department's
    export format or the standard layout (GET /feeds/{department}/file). Keys are the department's own: its person
    id and claim id, never the unified debtor id. Version 2: kinds ``appropriation`` and ``refund``, the parts of an
    appropriation or of a central plan's pledge (``principal``, ``demand_fee``, ``late_charge``, ``disposition_cost``),
    a pledge's ``instalments`` and ``first_due_on``, and ``tax_year`` (相当年度)."""

    DEPARTMENTAL: ClassVar[bool] = False
    SCHEMA_VERSION: ClassVar[int] = 2  # v2: appropriation, refund and their parts

    feed_id: int = Field(ge=1, description="Collection's number of the item; what a receipt names")
    department: str = Field(description="The department owning the claim (Department value)")
    kind: str = Field(pattern="^(central_payment|appropriation|refund|demand_notice|reminder|installment_agreement|"
                              "suspension_of_execution|write_off)$")
    source_person_id: SourceKey = Field(description="The department's person key (宛名番号 …)")
    claim_id: SourceKey | None = Field(None, description="The department's claim id (for an appropriation the claim "
                                                         "settled); none for a payment the department allocates "
                                                         "itself")
    receivable_type: ReceivableCode | None = None
    fiscal_year: FiscalYear | None = None
    installment: int | None = Field(None, ge=0, le=99)
    tax_year: FiscalYear | None = Field(None, description="相当年度 of the claim when its department said it (version 2)")
    occurred_on: date = Field(description="収納日, 充当日, 還付決定日, 発送日, 誓約日 or 決定日")
    amount: Yen | None = Field(None, description="Yen received (central_payment), settled (appropriation: the sum of "
                                                 "its parts) or due back (refund)")
    reference: SourceKey = Field(description="The receipt, document or record number at the central division (for "
                                             "an appropriation or a refund: the payment it comes from)")
    ground: PlainText = Field("", max_length=200, description="The legal ground of an 執行停止 or 不納欠損; why a "
                                                              "refund (excess, after_extinction)")
    principal: Yen | None = Field(None, ge=0, description="充当: yen of the claim's 本税・本料 settled (version 2)")
    demand_fee: Yen | None = Field(None, ge=0, description="充当: yen of its 督促手数料 (version 2)")
    late_charge: Yen | None = Field(None, ge=0, description="充当: yen of its 延滞金・遅延損害金 (version 2)")
    disposition_cost: Yen | None = Field(None, ge=0, description="充当: yen of its 滞納処分費 (version 2)")
    instalments: int | None = Field(None, ge=1, le=120, description="分納誓約 of a central plan: the instalments "
                                                                    "that settle this claim (version 2); the parts "
                                                                    "above are what of the plan settles it")
    first_due_on: date | None = Field(None, description="分納誓約: the first of those instalments' due date "
                                                        "(version 2)")


COLLECTION_PAYLOADS: tuple[type[Payload], ...] = (InstallmentMissed, DebtorStandingChanged, DepartmentFeedItem)


class ReferralChanged(Payload):
    """福祉への引継ぎ: a welfare referral of a debtor was opened, moved or closed (services/welfare_referral). While
    ``pauses_collection``, collection holds escalation for the debtor (a collection hold). No personal data: the
    signals are ids from the welfare policy, the state a code of the referral lifecycle."""

    DEPARTMENTAL: ClassVar[bool] = False

    referral_id: SourceKey
    debtor_id: SourceKey
    state: str = Field(pattern="^(suggested|informed|consented|referred|acknowledged|outcome_recorded|declined|"
                                "closed)$")
    open: bool
    pauses_collection: bool = Field(description="Hold escalation now: from 利用勧奨 until the referral closes, not "
                                                "while merely suggested or after the person declined")
    signals: tuple[SourceKey, ...] = ()
    changed_on: date
    version: int = Field(ge=1, description="Grows with every change of this referral: an older one is ignored")

    @model_validator(mode="after")
    def _open_matches_state(self) -> "ReferralChanged":
        if self.open == (self.state == "closed"):
            raise ValueError("open must be false exactly when the state is closed")
        if self.pauses_collection and self.state in ("suggested", "declined", "closed"):
            raise ValueError(f"a referral {self.state} does not pause collection")
        return self


WELFARE_PAYLOADS: tuple[type[Payload], ...] = (ReferralChanged,)
