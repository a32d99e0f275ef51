"""充当 and 還付 of central-window money as the feeds carry them: which claims a payment settled, with its 本税,
督促手数料 and 延滞金 parts, what is due back, and the department's own format of those lines (read back by the
department's format module)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import unquote

import pytest
from pydantic import ValidationError

from contracts import Department, DepartmentFeedItem, PaymentReceived
from contracts.standard_link import CURRENT_VERSION, INCOMING_VERSION, parse
from services.collection.appropriations import AppropriationLine, RefundLine, decided
from services.collection.feeds import OWN_FORMAT_GAPS, own_file, standard_file
from services.collection.ledger import Claim, Payment, build_ledger
from services.collection.settings import CollectionSettings
from services.tax_adapter import export_format as tax_format
from shared.ingest.department_files import own_renderer

TAX_A = Claim("tax", "2023-individual_inhabitant_tax-N1-01", "individual_inhabitant_tax", "forced_public", 2023, 1,
              date(2023, 6, 30), 10_000, date(2023, 6, 1))
TAX_B = Claim("tax", "2024-individual_inhabitant_tax-N1-01", "individual_inhabitant_tax", "forced_public", 2024, 1,
              date(2024, 6, 30), 5_000, date(2024, 6, 1))
NHI = Claim("insurance", "2024-kokuho-77-01", "national_health_insurance_tax", "forced_public", 2024, 1,
            date(2024, 7, 31), 8_000, date(2024, 7, 1))
NURSERY = Claim("childcare", "C-2025-04-1", "nursery_fee", "forced_public", 2025, 4, date(2025, 4, 30), 5_000,
                date(2025, 4, 1))


def ledger(claims: list[Claim], payments: list[Payment], as_of: date):  # type: ignore[no-untyped-def]
    return build_ledger(claims, (), (), payments, (), as_of)


def test_a_part_naming_no_claim_is_split_over_the_departments_claims_in_its_order() -> None:
    paid_on = date(2024, 9, 30)
    lines, refunds = decided(ledger([TAX_A, TAX_B, NHI], [Payment("tax", "CR1-tax", None, 12_000, paid_on, "counter")],
                                    paid_on), {("tax", "CR1-tax")}, paid_on)
    # tax settles every principal before any 延滞金, oldest first: all of A, then 2,000 of B
    assert lines == [AppropriationLine("tax", TAX_A.claim_id, "tax", "CR1-tax", paid_on, principal=10_000),
                     AppropriationLine("tax", TAX_B.claim_id, "tax", "CR1-tax", paid_on, principal=2_000)]
    assert sum(line.total for line in lines) == 12_000 and refunds == []


def test_late_charge_settled_is_its_own_part_and_only_the_named_payments_count() -> None:
    paid_on = date(2024, 9, 30)
    payments = [Payment("tax", "CR2-tax", TAX_A.claim_id, 11_000, paid_on, "counter"),
                Payment("insurance", "own-1", None, 3_000, paid_on, "bank")]  # the department's own: not ours
    built = ledger([TAX_A, NHI], payments, paid_on)
    lines, refunds = decided(built, {("tax", "CR2-tax")}, paid_on)
    (line,) = lines
    assert (line.claim_id, line.principal, line.demand_fee) == (TAX_A.claim_id, 10_000, 0)
    # what is beyond the principal went to A's 延滞金, and only past that is refunded or appropriated
    accrued = next(b for b in built.claims if b.claim is TAX_A).late_charge_paid
    assert accrued > 0 and line.late_charge == accrued and line.total == min(11_000, 10_000 + accrued)
    assert all(x.payment_department == "tax" for x in lines)


def test_an_overpaid_local_tax_is_appropriated_to_another_department_s_local_tax_before_any_refund() -> None:
    paid_on = date(2024, 9, 30)
    built = ledger([TAX_B, NHI], [Payment("tax", "CR3-tax", TAX_B.claim_id, 30_000, paid_on, "counter")], paid_on)
    lines, refunds = decided(built, {("tax", "CR3-tax")}, paid_on)
    to_insurance = [x for x in lines if x.department == "insurance"]
    assert to_insurance and to_insurance[0].payment_department == "tax" and to_insurance[0].principal == 8_000
    (refund,) = refunds
    assert refund.department == "tax" and refund.amount == 30_000 - sum(x.total for x in lines)


def test_money_beyond_a_non_tax_claim_is_due_back() -> None:
    paid_on = date(2025, 4, 10)
    built = ledger([NURSERY], [Payment("childcare", "CR4-childcare", NURSERY.claim_id, 6_000, paid_on, "counter")],
                   paid_on)
    lines, refunds = decided(built, {("childcare", "CR4-childcare")}, paid_on)
    assert [x.total for x in lines] == [5_000]
    assert refunds == [RefundLine("childcare", "CR4-childcare", NURSERY.claim_id, 1_000, "excess", paid_on)]


def item(feed_id: int, kind: str, **fields: object) -> DepartmentFeedItem:
    return DepartmentFeedItem(feed_id=feed_id, department="tax", kind=kind, source_person_id="100234",
                              occurred_on=date(2025, 1, 20), reference="CR5-tax", **fields)  # type: ignore[arg-type]


def test_the_tax_department_reads_its_lines_back_in_its_own_format() -> None:
    items = [
        item(1, "central_payment", amount=12_750, receivable_type="individual_inhabitant_tax"),
        item(2, "appropriation", claim_id=TAX_A.claim_id, receivable_type="individual_inhabitant_tax",
             fiscal_year=2023, installment=1, amount=10_750, principal=10_000, demand_fee=0, late_charge=750,
             disposition_cost=0),
        item(3, "appropriation", claim_id=TAX_B.claim_id, amount=2_000, principal=2_000, demand_fee=0, late_charge=0,
             disposition_cost=0),
        item(4, "write_off", claim_id=TAX_B.claim_id, ground="地方税法15条の7第4項"),
        DepartmentFeedItem(feed_id=5, department="tax", kind="demand_notice", source_person_id="100234",
                           claim_id=TAX_B.claim_id, occurred_on=date(2025, 1, 21), reference="督促状 第7号"),
    ]
    file = own_file(items, own_renderer(Department.TAX), media_type="text/csv", file_name="feed-tax.csv")
    assert file.carried == (2, 3, 5)
    assert {(o.feed_id, o.kind): o.reason for o in file.omitted} == {
        (1, "central_payment"): f"central_payment: {OWN_FORMAT_GAPS['central_payment']}",
        (4, "write_off"): f"write_off: {OWN_FORMAT_GAPS['write_off']}"}
    parsed = tax_format.parse_export(file.content, file_name="feed-tax.csv",
                                     produced_at=lambda: datetime(2025, 1, 22, tzinfo=UTC))
    assert parsed.rejected == []
    payments = [a.message.payload for a in parsed.accepted if isinstance(a.message.payload, PaymentReceived)]
    assert [(p.payment_id, p.claim_id, p.amount) for p in payments] == [
        ("F2", TAX_A.claim_id, 10_750), ("F3", TAX_B.claim_id, 2_000)]
    assert sum(p.amount for p in payments) == 12_750  # the part, as its 充当 lines
    assert "F2" in file.content.decode("cp932") and "督促状 第7号" in file.content.decode("cp932")


def test_each_department_chooses_its_file_format_and_a_wrong_choice_is_refused_naming_the_setting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLECTION_FEED_FORMAT_WATER", "own")
    settings = CollectionSettings()
    assert [settings.feed_format(d.value) for d in Department] == [
        "own" if d is Department.WATER else "standard" for d in Department]
    monkeypatch.setenv("COLLECTION_FEED_FORMAT_TAX", "xml")
    with pytest.raises(ValidationError, match="feed_format_tax"):
        CollectionSettings()


def test_a_pledge_the_2026_layout_cannot_carry_says_where_its_schedule_is_and_2025_carries_it() -> None:
    pledge = DepartmentFeedItem(feed_id=21, department="tax", kind="installment_agreement", source_person_id="100234",
                                claim_id=TAX_B.claim_id, receivable_type="individual_inhabitant_tax", fiscal_year=2024,
                                installment=1, occurred_on=date(2025, 2, 3), reference="分納誓約書 第12号")
    new = standard_file([pledge], "tax")
    assert new.carried == () and "installment-plans" in new.omitted[0].reason
    old = standard_file([pledge], "tax", CURRENT_VERSION)
    assert old.omitted == () and [p.row["document"] for p in parse(old.content) if p.row] == ["分納誓約書 第12号"]


def test_a_central_plan_s_pledge_goes_back_with_the_claim_s_share_in_both_formats() -> None:
    """What of the plan settles this claim (本税 and 延滞金), in how many instalments from which first due date: a 31
    分納誓約 line of the 2026.04 layout, and a 分納 record of the tax system's own format read back by its parser."""
    pledge = DepartmentFeedItem(feed_id=22, department="tax", kind="installment_agreement", source_person_id="100234",
                                claim_id=TAX_A.claim_id, receivable_type="individual_inhabitant_tax", fiscal_year=2023,
                                installment=1, occurred_on=date(2025, 1, 31), reference="installment_pledge 6債管第12号",
                                amount=10_900, principal=10_000, late_charge=900, demand_fee=0, disposition_cost=0,
                                instalments=3, first_due_on=date(2025, 2, 28))
    file = standard_file([pledge], "tax")
    (row,) = [p.row for p in parse(file.content, INCOMING_VERSION)]
    assert (row["event"], row["principal"], row["late_charge"], row["instalments"], row["due_on"]) == (
        "31", 10_000, 900, 3, date(2025, 2, 28))
    own = own_file([pledge], own_renderer(Department.TAX), media_type="text/csv", file_name="feed-tax.csv")
    assert own.omitted == ()
    (accepted,) = tax_format.parse_export(own.content, file_name="feed-tax.csv",
                                          produced_at=lambda: datetime(2025, 2, 1, tzinfo=UTC)).accepted
    agreed = accepted.message.payload
    assert agreed.claim_ids == (TAX_A.claim_id,) and len(agreed.schedule) == 3  # type: ignore[attr-defined]
    assert sum(s.amount for s in agreed.schedule) == 10_900  # type: ignore[attr-defined]
    assert agreed.schedule[0].due_date == date(2025, 2, 28)  # type: ignore[attr-defined]


