"""Late charges (延滞金, 遅延損害金), example by example with the arithmetic written out, then random claims checked
against the rounding invariants and against a day-by-day recomputation.

Notation in the comments: base × rate × days / 365, the rate as a decimal fraction; "→" is the rounding."""

import calendar
import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.collection.late_charges import (
    DEFAULT_RATES_PATH,
    ChargeKind,
    LateChargeRates,
    Phase,
    charge_for,
    default_late_charge_rates,
    delay_damages,
    late_charge,
    load_late_charge_rates,
    reduced_period_end,
)

R, F, LEGAL = Phase.REDUCED, Phase.FULL, Phase.LEGAL
D = date


def shape(result) -> list[tuple[date, date, int, int, str, Phase]]:
    """The segments without their amounts: (from, to, days, base, rate, phase)."""
    return [(s.start, s.end, s.days, s.base, str(s.rate), s.phase) for s in result.segments]


# --- 延滞金: the examples ---------------------------------------------------------------------------------


def test_thirty_days_in_the_reduced_phase_are_under_1000_yen_and_dropped() -> None:
    # due 2024-05-31 → reduced 2024-06-01 … 2024-06-30 (30 days, 2.4%)
    # 100,000 × 0.024 × 30 / 365 = 72,000 / 365 = 197.26 → under 1,000 yen → 0
    result = late_charge(100_000, D(2024, 5, 31), D(2024, 6, 30))
    assert result.kind is ChargeKind.TAX_LATE_CHARGE
    assert shape(result) == [(D(2024, 6, 1), D(2024, 6, 30), 30, 100_000, "2.4", R)]
    assert result.total == Fraction(72_000, 365)
    assert result.rounded_total == 0
    assert any("1,000-yen minimum" in note for note in result.notes)


def test_reduced_then_full_phase_to_the_end_of_the_year() -> None:
    # reduced 2024-06-01 … 06-30: 30 days at 2.4%: 100,000 × 0.024 × 30 / 365 = 72,000 / 365 = 197.26
    # full 2024-07-01 … 12-31: 31 + 31 + 30 + 31 + 30 + 31 = 184 days at 8.7%:
    #   100,000 × 0.087 × 184 / 365 = 1,600,800 / 365 = 4,385.75
    # total 1,672,800 / 365 = 4,583.01 → rounded down to 100 yen: 4,500
    result = late_charge(100_000, D(2024, 5, 31), D(2024, 12, 31))
    assert shape(result) == [(D(2024, 6, 1), D(2024, 6, 30), 30, 100_000, "2.4", R),
                             (D(2024, 7, 1), D(2024, 12, 31), 184, 100_000, "8.7", F)]
    assert [s.amount for s in result.segments] == [Fraction(72_000, 365), Fraction(1_600_800, 365)]
    assert result.total == Fraction(1_672_800, 365)
    assert result.rounded_total == 4_500
    assert "4,583.01 yen → charged 4,500 yen" in result.explain()


def test_a_new_year_starts_a_new_segment_even_at_the_same_rate() -> None:
    # 300,000 due 2024-10-31, as of 2025-01-31 (2024 and 2025 are both 2.4% / 8.7%)
    # reduced 2024-11-01 … 11-30: 30 days: 300,000 × 0.024 × 30 / 365 = 216,000 / 365 = 591.78
    # full 2024-12-01 … 12-31: 31 days: 300,000 × 0.087 × 31 / 365 = 809,100 / 365 = 2,216.71
    # full 2025-01-01 … 01-31: 31 days: the same 809,100 / 365
    # total 1,834,200 / 365 = 5,025.20 → 5,000
    result = late_charge(300_000, D(2024, 10, 31), D(2025, 1, 31))
    assert shape(result) == [(D(2024, 11, 1), D(2024, 11, 30), 30, 300_000, "2.4", R),
                             (D(2024, 12, 1), D(2024, 12, 31), 31, 300_000, "8.7", F),
                             (D(2025, 1, 1), D(2025, 1, 31), 31, 300_000, "8.7", F)]
    assert result.total == Fraction(1_834_200, 365)
    assert result.rounded_total == 5_000


