"""Blocking keys: under which keys a person record is found as a candidate for another. Pure.

A record is compared only with records sharing at least one key, so the keys decide recall as much as the
model does: each one survives a different kind of variation between departments (a missing birth date, a
married name, a move). Keys are hashed (BLAKE2b, 12 bytes): the table that holds them needs equality only.

Every record is stored under all its keys, but a record looks up the name-only key only when it has no birth
date (``candidate_keys``), and only when the name is rare (``NAMESAKE_LIMIT``): among a million residents a common
name is shared by hundreds, and a record with a birth date finds its matches through the keys that include it. The name-only look-up is what finds a resident
who moved and whose new department never recorded the birth date (a doubtful pair: review). A record with a
birth date that arrives *after* such a homonym does not look it up; what that misses is at most a review, since
a name agreeing without a birth date scores below the link threshold.

(Version 1 also had a key on the kana name and postal code. The quality benchmark showed it found no true match
the other keys missed, only false reviews, and in a big city each such key is shared by dozens: it is gone.
Rows stored under it are never looked up again.)
"""

from __future__ import annotations

import hashlib

from services.matching.normalise import NormalisedPerson


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


def candidate_keys(person: NormalisedPerson) -> list[tuple[bytes, int]]:
    """The keys a new record looks its candidates up by, each with the most records it may be shared by to count:
    all keys, except the name-only key of a record with a birth date."""
    return record_keys(person)[1]


def record_keys(person: NormalisedPerson) -> tuple[list[bytes], list[tuple[bytes, int]]]:
    """``blocking_keys`` and ``candidate_keys`` at once (each key hashed once)."""
    stored, looked_up = [], []
    for kind, key in _keys(person):
        hashed = _hash(key)
        stored.append(hashed)
        if person.birth_date is None or kind != "name":
            looked_up.append((hashed, NAMESAKE_LIMIT if kind == "name" else COMMON_KEY_LIMIT))
    return stored, looked_up


def _keys(person: NormalisedPerson) -> list[tuple[str, str]]:
    """(kind, key) pairs; the kind is the key's prefix."""
    born = person.birth_date.isoformat() if person.birth_date else None
    keys = []
    if person.name and born:
        keys.append(("name_born", f"name|born|{person.name}|{born}"))  # the usual case
    if person.name_kana and born:
        keys.append(("kana_born", f"kana|born|{person.name_kana}|{born}"))  # kanji differ (typo, unfolded variant)
    if person.given_name and born:
        keys.append(("given_born", f"given|born|{person.given_name}|{born}"))  # surname changed by marriage
    if person.name and person.address_block:
        keys.append(("name_block", f"name|block|{person.name}|{person.address_block}"))  # no birth date recorded
    if person.phone:
        keys.append(("phone", f"phone|{person.phone}"))
    if person.name:
        keys.append(("name", f"name|{person.name}"))  # the last resort of a record with neither birth date nor address
    return keys
