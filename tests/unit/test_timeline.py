"""The debtor's whole 経過記録 (services/collection/timeline.py): what each row is, in Japanese, newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.collection.timeline import Category, action_category, timeline


def action(action_id: int, kind: str, on: date, *, department: str = "tax", claim_id: str = "T-1",
           at: datetime | None = None, from_department: bool = False, amount: int = 0) -> dict[str, object]:
    return {"action_id": action_id, "department": department, "claim_id": claim_id, "kind": kind, "done_on": on,
            "note": "本人と電話" if kind == "reminder_phone" else "", "amount": amount, "recorded_by": "sato",
            "recorded_at": at, "message_id": uuid.uuid4() if from_department else None}


def test_each_row_is_an_action_a_notice_a_payment_or_a_contact() -> None:
    assert action_category("demand_notice") is Category.NOTICE
    assert action_category("reminder_letter") is Category.NOTICE
    assert action_category("reminder_phone") is Category.CONTACT
    assert action_category("payment_consultation") is Category.CONTACT
    assert action_category("seizure") is Category.ACTION
    assert action_category("installment_agreement") is Category.ACTION
    assert action_category("a_kind_from_the_future") is Category.ACTION  # never dropped


def test_one_timeline_across_departments_newest_first_in_japanese() -> None:
    entries = timeline(
        actions=[action(1, "demand_notice", date(2024, 6, 20), from_department=True),
                 action(2, "reminder_phone", date(2024, 9, 2), department="water", claim_id="W-9",
                        at=datetime(2024, 9, 2, 1, 0, tzinfo=UTC)),
                 action(3, "seizure", date(2024, 9, 2), at=datetime(2024, 9, 2, 5, 0, tzinfo=UTC))],
        documents=[{"document_number": "6債管第12号", "kind": "reminder", "claim_keys": ["tax:T-1", "water:W-9"],
                    "issued_on": date(2024, 7, 1), "issued_by": "sato", "issued_at": None}],
        payments=[{"department": "water", "payment_id": "P-1", "claim_id": "W-9", "amount": 12_750,
                   "paid_on": date(2024, 10, 1), "channel": "convenience_store"}],
        reversals=[{"department": "water", "payment_id": "P-1", "claim_id": "W-9", "amount": 12_750,
                    "reason": "口座残高不足", "reversed_on": date(2024, 10, 5)}],
        activities=[{"activity_id": "A-1", "firm_code": "sakura", "kind": "contact", "occurred_on": date(2024, 8, 1),
                     "note": "架電", "amount": None, "recorded_at": None}])
    assert [e.reference for e in entries] == [
        "reversal:water:P-1", "payment:water:P-1", "action:3", "action:2", "activity:A-1",
        "document:6債管第12号", "action:1"]
    reversal, payment, seizure, phone, lawyer, letter, demand = entries
    assert reversal.amount == -12_750 and reversal.label == "入金取消" and reversal.category is Category.PAYMENT
    assert payment.label == "入金（コンビニ）" and payment.amount == 12_750
    assert seizure.label == "差押" and seizure.by == "sato" and seizure.amount is None  # 0 yen is no amount
    assert phone.category is Category.CONTACT and phone.department == "water" and phone.note == "本人と電話"
    assert lawyer.source == "lawyer" and lawyer.by == "sakura" and lawyer.category is Category.CONTACT
    assert letter.label == "催告書" and letter.claim_id == "tax:T-1、water:W-9" and "6債管第12号" in letter.note
    assert demand.source == "department" and demand.by == "tax" and demand.category is Category.NOTICE


def test_only_the_categories_asked_for() -> None:
    entries = timeline(actions=[action(1, "demand_notice", date(2024, 6, 20)), action(2, "seizure", date(2024, 9, 1))],
                       payments=[{"department": "tax", "payment_id": "P", "claim_id": None, "amount": 1,
                                  "paid_on": date(2024, 1, 1), "channel": "bank"}],
                       categories=frozenset({Category.PAYMENT, Category.ACTION}))
    assert [e.reference for e in entries] == ["action:2", "payment:tax:P"]
    assert entries[1].claim_id is None  # a payment that named no claim
