"""Normalisation of Japanese person data for the probabilistic matcher (名寄せ). Pure functions, no I/O except
reading the variant-kanji table once at import.

Every department records the same person a little differently (表記ゆれ): width (ﾀｶﾊｼ / タカハシ), spacing
between surname and given name, honorifics, variant kanji (異体字: 髙/高, 﨑/崎, 邊/邉/辺, 齋/齊/斉, 濱/浜),
corporate forms ((株)/㈱/株式会社) and address spellings (3丁目60番地5号 / 3-60-5 / 三丁目六十番地の五).
``normalise_person`` folds all of these so that a scorer can compare fields directly. Values are never logged.

Variant kanji (``fold_variants``)
    Source: ``itaiji_dic.json`` shipped by jageocoder (MIT, https://github.com/t-sagara/jageocoder), about 740
    ``variant → common form`` entries. Only the JSON is read: the file is located with ``importlib.util.find_spec``
    so that jageocoder's package (its geocoder, which needs a downloaded database) is never imported.
    The table is built for addresses, so for names we

    * drop every entry whose source or target is not a CJK ideograph (it folds ケ/ヶ/ガ→が, ツ/ッ→っ, ノ/乃/之→の,
      ヱ/ェ→エ: right for place names, wrong for 龍之介 or a kana name);
    * drop ``_NOT_NAME_VARIANTS``: entries that merge distinct characters which are distinct surnames or name
      characters (佐→左, 阪→坂, 埼→崎, 堺→界, 洲→州, 浪→波, 萱→茅, 舟→船, 珪→圭, 糟→粕, 閏→潤, 藁→稿, 薦→菰,
      肉→宍, 脊→背, 誥→詰, 縲→累, 笵→範, and 済/濟/薺/齎/齏/霽→斉);
    * add ``_NAME_OVERRIDES``: a few common name variants the table lacks (凜→凛, 瀨→瀬, 黑→黒, 增→増, 槗→橋,
      曻→昇, 昻→昂, 濟→済) and three entries reversed so the folded form is the everyday one (埜→野 instead of
      野→埜, 曾→曽 instead of 曽→曾, 亙→亘 instead of 亘→亙);
    * strip variation selectors (IVS, U+FE00–FE0F and U+E0100–E01EF), which pick a glyph of the same character.

斎 and 斉 (policy: folded together, to 斉)
    斎藤 and 斉藤 are distinct registered surnames, but their 旧字体 齋 and 齊 are substituted for either in
    departmental systems (the synthetic city uses 齋 as a variant of both), all four read サイ, and so name_kana can
    never tell them apart anyway. Keeping 斎 distinct would force 齋 onto one side and lose every record of the other
    that was typed with 齋. Folding costs precision only where two people differ by nothing but 斎/斉 while agreeing
    on given name, birth date and address, which the scorer's other fields must catch anyway. (This is also
    jageocoder's choice.) Exact-key linking (identity.py) does not use this fold.

Addresses (``normalise_address``)
    NFKC, spaces removed, a leading postal code (〒471-0001) and 大字 removed, the home city (``HOME_PREFIXES``) or
    otherwise any leading prefecture removed, kanji numerals before 丁目/番地/番/号 (and after them, as in の五)
    turned into digits, and 丁目/番地/番/号/の and dash look-alikes turned into ``-``: ``西町3-60-5``. Text after
    the number (building, room) is kept, folded. ``address_block`` is the town plus the first number: the 丁目
    for chome addresses (``西町3``), the 番地 where a town has no chome (consistent across spellings either way).
"""

import functools
import importlib.util
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jaconv

from contracts.enums import PersonKind
from contracts.messages import PersonReference

__all__ = [
    "HOME_PREFIXES",
    "NormalisedPerson",
    "fold_variants",
    "kanji_number",
    "address_house_number",
    "normalise_address",
    "normalise_postal_code",
    "normalise_register_number",
    "normalise_kana",
    "normalise_name",
    "normalise_person",
    "normalise_phone",
    "phonetic_kana",
]

#: The product's own city: stripped from the front of every address (longest first).
HOME_PREFIXES: tuple[str, ...] = ("愛知県豊田市", "豊田市")

# --- variant kanji ----------------------------------------------------------------------------------------------

