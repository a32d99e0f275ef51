"""Next action (次の一手): for each case, the recommended next step, which department's lever leads, and why.

The practice behind it (docs: /work/shared/domain.md, "Practices from the source documents"):

- Ina City, 「弱点を攻める」: for each debtor the department with the strongest lever leads: seizure and liens for
  tax, supply suspension for commercial water users, phone calls before notices and early guarantor claims for
  housing, direct reminders by nursery heads for childcare fees.
- Nagoya: early-stage reminders first; escalation from phone to workplace contact.

Both are the city's policy, kept as versioned data in ``policy/escalation.v1.json`` (``load_policy``):

- a **ladder** per receivable type: ordered steps, each an ``ActionKind`` code with the minimum days overdue from
  which it is due (day 1 is the day after the due date, as in ``workflow``), and an optional note;
- **levers**: conditions on the debtor (``debtor_kind``, ``has_guarantor``, ``assets_known``,
  ``has_forced_public``) and on a claim (``receivable``, ``legal_category``, ``department``,
  ``min_days_overdue``, ``max_days_overdue``, ``after``: actions already in the claim's history), the department
  that leads (``lead``; none: the claim's own), the action and the reason in words.

The law is not policy: every step and lever is checked against ``workflow.check_action`` when the policy is loaded
(on a synthetic claim of the receivable's legal category; a ladder is also replayed step by step, each earlier step
taken on its own day, so a seizure before the 督促 or 10 days after it is refused), and every recommendation is
checked again on the real claim and day, so a recommendation is always a lawful action.

``recommend`` decides, in this order:

1. nothing overdue (no claim past its due date) → ``None``;
2. welfare hold (``on_hold``: escalation paused) → a payment consultation (納付相談) on the claims that allow it,
   never anything else;
3. the statutory 督促: when a claim has no 督促 on record (whoever sent it: the central office or the department,
   services/collection/store.py records the departments' own), its ladder's ``demand_notice`` day has come and
   ``workflow`` allows it now, the 督促 is recommended before any lever or reminder (催告) on any claim — it is
   the one step the law requires (地方自治法231条の3第1項; 私債権: 施行令171条), it has a deadline (20 days after the
   due date, 地方税法329条1項), it renews prescription (地方自治法236条4項) and every enforcement step waits for it.
   It names the claims of the most overdue such claim's department that need one;
4. the first lever whose conditions hold and whose action ``workflow`` allows now on at least one of its claims
   (claims on which the lever's action is already recorded since the lever's window opened do not count again,
   so a lever fires once per claim and the ladder takes over);
5. the ladder: claims most overdue first (due date, then claim id); for each, the first step whose day has come,
   that is not taken yet and that ``workflow`` allows now. "Taken" counts records: the n-th step with an action is
   taken when the claim's history holds n records of that action (so a step already done, also through a lever,
   is skipped; a step not lawful today, e.g. a seizure 5 days after a late 督促, is passed over for the next lawful
   one);
6. otherwise ``None``.

Each recommendation carries ``due_on``, the day its step became due; ``urgency`` orders cases by it and then by
the kind's place in the table of legal actions (``action_rank``): the case list's sort by next action, which the
case worker stores with each case (cases.py).

The lead department is the lever's, else the department of the claim the step is for. Reasons are plain English
with the facts (days overdue, amounts, receivable types), never personal data. Pure: the only I/O is
``load_policy`` reading the JSON file; no clock (the caller passes ``as_of``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from contracts.enums import Department, LegalCategory, PersonKind
from contracts.receivables import RECEIVABLES
from contracts.receivables import legal_category as receivable_category
from services.collection.legal_actions import ACTIONS, ActionGroup, Prerequisite, kinds_where
from services.collection.workflow import (
    DEMAND_NOTICE_DAYS,
    ActionKind,
    ActionRecord,
    ClaimFacts,
    Decision,
    PaymentInTransit,
    check_action,
)

__all__ = [
    "DEFAULT_POLICY_PATH",
    "ESCALATION_ACTIONS",
    "CaseSituation",
    "DelinquentClaim",
    "EscalationPolicy",
    "Ladder",
    "Lever",
    "LeverCondition",
    "Recommendation",
    "Step",
    "action_rank",
    "demand_notices_due",
    "load_policy",
    "parse_policy",
    "recommend",
    "urgency",
]

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy") / "escalation.v1.json"

A = ActionKind

ESCALATION_ACTIONS = kinds_where(lambda spec: spec.step is not None)
"""Actions a ladder step or a lever may recommend: contact and enforcement, the rows of the table of legal actions
that have a ``step``. Measures (猶予・停止), installment agreements (they need the debtor's word), waivers,
write-offs and 完納 are decisions, not collection steps."""

_WORDS: Mapping[ActionKind, str] = MappingProxyType({kind: ACTIONS[kind].step or "" for kind in ESCALATION_ACTIONS})

_CHECKER = "policy-check"  # the ``by`` of synthetic records
_SYNTHETIC_DUE = date(2024, 4, 30)
_SYNTHETIC_BALANCE = 10_000
_COURT_FILINGS = kinds_where(group=ActionGroup.COURT_FILING)


# --- the policy ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One rung of a ladder: ``action`` is due from ``min_days_overdue`` days after the due date."""

    action: ActionKind
    min_days_overdue: int
    note: str = ""


@dataclass(frozen=True)
class Ladder:
    """The escalation steps shared by ``receivables``, in order."""

    id: str
    receivables: tuple[str, ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class LeverCondition:
    """When a lever applies. ``None`` (or an empty ``after``) means "any". Debtor conditions: ``debtor_kind``,
    ``has_guarantor``, ``assets_known``, ``has_forced_public``; the others are per claim."""

    receivables: frozenset[str] | None = None
    legal_categories: frozenset[LegalCategory] | None = None
    departments: frozenset[Department] | None = None
    debtor_kind: PersonKind | None = None
    has_guarantor: bool | None = None
    assets_known: bool | None = None
    has_forced_public: bool | None = None
    min_days_overdue: int | None = None
    max_days_overdue: int | None = None
    after: tuple[ActionKind, ...] = ()


@dataclass(frozen=True)
class Lever:
    """Ina's 「弱点を攻める」: when ``when`` holds, ``action`` on the matching claims, led by ``lead`` (``None``: the
    department of the most overdue matching claim)."""

    id: str
    when: LeverCondition
    lead: Department | None
    action: ActionKind
    reason: str


@dataclass(frozen=True)
class EscalationPolicy:
    """A validated escalation policy: a ladder for every receivable type, and levers in priority order."""

    version: str
    effective_from: date | None
    ladders: Mapping[str, Ladder]  # by receivable code
    levers: tuple[Lever, ...]

    def ladder_for(self, receivable_type: str) -> Ladder:
        try:
            return self.ladders[receivable_type]
        except KeyError:
            raise KeyError(f"receivable_type: {self.version} has no escalation ladder for "
                           f"{receivable_type!r}") from None


# --- the case -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DelinquentClaim:
    """One delinquent claim of the debtor with its 経過記録. ``balance`` is the open principal in yen;
    ``extinguished`` (時効 etc., decided elsewhere) stops all collection. ``claim_id`` must be unique in the case
    (prefix the department where departmental ids may collide)."""

    department: Department
    claim_id: str
    receivable_type: str
    legal_category: LegalCategory
    due_date: date
    balance: int
    history: tuple[ActionRecord, ...] = ()
    extinguished: bool = False
    payment_in_transit: PaymentInTransit | None = None  # a reported payment on its way (収納速報): wait for it
    late_charge_open: int = 0  # the 延滞金 fixed and unpaid (a claim whose principal is paid may still owe it)
    fees_open: int = 0  # 督促手数料 and 滞納処分費 unpaid

    def __post_init__(self) -> None:
        where = f"claim {self.claim_id!r}"
        try:
            object.__setattr__(self, "department", Department(self.department))
            object.__setattr__(self, "legal_category", LegalCategory(self.legal_category))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        spec = RECEIVABLES.get(self.receivable_type)
        if spec is None:
            raise ValueError(f"{where}: unknown receivable type {self.receivable_type!r}")
        if spec.department != self.department:
            raise ValueError(f"{where}: receivable type {self.receivable_type!r} belongs to department "
                             f"{spec.department.value!r}, not {self.department.value!r}")
        object.__setattr__(self, "history", tuple(self.history))

    def days_overdue(self, as_of: date) -> int:
        """Day 1 is the day after the due date; 0 or less: not overdue."""
        return (as_of - self.due_date).days

    def facts(self, *, on_hold: bool) -> ClaimFacts:
        return ClaimFacts(self.legal_category, self.balance, self.due_date, extinguished=self.extinguished,
                          on_hold=on_hold, payment_in_transit=self.payment_in_transit,
                          late_charge_open=self.late_charge_open, fees_open=self.fees_open)


@dataclass(frozen=True)
class CaseSituation:
    """What ``recommend`` needs to know about one debtor's case; no personal data."""

    claims: tuple[DelinquentClaim, ...]
    debtor_kind: PersonKind = PersonKind.INDIVIDUAL
    has_guarantor: bool = False
    assets_known: bool = False
    on_hold: bool = False  # welfare referral: escalation paused

    def __post_init__(self) -> None:
        object.__setattr__(self, "claims", tuple(self.claims))
        object.__setattr__(self, "debtor_kind", PersonKind(self.debtor_kind))
        ids = Counter(c.claim_id for c in self.claims)
        twice = sorted(i for i, n in ids.items() if n > 1)
        if twice:
            raise ValueError(f"claims: claim id(s) {', '.join(twice)} appear more than once in the case")


@dataclass(frozen=True)
class Recommendation:
    """The next step for a case: who leads, what to do, on which claims, and why."""

    lead_department: Department
    action: ActionKind
    claim_ids: tuple[str, ...]
    reason: str
    lever_id: str | None
    due_on: date | None = field(default=None, compare=False)
    """From when the step is due: the day its ladder step or lever became due on the earliest of its claims (day
    ``min_days_overdue`` after the due date), the first overdue day for a 納付相談 under a welfare hold. What the case
    list sorts by (``urgency``); not part of equality (the same advice is the same advice)."""


def action_rank(kind: ActionKind) -> int:
    """A kind's place in the table of legal actions (legal_actions.ACTIONS: 督促, 催告, 納付相談 … 財産調査, 差押 …),
    which runs from the first contact to the heaviest step: the tie-break of two steps due the same day."""
    return _RANKS[kind]


_RANKS: Mapping[ActionKind, int] = MappingProxyType({kind: n for n, kind in enumerate(ACTIONS)})


def urgency(recommendation: Recommendation | None) -> tuple[int, date, int]:
    """The case list's "next action" order: the step due longest ago first, then by ``action_rank``; cases with
    nothing to do last. The database sorts by the same two stored columns (cases.next_action_due, _rank)."""
    if recommendation is None or recommendation.due_on is None:
        return (1, date.max, 0)
    return (0, recommendation.due_on, action_rank(recommendation.action))


# --- loading and validating ---------------------------------------------------------------------------------


def load_policy(path: Path | None = None, *, category_overrides: Mapping[str, str] | None = None) -> EscalationPolicy:
    """Read and validate the policy file (default: ``policy/escalation.v1.json`` next to this module).
    ``category_overrides`` are the city's legal categories per receivable, as in ``contracts.receivables``."""
    path = path or DEFAULT_POLICY_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"escalation policy {path}: not JSON: {exc}") from None
    return parse_policy(data, category_overrides=category_overrides)


def parse_policy(data: Mapping[str, Any], *, category_overrides: Mapping[str, str] | None = None) -> EscalationPolicy:
    """Validate a policy already read into a mapping; raises ``ValueError`` naming the ladder, receivable and step
    (or the lever) at fault."""
    if not isinstance(data, Mapping):
        raise ValueError("escalation policy: must be a JSON object")
    _only_keys("escalation policy", data, {"version", "description", "effective_from", "ladders", "levers"})
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValueError("version: must be a non-empty string")
    effective_from = None
    if data.get("effective_from") is not None:
        try:
            effective_from = date.fromisoformat(data["effective_from"])
        except (TypeError, ValueError):
            raise ValueError(f"effective_from: must be a date (YYYY-MM-DD), got {data['effective_from']!r}") from None
    overrides = dict(category_overrides or {})

    raw_ladders = data.get("ladders")
    if not isinstance(raw_ladders, list) or not raw_ladders:
        raise ValueError("ladders: must be a non-empty list")
    ladders: dict[str, Ladder] = {}
    ladder_ids: set[str] = set()
    for i, raw in enumerate(raw_ladders, 1):
        ladder = _parse_ladder(i, raw)
        if ladder.id in ladder_ids:
            raise ValueError(f"ladders: id {ladder.id!r} appears more than once")
        ladder_ids.add(ladder.id)
        for code in ladder.receivables:
            if code in ladders:
                raise ValueError(f"ladder {ladder.id!r}: receivable {code!r} already has ladder {ladders[code].id!r}")
            _check_ladder_lawful(ladder, code, receivable_category(code, overrides))
            ladders[code] = ladder
    missing = sorted(set(RECEIVABLES) - set(ladders))
    if missing:
        raise ValueError(f"ladders: no escalation ladder for receivable(s) {', '.join(missing)}")

    raw_levers = data.get("levers", [])
    if not isinstance(raw_levers, list):
        raise ValueError("levers: must be a list")
    levers: list[Lever] = []
    for i, raw in enumerate(raw_levers, 1):
        lever = _parse_lever(i, raw)
        if any(lever.id == other.id for other in levers):
            raise ValueError(f"levers: id {lever.id!r} appears more than once")
        _check_lever_lawful(lever, overrides)
        levers.append(lever)
    return EscalationPolicy(version, effective_from, MappingProxyType(ladders), tuple(levers))


def _only_keys(where: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _action(where: str, value: Any) -> ActionKind:
    try:
        kind = ActionKind(value)
    except ValueError:
        raise ValueError(f"{where}: unknown action {value!r}") from None
    if kind not in ESCALATION_ACTIONS:
        raise ValueError(f"{where}: {kind.value!r} is not a collection step (one of "
                         f"{', '.join(sorted(k.value for k in ESCALATION_ACTIONS))})")
    return kind


def _days(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: must be a whole number of days, at least 1 (day 1 is the day after the due date), "
                         f"got {value!r}")
    return value


def _codes(where: str, value: Any) -> tuple[str, ...]:
    codes = (value,) if isinstance(value, str) else value
    if not isinstance(codes, list | tuple) or not codes or not all(isinstance(c, str) for c in codes):
        raise ValueError(f"{where}: must be a code or a non-empty list of codes, got {value!r}")
    return tuple(codes)


def _parse_ladder(i: int, raw: Any) -> Ladder:
    if not isinstance(raw, Mapping):
        raise ValueError(f"ladders: item {i} must be an object")
    _only_keys(f"ladders: item {i}", raw, {"id", "description", "receivables", "steps"})
    ladder_id = raw.get("id")
    if not isinstance(ladder_id, str) or not ladder_id.strip():
        raise ValueError(f"ladders: item {i} needs an id")
    where = f"ladder {ladder_id!r}"
    receivables = _codes(f"{where}: receivables", raw.get("receivables"))
    unknown = [c for c in receivables if c not in RECEIVABLES]
    if unknown:
        raise ValueError(f"{where}: unknown receivable type(s) {', '.join(unknown)}")
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ValueError(f"{where}: steps must be a non-empty list")
    steps: list[Step] = []
    for n, step in enumerate(raw_steps, 1):
        at = f"{where}, step {n}"
        if not isinstance(step, Mapping):
            raise ValueError(f"{at}: must be an object")
        _only_keys(at, step, {"action", "min_days_overdue", "note"})
        action = _action(at, step.get("action"))
        days = _days(f"{at} ({action.value}): min_days_overdue", step.get("min_days_overdue"))
        note = step.get("note", "")
        if not isinstance(note, str):
            raise ValueError(f"{at} ({action.value}): note must be text")
        if steps and days < steps[-1].min_days_overdue:
            raise ValueError(f"{where} (receivables {', '.join(receivables)}), step {n} ({action.value}): day {days} "
                             f"comes before day {steps[-1].min_days_overdue} of step {n - 1} "
                             f"({steps[-1].action.value}): days must not decrease")
        steps.append(Step(action, days, note))
    demand = next((s for s in steps if s.action == A.DEMAND_NOTICE), None)
    if demand is None:
        raise ValueError(f"{where} (receivables {', '.join(receivables)}): has no demand_notice step; the 督促 is "
                         "mandatory (地方自治法231条の3第1項; 私債権: 地方自治法施行令171条)")
    if demand.min_days_overdue > DEMAND_NOTICE_DAYS:
        raise ValueError(f"{where} (receivables {', '.join(receivables)}): the demand_notice step is due from day "
                         f"{demand.min_days_overdue}, after the {DEMAND_NOTICE_DAYS} days within which the 督促 "
                         "must go out (地方税法329条1項 and the city's ordinances)")
    return Ladder(ladder_id, receivables, tuple(steps))


def _synthetic_facts(category: LegalCategory) -> ClaimFacts:
    return ClaimFacts(category, _SYNTHETIC_BALANCE, _SYNTHETIC_DUE)


def _lawful_for(category: LegalCategory, kind: ActionKind, after: Iterable[ActionKind] = ()) -> Decision:
    """May a claim of ``category`` take ``kind`` at all? Checked by ``workflow`` on a synthetic claim a year
    overdue on which every prerequisite is recorded (a 督促, a seizure, a final payment order, and ``after``)."""
    due = _SYNTHETIC_DUE
    prior: list[ActionRecord] = []
    if kind != A.DEMAND_NOTICE:
        prior.append(ActionRecord(A.DEMAND_NOTICE, due + timedelta(days=1), by=_CHECKER))
    needs = ACTIONS[kind].prerequisites
    if Prerequisite.PROPERTY_SEIZED in needs:
        prior.append(ActionRecord(A.SEIZURE, due + timedelta(days=60), by=_CHECKER))
    if Prerequisite.COURT_TITLE in needs:
        prior.append(ActionRecord(A.PAYMENT_ORDER, due + timedelta(days=60), by=_CHECKER, outcome="final"))
    for extra in after:
        if extra == A.DEMAND_NOTICE and kind != A.DEMAND_NOTICE:
            continue  # already there
        outcome = "final" if extra in _COURT_FILINGS else None
        prior.append(ActionRecord(extra, due + timedelta(days=90), by=_CHECKER, outcome=outcome))
    return check_action(category, kind, history=prior, facts=_synthetic_facts(category), on=due + timedelta(days=365))


def _check_ladder_lawful(ladder: Ladder, code: str, category: LegalCategory) -> None:
    """Every step lawful for the receivable's category, and lawful on its own day when each earlier step was taken
    on its own day (the earliest the ladder can reach it)."""
    due = _SYNTHETIC_DUE
    history: list[ActionRecord] = []
    for n, step in enumerate(ladder.steps, 1):
        at = (f"ladder {ladder.id!r}, receivable {code} ({category.value}), step {n} ({step.action.value}, "
              f"day {step.min_days_overdue})")
        lawful = _lawful_for(category, step.action)
        if not lawful.allowed:
            raise ValueError(f"{at}: not lawful for this receivable: {lawful.reason}")
        on = due + timedelta(days=step.min_days_overdue)
        decision = check_action(category, step.action, history=history, facts=_synthetic_facts(category), on=on)
        if not decision.allowed:
            raise ValueError(f"{at}: not lawful on its day even with every earlier step taken on its own day: "
                             f"{decision.reason}")
        history.append(ActionRecord(step.action, on, by=_CHECKER))


_WHEN_KEYS = {"receivable", "legal_category", "department", "debtor_kind", "has_guarantor", "assets_known",
              "has_forced_public", "min_days_overdue", "max_days_overdue", "after"}


def _parse_lever(i: int, raw: Any) -> Lever:
    if not isinstance(raw, Mapping):
        raise ValueError(f"levers: item {i} must be an object")
    _only_keys(f"levers: item {i}", raw, {"id", "when", "lead", "action", "reason"})
    lever_id = raw.get("id")
    if not isinstance(lever_id, str) or not lever_id.strip():
        raise ValueError(f"levers: item {i} needs an id")
    where = f"lever {lever_id!r}"
    when = raw.get("when", {})
    if not isinstance(when, Mapping):
        raise ValueError(f"{where}: when must be an object")
    _only_keys(f"{where}: when", when, _WHEN_KEYS)

    def enum_set(key: str, enum: type, codes: Any) -> frozenset | None:
        if codes is None:
            return None
        try:
            return frozenset(enum(c) for c in _codes(f"{where}: when.{key}", codes))
        except ValueError as exc:
            raise ValueError(f"{where}: when.{key}: {exc}") from None

    receivables = None
    if when.get("receivable") is not None:
        receivables = frozenset(_codes(f"{where}: when.receivable", when["receivable"]))
        unknown = sorted(receivables - set(RECEIVABLES))
        if unknown:
            raise ValueError(f"{where}: when.receivable: unknown receivable type(s) {', '.join(unknown)}")
    flags: dict[str, bool | None] = {}
    for key in ("has_guarantor", "assets_known", "has_forced_public"):
        value = when.get(key)
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"{where}: when.{key} must be true or false, got {value!r}")
        flags[key] = value
    debtor_kind = None
    if when.get("debtor_kind") is not None:
        try:
            debtor_kind = PersonKind(when["debtor_kind"])
        except ValueError:
            raise ValueError(f"{where}: when.debtor_kind: {when['debtor_kind']!r} is not one of "
                             f"{', '.join(k.value for k in PersonKind)}") from None
    low = None if when.get("min_days_overdue") is None else _days(f"{where}: when.min_days_overdue",
                                                                   when["min_days_overdue"])
    high = None if when.get("max_days_overdue") is None else _days(f"{where}: when.max_days_overdue",
                                                                    when["max_days_overdue"])
    if low is not None and high is not None and low > high:
        raise ValueError(f"{where}: when.min_days_overdue {low} is after when.max_days_overdue {high}")
    after: tuple[ActionKind, ...] = ()
    if when.get("after") is not None:
        try:
            after = tuple(ActionKind(c) for c in _codes(f"{where}: when.after", when["after"]))
        except ValueError as exc:
            raise ValueError(f"{where}: when.after: {exc}") from None
    condition = LeverCondition(
        receivables=receivables,
        legal_categories=enum_set("legal_category", LegalCategory, when.get("legal_category")),
        departments=enum_set("department", Department, when.get("department")),
        debtor_kind=debtor_kind,
        has_guarantor=flags["has_guarantor"],
        assets_known=flags["assets_known"],
        has_forced_public=flags["has_forced_public"],
        min_days_overdue=low,
        max_days_overdue=high,
        after=after,
    )
    lead = None
    if raw.get("lead") is not None:
        try:
            lead = Department(raw["lead"])
        except ValueError:
            raise ValueError(f"{where}: lead {raw['lead']!r} is not one of "
                             f"{', '.join(d.value for d in Department)}") from None
    action = _action(where, raw.get("action"))
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"{where}: needs a reason in words")
    return Lever(lever_id, condition, lead, action, reason.strip())


