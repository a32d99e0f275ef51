"""Key spaces (識別子の名前空間): whose numbering a source id belongs to, so two vendors of one department coexist.

A source id (宛名番号, 通知書番号, 収納番号 …) means something only in the system that numbered it. Every source
system of contracts/sources.py numbers in its own **key space**, named by its row's ``code``:

- A department's **primary** source is the row whose code is the department's value (``tax``, ``water`` …). Its
  ids are stored, sent and shown as they are: ``W000123``. Everything stored before key spaces existed is in the
  primary key space, so nothing was re-keyed and no table changed.
- The standard link (``standard_link``, department None) numbers in the department's primary key space: its
  people are the resident register's 宛名番号 and its claims the department's 通知書番号, the ids the department's
  own system used, so a department moving to the standard link keeps its claims.
- Any other source of a department (a second water utility: ``water_east``) qualifies its ids with its code:
  ``water_east:W000123``. The adapter does it (shared/ingest/records.py, ``ExportBuilder``) once, for every field
  that holds a source key (``SOURCE_KEY_FIELDS``), before the message is published; matching and collection then
  key a person by (department, qualified person id) and a claim by (department, qualified claim id), so the two
  vendors' ``W000123`` are two people and two claims, and a payment of one names the other's claim never.

What a department's system reads back (feeds, reconciliation, look-ups) is in its own key space with its own ids:
``own_key`` strips the qualifier of the key space asked for and ``in_key_space`` tells the rest apart. A primary
source's id that looks qualified (``lower_case_code:…``) is refused at the adapter (``looks_qualified``), so a key
is never ambiguous.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from contracts.enums import Department
from contracts.messages import Payload

P = TypeVar("P", bound=Payload)

SEPARATOR = ":"
#: A key space's name: a registry code (lower-case letters, digits, underscores; starts with a letter).
KEY_SPACE_PATTERN = r"[a-z][a-z0-9_]{0,31}"
_KEY_SPACE = re.compile(KEY_SPACE_PATTERN)
_QUALIFIED = re.compile(rf"({KEY_SPACE_PATTERN}){SEPARATOR}(.+)", re.DOTALL)

#: Every payload field (at any depth: ``person``, ``related_persons[].person``) that holds a source system's key.
SOURCE_KEY_FIELDS = frozenset({
    "source_person_id", "claim_id", "claim_ids", "payment_id", "agreement_id", "application_id", "contract_id",
    "notice_id", "record_id", "refund_id", "appropriated_to", "succession_id",
})


class KeySpaceError(ValueError):
    """A key space that is no registry code, or one that is not the department's."""


def department_value(department: Department | str) -> str:
    return department.value if isinstance(department, Department) else department


def check_key_space(key_space: str) -> str:
    if not _KEY_SPACE.fullmatch(key_space):
        raise KeySpaceError(f"source {key_space!r}: a key space is a source system's code (lower-case letters, "
                            "digits and underscores, e.g. water_east)")
    return key_space


def is_primary(key_space: str | None, department: Department | str) -> bool:
    """The department's own key space (its primary source's, and the standard link's for its lines)."""
    return key_space is None or key_space == department_value(department)


def qualify(key_space: str | None, department: Department | str, source_id: str) -> str:
    """The id as the platform stores it: unchanged in the department's primary key space, else ``code:id``."""
    if is_primary(key_space, department):
        return source_id
    return f"{check_key_space(key_space)}{SEPARATOR}{source_id}"  # type: ignore[arg-type]


def split_key(department: Department | str, stored_id: str) -> tuple[str, str]:
    """(key space, the source system's own id) of a stored id: ``water_east:W1`` → (``water_east``, ``W1``),
    ``W1`` → (``water``, ``W1``)."""
    found = _QUALIFIED.fullmatch(stored_id)
    if found and found.group(1) != department_value(department):
        return found.group(1), found.group(2)
    return department_value(department), stored_id


def in_key_space(key_space: str | None, department: Department | str, stored_id: str | None) -> bool:
    """Whether a stored id was numbered in that key space (None: the department's primary one)."""
    if stored_id is None:
        return True  # nothing to tell it by (a payment naming no claim): the person id decides
    space = department_value(department) if key_space is None else key_space
    return split_key(department, stored_id)[0] == space


def own_key(department: Department | str, stored_id: str) -> str:
    """The id as its source system wrote it (what goes back to that system)."""
    return split_key(department, stored_id)[1]


def looks_qualified(source_id: str) -> bool:
    """An id of the form ``code:…``: a primary source may not send one (it would read as another key space's)."""
    return _QUALIFIED.fullmatch(source_id) is not None


def _map_keys(value: Any, change: Any) -> Any:
    if isinstance(value, dict):
        return {k: (_map_keys_of_field(v, change) if k in SOURCE_KEY_FIELDS else _map_keys(v, change))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_map_keys(v, change) for v in value]
    return value


def _map_keys_of_field(value: Any, change: Any) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list | tuple):
        return [change(v) if isinstance(v, str) else v for v in value]
    return value


def in_own_keys(payload: P, department: Department | str) -> P:
    """The payload with every source key as its source system wrote it (what goes back to that system)."""
    data = _map_keys(payload.model_dump(mode="json"), lambda stored_id: own_key(department, stored_id))
    return type(payload).model_validate(data)


def stored_prefix(key_space: str | None, department: Department | str) -> str | None:
    """What every stored id of a second vendor's key space begins with (``water_east:``); None for the primary."""
    return None if is_primary(key_space, department) else f"{check_key_space(key_space)}{SEPARATOR}"  # type: ignore[arg-type]


#: A PostgreSQL regular expression matching every stored id of a second vendor (never a primary one).
QUALIFIED_SQL_PATTERN = f"^{KEY_SPACE_PATTERN}{SEPARATOR}"


def source_keys_of(payload: Payload) -> list[tuple[str, str]]:
    """(field, id) of every source key a payload holds, for checks that must see them all."""
    found: list[tuple[str, str]] = []

    def collect(field: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                collect(k, v)
        elif isinstance(value, list | tuple):
            for v in value:
                collect(field, v)
        elif isinstance(value, str) and field in SOURCE_KEY_FIELDS:
            found.append((field, value))

    collect("", payload.model_dump(mode="json"))
    return found


def qualified_fields(payload: Payload, key_space: str | None, department: Department | str) -> dict[str, Any]:
    """The payload's fields (JSON-ready) with every source key qualified for ``key_space``: validate them with the
    payload's class to get the stored form (a qualified id longer than a key may be is refused there, by field)."""
    data = payload.model_dump(mode="json")
    if is_primary(key_space, department):
        return data
    return _map_keys(data, lambda source_id: qualify(key_space, department, source_id))  # type: ignore[no-any-return]