#: jageocoder entries whose *source* must not be folded in person names (distinct characters / surnames).
_NOT_NAME_VARIANTS = frozenset("佐阪埼堺洲浪萱舟珪糟閏藁薦肉脊誥縲笵済濟薺齎齏霽")
#: Our own entries, applied after jageocoder's (they win). Reversals first drop the table's opposite entry.
_NAME_OVERRIDES: dict[str, str] = {
    "凜": "凛", "瀨": "瀬", "黑": "黒", "增": "増", "槗": "橋", "曻": "昇", "昻": "昂", "濟": "済",
    "埜": "野", "曾": "曽", "亙": "亘",
}
_REVERSED = frozenset("野曽亘")  # jageocoder maps these everyday forms to a rarer one
_VARIATION_SELECTORS = [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]


def _is_ideograph(char: str) -> bool:
    return len(char) == 1 and unicodedata.name(char, "").startswith(
        ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


def _load_jageocoder_table() -> dict[str, str]:
    spec = importlib.util.find_spec("jageocoder")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("jageocoder is not installed; it provides the variant-kanji table (itaiji_dic.json)")
    path = Path(next(iter(spec.submodule_search_locations))) / "itaiji_dic.json"
    table = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(table, dict) or len(table) < 500:
        raise ValueError("jageocoder's itaiji_dic.json is not the expected {variant: form} table")
    return table


def _build_variant_map(raw: dict[str, str]) -> dict[str, str]:
    mapping = {
        src: dst for src, dst in raw.items()
        if _is_ideograph(src) and _is_ideograph(dst) and src not in _NOT_NAME_VARIANTS and src not in _REVERSED
    }
    mapping.update(_NAME_OVERRIDES)
    # NFKC runs first in every caller: fold compatibility ideographs' NFKC forms too, drop no-ops, resolve chains.
    for src, dst in list(mapping.items()):
        mapping.setdefault(unicodedata.normalize("NFKC", src), dst)
    resolved: dict[str, str] = {}
    for src, dst in mapping.items():
        for _ in range(4):
            if dst not in mapping or mapping[dst] == dst:
                break
            dst = mapping[dst]
        if src != dst:
            resolved[src] = dst
    return resolved


VARIANT_MAP: dict[str, str] = _build_variant_map(_load_jageocoder_table())
_FOLD = str.maketrans({**VARIANT_MAP, **dict.fromkeys(map(chr, _VARIATION_SELECTORS))})


def fold_variants(text: str) -> str:
    """Fold variant kanji (異体字) to their common form (髙→高, 﨑→崎, 邊/邉→辺, 齋/齊/斎→斉, 濱→浜) and drop
    variation selectors. Nothing else changes."""
    return text.translate(_FOLD)


# --- names ------------------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_HONORIFIC = re.compile(r"\s*(?:様|殿|さん|さま|御中)$")
_CORPORATE_FORMS = {
    "株": "株式会社", "有": "有限会社", "同": "合同会社", "資": "合資会社", "名": "合名会社", "医": "医療法人",
    "財": "財団法人", "社": "社団法人", "一社": "一般社団法人", "一財": "一般財団法人", "公社": "公益社団法人",
    "公財": "公益財団法人", "福": "社会福祉法人", "特非": "特定非営利活動法人", "NPO": "特定非営利活動法人",
    "学": "学校法人", "宗": "宗教法人",
}
# NFKC has already turned ㈱/（株） into (株).
_CORPORATE = re.compile(r"\((" + "|".join(sorted(_CORPORATE_FORMS, key=len, reverse=True)) + r")\)")


def _corporate_form(match: re.Match[str]) -> str:
    return _CORPORATE_FORMS[match[1]]


def _clean_name(text: str) -> str:
    """NFKC'd, stripped, honorific-free text → the folded name without spaces."""
    text = _WS.sub("", text)
    if "(" in text:
        text = _CORPORATE.sub(_corporate_form, text)
    return text.casefold().translate(_FOLD)  # Latin names: SMITH / Smith / smith


def _name_parts(text: str) -> tuple[str, str | None, str | None]:
    """Recorded name → (name, surname, given name); surname and given name are None without a separator."""
    text = _HONORIFIC.sub("", unicodedata.normalize("NFKC", text).strip())
    parts = _WS.split(text, maxsplit=1)
    name = _clean_name(text)
    if len(parts) == 2:
        return name, _clean_name(parts[0]), _clean_name(parts[1])
    return name, None, None


def normalise_name(text: str) -> str:
    """氏名/名称 as ``NormalisedPerson.name`` holds it: NFKC, no spaces, honorific (様 殿 さん 御中) removed,
    variant kanji folded, corporate forms ((株), ㈱, (有) …) written out (株式会社, 有限会社 …) where they stood."""
    return _name_parts(text)[0]


# --- kana -------------------------------------------------------------------------------------------------------

_HALF_WIDTH_KANA = re.compile(r"[\uff61-\uff9f]")
_KANA_SEPARATORS = re.compile(r"[\s・]+")
# Legal forms in kana (bank style カ) / (カ / full words) at either end of a corporation's kana.
_KANA_LEGAL = (r"(?:カブシキ|ユウゲン|ゴウドウ|ゴウシ|ゴウメイ)[ガカ]イシ[ャヤ]|イリヨウホウジン|イリョウホウジン"
               r"|\(?[カユドシメイ]\)|\([カユドシメイ]\)?")
_KANA_LEGAL_EDGES = re.compile(rf"^(?:{_KANA_LEGAL})|(?:{_KANA_LEGAL})$")


def _kana_width(text: str) -> str:
    """Full-width katakana, whitespace kept (for splitting)."""
    if _HALF_WIDTH_KANA.search(text):
        text = jaconv.h2z(text, kana=True, ascii=False, digit=False)
    return jaconv.hira2kata(unicodedata.normalize("NFKC", text)).strip()


def normalise_kana(text: str) -> str:
    """フリガナ: full-width katakana (hiragana and half-width converted; small ャュョッァィゥェォ, ヴ and ー kept),
    no spaces or ・."""
    return _KANA_SEPARATORS.sub("", _kana_width(text))


#: Small kana to their full size (シヨウタ/ショウタ, キヤ/キャ: older systems had no small kana).
_SMALL_KANA = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
#: Sounds that readings write two ways: ヴ/ブ, ヂ/ジ, ヅ/ズ, ヲ/オ, ヰ/イ, ヱ/エ.
_SAME_SOUND = str.maketrans({"ヴ": "ブ", "ヂ": "ジ", "ヅ": "ズ", "ヲ": "オ", "ヰ": "イ", "ヱ": "エ"})
_VOWEL_OF = {**dict.fromkeys("アカサタナハマヤラワガザダバパャ", "ア"), **dict.fromkeys("イキシチニヒミリギジヂビピィ", "イ"),
             **dict.fromkeys("ウクスツヌフムユルグズヅブプュヴ", "ウ"), **dict.fromkeys("エケセテネヘメレゲゼデベペェ", "エ"),
             **dict.fromkeys("オコソトノホモヨロゴゾドボポョヲ", "オ")}


_FOREIGN_V = {"ヴァ": "バ", "ヴィ": "ビ", "ヴェ": "ベ", "ヴォ": "ボ", "ヴュ": "ビュ"}


@functools.lru_cache(maxsize=65_536)  # pure, and called for every candidate pair: readings repeat
def phonetic_kana(kana: str) -> str:
    """A kana reading folded to how it sounds, so that spellings of one reading agree: small kana written full
    size (シヨウタ = ショウタ), ヴァ/バ and ヴ/ブ, ヂ/ジ, ヅ/ズ, ヲ/オ, and a long vowel written as ー, as its vowel
    or as ウ after an オ-row kana or イ after an エ-row kana (オーノ = オオノ = オウノ, ユーコ = ユウコ,
    ケーコ = ケイコ) written ー. A long vowel stays a sound of its own (ユキ ≠ ユウキ). Lossy on purpose: used as a
    comparison level and a blocking key, never as the name."""
    for foreign, native in _FOREIGN_V.items():
        kana = kana.replace(foreign, native)
    text = kana.translate(_SMALL_KANA).translate(_SAME_SOUND)
    out: list[str] = []
    for char in text:
        vowel = _VOWEL_OF.get(out[-1]) if out else None
        if out and out[-1] == "ー":
            vowel = None  # オーオ: one long vowel, then a new sound
        if vowel and (char == "ー" or char == vowel or (char == "ウ" and vowel == "オ")
                      or (char == "イ" and vowel == "エ")):
            out.append("ー")
            continue
        if char == "ー" and out and out[-1] == "ー":
            continue
        out.append(char)
    return "".join(out)


# --- addresses --------------------------------------------------------------------------------------------------

_PREFECTURES = (
    "北海道|青森県|岩手県|宮城県|秋田県|山形県|福島県|茨城県|栃木県|群馬県|埼玉県|千葉県|東京都|神奈川県|新潟県|"
    "富山県|石川県|福井県|山梨県|長野県|岐阜県|静岡県|愛知県|三重県|滋賀県|京都府|大阪府|兵庫県|奈良県|和歌山県|"
    "鳥取県|島根県|岡山県|広島県|山口県|徳島県|香川県|愛媛県|高知県|福岡県|佐賀県|長崎県|熊本県|大分県|宮崎県|"
    "鹿児島県|沖縄県"
)
_LEADING_POSTAL = re.compile(r"^〒?\d{3}-?\d{4}")
_LEADING_PREFECTURE = re.compile(rf"^(?:{_PREFECTURES})")
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KNUM = "[〇一二三四五六七八九十百千]+"
_ANY_KANJI_DIGIT = re.compile(r"[〇一二三四五六七八九十百千]")
# A kanji numeral directly before a unit (not 一番町/二番丁, which are town names) …
_KNUM_BEFORE_UNIT = re.compile(rf"{_KNUM}(?=丁目|番地|番(?![町丁])|号)")
# … or directly after a number and its unit or connector (三丁目六十番地の五: 六十 and 五).
_KNUM_AFTER_NUMBER = re.compile(rf"(?<=\d)(丁目|番地の?|番の?|号の?|[のノ之-])({_KNUM})")
_DASH = re.compile(r"(?<=\d)[‐‑‒–—―−ー─━~〜](?=\d)")
_UNIT = re.compile(r"(?<=\d)(?:丁目|番地[のノ之]?|番(?![町丁])[のノ之]?|[のノ之](?=\d))")
_GO = re.compile(r"(?<=\d)号(?![室棟館])")
_DASH_RUN = re.compile(r"-{2,}")
_DASH_NOT_BEFORE_DIGIT = re.compile(r"-(?!\d)")
_SMALL_KE = re.compile(r"(?<=[\u4e00-\u9fff])[ヶヵケが](?=[\u4e00-\u9fff])")  # 五ヶ丘 / 五ケ丘 / 霞が関 → ケ
_BLOCK = re.compile(r"^(\D+)(\d+)")
_NUMBER_FIRST = re.compile(r"^(\d+)(\D+)")  # 12 Main Street, as addresses outside Japan are written
_HOUSE_NUMBER = re.compile(r"\d+(?:-\d+)*")


def kanji_number(text: str) -> int:
    """Kanji numeral → int: 五 → 5, 十五 → 15, 六十 → 60, 九十九 → 99, 百二 → 102, 二〇 → 20 (positional)."""
    total = current = 0
    for char in text:
        if char in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[char]
        elif char in _KANJI_UNITS:
            total += (current or 1) * _KANJI_UNITS[char]
            current = 0
        else:
            raise ValueError("not a kanji numeral")
    return total + current


def _digits_before_unit(match: re.Match[str]) -> str:
    return str(kanji_number(match[0]))


def _digits_after_number(match: re.Match[str]) -> str:
    return match[1] + str(kanji_number(match[2]))


def normalise_address(text: str) -> tuple[str, str | None]:
    """Address → (``西町3-60-5ハイツ豊田101``, ``西町3``). The block is None when no number follows the town."""
    text = _WS.sub("", unicodedata.normalize("NFKC", text))
    text = _LEADING_POSTAL.sub("", text)
    for prefix in HOME_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    else:
        text = _LEADING_PREFECTURE.sub("", text)
    text = text.replace("大字", "")
    if _ANY_KANJI_DIGIT.search(text):
        text = _KNUM_BEFORE_UNIT.sub(_digits_before_unit, text)
        for _ in range(4):  # 六十の五の二: each pass converts the numeral after a converted one
            text, count = _KNUM_AFTER_NUMBER.subn(_digits_after_number, text)
            if not count:
                break
    text = _DASH.sub("-", text)
    text = _UNIT.sub("-", text)
    text = _GO.sub("", text)
    text = _DASH_NOT_BEFORE_DIGIT.sub("", _DASH_RUN.sub("-", text))
    text = _SMALL_KE.sub("ケ", text).casefold().translate(_FOLD)
    match = _BLOCK.match(text)
    if match:
        return text, match[1] + match[2]
    match = _NUMBER_FIRST.match(text)
    return text, (match[2] + match[1] if match else None)


def address_house_number(address: str) -> str | None:
    """The first run of numbers of a normalised address: 3-60-5 of 西町3-60-5ハイツ101, 12 of 12mainstreet."""
    match = _HOUSE_NUMBER.search(address)
    return match[0] if match else None


# --- phone and postal code --------------------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"\D+")
_EXTENSION = re.compile(r"(?:内線|ext).*$", re.IGNORECASE)


def normalise_phone(text: str) -> str | None:
    """Digits only (full-width folded, hyphens, parentheses and spaces removed; +81 → 0; 内線/ext cut off);
    None when fewer than 10 digits remain."""
    text = _EXTENSION.sub("", unicodedata.normalize("NFKC", text)).strip()
    digits = _NON_DIGITS.sub("", text)
    if text.startswith("+81"):
        digits = "0" + digits[2:].removeprefix("0")
    return digits if len(digits) >= 10 else None


def normalise_postal_code(text: str) -> str | None:
    """7 digits in Japan; other countries' 4 to 6 digit codes are kept as they are."""
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", text))
    return digits if 4 <= len(digits) <= 7 else None


def normalise_register_number(text: str | None) -> str | None:
    """宛名番号 / 法人番号 as digits and letters, width and case folded, separators dropped."""
    if not text:
        return None
    folded = re.sub(r"[\s\-‐－ー]", "", unicodedata.normalize("NFKC", text)).casefold()
    return folded or None


# --- the person -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NormalisedPerson:
    kind: str  # "individual" | "corporation" (from PersonReference.kind)
    name: str | None  # normalise_name of the recorded kanji name
    surname: str | None  # individuals: the part before the first space, folded; None without a separator
    given_name: str | None  # the rest, folded; None without a separator
    name_kana: str | None  # normalise_kana; corporations also lose kana legal forms (カブシキガイシャ, カ) …)
    kana_surname: str | None  # split like surname
    birth_date: date | None
    postal_code: str | None  # 7 digits, no hyphen
    address: str | None  # normalise_address
    address_block: str | None  # town + first number (the 丁目): 西町3
    phone: str | None  # digits only, None if fewer than 10
    # Added in version 2 (records stored before lack them: the defaults are what version 1 knew).
    given_kana: str | None = None  # the reading after the first space
    house_number: str | None = None  # the first run of numbers of the address: 3-60-5
    register_number: str | None = None  # the resident register's 宛名番号, shared by departments that use it
    corporate_number: str | None = None  # 法人番号 (corporations)


def normalise_person(person: PersonReference) -> NormalisedPerson:
    """Fold one departmental person record for comparison. Empty results become None."""
    kind = PersonKind(person.kind).value
    individual = kind == PersonKind.INDIVIDUAL.value
    name = surname = given = kana = kana_surname = given_kana = None
    if person.name_kanji:
        name, surname, given = _name_parts(person.name_kanji)
        if not individual:
            surname = given = None
    if person.name_kana:
        width = _kana_width(person.name_kana)
        kana = _KANA_SEPARATORS.sub("", width)
        if individual:
            first = _WS.split(width, maxsplit=1)
            if len(first) == 2:
                kana_surname = _KANA_SEPARATORS.sub("", first[0]) or None
                given_kana = _KANA_SEPARATORS.sub("", first[1]) or None
        else:
            kana = _KANA_LEGAL_EDGES.sub("", kana)
    address = block = None
    if person.address:
        address, block = normalise_address(person.address)
    return NormalisedPerson(
        kind=kind,
        name=name or None,
        surname=surname or None,
        given_name=given or None,
        name_kana=kana or None,
        kana_surname=kana_surname,
        birth_date=person.birth_date,
        postal_code=normalise_postal_code(person.postal_code) if person.postal_code else None,
        address=address or None,
        address_block=block,
        phone=normalise_phone(person.phone) if person.phone else None,
        given_kana=given_kana,
        house_number=address_house_number(address) if address else None,
        register_number=normalise_register_number(getattr(person, "resident_register_number", None)) if individual else None,
        corporate_number=None if individual else normalise_register_number(getattr(person, "corporate_number", None)),
    )
