"""送付先 (services/collection/mailing.py): the departments' addresses told apart, and one copied for the notices."""

from __future__ import annotations

import pytest

from services.collection.mailing import from_department, recorded_addresses

TAX = {"name_kanji": "髙橋 一郎", "postal_code": "471-0025", "address": "愛知県豊田市西町三丁目60番地5"}
WATER_SAME = {"name_kanji": "高橋一郎", "postal_code": "4710025", "address": "愛知県豊田市西町三丁目６０番地５"}
HOUSING_MOVED = {"name_kanji": "髙橋 一郎", "postal_code": "471-0034", "address": "愛知県豊田市小坂本町一丁目5番地"}


def test_the_same_address_in_another_width_or_spacing_is_one_address_with_both_departments() -> None:
    found = recorded_addresses([("tax", TAX), ("water", WATER_SAME), ("housing", HOUSING_MOVED)])
    assert [a.departments for a in found] == [("tax", "water"), ("housing",)]
    assert found[0].address == TAX["address"] and found[1].postal_code == "471-0034"


def test_a_record_without_a_postal_code_or_an_address_is_no_address() -> None:
    assert recorded_addresses([("water", {"name_kanji": "高橋一郎", "address": "西町"}),
                               ("tax", {"name_kanji": "高橋一郎", "postal_code": "471-0025"})]) == []


def test_copying_a_departments_record_names_its_source() -> None:
    chosen = from_department([("tax", TAX), ("housing", HOUSING_MOVED)], "housing")
    assert chosen == {"name": "髙橋 一郎", "postal_code": "471-0034", "address": HOUSING_MOVED["address"],
                      "source": "department:housing"}


def test_a_department_without_an_address_cannot_be_copied() -> None:
    with pytest.raises(ValueError, match="from_department: water"):
        from_department([("tax", TAX), ("water", {"name_kanji": "高橋一郎"})], "water")
