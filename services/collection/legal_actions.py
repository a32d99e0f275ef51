"""The table of legal actions (経過記録に記録する行為): one row (``ActionSpec``) per thing staff may record on a claim.

Why one table: the same action is read by the rules (workflow.py: may it be taken now?), prescription
(prescription.py: does it renew or suspend 時効?), the escalation policy (next_action.py: may a ladder recommend
it?), the API (api/actions.py: which role records it) and documents (api/documents.py: which document records it
when issued). Each of them reads its column here, so a new action is one row (and its document template, if it
produces one); tests/unit/test_legal_actions.py checks the table is complete and agrees with each reader.

A row says:
- ``categories``: the legal categories (債権の分類) that may take it; ``refusal`` says why the others may not;
- ``prerequisites``: what must already hold (``Prerequisite``; workflow.py checks each and words the refusal with
  its statute); ``paused_by_hold``: escalation that a welfare hold pauses; ``waits_for_payment_report``: a demand,
  a reminder or an escalation held while a reported payment (収納速報) is in transit;
- ``measure``: for a 猶予・停止, what it blocks while in force (and whether it halves the 延滞金);
- ``prescription``: the prescription events a record of it is (``PrescriptionEffect``; the event names and how
  each renews or suspends 時効 are prescription.py's: 民法147-152条, 地方自治法236条4項, 地方税法18条の2);
- ``role``: the staff role that records it (a ``shared.auth.StaffRole`` value);
- ``document``: the document (``notices.Kind``) whose issue records it;
- ``step``: the words a recommendation uses, for the contact and enforcement steps an escalation ladder or lever
  may recommend (``None``: a decision, not a collection step).

Pure data: no I/O, and it imports nothing of the service, so every reader may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from contracts.enums import LegalCategory

__all__ = [
    "ACTIONS",
    "COURT_ENDED_OUTCOMES",
    "END_OUTCOMES",
    "TITLE_OUTCOMES",
    "ActionGroup",
    "ActionKind",
    "ActionSpec",
    "Measure",
    "Prerequisite",
    "PrescriptionEffect",
    "kinds_where",
    "spec_of",
]


class ActionKind(StrEnum):
    """What staff may record in a claim's 経過記録. Values are stable codes for messages and storage."""

    DEMAND_NOTICE = "demand_notice"  # 督促
    REMINDER_LETTER = "reminder_letter"  # 催告 (文書)
    REMINDER_PHONE = "reminder_phone"  # 催告 (電話)
    REMINDER_VISIT = "reminder_visit"  # 催告 (臨戸)
    REMINDER_WORKPLACE = "reminder_workplace"  # 催告 (勤務先)
    PAYMENT_CONSULTATION = "payment_consultation"  # 納付相談
    INSTALLMENT_AGREEMENT = "installment_agreement"  # 分割納付の合意・分納誓約
    ASSET_INVESTIGATION = "asset_investigation"  # 財産調査 (質問検査権)
    SEIZURE = "seizure"  # 差押 (滞納処分)
    REALISATION = "realisation"  # 換価 (滞納処分)
    PAYMENT_ORDER = "payment_order"  # 支払督促 (民事訴訟法382条)
    SMALL_CLAIMS_SUIT = "small_claims_suit"  # 少額訴訟 (民事訴訟法368条)
    LAWSUIT = "lawsuit"  # 訴訟
    COMPULSORY_EXECUTION = "compulsory_execution"  # 強制執行 (民事執行法)
    SUSPENSION_OF_EXECUTION = "suspension_of_execution"  # 執行停止 (地方税法15条の7)
    COLLECTION_GRACE = "collection_grace"  # 徴収猶予 (地方税法15条)
    REALISATION_GRACE = "realisation_grace"  # 換価の猶予 (地方税法15条の5・15条の6)
    SUSPENSION_OF_COLLECTION = "suspension_of_collection"  # 徴収停止 (地方自治法施行令171条の5)
    DEFERRED_PERFORMANCE = "deferred_performance"  # 履行延期の特約 (地方自治法施行令171条の6)
    SEIZURE_RELEASE = "seizure_release"  # 差押解除・滞納処分の終了 (prescription runs anew: 民法148条)
    DISPOSITION_COST = "disposition_cost"  # 滞納処分費 incurred (国税徴収法136条 via 地方税法331条6項)
    INVOCATION = "invocation"  # 援用 by the debtor of a private claim (民法145条)
    WRITE_OFF = "write_off"  # 不納欠損
    WAIVER = "waiver"  # 債権放棄 (地方自治法96条1項10号)
    PAID_IN_FULL = "paid_in_full"  # 完納


