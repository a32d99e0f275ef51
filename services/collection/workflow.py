"""The action record (経過記録) rules: which action staff may take on a claim now, given its legal category
(債権の分類), the facts the caller knows and the claim's history of earlier actions.

Why a module of its own: the same question ("may we seize / sue / waive this?") is asked by the staff screen, the
case API and batch jobs, and the answer is law, not policy. What each action needs is its row in the table of
legal actions (legal_actions.py: categories, prerequisites, welfare hold, the measure it is); this module checks
each prerequisite (``_CHECKS``) and ``check_action`` reads the row in one fixed order, so the first reason found is
the one staff see. Pure: no I/O, no clock (the caller passes the date).

Readings of the law chosen here (stated plainly; change them here and only here):

- 督促 deadline (``demand_notice_due``): "納期限後20日以内" (地方税法329条1項 and the parallel articles; other
  claims by ordinance). The first day is not counted (地方税法20条の5第1項, 民法140条), so day 1 is the day after
  the due date and the deadline is due date + 20 days: due 2024-05-31 → 2024-06-20. No shift for weekends or
  holidays. The deadline is directory (訓示規定): a late 督促 is still valid, so ``demand_notice`` stays allowed
  after it; the task only turns overdue.
- A claim gets one 督促 (the one with legal effect: it is the precondition of 滞納処分 and renews prescription,
  地方自治法236条4項). Later demands are 催告 (``reminder_letter`` and the other reminders).
- Seizure waits for "督促状を発した日から起算して10日を経過した日までに完納しないとき" (地方税法331条1項1号;
  国税徴収法47条1項1号 for the same words). "起算して" counts the sending day as day 1, so the ten days are
  D … D+9 and "the day on which ten days have passed" is D+10. The debtor may still pay in full on D+10; the
  duty to seize arises only once D+10 has ended. The earliest seizure is therefore D+11: notice sent 2024-06-20
  → payable through 2024-06-30 → seizure from 2024-07-01. The date D is the ``on`` of the first
  ``demand_notice`` record (the date sent, not the date received). No holiday shift; 繰上差押 (331条3項) is not
  modelled. The rule applies to every 強制徴収公債権, since non-tax ones are collected "地方税の滞納処分の例による"
  (地方自治法231条の3第3項).
- Court procedures (支払督促, 少額訴訟, 訴訟) follow a 督促 (地方自治法施行令171条, 171条の2). 強制執行 needs a
  債務名義 (民事執行法22条), modelled as an earlier ``payment_order``, ``small_claims_suit`` or ``lawsuit`` record
  whose outcome is "won" or "final". 少額訴訟 is for claims of at most 600,000 yen (民事訴訟法368条1項, since
  2004-04-01; 300,000 yen before), judged on ``balance`` (the principal: 附帯請求 such as 遅延損害金 do not count,
  民事訴訟法9条2項). Filing suit also needs the assembly's resolution or a 専決処分 (地方自治法96条1項12号);
  that is not checked here.
- Terminal states: after 完納 (``paid_in_full``) or 不納欠損 (``write_off``) nothing more. 債権放棄 (``waiver``)
  extinguishes the claim, and 不納欠損 is the accounting write-off of an extinguished claim, so after a waiver the
  only action left is ``write_off``.
- An extinguished claim (``facts.extinguished``: prescription, 執行停止 for 3 years, 援用 of a private claim; computed
  by prescription.py from the claim's legal events and carried in ``ClaimFacts``) allows only ``write_off``: a
  public claim is extinguished without invocation (地方自治法236条2項, 地方税法18条2項) and may not be collected at
  all. ``write_off`` needs the claim extinguished or waived.
- A private claim whose period has completed (``facts.prescription_completed_on``) may still be collected until the
  debtor invokes prescription; ``invocation`` (援用, 民法145条) records that, and is refused for public claims (they
  need none) and before completion.
- A claim with nothing open (principal, 督促手数料, 滞納処分費 and a 延滞金 fixed by the principal's payment all 0:
  ``facts.open_total``) allows only ``paid_in_full``, which needs exactly that. 延滞金 left after the principal is
  paid keeps the claim open: it may be demanded and collected like the principal.
- ``seizure_release`` (差押解除, or the end of the procedure) needs an open seizure; it is what makes prescription
  run anew (民法148条). ``disposition_cost`` (滞納処分費, 地方税法 through 国税徴収法136条) needs a seizure on record.
- Welfare hold (``facts.on_hold``, a city decision made with the support programmes, not a statutory stay): it
  pauses escalation. Blocked: seizure, realisation, workplace reminders, compulsory execution and also filing in
  court (支払督促, 少額訴訟, 訴訟), which are the escalation step for claims without 自力執行権. Still open: 督促
  (mandatory), letters, phone calls, visits, consultation, installment agreements, asset investigation, 執行停止,
  徴収猶予, 徴収停止 and 履行延期の特約.
- Measures in force (猶予・停止): a ``collection_grace``, ``realisation_grace``, ``suspension_of_execution``,
  ``suspension_of_collection`` or ``deferred_performance`` record is in force from its date until a later record of
  the same kind whose outcome is "ended", "revoked" or "rejected" (the latest record of that kind decides). While in
  force it blocks what the law says it blocks (its row's ``measure`` in legal_actions.py). Recording the same kind
  again stays allowed, so staff can record its extension or end.
- History: only records dated on or before ``on`` count, in date order (same-day records keep the order given).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

from contracts.enums import LegalCategory
from services.collection.legal_actions import (
    ACTIONS,
    END_OUTCOMES,
    TITLE_OUTCOMES,
    ActionGroup,
    ActionKind,
    ActionSpec,
    Prerequisite,
)
from services.collection.refusals_ja import CATEGORY_JA, japanese_refusal

__all__ = [
    "ActionKind",
    "ActionRecord",
    "ClaimFacts",
    "DEMAND_NOTICE_DAYS",
    "Decision",
    "SEIZURE_WAIT_DAYS",
    "SMALL_CLAIMS_LIMITS",
    "TITLE_OUTCOMES",
    "END_OUTCOMES",
    "Task",
    "allowed_actions",
    "check_action",
    "demand_notice_due",
    "demand_notice_task",
    "earliest_seizure",
    "small_claims_limit",
]


# --- periods and limits (statutory numbers, kept as named data rather than literals in the logic) -------------

DEMAND_NOTICE_DAYS = 20
"""督促 within 20 days after the due date (地方税法329条1項 etc.); the day after the due date is day 1."""

SEIZURE_WAIT_DAYS = 10
"""督促状を発した日から起算して10日を経過した日 (地方税法331条1項1号): the sending day is day 1."""

SMALL_CLAIMS_LIMITS: tuple[tuple[date, int], ...] = (
    (date(1998, 1, 1), 300_000),  # 少額訴訟 introduced by the 1996 Code of Civil Procedure, in force 1998-01-01
    (date(2004, 4, 1), 600_000),  # raised by the 2003 amendment of 民事訴訟法368条1項
)
"""少額訴訟 limit on the value of the claim, dated: (in force from, at most this many yen)."""

_MODELLED_ON = "modelled: a payment_order, small_claims_suit or lawsuit record with outcome 'won' or 'final'"


# --- records and answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRecord:
    """One entry of the 経過記録: what was done, when, by whom, with what outcome."""

    kind: ActionKind
    on: date
    by: str
    outcome: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ActionKind(self.kind))  # a stored code string becomes the enum


@dataclass(frozen=True)
class PaymentInTransit:
    """A payment the collection agent reported (速報) whose money and 確報 have not reached the city yet."""

    paid_on: date
    expected_by: date  # the 確報 is due by then; after it the report is a difference to reconcile, not a stay
    amount: int


@dataclass(frozen=True)
class ClaimFacts:
    """What the caller knows about the claim now. The prescription result (``extinguished_on``, and for a private
    claim ``prescription_completed_on`` while not invoked) comes from prescription.py over the claim's legal
    events; ``on_hold`` (welfare hold) is decided elsewhere; this module only obeys them. ``balance`` is the open
    principal in yen; ``late_charge_open`` the 延滞金 fixed by the principal's payment and still unpaid;
    ``fees_open`` the 督促手数料 and 滞納処分費 still unpaid."""

    legal_category: LegalCategory
    balance: int
    due_date: date  # 納期限
    extinguished: bool = False
    on_hold: bool = False
    extinguished_on: date | None = None
    prescription_completed_on: date | None = None  # a private claim's period completed, not yet invoked
    late_charge_open: int = 0
    fees_open: int = 0
    payment_in_transit: PaymentInTransit | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "legal_category", LegalCategory(self.legal_category))
        if self.extinguished_on is not None:
            object.__setattr__(self, "extinguished", True)

    @property
    def open_total(self) -> int:
        return self.balance + self.late_charge_open + self.fees_open


@dataclass(frozen=True)
class Decision:
    """The answer for one action: allowed or not, and why in words naming the statute. A refusal also carries its
    ``code`` (the step or prerequisite that refused) and ``reason_ja``, the same refusal in Japanese with the same
    statutes, for officers' screens (refusals_ja.py)."""

    allowed: bool
    reason: str
    code: str = ""
    reason_ja: str = ""


