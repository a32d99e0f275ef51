"""The housing event export (JSON): every event type, Japanese text as it really comes, every class of bad input."""

import copy
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from contracts import (
    AdjustmentReason,
    CancellationReason,
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    InstallmentAgreed,
    LegalCategory,
    PaymentChannel,
    PaymentReceived,
    PaymentReversed,
    PersonReference,
    RelatedPerson,
    RelationRole,
    ReversalReason,
    ScheduledInstallment,
    SupplyStatus,
    WaterSupplyChanged,
)
from services.housing_adapter.export_format import (
    ExportFormatError,
    claim_id,
    fiscal_month,
    parse_export,
    render_export,
    split_claim_id,
)

SAMPLE = Path(__file__).parents[2] / "services" / "housing_adapter" / "samples" / "housing_events_sample.json"
FIXED_NOW = datetime(2024, 7, 1, tzinfo=UTC)
DELETE = object()

ASSESSED = {
    "type": "rent_assessed",
    "tenancy": {"contract_no": "C1", "estate": "市営西町住宅", "room": "305"},
    "tenant": {"id": "T1", "name": "山﨑 太郎", "kana": "ﾔﾏｻｷ ﾀﾛｳ", "birth_date": "昭和60年1月15日",
               "phone": "0565-31-1212"},
    "guarantors": [{"id": "G1", "name": "齋藤 一", "kana": "サイトウ ハジメ", "birth_date": "1950-03-03"}],
    "month": "2024-04", "due_date": "2024-04-30", "amount": 52000, "assessed_on": "2024-04-01",
}
ADJUSTED = {"type": "rent_adjusted", "tenancy": {"contract_no": "C1"}, "tenant": {"id": "T1"}, "month": "2024-04",
            "adjustment_no": "A1", "amount": -2000, "reason": "減額", "adjusted_on": "2024-05-01"}
CANCELLED = {"type": "rent_cancelled", "tenancy": {"contract_no": "C1"}, "tenant": {"id": "T1"},
             "month": "2024-04", "reason": "退去", "cancelled_on": "2024-05-01"}
RECEIVED = {"type": "payment_received", "tenancy": {"contract_no": "C1"}, "tenant": {"id": "T1"},
            "month": "2024-04", "receipt_no": "R1", "amount": 52000, "channel": "コンビニ", "paid_on": "2024-04-28"}
REVERSED = {"type": "payment_reversed", "tenant": {"id": "T1"}, "receipt_no": "R1", "reason": "誤入金",
            "reversed_on": "2024-05-02"}
AGREED = {"type": "installment_agreed", "tenancy": {"contract_no": "C1"}, "tenant": {"id": "T1"},
          "agreement_no": "B1", "months": ["2024-04", "2024-05"],
          "schedule": [{"due_date": "2024-06-30", "amount": 60000}, {"due_date": "2024-07-31", "amount": 44000}],
          "agreed_on": "2024-06-01"}


def changed(event: dict, changes: dict) -> dict:  # type: ignore[type-arg]
    """A copy of ``event`` with JSON paths (``tenant.name``, ``guarantors[0].id``) set, or deleted with DELETE."""
    result = copy.deepcopy(event)
    for path, value in changes.items():
        *parents, last = re.findall(r"[^.\[\]]+", path)
        target = result
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        key = int(last) if last.isdigit() else last
        if value is DELETE:
            del target[key]
        else:
            target[key] = value
    return result


def document(*events: object, **head: object) -> bytes:
    doc = {"format": "housing-events", "version": 1, **head, "events": list(events)}
    # backslashreplace: a lone surrogate in a test value becomes the JSON escape \ud800
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "backslashreplace")


def parse(data: bytes, **options):  # type: ignore[no-untyped-def]
    return parse_export(data, file_name="test.json", produced_at=lambda: FIXED_NOW, **options)


def payloads(data: bytes) -> list:  # type: ignore[type-arg]
    parsed = parse(data)
    assert parsed.rejected == [], parsed.rejected
    return [a.message.payload for a in parsed.accepted]


# ---- every event type ---------------------------------------------------------------------------------------

