"""Payments in transit: a collection agent's 速報 arrives the day the payer pays; the money and the 確報 follow days
to two weeks later. Meanwhile the claim is neither demanded nor escalated, and the money is not counted; a 速報
whose 確報 never came becomes a difference to reconcile, and collection resumes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contracts import PaymentReceived, PaymentReported, PersonReference
from services.collection.ledger import Claim, Payment, PaymentReport, build_ledger, facts_of
from services.collection.legal_actions import ACTIONS, ActionGroup
from services.collection.workflow import ActionKind, ActionRecord, check_action

TAX = Claim("tax", "T-1", "individual_inhabitant_tax", "forced_public", 2024, 1, date(2024, 6, 30), 42_000,
            date(2024, 6, 1))
WATER = Claim("water", "W-1", "water_supply_charge", "private", 2024, 1, date(2024, 5, 31), 9_800, date(2024, 5, 5))
REPORT = PaymentReport("tax", "CVS-0001", "T-1", 42_000, paid_on=date(2025, 1, 20), reported_on=date(2025, 1, 20),
                       expected_by=date(2025, 2, 3))
DEMANDED = (ActionRecord(ActionKind.DEMAND_NOTICE, date(2024, 7, 20), "staff"),)


def ledger(as_of: date, payments: tuple[Payment, ...] = (), reports: tuple[PaymentReport, ...] = (REPORT,)):  # type: ignore[no-untyped-def]
    return build_ledger([TAX, WATER], [], [], payments, [], as_of, reports=reports)


def test_while_the_money_is_on_its_way_nothing_is_demanded_and_nothing_counted() -> None:
    now = ledger(date(2025, 1, 24))
    tax = next(c for c in now.claims if c.claim.claim_id == "T-1")
    water = next(c for c in now.claims if c.claim.claim_id == "W-1")
    assert tax.balance == 42_000 and [r.payment_id for r in now.in_transit] == ["CVS-0001"]  # not counted yet
    facts = facts_of(tax)
    assert facts.payment_in_transit is not None and facts.payment_in_transit.expected_by == date(2025, 2, 3)
    for kind in (ActionKind.REMINDER_LETTER, ActionKind.REMINDER_PHONE, ActionKind.SEIZURE):
        decision = check_action("forced_public", kind, history=DEMANDED, facts=facts, on=date(2025, 1, 24))
        assert not decision.allowed and "収納速報" in decision.reason and "2025-02-03" in decision.reason, kind
    fresh = check_action("forced_public", ActionKind.DEMAND_NOTICE, history=(), facts=facts, on=date(2025, 1, 24))
    assert not fresh.allowed and "in transit" in fresh.reason
    # what does not press the payer stays open: a consultation, an asset investigation
    for kind in (ActionKind.PAYMENT_CONSULTATION, ActionKind.ASSET_INVESTIGATION):
        assert check_action("forced_public", kind, history=DEMANDED, facts=facts, on=date(2025, 1, 24)).allowed
    # the other claim, which nobody paid, is demanded as usual
    assert facts_of(water).payment_in_transit is None
    assert check_action("private", ActionKind.REMINDER_LETTER, history=(), facts=facts_of(water),
                        on=date(2025, 1, 24)).allowed


def test_the_confirmation_settles_the_claim_and_ends_the_wait() -> None:
    confirmed = ledger(date(2025, 1, 31), payments=(Payment("tax", "CVS-0001", "T-1", 42_000, date(2025, 1, 20),
                                                            "convenience_store"),))
    tax = next(c for c in confirmed.claims if c.claim.claim_id == "T-1")
    assert confirmed.in_transit == [] and confirmed.unconfirmed_reports == [] and tax.balance == 0


def test_a_report_whose_confirmation_never_came_is_reconciled_and_collection_resumes() -> None:
    late = ledger(date(2025, 2, 4))
    tax = next(c for c in late.claims if c.claim.claim_id == "T-1")
    assert late.in_transit == [] and [r.payment_id for r in late.unconfirmed_reports] == ["CVS-0001"]
    assert tax.balance == 42_000 and facts_of(tax).payment_in_transit is None
    assert check_action("forced_public", ActionKind.REMINDER_LETTER, history=DEMANDED, facts=facts_of(tax),
                        on=date(2025, 2, 4)).allowed
    # and a report the ledger did not know of yet on an earlier day changes nothing then
    before = ledger(date(2025, 1, 19))
    assert before.in_transit == [] and before.unconfirmed_reports == []


def test_a_report_smaller_than_the_claim_still_holds_the_demand_for_the_claim() -> None:
    partial = ledger(date(2025, 1, 24), reports=(PaymentReport("tax", "CVS-0002", "T-1", 10_000, date(2025, 1, 20),
                                                               date(2025, 1, 21), date(2025, 2, 4)),))
    tax = next(c for c in partial.claims if c.claim.claim_id == "T-1")
    assert facts_of(tax).payment_in_transit is not None and facts_of(tax).payment_in_transit.amount == 10_000


def test_exactly_the_demands_reminders_and_escalations_wait_for_a_report() -> None:
    pressing = {ActionGroup.DEMAND, ActionGroup.REMINDER, ActionGroup.COURT_FILING, ActionGroup.EXECUTION}
    waits = {kind for kind, spec in ACTIONS.items() if spec.waits_for_payment_report}
    expected = {kind for kind, spec in ACTIONS.items() if spec.group in pressing} | {ActionKind.SEIZURE,
                                                                                     ActionKind.REALISATION}
    assert waits == expected


def test_the_contracts_keep_the_paid_date_before_the_reported_date() -> None:
    person = PersonReference(source_person_id="100001")
    with pytest.raises(ValueError, match="reported_on"):
        PaymentReported(payment_id="CVS-1", person=person, claim_id="T-1", amount=1_000, paid_on=date(2025, 1, 20),
                        channel="convenience_store", reported_on=date(2025, 1, 19))
    with pytest.raises(ValueError, match="expected_by"):
        PaymentReported(payment_id="CVS-1", person=person, claim_id="T-1", amount=1_000, paid_on=date(2025, 1, 20),
                        channel="convenience_store", reported_on=date(2025, 1, 20), expected_by=date(2025, 1, 1))
    with pytest.raises(ValueError, match="reported_on"):
        PaymentReceived(payment_id="CVS-1", person=person, claim_id="T-1", amount=1_000, paid_on=date(2025, 1, 20),
                        channel="convenience_store", reported_on=date(2025, 1, 20) - timedelta(days=1))
    assert PaymentReceived.SCHEMA_VERSION == 2
    assert PaymentReceived.model_validate({"payment_id": "P", "person": {"source_person_id": "1"}, "amount": 5,
                                           "paid_on": "2025-01-20", "channel": "counter"}).reported_on is None