def _check_lever_lawful(lever: Lever, overrides: Mapping[str, str]) -> None:
    """A lever naming receivables must be lawful for each of them (of the categories it admits); one naming none
    must be lawful for at least one legal category it admits."""
    when = lever.when
    where = f"lever {lever.id!r} ({lever.action.value})"
    admitted = when.legal_categories or frozenset(LegalCategory)
    if when.receivables is not None:
        targets = [(code, receivable_category(code, overrides)) for code in sorted(when.receivables)]
        targets = [(code, cat) for code, cat in targets if cat in admitted]
        if not targets:
            raise ValueError(f"{where}: can never apply: none of its receivables is of its legal categories")
        for code, category in targets:
            decision = _lawful_for(category, lever.action, when.after)
            if not decision.allowed:
                raise ValueError(f"{where}: not lawful for receivable {code} ({category.value}): {decision.reason}")
        return
    refusals = []
    for category in sorted(admitted):
        decision = _lawful_for(category, lever.action, when.after)
        if decision.allowed:
            return
        refusals.append(f"{category.value}: {decision.reason}")
    raise ValueError(f"{where}: not lawful for any legal category it admits: {'; '.join(refusals)}")


# --- recommending -------------------------------------------------------------------------------------------


def recommend(case: CaseSituation, policy: EscalationPolicy, *, as_of: date) -> Recommendation | None:
    """The next step for ``case`` on ``as_of`` (see the module docstring for the order), or ``None``."""
    overdue = sorted((c for c in case.claims if c.days_overdue(as_of) >= 1), key=lambda c: (c.due_date, c.claim_id))
    if not overdue:
        return None
    if case.on_hold:
        return _consultation(case, overdue, as_of, policy)
    demand = _statutory_demand(case, overdue, policy, as_of)
    if demand is not None:
        return demand
    for lever in policy.levers:
        found = _apply_lever(lever, case, overdue, as_of)
        if found is not None:
            return found
    for claim in overdue:
        found = _ladder_step(claim, case, policy, as_of)
        if found is not None:
            return found
    return None