def test_sample_file_gives_every_event_type() -> None:
    parsed = parse(SAMPLE.read_bytes())
    assert parsed.rejected == []
    kinds = [a.message.message_type for a in parsed.accepted]
    assert kinds == ["ClaimAssessed"] * 3 + ["PaymentReceived"] * 2 + [
        "PaymentReversed", "ClaimAdjusted", "ClaimCancelled", "InstallmentAgreed"]
    first = parsed.accepted[0].message.payload
    assert isinstance(first, ClaimAssessed)
    assert first.person.name_kanji == "髙橋 一郎" and first.person.name_kana == "タカハシ イチロウ"
    assert first.person.birth_date == date(1975, 4, 1)
    assert first.related_persons[0].role == RelationRole.GUARANTOR
    assert first.related_persons[0].person.name_kanji == "山﨑 花子"
    second = parsed.accepted[1].message.payload
    assert (second.claim_id, second.installment, second.due_date) == ("C2019-0042-202405", 2, date(2024, 5, 31))
    third = parsed.accepted[2].message.payload
    assert third.person.name_kanji == "渡邊 齋" and len(third.related_persons) == 2
    assert (third.period_start, third.period_end) == (date(2024, 4, 16), date(2024, 4, 30))
    assert {a.key for a in parsed.accepted} == {"housing:T0000123", "housing:T0000789"}


def test_rent_assessed() -> None:
    (payload,) = payloads(document(ASSESSED))
    assert payload == ClaimAssessed(
        claim_id="C1-202404",
        person=PersonReference(source_person_id="T1", name_kanji="山﨑 太郎", name_kana="ヤマサキ タロウ",
                               birth_date=date(1985, 1, 15), phone="0565-31-1212"),
        receivable_type="municipal_housing_rent", legal_category=LegalCategory.PRIVATE, fiscal_year=2024,
        installment=1, due_date=date(2024, 4, 30), amount=52000, assessed_on=date(2024, 4, 1),
        related_persons=(RelatedPerson(role=RelationRole.GUARANTOR, person=PersonReference(
            source_person_id="G1", name_kanji="齋藤 一", name_kana="サイトウ ハジメ", birth_date=date(1950, 3, 3))),),
        period_start=date(2024, 4, 1), period_end=date(2024, 4, 30),
    )


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (ADJUSTED, ClaimAdjusted(claim_id="C1-202404", person=PersonReference(source_person_id="T1"),
                                 amount_delta=-2000, reason=AdjustmentReason.REDUCTION, adjusted_on=date(2024, 5, 1))),
        (CANCELLED, ClaimCancelled(claim_id="C1-202404", person=PersonReference(source_person_id="T1"),
                                   reason=CancellationReason.MOVED_OUT, cancelled_on=date(2024, 5, 1))),
        (RECEIVED, PaymentReceived(payment_id="R1", person=PersonReference(source_person_id="T1"),
                                   claim_id="C1-202404", amount=52000, paid_on=date(2024, 4, 28),
                                   channel=PaymentChannel.CONVENIENCE_STORE)),
        (changed(RECEIVED, {"month": DELETE, "tenancy": DELETE}),
         PaymentReceived(payment_id="R1", person=PersonReference(source_person_id="T1"), claim_id=None,
                         amount=52000, paid_on=date(2024, 4, 28), channel=PaymentChannel.CONVENIENCE_STORE)),
        (REVERSED, PaymentReversed(payment_id="R1", person=PersonReference(source_person_id="T1"),
                                   reason=ReversalReason.ENTRY_ERROR, reversed_on=date(2024, 5, 2))),
        (AGREED, InstallmentAgreed(
            agreement_id="B1", person=PersonReference(source_person_id="T1"), claim_ids=("C1-202404", "C1-202405"),
            schedule=(ScheduledInstallment(due_date=date(2024, 6, 30), amount=60000),
                      ScheduledInstallment(due_date=date(2024, 7, 31), amount=44000)),
            agreed_on=date(2024, 6, 1))),
    ],
    ids=["adjusted", "cancelled", "received", "received-unallocated", "reversed", "installment"],
)
def test_each_event_type_gives_its_payload(event: dict, expected: object) -> None:  # type: ignore[type-arg]
    assert payloads(document(event)) == [expected]


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"month": "令和6年4月"}, "claim_id", "C1-202404"),
        ({"month": "2024/4"}, "claim_id", "C1-202404"),
        ({"month": "２０２４－０４"}, "claim_id", "C1-202404"),  # full-width digits are folded
        ({"month": "2025-03"}, "fiscal_year", 2024),  # March belongs to the fiscal year that began in April
        ({"month": "2025-03", "due_date": "2025-03-31"}, "installment", 12),
        ({"amount": "52,000円"}, "amount", 52000),
        ({"amount": "５２０００"}, "amount", 52000),
        ({"due_date": "R06.04.30"}, "due_date", date(2024, 4, 30)),
        ({"tenant.birth_date": "H1.1.8"}, "person", PersonReference(
            source_person_id="T1", name_kanji="山﨑 太郎", name_kana="ヤマサキ タロウ", birth_date=date(1989, 1, 8),
            phone="0565-31-1212")),
        ({"tenant.id": 4711}, "person", PersonReference(  # numeric ids are read as text
            source_person_id="4711", name_kanji="山﨑 太郎", name_kana="ヤマサキ タロウ", birth_date=date(1985, 1, 15),
            phone="0565-31-1212")),
        ({"period": {"end": "2024-04-20"}}, "period_end", date(2024, 4, 20)),
        ({"guarantors": []}, "related_persons", ()),
        ({"guarantors": DELETE}, "related_persons", ()),
        ({"tenant.name": DELETE}, "person", PersonReference(
            source_person_id="T1", name_kana="ヤマサキ タロウ", birth_date=date(1985, 1, 15), phone="0565-31-1212")),
    ],
)
def test_assessment_field_variants(changes: dict, field: str, expected: object) -> None:  # type: ignore[type-arg]
    (payload,) = payloads(document(changed(ASSESSED, changes)))
    assert getattr(payload, field) == expected


