"""Distinct residents for end-to-end tests that share one running system.

Tests tell their residents apart by a random tag in the name. A name suffix alone is not enough: the matcher
rightly treats two records with one birth date, one phone and one postal code and a similar given name as one
person, so residents of different tests could merge (about one pair of random tags in 3,000). Derive the birth
date and the phone from the tag too.
"""

from __future__ import annotations

import hashlib
from datetime import date


def _number(tag: str) -> int:
    return int.from_bytes(hashlib.blake2b(tag.encode(), digest_size=8).digest(), "big")


def birth_date_for(tag: str, decade: int = 1960) -> date:
    """A birth date in ``decade``'s ten years drawn from the tag (3,360 choices)."""
    number = _number(tag)
    return date(decade + number % 10, number // 10 % 12 + 1, number // 120 % 28 + 1)


def phone_for(tag: str) -> str:
    """A Toyota City landline drawn from the tag."""
    number = _number(tag)
    return f"0565-{number // 10_000 % 90 + 10:02d}-{number % 10_000:04d}"
