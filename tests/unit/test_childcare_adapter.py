"""The childcare export parser: every record kind, Japanese text as it really comes, the round trip through
render_export, and every class of bad input."""

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from contracts import (
    AdjustmentReason,
    CancellationReason,
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    ExemptionApplied,
    ExemptionReason,
    Payload,
    PaymentChannel,
    PaymentReceived,
    PaymentReversed,
    PersonReference,
    RelatedPerson,
    RelationRole,
    ReversalReason,
    SupplyStatus,
    WaterSupplyChanged,
)
from services.childcare_adapter.export_format import (
    COLUMNS,
    SOURCE_SYSTEM,
    ExportFormatError,
    claim_id,
    installment_of,
    parse_export,
    render_export,
)
from shared.ingest.records import Problem

SAMPLE = Path(__file__).parents[2] / "services" / "childcare_adapter" / "samples" / "childcare_export_sample.csv"
HEADER = ",".join(COLUMNS)
FIXED_NOW = datetime(2024, 7, 1, tzinfo=UTC)


def row(**values: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([values.get(column, "") for column in COLUMNS])
    return out.getvalue()


def assessment(**changes: str) -> str:
    values = {"区分": "調定", "保護者番号": "P1", "保護者氏名": "山﨑 太郎", "保護者カナ": "ﾔﾏｻｷ ﾀﾛｳ",
              "保護者生年月日": "昭和60年1月15日", "児童番号": "C1", "児童氏名": "山﨑 陽葵", "児童カナ": "ﾔﾏｻｷ ﾋﾏﾘ",
              "児童生年月日": "令和3年6月1日", "施設名": "みどり保育園", "費目": "保育料", "対象年月": "令和6年4月",
              "納期限": "令和6年4月30日", "金額": "23500", "処理日": "令和6年4月1日"}
    values.update(changes)
    return row(**values)


def reduction(**changes: str) -> str:
    values = {"区分": "減額", "保護者番号": "P1", "児童番号": "C1", "費目": "保育料", "対象年月": "2024-04",
              "金額": "5000", "処理日": "2024-04-15", "異動番号": "G1", "事由": "減額"}
    values.update(changes)
    return row(**values)


def export(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\r\n".join((header, *lines)).encode(encoding) + b"\r\n"


def parse(data: bytes, **options):  # type: ignore[no-untyped-def]
    return parse_export(data, file_name="test.csv", produced_at=lambda: FIXED_NOW, **options)


def payloads(data: bytes) -> list[Payload]:
    parsed = parse(data)
    assert parsed.rejected == [], parsed.rejected
    return [a.message.payload for a in parsed.accepted]


# ---- the sample and every record kind ---------------------------------------------------------------------------

def test_sample_file_gives_every_record_kind() -> None:
    parsed = parse(SAMPLE.read_bytes())
    assert parsed.rejected == []
    kinds = [a.message.message_type for a in parsed.accepted]
    assert kinds == ["ClaimAssessed"] * 4 + ["ClaimAdjusted", "PaymentReceived", "PaymentReceived",
                                              "PaymentReversed", "ClaimCancelled", "ExemptionApplied"]
    assert all(a.message.source_system == SOURCE_SYSTEM and a.message.department == "childcare"
               for a in parsed.accepted)
    assert {a.key for a in parsed.accepted} == {"childcare:P000101", "childcare:P000102", "childcare:P000103"}


def test_assessment_names_the_guardian_as_debtor_and_the_child_as_related_person() -> None:
    first = payloads(SAMPLE.read_bytes())[0]
    assert isinstance(first, ClaimAssessed)
    assert first.claim_id == "nursery_fee-2024-04-C000201"
    assert first.person.source_person_id == "P000101"
    assert first.person.name_kanji == "髙橋 一郎"
    assert first.person.name_kana == "タカハシ イチロウ"  # half-width kana folded to full width
    assert first.person.birth_date == date(1985, 4, 1)
    assert (first.receivable_type, first.legal_category) == ("nursery_fee", "forced_public")
    assert (first.fiscal_year, first.installment, first.amount) == (2024, 1, 23500)
    assert (first.due_date, first.assessed_on) == (date(2024, 4, 30), date(2024, 4, 1))
    assert (first.period_start, first.period_end) == (date(2024, 4, 1), date(2024, 4, 30))
    (child,) = first.related_persons
    assert child.role is RelationRole.CHILD
    assert child.person == PersonReference(source_person_id="C000201", name_kanji="髙橋 陽菜",
                                           name_kana="タカハシ ヒナ", birth_date=date(2021, 6, 15))


def test_school_lunch_fee_is_private_and_march_belongs_to_the_previous_fiscal_year() -> None:
    sample = payloads(SAMPLE.read_bytes())
    lunch, march = sample[1], sample[3]
    assert isinstance(lunch, ClaimAssessed) and isinstance(march, ClaimAssessed)
    assert (lunch.receivable_type, lunch.legal_category) == ("school_lunch_fee", "private")
    assert (march.fiscal_year, march.installment, march.amount) == (2024, 12, 12000)
    assert march.person.name_kana is None and march.related_persons[0].person.name_kana is None


def test_other_record_kinds_of_the_sample() -> None:
    _, _, _, _, adjusted, paid, unallocated, reversed_, cancelled, applied = payloads(SAMPLE.read_bytes())
    assert isinstance(adjusted, ClaimAdjusted)
    assert (adjusted.claim_id, adjusted.amount_delta, adjusted.reason) == (
        "nursery_fee-2025-03-C000204", -5000, AdjustmentReason.CORRECTION)
    assert isinstance(paid, PaymentReceived) and paid.claim_id == "nursery_fee-2024-04-C000201"
    assert paid.channel is PaymentChannel.ACCOUNT_TRANSFER and paid.paid_on == date(2024, 4, 26)
    assert isinstance(unallocated, PaymentReceived) and unallocated.claim_id is None
    assert isinstance(reversed_, PaymentReversed) and reversed_.payment_id == unallocated.payment_id
    assert reversed_.reason is ReversalReason.ENTRY_ERROR
    assert isinstance(cancelled, ClaimCancelled) and cancelled.claim_id == "school_lunch_fee-2024-04-C000202"
    assert cancelled.reason is CancellationReason.DUPLICATE
    assert isinstance(applied, ExemptionApplied) and applied.claim_id is None
    assert (applied.receivable_type, applied.reason) == ("nursery_fee", ExemptionReason.INCOME_DROP)


@pytest.mark.parametrize(
    ("month", "claim_month", "fiscal_year", "installment", "start", "end"),
    [
        ("2024-04", "2024-04", 2024, 1, date(2024, 4, 1), date(2024, 4, 30)),
        ("2024/12", "2024-12", 2024, 9, date(2024, 12, 1), date(2024, 12, 31)),
        ("2024年5月分", "2024-05", 2024, 2, date(2024, 5, 1), date(2024, 5, 31)),
        ("202501", "2025-01", 2024, 10, date(2025, 1, 1), date(2025, 1, 31)),
        ("令和6年2月", "2024-02", 2023, 11, date(2024, 2, 1), date(2024, 2, 29)),
        ("R6.3", "2024-03", 2023, 12, date(2024, 3, 1), date(2024, 3, 31)),
        ("R06/06", "2024-06", 2024, 3, date(2024, 6, 1), date(2024, 6, 30)),
        ("令和元年5月", "2019-05", 2019, 2, date(2019, 5, 1), date(2019, 5, 31)),
        ("H31.4", "2019-04", 2019, 1, date(2019, 4, 1), date(2019, 4, 30)),
        ("ｒ６．１１", "2024-11", 2024, 8, date(2024, 11, 1), date(2024, 11, 30)),
        ("２０２４－０７", "2024-07", 2024, 4, date(2024, 7, 1), date(2024, 7, 31)),
    ],
)
def test_target_month_gives_claim_id_fiscal_year_installment_and_period(
    month: str, claim_month: str, fiscal_year: int, installment: int, start: date, end: date
) -> None:
    (payload,) = payloads(export(assessment(対象年月=month)))
    assert isinstance(payload, ClaimAssessed)
    assert payload.claim_id == f"nursery_fee-{claim_month}-C1"
    assert (payload.fiscal_year, payload.installment) == (fiscal_year, installment)
    assert (payload.period_start, payload.period_end) == (start, end)


def test_installments_follow_the_fiscal_year() -> None:
    assert [installment_of(m) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)] == list(range(1, 13))


@pytest.mark.parametrize("text", ["2024-04-01", "2024/4/1", "20240401", "令和6年4月1日", "R06.04.01", "R6/4/1",
                                  "２０２４年４月１日"])
def test_dates_in_every_accepted_style(text: str) -> None:
    (payload,) = payloads(export(assessment(処理日=text)))
    assert isinstance(payload, ClaimAssessed) and payload.assessed_on == date(2024, 4, 1)


def test_reduction_amount_is_positive_in_the_file_and_negative_in_the_message() -> None:
    (payload,) = payloads(export(reduction(金額="1,500円", 事由="減免")))
    assert isinstance(payload, ClaimAdjusted)
    assert (payload.claim_id, payload.amount_delta) == ("nursery_fee-2024-04-C1", -1500)
    assert payload.reason is AdjustmentReason.EXEMPTION


def test_two_reductions_of_one_claim_are_two_messages() -> None:
    parsed = parse(export(reduction(異動番号="G1"), reduction(異動番号="G2")))
    first, second = (a.message.message_id for a in parsed.accepted)
    assert first != second


@pytest.mark.parametrize(
    ("changes", "claim", "receivable"),
    [
        ({}, None, "school_lunch_fee"),
        ({"児童番号": "C9", "対象年月": "R6.5"}, "school_lunch_fee-2024-05-C9", "school_lunch_fee"),
        ({"児童番号": "C9"}, None, "school_lunch_fee"),  # the child alone names no month, so no claim
    ],
)
def test_exemption_application_with_or_without_a_claim(changes: dict[str, str], claim: str | None,
                                                       receivable: str) -> None:
    line = row(区分="減免申請", 保護者番号="P1", 費目="給食費", 処理日="2024-06-03", 事由="生活保護", 申請番号="S1",
               **changes)
    (payload,) = payloads(export(line))
    assert isinstance(payload, ExemptionApplied)
    assert (payload.claim_id, payload.receivable_type) == (claim, receivable)
    assert payload.reason is ExemptionReason.PUBLIC_ASSISTANCE


def test_columns_in_any_order_and_unused_ones_left_out() -> None:
    columns = ["金額", "処理日", "児童番号", "区分", "費目", "対象年月", "納期限", "保護者カナ", "保護者番号"]
    line = "4500,R06.04.01,C2,調定,給食費,R6.4,R06.04.30,ｻｲﾄｳ ﾕﾐ,P7"
    (payload,) = payloads(export(line, header=",".join(columns)))
    assert isinstance(payload, ClaimAssessed)
    assert payload.claim_id == "school_lunch_fee-2024-04-C2" and payload.person.name_kana == "サイトウ ユミ"
    assert payload.related_persons[0].person == PersonReference(source_person_id="C2")


def test_byte_order_mark_is_optional_and_changes_no_message_id() -> None:
    data = SAMPLE.read_bytes()
    with_bom = parse(b"\xef\xbb\xbf" + data)
    assert with_bom.rejected == []
    assert [a.message.message_id for a in with_bom.accepted] == [a.message.message_id for a in parse(data).accepted]


def test_lf_line_endings_and_blank_lines() -> None:
    data = (HEADER + "\n\n" + assessment() + "\n\n" + assessment(児童番号="C2") + "\n").encode()
    parsed = parse(data)
    assert parsed.rejected == [] and [a.line for a in parsed.accepted] == [3, 5]


def test_category_override_from_the_city() -> None:
    data = export(assessment(), assessment(費目="給食費"))
    overridden = parse(data, category_overrides={"school_lunch_fee": "non_forced_public"})
    assert [a.message.payload.legal_category for a in overridden.accepted] == [  # type: ignore[attr-defined]
        "forced_public", "non_forced_public"]


def test_an_invalid_override_rejects_the_lines_of_that_fee() -> None:
    parsed = parse(export(assessment(), assessment(費目="給食費")), category_overrides={"school_lunch_fee": "x"})
    assert [a.line for a in parsed.accepted] == [2]
    assert parsed.rejected[0].line == 3 and parsed.rejected[0].problems[0].field == "費目"


# ---- message ids ---------------------------------------------------------------------------------------------

def test_reimport_gives_identical_message_ids() -> None:
    data = SAMPLE.read_bytes()
    first = [a.message.message_id for a in parse(data).accepted]
    again = [a.message.message_id for a in parse(data).accepted]
    assert first == again and len(set(first)) == len(first)


def test_message_ids_depend_on_source_keys_not_on_the_file() -> None:
    alone = parse(export(assessment())).accepted[0].message.message_id
    with_neighbour = parse(export(assessment(児童番号="C2"), assessment(対象年月="2024/4", 処理日="2024-04-01")))
    assert with_neighbour.accepted[1].message.message_id == alone


def test_claim_id_scheme() -> None:
    assert claim_id("nursery_fee", 2024, 4, "C-0001") == "nursery_fee-2024-04-C-0001"


# ---- round trip --------------------------------------------------------------------------------------------

GUARDIAN = PersonReference(source_person_id="P-0001", name_kanji="髙橋 﨑子", name_kana="タカハシ サキコ",
                           birth_date=date(1988, 2, 29), postal_code="471-8501", address="愛知県豊田市西町3丁目60番地",
                           phone="0565-31-1212")
GUARDIAN_2 = PersonReference(source_person_id="P0002", name_kanji="渡邊 齋", birth_date=date(1959, 3, 31))
CHILD = PersonReference(source_person_id="C-0001", name_kanji="髙橋 邊太", name_kana="タカハシ ヘンタ",
                        birth_date=date(2019, 4, 30))
NURSERY = claim_id("nursery_fee", 2025, 3, "C-0001")
LUNCH = claim_id("school_lunch_fee", 2019, 5, "C0002")
RECORDS: list[Payload] = [
    ClaimAssessed(claim_id=NURSERY, person=GUARDIAN, receivable_type="nursery_fee", legal_category="forced_public",
                  fiscal_year=2024, installment=12, due_date=date(2025, 3, 31), amount=23500,
                  assessed_on=date(2025, 3, 1), related_persons=(RelatedPerson(role=RelationRole.CHILD, person=CHILD),),
                  period_start=date(2025, 3, 1), period_end=date(2025, 3, 31)),
    ClaimAssessed(claim_id=LUNCH, person=GUARDIAN_2, receivable_type="school_lunch_fee", legal_category="private",
                  fiscal_year=2019, installment=2, due_date=date(2019, 5, 31), amount=4500,
                  assessed_on=date(2019, 5, 1),
                  related_persons=(RelatedPerson(role=RelationRole.CHILD,
                                                 person=PersonReference(source_person_id="C0002")),),
                  period_start=date(2019, 5, 1), period_end=date(2019, 5, 31)),
    ClaimAdjusted(claim_id=NURSERY, person=GUARDIAN, amount_delta=-5000, reason=AdjustmentReason.CORRECTION,
                  adjusted_on=date(2025, 3, 10)),
    ClaimAdjusted(claim_id=NURSERY, person=PersonReference(source_person_id="P-0001"), amount_delta=-1,
                  reason=AdjustmentReason.REDUCTION, adjusted_on=date(2025, 3, 11)),
    ClaimCancelled(claim_id=LUNCH, person=GUARDIAN_2, reason=CancellationReason.DECEASED,
                   cancelled_on=date(2019, 4, 30)),
    PaymentReceived(payment_id="N-1", person=GUARDIAN, claim_id=NURSERY, amount=18500, paid_on=date(2025, 3, 26),
                    channel=PaymentChannel.SMARTPHONE),
    PaymentReceived(payment_id="N-2", person=GUARDIAN_2, amount=4500, paid_on=date(2019, 5, 7),
                    channel=PaymentChannel.CARD),
    PaymentReversed(payment_id="N-1", person=GUARDIAN, reason=ReversalReason.ACCOUNT_TRANSFER_FAILED,
                    reversed_on=date(2025, 4, 2)),
    ExemptionApplied(application_id="S-1", person=GUARDIAN, receivable_type="nursery_fee", claim_id=NURSERY,
                     reason=ExemptionReason.DISASTER, applied_on=date(2025, 3, 15)),
    ExemptionApplied(application_id="S-2", person=GUARDIAN_2, receivable_type="school_lunch_fee",
                     reason=ExemptionReason.HARDSHIP, applied_on=date(2019, 6, 1)),
]


@pytest.mark.parametrize("options", [{}, {"era_dates": True}, {"bom": True}, {"era_dates": True, "bom": True}])
@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_render_then_parse_gives_the_same_payload(record: Payload, options: dict[str, bool]) -> None:
    assert payloads(render_export([record], **options)) == [record]


def test_round_trip_of_a_whole_export() -> None:
    assert payloads(render_export(RECORDS, era_dates=True)) == RECORDS
    sample = payloads(SAMPLE.read_bytes())
    assert payloads(render_export(sample)) == sample


def test_era_rendering_writes_era_months_and_dates() -> None:
    text = render_export(RECORDS[:2], era_dates=True).decode()
    assert "令和7年3月,令和7年3月31日" in text and "令和元年5月,令和元年5月31日" in text
    assert "平成31年4月30日" in text  # the child's birth date, before 令和


def test_half_width_kana_is_folded_and_then_round_trips() -> None:
    (parsed,) = payloads(export(assessment(保護者カナ="ｻｲﾄｳ ﾀﾛｳ", 児童カナ="ｻｲﾄｳ ﾊﾅ", 保護者氏名="齋藤 太郎")))
    assert isinstance(parsed, ClaimAssessed) and parsed.person.name_kana == "サイトウ タロウ"
    assert parsed.related_persons[0].person.name_kana == "サイトウ ハナ"
    assert payloads(render_export([parsed], era_dates=True)) == [parsed]


def test_render_refuses_what_the_format_cannot_hold() -> None:
    increase = ClaimAdjusted(claim_id=NURSERY, person=GUARDIAN, amount_delta=100,
                             reason=AdjustmentReason.CORRECTION, adjusted_on=date(2025, 3, 10))
    with pytest.raises(ValueError, match="negative"):
        render_export([increase])
    with pytest.raises(TypeError, match="WaterSupplyChanged"):
        render_export([WaterSupplyChanged(contract_id="W1", person=GUARDIAN, status=SupplyStatus.SUSPENDED,
                                          effective_on=date(2024, 1, 1))])


# ---- bad input --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (assessment(保護者生年月日="令和6年2月30日"), "保護者生年月日", "no such calendar date"),
        (assessment(児童生年月日="2021-13-01"), "児童生年月日", "no such calendar date"),
        (assessment(納期限="平成45年1月1日"), "納期限", "平成 has no year 45"),
        (assessment(納期限="R100.1.1"), "納期限", "not a recognised date"),
        (assessment(納期限=""), "納期限", "is required for 調定"),
        (assessment(処理日="昨日"), "処理日", "not a recognised date"),
        (assessment(対象年月="R6.13"), "対象年月", "no such month"),
        (assessment(対象年月="平成32年1月"), "対象年月", "平成 has no year 32"),
        (assessment(対象年月="令和元年4月"), "対象年月", "令和 began on 2019-05-01"),
        (assessment(対象年月="4月"), "対象年月", "not a recognised month"),
        (assessment(対象年月="平成元年2月"), "対象年月", "greater than or equal to 1989"),
        (assessment(対象年月=""), "対象年月", "is required for 調定"),
        (assessment(金額="-500"), "金額", "must be a positive amount"),
        (assessment(金額="0"), "金額", "must be a positive amount"),
        (assessment(金額="1200.5"), "金額", "whole yen"),
        (assessment(金額="千円"), "金額", "is not an amount in yen"),
        (assessment(金額=""), "金額", "is required for 調定"),
        (assessment(費目="延長保育料"), "費目", "unknown value"),
        (assessment(区分="差押"), "区分", "unknown value"),
        (assessment(区分=""), "区分", "is required"),
        (assessment(児童番号=""), "児童番号", "is required for 調定"),
        (assessment(児童氏名="髙" * 101), "児童氏名", "at most 100"),
        (assessment(保護者氏名="", 保護者カナ=""), "保護者氏名", "required for 調定"),
        (assessment(保護者番号=""), "保護者番号", "is required for 調定"),
        (reduction(金額="0"), "金額", "must not be 0"),
        (reduction(金額="-5000"), "金額", "reduction as a positive amount"),
        (reduction(金額="12.5"), "金額", "whole yen"),
        (reduction(異動番号=""), "異動番号", "is required for 減額"),
        (reduction(事由="値上げ"), "事由", "unknown value"),
        (row(区分="取消", 保護者番号="P1", 児童番号="C1", 費目="保育料", 対象年月="2024-04", 処理日="2024-05-01"),
         "事由", "is required for 取消"),
        (row(区分="収納", 保護者番号="P1", 金額="100", 処理日="2024-05-01", 収納番号="N1", 収納方法="現金書留"),
         "収納方法", "unknown value"),
        (row(区分="収納", 保護者番号="P1", 金額="100", 処理日="2024-05-01", 収納番号="N1", 収納方法="窓口",
             対象年月="2024-04", 費目="保育料"), "児童番号", "is required for 収納"),
        (row(区分="収納", 保護者番号="P1", 金額="abc", 処理日="2024-05-01", 収納番号="N1", 収納方法="窓口"),
         "金額", "is not an amount in yen"),
        (row(区分="収納取消", 保護者番号="P1", 処理日="2024-05-01", 収納番号="N1"), "事由", "is required"),
        (row(区分="減免申請", 保護者番号="P1", 処理日="2024-05-01", 申請番号="S1", 事由="災害"), "費目", "is required"),
    ],
)
def test_bad_lines_are_rejected_with_line_field_and_reason(line: str, field: str, reason: str) -> None:
    parsed = parse(export(assessment(児童番号="GOOD1"), line, assessment(児童番号="GOOD2")))
    assert [a.line for a in parsed.accepted] == [2, 4], "the valid lines around it still go through"
    (rejection,) = parsed.rejected
    assert rejection.line == 3 and rejection.raw == line
    assert any(p.field == field and reason in p.reason for p in rejection.problems), rejection.problems


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("調定,P1,山田", "has 3 fields, the header has 24"),
        (assessment() + ",extra", "has 25 fields, the header has 24"),
    ],
)
def test_broken_lines_are_rejected_alone(line: str, reason: str) -> None:
    parsed = parse(export(assessment(児童番号="A"), line, assessment(児童番号="B")))
    assert [a.line for a in parsed.accepted] == [2, 4]
    assert parsed.rejected[0].line == 3 and parsed.rejected[0].problems == (Problem("(line)", reason),)


