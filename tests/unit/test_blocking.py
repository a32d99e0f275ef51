"""Blocking keys (services/matching/blocking.py): which pairs they put in front of the scorer, and what they leave
out on purpose. The figures (pair completeness, candidates per record) are printed by tools/benchmarks/matching."""

from __future__ import annotations

from datetime import date

from contracts import PersonReference
from services.matching.blocking import _latin_street, record_keys
from services.matching.normalise import normalise_person


def found(a: PersonReference, b: PersonReference) -> bool:
    """Whether b, arriving after a, finds a among its candidates (through any key, caps aside)."""
    stored = set(record_keys(normalise_person(a))[0])
    return bool(stored & {key for key, _ in record_keys(normalise_person(b))[1]})


def test_a_western_address_finds_a_pair_with_typos_in_birth_date_both_names_and_house_number() -> None:
    before = PersonReference(source_person_id="1", name_kanji="mcgirr tabitha", birth_date=date(1922, 11, 20),
                             postal_code="4218", address="10 longerenong street berkeley vlge barmera act")
    after = PersonReference(source_person_id="2", name_kanji="mcgrr tabktha", birth_date=date(1922, 11, 2),
                            postal_code="4218", address="2 longerenong street barmera act")
    assert found(before, after) and found(after, before)


def test_the_street_key_needs_the_same_postal_code_and_street() -> None:
    before = PersonReference(source_person_id="1", name_kanji="mcgirr tabitha", birth_date=date(1922, 11, 20),
                             postal_code="4218", address="10 longerenong street barmera act")
    elsewhere = PersonReference(source_person_id="2", name_kanji="mcgrr tabktha", birth_date=date(1922, 11, 2),
                                postal_code="4281", address="2 longerenong street barmera act")
    other_street = PersonReference(source_person_id="3", name_kanji="mcgrr tabktha", birth_date=date(1922, 11, 2),
                                   postal_code="4218", address="2 kookaburra street barmera act")
    assert not found(before, elsewhere) and not found(before, other_street)


def test_the_street_key_reads_latin_addresses_only() -> None:
    """A Japanese postal code already names the town (西町 of 西町3-60-5): a key of the two would add candidates
    and no selectivity, so Japanese addresses have none."""
    assert _latin_street("10longerenongstreetbarmeraact") == "longeren"
    assert _latin_street("mackenziestreetparraweena") == "mackenzi"
    assert _latin_street("西町3-60-5ハイツ豊田101") is None
    assert _latin_street("3-60-5") is None


def test_a_rare_name_written_given_name_first_is_found_whatever_else_differs() -> None:
    before = PersonReference(source_person_id="1", name_kanji="willing samara", birth_date=date(1927, 2, 4),
                             postal_code="3756", address="12 wattle road kew vic")
    after = PersonReference(source_person_id="2", name_kanji="samara willing", birth_date=date(1960, 8, 28),
                            postal_code="3765", address="40 banksia avenue hawthorn vic")
    assert found(before, after) and found(after, before)
    someone_else = PersonReference(source_person_id="3", name_kanji="samara wiling", birth_date=date(1960, 8, 28),
                                   postal_code="3765", address="40 banksia avenue hawthorn vic")
    assert not found(before, someone_else)  # only the exact name in the other order, not any resemblance
    crossed = normalise_person(after)
    assert len(record_keys(crossed)[1]) == len(record_keys(crossed)[0]) + 1  # looked up by it, never stored under it