@dataclass(frozen=True)
class Task:
    """A to-do for staff. ``days_left`` is negative once ``due_on`` has passed (then ``overdue`` is true)."""

    kind: str
    due_on: date
    overdue: bool
    days_left: int


# --- the history as the rules see it ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    category: LegalCategory
    kind: ActionKind
    history: tuple[ActionRecord, ...]  # records on or before `on`, in date order
    facts: ClaimFacts
    on: date
    basis: str

    def first(self, kind: ActionKind) -> ActionRecord | None:
        return next((r for r in self.history if r.kind == kind), None)

    def last(self, kind: ActionKind) -> ActionRecord | None:
        return next((r for r in reversed(self.history) if r.kind == kind), None)

    def court_title(self) -> ActionRecord | None:
        return next((r for r in self.history
                     if ACTIONS[r.kind].group is ActionGroup.COURT_FILING and r.outcome in TITLE_OUTCOMES), None)


def _visible(history: Sequence[ActionRecord], on: date) -> tuple[ActionRecord, ...]:
    """Records known on ``on``, oldest first; a stable sort keeps the given order of same-day records."""
    return tuple(sorted((r for r in history if r.on <= on), key=lambda r: r.on))


# --- per-action requirements (referenced from the table) ----------------------------------------------------


def earliest_seizure(demand_sent_on: date) -> date:
    """The first day a seizure may be made after a 督促 sent on ``demand_sent_on`` (地方税法331条1項1号).

    The sending day is day 1, so ten days have passed on D+10; the debtor may pay in full through that day, and the
    duty to seize arises the day after: D+11."""
    return demand_sent_on + timedelta(days=SEIZURE_WAIT_DAYS + 1)


