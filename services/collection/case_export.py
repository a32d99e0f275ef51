"""The case list as staff open it in Excel: Japanese column names and labels, not the API's codes. Pure.

The JSON API keeps its codes (``forced_public``, ``central_group``) for systems; the CSV is read by people, so
each code becomes the word on their screens and notices (債権区分, 所管, the group's name from the assignment
policy), yes/no becomes 保留中 or blank, and dates stay YYYY-MM-DD, which Excel sorts as dates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from contracts.enums import Department, LegalCategory
from contracts.sources import DEPARTMENT_LABELS
from services.collection.legal_actions import ACTIONS
from services.collection.workflow import ActionKind
from shared.documents.formatting import CATEGORY_LABELS

STATUS_LABELS = {"open": "継続中", "closed": "完結"}
LEAD_KIND_LABELS = {"central_group": "直営", "lawyer_team": "委託（弁護士）"}

#: (column, how the cell is made from one row of the case list)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("事案番号", "case_id"), ("滞納者ID", "debtor_id"), ("氏名", "name"), ("フリガナ", "name_kana"), ("状態", "status"), ("開始日", "opened_on"),
    ("完結日", "closed_on"), ("基準日", "as_of"), ("主担当の区分", "lead_kind"), ("主担当", "lead_code"),
    ("滞納額（円）", "delinquent_balance"), ("うち委託分（円）", "outsourced_balance"), ("債権数", "claim_count"),
    ("最古の納期限", "oldest_due_date"), ("経過日数", "arrears_days"), ("所管", "departments"),
    ("債権区分", "legal_categories"), ("担当", "holder_codes"), ("保留", "on_hold"),
    ("担当者", "assignee_name"), ("最終対応日", "last_action_on"), ("次の対応", "next_action_kind"),
    ("次の対応の期日", "next_action_due"),
)


def _action_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return ACTIONS[ActionKind(code)].label
    except ValueError:
        return code


def _joined(values: Iterable[str], label: Callable[[str], str]) -> str:
    return "・".join(label(v) for v in values)


def case_export_rows(items: Iterable[Mapping[str, Any]], holder_name: Callable[[str], str | None]
                     ) -> tuple[list[str], list[Sequence[object]]]:
    """Header and rows of the case list CSV. ``holder_name``: a group or team code's name, None when unknown (the
    code is shown then)."""

    def holder(code: str) -> str:
        return holder_name(code) or code

    def department(code: str) -> str:
        try:
            return DEPARTMENT_LABELS[Department(code)]
        except ValueError:
            return code

    def category(code: str) -> str:
        try:
            return CATEGORY_LABELS[LegalCategory(code)]
        except ValueError:
            return code

    cells: dict[str, Callable[[Mapping[str, Any]], object]] = {
        "status": lambda r: STATUS_LABELS.get(str(r["status"]), r["status"]),
        "lead_kind": lambda r: LEAD_KIND_LABELS.get(str(r["lead_kind"]), r["lead_kind"]) if r["lead_kind"] else "",
        "lead_code": lambda r: holder(r["lead_code"]) if r["lead_code"] else "",
        "departments": lambda r: _joined(r["departments"], department),
        "legal_categories": lambda r: _joined(r["legal_categories"], category),
        "holder_codes": lambda r: _joined(r["holder_codes"], holder),
        "on_hold": lambda r: "保留中" if r["on_hold"] else "",
        # the officer by name with their staff id (two officers may share a name); blank when nobody holds it
        "assignee_name": lambda r: "" if not r.get("assignee_id") else (
            f"{r['assignee_name']}（{r['assignee_id']}）" if r.get("assignee_name") else r["assignee_id"]),
        "last_action_on": lambda r: r.get("last_action_on") or "",
        # the recommended next step in the words of the table of legal actions (督促, 催告 (電話), 差押 …)
        "next_action_kind": lambda r: _action_label(r.get("next_action_kind")),
        "next_action_due": lambda r: r.get("next_action_due") or "",
    }
    rows: list[Sequence[object]] = []
    for item in items:
        rows.append([cells[field](item) if field in cells else ("" if item[field] is None else item[field])
                     for _, field in COLUMNS])
    return [name for name, _ in COLUMNS], rows