def _allows(claim: DelinquentClaim, kind: ActionKind, case: CaseSituation, as_of: date) -> bool:
    decision = check_action(claim.legal_category, kind, history=claim.history,
                            facts=claim.facts(on_hold=case.on_hold), on=as_of)
    return decision.allowed


def _visible(claim: DelinquentClaim, as_of: date) -> list[ActionRecord]:
    return [r for r in claim.history if r.on <= as_of]


def _summary(claims: Sequence[DelinquentClaim], as_of: date) -> str:
    """E.g. "2 claims (fixed_asset_tax 95 days overdue, national_health_insurance_tax 40 days overdue),
    180,000 yen open in total"."""
    parts = ", ".join(f"{c.receivable_type} {c.days_overdue(as_of)} days overdue" for c in claims)
    total = sum(max(c.balance, 0) for c in claims)
    noun = "claim" if len(claims) == 1 else "claims"
    return f"{len(claims)} {noun} ({parts}), {total:,} yen open in total"


def demand_notices_due(case: CaseSituation, overdue: Sequence[DelinquentClaim], policy: EscalationPolicy,
                       as_of: date) -> list[DelinquentClaim]:
    """The overdue claims (in the given order) that still need their statutory 督促 now: none on record by anyone,
    the ladder's ``demand_notice`` day has come, and ``workflow`` allows it today (地方自治法231条の3第1項)."""
    due = []
    for claim in overdue:
        if any(r.kind == A.DEMAND_NOTICE for r in _visible(claim, as_of)):
            continue
        step = next(s for s in policy.ladder_for(claim.receivable_type).steps if s.action == A.DEMAND_NOTICE)
        if claim.days_overdue(as_of) >= step.min_days_overdue and _allows(claim, A.DEMAND_NOTICE, case, as_of):
            due.append(claim)
    return due


