import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts import (
    ClaimAssessed,
    ContractError,
    Department,
    InstallmentAgreed,
    LegalCategory,
    PaymentReceived,
    PersonReference,
    RelatedPerson,
    ScheduledInstallment,
    decode_message,
    encode_message,
    envelope_class,
    new_envelope,
)
from contracts.receivables import RECEIVABLES, legal_category

JST = timezone(timedelta(hours=9))
PERSON = PersonReference(source_person_id="100001", name_kanji="髙橋 一郎", name_kana="ﾀｶﾊｼ ｲﾁﾛｳ",
                         birth_date=date(1975, 4, 1), address="愛知県豊田市西町3丁目60番地", phone="0565-31-1212")


def claim(**changes: object) -> ClaimAssessed:
    fields: dict[str, object] = dict(
        claim_id="2024-individual_inhabitant_tax-2024000123-01", person=PERSON,
        receivable_type="individual_inhabitant_tax", legal_category=LegalCategory.FORCED_PUBLIC, fiscal_year=2024,
        installment=1, due_date=date(2024, 6, 30), amount=12300, assessed_on=date(2024, 6, 10),
    )
    fields.update(changes)
    return ClaimAssessed(**fields)  # type: ignore[arg-type]


def wrap(payload: ClaimAssessed | PaymentReceived, keys: tuple[str, ...] = ("k1",)):  # type: ignore[no-untyped-def]
    return new_envelope(payload, source_system="tax-core", department=Department.TAX,
                        occurred_at=datetime(2024, 6, 10, tzinfo=JST), correlation_id="import:test",
                        source_keys=keys, produced_at=datetime(2024, 6, 11, tzinfo=UTC))


def test_envelope_round_trip_keeps_every_field() -> None:
    message = wrap(claim())
    decoded = decode_message(encode_message(message))
    assert decoded == message
    assert decoded.message_type == "ClaimAssessed"
    assert decoded.schema_version == ClaimAssessed.SCHEMA_VERSION == 3
    assert decoded.payload.person.name_kanji == "髙橋 一郎"  # type: ignore[attr-defined]


def test_message_id_derives_from_source_keys_only() -> None:
    first, again = wrap(claim(), ("a",)), wrap(claim(amount=1), ("a",))
    assert first.message_id == again.message_id
    assert wrap(claim(), ("b",)).message_id != first.message_id
    assert isinstance(first.message_id, uuid.UUID) and first.message_id.version == 5


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -100}, "amount"),
        ({"amount": 100.5}, "amount"),
        ({"amount": "100"}, "amount"),
        ({"fiscal_year": 1900}, "fiscal_year"),
        ({"installment": -1}, "installment"),
        ({"receivable_type": "dog_tax"}, "receivable_type"),
        ({"legal_category": "public"}, "legal_category"),
    ],
)
def test_invalid_claims_are_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        claim(**changes)
    assert field in {str(part) for err in exc.value.errors() for part in err["loc"]}


def test_assessment_needs_a_name() -> None:
    with pytest.raises(ValidationError, match="name_kanji or name_kana"):
        claim(person=PersonReference(source_person_id="1"))


def test_decode_errors_name_fields_and_never_echo_personal_values() -> None:
    data = json.loads(encode_message(wrap(claim())))
    data["payload"]["person"]["birth_date"] = "髙橋 一郎"
    data["payload"]["amount"] = -5
    with pytest.raises(ContractError) as exc:
        decode_message(json.dumps(data, ensure_ascii=False))
    text = str(exc.value)
    assert "payload.person.birth_date" in text and "payload.amount" in text
    for value in ("髙橋", "愛知県", "0565", "1975"):
        assert value not in text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\x82\xa0not json", "not valid UTF-8 JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"message_type": "Nonsense"}', "message_type"),
    ],
)
def test_undecodable_messages(raw: bytes, expected: str) -> None:
    with pytest.raises(ContractError, match=expected):
        decode_message(raw)


def test_times_must_carry_a_timezone() -> None:
    data = json.loads(encode_message(wrap(claim())))
    data["occurred_at"] = "2024-06-10T00:00:00"
    with pytest.raises(ContractError, match="occurred_at"):
        decode_message(json.dumps(data))


def test_unknown_fields_from_a_newer_producer_are_ignored() -> None:
    data = json.loads(encode_message(wrap(claim())))
    data["payload"]["added_in_a_later_version"] = "x"
    data["new_envelope_field"] = 1
    assert decode_message(json.dumps(data)).payload == claim()


def test_a_newer_schema_version_than_known_is_refused() -> None:
    data = json.loads(encode_message(wrap(claim())))
    data["schema_version"] = ClaimAssessed.SCHEMA_VERSION + 1
    with pytest.raises(ContractError, match="schema_version"):
        decode_message(json.dumps(data))


