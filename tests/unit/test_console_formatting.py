"""What the console writes for the officers (services/console/formatting.py, app.py helpers): yen, 和暦 with the
西暦 year, JST times, Japanese words for codes, and only the console's own paths after sign-in."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.console.app import _by_department, _local, templates
from services.console.formatting import (
    LEGAL_CATEGORIES,
    department,
    fiscal_year,
    jst,
    label,
    receivable,
    wareki,
    wareki_seireki,
    yen,
)


@pytest.mark.parametrize(("amount", "written"), [(12750, "¥12,750"), (0, "¥0"), (1_234_567, "¥1,234,567"),
                                                 (-500, "-¥500"), (None, "")])
def test_yen(amount: int | None, written: str) -> None:
    assert yen(amount) == written


def test_dates_in_wareki_with_the_western_year() -> None:
    assert wareki(date(2024, 4, 1)) == "令和6年4月1日"
    assert wareki("2019-05-01") == "令和元年5月1日"
    assert wareki("1975-04-01") == "昭和50年4月1日"
    assert wareki_seireki("2025-01-31") == "令和7年1月31日（2025年）"
    assert wareki(None) == "" and wareki_seireki("") == ""


def test_times_are_written_in_japan_time() -> None:
    assert jst(datetime(2024, 3, 31, 15, 30, tzinfo=UTC)) == "令和6年4月1日 00:30"  # already 1 April in Tokyo
    assert jst("2024-03-31T15:30:00Z") == "令和6年4月1日 00:30"
    assert jst("2024-04-01T09:05:00+09:00") == "令和6年4月1日 09:05"


def test_fiscal_years_start_in_april() -> None:
    assert fiscal_year(2024) == "令和6年度" and fiscal_year(2018) == "平成30年度"


def test_codes_become_japanese_words_and_unknown_codes_stay_visible() -> None:
    assert department("tax") == "市税" and department("water") == "上下水道" and department("other") == "other"
    assert receivable("nursery_fee") == "保育料" and receivable("unknown_fee") == "unknown_fee"
    assert label(LEGAL_CATEGORIES, "forced_public") == "強制徴収公債権"
    assert label(LEGAL_CATEGORIES, "new_category") == "new_category"


@pytest.mark.parametrize(("target", "followed"), [("/debtors/abc", "/debtors/abc"), ("/search?name=x", "/search?name=x"),
                                                  ("https://evil.example/", "/search"), ("//evil.example", "/search"),
                                                  ("/\\evil.example", "/search"), ("javascript:alert(1)", "/search")])
def test_only_the_consoles_own_paths_are_followed_after_sign_in(target: str, followed: str) -> None:
    assert _local(target) == followed


def test_claims_are_grouped_by_department_then_year_and_installment() -> None:
    claims = [{"department": "water", "fiscal_year": 2024, "installment": 2, "claim_id": "w2"},
              {"department": "tax", "fiscal_year": 2024, "installment": 3, "claim_id": "t3"},
              {"department": "tax", "fiscal_year": 2023, "installment": 4, "claim_id": "t4"}]
    assert [(d, [c["claim_id"] for c in cs]) for d, cs in _by_department(claims)] == [
        ("tax", ["t4", "t3"]), ("water", ["w2"])]


def test_templates_escape_what_the_apis_return() -> None:
    page = templates().get_template("message.html").render(
        me=None, title="表示できません", message="<script>alert('x')</script>")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