def test_the_rate_changes_with_the_calendar_year() -> None:
    # 500,000 due 2025-10-31, as of 2026-03-30; 2025: 2.4% / 8.7%, 2026: 2.8% / 9.1%
    # reduced 2025-11-01 … 11-30: 30 days: 500,000 × 0.024 × 30 / 365 = 360,000 / 365 = 986.30
    # full 2025-12-01 … 12-31: 31 days: 500,000 × 0.087 × 31 / 365 = 1,348,500 / 365 = 3,694.52
    # full 2026-01-01 … 03-30: 31 + 28 + 30 = 89 days: 500,000 × 0.091 × 89 / 365 = 4,049,500 / 365 = 11,094.52
    # total 5,758,000 / 365 = 15,775.34 → 15,700
    result = late_charge(500_000, D(2025, 10, 31), D(2026, 3, 30))
    assert shape(result) == [(D(2025, 11, 1), D(2025, 11, 30), 30, 500_000, "2.4", R),
                             (D(2025, 12, 1), D(2025, 12, 31), 31, 500_000, "8.7", F),
                             (D(2026, 1, 1), D(2026, 3, 30), 89, 500_000, "9.1", F)]
    assert result.total == Fraction(5_758_000, 365)
    assert result.rounded_total == 15_700


def test_the_reduced_phase_itself_can_cross_the_year() -> None:
    # 1,000,000 due 2025-12-15: reduced 2025-12-16 … 2026-01-15
    # 2025-12-16 … 12-31: 16 days at 2.4%: 1,000,000 × 0.024 × 16 / 365 = 384,000 / 365 = 1,052.05
    # 2026-01-01 … 01-15: 15 days at 2.8%: 1,000,000 × 0.028 × 15 / 365 = 420,000 / 365 = 1,150.68
    # total 804,000 / 365 = 2,202.73 → 2,200
    result = late_charge(1_000_000, D(2025, 12, 15), D(2026, 1, 15))
    assert shape(result) == [(D(2025, 12, 16), D(2025, 12, 31), 16, 1_000_000, "2.4", R),
                             (D(2026, 1, 1), D(2026, 1, 15), 15, 1_000_000, "2.8", R)]
    assert result.total == Fraction(804_000, 365)
    assert result.rounded_total == 2_200


def test_a_month_end_due_date_in_a_leap_year() -> None:
    # 200,000 due 2024-01-31: reduced 2024-02-01 … 02-29 (29 days, the 29th counted), full from 03-01
    # 200,000 × 0.024 × 29 / 365 = 139,200 / 365 = 381.36
    # 200,000 × 0.087 × 31 / 365 = 539,400 / 365 = 1,477.80
    # total 678,600 / 365 = 1,859.17 → 1,800
    result = late_charge(200_000, D(2024, 1, 31), D(2024, 3, 31))
    assert shape(result) == [(D(2024, 2, 1), D(2024, 2, 29), 29, 200_000, "2.4", R),
                             (D(2024, 3, 1), D(2024, 3, 31), 31, 200_000, "8.7", F)]
    assert result.total == Fraction(678_600, 365)
    assert result.rounded_total == 1_800


def test_a_leap_year_still_divides_by_365() -> None:
    # 100,000 due 2023-11-30: reduced 2023-12-01 … 12-31 (31 days at 2.4%): 74,400 / 365 = 203.83
    # all of 2024 at 8.7%: 366 days: 100,000 × 0.087 × 366 / 365 = 3,184,200 / 365 = 8,723.83, more than a year's
    # 8,700 because the leap day is one more 365th (年365日当たりの割合)
    # total 3,258,600 / 365 = 8,927.67 → 8,900
    result = late_charge(100_000, D(2023, 11, 30), D(2024, 12, 31))
    assert shape(result) == [(D(2023, 12, 1), D(2023, 12, 31), 31, 100_000, "2.4", R),
                             (D(2024, 1, 1), D(2024, 12, 31), 366, 100_000, "8.7", F)]
    assert result.segments[1].amount == Fraction(3_184_200, 365) > 8_700
    assert result.rounded_total == 8_900


def test_the_base_is_rounded_down_to_1000_yen() -> None:
    # 2,999 → base 2,000; due 2024-05-31, as of 2024-12-31 as above:
    # 2,000 × 0.024 × 30 / 365 = 1,440 / 365 and 2,000 × 0.087 × 184 / 365 = 32,016 / 365: 91.66 → under 1,000 → 0
    small = late_charge(2_999, D(2024, 5, 31), D(2024, 12, 31))
    assert [(s.principal, s.base) for s in small.segments] == [(2_999, 2_000), (2_999, 2_000)]
    assert small.total == Fraction(1_440 + 32_016, 365)
    assert small.rounded_total == 0
    # 12,999 and 12,000 bear the same charge
    assert (late_charge(12_999, D(2022, 3, 31), D(2024, 3, 31)).total
            == late_charge(12_000, D(2022, 3, 31), D(2024, 3, 31)).total)