@pytest.mark.parametrize(
    ("contract_no", "year", "month", "expected"),
    [("C1", 2024, 4, "C1-202404"), ("C2019-0042", 2025, 3, "C2019-0042-202503"), ("住-12", 1999, 12, "住-12-199912")],
)
def test_claim_id_and_its_inverse(contract_no: str, year: int, month: int, expected: str) -> None:
    assert claim_id(contract_no, year, month) == expected
    assert split_claim_id(expected) == (contract_no, year, month)


@pytest.mark.parametrize(("year", "month", "expected"), [(2024, 4, (2024, 1)), (2024, 12, (2024, 9)),
                                                          (2025, 1, (2024, 10)), (2025, 3, (2024, 12))])
def test_fiscal_month(year: int, month: int, expected: tuple[int, int]) -> None:
    assert fiscal_month(year, month) == expected


# ---- round trip ---------------------------------------------------------------------------------------------

TENANT = PersonReference(source_person_id="T0009", name_kanji="髙﨑 邊齋", name_kana="タカサキ ヘンサイ",
                         birth_date=date(1989, 1, 7), postal_code="471-0025", address="豊田市西町1-1 市営住宅3-201",
                         phone="0565-00-0000")
GUARANTOR = PersonReference(source_person_id="G0009", name_kanji="渡邊 﨑子", name_kana="ワタナベ サキコ",
                            birth_date=date(2019, 5, 1))
