"""Normalisation of Japanese person data (services/matching/normalise.py): every folding rule with real examples,
the variant-kanji table's exclusions, speed, and name agreement across departments in the synthetic city."""

import time
import unicodedata
from collections import defaultdict
from datetime import date
from itertools import combinations

import pytest

from contracts import PersonKind, PersonReference
from services.matching import normalise as normalise_module
from services.matching.normalise import (
    VARIANT_MAP,
    NormalisedPerson,
    fold_variants,
    kanji_number,
    normalise_address,
    normalise_kana,
    normalise_name,
    normalise_person,
    normalise_phone,
    phonetic_kana,
)
from tools.synthetic_city.bills import simulate_year
from tools.synthetic_city.noise import NoiseLevel
from tools.synthetic_city.population import build_city
from tools.synthetic_city.views import department_views


def individual(**fields: object) -> PersonReference:
    return PersonReference(source_person_id="100000001", **fields)


def corporation(**fields: object) -> PersonReference:
    return PersonReference(source_person_id="800000001", kind=PersonKind.CORPORATION, **fields)


# --- variant kanji ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "common"),
    [
        ("髙", "高"), ("\ufa11", "崎"), ("邊", "辺"), ("邉", "辺"), ("齋", "斉"), ("齊", "斉"), ("濱", "浜"),
        ("濵", "浜"), ("嵜", "崎"), ("澤", "沢"), ("廣", "広"), ("國", "国"), ("眞", "真"), ("惠", "恵"),
        ("\U00020bb7", "吉"),  # 𠮷 (つちよし), outside the BMP
        ("斎", "斉"),  # policy: 斎/斉 fold together (module docstring)
        # our own additions and reversals
        ("凜", "凛"), ("瀨", "瀬"), ("黑", "黒"), ("增", "増"), ("槗", "橋"), ("埜", "野"), ("曾", "曽"),
        ("亙", "亘"), ("濟", "済"),
    ],
)
def test_variant_kanji_fold_to_the_common_form(variant: str, common: str) -> None:
    assert fold_variants(variant) == common


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("髙橋", "高橋"), ("山\ufa11", "山崎"), ("渡邊", "渡辺"), ("渡邉", "渡辺"), ("齋藤", "齊藤"),
        ("齋藤", "斉藤"), ("齋藤", "斎藤"), ("濱田", "浜田"), ("髙橋工業", "高橋工業"),
    ],
)
def test_variant_spellings_of_names_agree(a: str, b: str) -> None:
    assert fold_variants(a) == fold_variants(b)


@pytest.mark.parametrize(
    "kept",
    [
        "佐藤",  # jageocoder: 佐→左
        "阪本", "坂本",  # 阪→坂: distinct surnames
        "埼", "堺", "洲崎", "浪川", "萱野", "舟橋", "糟谷", "閏間", "珪子",
        "済", "之", "乃", "由之",  # 之/乃→の are kana folds: excluded with every non-ideograph entry
        "小野", "曽根", "亘",  # everyday forms stay (jageocoder would turn them into 埜, 曾, 亙)
        "ケ", "ヶ", "ツ", "ッ", "ノ", "ヱ", "ェ", "タカハシ", "たかはし",
    ],
)
def test_excluded_and_everyday_characters_are_not_folded(kept: str) -> None:
    assert fold_variants(kept) == kept


def test_variant_map_holds_only_ideographs_and_is_resolved() -> None:
    def ideograph(c: str) -> bool:
        return unicodedata.name(c, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))

    assert len(VARIANT_MAP) > 600  # jageocoder's table was loaded, not an empty fallback
    assert all(ideograph(src) and ideograph(dst) for src, dst in VARIANT_MAP.items())
    assert all(dst not in VARIANT_MAP for dst in VARIANT_MAP.values())  # one pass folds fully
    assert "jageocoder.module" not in __import__("sys").modules  # only the JSON was read


def test_variation_selectors_are_dropped() -> None:
    assert fold_variants("葛\U000e0100城") == "葛城"
    assert fold_variants("辻\ufe00") == "辻"


def test_fold_variants_changes_nothing_else() -> None:
    assert fold_variants("ﾀｶﾊｼ 一郎　様") == "ﾀｶﾊｼ 一郎　様"