def test_a_principal_under_2000_yen_bears_no_charge_and_needs_no_rate() -> None:
    result = late_charge(1_999, D(2024, 5, 31), D(2026, 12, 31))
    assert (result.total, result.rounded_total, result.segments) == (0, 0, ())
    assert "under the 2,000-yen minimum" in result.notes[0]
    # nothing accrues, so a year missing from the table does not matter
    assert late_charge(1_999, D(2027, 5, 31), D(2027, 12, 31)).rounded_total == 0


def test_a_partial_payment_reduces_the_principal_from_the_next_day() -> None:
    # 100,000 due 2024-05-31; 59,500 paid on 2024-09-30 (the day of payment still bears the full principal)
    # 2024-06-01 … 06-30: 30 days, 100,000 at 2.4%: 100,000 × 0.024 × 30 / 365 = 72,000 / 365 = 197.26
    # 2024-07-01 … 09-30: 92 days, 100,000 at 8.7%: 100,000 × 0.087 × 92 / 365 = 800,400 / 365 = 2,192.87
    # 2024-10-01 … 12-31: 92 days, 40,500 → base 40,000 at 8.7%: 40,000 × 0.087 × 92 / 365 = 320,160 / 365 = 877.15
    # total 1,192,560 / 365 = 3,267.28 → 3,200
    result = late_charge(100_000, D(2024, 5, 31), D(2024, 12, 31), payments=[(D(2024, 9, 30), 59_500)])
    assert [(s.start, s.end, s.days, s.principal, s.base, str(s.rate)) for s in result.segments] == [
        (D(2024, 6, 1), D(2024, 6, 30), 30, 100_000, 100_000, "2.4"),
        (D(2024, 7, 1), D(2024, 9, 30), 92, 100_000, 100_000, "8.7"),
        (D(2024, 10, 1), D(2024, 12, 31), 92, 40_500, 40_000, "8.7")]
    assert result.total == Fraction(1_192_560, 365)
    assert result.rounded_total == 3_200


def test_payments_on_the_due_date_after_as_of_and_paying_in_full() -> None:
    due, as_of = D(2024, 5, 31), D(2024, 12, 31)
    # paid on the due date: no day bears it
    assert (late_charge(100_000, due, as_of, payments=[(due, 40_000)]).total
            == late_charge(60_000, due, as_of).total)
    # paid after as_of: not counted yet
    assert (late_charge(100_000, due, as_of, payments=[(D(2025, 1, 10), 40_000)]).total
            == late_charge(100_000, due, as_of).total)
    # paid in full on 2024-06-10: 10 days at 2.4%: 100,000 × 0.024 × 10 / 365 = 24,000 / 365, nothing after
    paid = late_charge(100_000, due, as_of, payments=[(D(2024, 6, 5), 30_000), (D(2024, 6, 10), 70_000)])
    assert [(s.start, s.end, s.base) for s in paid.segments] == [(D(2024, 6, 1), D(2024, 6, 5), 100_000),
                                                                (D(2024, 6, 6), D(2024, 6, 10), 70_000)]
    assert paid.total == Fraction(100_000 * 24 * 5 + 70_000 * 24 * 5, 1000 * 365)
    # the remainder falls under 2,000 yen: the charge stops with a note
    tail = late_charge(100_000, due, as_of, payments=[(D(2024, 6, 10), 98_500)])
    assert [s.end for s in tail.segments] == [D(2024, 6, 10)]
    assert any("1,500 yen is under the 2,000-yen minimum" in note for note in tail.notes)


def test_as_of_on_or_before_the_due_date_bears_nothing() -> None:
    assert late_charge(100_000, D(2024, 5, 31), D(2024, 5, 31)).segments == ()
    assert late_charge(100_000, D(2024, 5, 31), D(2024, 5, 1)).total == 0


