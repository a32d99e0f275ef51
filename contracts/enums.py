"""Closed vocabularies used in messages. Values are stable English codes; the Japanese term is in the docstring
and in docs/glossary.md."""

from enum import StrEnum


class Department(StrEnum):
    """The departmental system a record comes from (所管課)."""

    TAX = "tax"  # 市民税課・資産税課・納税課
    INSURANCE = "insurance"  # 国保年金課・介護保険課
    CHILDCARE = "childcare"  # 保育課・学校給食
    HOUSING = "housing"  # 市営住宅課
    WATER = "water"  # 上下水道局


class LegalCategory(StrEnum):
    """債権の分類: decides how a claim may be enforced and whether an outside firm may collect it."""

    FORCED_PUBLIC = "forced_public"  # 強制徴収公債権 (滞納処分 by the city itself)
    NON_FORCED_PUBLIC = "non_forced_public"  # 非強制徴収公債権 (court procedure)
    PRIVATE = "private"  # 私債権 (court procedure; Civil Code prescription)


class PersonKind(StrEnum):
    INDIVIDUAL = "individual"  # 個人
    CORPORATION = "corporation"  # 法人 (water and fixed-asset tax bill businesses)


class PaymentChannel(StrEnum):
    """収納経路."""

    ACCOUNT_TRANSFER = "account_transfer"  # 口座振替
    CONVENIENCE_STORE = "convenience_store"  # コンビニ
    COUNTER = "counter"  # 窓口
    SMARTPHONE = "smartphone"  # スマホ決済
    BANK = "bank"  # 金融機関 (納付書)
    ELTAX = "eltax"  # eLTAX / 地方税統一QRコード
    CARD = "card"  # クレジットカード
    OTHER = "other"


class AdjustmentReason(StrEnum):
    CORRECTION = "correction"  # 更正
    REDUCTION = "reduction"  # 減額
    EXEMPTION = "exemption"  # 減免


class CancellationReason(StrEnum):
    ASSESSMENT_ERROR = "assessment_error"  # 誤賦課
    MOVED_OUT = "moved_out"  # 転出
    DECEASED = "deceased"  # 死亡
    DUPLICATE = "duplicate"  # 重複
    OTHER = "other"


class ReversalReason(StrEnum):
    ACCOUNT_TRANSFER_FAILED = "account_transfer_failed"  # 口座振替不能
    DISHONOURED = "dishonoured"  # 不渡り
    ENTRY_ERROR = "entry_error"  # 誤入金
    OTHER = "other"
