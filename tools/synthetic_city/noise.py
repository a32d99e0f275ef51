"""How a department's system records a person differently from another's (表記ゆれ), at a chosen level.

Applied per department and person, deterministically: the same person always looks the same in one department.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

import jaconv

from tools.synthetic_city.names import KANJI_VARIANTS


@dataclass(frozen=True)
class NoiseLevel:
    variant_kanji: float  # 髙/高, 﨑/崎 …: the department holds the variant form
    half_width_kana: float  # ﾀｶﾊｼ instead of タカハシ
    missing_kana: float
    spacing: float  # full-width space, or none, between surname and given name
    kana_typo: float  # one kana character replaced
    missing_birth_date: float
    old_address: float  # a mover still recorded at the previous address
    maiden_name: float  # a married woman still recorded under her former surname (when she has one)

    @classmethod
    def named(cls, name: str) -> NoiseLevel:
        try:
            return LEVELS[name]
        except KeyError:
            raise ValueError(f"unknown noise level {name!r}; choose from {', '.join(LEVELS)}") from None


LEVELS = {
    "none": NoiseLevel(0, 0, 0, 0, 0, 0, 0, 0),
    "low": NoiseLevel(0.05, 0.1, 0.05, 0.1, 0.005, 0.02, 0.3, 0.3),
    "default": NoiseLevel(0.15, 0.3, 0.1, 0.3, 0.02, 0.05, 0.6, 0.6),
    "high": NoiseLevel(0.35, 0.5, 0.2, 0.5, 0.05, 0.15, 0.9, 0.9),
}


def person_rng(seed: int, department: str, person_id: str) -> random.Random:
    return random.Random(zlib.crc32(f"{seed}:{department}:{person_id}".encode()))


def variant_kanji(name: str, rng: random.Random) -> str:
    return "".join(rng.choice(KANJI_VARIANTS[c]) if c in KANJI_VARIANTS else c for c in name)


def join_name(surname: str, given: str, rng: random.Random, level: NoiseLevel) -> str:
    if rng.random() < level.spacing:
        return f"{surname}{rng.choice(('　', ''))}{given}"
    return f"{surname} {given}"


_KANA_SWAPS = {"ウ": "ー", "ー": "ウ", "ヅ": "ズ", "ヂ": "ジ", "オ": "ウ", "ヲ": "オ"}


def kana(text: str, rng: random.Random, level: NoiseLevel, *, half_width: bool | None = None) -> str | None:
    if rng.random() < level.missing_kana:
        return None
    if rng.random() < level.kana_typo:
        positions = [i for i, c in enumerate(text) if c in _KANA_SWAPS]
        if positions:
            i = rng.choice(positions)
            text = text[:i] + _KANA_SWAPS[text[i]] + text[i + 1:]
    if half_width if half_width is not None else rng.random() < level.half_width_kana:
        return jaconv.z2h(text, kana=True, ascii=False, digit=False)
    return text