def test_what_a_file_leaves_out_is_named_in_a_bounded_header() -> None:
    """A department on its own format with many 不納欠損 pending: the header names the first ones with their reason
    (percent-encoded UTF-8, so it stays ASCII) and counts the rest, which the items list has."""
    write_offs = [DepartmentFeedItem(feed_id=100 + n, department="tax", kind="write_off", source_person_id="100234",
                                     claim_id=TAX_B.claim_id, occurred_on=date(2025, 1, 31), reference=f"欠損第{n}号",
                                     ground="地方税法18条1項") for n in range(60)]
    file = own_file(write_offs, own_renderer(Department.TAX), media_type="text/csv", file_name="feed-tax.csv")
    header = file.omitted_header()
    assert header.isascii() and header.endswith(", +10 more") and len(file.omitted) == 60
    first = header.split(", ")[0].split(" ")
    assert first[:2] == ["100", "write_off"] and unquote(first[2]) == f"write_off: {OWN_FORMAT_GAPS['write_off']}"


def test_a_record_the_format_model_refuses_is_named_by_field_never_by_value() -> None:
    """A 督促 item without its claim (a department's notice record must name one): omitted naming the field, and
    nothing of the item's values (the person's key) in the reason."""
    notice = DepartmentFeedItem(feed_id=31, department="tax", kind="demand_notice", source_person_id="100234",
                                occurred_on=date(2025, 1, 21), reference="督促状 第9号")
    file = own_file([notice], own_renderer(Department.TAX), media_type="text/csv", file_name="feed-tax.csv")
    (omitted,) = file.omitted
    assert omitted.reason.startswith("claim_id: ") and "100234" not in omitted.reason and "第9号" not in omitted.reason
