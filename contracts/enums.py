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


class RelationRole(StrEnum):
    """How another person relates to a claim's debtor. Relations are never identity: matching links them
    as relations, never merges them."""

    GUARANTOR = "guarantor"  # 連帯保証人 (市営住宅)
    CHILD = "child"  # 児童 (保育料・給食費: the child the fee is for; the debtor is the guardian)
    HOUSEHOLD_HEAD = "household_head"  # 世帯主 (国民健康保険税 is levied on the head of household)
    HOUSEHOLD_MEMBER = "household_member"  # 世帯員
    HEIR = "heir"  # 相続人: liable for a deceased debtor's claim by 納税義務の承継 (地方税法9条, 民法896条)
    SUCCESSOR = "successor"  # 合併法人: liable for a merged company's claim (地方税法9条の3)


class ExemptionReason(StrEnum):
    """減免申請の事由."""

    INCOME_DROP = "income_drop"  # 所得の減少 (失業・廃業)
    DISASTER = "disaster"  # 災害
    HARDSHIP = "hardship"  # 生活困窮
    PUBLIC_ASSISTANCE = "public_assistance"  # 生活保護の受給
    OTHER = "other"


class NoticeKind(StrEnum):
    """A notice a department sent for a claim itself (its own 督促・催告, before or beside the central office)."""

    DEMAND_NOTICE = "demand_notice"  # 督促 (督促状): the statutory demand, once per claim (地方自治法231条の3第1項)
    REMINDER = "reminder"  # 催告 (催告書): a written demand after the 督促 (民法150条 for private claims)


class SupplyStatus(StrEnum):
    """給水の状態 of a water contract."""

    ACTIVE = "active"  # 給水中
    SUSPENSION_NOTICE = "suspension_notice"  # 給水停止予告
    SUSPENDED = "suspended"  # 給水停止
    RESUMED = "resumed"  # 給水再開
    CLOSED = "closed"  # 閉栓


class SuccessionCause(StrEnum):
    """Why another person became liable for a claim (納税義務の承継)."""

    INHERITANCE = "inheritance"  # 相続 (地方税法9条)
    MERGER = "merger"  # 法人の合併 (地方税法9条の3)


class ClaimDecision(StrEnum):
    """A decision a department's own system recorded on its claim, sent to collection as a fact (the standard
    link's events 41-43, 61-63). The first four are kinds of collection's legal actions (the same codes as
    services/collection/legal_actions.ActionKind) and take that action's effect; the last two change dates."""

    COLLECTION_GRACE = "collection_grace"  # 徴収猶予 (地方税法15条)
    REALISATION_GRACE = "realisation_grace"  # 換価の猶予 (地方税法15条の5・15条の6)
    SUSPENSION_OF_EXECUTION = "suspension_of_execution"  # 執行停止 (地方税法15条の7)
    WRITE_OFF = "write_off"  # 不納欠損
    ACCELERATED_COLLECTION = "accelerated_collection"  # 繰上徴収 (地方税法13条の2): due earlier
    PRESCRIPTION_COMPLETED = "prescription_completed"  # 時効完成 (地方税法18条, 地方自治法236条)
