"""Management reports against figures computed by hand from a small known data set."""

from datetime import date
from decimal import Decimal

from services.collection.ledger import Claim, Payment, build_ledger
from services.collection.reports import (
    Target,
    aging,
    collection_rates,
    outstanding_against_targets,
    rate,
)

FY = 2024
START, NOW = date(2024, 3, 31), date(2024, 12, 31)

# One debtor: an old (FY2023) sewerage charge of 20,000 with 5,000 paid before April, 6,000 after (a public claim:
# payments settle its principal first; a private water bill's would settle 遅延損害金 first, 民法489条);
# two FY2024 tax installments of 30,000 each, the first paid in full, the second half.
CLAIMS = [
    Claim("water", "w-old", "sewerage_charge", "forced_public", 2023, 1, date(2023, 9, 30), 20_000, date(2023, 9, 1)),
    Claim("tax", "t-1", "individual_inhabitant_tax", "forced_public", 2024, 1, date(2024, 6, 30), 30_000,
          date(2024, 6, 1)),
    Claim("tax", "t-2", "individual_inhabitant_tax", "forced_public", 2024, 2, date(2024, 8, 31), 30_000,
          date(2024, 6, 1)),
]
PAYMENTS = [
    Payment("water", "p1", "w-old", 5_000, date(2024, 1, 15), "counter"),
    Payment("water", "p2", "w-old", 6_000, date(2024, 7, 1), "counter"),
    Payment("tax", "p3", "t-1", 30_000, date(2024, 6, 28), "bank"),
    Payment("tax", "p4", "t-2", 15_000, date(2024, 9, 10), "convenience_store"),
]


def ledgers(as_of: date):  # type: ignore[no-untyped-def]
    return [build_ledger(CLAIMS, [], [], PAYMENTS, [], as_of)]


def test_collection_rates_current_year_carried_over_and_overall() -> None:
    rows = {(r.department, r.receivable_type): r for r in collection_rates(ledgers(START), ledgers(NOW), FY)}
    tax = rows[("tax", "individual_inhabitant_tax")]
    # 現年度分: assessed 60,000, received 45,000 → 75.0%; nothing carried over
    assert (tax.current_assessed, tax.current_received, tax.current_rate) == (60_000, 45_000, Decimal("75.00"))
    assert (tax.carried_assessed, tax.carried_rate) == (0, None)
    water = rows[("water", "sewerage_charge")]
    # 滞納繰越分: 15,000 unpaid on 31 March 2024, 6,000 received since → 40.0%
    assert (water.carried_assessed, water.carried_received, water.carried_rate) == (15_000, 6_000, Decimal("40.00"))
    assert water.current_assessed == 0 and water.overall_rate == Decimal("40.00")


def test_outstanding_against_the_target_in_the_designated_citys_format() -> None:
    targets = {("water", "sewerage_charge"): Target(outstanding=10_000),
               ("tax", "individual_inhabitant_tax"): Target(outstanding=20_000)}
    rows = {(r.department, r.receivable_type): r
            for r in outstanding_against_targets(ledgers(START), ledgers(NOW), targets)}
    water = rows[("water", "sewerage_charge")]
    # prior year-end 15,000 → now 9,000 against a target of 10,000: 1,000 better, 111.11% achieved, 60.00% compressed
    assert (water.prior_year_end, water.target, water.actual, water.difference) == (15_000, 10_000, 9_000, -1_000)
    assert (water.achievement, water.compression) == (Decimal("111.11"), Decimal("60.00"))
    tax = rows[("tax", "individual_inhabitant_tax")]
    # nothing outstanding on 31 March (not yet assessed), 15,000 now against 20,000: met (133.33%)
    assert (tax.prior_year_end, tax.actual, tax.difference, tax.achievement, tax.compression) == \
        (0, 15_000, -5_000, Decimal("133.33"), None)


def test_aging_buckets_by_days_overdue() -> None:
    rows = {(r.department, r.bucket): (r.claims, r.balance) for r in aging(ledgers(NOW), NOW)}
    # t-2 due 2024-08-31: 122 days overdue on 2024-12-31; w-old due 2023-09-30: 458 days
    assert rows == {("tax", "91-180 days"): (1, 15_000), ("water", "1-2 years"): (1, 9_000)}


def test_rates_round_half_up_to_two_decimals_and_are_empty_without_assessment() -> None:
    assert rate(1, 3) == Decimal("33.33") and rate(2, 3) == Decimal("66.67") and rate(1, 8) == Decimal("12.50")
    assert rate(1, 800) == Decimal("0.13")  # 0.125: half up as published, not to even
    assert rate(2_800_007, 2_934_892) == Decimal("95.40")  # Nagoya's 財政局
    assert rate(5, 0) is None