@pytest.mark.parametrize(("due", "end"), [
    (D(2024, 5, 31), D(2024, 6, 30)),  # 起算日 06-01 is a 1st: the end of June
    (D(2024, 1, 31), D(2024, 2, 29)),  # 起算日 02-01: the end of February (leap)
    (D(2023, 1, 31), D(2023, 2, 28)),
    (D(2024, 4, 30), D(2024, 5, 31)),  # a month-end due date: the end of the next month, not 05-30
    (D(2024, 2, 29), D(2024, 3, 31)),
    (D(2023, 2, 28), D(2023, 3, 31)),
    (D(2024, 1, 30), D(2024, 2, 29)),  # 起算日 01-31: no 02-31, so February's last day
    (D(2024, 1, 29), D(2024, 2, 29)),  # 起算日 01-30: no 02-30
    (D(2024, 1, 28), D(2024, 2, 28)),  # 起算日 01-29: the day before 02-29
    (D(2023, 1, 29), D(2023, 2, 28)),  # 起算日 01-30: no 02-30 in 2023
    (D(2023, 1, 27), D(2023, 2, 27)),
    (D(2024, 5, 15), D(2024, 6, 15)),  # the due date's day number in the next month
    (D(2024, 12, 15), D(2025, 1, 15)),
    (D(2024, 12, 31), D(2025, 1, 31)),
])
def test_one_month_after_the_due_date(due: date, end: date) -> None:
    assert reduced_period_end(due) == end


def test_a_missing_year_is_an_error_naming_it() -> None:
    with pytest.raises(LookupError, match=r"^no 延滞金 rate for 2027 in late_charge_rates\.v1\.json: add it$"):
        late_charge(100_000, D(2026, 11, 30), D(2027, 1, 10))
    # 2000–2013 (the 公定歩合-based special rates) are not in the table either
    with pytest.raises(LookupError, match="2010"):
        late_charge(100_000, D(2010, 3, 31), D(2010, 6, 30))


def test_before_2000_the_statutory_rates_apply() -> None:
    # 100,000 due 1999-10-31: 1999-11-01 … 11-30 at 7.3%: 100,000 × 0.073 × 30 / 365 = 600
    # 1999-12-01 … 12-31 at 14.6%: 100,000 × 0.146 × 31 / 365 = 1,240; total 1,840 → 1,800
    result = late_charge(100_000, D(1999, 10, 31), D(1999, 12, 31))
    assert [str(s.rate) for s in result.segments] == ["7.3", "14.6"]
    assert (result.total, result.rounded_total) == (1_840, 1_800)
    with pytest.raises(LookupError, match="2000"):
        late_charge(100_000, D(1999, 10, 31), D(2000, 1, 1))


# --- 遅延損害金 ---------------------------------------------------------------------------------------------


def test_delay_damages_at_3_percent_over_a_leap_year() -> None:
    # 123,456 due 2023-03-31: delay from 2023-04-01 (法定利率 3%) to 2024-03-31: 366 days
    # 123,456 × 0.03 × 366 / 365 = 135,554,688 / 36,500 = 3,713.82 → rounded down to the yen: 3,713 (no thresholds)
    result = delay_damages(123_456, D(2023, 3, 31), D(2024, 3, 31))
    assert result.kind is ChargeKind.DELAY_DAMAGES
    assert shape(result) == [(D(2023, 4, 1), D(2024, 3, 31), 366, 123_456, "3", LEGAL)]
    assert result.total == Fraction(135_554_688, 36_500)
    assert result.rounded_total == 3_713


def test_delay_that_began_before_2020_04_01_keeps_5_percent() -> None:
    # 100,000 due 2019-09-30: delay from 2019-10-01, when the legal rate was 5%; 民法419条1項 keeps it after the
    # reform: 2019-10-01 … 2020-09-30 = 366 days: 100,000 × 0.05 × 366 / 365 = 1,830,000 / 365 = 5,013.69 → 5,013
    old = delay_damages(100_000, D(2019, 9, 30), D(2020, 9, 30))
    assert shape(old) == [(D(2019, 10, 1), D(2020, 9, 30), 366, 100_000, "5", LEGAL)]
    assert (old.total, old.rounded_total) == (Fraction(1_830_000, 365), 5_013)
    # due 2020-03-31: delay from 2020-04-01 at 3%: 365 days: 100,000 × 0.03 × 365 / 365 = 3,000
    new = delay_damages(100_000, D(2020, 3, 31), D(2021, 3, 31))
    assert (str(new.segments[0].rate), new.total, new.rounded_total) == ("3", 3_000, 3_000)


