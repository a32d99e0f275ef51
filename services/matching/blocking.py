"""Blocking keys: under which keys a person record is found as a candidate for another. Pure.

A record is compared only with records sharing at least one key, so the keys decide recall as much as the
model does: each one survives a different kind of variation between departments (a missing birth date, a
married name, a move). Keys are hashed (BLAKE2b, 12 bytes): the table that holds them needs equality only.
"""

from __future__ import annotations

import hashlib

from services.matching.normalise import NormalisedPerson


def blocking_keys(person: NormalisedPerson) -> list[bytes]:
    born = person.birth_date.isoformat() if person.birth_date else None
    keys = []
    if person.name and born:
        keys.append(f"name|born|{person.name}|{born}")  # the usual case
    if person.name_kana and born:
        keys.append(f"kana|born|{person.name_kana}|{born}")  # kanji differ (typo, unfolded variant)
    if person.given_name and born:
        keys.append(f"given|born|{person.given_name}|{born}")  # surname changed by marriage
    if person.name and person.address_block:
        keys.append(f"name|block|{person.name}|{person.address_block}")  # no birth date recorded
    if person.name_kana and person.postal_code:
        keys.append(f"kana|postal|{person.name_kana}|{person.postal_code}")
    if person.phone:
        keys.append(f"phone|{person.phone}")
    if person.name:
        keys.append(f"name|{person.name}")  # the last resort of a record with neither birth date nor address
    return [hashlib.blake2b(key.encode(), digest_size=12).digest() for key in keys]
