"""Reports as a city publishes them: the 出納閉鎖 basis (地方自治法235条の5), 不納欠損額, and the outstanding-balance
table per bureau in thousand yen — every figure computed by hand."""

from datetime import date
from decimal import Decimal

import pytest

from contracts.receivables import RECEIVABLES
from services.collection.ledger import Claim, Payment, build_ledger
from services.collection.reports import (
    OutstandingRow,
    Target,
    accounts_closing_day,
    books_dates,
    bureau_table,
    collection_rates,
    load_bureaus,
    outstanding_against_targets,
    parse_bureaus,
    thousand_yen,
)
from shared.csv_cells import spreadsheet_safe as safe_cell

TAX = "individual_inhabitant_tax"
# A FY2023 tax installment due 2024-02-29 of 10,000 paid on 2024-04-20 (出納整理期間); a FY2023 one of 20,000 due
# 2024-03-31 paid 5,000 on 2024-06-10; a FY2022 one of 8,000 never paid; a FY2024 one of 30,000 due 2024-04-30
# paid 12,000 on 2024-05-20.
CLAIMS = [
    Claim("tax", "a", TAX, "forced_public", 2023, 4, date(2024, 2, 29), 10_000, date(2023, 6, 1)),
    Claim("tax", "b", TAX, "forced_public", 2023, 5, date(2024, 3, 31), 20_000, date(2023, 6, 1)),
    Claim("tax", "old", TAX, "forced_public", 2022, 4, date(2023, 2, 28), 8_000, date(2022, 6, 1)),
    Claim("tax", "c", TAX, "forced_public", 2024, 1, date(2024, 4, 30), 30_000, date(2024, 4, 10)),
]
PAYMENTS = [
    Payment("tax", "p-a", "a", 10_000, date(2024, 4, 20), "bank"),
    Payment("tax", "p-b", "b", 5_000, date(2024, 6, 10), "bank"),
    Payment("tax", "p-c", "c", 12_000, date(2024, 5, 20), "bank"),
]


def ledgers(as_of: date):  # type: ignore[no-untyped-def]
    return [build_ledger(CLAIMS, [], [], PAYMENTS, [], as_of)]


def rates(fiscal_year: int, as_of: date, write_offs=None):  # type: ignore[no-untyped-def]
    opening, closing = books_dates(fiscal_year, as_of)
    (row,) = collection_rates(ledgers(opening), ledgers(closing), fiscal_year, write_offs)
    return row


def test_the_books_of_a_year_close_on_31_may() -> None:
    assert accounts_closing_day(2023) == date(2024, 5, 31)
    assert books_dates(2024, date(2025, 3, 31)) == (date(2024, 5, 31), date(2025, 3, 31))
    assert books_dates(2023, date(2024, 12, 31)) == (date(2023, 5, 31), date(2024, 5, 31))  # closed: 31 May
    assert books_dates(2024, date(2024, 4, 20)) == (date(2024, 4, 20), date(2024, 4, 20))  # FY2023 still open


def test_a_fy2023_claim_paid_in_april_2024_is_fy2023_revenue_only() -> None:
    fy2023 = rates(2023, date(2024, 5, 31))
    # 現年度分 FY2023: a and b, 30,000 assessed; a's 10,000 received on 2024-04-20 counts (出納整理期間), b's June
    # payment does not → 33.33%; 20,000 unpaid when the books closed
    assert (fy2023.current_assessed, fy2023.current_received, fy2023.current_outstanding) == (30_000, 10_000, 20_000)
    assert fy2023.current_rate == Decimal("33.33")
    # 滞納繰越分 FY2023: the FY2022 claim, unpaid on 31 May 2023
    assert (fy2023.carried_assessed, fy2023.carried_received, fy2023.carried_rate) == (8_000, 0, Decimal("0.00"))

    fy2024 = rates(2024, date(2025, 3, 31))
    # 滞納繰越分 FY2024: only what was unpaid on 31 May 2024: b's 20,000 and old's 8,000 (not a: it was paid then,
    # so it is neither FY2024 調定 nor FY2024 receipt); b's 5,000 of June is FY2024's
    assert (fy2024.carried_assessed, fy2024.carried_received, fy2024.carried_outstanding) == (28_000, 5_000, 23_000)
    assert fy2024.carried_rate == Decimal("17.86")  # 5,000 / 28,000 = 17.857…
    # 現年度分 FY2024: c, 12,000 of 30,000 → 40.00%; 全体 17,000 / 58,000 = 29.31%
    assert (fy2024.current_assessed, fy2024.current_received, fy2024.current_rate) == (30_000, 12_000,
                                                                                       Decimal("40.00"))
    assert fy2024.overall_rate == Decimal("29.31")