def test_delay_damages_on_the_reduced_principal_and_without_thresholds() -> None:
    # 100,000 due 2023-03-31, 50,000 paid 2023-06-30
    # 2023-04-01 … 06-30: 91 days: 100,000 × 0.03 × 91 / 365 = 273,000 / 365 = 747.94
    # 2023-07-01 … 12-31: 184 days: 50,000 × 0.03 × 184 / 365 = 276,000 / 365 = 756.16
    # total 549,000 / 365 = 1,504.10 → 1,504
    result = delay_damages(100_000, D(2023, 3, 31), D(2023, 12, 31), payments=[(D(2023, 6, 30), 50_000)])
    assert [(s.start, s.end, s.days, s.base) for s in result.segments] == [
        (D(2023, 4, 1), D(2023, 6, 30), 91, 100_000), (D(2023, 7, 1), D(2023, 12, 31), 184, 50_000)]
    assert (result.total, result.rounded_total) == (Fraction(549_000, 365), 1_504)
    # 1,500 yen for 365 days: 1,500 × 0.03 = 45 yen, charged in full (no 2,000 / 1,000-yen rules)
    assert delay_damages(1_500, D(2023, 3, 31), D(2024, 3, 30)).rounded_total == 45


def test_delay_beginning_after_the_last_legal_rate_period_is_an_error() -> None:
    with pytest.raises(LookupError, match=r"法定利率.*2029-04-01 in late_charge_rates\.v1\.json: add it"):
        delay_damages(100_000, D(2029, 3, 31), D(2029, 5, 1))


# --- by category --------------------------------------------------------------------------------------------


def test_charge_for_each_category() -> None:
    due, as_of = D(2024, 5, 31), D(2024, 12, 31)
    assert charge_for("forced_public", 100_000, due, as_of) == late_charge(100_000, due, as_of)
    assert charge_for("private", 100_000, due, as_of) == delay_damages(100_000, due, as_of)
    none = charge_for("non_forced_public", 100_000, due, as_of)
    assert (none.kind, none.rounded_total, none.segments) == (ChargeKind.NONE, 0, ())
    assert "ordinance" in none.notes[0]
    by_ordinance = charge_for("non_forced_public", 100_000, due, as_of, ordinance_late_charge=True)
    assert (by_ordinance.kind, by_ordinance.rounded_total) == (ChargeKind.TAX_LATE_CHARGE, 4_500)
    with pytest.raises(ValueError, match="claim_category"):
        charge_for("tax", 100_000, due, as_of)


# --- validation and the table -------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"principal": -1}, "principal"),
    ({"principal": 1000.0}, "principal"),
    ({"principal": True}, "principal"),
    ({"as_of": datetime(2024, 12, 31, 9)}, "as_of"),
    ({"payments": [(D(2024, 6, 1), 0)]}, r"payments\[0\]\.amount"),
    ({"payments": [(D(2024, 6, 1), 60_000), (D(2024, 7, 1), 50_000)]}, "more than the principal"),
])
def test_bad_input_names_the_field(kwargs: dict, field: str) -> None:
    args = {"principal": 100_000, "due_date": D(2024, 5, 31), "as_of": D(2024, 12, 31)} | kwargs
    payments = args.pop("payments", ())
    with pytest.raises(ValueError, match=field):
        late_charge(args["principal"], args["due_date"], args["as_of"], payments=payments)


def test_the_packaged_table() -> None:
    table = default_late_charge_rates()
    raw = json.loads(DEFAULT_RATES_PATH.read_text(encoding="utf-8"))
    assert "verify" in raw and "official announcement" in raw["verify"]
    assert all(year["source"] for year in raw["tax_late_charge"]["years"].values())
    expected = {2021: ("1.5", "2.5", "8.8"), 2022: ("1.4", "2.4", "8.7"), 2023: ("1.4", "2.4", "8.7"),
                2024: ("1.4", "2.4", "8.7"), 2025: ("1.4", "2.4", "8.7"), 2026: ("1.8", "2.8", "9.1")}
    for year, (base, reduced, full) in expected.items():
        rates = table.tax_late_charge.years[year]
        assert (rates.special_base_rate, rates.reduced, rates.full) == (Decimal(base), Decimal(reduced),
                                                                        Decimal(full))
    assert table.legal_rate(D(2020, 3, 31)) == 5 and table.legal_rate(D(2020, 4, 1)) == 3