EVERY_KIND = [
    ClaimAssessed(claim_id="C2019-0042-202404", person=TENANT, receivable_type="municipal_housing_rent",
                  legal_category=LegalCategory.PRIVATE, fiscal_year=2024, installment=1, due_date=date(2024, 4, 30),
                  amount=52000, assessed_on=date(2024, 4, 1),
                  related_persons=(RelatedPerson(role=RelationRole.GUARANTOR, person=GUARANTOR),
                                   RelatedPerson(role=RelationRole.GUARANTOR,
                                                 person=PersonReference(source_person_id="G2", name_kana="サイトウ"))),
                  period_start=date(2024, 4, 1), period_end=date(2024, 4, 30)),
    ClaimAssessed(claim_id="C7-202502", person=TENANT, receivable_type="municipal_housing_rent",
                  legal_category=LegalCategory.PRIVATE, fiscal_year=2024, installment=11, due_date=date(2025, 2, 28),
                  amount=8100, assessed_on=date(2025, 2, 10), period_start=date(2025, 2, 10),
                  period_end=date(2025, 2, 27)),
    ClaimAdjusted(claim_id="C2019-0042-202404", person=TENANT, amount_delta=1500,
                  reason=AdjustmentReason.CORRECTION, adjusted_on=date(2024, 5, 1)),
    ClaimCancelled(claim_id="C7-202502", person=TENANT, reason=CancellationReason.DECEASED,
                   cancelled_on=date(2025, 3, 1)),
    PaymentReceived(payment_id="R-1", person=TENANT, claim_id="C2019-0042-202404", amount=53500,
                    paid_on=date(2024, 5, 31), channel=PaymentChannel.SMARTPHONE),
    PaymentReceived(payment_id="R-2", person=PersonReference(source_person_id="T0009"), amount=1,
                    paid_on=date(2024, 6, 1), channel=PaymentChannel.BANK),
    PaymentReversed(payment_id="R-2", person=TENANT, reason=ReversalReason.DISHONOURED, reversed_on=date(2024, 6, 3)),
    InstallmentAgreed(agreement_id="B-9", person=TENANT, claim_ids=("C2019-0042-202404", "C2019-0042-202405"),
                      schedule=(ScheduledInstallment(due_date=date(2024, 7, 31), amount=50000),
                                ScheduledInstallment(due_date=date(2024, 8, 31), amount=3500)),
                      agreed_on=date(2024, 7, 1)),
]


@pytest.mark.parametrize(
    "options",
    [{}, {"era_dates": True}, {"indent": 2},
     {"exported_at": FIXED_NOW, "tenancies": {"C7": {"estate": "東山住宅", "room": "101"}}}],
    ids=["iso", "era", "indented", "with-names"],
)
def test_round_trip_every_kind(options: dict) -> None:  # type: ignore[type-arg]
    assert payloads(render_export(EVERY_KIND, **options)) == EVERY_KIND


def test_era_rendering_writes_wareki() -> None:
    text = render_export(EVERY_KIND, era_dates=True).decode("utf-8")
    assert "昭和64年1月7日" in text and "令和元年5月1日" in text and '"month": "令和6年4月"' in text


def test_half_width_kana_is_folded_on_the_way_back() -> None:
    half = TENANT.model_copy(update={"name_kana": "ﾀｶｻｷ ﾍﾝｻｲ"})
    record = EVERY_KIND[0].model_copy(update={"person": half})
    assert "ﾀｶｻｷ".encode() in render_export([record])
    assert payloads(render_export([record])) == [EVERY_KIND[0]]


def test_sample_round_trips() -> None:
    records = payloads(SAMPLE.read_bytes())
    assert payloads(render_export(records)) == records


def test_render_is_deterministic_utf8_json() -> None:
    data = render_export(EVERY_KIND)
    assert data == render_export(EVERY_KIND)
    assert "髙﨑 邊齋".encode() in data  # ensure_ascii=False
    parsed = json.loads(data)
    assert (parsed["format"], parsed["version"], len(parsed["events"])) == ("housing-events", 1, len(EVERY_KIND))
    assert parsed["events"][4]["amount"] == 53500 and isinstance(parsed["events"][4]["amount"], int)