def small_claims_limit(on: date) -> int | None:
    """The 少額訴訟 limit in force on ``on`` (None before the procedure existed)."""
    limit = None
    for since, amount in SMALL_CLAIMS_LIMITS:
        if on >= since:
            limit = amount
    return limit


def _demand_not_yet_sent(ctx: _Context) -> str | None:
    sent = ctx.first(ActionKind.DEMAND_NOTICE)
    if sent is None and ctx.facts.balance <= 0:
        return ("the principal is paid: a 督促 demands the principal (地方税法329条: 納期限までに完納しないとき); the "
                "延滞金 left is demanded by a 催告 or a 納付書")
    if sent is None:
        return None
    return (f"a 督促 was already sent on {sent.on.isoformat()}: a claim gets one 督促 (地方自治法231条の3第1項, "
            "地方税法329条); further demands are 催告 (reminder_letter, reminder_phone, reminder_visit)")


def _seizure_wait_over(ctx: _Context) -> str | None:
    sent = ctx.first(ActionKind.DEMAND_NOTICE)
    if sent is None:  # the table's needs_demand already refuses this; kept so the check stands alone
        return "no 督促 has been sent: seizure needs one (地方税法331条1項1号)"
    earliest = earliest_seizure(sent.on)
    if ctx.on >= earliest:
        return None
    last_payable = earliest - timedelta(days=1)
    return (f"seizure is possible from {earliest.isoformat()} only: the 督促 was sent on {sent.on.isoformat()} "
            f"(day 1) and the debtor may pay in full through {last_payable.isoformat()}, the day on which "
            f"{SEIZURE_WAIT_DAYS} days have passed (地方税法331条1項1号: 督促状を発した日から起算して10日を経過した日)")


def _something_seized(ctx: _Context) -> str | None:
    if ctx.first(ActionKind.SEIZURE) is not None:
        return None
    return "換価 realises seized property, and no seizure (差押) is recorded for this claim (国税徴収法89条, 地方税法331条6項)"


