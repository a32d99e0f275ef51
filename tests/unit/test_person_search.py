"""Person search terms (services/matching/person_search.py): what an officer types is folded as matching folds what
departments send, so 高橋 finds 髙橋, ﾀｶﾊｼ finds タカハシ and 昭和50年4月1日 finds 1975-04-01."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import PersonReference
from services.matching.normalise import normalise_person
from services.matching.person_search import SearchError, is_reading, like_prefix, search_terms

RECORDED = normalise_person(PersonReference(
    source_person_id="1", name_kanji="髙橋　一郎", name_kana="ﾀｶﾊｼ ｲﾁﾛｳ", birth_date=date(1975, 4, 1),
    address="愛知県豊田市西町三丁目60番地5", postal_code="471-0001", phone="0565-31-1212",
    resident_register_number="000123"))


@pytest.mark.parametrize("typed", ["高橋", "髙橋", "高橋 一郎", "高橋一郎", "高橋　一郎様", "高橋 一郎 様"])
def test_a_name_in_kanji_finds_the_recorded_name_by_its_beginning(typed: str) -> None:
    terms = search_terms(name=typed)
    assert terms.kana is None and terms.name is not None and RECORDED.name.startswith(terms.name)


def test_a_given_name_alone_is_searched_in_full() -> None:
    assert search_terms(name="一郎").name == RECORDED.given_name


@pytest.mark.parametrize("typed", ["タカハシ", "ﾀｶﾊｼ", "たかはし", "タカハシ イチロウ", "ﾀｶﾊｼ　ｲﾁﾛｳ"])
def test_a_reading_in_kana_of_any_width_or_hiragana(typed: str) -> None:
    terms = search_terms(name=typed)
    assert terms.name is None and terms.kana is not None and RECORDED.name_kana.startswith(terms.kana)


def test_a_latin_name_is_case_folded() -> None:
    smith = normalise_person(PersonReference(source_person_id="2", name_kanji="SMITH John"))
    assert smith.name is not None and smith.name.startswith(search_terms(name="Smith").name or "-")


@pytest.mark.parametrize("typed", ["昭和50年4月1日", "S50.4.1", "1975-04-01", "１９７５－０４－０１"])
def test_birth_dates_in_any_era_or_width(typed: str) -> None:
    assert search_terms(birth_date=typed).birth_date == RECORDED.birth_date


def test_phone_postal_code_register_number_and_address_fold_like_the_records() -> None:
    terms = search_terms(phone="0565(31)1212", postal_code="〒471-0001", register_number="000-123",
                         address="豊田市西町3-60")
    assert terms.phone == RECORDED.phone and terms.postal_code == RECORDED.postal_code
    assert terms.register_number == RECORDED.register_number
    assert terms.address is not None and RECORDED.address.startswith(terms.address)


@pytest.mark.parametrize(("fields", "field"), [
    ({"birth_date": "昭和99年1月1日"}, "birth_date"),
    ({"birth_date": "yesterday"}, "birth_date"),
    ({"phone": "123"}, "phone"),
    ({"postal_code": "12"}, "postal_code"),
    ({"name": "様"}, "name"),
    ({"source_person_id": "T1"}, "source_person_id"),
])
def test_what_cannot_be_read_is_refused_naming_the_field_not_the_value(fields: dict[str, str], field: str) -> None:
    with pytest.raises(SearchError) as caught:
        search_terms(**fields)
    assert caught.value.field == field
    assert all(value not in str(caught.value) for value in fields.values())


def test_nothing_typed_is_an_empty_search() -> None:
    assert search_terms().empty and search_terms(name="  ", phone="").empty
    assert not search_terms(department="tax").empty


def test_like_patterns_take_percent_and_underscore_literally() -> None:
    assert like_prefix("50%_off\\") == "50\\%\\_off\\\\%"


def test_readings_are_told_from_names() -> None:
    assert is_reading("タカハシ") and is_reading("ﾀｶﾊｼ ｲﾁﾛｳ") and is_reading("たかはし・いちろう")
    assert not is_reading("高橋") and not is_reading("Smith") and not is_reading("高橋タカハシ")
