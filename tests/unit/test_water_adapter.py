"""The water billing export parser: every record kind, Japanese text as it really comes, and every class of bad
input. The export has no header: columns are positional (services/water_adapter/export_format.COLUMNS)."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from contracts import (
    AdjustmentReason,
    CancellationReason,
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    LegalCategory,
    PaymentChannel,
    PaymentReceived,
    PaymentReversed,
    PersonKind,
    PersonReference,
    ReversalReason,
    SupplyStatus,
    WaterSupplyChanged,
)
from services.water_adapter.export_format import (
    COLUMNS,
    ExportFormatError,
    claim_id,
    parse_export,
    render_export,
)

SAMPLE = Path(__file__).parents[2] / "services" / "water_adapter" / "samples" / "water_export_sample.csv"
FIXED_NOW = datetime(2024, 7, 1, tzinfo=UTC)
WATER_CLAIM = "2024-water_supply_charge-0012345-300001-03"
SEWER_CLAIM = "2024-sewerage_charge-0012345-300001-03"


def line(**values: str) -> str:
    unknown = set(values) - set(COLUMNS)
    assert not unknown, unknown
    return ",".join(values.get(column, "") for column in COLUMNS)


PERSON = {"お客様番号": "300001", "個人法人区分": "1", "氏名又は名称": "山﨑 太郎", "カナ": "ﾔﾏｻｷ ﾀﾛｳ",
          "生年月日": "昭和60年1月15日", "郵便番号": "471-0001", "設置場所住所": "豊田市髙岡町1-2", "電話番号": "0565-00-1111"}
BILL = {"水栓番号": "0012345", "年度": "令和6", "期": "3"}


def bill(**changes: str) -> str:
    values = {"レコード区分": "請求", **PERSON, **BILL, "使用期間開始": "令和6年6月16日",
              "使用期間終了": "令和6年8月15日", "納期限": "令和6年9月30日", "上水道料金": "5280",
              "下水道使用料": "4620", "処理日": "令和6年9月2日"}
    values.update(changes)
    return line(**values)


def reduction(**changes: str) -> str:
    values = {"レコード区分": "減額", **PERSON, **BILL, "料金区分": "上水道", "上水道料金": "1200",
              "処理日": "2024-09-10", "異動番号": "G1", "事由": "漏水減額"}
    values.update(changes)
    return line(**values)


def payment(**changes: str) -> str:
    values = {"レコード区分": "入金", "お客様番号": "300001", "個人法人区分": "1", **BILL, "料金区分": "下水道",
              "下水道使用料": "4620", "処理日": "2024-09-30", "入金方法": "口座振替", "入金番号": "N1"}
    values.update(changes)
    return line(**values)


def export(*lines: str, encoding: str = "cp932") -> bytes:
    return "\r\n".join(lines).encode(encoding) + b"\r\n"


def parse(data: bytes, overrides: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return parse_export(data, file_name="test.csv", produced_at=lambda: FIXED_NOW, category_overrides=overrides)


def payloads(data: bytes) -> list[object]:
    parsed = parse(data)
    assert parsed.rejected == [], parsed.rejected
    return [a.message.payload for a in parsed.accepted]


# ---- the sample and every record kind ------------------------------------------------------------------------

def test_sample_file_parses_without_rejections_and_covers_every_kind() -> None:
    parsed = parse(SAMPLE.read_bytes())
    assert parsed.rejected == []
    kinds = [a.message.message_type for a in parsed.accepted]
    assert kinds == ["ClaimAssessed"] * 5 + ["ClaimAdjusted"] * 2 + ["PaymentReceived"] * 2 + ["PaymentReversed"] + \
        ["PaymentReceived", "ClaimCancelled"] + ["WaterSupplyChanged"] * 4
    water, sewer = parsed.accepted[0].message.payload, parsed.accepted[1].message.payload
    assert isinstance(water, ClaimAssessed) and isinstance(sewer, ClaimAssessed)
    assert parsed.accepted[0].line == parsed.accepted[1].line == 1  # one 請求 line, two claims
    assert water.person.name_kanji == "髙﨑 一郎"  # NEC/IBM extension characters survive CP932
    assert water.person.name_kana == "タカサキ イチロウ"  # half-width kana folded to full width
    assert water.person.birth_date == date(1975, 4, 1) and water.person.kind is PersonKind.INDIVIDUAL
    assert (water.receivable_type, water.legal_category, water.amount) == ("water_supply_charge", "private", 5280)
    assert (sewer.receivable_type, sewer.legal_category, sewer.amount) == ("sewerage_charge", "forced_public", 4620)
    assert (water.period_start, water.period_end) == (date(2024, 2, 16), date(2024, 4, 15))
    assert (water.fiscal_year, water.installment, water.due_date) == (2024, 1, date(2024, 5, 31))
    corporation = parsed.accepted[2].message.payload.person  # type: ignore[attr-defined]
    assert corporation.kind is PersonKind.CORPORATION and corporation.birth_date is None
    assert corporation.name_kanji == "株式会社齋藤製作所"
    septic = parsed.accepted[4].message.payload  # 下水道使用料 0: no sewer claim (浄化槽)
    assert isinstance(septic, ClaimAssessed) and septic.receivable_type == "water_supply_charge"
    assert septic.person.name_kanji == "渡邊 花子" and parsed.accepted[4].line == 3
    assert {a.key for a in parsed.accepted} == {"water:100123", "water:200456", "water:100789"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (reduction(), ClaimAdjusted(claim_id=WATER_CLAIM, person=PersonReference(
            source_person_id="300001", name_kanji="山﨑 太郎", name_kana="ヤマサキ タロウ", birth_date=date(1985, 1, 15),
            postal_code="471-0001", address="豊田市髙岡町1-2", phone="0565-00-1111"),
            amount_delta=-1200, reason=AdjustmentReason.REDUCTION, adjusted_on=date(2024, 9, 10))),
        (line(レコード区分="取消", お客様番号="300001", 個人法人区分="1", 料金区分="下水道", 処理日="R06.09.12",
              事由="誤調定", **BILL),
         ClaimCancelled(claim_id=SEWER_CLAIM, person=PersonReference(source_person_id="300001"),
                        reason=CancellationReason.ASSESSMENT_ERROR, cancelled_on=date(2024, 9, 12))),
        (payment(),
         PaymentReceived(payment_id="N1", person=PersonReference(source_person_id="300001"), claim_id=SEWER_CLAIM,
                         amount=4620, paid_on=date(2024, 9, 30), channel=PaymentChannel.ACCOUNT_TRANSFER)),
        (line(レコード区分="入金取消", お客様番号="300001", 個人法人区分="1", 処理日="2024-10-05", 入金番号="N1",
              事由="口座振替不能"),
         PaymentReversed(payment_id="N1", person=PersonReference(source_person_id="300001"),
                         reason=ReversalReason.ACCOUNT_TRANSFER_FAILED, reversed_on=date(2024, 10, 5))),
        *[(line(レコード区分=kind, お客様番号="400001", 個人法人区分="2", 氏名又は名称="有限会社髙﨑商店",
                水栓番号="0077", 処理日="令和6年11月1日"),
           WaterSupplyChanged(contract_id="0077", person=PersonReference(
               source_person_id="400001", kind=PersonKind.CORPORATION, name_kanji="有限会社髙﨑商店"),
               status=status, effective_on=date(2024, 11, 1)))
          for kind, status in [("給水停止予告", SupplyStatus.SUSPENSION_NOTICE), ("給水停止", SupplyStatus.SUSPENDED),
                               ("給水再開", SupplyStatus.RESUMED), ("閉栓", SupplyStatus.CLOSED)]],
    ],
    ids=["減額", "取消", "入金", "入金取消", "給水停止予告", "給水停止", "給水再開", "閉栓"],
)
def test_each_record_kind_gives_its_payload(text: str, expected: object) -> None:
    assert payloads(export(text)) == [expected]


def test_a_bill_gives_one_claim_per_charge_with_its_period() -> None:
    water, sewer = payloads(export(bill()))
    assert isinstance(water, ClaimAssessed) and isinstance(sewer, ClaimAssessed)
    assert (water.claim_id, sewer.claim_id) == (WATER_CLAIM, SEWER_CLAIM)
    for claim in (water, sewer):
        assert (claim.fiscal_year, claim.installment) == (2024, 3)
        assert (claim.period_start, claim.period_end) == (date(2024, 6, 16), date(2024, 8, 15))
        assert (claim.due_date, claim.assessed_on) == (date(2024, 9, 30), date(2024, 9, 2))
    assert (water.amount, sewer.amount) == (5280, 4620)


@pytest.mark.parametrize(
    ("water", "sewer", "expected"),
    [("5280", "0", [("water_supply_charge", 5280)]), ("5280", "", [("water_supply_charge", 5280)]),
     ("0", "4620", [("sewerage_charge", 4620)]), ("", '"￥4,620"', [("sewerage_charge", 4620)]),
     ("１，２００円", "０", [("water_supply_charge", 1200)])],
)
def test_a_charge_that_is_empty_or_zero_is_not_billed(water: str, sewer: str, expected: list[tuple[str, int]]) -> None:
    claims = payloads(export(bill(上水道料金=water, 下水道使用料=sewer)))
    assert [(c.receivable_type, c.amount) for c in claims] == expected  # type: ignore[attr-defined]


def test_claim_id_scheme() -> None:
    assert claim_id(2024, "water_supply_charge", "0012345", "300001", 3) == WATER_CLAIM


def test_full_width_digits_in_period_and_amounts() -> None:
    water, _ = payloads(export(bill(期="０３", 上水道料金="５，２８０円")))
    assert isinstance(water, ClaimAssessed) and water.installment == 3 and water.amount == 5280


def test_city_overrides_the_legal_category() -> None:
    data = export(bill())
    parsed = parse(data, {"water_supply_charge": "non_forced_public", "sewerage_charge": "forced_public"})
    water, sewer = (a.message.payload for a in parsed.accepted)
    assert water.legal_category is LegalCategory.NON_FORCED_PUBLIC  # type: ignore[attr-defined]
    assert sewer.legal_category is LegalCategory.FORCED_PUBLIC  # type: ignore[attr-defined]


def test_an_invalid_override_rejects_the_bill_naming_the_charge_column() -> None:
    parsed = parse(export(bill()), {"sewerage_charge": "very_public"})
    assert parsed.accepted == [] and parsed.rejected[0].problems[0].field == "下水道使用料"


# ---- round trip ----------------------------------------------------------------------------------------------

RESIDENT = PersonReference(source_person_id="500001", name_kanji="髙﨑 邊", name_kana="タカサキ ホトリ",
                           birth_date=date(1989, 1, 8), postal_code="471-0002", address="豊田市齋藤町3-4",
                           phone="0565-11-2222")
COMPANY = PersonReference(source_person_id="600001", kind=PersonKind.CORPORATION, name_kanji="株式会社齋藤",
                          address="豊田市元町1")


def _assessed(person: PersonReference, receivable: str, contract: str, period: int, amount: int) -> ClaimAssessed:
    return ClaimAssessed(
        claim_id=claim_id(2025, receivable, contract, person.source_person_id, period), person=person,
        receivable_type=receivable,
        legal_category="private" if receivable == "water_supply_charge" else "forced_public",
        fiscal_year=2025, installment=period, due_date=date(2025, 7, 31), amount=amount,
        assessed_on=date(2025, 7, 1), period_start=date(2025, 4, 16), period_end=date(2025, 6, 15))


ROUND_TRIP = [
    _assessed(RESIDENT, "water_supply_charge", "11-22", 2, 3960),
    _assessed(RESIDENT, "sewerage_charge", "11-22", 2, 3400),
    _assessed(COMPANY, "sewerage_charge", "C-9", 6, 120000),  # sewer only (well water)
    _assessed(COMPANY, "water_supply_charge", "C-9", 6, 98000),  # not followed by its sewer: a line of its own
    ClaimAdjusted(claim_id=claim_id(2025, "sewerage_charge", "11-22", "500001", 2), person=RESIDENT,
                  amount_delta=-700, reason=AdjustmentReason.EXEMPTION, adjusted_on=date(2025, 7, 20)),
    ClaimAdjusted(claim_id=claim_id(2025, "water_supply_charge", "C-9", "600001", 6), person=COMPANY,
                  amount_delta=-5000, reason=AdjustmentReason.CORRECTION, adjusted_on=date(2026, 3, 1)),
    ClaimCancelled(claim_id=claim_id(2025, "water_supply_charge", "C-9", "600001", 6), person=COMPANY,
                   reason=CancellationReason.DUPLICATE, cancelled_on=date(2026, 3, 2)),
    PaymentReceived(payment_id="P-1", person=RESIDENT, claim_id=claim_id(2025, "water_supply_charge", "11-22",
                    "500001", 2), amount=3960, paid_on=date(2025, 7, 31), channel=PaymentChannel.SMARTPHONE),
    PaymentReversed(payment_id="P-1", person=RESIDENT, reason=ReversalReason.ENTRY_ERROR,
                    reversed_on=date(2025, 8, 3)),
    WaterSupplyChanged(contract_id="C-9", person=COMPANY, status=SupplyStatus.SUSPENDED, effective_on=date(2026, 4, 1)),
    WaterSupplyChanged(contract_id="11-22", person=RESIDENT, status=SupplyStatus.CLOSED,
                       effective_on=date(2019, 5, 1)),
]


@pytest.mark.parametrize("era_dates", [False, True])
def test_render_then_parse_gives_the_same_payloads(era_dates: bool) -> None:
    data = render_export(ROUND_TRIP, era_dates=era_dates)
    assert payloads(data) == ROUND_TRIP
    lines = data.decode("cp932").splitlines()
    assert len(lines) == len(ROUND_TRIP) - 1  # the resident's water and sewer claims share one 請求 line
    if era_dates:
        assert "令和元年5月1日" in lines[-1] and "平成元年1月8日" in lines[0]


@pytest.mark.parametrize("record", ROUND_TRIP, ids=lambda r: type(r).__name__)
def test_every_kind_round_trips_alone(record: object) -> None:
    assert payloads(render_export([record])) == [record]  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (ROUND_TRIP[4].model_copy(update={"amount_delta": 700}), "only reduces"),
        (ROUND_TRIP[7].model_copy(update={"claim_id": None}), "must name its claim"),
        (ROUND_TRIP[7].model_copy(update={"claim_id": "2025-water_supply_charge-X-999-01"}), "does not follow"),
        (ROUND_TRIP[0].model_copy(update={"period_start": None, "period_end": None}), "使用期間"),
        (ROUND_TRIP[9].model_copy(update={"status": SupplyStatus.ACTIVE}), "no record for supply status"),
    ],
)
def test_render_refuses_what_the_export_cannot_say(record: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_export([record])  # type: ignore[list-item]


# ---- message ids ---------------------------------------------------------------------------------------------

def test_reimport_gives_identical_message_ids() -> None:
    data = SAMPLE.read_bytes()
    first = [a.message.message_id for a in parse(data).accepted]
    again = [a.message.message_id for a in parse(data).accepted]
    assert first == again and len(set(first)) == len(first)


def test_message_ids_depend_on_source_keys_not_on_the_file() -> None:
    alone = [a.message.message_id for a in parse(export(bill())).accepted]
    later = [a.message.message_id for a in parse(export(payment(), bill(納期限="2024-09-30"))).accepted][1:]
    assert alone == later and len(set(alone)) == 2  # the water and the sewer claim have their own ids


# ---- bad input -----------------------------------------------------------------------------------------------

CORPORATE = {**PERSON, "個人法人区分": "2", "氏名又は名称": "株式会社髙﨑"}


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (bill(上水道料金="1", 下水道使用料="2", 処理日="1") + ",extra", "(line)", "has 24 fields, expected 23"),
        ("請求,300001,0012345", "(line)", "has 3 fields, expected 23"),
        (bill(生年月日="令和6年2月30日"), "生年月日", "no such calendar date"),
        (bill(納期限="平成45年1月1日"), "納期限", "平成 has no year 45"),
        (bill(使用期間開始="R01.04.30"), "使用期間開始", "令和 began on 2019-05-01"),
        (bill(使用期間開始="2024-08-16", 使用期間終了="2024-06-15"), "使用期間終了", "is before 使用期間開始"),
        (bill(使用期間終了=""), "使用期間終了", "is required for 請求"),
        (bill(上水道料金="-5280"), "上水道料金", "must be a positive amount"),
        (bill(下水道使用料="4620.5"), "下水道使用料", "whole yen"),
        (bill(上水道料金="五千円"), "上水道料金", "is not an amount in yen"),
        (bill(上水道料金="0", 下水道使用料=""), "上水道料金", "must be a positive amount for 請求"),
        (bill(料金区分="上水道"), "料金区分", "must be empty for 請求"),
        (bill(氏名又は名称="", カナ=""), "氏名又は名称", "is required for 請求"),
        (bill(期="7"), "期", "from 1 to 6"),
        (bill(期="0"), "期", "from 1 to 6"),
        (bill(年度="昨年度"), "年度", "fiscal year"),
        (bill(個人法人区分="3"), "個人法人区分", "unknown value"),
        (bill(個人法人区分=""), "個人法人区分", "is required"),
        (bill(**CORPORATE), "生年月日", "must be empty for a corporation"),
        (bill(水栓番号="9" * 70), "水栓番号", "at most 80 characters"),
        (bill(氏名又は名称="髙" * 101), "氏名又は名称", "at most 100 characters"),
        (bill(レコード区分="差押"), "レコード区分", "unknown value"),
        (bill(レコード区分=""), "レコード区分", "is required"),
        (reduction(上水道料金="0"), "上水道料金", "must be a positive amount"),
        (reduction(上水道料金="-1200"), "上水道料金", "must be a positive amount"),
        (reduction(上水道料金="", 下水道使用料="1200"), "下水道使用料", "must be empty when 料金区分 names 上水道"),
        (reduction(料金区分="温泉"), "料金区分", "unknown value"),
        (reduction(料金区分=""), "料金区分", "is required for 減額"),
        (reduction(異動番号=""), "異動番号", "is required for 減額"),
        (reduction(事由="値引き"), "事由", "unknown value"),
        (payment(下水道使用料="4620.0"), "下水道使用料", "whole yen"),
        (payment(下水道使用料="abc"), "下水道使用料", "is not an amount in yen"),
        (payment(入金方法="現金書留"), "入金方法", "unknown value"),
        (payment(入金番号=""), "入金番号", "is required for 入金"),
        (payment(処理日="2024-13-01"), "処理日", "no such calendar date"),
        (payment(年度=""), "年度", "is required for 入金"),
        (line(レコード区分="入金取消", お客様番号="1", 個人法人区分="1", 処理日="2024-05-01", 入金番号="N1"),
         "事由", "is required for 入金取消"),
        (line(レコード区分="取消", お客様番号="1", 個人法人区分="1", 料金区分="上水道", 処理日="2024-05-01", 事由="転出",
              **BILL | {"水栓番号": ""}), "水栓番号", "is required for 取消"),
        (line(レコード区分="給水停止", お客様番号="1", 個人法人区分="1", 処理日="2024-05-01"), "水栓番号", "is required"),
        (line(レコード区分="閉栓", お客様番号="", 個人法人区分="1", 水栓番号="1", 処理日="2024-05-01"), "お客様番号",
         "is required"),
    ],
)
def test_bad_lines_are_rejected_with_line_field_and_reason(text: str, field: str, reason: str) -> None:
    parsed = parse(export(bill(水栓番号="GOOD1"), text, payment(入金番号="GOOD2")))
    assert [a.line for a in parsed.accepted] == [1, 1, 3], "the valid lines around it still go through"
    (rejection,) = parsed.rejected
    assert rejection.line == 2
    assert any(p.field == field and reason in p.reason for p in rejection.problems), rejection.problems


def test_every_problem_of_a_line_is_reported_at_once() -> None:
    parsed = parse(export(bill(生年月日="R06.02.30", 上水道料金="-1", 期="9", 個人法人区分="X")))
    assert {"生年月日", "上水道料金", "期", "個人法人区分"} <= {p.field for p in parsed.rejected[0].problems}


def test_a_bill_is_published_whole_or_not_at_all() -> None:
    parsed = parse(export(bill(氏名又は名称="齋" * 101)))  # both claims would fail the same way: one rejection
    assert parsed.accepted == [] and len(parsed.rejected) == 1


def test_rejection_reasons_never_contain_the_values() -> None:
    secret = {"氏名又は名称": "髙橋 次郎", "生年月日": "髙橋", "上水道料金": "0565-31-1212", "カナ": "ﾀｶﾊｼ",
              "個人法人区分": "渡邊", "期": "齋藤", "年度": "0565", "使用期間開始": "豊田市", "納期限": "471-8501"}
    parsed = parse(export(bill(**secret), reduction(料金区分="渡邊", 事由="髙橋"), payment(入金方法="0565-31"),
                          bill(**CORPORATE | {"生年月日": "昭和50年4月1日"}), bill(氏名又は名称="髙" * 101)))
    assert len(parsed.rejected) == 5
    text = " ".join(f"{p.field} {p.reason}" for r in parsed.rejected for p in r.problems)
    for value in ("髙橋", "渡邊", "齋藤", "0565", "豊田", "471", "ﾀｶﾊｼ", "タカハシ", "昭和50", "髙髙"):
        assert value not in text


def test_a_line_that_is_not_cp932_is_rejected_alone() -> None:
    data = export(bill(水栓番号="A")) + b"\x81\xff\xfe\x85,broken\r\n" + export(bill(水栓番号="B"))
    parsed = parse(data)
    assert [a.line for a in parsed.accepted] == [1, 1, 3, 3]
    assert parsed.rejected[0].line == 2 and parsed.rejected[0].problems[0].reason == "not valid CP932 text"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n  \r\n", "empty"),
        (export(",".join(COLUMNS), bill()), "no header"),
        (export("種別,お客様番号,氏名", bill()), "no header"),
        (export(bill(), encoding="utf-8"), "UTF-8"),
        (b"\xef\xbb\xbf" + export(bill()), "byte-order mark"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 20, "binary"),
        ("請求,1".encode("utf-16"), "UTF-16"),
        (export(bill().replace(",", "\t")), "no line has the 23 fields"),
    ],
    ids=["empty", "blank", "header", "partial-header", "utf8", "bom", "xlsx", "utf16", "tsv"],
)
def test_unreadable_files_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(ExportFormatError, match=message):
        parse(data)