def test_personal_fields_are_kept_out_of_repr() -> None:
    text = repr(wrap(claim()))
    for value in ("髙橋", "ﾀｶﾊｼ", "愛知県", "0565", "1975"):
        assert value not in text


def test_every_receivable_has_a_department_and_default_category() -> None:
    assert {spec.department for spec in RECEIVABLES.values()} == set(Department)
    assert legal_category("municipal_housing_rent") is LegalCategory.PRIVATE
    assert legal_category("municipal_housing_rent", {"municipal_housing_rent": "non_forced_public"}) \
        is LegalCategory.NON_FORCED_PUBLIC
    with pytest.raises(ValueError, match="not one of"):
        legal_category("municipal_housing_rent", {"municipal_housing_rent": "maybe"})
    with pytest.raises(KeyError, match="unknown receivable"):
        legal_category("dog_tax")


def test_envelope_class_fixes_the_message_type() -> None:
    cls = envelope_class(PaymentReceived)
    assert cls.model_fields["message_type"].default == "PaymentReceived"


@pytest.mark.parametrize("version", [1, 2])
def test_the_previous_versions_of_claim_assessed_are_still_accepted(version: int) -> None:
    """Compatibility rule 2 (docs/contracts.md): a v1 ClaimAssessed (before related persons and billing periods) and
    a v2 (before 相当年度), as their producers wrote them."""
    old = json.loads((Path(__file__).parent / "fixtures" / f"ClaimAssessed.v{version}.example.json").read_text("utf-8"))
    assert old["schema_version"] == version and "tax_year" not in old["payload"]
    assert ("related_persons" in old["payload"]) == (version == 2)
    decoded = decode_message(json.dumps(old, ensure_ascii=False))
    assert decoded.schema_version == version
    assert decoded.payload.related_persons == () and decoded.payload.period_start is None  # type: ignore[attr-defined]
    assert decoded.payload.tax_year is None  # type: ignore[attr-defined]
    assert decoded.payload.amount == 12300  # type: ignore[attr-defined]


def test_tax_year_is_the_year_the_tax_is_for_never_after_its_fiscal_year() -> None:
    """相当年度 (v3): a 過年度分 assessed in 年度 2024 for 2022; a 相当年度 after the 年度 is refused naming both."""
    late = claim(fiscal_year=2024, tax_year=2022)
    assert late.tax_year == 2022 and decode_message(encode_message(wrap(late))).payload == late
    with pytest.raises(ValidationError, match="tax_year .相当年度. is after fiscal_year"):
        claim(fiscal_year=2024, tax_year=2025)
    with pytest.raises(ValidationError, match="tax_year"):
        claim(tax_year=1900)


def test_claim_with_relations_and_billing_period() -> None:
    guarantor = RelatedPerson(role="guarantor", person=PersonReference(source_person_id="G1", name_kanji="齋藤 保"))
    c = claim(related_persons=(guarantor,), period_start=date(2024, 4, 1), period_end=date(2024, 5, 31))
    assert decode_message(encode_message(wrap(c))).payload == c
    with pytest.raises(ValidationError, match="go together"):
        claim(period_start=date(2024, 4, 1))
    with pytest.raises(ValidationError, match="after period_end"):
        claim(period_start=date(2024, 6, 1), period_end=date(2024, 5, 31))


def test_installment_schedule_must_be_in_order() -> None:
    with pytest.raises(ValidationError, match="due-date order"):
        InstallmentAgreed(agreement_id="A1", person=PERSON, claim_ids=("c1",), agreed_on=date(2024, 7, 1),
                          schedule=(ScheduledInstallment(due_date=date(2024, 9, 1), amount=5000),
                                    ScheduledInstallment(due_date=date(2024, 8, 1), amount=5000)))


def test_identity_events_concern_no_single_department() -> None:
    from contracts import DebtorMerged, SourceRecord

    merged = DebtorMerged(merge_id="M1", from_debtor_id="a", into_debtor_id="b",
                          records=(SourceRecord(department="water", source_person_id="W1"),))
    message = new_envelope(merged, source_system="debtor-matching", department=None,
                           occurred_at=datetime(2025, 1, 1, tzinfo=JST), correlation_id="review:1",
                           source_keys=("M1",), produced_at=datetime.now(UTC))
    assert decode_message(encode_message(message)) == message and message.department is None
    data = json.loads(encode_message(wrap(claim())))
    data["department"] = None  # a billing event must name its department
    with pytest.raises(ContractError, match="department"):
        decode_message(json.dumps(data))


@pytest.mark.parametrize(("department", "category"), [("tax", "private"), ("water", "forced_public"),
                                                      ("tax", "forced_public")])
