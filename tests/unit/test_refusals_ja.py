"""The legal check's refusals in Japanese (services/collection/refusals_ja.py through workflow.check_action): every
refusal an officer can meet has its own Japanese sentence, quotes the claim's dates in 和暦, and keeps every
statute the English names."""

from __future__ import annotations

import re
from datetime import date

import pytest

from contracts.enums import LegalCategory
from services.collection.refusals_ja import japanese_refusal, statutes
from services.collection.workflow import (
    ActionKind,
    ActionRecord,
    ClaimFacts,
    PaymentInTransit,
    check_action,
)

DUE = date(2024, 5, 31)
DEMANDED = (ActionRecord(ActionKind.DEMAND_NOTICE, date(2024, 6, 20), "sato"),)
SEIZED = (*DEMANDED, ActionRecord(ActionKind.SEIZURE, date(2024, 8, 1), "kakaricho"))
GRACE = (*DEMANDED, ActionRecord(ActionKind.COLLECTION_GRACE, date(2024, 7, 1), "kakaricho"))
PAID = (ActionRecord(ActionKind.PAID_IN_FULL, date(2024, 9, 1), "sato"),)

SITUATIONS = {
    "before the due date": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 43_250, DUE), (), date(2024, 5, 20)),
    "overdue, nothing sent": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 43_250, DUE), (), date(2024, 6, 10)),
    "demand sent, 3 days ago": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 43_250, DUE), DEMANDED, date(2024, 6, 23)),
    "seized": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 43_250, DUE), SEIZED, date(2024, 9, 1)),
    "a grace in force": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 43_250, DUE), GRACE, date(2024, 9, 1)),
    "private, large": (ClaimFacts(LegalCategory.PRIVATE, 900_000, DUE), DEMANDED, date(2024, 9, 1)),
    "non-forced": (ClaimFacts(LegalCategory.NON_FORCED_PUBLIC, 22_000, DUE), DEMANDED, date(2024, 9, 1)),
    "welfare hold": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 43_250, DUE, on_hold=True), DEMANDED, date(2024, 9, 1)),
    "extinguished": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 43_250, DUE, extinguished_on=date(2029, 6, 1)),
                     DEMANDED, date(2029, 7, 1)),
    "paid": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 0, DUE), DEMANDED, date(2024, 9, 1)),
    "closed": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 0, DUE), PAID, date(2024, 9, 2)),
    "payment in transit": (ClaimFacts(LegalCategory.FORCED_PUBLIC, 43_250, DUE, payment_in_transit=PaymentInTransit(
        43_250, date(2024, 6, 5), date(2024, 6, 15))), (), date(2024, 6, 10)),
}
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.mark.parametrize("situation", SITUATIONS)
def test_every_refusal_reads_in_japanese_and_keeps_the_statutes(situation: str) -> None:
    facts, history, on = SITUATIONS[situation]
    for kind in ActionKind:
        decision = check_action(facts.legal_category, kind, history=history, facts=facts, on=on)
        if decision.allowed:
            assert decision.code == "" and decision.reason_ja == ""
            continue
        where = f"{situation}: {kind.value} ({decision.code})"
        assert decision.code and "今は記録できません" not in decision.reason_ja, where  # a sentence of its own
        assert not ASCII_WORD.search(decision.reason_ja), f"{where}: {decision.reason_ja}"
        for statute in statutes(decision.reason):
            assert statute in decision.reason_ja, f"{where}: {statute} missing from {decision.reason_ja}"


def test_a_refusal_quotes_the_claims_dates_in_wareki() -> None:
    facts, history, on = SITUATIONS["demand sent, 3 days ago"]
    seizure = check_action(facts.legal_category, ActionKind.SEIZURE, history=history, facts=facts, on=on)
    assert seizure.code == "seizure_wait_over"
    assert seizure.reason_ja.startswith("差押は令和6年7月1日からできます（督促状を令和6年6月20日に発し")
    assert seizure.reason_ja.endswith("（根拠：地方税法331条1項1号）")
    facts, history, on = SITUATIONS["before the due date"]
    early = check_action(facts.legal_category, ActionKind.REMINDER_PHONE, history=history, facts=facts, on=on)
    assert early.code == "overdue" and "納期限（令和6年5月31日）" in early.reason_ja


def test_the_courts_are_refused_to_a_forced_collection_claim_with_the_precedent() -> None:
    facts, history, on = SITUATIONS["seized"]
    suit = check_action(facts.legal_category, ActionKind.LAWSUIT, history=history, facts=facts, on=on)
    assert suit.code == "category" and suit.reason_ja.startswith("訴訟は強制徴収公債権には行えません")
    assert "最大判昭和41年2月23日" in suit.reason_ja


def test_an_unknown_code_still_names_the_action_and_the_law() -> None:
    assert japanese_refusal("a_new_check", "needs X (民法999条)", {"label": "差押"}) == \
        "差押は今は記録できません（根拠：民法999条）"
