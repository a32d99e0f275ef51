"""Identity keys for debtor matching (名寄せ). Pure functions: no I/O.

For now only an exact key links records across departments: the normalised name in kanji plus the birth date.
Both must be known; a record without them links only through its own department's person id. The
probabilistic matcher (review queue, variant kanji, addresses) replaces this step later.
"""

import hashlib
import re
import unicodedata
from datetime import date

import jaconv

_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """NFKC (width folding), no spaces, hiragana as katakana. Variant kanji (髙/高) are not folded yet."""
    folded = unicodedata.normalize("NFKC", name)
    return jaconv.hira2kata(_SPACES.sub("", folded))


def exact_key(name_kanji: str | None, birth_date: date | None) -> bytes | None:
    """SHA-256 of 'name|birth date', or None when either is unknown (no cross-department link then)."""
    if not name_kanji or birth_date is None:
        return None
    name = normalise_name(name_kanji)
    if not name:
        return None
    return hashlib.sha256(f"{name}|{birth_date.isoformat()}".encode()).digest()