# --- names ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("高橋 一郎", "高橋一郎"),
        ("高橋\u3000一郎", "高橋一郎"),  # full-width space
        ("高橋一郎", "高橋一郎"),  # no space
        ("髙橋　一郎", "高橋一郎"),
        ("山\ufa11 花子", "山崎花子"),
        ("渡邊 陽子", "渡辺陽子"), ("渡邉陽子", "渡辺陽子"),
        ("齋藤 誠", "斉藤誠"), ("齊藤 誠", "斉藤誠"),
        ("濱田 浩", "浜田浩"),
        ("高橋 一郎 様", "高橋一郎"), ("高橋一郎様", "高橋一郎"), ("高橋 一郎殿", "高橋一郎"),
        ("高橋 一郎さん", "高橋一郎"),
        ("  高橋 一郎  ", "高橋一郎"),
        ("ＹＡＭＡＤＡ Ｔａｒｏ", "yamadataro"),  # full-width Latin → ASCII (NFKC), case-folded
    ],
)
def test_normalise_name(recorded: str, expected: str) -> None:
    assert normalise_name(recorded) == expected


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("株式会社髙橋工業", "株式会社高橋工業"),
        ("(株)髙橋工業", "株式会社高橋工業"),
        ("（株）髙橋工業", "株式会社高橋工業"),
        ("㈱高橋工業", "株式会社高橋工業"),
        ("㈱ 高橋工業 御中", "株式会社高橋工業"),
        ("高橋工業㈱", "高橋工業株式会社"),  # 後株 stays after the name: it is part of the legal name
        ("有限会社山\ufa11商店", "有限会社山崎商店"),
        ("(有)山崎商店", "有限会社山崎商店"), ("㈲山崎商店", "有限会社山崎商店"),
        ("(同)みどり農園", "合同会社みどり農園"),
        ("(医)さくら会", "医療法人さくら会"),
        ("(一社)豊田観光協会", "一般社団法人豊田観光協会"),
    ],
)
def test_corporate_forms_are_written_out(recorded: str, expected: str) -> None:
    assert normalise_name(recorded) == expected


# --- kana -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("ﾀｶﾊｼ ｲﾁﾛｳ", "タカハシイチロウ"),  # half-width
        ("たかはし いちろう", "タカハシイチロウ"),  # hiragana
        ("タカハシ\u3000イチロウ", "タカハシイチロウ"),
        ("タカハシイチロウ", "タカハシイチロウ"),
        ("ﾜﾀﾅﾍﾞ ﾖｳｺ", "ワタナベヨウコ"),  # half-width voiced mark joins its kana
        ("ｷｮｳｺ", "キョウコ"), ("きょうこ", "キョウコ"),  # small ャュョ kept
        ("ﾊｯﾄﾘ", "ハットリ"),  # small ッ kept
        ("ｳﾞｧｲｵﾘﾝ", "ヴァイオリン"), ("ゔぁいおりん", "ヴァイオリン"),  # ヴ and small ァ kept
        ("ﾕｳｰ", "ユウー"),  # long vowel mark kept
        ("スミス・ジョン", "スミスジョン"), ("ｽﾐｽ･ｼﾞｮﾝ", "スミスジョン"),
    ],
)
def test_normalise_kana(recorded: str, expected: str) -> None:
    assert normalise_kana(recorded) == expected


# --- addresses --------------------------------------------------------------------------------------------------

CANONICAL = ("西町3-60-5", "西町3")


@pytest.mark.parametrize(
    "recorded",
    [
        "愛知県豊田市西町3丁目60番地5号",
        "豊田市西町3丁目60番地5号",
        "西町3丁目60番地5号",
        "西町3丁目60番5号",
        "西町3-60-5",
        "西町３－６０－５",
        "西町3丁目60-5",
        "西町三丁目六十番地の五",
        "愛知県豊田市西町三丁目六十番地の五",
        "愛知県 豊田市 西町 3丁目 60番地 5号",
        "〒471-0001 愛知県豊田市西町3-60-5",
        "西町3ー60ー5",  # katakana long vowel used as a dash
        "西町3−60−5",  # minus sign
        "西町3丁目60番地の5",
        "西町3丁目60ノ5",
    ],
)
def test_address_spellings_agree(recorded: str) -> None:
    assert normalise_address(recorded) == CANONICAL


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("西町3-60-5 ハイツ豊田101", ("西町3-60-5ハイツ豊田101", "西町3")),
        ("愛知県豊田市西町3丁目60番地5号　ハイツ豊田１０１", ("西町3-60-5ハイツ豊田101", "西町3")),
        ("西町3丁目60番地5号 髙橋ハイツ101号室", ("西町3-60-5高橋ハイツ101号室", "西町3")),  # 号室 kept
        ("喜多町一丁目2番地", ("喜多町1-2", "喜多町1")),
        ("五ヶ丘一丁目2番地", ("五ケ丘1-2", "五ケ丘1")),  # ヶ/ケ between kanji
        ("三好町十二番地", ("三好町12", "三好町12")),  # the town's 三 stays; no 丁目: the block is the 番地
        ("足助町宮ノ後12番地の3", ("足助町宮ノ後12-3", "足助町宮ノ後12")),
        ("愛知県岡崎市康生町2-1", ("岡崎市康生町2-1", "岡崎市康生町2")),  # another city stays
        ("東京都新宿区西新宿二丁目8番1号", ("新宿区西新宿2-8-1", "新宿区西新宿2")),
        ("宮城県仙台市青葉区一番町四丁目7-17", ("仙台市青葉区一番町4-7-17", "仙台市青葉区一番町4")),
        ("西町", ("西町", None)),
    ],
)
def test_normalise_address(recorded: str, expected: tuple[str, str | None]) -> None:
    assert normalise_address(recorded) == expected


