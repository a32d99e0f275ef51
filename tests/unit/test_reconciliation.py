"""Reconciliation's causes: each difference between a department's statement and the central ledger gets the
likely cause staff should look at first; equal balances and settled claims the department no longer lists are
no difference."""

from services.collection.reconciliation import CAUSES, CentralClaim, Statement, by_cause, reconcile


def test_each_difference_gets_its_likely_cause() -> None:
    statements = [
        Statement("C-equal", "P1", 10_000),
        Statement("C-unknown", "P2", 5_000),  # the centre never got this 調定
        Statement("C-transit", "P3", 0),  # the department booked the convenience-store money already
        Statement("C-feed", "P4", 8_000),  # the centre took money at its window; the department has not booked it
        Statement("C-odd", "P5", 7_000),
    ]
    central = [
        CentralClaim("C-equal", "P1", 10_000),
        CentralClaim("C-transit", "P3", 6_000, payment_in_transit=True),
        CentralClaim("C-feed", "P4", 3_000),
        CentralClaim("C-odd", "P5", 6_000),
        CentralClaim("C-missing", "P6", 4_000),  # open at the centre, not on the statement
        CentralClaim("C-settled", "P7", 0),  # paid: the department need not list it
    ]
    differences = reconcile(statements, central, unacknowledged_payers=frozenset({"P4"}))
    assert [(d.claim_id, d.cause) for d in differences] == [
        ("C-feed", "feed_not_acknowledged"), ("C-missing", "missing_at_department"), ("C-odd", "amount_differs"),
        ("C-transit", "payment_in_transit"), ("C-unknown", "unknown_claim")]
    assert [(d.department_balance, d.central_balance) for d in differences] == [
        (8_000, 3_000), (None, 4_000), (7_000, 6_000), (0, 6_000), (5_000, None)]
    assert by_cause(differences) == dict.fromkeys(CAUSES, 1)
    assert all(d.explanation for d in differences)


def test_a_cause_is_only_given_when_its_direction_fits() -> None:
    # in transit, but the department's balance is higher: the 速報 does not explain it
    assert reconcile([Statement("C", "P", 9_000)], [CentralClaim("C", "P", 6_000, payment_in_transit=True)]
                     )[0].cause == "amount_differs"
    # an unacknowledged window payment, but the department's balance is lower: not explained either
    assert reconcile([Statement("C", "P", 1_000)], [CentralClaim("C", "P", 6_000)],
                     unacknowledged_payers=frozenset({"P"}))[0].cause == "amount_differs"
    assert reconcile([Statement("C", "P", 6_000)], [CentralClaim("C", "P", 6_000)]) == []
