from datetime import date

import pytest

from shared.japanese_dates import DateFormatError, parse_japanese_date, to_wareki


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和6年4月1日", date(2024, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R06.04.01", date(2024, 4, 1)),
        ("R6/4/1", date(2024, 4, 1)),
        ("r6-4-1", date(2024, 4, 1)),
        ("Ｒ０６．０４．０１", date(2024, 4, 1)),  # full-width, as some exports write it
        ("H31.4.30", date(2019, 4, 30)),
        ("平成31年5月1日", date(2019, 5, 1)),  # forms kept 平成 after the change of era
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("S50.04.01", date(1975, 4, 1)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("2024-04-01", date(2024, 4, 1)),
        ("2024/4/1", date(2024, 4, 1)),
        ("2024年4月1日", date(2024, 4, 1)),
        ("20240401", date(2024, 4, 1)),
        ("2024-02-29", date(2024, 2, 29)),
        (" 令和 6年 4月 1日 ", date(2024, 4, 1)),
    ],
)
def test_accepted_dates(text: str, expected: date) -> None:
    assert parse_japanese_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty date"),
        ("平成32年1月1日", "平成 has no year 32"),
        ("昭和65年1月1日", "昭和 has no year 65"),
        ("令和0年5月1日", "令和 has no year 0"),
        ("令和元年4月30日", "令和 began on 2019-05-01"),
        ("平成元年1月7日", "平成 began on 1989-01-08"),
        ("R06.02.30", "no such calendar date"),
        ("2023-02-29", "no such calendar date"),
        ("2024-13-01", "no such calendar date"),
        ("X06.04.01", "not a recognised date"),
        ("髙橋", "not a recognised date"),
    ],
)
def test_refused_dates_say_why_without_echoing_the_text(text: str, reason: str) -> None:
    with pytest.raises(DateFormatError) as exc:
        parse_japanese_date(text)
    assert reason in str(exc.value)
    if text.strip():
        assert text not in str(exc.value)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 4, 1), "令和6年4月1日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
    ],
)
def test_to_wareki(day: date, expected: str) -> None:
    assert to_wareki(day) == expected
    assert parse_japanese_date(expected) == day