def _statutory_demand(case: CaseSituation, overdue: Sequence[DelinquentClaim], policy: EscalationPolicy,
                      as_of: date) -> Recommendation | None:
    """The 督促 ranks above every lever and reminder (see the module docstring, step 3)."""
    due = demand_notices_due(case, overdue, policy, as_of)
    if not due:
        return None
    lead = due[0].department
    claims = [c for c in due if c.department == lead]
    reason = (f"The statutory demand notice (督促) comes before any reminder (催告): {_WORDS[A.DEMAND_NOTICE]} for "
              f"{_summary(claims, as_of)}. Neither the department nor the central office has sent one; the law "
              "requires it (地方自治法231条の3第1項; 私債権: 地方自治法施行令171条) within 20 days after the due date "
              "(地方税法329条1項 and the city's ordinances), it renews prescription (地方自治法236条4項) and seizure or "
              "court steps wait for it.")
    return Recommendation(lead, A.DEMAND_NOTICE, tuple(c.claim_id for c in claims), reason, None,
                          due_on=min(_demand_day(c, policy) for c in claims))


def _demand_day(claim: DelinquentClaim, policy: EscalationPolicy) -> date:
    step = next(s for s in policy.ladder_for(claim.receivable_type).steps if s.action == A.DEMAND_NOTICE)
    return claim.due_date + timedelta(days=step.min_days_overdue)


