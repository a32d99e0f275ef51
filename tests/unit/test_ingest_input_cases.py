"""Input cases that used to lose or garble records in silence (issue 21), each with a file built here, across
the adapters that share the reading code (shared/ingest/records.py): a repeated source key, control characters,
the first year of an era as 年度, a field over the csv module's limit, digit grouping and non-ASCII digits, the
same rows with other line endings, and a quoted line break."""

import json

import pytest

from contracts import ClaimAssessed, PersonReference
from shared.ingest.records import CSV_FIELD_LIMIT, AmountError, import_key, parse_yen
from shared.japanese_dates import DateFormatError, parse_fiscal_year
from tests.unit import test_childcare_adapter as childcare_files
from tests.unit import test_housing_adapter as housing_files
from tests.unit import test_insurance_adapter as insurance_files
from tests.unit import test_tax_export_format as tax_files
from tests.unit import test_water_adapter as water_files

# ---- 1. a repeated source key within one file ---------------------------------------------------------------


def test_a_repeated_claim_with_other_content_is_rejected_naming_the_first_line() -> None:
    other_person = tax_files.assessment(宛名番号="200099", 氏名="髙橋 花子", 金額="99000")
    parsed = tax_files.parse(tax_files.export(tax_files.assessment(), tax_files.assessment(通知書番号="N-2"),
                                              other_person))
    assert [a.line for a in parsed.accepted] == [2, 3]
    (rejection,) = parsed.rejected
    assert rejection.line == 4
    (problem,) = rejection.problems
    assert problem.field == "(line)"
    assert "repeats the claim of line 2 with different content" in problem.reason


def test_an_identical_repeat_is_rejected_and_says_so() -> None:
    parsed = tax_files.parse(tax_files.export(tax_files.assessment(), tax_files.assessment()))
    assert [a.line for a in parsed.accepted] == [2]
    assert parsed.rejected[0].line == 3
    assert "repeats the claim of line 2 exactly" in parsed.rejected[0].problems[0].reason


def test_a_repeated_payment_in_the_water_export_is_rejected() -> None:
    parsed = water_files.parse(water_files.export(water_files.payment(), water_files.payment(下水道使用料="4000")))
    assert [a.line for a in parsed.accepted] == [1]
    assert "repeats the payment of line 1 with different content" in parsed.rejected[0].problems[0].reason


def test_a_repeated_event_in_the_housing_document_is_rejected() -> None:
    second = housing_files.changed(housing_files.ASSESSED, {"amount": 53000})
    parsed = housing_files.parse(housing_files.document(housing_files.ASSESSED, second))
    assert [a.line for a in parsed.accepted] == [1]
    assert parsed.rejected[0].line == 2
    assert "repeats the claim of line 1 with different content" in parsed.rejected[0].problems[0].reason


# ---- 2. control characters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x1f", "\x7f", "\t"])
def test_a_control_character_in_a_name_or_address_rejects_the_record_naming_the_field(character: str) -> None:
    lines = (tax_files.assessment(氏名=f"山﨑{character}太郎"),
             tax_files.assessment(通知書番号="N-2", 住所=f"豊田市{character}西町1"),
             tax_files.assessment(通知書番号="N-3"))
    parsed = tax_files.parse(tax_files.export(*lines))
    assert [a.line for a in parsed.accepted] == [4]
    assert [(r.line, [p.field for p in r.problems]) for r in parsed.rejected] == [(2, ["氏名"]), (3, ["住所"])]
    assert all("control character" in r.problems[0].reason for r in parsed.rejected)


def test_a_control_character_in_a_json_string_is_rejected_naming_the_path() -> None:
    event = housing_files.changed(housing_files.ASSESSED, {"tenant.name": "山﨑\u0000太郎"})
    parsed = housing_files.parse(housing_files.document(event))
    assert parsed.accepted == []
    assert [(p.field, p.reason) for p in parsed.rejected[0].problems] == [
        ("tenant.name", "holds a control character (U+0000)")]


def test_a_control_character_in_a_fixed_width_record_is_rejected() -> None:
    bad = insurance_files.changed("11", 氏名="山﨑\x00太郎")
    parsed = insurance_files.parse(insurance_files.export(bad))
    assert parsed.accepted == []
    assert [p.field for p in parsed.rejected[0].problems] == ["氏名"]


@pytest.mark.parametrize("field", ["name_kanji", "name_kana", "address", "phone", "postal_code", "source_person_id"])
@pytest.mark.parametrize("character", ["\x00", "\n", "\x1f", "\x7f"])
def test_the_contract_refuses_control_characters(field: str, character: str) -> None:
    values = {"source_person_id": "P1", field: f"1{character}2"}
    with pytest.raises(ValueError, match=field):
        PersonReference.model_validate(values)