@pytest.mark.parametrize(
    ("record", "error"),
    [
        (WaterSupplyChanged(contract_id="W1", person=TENANT, status=SupplyStatus.SUSPENDED,
                            effective_on=date(2024, 4, 1)), TypeError),
        (EVERY_KIND[0].model_copy(update={"related_persons": (RelatedPerson(role=RelationRole.CHILD,
                                                                              person=GUARANTOR),)}), ValueError),
        (EVERY_KIND[-1].model_copy(update={"claim_ids": ("C1-202404", "C2-202404")}), ValueError),
    ],
)
def test_render_refuses_what_the_format_cannot_hold(record: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        render_export([record])  # type: ignore[list-item]


# ---- bad events ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("event", "field", "reason"),
    [
        # missing fields ("short records")
        ({}, "type", "is required"),
        (changed(ASSESSED, {"due_date": DELETE}), "due_date", "is required for rent_assessed"),
        (changed(ASSESSED, {"tenant": DELETE}), "tenant.id", "is required"),
        (changed(ASSESSED, {"tenancy.contract_no": ""}), "tenancy.contract_no", "is required"),
        (changed(ASSESSED, {"tenant.name": DELETE, "tenant.kana": None}), "tenant.name", "tenant.kana is required"),
        (changed(ASSESSED, {"guarantors[0].id": DELETE}), "guarantors[0].id", "is required"),
        (changed(ASSESSED, {"guarantors[0].name": DELETE, "guarantors[0].kana": DELETE}), "guarantors[0].name",
         "required for a guarantor"),
        (changed(RECEIVED, {"tenancy": DELETE}), "tenancy.contract_no", "is required"),
        (changed(REVERSED, {"reason": DELETE}), "reason", "is required"),
        (changed(ADJUSTED, {"adjustment_no": DELETE}), "adjustment_no", "is required"),
        (changed(AGREED, {"months": []}), "months", "at least one month"),
        (changed(AGREED, {"schedule": DELETE}), "schedule", "is required for installment_agreed"),
        (changed(AGREED, {"schedule": []}), "schedule", "at least one installment"),
        (changed(AGREED, {"months": DELETE}), "months", "is required for installment_agreed"),
        (changed(AGREED, {"schedule": "monthly"}), "schedule", "must be a JSON array"),
        (changed(ASSESSED, {"tenancy.room": {"number": 305}}), "tenancy.room", "must be a JSON string"),
        # impossible dates, era years out of range, bad months
        (changed(ASSESSED, {"tenant.birth_date": "令和6年2月30日"}), "tenant.birth_date", "no such calendar date"),
        (changed(ASSESSED, {"guarantors[0].birth_date": "2023-02-29"}), "guarantors[0].birth_date", "no such"),
        (changed(ASSESSED, {"due_date": "平成45年1月1日"}), "due_date", "平成 has no year 45"),
        (changed(ASSESSED, {"assessed_on": "令和元年4月1日"}), "assessed_on", "令和 began on 2019-05-01"),
        (changed(ASSESSED, {"due_date": "next month"}), "due_date", "not a recognised date"),
        (changed(ASSESSED, {"month": "2024-13"}), "month", "no such month"),
        (changed(ASSESSED, {"month": "平成45年4月"}), "month", "平成 has no year 45"),
        (changed(ASSESSED, {"month": "April"}), "month", "not a recognised month"),
        (changed(ASSESSED, {"month": "1980-04"}), "month", "from 1989 to 2200"),
        (changed(ASSESSED, {"period": {"start": "2024-05-01"}}), "period.start", "outside the billed month"),
        (changed(ASSESSED, {"period": {"start": "2024-04-20", "end": "2024-04-10"}}), "period.end", "before"),
        (changed(AGREED, {"months": ["2024-04", "2024-04"]}), "months[1]", "listed twice"),
        (changed(AGREED, {"schedule[1].due_date": "2024-05-31"}), "schedule", "due-date order"),
        # amounts
        (changed(ASSESSED, {"amount": -500}), "amount", "must be a positive amount"),
        (changed(ASSESSED, {"amount": 0}), "amount", "must be a positive amount"),
        (changed(ASSESSED, {"amount": 52000.0}), "amount", "whole yen"),
        (changed(ASSESSED, {"amount": 52000.5}), "amount", "whole yen"),
        (changed(ASSESSED, {"amount": "52000.5"}), "amount", "whole yen"),
        (changed(ASSESSED, {"amount": "五万二千円"}), "amount", "is not an amount in yen"),
        (changed(ASSESSED, {"amount": True}), "amount", "is not an amount in yen"),
        (changed(ASSESSED, {"amount": {"yen": 52000}}), "amount", "is not an amount in yen"),
        (changed(ASSESSED, {"amount": 10**11}), "amount", "larger than"),
        (changed(ADJUSTED, {"amount": 0}), "amount", "must not be 0"),
        (changed(AGREED, {"schedule[1].amount": -1}), "schedule[1].amount", "positive"),
        (changed(RECEIVED, {"amount": None}), "amount", "is required"),
        # unknown codes and fields
        (changed(ASSESSED, {"type": "rent_waived"}), "type", "unknown value"),
        (changed(RECEIVED, {"channel": "現金書留"}), "channel", "unknown value"),
        (changed(REVERSED, {"reason": "不明"}), "reason", "unknown value"),
        (changed(ADJUSTED, {"reason": "値上げ"}), "reason", "unknown value"),
        (changed(CANCELLED, {"reason": "転居"}), "reason", "unknown value"),
        (changed(ASSESSED, {"amout": 52000}), "amout", "unknown field"),
        (changed(ASSESSED, {"tenant.birthday": "1980-01-01"}), "tenant.birthday", "unknown field"),
        # wrong JSON types
        (changed(ASSESSED, {"tenant": "T1"}), "tenant", "must be a JSON object"),
        (changed(ASSESSED, {"guarantors": {"id": "G1"}}), "guarantors", "must be a JSON array"),
        (changed(ASSESSED, {"guarantors": ["G1"]}), "guarantors[0]", "must be a JSON object"),
        (changed(ASSESSED, {"tenant.name": ["山﨑"]}), "tenant.name", "must be a JSON string"),
        (changed(ASSESSED, {"due_date": 1.5}), "due_date", "must be a JSON string"),
        # lengths the canonical payload refuses, named by the JSON field
        (changed(RECEIVED, {"receipt_no": "R" * 81}), "receipt_no", "at most 80 characters"),
        (changed(ASSESSED, {"tenant.phone": "0" * 31}), "tenant.phone", "at most 30 characters"),
        (changed(ASSESSED, {"guarantors[0].kana": "ア" * 201}), "guarantors[0].kana", "at most 200 characters"),
        # not an event at all
        ("rent_assessed", "(event)", "must be a JSON object"),
        (None, "(event)", "must be a JSON object"),
        ([ASSESSED], "(event)", "must be a JSON object"),
        (changed(ASSESSED, {"tenant.name": "\ud800"}), "(event)", "lone surrogate"),
    ],
)
def test_bad_events_are_rejected_with_number_field_and_reason(event: object, field: str, reason: str) -> None:
    parsed = parse(document(changed(ASSESSED, {"tenancy.contract_no": "GOOD"}), event, RECEIVED))
    assert [a.line for a in parsed.accepted] == [1, 3], "the valid events around it still go through"
    (rejection,) = parsed.rejected
    assert rejection.line == 2
    assert any(p.field == field and reason in p.reason for p in rejection.problems), rejection.problems
    json.loads(rejection.raw)  # the raw event is kept as JSON for the quarantine topic