class ActionGroup(StrEnum):
    """Families of actions a rule may name as a whole (a measure blocking every 催告, every court filing)."""

    DEMAND = "demand"  # 督促
    REMINDER = "reminder"  # 催告 in any form
    CONSULTATION = "consultation"  # 納付相談, 分納誓約
    DISPOSITION = "disposition"  # 滞納処分: 財産調査, 差押, 換価, 差押解除, 滞納処分費
    COURT_FILING = "court_filing"  # 支払督促, 少額訴訟, 訴訟
    EXECUTION = "execution"  # 強制執行 on a 債務名義
    MEASURE = "measure"  # 猶予・停止
    EXTINCTION = "extinction"  # 援用, 不納欠損, 債権放棄
    SETTLEMENT = "settlement"  # 完納


class Prerequisite(StrEnum):
    """A condition an action needs beyond its legal category. workflow.py checks each and words its refusal:
    ``OVERDUE`` and ``DEMAND_SENT`` before the welfare hold and the measures in force, the others after them."""

    OVERDUE = "overdue"  # the 納期限 has passed
    DEMAND_SENT = "demand_sent"  # a 督促 is on record (地方税法331条1項1号; 地方自治法施行令171条の2)
    DEMAND_NOT_YET_SENT = "demand_not_yet_sent"  # one 督促 per claim, and it demands an open principal
    SEIZURE_WAIT_OVER = "seizure_wait_over"  # 10 days counted from the 督促 have passed (地方税法331条1項1号)
    PROPERTY_SEIZED = "property_seized"  # 換価 realises what a 差押 took (国税徴収法89条)
    WITHIN_SMALL_CLAIMS_LIMIT = "within_small_claims_limit"  # 少額訴訟 limit (民事訴訟法368条1項)
    COURT_TITLE = "court_title"  # a 債務名義 (民事執行法22条)
    SEIZURE_OPEN = "seizure_open"  # a seizure not yet released
    SEIZURE_ON_RECORD = "seizure_on_record"  # 滞納処分費 are the costs of a 滞納処分 (国税徴収法136条)
    PRESCRIPTION_COMPLETED = "prescription_completed"  # 援用 only after completion (民法145条)
    EXTINGUISHED = "extinguished"  # 不納欠損 writes off an extinguished claim
    BASIS_GIVEN = "basis_given"  # 債権放棄 rests on a 議決 or an ordinance (地方自治法96条1項10号)
    NOTHING_OPEN = "nothing_open"  # 完納 when nothing is open


TITLE_OUTCOMES = frozenset({"won", "final"})
"""Outcomes of a court record that give a 債務名義 (民事執行法22条): a judgment won, a 支払督促 become final."""

COURT_ENDED_OUTCOMES = frozenset({"withdrawn", "dismissed", "lost"})
"""Outcomes of a court record that ended without a title (取下げ・却下・敗訴: 民法147条1項)."""

END_OUTCOMES = frozenset({"ended", "revoked", "rejected"})
"""Outcomes of a measure record (猶予・停止) that end it or show it was never granted."""


@dataclass(frozen=True)
class Measure:
    """A 猶予・停止 in force from its record until a later record of the same kind with an ``END_OUTCOMES``
    outcome. While in force it blocks the kinds in ``blocks`` and every kind of the groups in ``blocks_groups``;
    ``reason`` is formatted with ``since`` (the date it took effect). ``halves_late_charge``: the 延滞金 of its days
    is halved (地方税法15条の9)."""

    reason: str
    blocks: frozenset[ActionKind] = frozenset()
    blocks_groups: frozenset[ActionGroup] = frozenset()
    halves_late_charge: bool = False

    def blocks_action(self, kind: ActionKind) -> bool:
        return kind in self.blocks or ACTIONS[kind].group in self.blocks_groups