def test_the_contract_keeps_real_japanese_text() -> None:
    person = PersonReference(source_person_id="P1", name_kanji="髙﨑 邊", name_kana="タカサキ ﾎﾄﾘ", address="豊田市西町1-2")
    assert person.name_kanji == "髙﨑 邊"


# ---- 3. 年度 in the first year of an era --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "year"), [
    ("令和元", 2019), ("R1", 2019), ("R01", 2019), ("令和元年度", 2019), ("令和元年", 2019), ("Ｒ１", 2019),
    ("平成元", 1989), ("平成元年度", 1989), ("H1", 1989), ("平成31", 2019), ("令和6", 2024), ("R06", 2024),
    ("2024", 2024), ("2024年度", 2024), ("昭和64", 1989),
])
def test_fiscal_years_in_every_spelling(text: str, year: int) -> None:
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize("text", ["令和", "R", "平成32", "昭和65", "X1", "24", "令和6年4月", ""])
def test_impossible_fiscal_years_are_refused(text: str) -> None:
    with pytest.raises(DateFormatError):
        parse_fiscal_year(text)


@pytest.mark.parametrize("spelling", ["令和元", "R1", "令和元年度"])
def test_a_tax_claim_of_fiscal_2019_is_accepted(spelling: str) -> None:
    parsed = tax_files.parse(tax_files.export(tax_files.assessment(年度=spelling, 納期限="令和元年5月31日")))
    assert parsed.rejected == []
    payload = parsed.accepted[0].message.payload
    assert isinstance(payload, ClaimAssessed) and payload.fiscal_year == 2019


# ---- 4. a field over the csv module's limit -----------------------------------------------------------------


def test_a_field_over_the_csv_limit_rejects_that_line_only() -> None:
    huge = "髙" * (CSV_FIELD_LIMIT + 1)
    data = tax_files.export(tax_files.assessment(), tax_files.assessment(通知書番号="N-2", 住所=huge),
                            tax_files.assessment(通知書番号="N-3"))
    parsed = tax_files.parse(data)
    assert [a.line for a in parsed.accepted] == [2, 4]
    assert parsed.rejected[0].line == 3
    assert "longer than" in parsed.rejected[0].problems[0].reason


def test_a_field_over_the_csv_limit_in_childcare_and_water() -> None:
    huge = "a" * (CSV_FIELD_LIMIT + 10)
    parsed = childcare_files.parse(childcare_files.export(childcare_files.assessment(施設名=huge),
                                                          childcare_files.assessment(児童番号="C2")))
    assert [a.line for a in parsed.accepted] == [3] and parsed.rejected[0].line == 2
    parsed = water_files.parse(water_files.export(water_files.bill(), water_files.payment(入金番号=huge)))
    assert [a.line for a in parsed.accepted] == [1, 1] and parsed.rejected[0].line == 2
    assert "longer than" in parsed.rejected[0].problems[0].reason


# ---- 5. amounts -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "yen"), [
    ("12300", 12300), ("12,300", 12300), ("1,234,567", 1234567), ("１２，３００", 12300), ("¥12,300", 12300),
    ("12,300円", 12300), ("-5,000", -5000), ("+800", 800), (52000, 52000),
])
def test_amounts_with_correct_grouping(text: object, yen: int) -> None:
    assert parse_yen(text) == yen


@pytest.mark.parametrize(("text", "reason"), [
    ("12,30", "grouping"), ("1,23,4", "grouping"), (",123", "grouping"), ("1234,567", "grouping"),
    ("٥٢٠٠٠", "digits other than 0-9"), ("५२०००", "digits other than 0-9"), ("12.5", "no decimals"),
    (12.5, "no decimals"), ("1 000", "not an amount"), (True, "not an amount"), ("", "not an amount"),
])
def test_amounts_refused(text: object, reason: str) -> None:
    with pytest.raises(AmountError, match=reason):
        parse_yen(text)


def test_misgrouped_amounts_are_rejected_in_every_csv_adapter() -> None:
    parsed = tax_files.parse(tax_files.export(tax_files.assessment(金額='"12,30"')))
    assert [(p.field, "grouping" in p.reason) for p in parsed.rejected[0].problems] == [("金額", True)]
    parsed = childcare_files.parse(childcare_files.export(childcare_files.assessment(金額="1,23,4")))
    assert [(p.field, "grouping" in p.reason) for p in parsed.rejected[0].problems] == [("金額", True)]
    parsed = water_files.parse(water_files.export(water_files.payment(下水道使用料='"46,20"')))
    assert [p.field for p in parsed.rejected[0].problems] == ["下水道使用料"]


