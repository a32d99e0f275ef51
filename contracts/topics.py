"""Every Kafka topic of the product, declared in one place with its partitions and retention.

Topics are created explicitly from this list (``python -m shared.kafka topics``); the broker runs with
``auto.create.topics.enable=false`` so a typo in a topic name fails loudly instead of creating a topic.
"""

from dataclasses import dataclass

from contracts.enums import Department

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int
    description: str
    messages: tuple[str, ...] = ()
    cleanup_policy: str = "delete"
    #: Read by systems outside the product (the departments' own), not by one of its services.
    consumed_outside: bool = False

    def config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}


_BILLING_MESSAGES = ("ClaimAssessed", "ClaimAdjusted", "ClaimCancelled", "PaymentReceived", "PaymentReported",
                     "PaymentReversed",
                     "InstallmentAgreed", "ExemptionApplied", "WaterSupplyChanged", "ClaimNoticeSent",
                     "SupportMeasureChanged", "PaymentRefunded", "ClaimDecisionRecorded", "ClaimSucceeded")

BILLING_SOURCE = TopicSpec(
    name="billing.source-events.v1",
    partitions=6,
    retention_ms=90 * DAY_MS,
    description="Canonical billing events from the department adapters, keyed by department:source_person_id.",
    messages=_BILLING_MESSAGES,
)
BILLING_MATCHED = TopicSpec(
    name="billing.matched-events.v1",
    partitions=6,
    retention_ms=90 * DAY_MS,
    description="The same billing events with debtor_id set by debtor matching, keyed by debtor_id.",
    messages=_BILLING_MESSAGES,
)
IDENTITY_EVENTS = TopicSpec(
    name="identity.events.v1",
    partitions=1,  # merges and splits are few and must be applied in the order they were decided
    retention_ms=365 * DAY_MS,
    description="Merges and splits of debtor identities decided in matching's review, for collection to re-key.",
    messages=("DebtorMerged", "DebtorSplit"),
)
INGEST_QUARANTINE = TopicSpec(
    name="ingest.quarantine.v1",
    partitions=1,
    retention_ms=365 * DAY_MS,
    description="Rows an adapter rejected, with the raw row and the reasons, for correction at the source.",
)
INGEST_PROGRESS = TopicSpec(
    name="ingest.progress.v1",
    partitions=1,
    retention_ms=-1,
    description="How far each import got, written in the same Kafka transaction as its messages (compacted).",
    cleanup_policy="compact",
)
DEAD_LETTER_MATCHING = TopicSpec(
    name="dead-letter.matching.v1",
    partitions=1,
    retention_ms=365 * DAY_MS,
    description="Messages debtor matching could not process, with the error and the original headers.",
)
DEAD_LETTER_COLLECTION = TopicSpec(
    name="dead-letter.collection.v1",
    partitions=1,
    retention_ms=365 * DAY_MS,
    description="Messages collection could not process, with the error and the original headers.",
)

OUTSOURCED_CASES = TopicSpec(
    name="collection.outsourced-cases.v1",
    partitions=3,
    retention_ms=-1,
    description="What each lawyer team holds of a case, whole, keyed by case id (compacted: the latest per case).",
    messages=("OutsourcedCaseChanged",),
    cleanup_policy="compact",
)
LAWYER_ACTIVITIES = TopicSpec(
    name="lawyer.activities.v1",
    partitions=3,
    retention_ms=365 * DAY_MS,
    description="Contacts, promises, installments, payments and returns recorded by the firms, keyed by case id.",
    messages=("LawyerActivityRecorded",),
)
COLLECTION_EVENTS = TopicSpec(
    name="collection.events.v1",
    partitions=3,
    retention_ms=365 * DAY_MS,
    description="What collection finds out by itself (a missed installment, a debtor's standing for the welfare "
                "side, …), keyed by debtor id.",
    messages=("InstallmentMissed", "DebtorStandingChanged"),
)
DEAD_LETTER_LAWYER_GATEWAY = TopicSpec(
    name="dead-letter.lawyer-gateway.v1",
    partitions=1,
    retention_ms=365 * DAY_MS,
    description="Messages the lawyer gateway could not process, with the error and the original headers.",
)
WELFARE_REFERRALS = TopicSpec(
    name="welfare.referrals.v1",
    partitions=3,
    retention_ms=365 * DAY_MS,
    description="Welfare referrals opened, moved and closed (no personal data), keyed by debtor id: collection "
                "holds escalation while one is open.",
    messages=("ReferralChanged",),
)
DEAD_LETTER_WELFARE = TopicSpec(
    name="dead-letter.welfare-referral.v1",
    partitions=1,
    retention_ms=365 * DAY_MS,
    description="Messages the welfare referral service could not process, with the error and the original headers.",
)

#: What the central division did that the department owning the claim must know (central-window payments, 督促
#: and 催告 sent by the centre, 分納誓約, 執行停止, 不納欠損): one topic per department, so each department's system
#: reads only its own, keyed by the department's person id (services/collection/feeds.py).
DEPARTMENT_FEEDS: dict[Department, TopicSpec] = {
    department: TopicSpec(
        name=f"feeds.{department.value}.v1",
        partitions=1,
        retention_ms=365 * DAY_MS,
        description=f"What the central division did on {department.value} claims, for the {department.value} "
                    "system; each item once, acknowledged by the department (POST /feeds/{department}/receipts).",
        messages=("DepartmentFeedItem",),
        consumed_outside=True,
    )
    for department in Department
}

ALL_TOPICS: tuple[TopicSpec, ...] = (
    BILLING_SOURCE,
    BILLING_MATCHED,
    IDENTITY_EVENTS,
    INGEST_QUARANTINE,
    INGEST_PROGRESS,
    DEAD_LETTER_MATCHING,
    DEAD_LETTER_COLLECTION,
    OUTSOURCED_CASES,
    LAWYER_ACTIVITIES,
    COLLECTION_EVENTS,
    DEAD_LETTER_LAWYER_GATEWAY,
    WELFARE_REFERRALS,
    DEAD_LETTER_WELFARE,
    *DEPARTMENT_FEEDS.values(),
)

#: Every service's dead-letter topic, derived from the list above so tools never miss one.
DEAD_LETTER_TOPICS: tuple[TopicSpec, ...] = tuple(t for t in ALL_TOPICS if t.name.startswith("dead-letter."))