def test_home_prefixes_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(normalise_module, "HOME_PREFIXES", ("愛知県岡崎市", "岡崎市"))
    assert normalise_address("愛知県岡崎市康生町2-1") == ("康生町2-1", "康生町2")
    assert normalise_address("愛知県豊田市西町3-60-5") == ("豊田市西町3-60-5", "豊田市西町3")


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("〇", 0), ("一", 1), ("九", 9), ("十", 10), ("十一", 11), ("二十", 20), ("六十", 60), ("九十九", 99),
     ("百", 100), ("百二", 102), ("千二百三十四", 1234), ("二〇", 20), ("一〇五", 105)],
)
def test_kanji_number(numeral: str, value: int) -> None:
    assert kanji_number(numeral) == value


# --- phone ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("0565-31-1212", "0565311212"),
        ("０５６５（３１）１２１２", "0565311212"),
        ("0565 31 1212", "0565311212"),
        ("0565(31)1212", "0565311212"),
        ("090-1234-5678", "09012345678"),
        ("+81-565-31-1212", "0565311212"),
        ("+81 90 1234 5678", "09012345678"),
        ("0565-31-1212 内線123", "0565311212"),
        ("31-1212", None),  # no area code: too short to compare
        ("", None),
    ],
)
def test_normalise_phone(recorded: str, expected: str | None) -> None:
    assert normalise_phone(recorded) == expected


# --- the person -------------------------------------------------------------------------------------------------


def test_normalise_person_individual() -> None:
    person = individual(name_kanji="髙橋　一郎 様", name_kana="ﾀｶﾊｼ ｲﾁﾛｳ", birth_date=date(1975, 4, 1),
                        postal_code="471-0001", address="愛知県豊田市西町三丁目六十番地の五",
                        phone="０５６５（３１）１２１２")
    assert normalise_person(person) == NormalisedPerson(
        kind="individual", name="高橋一郎", surname="高橋", given_name="一郎", name_kana="タカハシイチロウ",
        kana_surname="タカハシ", birth_date=date(1975, 4, 1), postal_code="4710001", address="西町3-60-5",
        address_block="西町3", phone="0565311212", given_kana="イチロウ", house_number="3-60-5")


@pytest.mark.parametrize(
    ("name_kanji", "name_kana", "surname", "given", "kana_surname"),
    [
        ("高橋 一郎", "タカハシ イチロウ", "高橋", "一郎", "タカハシ"),
        ("高橋\u3000一郎", "タカハシ\u3000イチロウ", "高橋", "一郎", "タカハシ"),
        ("山\ufa11\u3000花子さん", "ﾔﾏｻﾞｷ ﾊﾅｺ", "山崎", "花子", "ヤマザキ"),
        ("高橋一郎", "タカハシイチロウ", None, None, None),  # no separator: no split
        ("高橋一郎 様", "たかはし いちろう", None, None, "タカハシ"),  # the honorific is no given name
    ],
)
def test_surname_split(name_kanji: str, name_kana: str, surname: str | None, given: str | None,
                       kana_surname: str | None) -> None:
    result = normalise_person(individual(name_kanji=name_kanji, name_kana=name_kana))
    assert (result.surname, result.given_name, result.kana_surname) == (surname, given, kana_surname)


@pytest.mark.parametrize(
    ("name_kanji", "name_kana"),
    [
        ("株式会社髙橋工業", "タカハシコウギョウ"),
        ("(株)髙橋工業", "ｶ)ﾀｶﾊｼｺｳｷﾞｮｳ"),
        ("㈱高橋工業", "カブシキガイシャタカハシコウギョウ"),
        ("株式会社 高橋工業 御中", "(ｶ)ﾀｶﾊｼｺｳｷﾞｮｳ"),
    ],
)
def test_normalise_person_corporation(name_kanji: str, name_kana: str) -> None:
    result = normalise_person(corporation(name_kanji=name_kanji, name_kana=name_kana))
    assert (result.kind, result.name, result.surname, result.given_name, result.name_kana, result.kana_surname) == (
        "corporation", "株式会社高橋工業", None, None, "タカハシコウギョウ", None)