def test_non_ascii_digits_are_rejected_in_housing_json() -> None:
    event = housing_files.changed(housing_files.ASSESSED, {"amount": "٥٢٠٠٠"})
    parsed = housing_files.parse(housing_files.document(event))
    assert [(p.field, p.reason) for p in parsed.rejected[0].problems] == [("amount", "holds digits other than 0-9")]


def test_non_ascii_digits_are_rejected_in_the_fixed_width_file() -> None:
    bad = insurance_files.changed("11", 金額="+000٥٢٠٠٠".encode("cp932", "replace").decode("cp932").ljust(12)[:12])
    parsed = insurance_files.parse(insurance_files.export(bad))
    assert parsed.accepted == [] and [p.field for p in parsed.rejected[0].problems] == ["金額"]


# ---- 6. the same records with other bytes -------------------------------------------------------------------


def test_the_same_rows_with_lf_instead_of_crlf_are_the_same_import() -> None:
    crlf = tax_files.export(tax_files.assessment(), tax_files.assessment(通知書番号="N-2", 金額="bad"))
    lf = crlf.replace(b"\r\n", b"\n")
    with_blank_end = lf + b"\n\n"
    keys = {tax_files.parse(data).import_key for data in (crlf, lf, with_blank_end)}
    assert len(keys) == 1
    assert tax_files.parse(lf).import_key != tax_files.parse(tax_files.export(tax_files.assessment())).import_key


def test_a_bom_or_a_dos_end_of_file_byte_does_not_change_the_import() -> None:
    data = childcare_files.export(childcare_files.assessment())
    assert import_key("s", data) == import_key("s", b"\xef\xbb\xbf" + data.replace(b"\r\n", b"\n")) \
        == import_key("s", data + b"\x1a")


def test_the_same_housing_events_pretty_printed_are_the_same_import() -> None:
    compact = housing_files.document(housing_files.ASSESSED, exported_at="2024-07-01T09:00:00+09:00")
    pretty = json.dumps(json.loads(compact), ensure_ascii=False, indent=2).replace("\n", "\r\n").encode()
    assert housing_files.parse(compact).import_key == housing_files.parse(pretty).import_key
    other = housing_files.document(housing_files.changed(housing_files.ASSESSED, {"amount": 1}))
    assert housing_files.parse(other).import_key != housing_files.parse(compact).import_key


# ---- 7. a quoted line break ---------------------------------------------------------------------------------


def test_a_quoted_line_break_is_rejected_naming_the_field_and_lines() -> None:
    broken = tax_files.assessment(通知書番号="N-2", 住所="X").replace(",X,", ',"豊田市西町\r\n1-2",')
    parsed = tax_files.parse(tax_files.export(tax_files.assessment(), broken, tax_files.assessment(通知書番号="N-3")))
    assert [a.line for a in parsed.accepted] == [2, 5]
    (rejection,) = parsed.rejected
    assert rejection.line == 3
    assert [(p.field, p.reason) for p in rejection.problems] == [
        ("住所", "holds a line break (the quoted field continues to line 4)")]


def test_a_quoted_line_break_in_childcare_and_water() -> None:
    broken = childcare_files.assessment(施設名="X").replace(",X,", ',"みどり\n保育園",')
    parsed = childcare_files.parse(childcare_files.export(broken, childcare_files.assessment(児童番号="C2")))
    assert [a.line for a in parsed.accepted] == [4]
    assert [(r.line, r.problems[0].field) for r in parsed.rejected] == [(2, "施設名")]
    line = water_files.bill().replace("豊田市髙岡町1-2", '"豊田市髙岡町\n1-2"')
    parsed = water_files.parse(water_files.export(line, water_files.payment()))
    assert [a.line for a in parsed.accepted] == [3]
    assert [(r.line, r.problems[0].field) for r in parsed.rejected] == [(1, "設置場所住所")]


def test_an_unclosed_quote_does_not_swallow_the_rest_of_the_file() -> None:
    lines = [tax_files.assessment(通知書番号=f"N-{i}") for i in range(60)]
    lines[0] = lines[0].replace("山﨑 太郎", '"山﨑 太郎')
    parsed = tax_files.parse(tax_files.export(*lines))
    assert len(parsed.accepted) == 59 and parsed.rejected[0].line == 2

