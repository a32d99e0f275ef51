"""Key spaces (contracts/keys.py): a second vendor of a department (water_east) publishes its ids qualified with
its code, so they never meet the primary source's equal ids; the primary source's and the standard link's ids stay
as they are; what goes back to a vendor is in its own ids."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import ClaimAssessed, Department, DepartmentFeedItem, PaymentReceived, PersonReference
from contracts.keys import (
    KeySpaceError,
    in_key_space,
    in_own_keys,
    is_primary,
    looks_qualified,
    own_key,
    qualify,
    split_key,
)
from contracts.sources import key_space_of, key_space_of_sender
from tests.two_vendors import EAST_CODE, EAST_SYSTEM, bill_and_payment, parse_east, parse_primary

TAKAHASHI = PersonReference(source_person_id="x", name_kanji="髙橋 一郎", name_kana="ﾀｶﾊｼ ｲﾁﾛｳ",
                            birth_date=date(1975, 4, 1), address="愛知県豊田市西町3丁目60番地")
SATO = PersonReference(source_person_id="x", name_kanji="佐藤 花子", name_kana="サトウ ハナコ",
                       birth_date=date(1982, 11, 3), address="愛知県豊田市東町1丁目2番地")


def test_the_primary_key_space_keeps_its_ids_and_a_second_vendors_are_qualified() -> None:
    assert qualify(None, Department.WATER, "C0001") == qualify("water", "water", "C0001") == "C0001"
    assert qualify(EAST_CODE, Department.WATER, "C0001") == "water_east:C0001"
    assert split_key(Department.WATER, "water_east:C0001") == ("water_east", "C0001")
    assert split_key(Department.WATER, "C0001") == ("water", "C0001")
    assert own_key("water", "water_east:2024-water_supply_charge-S1-C1-01") == "2024-water_supply_charge-S1-C1-01"
    assert in_key_space(EAST_CODE, "water", "water_east:C1") and not in_key_space(None, "water", "water_east:C1")
    assert in_key_space(None, "water", "C1") and not in_key_space(EAST_CODE, "water", "C1")
    assert is_primary(None, Department.TAX) and is_primary("tax", Department.TAX) and not is_primary(EAST_CODE, "water")
    with pytest.raises(KeySpaceError, match="a key space is a source system's code"):
        qualify("Water East", Department.WATER, "C1")


def test_the_key_space_of_a_message_comes_from_its_source_system() -> None:
    assert key_space_of("water-billing", Department.WATER) == "water"
    assert key_space_of("standard-link", Department.WATER) == "water"  # it takes over the department's keys
    assert key_space_of("standard-link", Department.TAX) == "tax"
    assert key_space_of("some-older-system", Department.TAX) == "tax"  # unknown: the department's own, as before


def test_two_vendors_numbering_from_the_same_start_publish_different_keys() -> None:
    """The same customer number, 水栓番号 and 入金番号 in both water systems: two people, two claims, two payments,
    and the second vendor's payment names its own claim."""
    same_ids = ("C000123", "S000045", "N000001")
    primary = parse_primary(bill_and_payment(*same_ids, TAKAHASHI, amount=3300, paid=3300), file_name="w.csv")
    east = parse_east(bill_and_payment(*same_ids, SATO, amount=5500, paid=1000), file_name="e.csv")
    assert not primary.rejected and not east.rejected
    (bill, payment), (east_bill, east_payment) = ([a.message for a in p.accepted] for p in (primary, east))
    assert isinstance(east_bill.payload, ClaimAssessed) and isinstance(east_payment.payload, PaymentReceived)
    assert bill.payload.claim_id == "2024-water_supply_charge-S000045-C000123-01"  # type: ignore[attr-defined]
    assert east_bill.payload.claim_id == "water_east:2024-water_supply_charge-S000045-C000123-01"
    assert east_bill.payload.person.source_person_id == "water_east:C000123"
    assert east_bill.payload.person.name_kanji == "佐藤 花子"  # only keys change
    assert (east_payment.payload.payment_id, east_payment.payload.claim_id) == (
        "water_east:N000001", east_bill.payload.claim_id)
    assert payment.payload.payment_id == "N000001"  # type: ignore[attr-defined]
    assert (bill.source_system, east_bill.source_system) == ("water-billing", EAST_SYSTEM)
    assert bill.department is east_bill.department is Department.WATER
    assert {m.message_id for m in (bill, payment)}.isdisjoint({m.message_id for m in (east_bill, east_payment)})
    # Kafka keys: one person's events together, the two vendors' customers apart
    assert [a.key for a in primary.accepted] == ["water:C000123"] * 2
    assert [a.key for a in east.accepted] == ["water:water_east:C000123"] * 2