def test_every_problem_of_an_event_is_reported_at_once() -> None:
    bad = changed(ASSESSED, {"tenant.birth_date": "R06.02.30", "amount": -1, "month": "2024-00",
                             "guarantors[0].name": 7.5, "colour": "blue"})
    fields = {p.field for p in parse(document(bad)).rejected[0].problems}
    assert {"tenant.birth_date", "amount", "month", "guarantors[0].name", "colour"} <= fields


def test_rejection_reasons_never_contain_the_values() -> None:
    bad = [changed(ASSESSED, {"tenant.birth_date": "髙橋", "amount": "0565-31-1212", "guarantors[0].name": ["齋藤"],
                              "month": "渡邊"}),
           changed(RECEIVED, {"channel": "髙橋銀行", "receipt_no": "髙" * 90}),
           changed(ASSESSED, {"tenant.address": "豊田市" * 200, "tenant.name": "\ud800髙橋"})]
    parsed = parse(document(*bad))
    assert len(parsed.rejected) == 3
    text = " ".join(f"{p.field} {p.reason}" for r in parsed.rejected for p in r.problems)
    for value in ("髙", "齋藤", "渡邊", "0565", "豊田市"):
        assert value not in text


# ---- whole documents ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (document(ASSESSED).decode("utf-8").encode("cp932"), "not UTF-8"),
        (b'{"format": "housing-events", "version": 1, "events": [{"type": "\xff\xfe"}]}', "not UTF-8"),
        (document(ASSESSED)[:-10], "not valid JSON"),
        (b"type,tenant\r\nrent_assessed,T1\r\n", "not valid JSON"),
        (b'{"format": "housing-events", "version": 1, "events": [{"amount": NaN}]}', "not valid JSON"),
        (json.dumps([ASSESSED]).encode(), "must be a JSON object"),
        (b'{"format": "housing-events", "version": 1}', 'no "events" array'),
        (b'{"format": "housing-events", "version": 1, "events": {"type": "rent_assessed"}}', "must be a JSON array"),
        (b'{"version": 1, "events": []}', '"format" must be "housing-events"'),
        (b'{"format": "water-events", "version": 1, "events": []}', '"format" must be "housing-events"'),
        (b'{"format": "housing-events", "version": 2, "events": []}', 'unsupported "version"'),
        (b'{"format": "housing-events", "version": "1", "events": []}', 'unsupported "version"'),
        (b'{"format": "housing-events", "version": true, "events": []}', 'unsupported "version"'),
        (b'{"format": "housing-events", "events": []}', 'unsupported "version"'),
        (document(ASSESSED, exported_at="yesterday"), '"exported_at" must be an ISO 8601'),
        (document(ASSESSED, operator="指定管理者"), "unknown top-level fields: operator"),
    ],
)
def test_unreadable_documents_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(ExportFormatError, match=re.escape(message)):
        parse(data)