@pytest.mark.parametrize(("character", "reason"), [("\x00", "holds a control character (U+0000)"),
                                                  ("\x1b", "holds a control character (U+001B)")])
def test_a_control_character_is_rejected_naming_its_field(character: str, reason: str) -> None:
    line = assessment().replace("山﨑 太郎", f"山﨑{character}太郎")
    parsed = parse(export(assessment(児童番号="A"), line, assessment(児童番号="B")))
    assert [a.line for a in parsed.accepted] == [2, 4]
    assert parsed.rejected[0].line == 3 and parsed.rejected[0].problems == (Problem("保護者氏名", reason),)


def test_every_problem_of_a_line_is_reported_at_once() -> None:
    parsed = parse(export(assessment(児童生年月日="R06.02.30", 金額="-1", 費目="犬", 対象年月="R6.13")))
    fields = {p.field for p in parsed.rejected[0].problems}
    assert {"児童生年月日", "金額", "費目", "対象年月"} <= fields


def test_rejection_reasons_never_contain_the_values() -> None:
    lines = [assessment(保護者氏名="髙橋 次郎", 保護者生年月日="髙橋", 金額="0565-31-1212", 対象年月="齋藤"),
             assessment(児童氏名="渡邊" * 60, 児童生年月日="渡邊", 費目="渡邊"),
             reduction(金額="-4711", 事由="齋藤"), row(区分="齋藤", 保護者番号="P1"),
             row(区分="収納", 保護者番号="P1", 金額="髙", 処理日="2024-05-01", 収納番号="N1", 収納方法="齋藤")]
    parsed = parse(export(*lines))
    assert len(parsed.rejected) == len(lines)
    text = " ".join(f"{p.field} {p.reason}" for r in parsed.rejected for p in r.problems)
    for value in ("髙橋", "0565", "齋藤", "渡邊", "4711"):
        assert value not in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (export(assessment(), encoding="cp932"), "not valid UTF-8 .*Shift_JIS"),
        (export(assessment()) + assessment(児童番号="C2").encode("cp932") + b"\r\n",
         "not valid UTF-8 \\(first bad byte on line 3\\)"),
        (b"\xff\xfe" + export(assessment()).decode().encode("utf-16-le"), "not valid UTF-8"),
        ("保護者番号,保護者氏名\r\n1,山田\r\n".encode(), "missing columns: 区分, 処理日"),
        ((HEADER + ",備考\r\n").encode(), "unknown columns: 備考"),
        ((HEADER + ",金額\r\n").encode(), "repeated columns: 金額"),
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "empty"),
    ],
)
def test_unreadable_files_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(ExportFormatError, match=message):
        parse(data)


def test_full_width_digits_and_currency_in_amounts() -> None:
    (payload,) = payloads(export(assessment(金額="￥２３，５００")))
    assert isinstance(payload, ClaimAssessed) and payload.amount == 23500