@dataclass(frozen=True)
class PrescriptionEffect:
    """What a record of the action is to 時効, as prescription.py's events (``prescription.EVENT_KINDS``):
    ``events`` in general, or for an outcome listed in ``by_outcome`` the events given there instead.
    ``statute`` says in words what they do, for staff."""

    events: tuple[str, ...] = ()
    by_outcome: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = ()
    statute: str = "no effect on prescription"

    def events_for(self, outcome: str | None) -> tuple[str, ...]:
        for outcomes, events in self.by_outcome:
            if outcome in outcomes:
                return events
        return self.events

    def all_events(self) -> frozenset[str]:
        return frozenset(self.events).union(*(events for _, events in self.by_outcome))


NO_EFFECT = PrescriptionEffect()


@dataclass(frozen=True)
class ActionSpec:
    """One legal action: who may take it, when, what it does to 時効, who records it, what document records it."""

    kind: ActionKind
    label: str  # the domain's word (督促, 差押 …)
    group: ActionGroup
    categories: frozenset[LegalCategory]
    basis: str  # quoted when the action is allowed
    refusal: str = ""  # why a category outside ``categories`` may not take it
    prerequisites: tuple[Prerequisite, ...] = ()
    paused_by_hold: bool = False
    #: a demand, a reminder or an escalation, held while a reported payment is in transit (収納速報 → 確報)
    waits_for_payment_report: bool = False
    measure: Measure | None = None
    prescription: PrescriptionEffect = NO_EFFECT
    role: str = "collector"
    document: str | None = None
    step: str | None = None
    closes: str | None = None  # a closing action (完納, 不納欠損): nothing may follow; the words say how it closed
    extinguishes: str | None = None  # 債権放棄: the claim is extinguished by it; the words say how
    on_extinguished: bool = False  # the one thing left on an extinguished (or waived) claim: 不納欠損
    on_settled: bool = False  # the one thing left when nothing is open: 完納
    records_amount: bool = False  # the record carries yen (滞納処分費)


_ALL = frozenset(LegalCategory)
_FORCED = frozenset({LegalCategory.FORCED_PUBLIC})
_COURT = frozenset({LegalCategory.NON_FORCED_PUBLIC, LegalCategory.PRIVATE})

_NOT_COURT = ("強制徴収公債権 are collected by the city's own 滞納処分 (自力執行権: 地方自治法231条の3第3項) and may not "
              "use the courts (最大判昭和41年2月23日); {what} is for 非強制徴収公債権 and 私債権")
_NOT_DISPOSITION = ("{what} is 滞納処分 and is for 強制徴収公債権 only (地方税法331条, 地方自治法231条の3第3項); "
                    "非強制徴収公債権 and 私債権 go to court: 債務名義, then 強制執行 (民事執行法22条)")

_COURT_EFFECT = PrescriptionEffect(
    ("court_filing",),
    ((TITLE_OUTCOMES, ("court_filing", "judgment")), (COURT_ENDED_OUTCOMES, ("court_filing", "court_ended"))),
    "suspends completion while pending (民法147条1項); a final judgment or 支払督促 renews it for 10 years "
    "(民法147条2項, 169条1項); ended without one: 6 months' suspension (民法147条1項)")
_SEIZURE_EFFECT = PrescriptionEffect(("seizure",), statute="suspends completion while the seizure lasts (民法148条1項)")

K, G, P = ActionKind, ActionGroup, Prerequisite

