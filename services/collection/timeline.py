"""The debtor's whole 経過記録: one timeline across all their claims and departments, newest first. Pure: the rows
come from stores/timeline.py, this module says what each is (an action, a notice, a payment, a contact), words it
in Japanese and orders them (tests/unit/test_timeline.py).

- actions recorded in a claim's 経過記録 (claim_actions): 督促 and 催告 by letter are **notices**, 催告 by phone, visit
  or at the workplace and 納付相談 are **contacts**, everything else (差押, 分納誓約, 執行停止 …) an **action**; a row
  a department sent (its own 督促・催告, ClaimNoticeSent) is marked as the department's;
- documents the central office issued (issued_documents): **notices**, with their 文書番号;
- payments of any department and their reversals (取消): **payments** (a reversal negative);
- what a lawyer team reported on the debtor's cases (case_activities): **contacts**, a payment received a
  **payment** as the firm reported it.

Same-day entries keep the order in which they were recorded, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from services.collection.legal_actions import ACTIONS, ActionKind


class Category(StrEnum):
    ACTION = "action"
    NOTICE = "notice"
    PAYMENT = "payment"
    CONTACT = "contact"


CATEGORY_LABELS: Mapping[Category, str] = {Category.ACTION: "処分・手続", Category.NOTICE: "通知",
                                           Category.PAYMENT: "入金", Category.CONTACT: "接触・交渉"}

_NOTICE_ACTIONS = frozenset({ActionKind.DEMAND_NOTICE, ActionKind.REMINDER_LETTER})
_CONTACT_ACTIONS = frozenset({ActionKind.REMINDER_PHONE, ActionKind.REMINDER_VISIT, ActionKind.REMINDER_WORKPLACE,
                              ActionKind.PAYMENT_CONSULTATION})

DOCUMENT_LABELS: Mapping[str, str] = {
    "demand_notice": "督促状", "reminder": "催告書", "debtor_summary": "滞納者カルテ", "asset_inquiry": "財産調査照会書",
    "installment_pledge": "分納誓約書", "payment_slip": "納付書",
}
CHANNEL_LABELS: Mapping[str, str] = {
    "account_transfer": "口座振替", "convenience_store": "コンビニ", "counter": "窓口", "smartphone": "スマホ決済",
    "bank": "金融機関", "eltax": "eLTAX", "card": "クレジットカード", "other": "その他",
}
ACTIVITY_LABELS: Mapping[str, str] = {
    "contact": "委託先の接触", "payment_promise": "納付約束（委託先）", "installment_agreed": "分納合意（委託先）",
    "payment_received": "委託先での入金", "case_returned": "委託先からの返戻",
}


@dataclass(frozen=True)
class Entry:
    on: date
    category: Category
    kind: str = ""
    label: str = ""  # the kind in Japanese
    source: str = ""  # staff | department | central | ledger | lawyer
    department: str | None = None
    claim_id: str | None = None
    amount: int | None = None
    note: str = ""
    by: str | None = None  # a staff id, a department, a firm: never a person's name
    reference: str = ""  # the row's own id: action id, 文書番号, payment id, activity id
    recorded_at: datetime | None = None


def action_category(kind: str) -> Category:
    """An action of a claim's 経過記録 as the timeline groups it; an unknown kind stays an action."""
    try:
        known = ActionKind(kind)
    except ValueError:
        return Category.ACTION
    if known in _NOTICE_ACTIONS:
        return Category.NOTICE
    return Category.CONTACT if known in _CONTACT_ACTIONS else Category.ACTION


def _action_label(kind: str) -> str:
    try:
        return ACTIONS[ActionKind(kind)].label
    except (ValueError, KeyError):
        return kind


def from_action(row: Mapping[str, Any]) -> Entry:
    department_sent = row.get("message_id") is not None
    return Entry(on=row["done_on"], category=action_category(row["kind"]), kind=row["kind"],
                 label=_action_label(row["kind"]), source="department" if department_sent else "staff",
                 department=row["department"], claim_id=row["claim_id"], amount=row.get("amount") or None,
                 note=row.get("note") or "", by=row["department"] if department_sent else row["recorded_by"],
                 reference=f"action:{row['action_id']}", recorded_at=row.get("recorded_at"))


def from_document(row: Mapping[str, Any]) -> Entry:
    keys = list(row.get("claim_keys") or [])
    return Entry(on=row["issued_on"], category=Category.NOTICE, kind=row["kind"],
                 label=DOCUMENT_LABELS.get(row["kind"], row["kind"]), source="central",
                 claim_id="、".join(keys) or None, note=f"文書番号 {row['document_number']}", by=row["issued_by"],
                 reference=f"document:{row['document_number']}", recorded_at=row.get("issued_at"))


def from_payment(row: Mapping[str, Any]) -> Entry:
    return Entry(on=row["paid_on"], category=Category.PAYMENT, kind="payment",
                 label=f"入金（{CHANNEL_LABELS.get(row['channel'], row['channel'])}）", source="ledger",
                 department=row["department"], claim_id=row.get("claim_id"), amount=row["amount"],
                 by=row["department"], reference=f"payment:{row['department']}:{row['payment_id']}")


def from_reversal(row: Mapping[str, Any]) -> Entry:
    amount = row.get("amount")
    return Entry(on=row["reversed_on"], category=Category.PAYMENT, kind="payment_reversal", label="入金取消",
                 source="ledger", department=row["department"], claim_id=row.get("claim_id"),
                 amount=-amount if amount is not None else None, note=row.get("reason") or "", by=row["department"],
                 reference=f"reversal:{row['department']}:{row['payment_id']}")


def from_activity(row: Mapping[str, Any]) -> Entry:
    paid = row["kind"] == "payment_received"
    return Entry(on=row["occurred_on"], category=Category.PAYMENT if paid else Category.CONTACT, kind=row["kind"],
                 label=ACTIVITY_LABELS.get(row["kind"], row["kind"]), source="lawyer", amount=row.get("amount"),
                 note=row.get("note") or "", by=row["firm_code"], reference=f"activity:{row['activity_id']}",
                 recorded_at=row.get("recorded_at"))



def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    """By date, newest first; on one day the later recorded first (rows without a time after those with one,
    then by reference, so the order never depends on how the database happened to return them)."""

    def key(e: Entry) -> tuple[date, bool, float, str]:
        return e.on, e.recorded_at is not None, e.recorded_at.timestamp() if e.recorded_at else 0.0, e.reference

    return sorted(entries, key=key, reverse=True)


def timeline(*, actions: Iterable[Mapping[str, Any]] = (), documents: Iterable[Mapping[str, Any]] = (),
             payments: Iterable[Mapping[str, Any]] = (), reversals: Iterable[Mapping[str, Any]] = (),
             activities: Iterable[Mapping[str, Any]] = (),
             categories: frozenset[Category] | None = None) -> list[Entry]:
    """Every entry of the debtor's history, newest first; only those of ``categories`` when given."""
    entries = [*map(from_action, actions), *map(from_document, documents), *map(from_payment, payments),
               *map(from_reversal, reversals), *map(from_activity, activities)]
    return newest_first(e for e in entries if categories is None or e.category in categories)
