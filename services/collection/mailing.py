"""送付先 (where letters to a debtor go): the addresses the departments recorded, and the one staff choose. Pure.

Each department sends the debtor as it knows them, and the addresses differ (a move one department has not
seen, a 住民票 address and a 居所). Without a choice a notice goes to the address its claim's department last sent,
so two letters of one day could go to two places; once staff choose a 送付先, every notice to the debtor uses it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedAddress:
    """One address as departments recorded it, with the departments that did."""

    name: str | None
    postal_code: str
    address: str
    departments: tuple[str, ...]


def _same(text: str) -> str:
    """The comparison form: width and spacing do not make another address."""
    return "".join(unicodedata.normalize("NFKC", text).split()).replace("-", "").replace("−", "")


def recorded_addresses(persons: Iterable[tuple[str, Mapping[str, Any]]]) -> list[RecordedAddress]:
    """The distinct addresses in the departments' records (department, person), in the order first seen; the same
    address written in another width or spacing counts once."""
    found: dict[tuple[str, str], RecordedAddress] = {}
    for department, person in persons:
        address, postal = person.get("address"), person.get("postal_code")
        if not address or not postal:
            continue
        key = (_same(postal), _same(address))
        known = found.get(key)
        if known is None:
            found[key] = RecordedAddress(person.get("name_kanji"), postal, address, (department,))
        elif department not in known.departments:
            found[key] = RecordedAddress(known.name, known.postal_code, known.address,
                                         (*known.departments, department))
    return list(found.values())


def from_department(persons: Iterable[tuple[str, Mapping[str, Any]]], department: str) -> dict[str, str]:
    """The 送付先 copied from one department's record; ValueError naming the field when it has no address."""
    for dept, person in persons:
        if dept == department and person.get("address") and person.get("postal_code") and person.get("name_kanji"):
            return {"name": person["name_kanji"], "postal_code": person["postal_code"], "address": person["address"],
                    "source": f"department:{department}"}
    raise ValueError(f"from_department: {department} has sent no name, postal code and address for this debtor")