def _write(tmp_path: Path, change) -> Path:
    raw = json.loads(DEFAULT_RATES_PATH.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_rate_that_does_not_follow_from_its_base_is_rejected(tmp_path: Path) -> None:
    def typo(raw: dict) -> None:
        raw["tax_late_charge"]["years"]["2025"]["full"] = "9.1"

    with pytest.raises(ValidationError, match=r"years\[2025\]"):
        load_late_charge_rates(_write(tmp_path, typo))


def test_a_gap_between_legal_rate_periods_is_rejected(tmp_path: Path) -> None:
    def gap(raw: dict) -> None:
        raw["delay_damages"]["legal_rates"][2]["from"] = "2023-04-02"

    with pytest.raises(ValidationError, match="must start the day after"):
        load_late_charge_rates(_write(tmp_path, gap))


def test_the_rounding_rules_are_data(tmp_path: Path) -> None:
    def no_thresholds(raw: dict) -> None:
        raw["tax_late_charge"]["rounding"] |= {"base_unit": 1, "base_minimum": 0, "charge_unit": 1,
                                               "charge_minimum": 0}

    table = load_late_charge_rates(_write(tmp_path, no_thresholds))
    # 72,000 / 365 = 197.26 → 197 once the thresholds are gone
    assert late_charge(100_000, D(2024, 5, 31), D(2024, 6, 30), table=table).rounded_total == 197


# --- random claims ------------------------------------------------------------------------------------------


def _one_month_end(due: date) -> date:
    """An independent reading of 1月を経過する日: the due date's day number next month, capped at the month's end;
    the next month's end for a month-end due date."""
    year, month = (due.year + 1, 1) if due.month == 12 else (due.year, due.month + 1)
    last = calendar.monthrange(year, month)[1]
    if due.day == calendar.monthrange(due.year, due.month)[1]:
        return date(year, month, last)
    return date(year, month, min(due.day, last))


def _day_by_day(principal: int, due: date, as_of: date, payments: list[tuple[date, int]],
                table: LateChargeRates) -> Fraction:
    """The 延滞金 summed one day at a time, each day with its own base and rate."""
    total = Fraction(0)
    day = due + timedelta(days=1)
    while day <= as_of:
        remaining = principal - sum(amount for paid_on, amount in payments if paid_on < day)
        base = 0 if remaining < 2_000 else remaining // 1_000 * 1_000
        if base:
            rate = table.tax_rate(day.year, R if day <= _one_month_end(due) else F)
            total += Fraction(base) * Fraction(rate) / (100 * 365)
        day += timedelta(days=1)
    return total


def test_random_claims_keep_the_invariants() -> None:
    rng = random.Random(20241231)
    table = default_late_charge_rates()
    first, last = D(2014, 1, 1), D(2026, 12, 31)
    for case in range(1_000):
        principal = rng.choice([rng.randint(0, 5_000), rng.randint(0, 200_000), rng.randint(0, 5_000_000)])
        due = first + timedelta(days=rng.randint(0, (last - first).days - 1))
        horizon = min(last, due + timedelta(days=rng.randint(0, 900)))
        as_ofs = sorted(due + timedelta(days=rng.randint(-10, (horizon - due).days)) for _ in range(4))
        results = [late_charge(principal, due, as_of, table=table) for as_of in as_ofs]
        for result in results:
            assert result.rounded_total % 100 == 0, case
            assert 0 <= result.rounded_total <= result.total, case
            assert result.rounded_total == 0 or result.rounded_total >= 1_000, case
        for earlier, later in zip(results, results[1:], strict=False):
            assert earlier.total <= later.total and earlier.rounded_total <= later.rounded_total, case

        payments: list[tuple[date, int]] = []
        left = principal
        for _ in range(rng.randint(0, 3)):
            if left == 0:
                break
            amount = rng.randint(1, left)
            payments.append((due + timedelta(days=rng.randint(-5, 400)), amount))
            left -= amount
        with_payments = late_charge(principal, due, as_ofs[-1], payments=payments, table=table)
        assert 0 <= with_payments.rounded_total <= with_payments.total <= results[-1].total, case
        assert sum(s.days for s in with_payments.segments) <= max(0, (as_ofs[-1] - due).days), case
        if case % 5 == 0:
            assert with_payments.total == _day_by_day(principal, due, as_ofs[-1], payments, table), case

        damages = delay_damages(principal, due, as_ofs[-1], payments=payments, table=table)
        assert 0 <= damages.rounded_total <= damages.total < damages.rounded_total + 1, case