def _consultation(case: CaseSituation, overdue: Sequence[DelinquentClaim], as_of: date,
                  policy: EscalationPolicy) -> Recommendation | None:
    claims = [c for c in overdue if _allows(c, A.PAYMENT_CONSULTATION, case, as_of)]
    if not claims:
        return None
    reason = ("Escalation is paused: a welfare referral hold is active, so no reminder escalation, seizure or court "
              "step is recommended. Offer a payment consultation (納付相談) instead, covering "
              f"{_summary(claims, as_of)}.")
    suspendable = [c for c in overdue if _allows(c, A.SUSPENSION_OF_EXECUTION, case, as_of)]
    if suspendable:
        reason += (" If it confirms there is no means to pay, or that collection would leave the household unable to "
                   "live, consider 執行停止 (地方税法15条の7) for the forced-collection claims "
                   f"{', '.join(c.claim_id for c in suspendable)}.")
    demands = demand_notices_due(case, overdue, policy, as_of)
    if demands:
        reason += (" The statutory 督促 is still due on "
                   f"{', '.join(c.claim_id for c in demands)}: a welfare hold pauses escalation, not the 督促 the law "
                   "requires (地方自治法231条の3第1項).")
    return Recommendation(claims[0].department, A.PAYMENT_CONSULTATION, tuple(c.claim_id for c in claims), reason,
                          None, due_on=min(c.due_date for c in claims) + timedelta(days=1))