def test_a_primary_id_that_reads_as_another_key_space_is_refused_naming_its_column() -> None:
    parsed = parse_primary(bill_and_payment("water_east:C1", "S1", "N1", TAKAHASHI, amount=100, paid=100),
                           file_name="w.csv")
    assert not parsed.accepted
    assert {(r.line, p.field) for r in parsed.rejected for p in r.problems} == {(1, "お客様番号"), (2, "お客様番号")}
    assert all("another source system's key space" in p.reason for r in parsed.rejected for p in r.problems)
    assert "髙橋" not in repr(parsed.rejected[0].problems)
    # an id with a colon that is no key space's name (upper case first) is an ordinary id
    assert not looks_qualified("C:0001") and looks_qualified("water_east:1")
    assert not parse_primary(bill_and_payment("C:0001", "S1", "N1", TAKAHASHI, amount=100, paid=100),
                             file_name="w.csv").rejected


def test_a_qualified_id_longer_than_a_key_may_be_is_refused_naming_its_column() -> None:
    customer = "C" * 40  # the claim id: 71 characters, 82 with "water_east:", over the 80 of a source key
    assert not parse_primary(bill_and_payment(customer, "S1", "N1", SATO, amount=100, paid=100),
                             file_name="w.csv").rejected
    parsed = parse_east(bill_and_payment(customer, "S1", "N1", SATO, amount=100, paid=100), file_name="e.csv")
    assert not parsed.accepted
    assert {(r.line, p.field, p.reason) for r in parsed.rejected for p in r.problems} == {
        (1, "水栓番号", "String should have at most 80 characters"),
        (2, "水栓番号", "String should have at most 80 characters")}


def test_a_feed_item_goes_back_in_the_vendors_own_ids() -> None:
    item = DepartmentFeedItem(feed_id=7, department="water", kind="central_payment",
                              source_person_id="water_east:C000123",
                              claim_id="water_east:2024-water_supply_charge-S000045-C000123-01",
                              occurred_on=date(2025, 1, 31), amount=1000, reference="water_east:N000001")
    own = in_own_keys(item, Department.WATER)
    assert (own.source_person_id, own.claim_id) == ("C000123", "2024-water_supply_charge-S000045-C000123-01")
    assert own.reference == "water_east:N000001"  # the central division's own number is no source key
    assert in_own_keys(own, Department.WATER) == own  # the primary's items are unchanged


def test_a_known_systems_credential_reads_only_its_own_key_space() -> None:
    """Feeds and reconciliation: the registry row of the credential's system id decides whose items it reads."""
    assert key_space_of_sender("water-billing", Department.WATER, None) is None  # the primary system
    assert key_space_of_sender("standard-link", Department.WATER, None) is None  # the department's keys
    with pytest.raises(KeySpaceError, match="credential of water-billing reads and states only its own key space"):
        key_space_of_sender("water-billing", Department.WATER, EAST_CODE)
    assert key_space_of_sender("water-billing", Department.WATER, "water") is None
    # a system id the registry does not know (as minted with --system) reads the key space it names
    assert key_space_of_sender("east-utility-server-1", Department.WATER, EAST_CODE) == EAST_CODE
    assert key_space_of_sender("east-utility-server-1", Department.WATER, None) is None