_ROWS = (
    ActionSpec(K.DEMAND_NOTICE, "督促", G.DEMAND, _ALL,
               "督促 (地方自治法231条の3第1項, 地方税法329条; 私債権: 地方自治法施行令171条)",
               prerequisites=(P.OVERDUE, P.DEMAND_NOT_YET_SENT), waits_for_payment_report=True,
               prescription=PrescriptionEffect(
                   ("demand_notice",), statute="the first 督促 renews a public claim (地方自治法236条4項; local taxes "
                   "after 10 days counted from sending: 地方税法18条の2第1項2号); a private claim's is a 催告 (民法150条)"),
               document="demand_notice", step="send the demand notice (督促)"),
    ActionSpec(K.REMINDER_LETTER, "催告 (文書)", G.REMINDER, _ALL, "催告 by letter", prerequisites=(P.OVERDUE,), waits_for_payment_report=True,
               prescription=PrescriptionEffect(
                   ("reminder",), statute="a written 催告 suspends completion for 6 months, once (民法150条)"),
               document="reminder", step="send a reminder letter (催告)"),
    ActionSpec(K.REMINDER_PHONE, "催告 (電話)", G.REMINDER, _ALL, "催告 by phone", prerequisites=(P.OVERDUE,), waits_for_payment_report=True,
               step="phone the debtor (電話催告)"),
    ActionSpec(K.REMINDER_VISIT, "催告 (臨戸)", G.REMINDER, _ALL, "催告 by visit (臨戸)", prerequisites=(P.OVERDUE,), waits_for_payment_report=True,
               step="visit the debtor (臨戸)"),
    ActionSpec(K.REMINDER_WORKPLACE, "催告 (勤務先)", G.REMINDER, _ALL, "催告 at the workplace",
               prerequisites=(P.OVERDUE,), waits_for_payment_report=True, paused_by_hold=True,
               step="contact the debtor at the workplace (勤務先)"),
    ActionSpec(K.PAYMENT_CONSULTATION, "納付相談", G.CONSULTATION, _ALL,
               "納付相談 (with 利用勧奨: 生活困窮者自立支援法8条)", step="offer a payment consultation (納付相談)"),
    ActionSpec(K.INSTALLMENT_AGREEMENT, "分納誓約", G.CONSULTATION, _ALL, "分納誓約 (an acknowledgement: 民法152条)",
               document="installment_pledge", prescription=PrescriptionEffect(
                   ("installment_pledge",), statute="an acknowledgement (承認) renews the period (民法152条)")),
    ActionSpec(K.ASSET_INVESTIGATION, "財産調査", G.DISPOSITION, _FORCED,
               "質問検査権 (国税徴収法141条 via 地方税法331条6項)",
               "財産調査 with 質問検査権 (国税徴収法141条 via 地方税法331条6項) belongs to 滞納処分 and is for "
               "強制徴収公債権 only; for 非強制徴収公債権 and 私債権 use 財産開示手続 or 第三者からの情報取得手続 "
               "(民事執行法196条, 204条) after a 債務名義",
               prerequisites=(P.OVERDUE,), document="asset_inquiry", step="investigate assets (財産調査)"),
    ActionSpec(K.SEIZURE, "差押", G.DISPOSITION, _FORCED, "差押 (地方税法331条1項1号)",
               _NOT_DISPOSITION.format(what="administrative seizure (差押)"),
               prerequisites=(P.OVERDUE, P.DEMAND_SENT, P.SEIZURE_WAIT_OVER), waits_for_payment_report=True, paused_by_hold=True,
               prescription=_SEIZURE_EFFECT, role="supervisor", step="seize (差押)"),
    ActionSpec(K.REALISATION, "換価", G.DISPOSITION, _FORCED, "換価 (国税徴収法89条 via 地方税法331条6項)",
               _NOT_DISPOSITION.format(what="換価 (realisation of seized property)"),
               prerequisites=(P.OVERDUE, P.DEMAND_SENT, P.PROPERTY_SEIZED), waits_for_payment_report=True, paused_by_hold=True,
               role="supervisor", step="realise seized property (換価)"),
    ActionSpec(K.PAYMENT_ORDER, "支払督促", G.COURT_FILING, _COURT,
               "支払督促 (民事訴訟法382条; 地方自治法施行令171条の2)",
               _NOT_COURT.format(what="支払督促 (民事訴訟法382条)"),
               prerequisites=(P.OVERDUE, P.DEMAND_SENT), waits_for_payment_report=True, paused_by_hold=True, prescription=_COURT_EFFECT,
               step="apply for a court payment order (支払督促)"),
    ActionSpec(K.SMALL_CLAIMS_SUIT, "少額訴訟", G.COURT_FILING, _COURT,
               "少額訴訟 (民事訴訟法368条; 地方自治法施行令171条の2)",
               _NOT_COURT.format(what="少額訴訟 (民事訴訟法368条)"),
               prerequisites=(P.OVERDUE, P.DEMAND_SENT, P.WITHIN_SMALL_CLAIMS_LIMIT), waits_for_payment_report=True, paused_by_hold=True,
               prescription=_COURT_EFFECT, step="file a small-claims suit (少額訴訟)"),
    ActionSpec(K.LAWSUIT, "訴訟", G.COURT_FILING, _COURT,
               "訴訟 (地方自治法施行令171条の2; 議決: 地方自治法96条1項12号)", _NOT_COURT.format(what="訴訟"),
               prerequisites=(P.OVERDUE, P.DEMAND_SENT), waits_for_payment_report=True, paused_by_hold=True, prescription=_COURT_EFFECT,
               step="file a lawsuit (訴訟)"),
    ActionSpec(K.COMPULSORY_EXECUTION, "強制執行", G.EXECUTION, _COURT, "強制執行 on a 債務名義 (民事執行法22条)",
               _NOT_COURT.format(what="強制執行 under 民事執行法"),
               prerequisites=(P.OVERDUE, P.COURT_TITLE), waits_for_payment_report=True, paused_by_hold=True, prescription=_SEIZURE_EFFECT,
               role="supervisor", step="apply for compulsory execution (強制執行)"),
    ActionSpec(K.COLLECTION_GRACE, "徴収猶予", G.MEASURE, _FORCED, "徴収猶予 (地方税法15条)",
               "徴収猶予 (地方税法15条) is for 強制徴収公債権 only; for 非強制徴収公債権 and 私債権 use 履行延期の特約 "
               "(地方自治法施行令171条の6)",
               measure=Measure(
                   "徴収猶予 is in force since {since}: no new 督促 or 滞納処分 during it (地方税法15条の2の3第1項)",
                   blocks=frozenset({K.DEMAND_NOTICE, K.SEIZURE, K.REALISATION}), halves_late_charge=True)),
    ActionSpec(K.REALISATION_GRACE, "換価の猶予", G.MEASURE, _FORCED, "換価の猶予 (地方税法15条の5, 15条の6)",
               "換価の猶予 (地方税法15条の5, 15条の6) is for 強制徴収公債権 only; for 非強制徴収公債権 and 私債権 use "
               "履行延期の特約 (地方自治法施行令171条の6)",
               prerequisites=(P.OVERDUE,),
               measure=Measure(
                   "換価の猶予 is in force since {since}: no new seizure and no realisation during it (地方税法15条の5, "
                   "15条の6; the grace is given so that the debtor's business or livelihood can go on)",
                   blocks=frozenset({K.SEIZURE, K.REALISATION}), halves_late_charge=True)),
    ActionSpec(K.SUSPENSION_OF_EXECUTION, "執行停止", G.MEASURE, _FORCED, "執行停止 (地方税法15条の7)",
               "執行停止 (地方税法15条の7) suspends 滞納処分 and is for 強制徴収公債権 only; for 非強制徴収公債権 and "
               "私債権 use 徴収停止 (地方自治法施行令171条の5)",
               prerequisites=(P.OVERDUE,),
               measure=Measure(
                   "執行停止 is in force since {since}: 滞納処分 is not executed while suspended (地方税法15条の7); "
                   "revoke it first (地方税法15条の8)", blocks=frozenset({K.SEIZURE, K.REALISATION})),
               prescription=PrescriptionEffect(
                   ("exemption_of_execution",), ((END_OUTCOMES, ("exemption_revoked",)),),
                   "continued 3 years it extinguishes the liability (地方税法15条の7第4項); revoked, the count stops "
                   "(地方税法15条の8)")),
    ActionSpec(K.SUSPENSION_OF_COLLECTION, "徴収停止", G.MEASURE, _COURT, "徴収停止 (地方自治法施行令171条の5)",
               "徴収停止 (地方自治法施行令171条の5) is for 非強制徴収公債権 and 私債権; for 強制徴収公債権 use 執行停止 "
               "(地方税法15条の7)",
               prerequisites=(P.OVERDUE,),
               measure=Measure(
                   "徴収停止 is in force since {since}: the city has stopped securing and collecting the claim "
                   "(地方自治法施行令171条の5); end it first",
                   blocks_groups=frozenset({G.REMINDER, G.COURT_FILING, G.EXECUTION}))),
    ActionSpec(K.DEFERRED_PERFORMANCE, "履行延期の特約", G.MEASURE, _COURT, "履行延期の特約 (地方自治法施行令171条の6)",
               "履行延期の特約 (地方自治法施行令171条の6) excludes 強制徴収公債権; for them use 徴収猶予 (地方税法15条) or "
               "換価の猶予 (地方税法15条の5, 15条の6)",
               measure=Measure(
                   "履行延期の特約 of {since} defers the due date (地方自治法施行令171条の6): no court action until it "
                   "ends or is cancelled", blocks_groups=frozenset({G.COURT_FILING, G.EXECUTION}))),
    ActionSpec(K.SEIZURE_RELEASE, "差押解除", G.DISPOSITION, _ALL,
               "差押解除 / end of the procedure (民法148条: prescription runs anew)",
               prerequisites=(P.SEIZURE_OPEN,),
               prescription=PrescriptionEffect(
                   ("seizure_ended",), statute="the end of the seizure renews the period (民法148条2項)")),
    ActionSpec(K.DISPOSITION_COST, "滞納処分費", G.DISPOSITION, _FORCED, "滞納処分費 (国税徴収法136条 via 地方税法331条6項)",
               "滞納処分費 belong to 滞納処分, for 強制徴収公債権 only; court costs of other claims follow "
               "民事訴訟費用等に関する法律",
               prerequisites=(P.SEIZURE_ON_RECORD,), records_amount=True),
    ActionSpec(K.INVOCATION, "援用", G.EXTINCTION, frozenset({LegalCategory.PRIVATE}),
               "援用 (民法145条): the claim is extinguished",
               "public claims are extinguished at completion without invocation (地方自治法236条2項, 地方税法18条2項): "
               "there is nothing to invoke",
               prerequisites=(P.PRESCRIPTION_COMPLETED,),
               prescription=PrescriptionEffect(
                   ("invocation",), statute="extinguishes a private claim whose period has completed (民法145条)")),
    ActionSpec(K.WRITE_OFF, "不納欠損", G.EXTINCTION, _ALL, "不納欠損 of an extinguished claim",
               prerequisites=(P.EXTINGUISHED,), role="supervisor", closes="不納欠損 (written off)",
               on_extinguished=True),
    ActionSpec(K.WAIVER, "債権放棄", G.EXTINCTION, _COURT, "債権放棄 (地方自治法96条1項10号)",
               "強制徴収公債権 cannot be waived by resolution: they end by 時効 without invocation (地方税法18条, "
               "地方自治法236条) or by 執行停止 (地方税法15条の7第4項, 第5項); 債権放棄 (地方自治法96条1項10号) is for "
               "非強制徴収公債権 and 私債権",
               prerequisites=(P.BASIS_GIVEN,), role="supervisor", extinguishes="waived (債権放棄)"),
    ActionSpec(K.PAID_IN_FULL, "完納", G.SETTLEMENT, _ALL, "完納", prerequisites=(P.NOTHING_OPEN,),
               closes="完納 (paid in full)", on_settled=True),
)

ACTIONS: Mapping[ActionKind, ActionSpec] = MappingProxyType({spec.kind: spec for spec in _ROWS})
"""Every action's row, in the order above: workflow.py tries the measures in force in this order (the first one
that blocks an action gives the reason)."""

del K, G, P


def spec_of(kind: str) -> ActionSpec | None:
    """The row of a stored kind code; None for a code no row has (a stored value is never trusted blindly)."""
    try:
        return ACTIONS[ActionKind(kind)]
    except ValueError:
        return None


def kinds_where(test: Callable[[ActionSpec], object] | None = None, *,
                group: ActionGroup | None = None) -> frozenset[ActionKind]:
    """The kinds whose row passes ``test`` and belongs to ``group`` (each when given)."""
    return frozenset(spec.kind for spec in ACTIONS.values()
                     if (group is None or spec.group is group) and (test is None or test(spec)))