def _debtor_matches(when: LeverCondition, case: CaseSituation, overdue: Sequence[DelinquentClaim]) -> bool:
    if when.debtor_kind is not None and case.debtor_kind != when.debtor_kind:
        return False
    if when.has_guarantor is not None and case.has_guarantor != when.has_guarantor:
        return False
    if when.assets_known is not None and case.assets_known != when.assets_known:
        return False
    if when.has_forced_public is not None:
        forced = any(c.legal_category == LegalCategory.FORCED_PUBLIC and c.balance > 0 and not c.extinguished
                     for c in overdue)
        if forced != when.has_forced_public:
            return False
    return True


def _claim_matches(when: LeverCondition, claim: DelinquentClaim, as_of: date) -> bool:
    days = claim.days_overdue(as_of)
    if when.receivables is not None and claim.receivable_type not in when.receivables:
        return False
    if when.legal_categories is not None and claim.legal_category not in when.legal_categories:
        return False
    if when.departments is not None and claim.department not in when.departments:
        return False
    if when.min_days_overdue is not None and days < when.min_days_overdue:
        return False
    if when.max_days_overdue is not None and days > when.max_days_overdue:
        return False
    done = {r.kind for r in _visible(claim, as_of)}
    return all(kind in done for kind in when.after)


def _lever_done(lever: Lever, claim: DelinquentClaim, as_of: date) -> bool:
    """The lever's action is already recorded on the claim since the lever's window opened (its
    ``min_days_overdue``, else day 1): the lever has been pulled, the ladder takes over."""
    opened = claim.due_date + timedelta(days=lever.when.min_days_overdue or 1)
    return any(r.kind == lever.action and r.on >= opened for r in _visible(claim, as_of))


