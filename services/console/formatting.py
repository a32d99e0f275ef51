"""How the console writes what the APIs return, the way officers read it: amounts as ¥12,750, dates in 和暦 with
the 西暦 year beside them, times in JST, and Japanese words for every code (所管, 債権の分類, 状態). Pure functions;
the templates call them as filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from contracts import Department, LegalCategory
from contracts.receivables import RECEIVABLES
from contracts.sources import DEPARTMENT_LABELS
from shared.japanese_dates import to_wareki

JST = ZoneInfo("Asia/Tokyo")


def yen(amount: int | None) -> str:
    """¥12,750; a negative amount as -¥500; nothing for None."""
    if amount is None:
        return ""
    return f"-¥{-amount:,}" if amount < 0 else f"¥{amount:,}"


def _as_date(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(JST).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def wareki(value: date | str | None) -> str:
    """令和6年4月1日."""
    day = _as_date(value)
    return to_wareki(day) if day else ""


def wareki_seireki(value: date | str | None) -> str:
    """令和6年4月1日（2024年）: the era date officers write, with the Western year beside it."""
    day = _as_date(value)
    return f"{to_wareki(day)}（{day.year}年）" if day else ""


def jst(value: datetime | str | None) -> str:
    """令和6年4月1日 14:05 in Japan time, whatever zone the API wrote."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(JST)
    return f"{to_wareki(local.date())} {local:%H:%M}"


def fiscal_year(year: int | None) -> str:
    """令和6年度 for fiscal 2024 (the year starting 1 April 2024)."""
    if year is None:
        return ""
    era_year = to_wareki(date(year, 4, 1)).split("年")[0]
    return f"{era_year}年度"


def department(code: str | None) -> str:
    """The department's name on paper: 市税, 保険年金 …; the code itself when it is not a department."""
    try:
        return DEPARTMENT_LABELS[Department(code)]
    except ValueError:
        return code or ""


def receivable(code: str | None) -> str:
    spec = RECEIVABLES.get(code or "")
    return spec.name_ja if spec else (code or "")


LEGAL_CATEGORIES: Mapping[str, str] = {
    LegalCategory.FORCED_PUBLIC: "強制徴収公債権",
    LegalCategory.NON_FORCED_PUBLIC: "非強制徴収公債権",
    LegalCategory.PRIVATE: "私債権",
}
CLAIM_STATUSES: Mapping[str, str] = {
    "open": "納期限前", "delinquent": "滞納", "paid": "完納", "cancelled": "調定取消", "extinguished": "消滅（不納欠損待ち）",
}
ARREARS_CLASSES: Mapping[str, str] = {"current_year": "現年度分", "carried_over": "滞納繰越分"}
ROLES: Mapping[str, str] = {
    "viewer": "閲覧", "collector": "徴収担当", "supervisor": "係長・課長", "admin": "管理者",
    "welfare": "福祉連携", "welfare_admin": "福祉連携管理",
}
HOLDERS: Mapping[str, str] = {"central_group": "債権管理課", "lawyer_team": "委託先弁護士事務所"}
RELATIONS: Mapping[str, str] = {
    "guarantor": "連帯保証人", "child": "児童", "household_head": "世帯主", "household_member": "世帯員",
    "heir": "相続人", "successor": "承継人",
}
REFERRAL_STATES: Mapping[str, str] = {
    "suggested": "候補（未接触）", "informed": "利用勧奨済み", "consented": "本人同意あり", "referred": "福祉へ引継ぎ済み",
    "acknowledged": "福祉が受理", "outcome_recorded": "支援結果あり", "declined": "本人が辞退", "closed": "終了",
}


def label(table: Mapping[str, str], code: str | None) -> str:
    """The Japanese word for a code, or the code itself when the table does not know it (never a blank)."""
    return table.get(code or "", code or "")


FILTERS = {
    "yen": yen, "wareki": wareki, "wareki_seireki": wareki_seireki, "jst": jst, "fiscal_year": fiscal_year,
    "department": department, "receivable": receivable,
    "legal_category": lambda code: label(LEGAL_CATEGORIES, code),
    "claim_status": lambda code: label(CLAIM_STATUSES, code),
    "arrears_class": lambda code: label(ARREARS_CLASSES, code),
    "role": lambda code: label(ROLES, code),
    "holder": lambda code: label(HOLDERS, code),
    "relation": lambda code: label(RELATIONS, code),
    "referral_state": lambda code: label(REFERRAL_STATES, code),
}

__all__ = ["FILTERS", "JST", "department", "fiscal_year", "jst", "label", "receivable", "wareki", "wareki_seireki",
           "yen"]