def test_an_outsourced_claim_is_never_tax_or_forced_collection(department: str, category: str) -> None:
    from contracts import OutsourcedClaim

    with pytest.raises(ValueError, match="never outsourced"):
        OutsourcedClaim(claim_id="c1", department=department, receivable_type="water_supply_charge",
                        legal_category=category, fiscal_year=2024, due_date=date(2024, 5, 31), balance=1000)


def test_what_a_firm_may_know_of_a_debtor_has_no_birth_date_or_id() -> None:
    from contracts import OutsourcedCaseChanged, OutsourcedContact

    assert set(OutsourcedContact.model_fields) == {"name_kanji", "name_kana", "postal_code", "address", "phone",
                                                  "address_withheld"}
    with pytest.raises(ValueError):
        OutsourcedContact(name_kanji="山﨑 花子", birth_date="1970-01-01")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="at least one claim"):
        OutsourcedCaseChanged(case_ref="1", firm_code="lawyer_team_a", status="assigned", version=1,
                              as_of=date(2025, 1, 31))


def test_a_departments_own_notice_is_a_billing_message_of_its_own() -> None:
    from contracts import ClaimNoticeSent, NoticeKind

    notice = ClaimNoticeSent(notice_id="T2024-0451", person=PERSON, claim_id="2024-fixed_asset_tax-N1-01",
                             kind="demand_notice", sent_on=date(2024, 7, 12))
    message = wrap(notice, ("T2024-0451", "2024-fixed_asset_tax-N1-01"))  # type: ignore[arg-type]
    decoded = decode_message(encode_message(message))
    assert decoded == message and decoded.message_type == "ClaimNoticeSent" and decoded.schema_version == 1
    assert decoded.payload.kind is NoticeKind.DEMAND_NOTICE  # type: ignore[attr-defined]
    data = json.loads(encode_message(message))
    data["payload"]["kind"] = "seizure"
    data["payload"]["sent_on"] = "令和6年7月12日"
    with pytest.raises(ContractError) as refused:
        decode_message(json.dumps(data, ensure_ascii=False))
    assert "payload.kind" in str(refused.value) and "payload.sent_on" in str(refused.value)
    assert "髙橋" not in str(refused.value)


def test_a_support_measure_is_a_billing_message_and_a_withheld_address_carries_none() -> None:
    from contracts import DebtorStandingChanged, OutsourcedCaseChanged, OutsourcedContact, SupportMeasureChanged

    measure = SupportMeasureChanged(person=PERSON, active=True, effective_on=date(2024, 10, 1))
    message = wrap(measure, (PERSON.source_person_id, "2024-10-01", "on"))  # type: ignore[arg-type]
    decoded = decode_message(encode_message(message))
    assert decoded == message and decoded.message_type == "SupportMeasureChanged"
    assert decoded.payload.active is True  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="address_withheld"):
        OutsourcedContact(name_kanji="山﨑 花子", address="愛知県豊田市西町1丁目", address_withheld=True)
    withheld = OutsourcedContact(name_kanji="山﨑 花子", phone="0565-31-1212", address_withheld=True)
    assert withheld.address is None and withheld.postal_code is None
    # version 1 of both changed messages is still read: the new fields take their defaults
    assert OutsourcedCaseChanged.SCHEMA_VERSION == DebtorStandingChanged.SCHEMA_VERSION == 2
    old_contact = OutsourcedContact.model_validate({"name_kanji": "山﨑 花子", "address": "愛知県豊田市西町1丁目"})
    assert old_contact.address_withheld is False
    old_standing = DebtorStandingChanged.model_validate({"debtor_id": "D1", "as_of": "2025-01-31", "version": 1})
    assert old_standing.address_protected is False


@pytest.mark.parametrize("message_type", ["PaymentReceived", "OutsourcedCaseChanged", "DebtorStandingChanged"])
def test_the_previous_version_of_each_bumped_message_is_still_accepted(message_type: str) -> None:
    """Compatibility rule 2: version 1 as its producers wrote it decodes, the version 2 fields at their defaults
    (PaymentReceived.reported_on, OutsourcedContact.address_withheld, DebtorStandingChanged.address_protected)."""
    v1 = json.loads((Path(__file__).parent / "fixtures" / f"{message_type}.v1.example.json").read_text("utf-8"))
    decoded = decode_message(json.dumps(v1, ensure_ascii=False))
    assert decoded.schema_version == 1 and decoded.message_type == message_type
    payload = decoded.payload
    if message_type == "PaymentReceived":
        assert payload.reported_on is None and payload.amount == 12300  # type: ignore[attr-defined]
    elif message_type == "OutsourcedCaseChanged":
        assert payload.contact.address_withheld is False  # type: ignore[attr-defined]
        assert payload.contact.address.startswith("愛知県")  # type: ignore[attr-defined]
    else:
        assert payload.address_protected is False and len(payload.overdue_claims) == 1  # type: ignore[attr-defined]