def _apply_lever(lever: Lever, case: CaseSituation, overdue: Sequence[DelinquentClaim],
                 as_of: date) -> Recommendation | None:
    if not _debtor_matches(lever.when, case, overdue):
        return None
    claims = [c for c in overdue
              if _claim_matches(lever.when, c, as_of) and not _lever_done(lever, c, as_of)
              and _allows(c, lever.action, case, as_of)]
    if not claims:
        return None
    lead = lever.lead or claims[0].department
    reason = (f"Lever {lever.id} ({lead.value} leads): {_WORDS[lever.action]}. {lever.reason} "
              f"Applies to {_summary(claims, as_of)}.")
    opened = min(c.due_date for c in claims) + timedelta(days=lever.when.min_days_overdue or 1)
    return Recommendation(lead, lever.action, tuple(c.claim_id for c in claims), reason, lever.id, due_on=opened)


def _ladder_step(claim: DelinquentClaim, case: CaseSituation, policy: EscalationPolicy,
                 as_of: date) -> Recommendation | None:
    ladder = policy.ladder_for(claim.receivable_type)
    days = claim.days_overdue(as_of)
    recorded = Counter(r.kind for r in _visible(claim, as_of))
    wanted: Counter[ActionKind] = Counter()
    passed_over: list[str] = []
    for n, step in enumerate(ladder.steps, 1):
        wanted[step.action] += 1
        if step.min_days_overdue > days:
            break  # days never decrease: no later step is due either
        if recorded[step.action] >= wanted[step.action]:
            continue  # taken
        if not _allows(claim, step.action, case, as_of):
            passed_over.append(step.action.value)
            continue
        note = f" Note: {step.note.rstrip('.')}." if step.note else ""
        skipped = (f" Earlier steps not lawful today, passed over: {', '.join(passed_over)}."
                   if passed_over else "")
        reason = (f"Next step on the {ladder.id} ladder for the {claim.receivable_type} claim "
                  f"({claim.department.value}), {days} days overdue with {claim.balance:,} yen open: "
                  f"{_WORDS[step.action]} (step {n}, due from day {step.min_days_overdue}).{note}{skipped}")
        return Recommendation(claim.department, step.action, (claim.claim_id,), reason, None,
                              due_on=claim.due_date + timedelta(days=step.min_days_overdue))
    return None
