"""Person search (人物検索) for staff: what an officer types, folded the way matching folds what departments send.

An officer looking for 髙橋 types 高橋; another types ﾀｶﾊｼ or たかはし; a birth date comes as 昭和50年4月1日 or
1975-04-01; a phone with or without hyphens. ``search_terms`` turns those into the normalised values that
``person_records.normalised`` holds (services/matching/normalise.py), so the search is as tolerant of 異体字, width
and spelling as matching itself, and ``directory.search_people`` looks them up. Pure functions, no I/O.

A name is searched by its beginning (高橋 finds 高橋一郎), a given name alone in full (一郎 finds 高橋 一郎); a reading
(kana or hiragana) likewise; an address by its beginning once normalised (西町3 finds 西町三丁目60番地5). Every
other field must be equal. At least one field is needed: an empty search lists nobody.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from services.matching.normalise import (
    normalise_address,
    normalise_kana,
    normalise_name,
    normalise_phone,
    normalise_postal_code,
    normalise_register_number,
)
from shared.japanese_dates import DateFormatError, parse_japanese_date

#: Kana of either width, hiragana, the long-vowel mark, middle dots and spaces: text typed as a reading.
_READING = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb\uff66-\uff9f\s・･ー゛゜]+$")
#: Characters with a meaning in LIKE, escaped so that a name is matched as typed.
_LIKE_SPECIAL = re.compile(r"([\\%_])")


class SearchError(ValueError):
    """A search field that cannot be read: names the field and says why (never echoes the value)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """The folded values to look up; None where the officer gave nothing."""

    name: str | None = None  # normalise_name of a name in kanji or Latin letters
    kana: str | None = None  # normalise_kana of a reading
    birth_date: date | None = None
    phone: str | None = None
    postal_code: str | None = None
    address: str | None = None  # normalise_address, matched by its beginning
    register_number: str | None = None  # 宛名番号 of the resident register
    department: str | None = None
    source_person_id: str | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)  # type: ignore[attr-defined]


def is_reading(text: str) -> bool:
    """Whether a name was typed as a reading (katakana of either width or hiragana) rather than in kanji."""
    return bool(_READING.match(text))


def like_prefix(value: str) -> str:
    """A LIKE pattern matching texts that begin with ``value`` (its % and _ taken literally)."""
    return _LIKE_SPECIAL.sub(r"\\\1", value) + "%"


def search_terms(*, name: str | None = None, birth_date: str | None = None, phone: str | None = None,
                 postal_code: str | None = None, address: str | None = None, register_number: str | None = None,
                 department: str | None = None, source_person_id: str | None = None) -> SearchTerms:
    """Fold what an officer typed. Raises SearchError naming the field that cannot be read."""
    folded_name = folded_kana = None
    if name is not None and name.strip():
        if is_reading(name):
            folded_kana = normalise_kana(name) or None
        else:
            folded_name = normalise_name(unicodedata.normalize("NFKC", name)) or None
        if folded_name is None and folded_kana is None:
            raise SearchError("name", "nothing left to search once spaces and honorifics are removed")
    born = None
    if birth_date is not None and birth_date.strip():
        try:
            born = parse_japanese_date(birth_date)
        except DateFormatError as exc:
            raise SearchError("birth_date", f"{exc} (e.g. 昭和50年4月1日, S50.4.1 or 1975-04-01)") from None
    folded_phone = None
    if phone is not None and phone.strip():
        folded_phone = normalise_phone(phone)
        if folded_phone is None:
            raise SearchError("phone", "needs at least 10 digits")
    folded_postal = None
    if postal_code is not None and postal_code.strip():
        folded_postal = normalise_postal_code(postal_code)
        if folded_postal is None:
            raise SearchError("postal_code", "needs 4 to 7 digits")
    folded_address = None
    if address is not None and address.strip():
        folded_address = normalise_address(address)[0] or None
        if folded_address is None:
            raise SearchError("address", "nothing left to search once normalised")
    if source_person_id is not None and department is None:
        raise SearchError("source_person_id", "give the department too (a record is named by both)")
    return SearchTerms(name=folded_name, kana=folded_kana, birth_date=born, phone=folded_phone,
                       postal_code=folded_postal, address=folded_address,
                       register_number=normalise_register_number(register_number),
                       department=department, source_person_id=source_person_id or None)


__all__ = ["SearchError", "SearchTerms", "is_reading", "like_prefix", "search_terms"]
