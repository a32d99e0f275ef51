"""The case list CSV staff download (services/collection/case_export.py): Japanese columns and labels."""

from __future__ import annotations

import csv
import io
from datetime import date

from services.collection.api.csv_export import csv_response
from services.collection.case_export import case_export_rows

NAMES = {"tax_insurance": "税・保険料担当", "lawyer_team_a": "さくら総合法律事務所"}


def row(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "case_id": 17, "debtor_id": "d-1", "status": "open", "opened_on": date(2024, 6, 1), "closed_on": None,
        "as_of": date(2025, 1, 31), "lead_kind": "central_group", "lead_code": "tax_insurance",
        "delinquent_balance": 123_456, "outsourced_balance": 0, "claim_count": 3,
        "oldest_due_date": date(2024, 5, 31), "arrears_days": 245, "departments": ["tax", "water"],
        "legal_categories": ["forced_public", "private"], "holder_codes": ["tax_insurance", "lawyer_team_a"],
        "on_hold": False, "name": "髙橋 一郎", "name_kana": "タカハシ イチロウ"}
    return {**base, **changes}


def test_codes_become_the_words_staff_read() -> None:
    header, rows = case_export_rows([row(), row(case_id=18, status="closed", closed_on=date(2025, 1, 10),
                                                on_hold=True, lead_kind="lawyer_team", lead_code="lawyer_team_a")],
                                    NAMES.get)
    assert header[:5] == ["事案番号", "滞納者ID", "氏名", "フリガナ", "状態"] and "債権区分" in header and "保留" in header
    first, second = (dict(zip(header, r, strict=True)) for r in rows)
    assert first["状態"] == "継続中" and first["主担当の区分"] == "直営" and first["主担当"] == "税・保険料担当"
    assert first["所管"] == "市税・上下水道" and first["債権区分"] == "強制徴収公債権・私債権"
    assert first["担当"] == "税・保険料担当・さくら総合法律事務所"
    assert first["氏名"] == "髙橋 一郎" and first["フリガナ"] == "タカハシ イチロウ"
    assert first["保留"] == "" and first["完結日"] == "" and first["滞納額（円）"] == 123_456
    assert second["状態"] == "完結" and second["保留"] == "保留中" and second["主担当の区分"] == "委託（弁護士）"


def test_an_unknown_code_is_shown_as_it_is_never_dropped() -> None:
    header, rows = case_export_rows([row(holder_codes=["retired_group"], lead_code="retired_group")], NAMES.get)
    cells = dict(zip(header, rows[0], strict=True))
    assert cells["担当"] == "retired_group" and cells["主担当"] == "retired_group"


def test_the_file_opens_in_excel_with_no_true_false_or_codes() -> None:
    header, rows = case_export_rows([row(on_hold=True), row(on_hold=False)], NAMES.get)
    text = csv_response(header, rows, "事案一覧.csv").body.decode("utf-8")
    assert text.startswith("\ufeff")
    parsed = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["事案番号"] for r in parsed] == ["17", "17"]
    flat = "".join(text.split("\r\n")[1:])
    for code in ("True", "False", "forced_public", "central_group", "None"):
        assert code not in flat


def test_the_officer_working_the_case_is_named_with_their_staff_id() -> None:
    header, rows = case_export_rows([row(assignee_id="c-0042", assignee_name="髙田 花子",
                                         last_action_on=date(2025, 1, 20)),
                                     row(assignee_id="c-0043", assignee_name=None), row()], NAMES.get)
    held, nameless, nobody = (dict(zip(header, r, strict=True)) for r in rows)
    assert held["担当者"] == "髙田 花子（c-0042）" and held["最終対応日"] == date(2025, 1, 20)
    assert nameless["担当者"] == "c-0043"
    assert nobody["担当者"] == "" and nobody["最終対応日"] == ""


def test_the_next_action_is_written_in_the_words_of_the_table_of_legal_actions() -> None:
    header, rows = case_export_rows([row(next_action_kind="demand_notice", next_action_due=date(2025, 5, 1)),
                                     row(next_action_kind="reminder_phone"), row()], NAMES.get)
    demand, call, nothing = (dict(zip(header, r, strict=True)) for r in rows)
    assert demand["次の対応"] == "督促" and demand["次の対応の期日"] == date(2025, 5, 1)
    assert call["次の対応"] == "催告 (電話)" and call["次の対応の期日"] == ""
    assert nothing["次の対応"] == "" and nothing["次の対応の期日"] == ""