def test_missing_and_empty_fields_are_none() -> None:
    result = normalise_person(individual(name_kanji="様", postal_code="471", phone="1212", address="愛知県豊田市"))
    assert result == NormalisedPerson(kind="individual", name=None, surname=None, given_name=None, name_kana=None,
                                      kana_surname=None, birth_date=None, postal_code=None, address=None,
                                      address_block=None, phone=None)


@pytest.mark.parametrize(
    ("spelt", "other"),
    [
        ("シヨウタ", "ショウタ"),  # small kana written full size
        ("オオノ", "オーノ"),  # long vowel: オ / ー
        ("オウノ", "オーノ"),  # long vowel: ウ after an オ-row kana
        ("ユウコ", "ユーコ"),
        ("ケイコ", "ケーコ"),
        ("ヴァイオリン", "バイオリン"),  # ヴ/ブ and small ァ
        ("チヂワ", "チジワ"),  # ヂ/ジ
        ("ヲノ", "オノ"),  # ヲ/オ
    ],
)
def test_phonetic_kana_folds_spellings_of_one_reading(spelt: str, other: str) -> None:
    assert phonetic_kana(spelt) == phonetic_kana(other)


@pytest.mark.parametrize(("one", "other"), [("サトウ", "サイトウ"), ("オノ", "オガノ"), ("ユキ", "ユウキ")])
def test_phonetic_kana_keeps_different_readings_apart(one: str, other: str) -> None:
    assert phonetic_kana(one) != phonetic_kana(other)


def test_latin_names_addresses_and_foreign_postcodes() -> None:
    """Records from outside Japan's conventions: case-folded names, an address that starts with its number, a
    4-digit postcode kept."""
    result = normalise_person(individual(name_kanji="SMITH John", postal_code="2119",
                                         address="7 Wallaby Place, Delmar"))
    assert (result.name, result.surname, result.given_name) == ("smithjohn", "smith", "john")
    assert result.postal_code == "2119"
    assert result.address == "7wallabyplace,delmar" and result.house_number == "7"
    assert result.address_block == "wallabyplace,delmar7"


def test_register_and_corporate_numbers_are_folded_and_kept_by_kind() -> None:
    person = individual(name_kanji="高橋 一郎", resident_register_number="０００１２３-４")
    assert normalise_person(person).register_number == "0001234"
    assert normalise_person(person).corporate_number is None
    company = corporation(name_kanji="株式会社髙橋工業", corporate_number="1234567890123")
    assert normalise_person(company).corporate_number == "1234567890123"
    assert normalise_person(company).register_number is None


# --- the synthetic city -----------------------------------------------------------------------------------------


def _individual_records(noise: str, households: int = 1500) -> dict[str, list[PersonReference]]:
    """entity id → that resident's person record in each department (one per department)."""
    city = build_city(households, seed=20240401)
    exports = department_views(city, simulate_year(city), NoiseLevel.named(noise))
    by_entity: dict[str, list[PersonReference]] = defaultdict(list)
    for export in exports.values():
        seen: set[str] = set()
        for record in export.records:
            people = [record.person, *(r.person for r in getattr(record, "related_persons", ()))]
            for person in people:
                if person.kind is PersonKind.INDIVIDUAL and person.source_person_id not in seen:
                    seen.add(person.source_person_id)
                    by_entity[export.person_records[person.source_person_id]].append(person)
    return by_entity


def test_normalisation_raises_name_agreement_across_departments() -> None:
    by_entity = _individual_records("default")
    before = after = pairs = 0
    for records in by_entity.values():
        normalised = [normalise_person(p) for p in records]
        for i, j in combinations(range(len(records)), 2):
            pairs += 1
            before += records[i].name_kanji == records[j].name_kanji
            after += normalised[i].name == normalised[j].name
    assert pairs > 1000
    rate_before, rate_after = before / pairs, after / pairs
    print(f"\nname agreement over {pairs} same-resident cross-department pairs: "
          f"before {rate_before:.3f}, after {rate_after:.3f}")
    assert rate_after > rate_before
    assert rate_after >= 0.85


def test_speed() -> None:
    people = [p for records in _individual_records("high", households=800).values() for p in records]
    people += [corporation(name_kanji="㈱髙橋工業", name_kana="ｶ)ﾀｶﾊｼｺｳｷﾞｮｳ", address="豊田市西町3-60-5",
                           phone="0565-31-1212")] * 50
    normalise_person(people[0])
    rounds = max(1, 20_000 // len(people))
    started = time.perf_counter()
    for _ in range(rounds):
        for person in people:
            normalise_person(person)
    seconds = time.perf_counter() - started
    print(f"\nnormalise_person: {rounds * len(people) / seconds:,.0f} persons/s ({len(people)} distinct records)")
