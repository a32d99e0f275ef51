"""Amounts, dates and numbers written the way city officials write them on paper.

Kept apart from rendering so that the collection service and the lawyer gateway can print the same strings in
screens and e-mails as on the documents.
"""

from __future__ import annotations

import re
from datetime import date

from contracts.enums import LegalCategory
from contracts.sources import DEPARTMENT_LABELS as DEPARTMENT_LABELS  # 市税, 保険年金 …: one table, in contracts
from shared.japanese_dates import to_wareki

CATEGORY_LABELS: dict[LegalCategory, str] = {
    LegalCategory.FORCED_PUBLIC: "強制徴収公債権",
    LegalCategory.NON_FORCED_PUBLIC: "非強制徴収公債権",
    LegalCategory.PRIVATE: "私債権",
}

_ERA_YEAR = re.compile(r"^(?P<era>\D+?)(?P<year>元|\d+)年")


def _check_yen(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amounts are integer yen")
    if amount < 0:
        raise ValueError("amounts on documents are never negative")


def yen(amount: int) -> str:
    """12,345円: amounts in running text and tables."""
    _check_yen(amount)
    return f"{amount:,}円"


def yen_stated(amount: int) -> str:
    """金12,345円: where a form states the amount owed (the 金 prefix guards against added digits)."""
    return f"金{yen(amount)}"


def yen_slip(amount: int) -> str:
    """￥12,345※: the payment-slip style, closed on both sides so that nothing can be written before or after."""
    _check_yen(amount)
    return f"￥{amount:,}※"


def wareki(value: date) -> str:
    """令和6年4月1日: every date on a document is printed in the era calendar."""
    return to_wareki(value)


def fiscal_year_label(fiscal_year: int) -> str:
    """令和6年度 for the fiscal year starting 1 April 2024.

    The era is the one in force on 1 May of the fiscal year: fiscal 2019 began under 平成 on 1 April but is called
    令和元年度 (the era changed on 1 May), while fiscal 1988 stayed 昭和63年度 although 平成 began in its January.
    """
    match = _ERA_YEAR.match(to_wareki(date(fiscal_year, 5, 1)))
    if match is None:  # to_wareki always writes <era><year>年…; a failure here is a bug, not bad input
        raise AssertionError("unexpected era date format")
    return f"{match['era']}{match['year']}年度"


def era_year_number(fiscal_year: int) -> int:
    """The year within its era of a fiscal year (令和6年度 → 6, 令和元年度 → 1), as document numbers use it."""
    year = _ERA_YEAR.match(fiscal_year_label(fiscal_year))["year"]  # type: ignore[index]
    return 1 if year == "元" else int(year)


def installment_label(installment: int) -> str:
    """期別 from the contracts' number: 第1期; 0 (not split into installments) is 全期."""
    if not 0 <= installment <= 99:
        raise ValueError("installment must be between 0 and 99")
    return "全期" if installment == 0 else f"第{installment}期"


def document_number(prefix: str, fiscal_year: int, serial: int) -> str:
    """文書番号 as 6債管第123号: era year of the fiscal year, the office's prefix, the serial of the year."""
    if not prefix or any(ch.isspace() or ch in "/\\" for ch in prefix):
        raise ValueError("prefix must be a non-empty office abbreviation without spaces or slashes")
    if serial < 1:
        raise ValueError("serial must be at least 1")
    return f"{era_year_number(fiscal_year)}{prefix}第{serial}号"

