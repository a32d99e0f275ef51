"""Distinct residents for end-to-end tests that share one running system.

Tests tell their residents apart by a random tag in the name. A name suffix alone is not enough: the matcher
rightly treats two records with one birth date, one phone and one postal code and a similar name as one person
(a twin or a typo), so residents of different tests would merge. Derive the birth date and phone from the tag too.
"""

from __future__ import annotations

from datetime import date


def birth_date_for(tag: str, decade: int = 1960) -> date:
    """A birth date in ``decade``'s ten years drawn from the tag (3,650 choices)."""
    number = int(tag, 16)
    return date(decade + number % 10, number // 10 % 12 + 1, number // 120 % 28 + 1)


def phone_for(tag: str) -> str:
    """A Toyota City landline drawn from the tag."""
    return f"0565-{int(tag, 16) // 7 % 90 + 10:02d}-{int(tag, 16) % 10_000:04d}"
