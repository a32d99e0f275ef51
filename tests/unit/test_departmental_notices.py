"""Departments' own 督促 and 催告 (ClaimNoticeSent): every adapter's native format carries them, in both directions,
and a notice line without its number is refused naming the department's own field."""

from datetime import UTC, date, datetime

import pytest

from contracts import ClaimNoticeSent, NoticeKind, PersonReference, decode_message, encode_message
from services.childcare_adapter import export_format as childcare
from services.housing_adapter import export_format as housing
from services.insurance_adapter import export_format as insurance
from services.tax_adapter import export_format as tax
from services.water_adapter import export_format as water

NOW = datetime(2024, 7, 1, tzinfo=UTC)
PERSON = PersonReference(source_person_id="200001")

CLAIMS = {
    "tax": (tax, tax.claim_id(2024, "fixed_asset_tax", "N-0001", 1)),
    "insurance": (insurance, insurance.claim_id(2024, "long_term_care_premium", "000000001234", 3)),
    "childcare": (childcare, childcare.claim_id("nursery_fee", 2024, 5, "C-77")),
    "water": (water, water.claim_id(2024, "water_supply_charge", "0077", "200001", 2)),
    "housing": (housing, housing.claim_id("K-0102", 2024, 5)),
}


def notice(claim_id: str, kind: NoticeKind, number: str = "T2024-000451") -> ClaimNoticeSent:
    return ClaimNoticeSent(notice_id=number, person=PERSON, claim_id=claim_id, kind=kind, sent_on=date(2024, 6, 20))


@pytest.mark.parametrize("department", sorted(CLAIMS))
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_department_export_carries_its_own_notices(department: str, kind: NoticeKind) -> None:
    module, claim_id = CLAIMS[department]
    sent = notice(claim_id, kind)
    parsed = module.parse_export(module.render_export([sent]), file_name="notices", produced_at=lambda: NOW)
    assert parsed.rejected == []
    (accepted,) = parsed.accepted
    message = accepted.message
    assert message.message_type == "ClaimNoticeSent" and message.department.value == department
    assert message.payload == sent
    assert message.occurred_at.date() == date(2024, 6, 20)
    assert decode_message(encode_message(message)) == message


@pytest.mark.parametrize("department", sorted(CLAIMS))
def test_the_same_notice_gives_the_same_message_id_and_another_notice_another(department: str) -> None:
    module, claim_id = CLAIMS[department]
    first = notice(claim_id, NoticeKind.DEMAND_NOTICE)
    again = module.parse_export(module.render_export([first, first]), file_name="n", produced_at=lambda: NOW)
    other = module.parse_export(module.render_export([notice(claim_id, NoticeKind.REMINDER, "T2024-000452")]),
                                file_name="n", produced_at=lambda: NOW)
    ids = {a.message.message_id for a in again.accepted}
    assert len(ids) == 1 and other.accepted[0].message.message_id not in ids


@pytest.mark.parametrize(("department", "field"), [
    ("tax", "文書番号"), ("insurance", "文書番号"), ("childcare", "文書番号"), ("water", "異動番号"),
    ("housing", "notice_no"),
])
def test_a_notice_without_its_number_is_refused_naming_the_field(department: str, field: str) -> None:
    module, claim_id = CLAIMS[department]
    data = module.render_export([notice(claim_id, NoticeKind.DEMAND_NOTICE, "ZZNOTICE9")])
    blank = "" if department != "insurance" else " " * len("ZZNOTICE9")
    if department == "housing":
        data = data.replace(b'"notice_no": "ZZNOTICE9", ', b"")
    else:
        data = data.replace(b"ZZNOTICE9", blank.encode())
    parsed = module.parse_export(data, file_name="n", produced_at=lambda: NOW)
    assert parsed.accepted == []
    (rejected,) = parsed.rejected
    assert field in {p.field for p in rejected.problems}