def _within_small_claims_limit(ctx: _Context) -> str | None:
    limit = small_claims_limit(ctx.on)
    if limit is None:
        return f"少額訴訟 did not exist on {ctx.on.isoformat()} (民事訴訟法368条, in force from 1998-01-01)"
    if ctx.facts.balance <= limit:
        return None
    return (f"少額訴訟 is for claims of {limit:,} yen or less (民事訴訟法368条1項); this claim is "
            f"{ctx.facts.balance:,} yen: use 支払督促 (payment_order) or 訴訟 (lawsuit)")


def _has_court_title(ctx: _Context) -> str | None:
    if ctx.court_title() is not None:
        return None
    return ("強制執行 needs a 債務名義 (民事執行法22条): a judgment or a 支払督促 that has become final; none is "
            f"recorded for this claim ({_MODELLED_ON})")


def _extinguished(ctx: _Context) -> str | None:
    if ctx.facts.extinguished or _extinguished_by_record(ctx.history) is not None:
        return None
    return ("不納欠損 is the accounting write-off of a claim already extinguished (時効: 地方自治法236条, 地方税法18条, "
            "民法166条 with 援用; 執行停止 for 3 years: 地方税法15条の7第4項; or 債権放棄); this claim is not extinguished")


def _has_basis(ctx: _Context) -> str | None:
    if ctx.basis.strip():
        return None
    return ("債権放棄 needs the assembly's resolution or a receivables-management ordinance (地方自治法96条1項10号): "
            "give the 議決 or the 条例 provision as the basis")


def _nothing_open(ctx: _Context) -> str | None:
    if ctx.facts.open_total <= 0:
        return None
    return f"{ctx.facts.open_total:,} yen is still open: 完納 is recorded when the balance is 0"


def _prescription_completed(ctx: _Context) -> str | None:
    done = ctx.facts.prescription_completed_on
    if done is not None and done < ctx.on:
        return None
    return ("援用 (民法145条) is possible only once the prescription period has completed; it has not "
            "(see the claim's 時効)")


def _seizure_open(ctx: _Context) -> str | None:
    seizures = sum(1 for r in ctx.history if r.kind in (ActionKind.SEIZURE, ActionKind.COMPULSORY_EXECUTION))
    releases = sum(1 for r in ctx.history if r.kind == ActionKind.SEIZURE_RELEASE)
    if seizures > releases:
        return None
    return "no seizure (差押) is open on this claim: nothing to release"


def _seized(ctx: _Context) -> str | None:
    if ctx.first(ActionKind.SEIZURE) is not None:
        return None
    return "滞納処分費 are the costs of a 滞納処分 (国税徴収法136条 via 地方税法331条6項), and no seizure is recorded"


# --- the checks of the table's prerequisites ----------------------------------------------------------------


def _overdue(ctx: _Context) -> str | None:
    if ctx.on > ctx.facts.due_date:
        return None
    return f"the claim is not overdue until its 納期限 {ctx.facts.due_date.isoformat()} has passed"


def _demand_sent(ctx: _Context) -> str | None:
    if ctx.first(ActionKind.DEMAND_NOTICE) is not None:
        return None
    return ("no 督促 has been sent: a 督促 must come first (地方税法331条1項1号 for 滞納処分; "
            "地方自治法施行令171条, 171条の2 for court procedures)")


_CHECKS: Mapping[Prerequisite, Callable[[_Context], str | None]] = MappingProxyType({
    Prerequisite.OVERDUE: _overdue,
    Prerequisite.DEMAND_SENT: _demand_sent,
    Prerequisite.DEMAND_NOT_YET_SENT: _demand_not_yet_sent,
    Prerequisite.SEIZURE_WAIT_OVER: _seizure_wait_over,
    Prerequisite.PROPERTY_SEIZED: _something_seized,
    Prerequisite.WITHIN_SMALL_CLAIMS_LIMIT: _within_small_claims_limit,
    Prerequisite.COURT_TITLE: _has_court_title,
    Prerequisite.SEIZURE_OPEN: _seizure_open,
    Prerequisite.SEIZURE_ON_RECORD: _seized,
    Prerequisite.PRESCRIPTION_COMPLETED: _prescription_completed,
    Prerequisite.EXTINGUISHED: _extinguished,
    Prerequisite.BASIS_GIVEN: _has_basis,
    Prerequisite.NOTHING_OPEN: _nothing_open,
})
"""How each prerequisite of the table is checked: None when it holds, else the refusal naming the statute."""

