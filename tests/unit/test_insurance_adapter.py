"""The insurance fixed-width file: every record kind, CP932 byte widths with real Japanese text, the round trip
through render_export, and every class of bad input (record by record, and whole files)."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from contracts import (
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    ExemptionApplied,
    InstallmentAgreed,
    Payload,
    PaymentReceived,
    PaymentReversed,
    PersonReference,
    RelatedPerson,
)
from services.insurance_adapter.export_format import (
    LAYOUT,
    OFFSETS,
    RECORD_LENGTH,
    ExportFormatError,
    claim_id,
    era_code,
    monthly_schedule,
    parse_export,
    render_export,
)

SAMPLE = Path(__file__).parents[2] / "services" / "insurance_adapter" / "samples" / "insurance_export_sample.txt"
FIXED_NOW = datetime(2024, 12, 1, tzinfo=UTC)
NHI, LTC, LEM = "national_health_insurance_tax", "long_term_care_premium", "late_elderly_medical_premium"
NHI_CLAIM = claim_id(2024, NHI, "240000123", 1)
LTC_CLAIM = claim_id(2024, LTC, "240100777", 4)


def record(**values: str | bytes) -> bytes:
    """One record built independently of the module: every field encoded in CP932, space-padded to its width."""
    out = b""
    for name, width, _ in LAYOUT:
        value = values.get(name, "")
        raw = value if isinstance(value, bytes) else value.encode("cp932")
        assert len(raw) <= width, name
        out += raw + b" " * (width - len(raw))
    return out


CLAIM = {"債権コード": "01", "年度": "2024", "期別": "01", "通知書番号": "240000123"}
ASSESSMENT = {"レコード種別": "11", "納付義務者番号": "3000000101", "氏名": "髙橋　一郎", "氏名カナ": "ﾀｶﾊｼ ｲﾁﾛｳ",
              "生年月日": "3500401", "郵便番号": "471-8501", "住所": "愛知県豊田市西町３丁目６０番地",
              "電話番号": "0565-31-1212", **CLAIM, "納期限": "20240731", "処理日": "5060710",
              "金額": "+00000038200"}
KINDS = {
    "11": ASSESSMENT,
    "12": {"レコード種別": "12", "納付義務者番号": "3000000101", **CLAIM, "金額": "-00000005000",
           "処理日": "20240801", "事由コード": "02", "異動番号": "K000000001"},
    "13": {"レコード種別": "13", "納付義務者番号": "3000000101", **CLAIM, "処理日": "20240902", "事由コード": "03"},
    "21": {"レコード種別": "21", "納付義務者番号": "3000000101", **CLAIM, "金額": " 00000033200",
           "処理日": "20240729", "収納方法": "02", "収納番号": "R2024-00000001"},
    "22": {"レコード種別": "22", "納付義務者番号": "3000000101", "処理日": "5061106", "収納番号": "R2024-00000001",
           "事由コード": "01"},
    "31": {"レコード種別": "31", "納付義務者番号": "3000000202", "債権コード": "02", "年度": "2024", "期別": "04",
           "通知書番号": "240100777", "金額": "+00000006400", "処理日": "20241120", "分納番号": "B2024-0007",
           "分納回数": "003", "初回納期限": "20241210"},
    "41": {"レコード種別": "41", "納付義務者番号": "3000000101", "債権コード": "01", "処理日": "20240820",
           "申請番号": "G2024-0031", "事由コード": "01"},
}


def changed(kind: str, **changes: str | bytes) -> bytes:
    return record(**{**KINDS[kind], **changes})


def export(*records: bytes) -> bytes:
    return b"".join(r + b"\r\n" for r in records)


def parse(data: bytes):  # type: ignore[no-untyped-def]
    return parse_export(data, file_name="test.txt", produced_at=lambda: FIXED_NOW)


def bare(person_id: str) -> PersonReference:
    return PersonReference(source_person_id=person_id)


HEAD = PersonReference(source_person_id="3000000101", name_kanji="髙橋　一郎", name_kana="タカハシ イチロウ",
                       birth_date=date(1975, 4, 1), postal_code="471-8501", address="愛知県豊田市西町３丁目６０番地",
                       phone="0565-31-1212")
EXPECTED: dict[str, Payload] = {
    "11": ClaimAssessed(claim_id=NHI_CLAIM, person=HEAD, receivable_type=NHI, legal_category="forced_public",
                        fiscal_year=2024, installment=1, due_date=date(2024, 7, 31), amount=38200,
                        assessed_on=date(2024, 7, 10)),
    "12": ClaimAdjusted(claim_id=NHI_CLAIM, person=bare("3000000101"), amount_delta=-5000, reason="reduction",
                        adjusted_on=date(2024, 8, 1)),
    "13": ClaimCancelled(claim_id=NHI_CLAIM, person=bare("3000000101"), reason="deceased",
                         cancelled_on=date(2024, 9, 2)),
    "21": PaymentReceived(payment_id="R2024-00000001", person=bare("3000000101"), claim_id=NHI_CLAIM, amount=33200,
                          paid_on=date(2024, 7, 29), channel="convenience_store"),
    "22": PaymentReversed(payment_id="R2024-00000001", person=bare("3000000101"), reason="account_transfer_failed",
                          reversed_on=date(2024, 11, 6)),
    "31": InstallmentAgreed(agreement_id="B2024-0007", person=bare("3000000202"), claim_ids=(LTC_CLAIM,),
                            schedule=[{"due_date": date(2024, 12, 10), "amount": 2134},
                                      {"due_date": date(2025, 1, 10), "amount": 2133},
                                      {"due_date": date(2025, 2, 10), "amount": 2133}],
                            agreed_on=date(2024, 11, 20)),
    "41": ExemptionApplied(application_id="G2024-0031", person=bare("3000000101"), receivable_type=NHI,
                           reason="income_drop", applied_on=date(2024, 8, 20)),
}


# ---- every record kind -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_record_kind_gives_its_payload(kind: str) -> None:
    parsed = parse(export(record(**KINDS[kind])))
    assert parsed.rejected == []
    (accepted,) = parsed.accepted
    assert accepted.message.payload == EXPECTED[kind]
    assert accepted.message.department == "insurance" and accepted.message.source_system == "insurance-core"
    person_id = EXPECTED[kind].person.source_person_id  # type: ignore[attr-defined]
    assert accepted.line == 1 and accepted.key == f"insurance:{person_id}"


def test_sample_file_gives_every_record_kind() -> None:
    parsed = parse(SAMPLE.read_bytes())
    assert parsed.rejected == []
    kinds = [a.message.message_type for a in parsed.accepted]
    assert kinds == ["ClaimAssessed", "ClaimAssessed", "ClaimAdjusted", "PaymentReceived", "PaymentReceived",
                     "ClaimAssessed", "PaymentReversed", "InstallmentAgreed", "ExemptionApplied", "ClaimCancelled"]
    first = parsed.accepted[0].message.payload
    assert isinstance(first, ClaimAssessed)
    assert first.person.name_kanji == "髙橋\u3000一郎" and first.person.name_kana == "タカハシ イチロウ"
    assert first.related_persons[0].person.name_kanji == "髙橋\u3000美咲"
    assert {p.person.name_kanji for a in parsed.accepted if isinstance(p := a.message.payload, ClaimAssessed)} == {
        "髙橋\u3000一郎", "山﨑\u3000ハナ", "渡邊\u3000齋"}
    assert all(len(line) == RECORD_LENGTH for line in SAMPLE.read_bytes().split(b"\r\n")[:-1])


@pytest.mark.parametrize(("code", "receivable"), [("01", NHI), ("02", LTC), ("03", LEM)])
def test_receivable_codes(code: str, receivable: str) -> None:
    payload = parse(export(changed("11", 債権コード=code))).accepted[0].message.payload
    assert isinstance(payload, ClaimAssessed) and payload.receivable_type == receivable
    assert payload.claim_id == f"2024-{receivable}-240000123-01"


def test_national_health_insurance_names_the_insured_household_member() -> None:
    payload = parse(export(changed("11", 世帯員番号="3000000102", 世帯員氏名="髙橋　美咲"))).accepted[0].message.payload
    assert isinstance(payload, ClaimAssessed)
    assert payload.related_persons == (RelatedPerson(role="household_member", person=PersonReference(
        source_person_id="3000000102", name_kanji="髙橋　美咲")),)
    assert payload.person.source_person_id == "3000000101"  # billed to the head of household (世帯主)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"納期限": "5060731", "処理日": "20240710"}, (date(2024, 7, 31), date(2024, 7, 10))),
        ({"納期限": " 5060731", "処理日": "5060710 "}, (date(2024, 7, 31), date(2024, 7, 10))),
        ({"納期限": "4310430", "処理日": "4310501"}, (date(2019, 4, 30), date(2019, 5, 1))),  # 平成31年5月1日 on paper
        ({"納期限": "20240731", "処理日": "5010501"}, (date(2024, 7, 31), date(2019, 5, 1))),  # 令和元年
    ],
)
def test_dates_are_yyyymmdd_or_era_codes(changes: dict[str, str], expected: tuple[date, date]) -> None:
    payload = parse(export(changed("11", **changes))).accepted[0].message.payload
    assert isinstance(payload, ClaimAssessed) and (payload.due_date, payload.assessed_on) == expected


@pytest.mark.parametrize(("code", "born"), [("1450729", date(1912, 7, 29)), ("2150101", date(1926, 1, 1)),
                                            ("3640107", date(1989, 1, 7)), ("4010108", date(1989, 1, 8)),
                                            ("5060229", date(2024, 2, 29)), ("0000000", None), ("", None)])
def test_birth_dates_in_every_era(code: str, born: date | None) -> None:
    payload = parse(export(changed("11", 生年月日=code))).accepted[0].message.payload
    assert payload.person.birth_date == born  # type: ignore[attr-defined]
    if born:
        assert era_code(born) == code


def test_fields_padded_with_full_or_half_width_spaces_are_trimmed() -> None:
    full = record(**{**ASSESSMENT, "氏名": "齋藤" + "\u3000" * 18, "住所": "\u3000" * 40})
    payload = parse(export(full)).accepted[0].message.payload
    assert payload.person.name_kanji == "齋藤" and payload.person.address is None  # type: ignore[attr-defined]


def test_half_width_kana_is_folded_to_full_width() -> None:
    payload = parse(export(changed("11", 氏名カナ="ﾜﾀﾅﾍﾞ ｻﾞｲｽﾞｰ ｳﾞｨ"))).accepted[0].message.payload
    assert payload.person.name_kana == "ワタナベ ザイズー ヴィ"  # type: ignore[attr-defined]


def test_lf_line_ends_blank_lines_and_a_dos_eof_byte_are_accepted() -> None:
    data = record(**KINDS["11"]) + b"\n\n" + record(**KINDS["21"]) + b"\n\x1a"
    parsed = parse(data)
    assert parsed.rejected == [] and [a.line for a in parsed.accepted] == [1, 3]


def test_category_override_from_the_city() -> None:
    data = export(record(**ASSESSMENT))
    overridden = parse_export(data, file_name="t", produced_at=lambda: FIXED_NOW,
                              category_overrides={NHI: "non_forced_public"}).accepted[0].message.payload
    assert overridden.legal_category == "non_forced_public"  # type: ignore[attr-defined]
    bad = parse_export(data, file_name="t", produced_at=lambda: FIXED_NOW, category_overrides={NHI: "maybe"})
    assert bad.rejected[0].problems[0].field == "債権コード"


# ---- round trip --------------------------------------------------------------------------------------------

def _round_trip_payloads() -> list[Payload]:
    people = [
        PersonReference(source_person_id="A1", name_kanji="髙橋　一郎", name_kana="タカハシ イチロウ",
                        birth_date=date(1912, 7, 29), postal_code="471-8501", address="豊田市西町３丁目６０番地",
                        phone="0565-31-1212"),
        PersonReference(source_person_id="A2", name_kanji="山﨑 ハナ", name_kana="ヤマサキ ハナ",
                        birth_date=date(1926, 12, 24)),
        PersonReference(source_person_id="A3", name_kanji="渡邊　齋", birth_date=date(2019, 5, 1),
                        address="愛知県豊田市小坂本町五丁目２番地　サンハイツ小坂２０１号室"),
        PersonReference(source_person_id="A4", name_kana="ヴァレンティーナ・ガルシア", birth_date=date(1989, 1, 8)),
    ]
    member = RelatedPerson(role="household_member", person=PersonReference(source_person_id="A9",
                                                                            name_kanji="齋藤　邊"))
    out: list[Payload] = []
    for i, person in enumerate(people):
        receivable = (NHI, LTC, LEM)[i % 3]
        cid = claim_id(2024 + i, receivable, f"N-{i}-77", i)
        out += [
            ClaimAssessed(claim_id=cid, person=person, receivable_type=receivable, legal_category="forced_public",
                          fiscal_year=2024 + i, installment=i, due_date=date(2025, 1, 31), amount=99_999_999_999 // 10,
                          assessed_on=date(2019, 4, 30), related_persons=[member] if receivable == NHI else []),
            ClaimAdjusted(claim_id=cid, person=person, amount_delta=-1 - i, reason="exemption",
                          adjusted_on=date(2024, 8, 1)),
            ClaimAdjusted(claim_id=cid, person=person, amount_delta=1200, reason="correction",
                          adjusted_on=date(2024, 8, 2)),
            ClaimCancelled(claim_id=cid, person=person, reason="duplicate", cancelled_on=date(2024, 9, 2)),
            PaymentReceived(payment_id=f"R-{i}", person=person, claim_id=cid if i % 2 else None, amount=1,
                            paid_on=date(2024, 7, 29), channel=("smartphone", "counter", "eltax", "other")[i]),
            PaymentReversed(payment_id=f"R-{i}", person=person, reason="entry_error", reversed_on=date(2024, 8, 5)),
            InstallmentAgreed(agreement_id=f"B-{i}", person=person, claim_ids=(cid,),
                              schedule=monthly_schedule(100_001, 12, date(2024, 1, 31)), agreed_on=date(2024, 1, 5)),
            ExemptionApplied(application_id=f"G-{i}", person=person, receivable_type=receivable,
                             claim_id=cid if i % 2 else None, reason="public_assistance", applied_on=date(2024, 6, 3)),
        ]
    return out


@pytest.mark.parametrize("era_dates", [False, True])
def test_round_trip_of_every_record_kind(era_dates: bool) -> None:
    payloads = _round_trip_payloads()
    data = render_export(payloads, era_dates=era_dates)
    assert all(len(line) == RECORD_LENGTH for line in data.split(b"\r\n")[:-1])
    parsed = parse(data)
    assert parsed.rejected == []
    assert [a.message.payload for a in parsed.accepted] == payloads
    assert len({a.message.message_id for a in parsed.accepted}) == len(payloads)


def test_render_pads_kanji_fields_with_full_width_spaces_and_kana_in_half_width() -> None:
    data = render_export([EXPECTED["11"]])
    start, end = OFFSETS["氏名"]
    assert data[start:end].decode("cp932") == "髙橋　一郎" + "\u3000" * 15
    start, end = OFFSETS["氏名カナ"]
    assert data[start:end].decode("cp932").rstrip() == "ﾀｶﾊｼ ｲﾁﾛｳ"
    start, end = OFFSETS["金額"]
    assert data[start:end] == b"+00000038200"


@pytest.mark.parametrize(
    "payload",
    [
        EXPECTED["11"].model_copy(update={"person": HEAD.model_copy(update={"name_kanji": "寿限無" * 7})}),
        EXPECTED["11"].model_copy(update={"person": HEAD.model_copy(update={"name_kanji": "𠮷田"})}),
        EXPECTED["11"].model_copy(update={"related_persons": (RelatedPerson(role="guarantor", person=bare("G")),)}),
        EXPECTED["31"].model_copy(update={"schedule": EXPECTED["31"].schedule[::-1]}),  # type: ignore[attr-defined]
    ],
)
def test_render_refuses_what_the_format_cannot_carry(payload: Payload) -> None:
    with pytest.raises(ValueError):
        render_export([payload])


# ---- bad records -------------------------------------------------------------------------------------------

def _with_bytes(base: bytes, field: str, raw: bytes) -> bytes:
    start, end = OFFSETS[field]
    return base[:start] + raw.ljust(end - start, b" ") + base[end:]


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        # wrong encoding / undecodable bytes
        (_with_bytes(record(**ASSESSMENT), "氏名", b"\x81\xff\xfe\x85"), "氏名", "not valid CP932"),
        (_with_bytes(record(**ASSESSMENT), "住所", "渡邊".encode("cp932") + b"\x81"), "住所", "not valid CP932"),
        # short, long and missing fields
        (record(**ASSESSMENT)[:-37], "(record)", f"record is {RECORD_LENGTH - 37} bytes, expected {RECORD_LENGTH}"),
        (record(**ASSESSMENT) + b"X", "(record)", f"record is {RECORD_LENGTH + 1} bytes, expected {RECORD_LENGTH}"),
        (changed("11", 納期限=""), "納期限", "is required for 調定"),
        (changed("11", 処理日="00000000"), "処理日", "is required for 調定"),
        (changed("11", 氏名="", 氏名カナ=""), "氏名", "required for 調定"),
        (changed("11", 通知書番号=""), "通知書番号", "is required for 調定"),
        (changed("21", 収納番号=""), "収納番号", "is required for 収納"),
        (changed("22", 事由コード=""), "事由コード", "is required for 収納取消"),
        (changed("31", 初回納期限=""), "初回納期限", "is required for 分納"),
        (changed("41", 申請番号=""), "申請番号", "is required for 減免申請"),
        (changed("41", 債権コード=""), "債権コード", "is required for 減免申請"),
        (changed("12", 異動番号=""), "異動番号", "is required for 更正"),
        # impossible dates and out-of-range era years
        (changed("11", 生年月日="5060230"), "生年月日", "no such calendar date"),
        (changed("11", 納期限="20240230"), "納期限", "no such calendar date"),
        (changed("11", 納期限="4450101"), "納期限", "平成 has no year 45"),
        (changed("11", 生年月日="3650101"), "生年月日", "昭和 has no year 65"),
        (changed("11", 生年月日="3000101"), "生年月日", "昭和 has no year 0"),
        (changed("11", 処理日="5010430"), "処理日", "令和 began on 2019-05-01"),
        (changed("11", 生年月日="6010101"), "生年月日", "unknown era digit"),
        (changed("11", 生年月日="S500401"), "生年月日", "7-digit era code"),
        (changed("11", 納期限="2024-7-1"), "納期限", "or 8 digits YYYYMMDD"),
        (changed("11", 納期限="18000101"), "納期限", "before 明治 began"),
        # amounts: negative, zero, fractional, non-numeric, bad sign byte
        (changed("11", 金額="-00000038200"), "金額", "must be a positive amount"),
        (changed("11", 金額="+00000000000"), "金額", "must be a positive amount"),
        (changed("21", 金額="+000001200.5"), "金額", "whole yen (no decimals)"),
        (changed("11", 金額="+0000000ABCD"), "金額", "is not an amount in yen"),
        (changed("11", 金額="+     12,300"), "金額", "must be 11 digits without grouping"),
        (changed("11", 金額="*00000038200"), "金額", "sign byte"),
        (changed("11", 金額=""), "金額", "is required for 調定"),
        (changed("12", 金額="-00000000000"), "金額", "must not be 0"),
        (changed("11", 金額="+99999999999"), "金額", "less than or equal to 10000000000"),
        (changed("31", 金額="+00000000002"), "分納回数", "larger than the amount"),
        # unknown codes and out-of-range numbers
        (changed("11", レコード種別="99"), "レコード種別", "unknown value; expected one of 11 調定"),
        (changed("11", 債権コード="09"), "債権コード", "unknown value"),
        (changed("21", 収納方法="55"), "収納方法", "unknown value"),
        (changed("21", 債権コード="09", 年度="", 期別="", 通知書番号=""), "債権コード", "unknown value"),
        (changed("12", 事由コード="09"), "事由コード", "unknown value"),
        (changed("13", 事由コード="05"), "事由コード", "unknown value"),
        (changed("41", 事由コード="05"), "事由コード", "unknown value"),
        (changed("11", 年度="1900"), "年度", "from 1989 to 2200"),
        (changed("11", 期別="AB"), "期別", "from 0 to 99"),
        (changed("31", 分納回数="000"), "分納回数", "from 1 to 120"),
        # the household member belongs to 国民健康保険税 only, and needs an id
        (changed("11", 債権コード="02", 世帯員番号="3000000102"), "世帯員番号", "only used for 国民健康保険税"),
        (changed("11", 世帯員氏名="髙橋　美咲"), "世帯員番号", "is required when 世帯員氏名 is given"),
    ],
)
def test_bad_records_are_rejected_with_record_number_field_and_reason(bad: bytes, field: str, reason: str) -> None:
    parsed = parse(export(changed("11", 通知書番号="GOOD-1"), bad, changed("21", 収納番号="GOOD-2")))
    assert [a.line for a in parsed.accepted] == [1, 3], "the valid records around it still go through"
    (rejection,) = parsed.rejected
    assert rejection.line == 2
    assert any(p.field == field and reason in p.reason for p in rejection.problems), rejection.problems


def test_every_problem_of_a_record_is_reported_at_once() -> None:
    bad = _with_bytes(changed("11", 生年月日="5060230", 金額="-00000000001", 債権コード="07"), "電話番号", b"\x82")
    (rejection,) = parse(export(record(**ASSESSMENT), bad)).rejected
    assert {p.field for p in rejection.problems} == {"電話番号"}  # an undecodable field stops the record first
    (rejection,) = parse(export(record(**ASSESSMENT),
                                changed("11", 生年月日="5060230", 金額="-00000000001", 債権コード="07"))).rejected
    assert {"生年月日", "金額", "債権コード"} <= {p.field for p in rejection.problems}


def test_rejection_reasons_never_contain_the_values() -> None:
    bad = changed("11", 生年月日="3991231", 納期限="05653112", 処理日="髙橋", 金額="+0565311212.",
                  年度="齋藤", 期別="邊", 債権コード="山", 世帯員氏名="渡邊　花子", 氏名="渡邊　太郎")
    parsed = parse(export(record(**ASSESSMENT), bad, _with_bytes(record(**ASSESSMENT), "氏名", b"\x88\x9f\x81")))
    text = " ".join(f"{p.field} {p.reason}" for r in parsed.rejected for p in r.problems)
    assert len(parsed.rejected) == 2
    for value in ("3991231", "0565", "髙橋", "齋藤", "邊", "山", "渡邊", "花子", "太郎", "亜"):
        assert value not in text


# ---- whole files -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n  \r\n", "empty"),
        (record(**ASSESSMENT).decode("cp932").encode("utf-8") + b"\r\n", "UTF-8"),
        (b"\xef\xbb\xbf" + record(**KINDS["21"]) + b"\r\n", "UTF-8"),
        (b"\x81\xff" + record(**ASSESSMENT)[2:] + b"\r\n" + record(**ASSESSMENT) + b"\r\n", "record 1 .* not CP932"),
        ("レコード種別,納付義務者番号\r\n11,3000000101\r\n".encode("cp932"), f"no record is {RECORD_LENGTH} bytes"),
    ],
)
def test_unreadable_files_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(ExportFormatError, match=message):
        parse(data)


# ---- message ids -------------------------------------------------------------------------------------------

def test_reimport_gives_identical_message_ids() -> None:
    data = SAMPLE.read_bytes()
    first = [a.message.message_id for a in parse(data).accepted]
    again = [a.message.message_id for a in parse(data).accepted]
    assert first == again and len(set(first)) == len(first)


def test_message_ids_depend_on_source_keys_not_on_the_file() -> None:
    alone = parse(export(record(**ASSESSMENT))).accepted[0].message.message_id
    moved = parse(export(changed("11", 通知書番号="OTHER"), changed("11", 氏名="髙橋　壱郎", 金額="+00000038201")))
    assert moved.accepted[1].message.message_id == alone  # same claim id → same message, whatever the content


@pytest.mark.parametrize(("kind", "changes"), [("12", {"異動番号": "K000000002"}), ("21", {"収納番号": "R-OTHER"}),
                                               ("31", {"分納番号": "B-OTHER"}), ("41", {"申請番号": "G-OTHER"})])
def test_different_source_keys_give_different_message_ids(kind: str, changes: dict[str, str]) -> None:
    parsed = parse(export(record(**KINDS[kind]), changed(kind, **changes)))
    first, second = (a.message.message_id for a in parsed.accepted)
    assert first != second


def test_claim_id_scheme() -> None:
    assert claim_id(2024, NHI, "240000123", 1) == "2024-national_health_insurance_tax-240000123-01"
