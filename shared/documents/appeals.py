"""What a notice must say about the law around it, as pure functions: the 教示 (how to appeal) a 督促状 carries per
receivable, what a 催告書 may say preceded it, and the consequence it may announce per legal category.

教示 (行政不服審査法82条, 行政事件訴訟法46条): a 督促 of a public claim is a 処分, so the notice says where and within
what time it can be appealed, and whether a court action needs the appeal first (審査請求前置):

- 市税 and 国民健康保険税 (local taxes): 審査請求 to the mayor within 3 months of receiving the notice (行政不服審査法
  18条1項; never after a year, 同条2項), and for a 督促 no later than 3 months after the notice of a seizure
  (地方税法19条の4第1号: the 督促's defects can no longer be argued then); the action for annulment only after the
  審査請求's decision (地方税法19条の12).
- 国民健康保険料: 審査請求 to the prefecture's 国民健康保険審査会 (国民健康保険法91条1項), 審査請求前置 (同法103条).
- 介護保険料: to the prefecture's 介護保険審査会 (介護保険法183条1項), 審査請求前置 (同法196条).
- 後期高齢者医療保険料: to the prefecture's 後期高齢者医療審査会 (高齢者の医療の確保に関する法律128条1項), 審査請求前置
  (同法130条).
  For all three boards: within 3 months of receiving the notice; then the action for annulment within 6 months
  of learning of the decision (行政事件訴訟法14条1項).
- other public claims (保育料, 下水道使用料, non-forced public claims): the general rule: 審査請求 to the mayor within
  3 months (行政不服審査法2条, 4条1号, 18条), or the action for annulment within 6 months directly (行政事件訴訟法8条1項,
  14条1項).
- private claims (私債権: 水道料金, 市営住宅使用料 in most cities, 給食費): the 督促 is not a 処分 and has no 教示; the
  notice states instead that the city may go to court (支払督促・訴訟, 地方自治法施行令171条の2).

The route is decided by the receivable code where the law names the receivable, then by the label (a document
built without a code), then by the legal category and whether the claim is a tax.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from contracts.enums import LegalCategory

if TYPE_CHECKING:
    from shared.documents.models import ClaimLine


class AppealRoute(StrEnum):
    """Where a 督促 of the claim can be appealed; the value is the key of its 教示 in the demand-notice template."""

    TAX = "tax"  # 地方税: 市長, 地方税法19条の4 time limit, 19条の12 審査請求前置
    NATIONAL_HEALTH_INSURANCE_BOARD = "national_health_insurance_board"  # 国民健康保険法91条・103条
    LONG_TERM_CARE_BOARD = "long_term_care_board"  # 介護保険法183条・196条
    LATE_ELDERLY_MEDICAL_BOARD = "late_elderly_medical_board"  # 高齢者医療確保法128条・130条
    PUBLIC = "public"  # 行政不服審査法 and 行政事件訴訟法 without 前置
    COURT = "court"  # 私債権: no 審査請求; the court procedure


#: The boards and the name each has in the city's prefecture (愛知県国民健康保険審査会).
REVIEW_BOARDS: dict[AppealRoute, str] = {
    AppealRoute.NATIONAL_HEALTH_INSURANCE_BOARD: "国民健康保険審査会",
    AppealRoute.LONG_TERM_CARE_BOARD: "介護保険審査会",
    AppealRoute.LATE_ELDERLY_MEDICAL_BOARD: "後期高齢者医療審査会",
}

#: (where the 審査請求 is provided for, where the 審査請求前置 is) per board, as printed in the 教示.
BOARD_STATUTES: dict[AppealRoute, tuple[str, str]] = {
    AppealRoute.NATIONAL_HEALTH_INSURANCE_BOARD: ("国民健康保険法第91条第1項", "国民健康保険法第103条"),
    AppealRoute.LONG_TERM_CARE_BOARD: ("介護保険法第183条第1項", "介護保険法第196条"),
    AppealRoute.LATE_ELDERLY_MEDICAL_BOARD: ("高齢者の医療の確保に関する法律第128条第1項",
                                             "高齢者の医療の確保に関する法律第130条"),
}

#: Receivables whose appeal route the law names. 国民健康保険税 is a tax (地方税法703条の4), 国民健康保険料 is not:
#: the premium's 督促 goes to the insurance board (国民健康保険法91条). ``national_health_insurance_premium`` is the
#: code of 国民健康保険料 where the city levies it as 料 (issue 19 §2).
ROUTES_BY_RECEIVABLE: dict[str, AppealRoute] = {
    "national_health_insurance_tax": AppealRoute.TAX,
    "national_health_insurance_premium": AppealRoute.NATIONAL_HEALTH_INSURANCE_BOARD,
    "long_term_care_premium": AppealRoute.LONG_TERM_CARE_BOARD,
    "late_elderly_medical_premium": AppealRoute.LATE_ELDERLY_MEDICAL_BOARD,
}
#: The same by the label printed, for a document built without a receivable code.
ROUTES_BY_LABEL: dict[str, AppealRoute] = {
    "国民健康保険料": AppealRoute.NATIONAL_HEALTH_INSURANCE_BOARD,
    "介護保険料": AppealRoute.LONG_TERM_CARE_BOARD,
    "後期高齢者医療保険料": AppealRoute.LATE_ELDERLY_MEDICAL_BOARD,
}


def appeal_route(claim: ClaimLine) -> AppealRoute:
    """The 教示 a 督促 of this claim carries (see the module docstring for the statutes)."""
    if claim.legal_category is LegalCategory.PRIVATE:
        return AppealRoute.COURT
    if claim.receivable_type in ROUTES_BY_RECEIVABLE:
        return ROUTES_BY_RECEIVABLE[claim.receivable_type]
    if claim.receivable in ROUTES_BY_LABEL:
        return ROUTES_BY_LABEL[claim.receivable]
    return AppealRoute.TAX if claim.is_tax else AppealRoute.PUBLIC


def review_board(route: AppealRoute, prefecture: str | None) -> str | None:
    """The board's name in the city's prefecture (愛知県介護保険審査会); None for a route without a board. Raises
    ValueError naming ``issuer.prefecture`` when a board is needed and the letterhead has no prefecture."""
    board = REVIEW_BOARDS.get(route)
    if board is None:
        return None
    if not prefecture:
        raise ValueError(f"issuer.prefecture: the 教示 of a {route.value} claim names the prefecture's {board}; "
                         "set prefecture in the city's letterhead (DOCUMENTS_ISSUER_PATH)")
    return f"{prefecture}{board}"


# --- what a 催告書 may say preceded it -------------------------------------------------------------------------

History = Literal["none", "demand_notice", "reminder", "demand_notice_and_reminder"]


def notice_history(demanded: Iterable[bool], reminded: Iterable[bool]) -> History:
    """What every claim a 催告書 lists had before it, per claim: a 督促 sent (by the department or the centre) and a
    催告書 sent. A notice may say only what holds for all of them, so one claim without a 督促 means the text
    does not speak of 督促状 at all (a 催告書 must not claim a 督促 that was never sent)."""
    demanded, reminded = list(demanded), list(reminded)
    all_demanded = bool(demanded) and all(demanded)
    all_reminded = bool(reminded) and all(reminded)
    if all_demanded and all_reminded:
        return "demand_notice_and_reminder"
    if all_demanded:
        return "demand_notice"
    if all_reminded:
        return "reminder"
    return "none"


Consequence = Literal["seizure", "seizure_after_demand", "court", "court_after_demand"]


def final_consequences(categories: Iterable[LegalCategory], history: History | None) -> list[Consequence]:
    """What a final 催告 announces, per legal category of the claims it lists: 滞納処分 for 強制徴収公債権 (地方税法331条1項,
    地方自治法231条の3第3項), 支払督促・訴訟 for the others (地方自治法施行令171条の2). Both need a 督促 first: when
    the history does not show one for every claim, the notice says the 督促 comes first instead of announcing the
    step as imminent."""
    kinds = set(categories)
    demanded = history in ("demand_notice", "demand_notice_and_reminder")
    out: list[Consequence] = []
    if LegalCategory.FORCED_PUBLIC in kinds:
        out.append("seizure" if demanded else "seizure_after_demand")
    if kinds - {LegalCategory.FORCED_PUBLIC}:
        out.append("court" if demanded else "court_after_demand")
    return out