_BEFORE_HOLD = (Prerequisite.OVERDUE, Prerequisite.DEMAND_SENT)
"""Checked before the welfare hold and the measures in force; every other prerequisite after them."""

_HOLD_REASON = ("a welfare hold is active: escalation is paused (a city decision taken with the support programmes, "
                "生活困窮者自立支援法; not a statutory stay); consultation, installment agreements, 執行停止 and "
                "徴収停止 stay open")


def _words(test: Callable[[ActionSpec], bool]) -> str:
    """E.g. "不納欠損 (write_off)": the actions the table marks, for a refusal that says what is left."""
    return " or ".join(f"{spec.label} ({spec.kind.value})" for spec in ACTIONS.values() if test(spec))


def _extinguished_by_record(history: Sequence[ActionRecord]) -> ActionRecord | None:
    """The first record that extinguished the claim by itself (債権放棄), if any."""
    return next((r for r in history if ACTIONS[r.kind].extinguishes), None)


def _in_force(ctx: _Context, measure: ActionKind) -> ActionRecord | None:
    """The record that put ``measure`` in force, if the latest record of that kind has not ended it."""
    latest = ctx.last(measure)
    if latest is None or latest.outcome in END_OUTCOMES:
        return None
    return latest


# --- the public checks --------------------------------------------------------------------------------------


def check_action(category: str, kind: ActionKind, *, history: Sequence[ActionRecord], facts: ClaimFacts, on: date,
                 basis: str = "") -> Decision:
    """May staff take action ``kind`` on this claim on ``on``? ``basis`` is the 議決 or 条例 a waiver rests on.

    Checks in this order, the first failure giving the reason: terminal state, legal category, extinction, nothing
    open, overdue, prior 督促, welfare hold, a payment in transit, measures in force, the action's own
    requirement."""
    cat = LegalCategory(category)
    if facts.legal_category != cat:
        raise ValueError(f"category {cat.value!r} does not match facts.legal_category "
                         f"{facts.legal_category.value!r}")
    kind = ActionKind(kind)
    spec = ACTIONS[kind]
    ctx = _Context(cat, kind, _visible(history, on), facts, on, basis)

    def refused(code: str, reason: str, **found: object) -> Decision:
        return Decision(False, reason, code, japanese_refusal(code, reason, {**_found(ctx), **found}))

    for record in ctx.history:
        if (closed := ACTIONS[record.kind].closes) is not None:
            return refused("closed", f"the claim was closed by {closed} on {record.on.isoformat()}: "
                                     "nothing may be recorded after it",
                           closed_on=record.on, closed_by=ACTIONS[record.kind].label)
    ended = _extinguished_by_record(ctx.history)
    if ended is not None and not spec.on_extinguished:
        return refused("waived", f"the claim was {ACTIONS[ended.kind].extinguishes} on {ended.on.isoformat()} and is "
                                 f"extinguished: only {_words(lambda s: s.on_extinguished)} may follow",
                       closed_on=ended.on, closed_by=ACTIONS[ended.kind].label,
                       left=_labels(lambda s: s.on_extinguished))
    if cat not in spec.categories:
        return refused("category", spec.refusal)
    if facts.extinguished and not spec.on_extinguished:
        return refused("extinguished", "the claim is extinguished (時効 or 執行停止; public claims need no invocation: "
                                       "地方自治法236条2項, 地方税法18条2項) and may not be collected: only "
                                       f"{_words(lambda s: s.on_extinguished)} remains",
                       left=_labels(lambda s: s.on_extinguished))
    if facts.open_total <= 0 and not spec.on_settled:
        return refused("settled", f"nothing is open (balance {facts.open_total:,} yen): only "
                                  f"{_words(lambda s: s.on_settled)} may be recorded",
                       left=_labels(lambda s: s.on_settled))
    for prerequisite in _BEFORE_HOLD:
        if prerequisite in spec.prerequisites and (problem := _CHECKS[prerequisite](ctx)) is not None:
            return refused(_code(prerequisite, ctx), problem)
    if facts.on_hold and spec.paused_by_hold:
        return refused("welfare_hold", _HOLD_REASON)
    if (transit := facts.payment_in_transit) is not None and spec.waits_for_payment_report and on <= transit.expected_by:
        return refused("payment_in_transit",
                       f"a payment of {transit.amount:,} yen made on {transit.paid_on.isoformat()} was reported "
                       "by the collection agent (収納速報) and is in transit: no 督促, 催告 or disposition "
                       f"until its 確報 arrives or {transit.expected_by.isoformat()} passes",
                       amount=transit.amount, paid_on=transit.paid_on, expected_by=transit.expected_by)
    for measure in ACTIONS.values():
        if (measure.measure is not None and measure.measure.blocks_action(kind)
                and (record := _in_force(ctx, measure.kind)) is not None):
            return refused("measure", measure.measure.reason.format(since=record.on.isoformat()),
                           measure=measure.label, since=record.on)
    for prerequisite in spec.prerequisites:
        if prerequisite not in _BEFORE_HOLD and (problem := _CHECKS[prerequisite](ctx)) is not None:
            return refused(_code(prerequisite, ctx), problem)
    return Decision(True, f"allowed: {spec.basis}")