def test_written_off_claims_are_reported_as_not_collected_and_leave_the_books() -> None:
    write_offs = {("tax", "old"): date(2024, 9, 30)}
    fy2024 = rates(2024, date(2025, 3, 31), write_offs)
    # old (8,000) written off in FY2024: 不納欠損額 8,000; 収入未済額 only b's 15,000
    assert (fy2024.carried_written_off, fy2024.carried_outstanding, fy2024.carried_assessed) == (8_000, 15_000, 28_000)
    # FY2025: the written-off claim is no longer carried over (written off before 31 May 2025)
    fy2025 = rates(2025, date(2025, 12, 31), write_offs)
    assert (fy2025.carried_assessed, fy2025.carried_written_off) == (15_000 + 18_000, 0)
    # outstanding: at the report date the written-off claim is not 収入未済額
    (row,) = outstanding_against_targets(ledgers(date(2024, 5, 31)), ledgers(date(2024, 12, 31)), {},
                                         fiscal_year=2024, write_offs=write_offs)
    # 前年度末 (31 May 2024, claims of FY2023 and earlier): b 20,000 + old 8,000; c (FY2024) does not count
    assert (row.prior_year_end, row.actual) == (28_000, 15_000 + 18_000)


# --- the bureau table -------------------------------------------------------------------------------------

NAGOYA = [  # 局名, ① and ② in thousand yen, ②/① as published in the FY2024 policy (seed 004)
    ("総務局", 13, 0, "0.00"), ("財政局", 2_934_892, 2_800_007, "95.40"), ("スポーツ市民局", 12_208, 9_828, "80.50"),
    ("経済局", 7_684, 4_893, "63.68"), ("観光文化交流局", 140, 0, "0.00"), ("環境局", 1_277, 1_195, "93.58"),
    ("健康福祉局", 7_860_319, 7_389_316, "94.01"), ("子ども青少年局", 840_417, 801_819, "95.41"),
    ("住宅都市局", 317_707, 307_133, "96.67"), ("緑政土木局", 16_822, 11_497, "68.35"), ("市会事務局", 600, 0, "0.00"),
    ("教育委員会", 64_281, 59_962, "93.28"), ("上下水道局", 277_035, 285_312, "102.99"),
    ("交通局", 117_386, 117_180, "99.82"),
]


def test_the_designated_citys_table_is_reproduced() -> None:
    # yen the published rows round to; three bureaus a few hundred yen under their thousands, so the rows add up to
    # 12,450,781 while the total of the yen is 12,450,779,800 → 12,450,780, as published (注: 四捨五入により表示)
    under = {"財政局": 400, "健康福祉局": 400, "子ども青少年局": 400}
    rows = [OutstandingRow("d", f"r{i}", prior * 1000 - under.get(name, 0), target * 1000, 0, None, None, None)
            for i, (name, prior, target, _) in enumerate(NAGOYA)]
    bureaus = {name: (f"r{i}",) for i, (name, *_) in enumerate(NAGOYA)}
    table = bureau_table(rows, bureaus)
    for row, (name, prior, target, ratio) in zip(table, NAGOYA, strict=False):
        assert (row.bureau, row.prior_year_end, row.target, row.difference, row.ratio) == \
            (name, prior, target, target - prior, Decimal(ratio))
    assert sum(row.prior_year_end for row in table[:-1]) == 12_450_781
    total = table[-1]
    # the published total: 12,450,780 → 11,788,142, △662,638, 94.68%
    assert (total.bureau, total.total, total.prior_year_end, total.target, total.difference, total.ratio) == \
        ("合計", True, 12_450_780, 11_788_142, -662_638, Decimal("94.68"))


