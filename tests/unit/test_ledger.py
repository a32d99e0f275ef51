"""Ledger arithmetic, table by table: balances, allocation, out-of-order events, dates."""

from datetime import date

import pytest

from services.collection.ledger import (
    Adjustment,
    ArrearsClass,
    Cancellation,
    Claim,
    ClaimStatus,
    Payment,
    Reversal,
    build_ledger,
    fiscal_year_of,
)


def claim(claim_id: str, amount: int, due: date, *, department: str = "tax", fiscal_year: int | None = None,
          assessed: date | None = None) -> Claim:
    return Claim(department, claim_id, "individual_inhabitant_tax", "forced_public",
                 fiscal_year or fiscal_year_of(due), 1, due, amount, assessed or date(due.year, 4, 1))


def pay(payment_id: str, amount: int, on: date, claim_id: str | None = None, department: str = "tax") -> Payment:
    return Payment(department, payment_id, claim_id, amount, on, "counter")


A = claim("A", 10_000, date(2024, 6, 30))
B = claim("B", 5_000, date(2024, 8, 31))


def ledger(claims=(), adjustments=(), cancellations=(), payments=(), reversals=(), as_of=date(2024, 9, 30)):  # type: ignore[no-untyped-def]
    return build_ledger(claims, adjustments, cancellations, payments, reversals, as_of)


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [(date(2024, 3, 31), 2023), (date(2024, 4, 1), 2024), (date(2025, 1, 1), 2024), (date(2025, 3, 31), 2024)],
)
def test_fiscal_year_starts_on_1_april(day: date, fiscal_year: int) -> None:
    assert fiscal_year_of(day) == fiscal_year


def test_unpaid_claim_is_delinquent_from_the_day_after_its_due_date() -> None:
    assert ledger([A], as_of=date(2024, 6, 30)).claims[0].status is ClaimStatus.OPEN
    assert ledger([A], as_of=date(2024, 7, 1)).claims[0].status is ClaimStatus.DELINQUENT


def test_payment_naming_a_claim_settles_it() -> None:
    result = ledger([A, B], payments=[pay("p1", 10_000, date(2024, 6, 1), "A")])
    a, b = result.claims
    assert (a.paid, a.balance, a.status) == (10_000, 0, ClaimStatus.PAID)
    assert (b.balance, b.status) == (5_000, ClaimStatus.DELINQUENT)
    assert result.balance == 5_000 and result.delinquent_balance == 5_000


def test_payment_without_a_claim_settles_oldest_due_first_within_its_department() -> None:
    water = claim("W", 3_000, date(2024, 5, 31), department="water")
    result = ledger([B, A, water], payments=[pay("p1", 12_000, date(2024, 9, 1))])
    by_id = {c.claim.claim_id: c for c in result.claims}
    assert (by_id["A"].paid, by_id["B"].paid, by_id["W"].paid) == (10_000, 2_000, 0)
    assert result.overpayments == []


def test_overpayment_is_flagged_for_refund_not_absorbed() -> None:
    result = ledger([A], payments=[pay("p1", 12_500, date(2024, 6, 1), "A")])
    assert result.claims[0].balance == 0
    assert [(o.payment_id, o.amount) for o in result.overpayments] == [("p1", 2_500)]


def test_payment_before_its_claim_is_parked_then_reconciled() -> None:
    early = pay("p1", 4_000, date(2024, 6, 1), "A")
    parked = ledger([], payments=[early])
    assert parked.parked_payments == [early] and parked.claims == []
    reconciled = ledger([A], payments=[early])
    assert reconciled.parked_payments == [] and reconciled.claims[0].balance == 6_000


def test_adjustments_change_the_principal_in_any_order() -> None:
    cut = Adjustment("tax", "A", -3_000, date(2024, 7, 15))
    raise_ = Adjustment("tax", "A", 500, date(2024, 7, 20))
    before_claim = ledger([], adjustments=[cut])
    assert before_claim.claims == []
    result = ledger([A], adjustments=[raise_, cut], payments=[pay("p1", 7_000, date(2024, 8, 1), "A")])
    assert (result.claims[0].principal, result.claims[0].balance) == (7_500, 500)


def test_cancellation_turns_payments_into_refunds() -> None:
    result = ledger([A], cancellations=[Cancellation("tax", "A", date(2024, 7, 1))],
                    payments=[pay("p1", 2_000, date(2024, 6, 1), "A")])
    assert result.claims[0].status is ClaimStatus.CANCELLED and result.claims[0].principal == 0
    assert result.balance == 0 and result.overpayments[0].amount == 2_000


def test_reversed_payment_counts_for_nothing_even_if_the_reversal_came_first() -> None:
    payment = pay("p1", 10_000, date(2024, 6, 28), "A")
    reversal = Reversal("tax", "p1", date(2024, 7, 3))
    result = ledger([A], payments=[payment], reversals=[reversal])
    assert result.claims[0].balance == 10_000 and result.claims[0].status is ClaimStatus.DELINQUENT


