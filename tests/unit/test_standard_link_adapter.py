"""The standard link as a source (services/standard_link_adapter) on the 2026.04 layout: every event becomes its
message in the department of its 税目コード; what the generator writes the parser reads back as the same messages;
every bad line is refused alone, naming its line, the column and the reason, never the value."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from contracts import (
    ClaimDecision,
    ClaimDecisionRecorded,
    ClaimSucceeded,
    Department,
    PaymentRefunded,
    PersonReference,
    RelatedPerson,
    RelationRole,
    SuccessionCause,
)
from contracts.standard_link import CURRENT_VERSION, INCOMING_VERSION, layout, parse, render
from services.collection.legal_actions import ACTIONS, ActionKind
from services.collection.store import DECISION_ACTIONS
from services.standard_link_adapter.export_format import parse_export, render_export
from shared.ingest.records import ExportFormatError

SAMPLE = Path(__file__).parents[2] / "services" / "standard_link_adapter" / "samples" / "standard_link_sample.csv"
SPEC = layout(INCOMING_VERSION)
NAME = "髙橋 一郎"


def parsed(data: bytes):  # type: ignore[no-untyped-def]
    return parse_export(data, file_name="standard.csv", produced_at=lambda: datetime.now(UTC))


def line(**cells: str) -> str:
    values = dict.fromkeys(SPEC.header, "")
    values.update(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values.values())
    return out.getvalue()


def file_of(*lines: str) -> bytes:
    return (",".join(SPEC.header) + "\r\n" + "".join(lines)).encode("utf-8")


#: One valid line of every event the adapter imports (its mandatory columns and a little more).
VALID = {
    "01": dict(連携番号="L1", 宛名番号="100000101", 氏名=NAME, 氏名カナ="ﾀｶﾊｼ ｲﾁﾛｳ", 生年月日="1968-05-01",
               通知書番号="T1", 年度="2025", 期別="1", 税目コード="individual_inhabitant_tax", 本税="48000",
               納期限="2025-06-30", 処理日="2025-06-01"),
    "02": dict(連携番号="L2", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax", 本税="2000",
               処理日="2025-07-01"),
    "03": dict(連携番号="L3", 宛名番号="100000101", 通知書番号="N1", 税目コード="national_health_insurance_tax",
               本税="5000", 処理日="2025-07-01"),
    "11": dict(連携番号="L4", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax", 本税="20000",
               督促手数料="100", 合計="20100", 収納日="2025-07-20", 報告日="2025-07-30", 収納番号="K1", 収納方法="02"),
    "12": dict(連携番号="L5", 宛名番号="100000101", 税目コード="individual_inhabitant_tax", 本税="1000", 合計="1000",
               収納番号="K1", 処理日="2025-08-01"),
    "13": dict(連携番号="L6", 宛名番号="100000101", 税目コード="individual_inhabitant_tax", 本税="1000", 合計="1000",
               収納番号="K1", 充当先通知書番号="T2", 処理日="2025-08-01"),
    "21": dict(連携番号="L7", 宛名番号="100000101", 通知書番号="N1", 税目コード="national_health_insurance_tax",
               文書番号="督1", 処理日="2025-08-19"),
    "22": dict(連携番号="L8", 宛名番号="100000101", 通知書番号="N1", 税目コード="national_health_insurance_tax",
               文書番号="催1", 処理日="2025-10-01"),
    "31": dict(連携番号="L9", 宛名番号="100000303", 通知書番号="C1", 税目コード="nursery_fee", 文書番号="誓1", 本税="25000",
               分納回数="5", 納期限="2025-09-30", 処理日="2025-09-01"),
    "41": dict(連携番号="L10", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax",
               根拠="地方税法15条1項", 処理日="2025-09-01"),
    "42": dict(連携番号="L11", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax",
               根拠="地方税法15条の6", 処理日="2025-09-01"),
    "43": dict(連携番号="L12", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax",
               納期限="2025-05-31", 根拠="地方税法13条の2", 処理日="2025-05-20"),
    "51": dict(連携番号="L13", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax", 承継事由="1",
               承継者宛名番号="100000404", 承継者氏名="髙橋 花子", 処理日="2025-11-03"),
    "61": dict(連携番号="L14", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax",
               根拠="地方税法15条の7第1項第1号", 処理日="2025-12-01"),
    "62": dict(連携番号="L15", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax",
               根拠="地方税法18条1項", 処理日="2026-03-31"),
    "63": dict(連携番号="L16", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax",
               時効完成日="2030-06-30", 処理日="2025-06-30"),
    "71": dict(連携番号="L17", 宛名番号="100000303", 税目コード="nursery_fee", 措置区分="1", 処理日="2025-06-01"),
}
EXPECTED = {  # event → (message type, department)
    "01": ("ClaimAssessed", Department.TAX), "02": ("ClaimAdjusted", Department.TAX),
    "03": ("ClaimAdjusted", Department.INSURANCE), "11": ("PaymentReceived", Department.TAX),
    "12": ("PaymentRefunded", Department.TAX), "13": ("PaymentRefunded", Department.TAX),
    "21": ("ClaimNoticeSent", Department.INSURANCE), "22": ("ClaimNoticeSent", Department.INSURANCE),
    "31": ("InstallmentAgreed", Department.CHILDCARE), "41": ("ClaimDecisionRecorded", Department.TAX),
    "42": ("ClaimDecisionRecorded", Department.TAX), "43": ("ClaimDecisionRecorded", Department.TAX),
    "51": ("ClaimSucceeded", Department.TAX), "61": ("ClaimDecisionRecorded", Department.TAX),
    "62": ("ClaimDecisionRecorded", Department.TAX), "63": ("ClaimDecisionRecorded", Department.TAX),
    "71": ("SupportMeasureChanged", Department.CHILDCARE),
}


def test_every_event_of_the_layout_but_the_balance_is_imported() -> None:
    assert set(SPEC.events) - {"91"} == set(VALID) == set(EXPECTED)
    assert {e.name for e in SPEC.events.values()} >= {
        "調定", "更正", "減額", "収納", "還付", "充当", "督促発送", "催告発送", "分納誓約", "徴収猶予", "換価の猶予",
        "繰上徴収", "承継", "執行停止", "不納欠損", "時効完成", "支援措置"}


@pytest.mark.parametrize("code", sorted(VALID))
def test_each_event_becomes_its_message_in_the_department_of_its_receivable(code: str) -> None:
    result = parsed(file_of(line(レコード種別=code, **VALID[code])))
    assert result.rejected == []
    [accepted] = result.accepted
    message = accepted.message
    assert (message.message_type, message.department) == EXPECTED[code]
    assert message.source_system == "standard-link"
    assert accepted.key == f"{message.department.value}:{VALID[code]['宛名番号']}"
    person = message.payload.person  # type: ignore[attr-defined]
    assert person.resident_register_number == person.source_person_id == VALID[code]["宛名番号"]


def test_what_each_event_carries() -> None:
    by_code = {code: parsed(file_of(line(レコード種別=code, **VALID[code]))).accepted[0].message.payload
               for code in VALID}
    assessed = by_code["01"]
    assert (assessed.person.name_kanji, assessed.person.name_kana, assessed.amount, assessed.due_date) == (
        NAME, "ﾀｶﾊｼ ｲﾁﾛｳ", 48_000, date(2025, 6, 30))  # 異体字 kept: matching folds it
    assert by_code["02"].amount_delta == 2_000 and by_code["03"].amount_delta == -5_000
    paid = by_code["11"]
    assert (paid.amount, paid.paid_on, paid.reported_on, paid.channel.value) == (
        20_100, date(2025, 7, 20), date(2025, 7, 30), "convenience_store")
    assert by_code["12"].appropriated_to is None and by_code["13"].appropriated_to == "T2"
    assert [s.amount for s in by_code["31"].schedule] == [5_000] * 5
    assert by_code["31"].schedule[-1].due_date == date(2026, 1, 30)
    decisions = {code: by_code[code].kind for code in ("41", "42", "43", "61", "62", "63")}
    assert decisions == {"41": ClaimDecision.COLLECTION_GRACE, "42": ClaimDecision.REALISATION_GRACE,
                         "43": ClaimDecision.ACCELERATED_COLLECTION, "61": ClaimDecision.SUSPENSION_OF_EXECUTION,
                         "62": ClaimDecision.WRITE_OFF, "63": ClaimDecision.PRESCRIPTION_COMPLETED}
    assert by_code["43"].due_date == date(2025, 5, 31) and by_code["63"].completes_on == date(2030, 6, 30)
    assert by_code["61"].ground == "地方税法15条の7第1項第1号"
    succession = by_code["51"]
    assert succession.cause is SuccessionCause.INHERITANCE
    assert [(r.role, r.person.source_person_id, r.person.name_kanji) for r in succession.related_persons] == [
        (RelationRole.HEIR, "100000404", "髙橋 花子")]
    assert by_code["71"].active is True


def test_the_sample_holds_every_event_and_three_departments() -> None:
    result = parsed(SAMPLE.read_bytes())
    assert result.rejected == [] and len(result.accepted) == 21
    assert {a.message.department for a in result.accepted} == {Department.TAX, Department.INSURANCE,
                                                                Department.CHILDCARE}


def test_what_render_export_writes_parse_export_reads_back_as_the_same_messages() -> None:
    first = parsed(SAMPLE.read_bytes()).accepted
    receivables = {a.message.payload.claim_id: a.message.payload.receivable_type  # type: ignore[attr-defined]
                   for a in first if a.message.message_type == "ClaimAssessed"}
    receivables["R07-T-0003"] = "fixed_asset_tax"

    def receivable_of(payload) -> str:  # type: ignore[no-untyped-def]
        claim = getattr(payload, "claim_id", None) or (payload.claim_ids[0] if hasattr(payload, "claim_ids") else None)
        if isinstance(payload, PaymentRefunded):
            return "fixed_asset_tax"
        return receivables[claim] if claim else "nursery_fee"

    again = parsed(render_export([(receivable_of(a.message.payload), a.message.payload) for a in first])).accepted
    assert [a.message.payload for a in again] == [a.message.payload for a in first]
    # the ids derive from keys the messages carry (通知書番号, 収納番号, 文書番号, 連携番号 of decisions, the day of a
    # 支援措置), except an
    # adjustment's: its 連携番号 is not in ClaimAdjusted, so a re-rendered file numbers it anew
    assert [a.message.message_id for a in again if a.message.message_type != "ClaimAdjusted"] == [
        a.message.message_id for a in first if a.message.message_type != "ClaimAdjusted"]


def test_render_export_refuses_what_the_layout_cannot_carry() -> None:
    heirs = tuple(RelatedPerson(role=RelationRole.HEIR, person=PersonReference(source_person_id=p)) for p in "12")
    two = ClaimSucceeded(succession_id="S", person=PersonReference(source_person_id="9"), claim_id="T",
                         cause=SuccessionCause.INHERITANCE, succeeded_on=date(2025, 1, 1), related_persons=heirs)
    with pytest.raises(ValueError, match="one 承継 line per successor"):
        render_export([("individual_inhabitant_tax", two)])
    bare = ClaimDecisionRecorded(record_id="D", person=PersonReference(source_person_id="9"), claim_id="T",
                                 kind=ClaimDecision.WRITE_OFF, decided_on=date(2025, 1, 1))
    with pytest.raises(ValueError, match="record 1: .*税目コード"):
        render_export([bare])


BAD = [
    ("unknown event code", dict(VALID["21"], レコード種別="29"), "レコード種別", "unknown event code"),
    ("unknown receivable", dict(VALID["21"], レコード種別="21", 税目コード="dog_tax"), "税目コード", "unknown 税目コード"),
    ("收納 without 報告日", dict(VALID["11"], レコード種別="11", 報告日=""), "報告日", "required for 収納 (11)"),
    ("調定 without a name", dict(VALID["01"], レコード種別="01", 氏名="", 氏名カナ=""), "氏名", "one of 氏名, 氏名カナ"),
    ("調定 with 延滞金", dict(VALID["01"], レコード種別="01", 延滞金="300"), "延滞金", "must be empty or 0"),
    ("zero 本税", dict(VALID["02"], レコード種別="02", 本税="0"), "本税", "must be more than 0"),
    ("amounts that do not add up", dict(VALID["11"], レコード種別="11", 延滞金="500"), "合計", "do not add up"),
    ("報告日 before 収納日", dict(VALID["11"], レコード種別="11", 報告日="2025-07-19"), "報告日", "before 収納日"),
    ("和暦 date", dict(VALID["21"], レコード種別="21", 処理日="令和7年8月19日"), "処理日", "YYYY-MM-DD"),
    ("unknown 措置区分", dict(VALID["71"], レコード種別="71", 措置区分="2"), "措置区分", "unknown code"),
    ("heir is the debtor", dict(VALID["51"], レコード種別="51", 承継者宛名番号="100000101"), "承継者宛名番号",
     "the debtor's own"),
    ("more instalments than yen", dict(VALID["31"], レコード種別="31", 本税="3", 分納回数="5"), "分納回数",
     "at least 1 yen"),
    ("a balance line", dict(レコード種別="91", 宛名番号="100000101", 通知書番号="T1", 税目コード="individual_inhabitant_tax",
                            本税="1000", 処理日="2025-06-30"), "レコード種別", "reconciliation"),
    ("a balance line without receivable", dict(レコード種別="91", 宛名番号="100000101", 通知書番号="T1", 本税="1000",
                                               処理日="2025-06-30"), "税目コード", "names the department"),
]


@pytest.mark.parametrize(("what", "cells", "column", "reason"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_line_is_refused_alone_naming_its_line_and_column(what: str, cells: dict[str, str], column: str,
                                                                reason: str) -> None:
    data = file_of(line(レコード種別="01", **VALID["01"]), line(**cells), line(レコード種別="21", **VALID["21"]))
    result = parsed(data)
    assert [a.line for a in result.accepted] == [2, 4]  # the rest is published
    [rejection] = result.rejected
    assert rejection.line == 3 and rejection.raw == line(**cells).rstrip("\r\n")
    assert [p.field for p in rejection.problems] == [column], rejection.problems
    assert reason in rejection.problems[0].reason
    assert not any(NAME in p.reason or "100000101" in p.reason for p in rejection.problems)


@pytest.mark.parametrize("code", sorted(VALID))
def test_every_mandatory_column_of_every_event_is_named_when_missing(code: str) -> None:
    for column in SPEC.events[code].required:
        result = parsed(file_of(line(**{**VALID[code], "レコード種別": code, column: ""})))
        assert result.accepted == [], (code, column)
        assert column in [p.field for p in result.rejected[0].problems], (code, column)


def test_a_file_not_in_the_layout_is_refused_whole() -> None:
    with pytest.raises(ExportFormatError, match="UTF-8"):
        parsed(file_of(line(レコード種別="21", **VALID["21"])).decode("utf-8").encode("cp932"))
    with pytest.raises(ExportFormatError, match="header"):
        parsed(render([], CURRENT_VERSION))  # the 2025.04 layout is the feeds', not the incoming link's


def test_the_new_version_keeps_the_old_codes_and_the_old_one_stays_readable() -> None:
    old = layout(CURRENT_VERSION)
    assert old.version == "2025.04" and SPEC.version == "2026.04" and SPEC.effective_from == date(2026, 4, 1)
    assert {code: event.name for code, event in old.events.items()} == {
        code: SPEC.events[code].name for code in old.events}
    assert set(old.header) <= set(SPEC.header)
    row = {"event": "91", "person": "1", "claim": "T1", "principal": 5_000, "done_on": date(2025, 1, 31)}
    assert [p.row for p in parse(render([row]))] == [row]


def test_the_sum_check_is_derived_from_the_layout() -> None:
    assert [(s.total, s.parts) for s in SPEC.sums] == [("合計", ("本税", "督促手数料", "延滞金"))]
    good = {"event": "12", "link_id": "1", "person": "1", "receivable": "fixed_asset_tax", "principal": 900,
            "late_charge": 100, "total": 1_000, "receipt": "K", "done_on": date(2025, 1, 1)}
    assert [p.row for p in parse(render([good], INCOMING_VERSION), INCOMING_VERSION)] == [good]
    with pytest.raises(ValueError, match="row 1: 合計: the amounts do not add up"):
        render([{**good, "total": 999}], INCOMING_VERSION)


def test_department_decisions_that_are_legal_actions_take_that_actions_row() -> None:
    """The four decisions recorded as legal actions have rows in collection's table with the effect the issue asks:
    執行停止 blocks 滞納処分, 不納欠損 closes the claim; the other two are dates (claim_department_dates)."""
    assert {k.value for k in DECISION_ACTIONS} | {"accelerated_collection", "prescription_completed"} == {
        k.value for k in ClaimDecision}
    assert all(kind.value == action.value for kind, action in DECISION_ACTIONS.items())
    stop = ACTIONS[ActionKind.SUSPENSION_OF_EXECUTION].measure
    assert stop is not None and stop.blocks_action(ActionKind.SEIZURE)
    assert ACTIONS[ActionKind.WRITE_OFF].closes


def test_a_decision_needs_its_date_and_a_succession_its_role() -> None:
    person = PersonReference(source_person_id="1")
    with pytest.raises(ValueError, match="繰上徴収 needs the new 納期限"):
        ClaimDecisionRecorded(record_id="D", person=person, claim_id="T", decided_on=date(2025, 1, 1),
                              kind=ClaimDecision.ACCELERATED_COLLECTION)
    with pytest.raises(ValueError, match="role successor"):
        ClaimSucceeded(succession_id="S", person=person, claim_id="T", cause=SuccessionCause.MERGER,
                       succeeded_on=date(2025, 1, 1),
                       related_persons=(RelatedPerson(role=RelationRole.HEIR, person=PersonReference(
                           source_person_id="2")),))


def test_a_tax_year_travels_with_the_assessment_and_a_later_one_is_refused_naming_the_column() -> None:
    """相当年度: the 2023 固定資産税 assessed in 年度 2025 keeps its year; one after the 年度 is refused (相当年度)."""
    late = dict(VALID["01"], レコード種別="01", 連携番号="L90", 通知書番号="T90", 税目コード="fixed_asset_tax", 相当年度="2023")
    ahead = dict(VALID["01"], レコード種別="01", 連携番号="L91", 通知書番号="T91", 相当年度="2026")
    result = parsed(file_of(line(**late), line(**ahead)))
    (accepted,) = result.accepted
    assert (accepted.message.payload.fiscal_year, accepted.message.payload.tax_year) == (2025, 2023)
    (rejected,) = result.rejected
    assert [p.field for p in rejected.problems] == ["相当年度"] and "2026" not in rejected.problems[0].reason
    # and the generator writes it back
    row = next(p.row for p in parse(render_export([accepted.message.payload]), INCOMING_VERSION) if p.row)
    assert row["tax_year"] == 2023


def test_a_city_s_standard_link_carries_only_the_departments_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """STANDARD_LINK_DEPARTMENTS=tax,insurance: a 保育料 line is refused naming its line, 税目コード and the reason
    (the rest is published); without the setting every department's line is read."""
    from shared.ingest.adapter import _parse, adapter_spec

    data = file_of(line(レコード種別="01", **VALID["01"]), line(レコード種別="31", **VALID["31"]),
                   line(レコード種別="03", **VALID["03"]))
    spec = adapter_spec("standard_link")
    monkeypatch.setenv("STANDARD_LINK_DEPARTMENTS", "tax, insurance")
    settings = spec.settings()
    assert settings.carried() == {Department.TAX, Department.INSURANCE}  # type: ignore[attr-defined]
    result = _parse(spec, data, "city.csv", settings)
    assert [a.message.department for a in result.accepted] == [Department.TAX, Department.INSURANCE]
    (refused,) = result.rejected
    assert refused.line == 3 and [p.field for p in refused.problems] == ["税目コード"]
    reason = refused.problems[0].reason
    assert "nursery_fee" in reason and "childcare" in reason and "STANDARD_LINK_DEPARTMENTS=insurance,tax" in reason
    assert "100000303" not in reason

    monkeypatch.delenv("STANDARD_LINK_DEPARTMENTS")
    everything = _parse(spec, data, "city.csv", spec.settings())
    assert len(everything.accepted) == 3 and everything.rejected == []


def test_an_unknown_department_in_the_setting_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.standard_link_adapter.export_format import StandardLinkAdapterSettings

    monkeypatch.setenv("STANDARD_LINK_DEPARTMENTS", "tax,gas")
    with pytest.raises(ValueError, match="STANDARD_LINK_DEPARTMENTS: unknown department gas"):
        StandardLinkAdapterSettings()


def test_two_people_s_support_measures_of_one_day_are_two_messages() -> None:
    """The message id of a 支援措置 names the person: two residents protected the same day are two records, not one
    id with two payloads (collection refuses that as a conflicting redelivery)."""
    other = dict(VALID["71"], レコード種別="71", 連携番号="L18", 宛名番号="100000404")
    result = parsed(file_of(line(レコード種別="71", **VALID["71"]), line(**other)))
    assert result.rejected == [] and len({a.message.message_id for a in result.accepted}) == 2
