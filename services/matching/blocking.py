"""Blocking keys: under which keys a person record is found as a candidate for another. Pure.

A record is compared only with records sharing at least one key, so the keys decide recall as much as the
model does: each one survives a different kind of variation between departments, and a true pair is lost only
when every key of it is broken at once. Keys are hashed (BLAKE2b, 12 bytes): the table that holds them needs
equality only.

- the birth date with the full name, with the surname (its reading folded phonetically, and its kanji or Latin
  form), and with the given name (likewise): a typo in one part, a married name, kana written two ways;
- the birth date alone, while it is selective (``BORN_LIMIT`` records share it): a typo in both name parts;
- the postal code with the house number, and the name with the town and 丁目: a typo in the birth date, or none
  recorded; for an address in Latin script (Western format), the postal code with the street's first
  letters while few records share it: typos in the birth date, both names and the house number at once;
- the phone, the resident register's 宛名番号, the 法人番号: whatever else differs;
- the full name alone, while it is rare (``NAMESAKE_LIMIT``): a record with neither birth date nor address;
  looked up in both orders of its parts (given name first in one system), stored in one.

Each key has a cap: a key shared by more records than its limit identifies nobody (a common birth date, a
block of flats), so its records are not candidates through it. ``tools/benchmarks/matching.py`` measures what the
keys keep (pair completeness) and cost (candidates per record).
"""

from __future__ import annotations

import hashlib
import re

from services.matching.normalise import NormalisedPerson, phonetic_kana

_LATIN_STREET = re.compile(r"^[\d-]*([a-z][^\d]{2,})")  # 10longerenongstreet…, mackenziestreet…


def _hash(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=12).digest()


def blocking_keys(person: NormalisedPerson) -> list[bytes]:
    """The keys a record is stored under."""
    return [_hash(key) for _, key in _keys(person)]


#: A key shared by more records than this identifies nobody: its records are not candidates at all.
COMMON_KEY_LIMIT = 200
#: The name-only key identifies nobody once this many namesakes share it (a review against one of a hundred
#: namesakes would be a guess): only a rare name makes its bearers candidates.
NAMESAKE_LIMIT = 20
#: A birth date alone is looked up while no more records than this share it (about 30 per day of birth in a city
#: of a million; far fewer in a small town).
BORN_LIMIT = 60
#: Records at one postal code and house number: a block of flats beyond this is not selective.
HOUSE_LIMIT = 60
#: Records at one postal code and street: a street or a town beyond this is not selective.
STREET_LIMIT = 20

_LIMITS = {"name": NAMESAKE_LIMIT, "born": BORN_LIMIT, "postal_house": HOUSE_LIMIT, "street": STREET_LIMIT}


def candidate_keys(person: NormalisedPerson) -> list[tuple[bytes, int]]:
    """The keys a new record looks its candidates up by, each with the most records it may be shared by to count."""
    return record_keys(person)[1]


def record_keys(person: NormalisedPerson) -> tuple[list[bytes], list[tuple[bytes, int]]]:
    """``blocking_keys`` and ``candidate_keys`` at once (each key hashed once)."""
    stored, looked_up = [], []
    for kind, key in _keys(person):
        hashed = _hash(key)
        stored.append(hashed)
        looked_up.append((hashed, _LIMITS.get(kind, COMMON_KEY_LIMIT)))
    if person.surname and person.given_name and person.name == person.surname + person.given_name:
        # the parts crossed (given name first, as Latin names are often written): looked up, never stored, so
        # it finds the other order's rare-name key and the keys of records stored before it existed
        looked_up.append((_hash(f"name|{person.given_name}{person.surname}"), NAMESAKE_LIMIT))
    return stored, looked_up


def _street_and_house(address: str, house: str) -> str:
    """The address up to its house number (Japanese order), or the number and the street's first letters."""
    at = address.index(house)
    if at > 0:
        return address[: at + len(house)]
    return address[: len(house) + 5]


#: Letters of a street name that make its key (a typo further on, a building or district added, still match).
STREET_LETTERS = 8


def _latin_street(address: str) -> str | None:
    """The first letters of the street of an address in Latin script, after its number if it starts with one
    (10longerenongstreet → longeren), as Western-format records are written, where a postal code covers a whole
    suburb. None for a Japanese address: its postal code already names the town, so a key of the two would add
    candidates and no selectivity."""
    match = _LATIN_STREET.match(address)
    return match[1][:STREET_LETTERS] if match else None


def _keys(person: NormalisedPerson) -> list[tuple[str, str]]:
    """(kind, key) pairs; the kind is the key's prefix. Duplicates (a kana-only name) are dropped."""
    born = person.birth_date.isoformat() if person.birth_date else None
    surname_reading = phonetic_kana(person.kana_surname) if person.kana_surname else None
    given_reading = phonetic_kana(person.given_kana) if person.given_kana else None
    keys: list[tuple[str, str]] = []
    if born:
        if person.name:
            keys.append(("name_born", f"name|born|{person.name}|{born}"))  # the usual case
        if person.name_kana:
            keys.append(("kana_born", f"kana|born|{phonetic_kana(person.name_kana)}|{born}"))  # kanji differ
        if surname_reading:
            keys.append(("surname_kana_born", f"skana|born|{surname_reading}|{born}"))  # a typo in the given name
        if person.surname:
            keys.append(("surname_born", f"surname|born|{person.surname}|{born}"))
        if given_reading:
            keys.append(("given_kana_born", f"gkana|born|{given_reading}|{born}"))  # surname changed by marriage
        if person.given_name:
            keys.append(("given_born", f"given|born|{person.given_name}|{born}"))
        keys.append(("born", f"born|{born}"))  # a typo in both names: while selective
    if person.postal_code and person.house_number:
        keys.append(("postal_house", f"postal|house|{person.postal_code}|{person.house_number}"))
    if person.address and person.house_number:  # the street and house (西町3-60-5; 7 wallab…): a postal typo
        keys.append(("postal_house", f"house|{_street_and_house(person.address, person.house_number)}"))
    if person.postal_code and person.address and (street := _latin_street(person.address)):
        keys.append(("street", f"postal|street|{person.postal_code}|{street}"))  # typos in birth, names, number
    if person.postal_code:  # a typo in the birth date and the house number: the postal area and one name part
        for part in (person.surname or surname_reading, person.given_name or given_reading):
            if part:
                keys.append(("postal_house", f"postal|part|{person.postal_code}|{part}"))
    if person.name and person.address_block:
        keys.append(("name_block", f"name|block|{person.name}|{person.address_block}"))  # no birth date recorded
    if person.phone:
        keys.append(("phone", f"phone|{person.phone}"))
    if person.register_number:
        keys.append(("register", f"register|{person.register_number}"))
    if person.corporate_number:
        keys.append(("corporate", f"corporate|{person.corporate_number}"))
    if person.name:
        keys.append(("name", f"name|{person.name}"))  # a record with neither birth date nor address
    elif person.name_kana:
        keys.append(("name", f"kana|{phonetic_kana(person.name_kana)}"))
    return list(dict.fromkeys(keys))