def test_balances_as_of_a_past_date_ignore_later_events() -> None:
    events = dict(payments=[pay("p1", 10_000, date(2024, 6, 28), "A")],
                  reversals=[Reversal("tax", "p1", date(2024, 7, 3))])
    assert ledger([A], **events, as_of=date(2024, 6, 30)).claims[0].balance == 0  # type: ignore[arg-type]
    assert ledger([A], **events, as_of=date(2024, 7, 3)).claims[0].balance == 10_000  # type: ignore[arg-type]
    assert ledger([A], as_of=date(2024, 3, 31)).claims == []  # assessed on 2024-04-01


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(date(2025, 3, 31), ArrearsClass.CURRENT_YEAR), (date(2025, 4, 1), ArrearsClass.CARRIED_OVER)],
)
def test_current_year_and_carried_over_arrears(as_of: date, expected: ArrearsClass) -> None:
    assert ledger([A], as_of=as_of).claims[0].arrears_class is expected


def test_event_order_does_not_change_the_result() -> None:
    payments = [pay("p2", 3_000, date(2024, 9, 1)), pay("p1", 9_000, date(2024, 6, 1), "A")]
    forward = ledger([A, B], payments=payments)
    backward = ledger([B, A], payments=list(reversed(payments)))
    assert [(c.claim.claim_id, c.paid) for c in forward.claims] == [(c.claim.claim_id, c.paid) for c in backward.claims]
    assert forward.balance == backward.balance == 3_000


def test_every_payment_allocated_to_a_claim_is_kept_with_its_date() -> None:
    """Late charges run on the principal still unpaid, so each claim keeps when it was paid how much, whether the
    payment named it or not."""
    named = pay("p1", 4_000, date(2024, 7, 10), "A")
    unnamed = pay("p2", 9_000, date(2024, 9, 1))  # oldest first: 6,000 to A, 3,000 to B
    a, b = ledger([A, B], payments=[named, unnamed]).claims
    assert a.settlements == [(date(2024, 7, 10), 4_000), (date(2024, 9, 1), 6_000)]
    assert b.settlements == [(date(2024, 9, 1), 3_000)]


TAX = Claim("tax", "T", "individual_inhabitant_tax", "forced_public", 2024, 1, date(2024, 5, 31), 100_000,
            date(2024, 5, 1))


@pytest.mark.parametrize(("amount", "paid", "late_paid", "overpaid"), [
    # 延滞金 accrued to 2024-12-31 on 100,000 unpaid since 2024-06-01: 4,500 (see test_late_charges)
    (104_500, 100_000, 4_500, 0),  # principal first, then the late charge: nothing left over
    (104_600, 100_000, 4_500, 100),  # beyond both: refunded (還付)
    (102_000, 100_000, 2_000, 0),  # part of the late charge
    (60_000, 60_000, 0, 0),  # principal only while principal is owed
])
def test_a_tax_payment_settles_principal_first_then_the_late_charge(amount: int, paid: int, late_paid: int,
                                                                     overpaid: int) -> None:
    result = ledger([TAX], payments=[pay("p1", amount, date(2024, 12, 31))], as_of=date(2025, 1, 31))
    (claim_balance,) = result.claims
    assert (claim_balance.paid, claim_balance.late_charge_paid) == (paid, late_paid)
    assert sum(o.amount for o in result.overpayments) == overpaid


def test_a_later_payment_finds_the_late_charge_fixed_when_the_principal_was_paid() -> None:
    # principal paid on 2024-12-31 (4,500 accrued by then); a month later the late charge is still 4,500
    result = ledger([TAX], payments=[pay("p1", 100_000, date(2024, 12, 31)), pay("p2", 5_000, date(2025, 1, 31))],
                    as_of=date(2025, 2, 28))
    (claim_balance,) = result.claims
    assert (claim_balance.paid, claim_balance.late_charge_paid) == (100_000, 4_500)
    assert [o.amount for o in result.overpayments] == [500]


def test_a_private_claims_payment_settles_delay_damages_first() -> None:
    # 民法489条: 遅延損害金 before the principal. 2024-06-01 … 2024-12-31 is 214 days:
    # 10,000 × 3% × 214/365 = 175.89 → 175 yen; 12,000 − 175 − 10,000 = 1,825 yen refunded.
    water = Claim("water", "W", "water_supply_charge", "private", 2024, 1, date(2024, 5, 31), 10_000, date(2024, 5, 1))
    result = ledger([water], payments=[pay("p1", 12_000, date(2024, 12, 31), department="water")],
                    as_of=date(2025, 1, 31))
    assert result.claims[0].late_charge_paid == 175 and [o.amount for o in result.overpayments] == [1_825]


def test_a_departments_write_off_ends_the_claim_on_its_day_and_money_after_it_is_not_its_payment() -> None:
    """不納欠損 recorded by the department's own system (the standard link): the ledger takes its day as the end of
    the claim when its own prescription has not ended it; a payment after it is 過誤納金, not a payment of it."""
    from services.collection.ledger import LegalAction

    write_off = LegalAction("tax", "A", date(2024, 9, 1), "write_off")
    result = build_ledger([A, B], (), (), [pay("p1", 2_000, date(2024, 9, 10), "A")], (), date(2024, 9, 30),
                          actions=[write_off])
    a, b = result.claims
    assert (a.status, a.extinguished_on, a.extinguished_by, a.outstanding) == (
        ClaimStatus.EXTINGUISHED, date(2024, 9, 1), "write_off", 0)
    # the 2,000 paid after it is not a payment of A: 過誤納金, which the ledger's own 充当 applies to B
    assert a.paid == 0 and (b.paid, b.balance) == (2_000, 3_000) and result.delinquent_balance == 3_000
    before = build_ledger([A], (), (), (), (), date(2024, 8, 31), actions=[write_off]).claims[0]
    assert before.status is ClaimStatus.DELINQUENT and before.balance == 10_000  # not yet written off