def test_byte_order_mark_and_empty_event_list_are_accepted() -> None:
    assert len(parse(b"\xef\xbb\xbf" + document(ASSESSED, exported_at="2024-07-01T06:00:00+09:00")).accepted) == 1
    parsed = parse(document())
    assert parsed.accepted == [] and parsed.rejected == []


# ---- identity and settings ----------------------------------------------------------------------------------

def test_reimport_gives_identical_message_ids() -> None:
    data = SAMPLE.read_bytes()
    first = [a.message.message_id for a in parse(data).accepted]
    again = [a.message.message_id for a in parse(data).accepted]
    assert first == again and len(set(first)) == len(first)
    assert parse(data).import_key == parse(data).import_key


def test_message_ids_depend_on_source_keys_not_on_position_or_file() -> None:
    alone = parse(document(ASSESSED)).accepted[0].message.message_id
    moved = parse(document(changed(ASSESSED, {"month": "2024-05"}), ASSESSED)).accepted[1].message.message_id
    other_id = parse(document(changed(ASSESSED, {"tenancy.contract_no": "C2"}))).accepted[0].message.message_id
    assert alone == moved != other_id
    receipts = [a.message.message_id for a in parse(document(RECEIVED, REVERSED)).accepted]
    assert receipts[0] != receipts[1], "a payment and its reversal share the receipt number, not the id"


def test_category_override_from_the_city() -> None:
    data = document(ASSESSED)
    assert parse(data).accepted[0].message.payload.legal_category == "private"  # type: ignore[attr-defined]
    overridden = parse(data, category_overrides={"municipal_housing_rent": "non_forced_public"})
    assert overridden.accepted[0].message.payload.legal_category == "non_forced_public"  # type: ignore[attr-defined]
    with pytest.raises(ExportFormatError, match="category override"):
        parse(data, category_overrides={"municipal_housing_rent": "maybe"})


def test_envelopes_name_the_housing_system() -> None:
    message = parse(document(ASSESSED)).accepted[0].message
    assert (message.source_system, message.department, message.schema_version) == ("housing-manager", "housing", 3)
    assert message.occurred_at.date() == date(2024, 4, 1)
