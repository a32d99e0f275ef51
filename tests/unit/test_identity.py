from datetime import date

import pytest

from services.matching.identity import exact_key, normalise_name


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("山田 太郎", "山田\u3000太郎"),  # full-width space
        ("山田 太郎", "山田太郎"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),  # half-width kana
        ("やまだ たろう", "ヤマダ タロウ"),  # hiragana
        ("ＹＡＭＡＤＡ", "YAMADA"),
    ],
)
def test_equivalent_spellings_normalise_alike(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)


def test_variant_kanji_are_not_yet_folded() -> None:
    # 髙/高 folding belongs to the probabilistic matcher; the exact key must not guess.
    assert normalise_name("髙橋") != normalise_name("高橋")


def test_exact_key_needs_name_and_birth_date() -> None:
    born = date(1975, 4, 1)
    assert exact_key("山田 太郎", born) == exact_key("山田太郎", born)
    assert exact_key("山田 太郎", born) != exact_key("山田 太郎", date(1975, 4, 2))
    assert exact_key("山田 太郎", None) is None
    assert exact_key(None, born) is None
    assert exact_key("   ", born) is None


def test_exact_key_is_a_hash_not_the_name() -> None:
    key = exact_key("山田 太郎", date(1975, 4, 1))
    assert key is not None and len(key) == 32 and "山田".encode() not in key