def test_thousand_yen_rounds_each_row_half_up_so_rows_need_not_add_up() -> None:
    assert [thousand_yen(v) for v in (0, 499, 500, 1_499, 1_500, -1_500, -1_499)] == [0, 0, 1, 1, 2, -2, -1]
    rows = [OutstandingRow("d", code, 1_400, 1_400, 0, None, None, None) for code in ("x", "y", "z")]
    table = bureau_table(rows, {"甲局": ("x",), "乙局": ("y",), "丙局": ("z",)})
    assert [r.prior_year_end for r in table] == [1, 1, 1, 4]  # 4,200 yen → 4 thousand, the rows show 1 each


def test_a_bureau_target_is_never_a_partial_sum() -> None:
    rows = [OutstandingRow("d", "x", 5_000_000, 4_000_000, 0, None, None, None),
            OutstandingRow("d", "y", 2_000_000, None, 0, None, None, None),
            OutstandingRow("d", "z", 0, None, 0, None, None, None)]
    table = bureau_table(rows, {"甲局": ("x", "y"), "乙局": ("z",)})
    assert (table[0].prior_year_end, table[0].target, table[0].difference, table[0].ratio) == (7_000, None, None, None)
    assert (table[1].prior_year_end, table[1].target, table[1].ratio) == (0, None, None)
    assert (table[2].prior_year_end, table[2].target) == (7_000, None)


def test_the_shipped_bureaus_cover_every_receivable_once() -> None:
    bureaus = load_bureaus()
    codes = [code for members in bureaus.values() for code in members]
    assert sorted(codes) == sorted(RECEIVABLES)


@pytest.mark.parametrize(("data", "message"), [
    ({}, "non-empty list 'bureaus'"),
    ({"bureaus": [{"name": "", "receivables": [TAX]}]}, "bureau 1 needs a name"),
    ({"bureaus": [{"name": "財政局", "receivables": [TAX]}, {"name": "財政局", "receivables": ["x"]}]},
     "'財政局' appears twice"),
    ({"bureaus": [{"name": "財政局", "receivables": ["dog_tax"]}]}, "unknown receivable 'dog_tax'"),
    ({"bureaus": [{"name": "財政局", "receivables": [TAX]}, {"name": "健康福祉局", "receivables": [TAX]}]},
     "is in bureau '財政局' and in '健康福祉局'"),
    ({"bureaus": [{"name": "財政局", "receivables": [TAX]}]}, "belong to no bureau"),
])
def test_a_wrong_bureau_setting_is_refused_naming_the_setting(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message) as refused:
        parse_bureaus(data, known=RECEIVABLES)
    assert "COLLECTION_REPORT_BUREAUS_PATH" in str(refused.value)


def test_csv_cells_never_run_as_formulas() -> None:
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("+81-3") == "'+81-3"
    assert safe_cell("-2+3+cmd|' /C calc'!A0").startswith("'")
    assert safe_cell("-1200") == "-1200" and safe_cell(-1200) == -1200 and safe_cell("△ 13") == "△ 13"
    assert safe_cell(None) == "" and safe_cell("財政局") == "財政局"


def test_targets_still_compare_per_receivable() -> None:
    (row,) = outstanding_against_targets(ledgers(date(2024, 5, 31)), ledgers(date(2024, 12, 31)),
                                         {("tax", TAX): Target(outstanding=30_000)}, fiscal_year=2024)
    # now: b 15,000 + old 8,000 + c 18,000 = 41,000 against 30,000
    assert (row.actual, row.difference, row.achievement, row.compression) == \
        (41_000, 11_000, Decimal("73.17"), Decimal("146.43"))
