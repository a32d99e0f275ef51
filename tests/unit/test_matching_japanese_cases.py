"""Hand-written Japanese pairs (名寄せ): each case is two departmental records as they arrive, and the decision the
matcher must take for them. The dangerous ones — twins, a parent and a child of one name, 同姓同名 in another
town — must never be linked automatically; the ordinary variations of one person — kana spelt two ways, a
married name written without a space, a move, a Latin name in another case, a corporation by its 法人番号 — must
be linked (or at least reviewed, where a person should look)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import PersonReference
from contracts.enums import PersonKind
from services.matching.blocking import record_keys
from services.matching.normalise import normalise_person
from services.matching.scoring import NameFrequencies, compare, decide, frequency_adjustments, load_model, score

MODEL = load_model()

#: A city of 200,000 records where 佐藤 and 翔太 are common and 勅使河原 and 紘一 are rare.
CITY = NameFrequencies(
    {"surname|佐藤": 3_600, "given_name|翔太": 900, "surname|勅使河原": 2, "given_name|紘一": 15,
     "surname|山田": 1_500, "given_name|太郎": 600, "given_name|次郎": 300, "surname|鈴木": 3_000,
     "surname|高橋": 2_800, "given_name|花子": 400, "given_name|一郎": 700},
    200_000)


def rec(name: str | None = "高橋 一郎", kana: str | None = "タカハシ イチロウ", born: date | None = date(1975, 4, 1),
        address: str | None = "愛知県豊田市西町三丁目60番地5", postal: str | None = "471-0001", phone: str | None = None,
        register: str | None = None, kind: PersonKind = PersonKind.INDIVIDUAL,
        corporate: str | None = None, pid: str = "1") -> PersonReference:
    return PersonReference(source_person_id=pid, kind=kind, name_kanji=name, name_kana=kana, birth_date=born,
                           address=address, postal_code=postal, phone=phone, resident_register_number=register,
                           corporate_number=corporate)


def decision(a: PersonReference, b: PersonReference, frequencies: NameFrequencies | None = CITY) -> str:
    """What the matcher decides for b arriving when a is stored; the pair must also be found by blocking."""
    x, y = normalise_person(a), normalise_person(b)
    stored = set(record_keys(x)[0])
    assert stored & {key for key, _ in record_keys(y)[1]}, "blocking never puts this pair in front of the scorer"
    levels = compare(y, x)
    return decide(score(levels, MODEL, frequency_adjustments(y, x, levels, frequencies)), MODEL)


CASES: list[tuple[str, PersonReference, PersonReference, str]] = [
    # --- never linked automatically ---------------------------------------------------------------------------
    ("twins: same household and birth date, different given names",
     rec("山田 太郎", "ヤマダ タロウ"), rec("山田 次郎", "ヤマダ ジロウ"), "review"),
    ("parent and child of one name in one household, the child's record without a birth date",
     rec("高橋 一郎"), rec("高橋 一郎", born=None), "review"),
    ("parent and child of one name, birth dates a generation apart",
     rec("高橋 一郎", born=date(1950, 4, 1)), rec("高橋 一郎", born=date(1980, 4, 1)), "review"),
    ("同姓同名 with the same birth date in another town: a common name",
     rec("佐藤 翔太", "サトウ ショウタ"),
     rec("佐藤 翔太", "サトウ ショウタ", address="愛知県豊田市東山町一丁目2番地3", postal="471-0099"), "review"),
    ("a different 宛名番号 of the resident register: two people, whatever else agrees",
     rec(register="000123"), rec(register="000456"), "review"),
    ("one digit of the birth date differs: a typo, or another person",
     rec(), rec(born=date(1975, 4, 2)), "review"),
    ("same name without birth dates, different addresses",
     rec(born=None), rec(born=None, address="愛知県豊田市東山町一丁目2番地3", postal="471-0099"), "review"),
    ("an alias (通称名) in one system, the legal Latin name in another: same birth date, same house",
     rec("金本 一郎", "カネモト イチロウ"), rec("KIM IL", None, address="愛知県豊田市西町3-60-5"), "review"),
    ("an individual and a corporation of the same name",
     rec("高橋 一郎", born=None), rec("高橋一郎", born=None, kind=PersonKind.CORPORATION), "new"),
    # --- linked --------------------------------------------------------------------------------------------------
    ("a move: a rare name, the same birth date, a new address",
     rec("勅使河原 紘一", "テシガワラ コウイチ"),
     rec("勅使河原 紘一", "テシガワラ コウイチ", address="愛知県豊田市東山町一丁目2番地3", postal="471-0099"), "link"),
    ("a common name at the same address with the same birth date",
     rec("佐藤 翔太", "サトウ ショウタ"), rec("佐藤　翔太", "ｻﾄｳ ｼｮｳﾀ"), "link"),
    ("kana-only records: small kana written full size (シヨウタ / ショウタ)",
     rec(None, "サトウ シヨウタ"), rec(None, "サトウ ショウタ"), "link"),
    ("kana-only records: a long vowel written two ways (オオノ / オーノ)",
     rec(None, "オオノ ケンジ"), rec(None, "オーノ ケンジ"), "link"),
    ("a married name written without a space, same household",
     rec("鈴木 花子", "スズキ ハナコ"), rec("高橋花子", None), "link"),
    ("variant kanji, half-width kana and 丁目番地 spelt another way",
     rec("髙橋 一郎", "ﾀｶﾊｼ ｲﾁﾛｳ", address="豊田市西町3-60-5"), rec(), "link"),
    ("an apartment name omitted",
     rec(address="愛知県豊田市西町三丁目60番地5 ハイツ豊田101"), rec(), "link"),
    ("a space in another place (佐 藤花子)",
     rec("佐藤 花子", "サトウ ハナコ"), rec("佐 藤花子", "サトウ ハナコ"), "link"),
    ("a Latin name in another case",
     rec("SMITH John", None), rec("Smith JOHN", None), "link"),
    ("no birth date on one side, but the same phone",
     rec(phone="0565-31-1212"), rec(born=None, phone="0565311212"), "link"),
    ("no birth date on one side, but the same 宛名番号 of the resident register",
     rec(register="000123"), rec(born=None, register="000123"), "link"),
    # --- corporations -------------------------------------------------------------------------------------------
    ("a corporation by its 法人番号, the name spelt another way and moved",
     rec("株式会社高橋工業", None, born=None, kind=PersonKind.CORPORATION, corporate="1234567890123"),
     rec("(株)タカハシ工業", None, born=None, address="愛知県豊田市東山町一丁目2番地3", postal="471-0099",
         kind=PersonKind.CORPORATION, corporate="1234567890123"), "link"),
    ("two corporations of one name with different 法人番号",
     rec("株式会社高橋工業", None, born=None, kind=PersonKind.CORPORATION, corporate="1234567890123"),
     rec("株式会社高橋工業", None, born=None, address="愛知県豊田市東山町一丁目2番地3", postal="471-0099",
         kind=PersonKind.CORPORATION, corporate="9876543210987"), "new"),
    ("a corporation without 法人番号, kana or phone: the same name at the same address",
     rec("株式会社高橋工業", None, born=None, kind=PersonKind.CORPORATION),
     rec("㈱髙橋工業", None, born=None, kind=PersonKind.CORPORATION), "link"),
    ("a corporation without 法人番号: the same name at another address",
     rec("株式会社高橋工業", None, born=None, kind=PersonKind.CORPORATION),
     rec("株式会社高橋工業", None, born=None, address="愛知県豊田市東山町一丁目2番地3", postal="471-0099",
         kind=PersonKind.CORPORATION), "new"),
]


@pytest.mark.parametrize(("a", "b", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_japanese_case(a: PersonReference, b: PersonReference, expected: str) -> None:
    assert decision(a, b) == expected
    assert decision(b, a) == expected  # whichever arrives first


def test_a_married_name_after_a_move_is_reviewed_not_lost() -> None:
    before = rec("鈴木 花子", "スズキ ハナコ")
    after = rec("高橋花子", None, address="愛知県豊田市東山町一丁目2番地3", postal="471-0099")
    assert decision(before, after) == "review"


def test_the_same_common_name_elsewhere_links_once_the_phone_agrees() -> None:
    here = rec("佐藤 翔太", "サトウ ショウタ", phone="090-1234-5678")
    there = rec("佐藤 翔太", "サトウ ショウタ", address="愛知県豊田市東山町一丁目2番地3", postal="471-0099",
                phone="09012345678")
    assert decision(here, there) == "link"


def test_without_frequencies_a_name_is_neither_common_nor_rare() -> None:
    """A new city (too few records to tell): a move of anyone with the same name and birth date is linked, as
    the model's average weights say; the common-name rule needs the city's own counts."""
    here = rec("佐藤 翔太", "サトウ ショウタ")
    there = rec("佐藤 翔太", "サトウ ショウタ", address="愛知県豊田市東山町一丁目2番地3", postal="471-0099")
    assert decision(here, there, frequencies=None) == "link"
    assert decision(here, there, frequencies=NameFrequencies({}, 500)) == "link"