def _labels(test: Callable[[ActionSpec], bool]) -> str:
    """E.g. 不納欠損: the Japanese names of the actions the table marks (the Japanese refusals' "only … is left")."""
    return "・".join(spec.label for spec in ACTIONS.values() if test(spec))


def _found(ctx: _Context) -> dict[str, object]:
    """What a Japanese refusal may quote: the action, the category, the claim's dates and amounts."""
    demand = ctx.first(ActionKind.DEMAND_NOTICE)
    return {"label": ACTIONS[ctx.kind].label, "category": CATEGORY_JA.get(ctx.category, ctx.category.value),
            "due_date": ctx.facts.due_date, "on": ctx.on, "balance": ctx.facts.balance,
            "open_total": ctx.facts.open_total, "limit": small_claims_limit(ctx.on) or 0,
            **({"demand_on": demand.on, "earliest": earliest_seizure(demand.on)} if demand else {})}


def _code(prerequisite: Prerequisite, ctx: _Context) -> str:
    """The code of a failed prerequisite; two checks refuse in two ways and say which."""
    if prerequisite is Prerequisite.DEMAND_NOT_YET_SENT and ctx.first(ActionKind.DEMAND_NOTICE) is None:
        return "principal_paid"
    if prerequisite is Prerequisite.WITHIN_SMALL_CLAIMS_LIMIT and small_claims_limit(ctx.on) is None:
        return "no_small_claims"
    if prerequisite is Prerequisite.EXTINGUISHED:
        return "extinguished_needed"
    return prerequisite.value


def allowed_actions(category: str, *, history: Sequence[ActionRecord], facts: ClaimFacts, on: date,
                    basis: str = "") -> list[ActionKind]:
    """What a staff screen may offer now, in ``ActionKind`` order. Without ``basis`` a waiver is not offered."""
    return [kind for kind in ActionKind
            if check_action(category, kind, history=history, facts=facts, on=on, basis=basis).allowed]


def demand_notice_due(due_date: date) -> date:
    """The last day to send the 督促: the 20th day after the due date (地方税法329条1項: 納期限後20日以内)."""
    return due_date + timedelta(days=DEMAND_NOTICE_DAYS)


def demand_notice_task(due_date: date, history: Sequence[ActionRecord], as_of: date) -> Task | None:
    """The 督促 to-do for staff on ``as_of``, or None when there is nothing to do: not yet past due (the debtor may
    pay on the due date itself), a 督促 already sent, the claim closed or waived, or a measure in force that blocks
    the 督促 (徴収猶予)."""
    if as_of <= due_date:
        return None
    visible = _visible(history, as_of)
    if any(r.kind == ActionKind.DEMAND_NOTICE or ACTIONS[r.kind].closes or ACTIONS[r.kind].extinguishes
           for r in visible):
        return None
    for spec in ACTIONS.values():
        if spec.measure is not None and spec.measure.blocks_action(ActionKind.DEMAND_NOTICE):
            latest = next((r for r in reversed(visible) if r.kind == spec.kind), None)
            if latest is not None and latest.outcome not in END_OUTCOMES:
                return None
    due_on = demand_notice_due(due_date)
    days_left = (due_on - as_of).days
    return Task(kind=ActionKind.DEMAND_NOTICE.value, due_on=due_on, overdue=days_left < 0, days_left=days_left)
