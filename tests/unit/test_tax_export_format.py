"""The tax export parser: every record kind, Japanese text as it really comes, and every class of bad input."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from contracts import ClaimAdjusted, ClaimAssessed, PaymentReceived, PaymentReversed
from services.tax_adapter.export_format import COLUMNS, ExportFormatError, parse_export

SAMPLE = Path(__file__).parents[2] / "services" / "tax_adapter" / "samples" / "tax_export_sample.csv"
HEADER = ",".join(COLUMNS)
FIXED_NOW = datetime(2024, 7, 1, tzinfo=UTC)


def row(**values: str) -> str:
    return ",".join(values.get(column, "") for column in COLUMNS)


def assessment(**changes: str) -> str:
    values = {"処理区分": "調定", "宛名番号": "200001", "氏名": "山﨑 太郎", "氏名カナ": "ﾔﾏｻｷ ﾀﾛｳ",
              "生年月日": "昭和60年1月15日", "税目": "軽自動車税", "年度": "令和6", "期別": "0",
              "通知書番号": "N-1", "納期限": "令和6年5月31日", "金額": "10800", "処理日": "令和6年4月10日"}
    values.update(changes)
    return row(**values)


def export(*lines: str, encoding: str = "cp932") -> bytes:
    return "\r\n".join((HEADER, *lines)).encode(encoding) + b"\r\n"


def parse(data: bytes):  # type: ignore[no-untyped-def]
    return parse_export(data, file_name="test.csv", produced_at=lambda: FIXED_NOW)


def test_sample_file_gives_every_record_kind() -> None:
    parsed = parse(SAMPLE.read_bytes())
    assert parsed.rejected == []
    kinds = [a.message.message_type for a in parsed.accepted]
    assert kinds == ["ClaimAssessed"] * 3 + ["PaymentReceived"] * 2 + ["PaymentReversed", "ClaimAdjusted"]
    first = parsed.accepted[0].message.payload
    assert isinstance(first, ClaimAssessed)
    assert first.person.name_kanji == "髙橋 一郎"  # 髙 survives CP932 (an NEC/IBM extension character)
    assert first.person.name_kana == "タカハシ イチロウ"  # half-width kana folded to full width
    assert first.person.birth_date == date(1975, 4, 1)
    assert (first.fiscal_year, first.installment, first.amount) == (2024, 1, 12300)
    assert first.due_date == date(2024, 6, 30)
    assert parsed.accepted[2].message.payload.person.name_kanji == "山﨑 花子"  # type: ignore[attr-defined]
    assert {a.key for a in parsed.accepted} == {"tax:100001", "tax:100002"}


def test_payment_names_its_claim_or_none() -> None:
    parsed = parse(SAMPLE.read_bytes())
    payments = [a.message.payload for a in parsed.accepted if isinstance(a.message.payload, PaymentReceived)]
    assert payments[0].claim_id == "2024-individual_inhabitant_tax-2024000123-01"
    assert payments[1].claim_id is None and payments[1].channel == "account_transfer"
    reversal = next(a.message.payload for a in parsed.accepted if isinstance(a.message.payload, PaymentReversed))
    assert reversal.payment_id == payments[1].payment_id and reversal.reason == "account_transfer_failed"
    adjustment = parsed.accepted[-1].message.payload
    assert isinstance(adjustment, ClaimAdjusted) and adjustment.amount_delta == -5000


def test_reimport_gives_identical_message_ids() -> None:
    data = SAMPLE.read_bytes()
    first = [a.message.message_id for a in parse(data).accepted]
    again = [a.message.message_id for a in parse(data).accepted]
    assert first == again and len(set(first)) == len(first)


def test_message_ids_depend_on_source_keys_not_on_the_file() -> None:
    alone = parse(export(assessment())).accepted[0].message.message_id
    with_neighbour = parse(export(assessment(通知書番号="N-2"), assessment())).accepted[1].message.message_id
    assert alone == with_neighbour


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (assessment(生年月日="令和6年2月30日"), "生年月日", "no such calendar date"),
        (assessment(納期限="平成45年1月1日"), "納期限", "平成 has no year 45"),
        (assessment(納期限=""), "納期限", "is required"),
        (assessment(金額="-500"), "金額", "must be a positive amount"),
        (assessment(金額="1200.5"), "金額", "whole yen"),
        (assessment(金額="千円"), "金額", "is not an amount in yen"),
        (assessment(税目="犬税"), "税目", "unknown value"),
        (assessment(年度="昨年"), "年度", "fiscal year"),
        (assessment(期別="100"), "期別", "from 0 to 99"),
        (assessment(氏名="", 氏名カナ=""), "氏名", "required for 調定"),
        (assessment(処理区分="差押"), "処理区分", "unknown value"),
        (row(処理区分="収納", 宛名番号="1", 金額="100", 処理日="2024-05-01", 収納番号="R1", 収納方法="現金書留"),
         "収納方法", "unknown value"),
        (row(処理区分="更正", 宛名番号="1", 税目="軽自動車税", 年度="2024", 期別="0", 通知書番号="N", 金額="0",
             処理日="2024-05-01", 異動番号="K1", 事由="減額"), "金額", "must not be 0"),
        (row(処理区分="収納取消", 宛名番号="1", 処理日="2024-05-01", 収納番号="R1"), "事由", "is required"),
    ],
)
def test_bad_lines_are_rejected_with_line_field_and_reason(line: str, field: str, reason: str) -> None:
    parsed = parse(export(assessment(通知書番号="GOOD"), line))
    assert len(parsed.accepted) == 1, "the valid line still goes through"
    (rejection,) = parsed.rejected
    assert rejection.line == 3
    assert any(p.field == field and reason in p.reason for p in rejection.problems), rejection.problems


def test_every_problem_of_a_line_is_reported_at_once() -> None:
    parsed = parse(export(assessment(生年月日="R06.02.30", 金額="-1", 税目="犬税")))
    fields = {p.field for p in parsed.rejected[0].problems}
    assert {"生年月日", "金額", "税目"} <= fields


def test_rejection_reasons_never_contain_the_values() -> None:
    parsed = parse(export(assessment(氏名="髙橋 次郎", 生年月日="髙橋", 金額="0565-31-1212")))
    text = " ".join(f"{p.field} {p.reason}" for r in parsed.rejected for p in r.problems)
    assert "髙橋" not in text and "0565" not in text


def test_a_line_that_is_not_cp932_is_rejected_alone() -> None:
    data = export(assessment(通知書番号="A")) + b"\x81\xff\xfe\x85,broken\r\n" + \
        assessment(通知書番号="B").encode("cp932") + b"\r\n"
    parsed = parse(data)
    assert [a.line for a in parsed.accepted] == [2, 4]
    assert parsed.rejected[0].line == 3 and parsed.rejected[0].problems[0].reason == "not valid CP932 text"


def test_a_line_with_the_wrong_number_of_fields_is_rejected() -> None:
    parsed = parse(export(assessment(), "調定,1,2"))
    assert parsed.rejected[0].line == 3 and "has 3 fields" in parsed.rejected[0].problems[0].reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (export(assessment(), encoding="utf-8"), "UTF-8"),
        (b"\xef\xbb\xbf" + export(assessment(), encoding="utf-8"), "UTF-8"),
        ("宛名番号,氏名\r\n1,山田\r\n".encode("cp932"), "missing columns: 処理区分, 金額, 処理日"),
        ((HEADER + ",備考\r\n").encode("cp932"), "unknown columns: 備考"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(ExportFormatError, match=message):
        parse(data)


def test_full_width_digits_and_commas_in_amounts() -> None:
    parsed = parse(export(assessment(金額="１２，３００円", 期別="０１")))
    payload = parsed.accepted[0].message.payload
    assert isinstance(payload, ClaimAssessed) and payload.amount == 12300 and payload.installment == 1


def test_category_override_from_the_city() -> None:
    data = export(assessment())
    default = parse(data).accepted[0].message.payload
    overridden = parse_export(data, file_name="t", produced_at=lambda: FIXED_NOW,
                              category_overrides={"light_vehicle_tax": "non_forced_public"}).accepted[0].message.payload
    assert default.legal_category == "forced_public"  # type: ignore[attr-defined]
    assert overridden.legal_category == "non_forced_public"  # type: ignore[attr-defined]
