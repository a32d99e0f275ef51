"""Hardship signals (生活困窮のサイン): score one debtor's collection facts and say whether to suggest a referral.

Why: 生活困窮者自立支援法8条 asks every department that learns of a person in hardship in its tax, insurance,
housing or other work to recommend the support programmes (利用勧奨). Collection data shows hardship early
(several departments unpaid at once, a broken payment plan, an exemption application), and Toyota's practice is
a same-day referral from the collection window. This module turns those facts into points and a suggestion that
staff confirm; it never refers anyone by itself (passing details to the support agency needs consent).

Weights, thresholds and periods are the city's policy, kept as versioned data in ``policy/signals.v1.json``
(``load_policy``); nothing here is a literal. A signal with weight 0 is switched off.

Public assistance (生活保護) is not a signal: welfare already supports the person, so the outcome is
``ALREADY_SUPPORTED`` and no referral is suggested, whatever the points.

Reasons are plain English with the Japanese term and the facts as counts, days, months and department codes,
never amounts or anything that identifies the person. Pure: the only I/O is ``load_policy`` reading the JSON
file; no clock (the caller passes ``as_of``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from contracts.enums import Department, ExemptionReason

__all__ = [
    "DEFAULT_POLICY_PATH",
    "SIGNAL_IDS",
    "DebtorSituation",
    "FiredSignal",
    "HardshipPolicy",
    "HardshipScore",
    "Outcome",
    "SignalRule",
    "load_policy",
    "parse_policy",
    "score",
]

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy") / "signals.v1.json"


# --- the facts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DebtorSituation:
    """What collection knows about one debtor as of a date, reduced to the facts the signals read. Carries no
    name, address, id or birth date on purpose: scoring needs none, and the reasons cannot leak what is absent.

    ``arrears_by_department``: yen overdue per ``Department`` code (0 counts as no arrears there);
    ``small_arrears``: how many of the ``delinquent_claims`` are under the policy's ``small_amount_yen``;
    ``missed_installments``: due dates of 分納 installments not paid; ``exemption_applications``: (date,
    ``ExemptionReason`` code) of each 減免申請; ``execution_suspended``: 執行停止 for lack of means;
    ``hardship_noted``: staff noted hardship in a 納付相談; ``months_in_arrears``: age of the oldest arrear."""

    arrears_by_department: Mapping[str, int] = field(default_factory=dict)
    delinquent_claims: int = 0
    small_arrears: int = 0
    missed_installments: tuple[date, ...] = ()
    exemption_applications: tuple[tuple[date, str], ...] = ()
    execution_suspended: bool = False
    hardship_noted: bool = False
    receives_public_assistance: bool = False
    months_in_arrears: int = 0

    def __post_init__(self) -> None:
        departments = {d.value for d in Department}
        arrears: dict[str, int] = {}
        for code, amount in dict(self.arrears_by_department).items():
            if code not in departments:
                raise ValueError(f"arrears_by_department: unknown department {code!r} (one of "
                                 f"{', '.join(sorted(departments))})")
            if not _whole(amount) or amount < 0:
                raise ValueError(f"arrears_by_department[{code!r}]: must be whole yen, 0 or more")
            arrears[str(code)] = amount
        object.__setattr__(self, "arrears_by_department", MappingProxyType(arrears))
        for name in ("delinquent_claims", "small_arrears", "months_in_arrears"):
            value = getattr(self, name)
            if not _whole(value) or value < 0:
                raise ValueError(f"{name}: must be a whole number, 0 or more, got {value!r}")
        if self.small_arrears > self.delinquent_claims:
            raise ValueError(f"small_arrears: {self.small_arrears} is more than delinquent_claims "
                             f"({self.delinquent_claims})")
        missed = tuple(self.missed_installments)
        if not all(_plain_date(d) for d in missed):
            raise ValueError("missed_installments: must be dates")
        object.__setattr__(self, "missed_installments", missed)
        applications = []
        for i, item in enumerate(self.exemption_applications, 1):
            try:
                applied, reason = item
            except (TypeError, ValueError):
                raise ValueError(f"exemption_applications: item {i} must be (date, reason)") from None
            if not _plain_date(applied):
                raise ValueError(f"exemption_applications: item {i} must start with a date")
            try:
                applications.append((applied, ExemptionReason(reason).value))
            except ValueError:
                raise ValueError(f"exemption_applications: item {i} has unknown reason {reason!r}") from None
        object.__setattr__(self, "exemption_applications", tuple(applications))
        for name in ("execution_suspended", "hardship_noted", "receives_public_assistance"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}: must be true or false")


# --- the policy ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalRule:
    """One signal of the policy: its points and its own thresholds (``params``), as in the JSON entry."""

    id: str
    weight: int
    description: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class HardshipPolicy:
    """A version of the weights: points from ``threshold`` on suggest a referral."""

    version: str
    effective_from: date
    threshold: int
    rules: Mapping[str, SignalRule]

    def param(self, signal_id: str, name: str) -> Any:
        return self.rules[signal_id].params[name]

    @property
    def small_amount_yen(self) -> int:
        """Under this many yen an overdue claim counts toward ``DebtorSituation.small_arrears``; the caller
        counts, so the limit lives with the weights it belongs to."""
        return self.param("many_small_arrears", "small_amount_yen")


# --- the result ---------------------------------------------------------------------------------------------


class Outcome(StrEnum):
    """What the score means for the welfare window."""

    SUGGEST_REFERRAL = "suggest_referral"  # 利用勧奨を提案 (staff confirm, with the person's consent)
    ALREADY_SUPPORTED = "already_supported"  # 生活保護受給中: welfare already supports the person
    NO_REFERRAL = "no_referral"  # below the threshold


@dataclass(frozen=True)
class FiredSignal:
    """A signal that holds, the points it adds and why, in words staff can read back to the person."""

    id: str
    points: int
    reason: str


@dataclass(frozen=True)
class HardshipScore:
    """``points`` is the sum of ``signals``; ``suggest`` is points ≥ ``threshold`` unless ``already_supported``."""

    points: int
    signals: tuple[FiredSignal, ...]
    suggest: bool
    already_supported: bool
    policy_version: str
    threshold: int

    @property
    def outcome(self) -> Outcome:
        if self.already_supported:
            return Outcome.ALREADY_SUPPORTED
        return Outcome.SUGGEST_REFERRAL if self.suggest else Outcome.NO_REFERRAL


# --- scoring ------------------------------------------------------------------------------------------------


def score(situation: DebtorSituation, policy: HardshipPolicy, *, as_of: date) -> HardshipScore:
    """Score ``situation`` as of ``as_of`` (facts dated after it are not yet known and are ignored)."""
    if not _plain_date(as_of):
        raise TypeError(f"as_of: must be a date, got {type(as_of).__name__}")
    if as_of < policy.effective_from:
        raise ValueError(f"as_of {as_of.isoformat()}: before policy {policy.version} is in force "
                         f"(effective from {policy.effective_from.isoformat()})")
    fired = []
    for signal_id, check in _CHECKS.items():
        rule = policy.rules[signal_id]
        if rule.weight == 0:
            continue
        reason = check(situation, rule.params, as_of)
        if reason is not None:
            fired.append(FiredSignal(signal_id, rule.weight, reason))
    points = sum(s.points for s in fired)
    supported = situation.receives_public_assistance
    return HardshipScore(points=points, signals=tuple(fired), suggest=points >= policy.threshold and not supported,
                         already_supported=supported, policy_version=policy.version, threshold=policy.threshold)


_DEPARTMENT_ORDER = {d.value: i for i, d in enumerate(Department)}

_EXEMPTION_WORDS = MappingProxyType({
    ExemptionReason.INCOME_DROP.value: "income drop (所得の減少)",
    ExemptionReason.DISASTER.value: "disaster (災害)",
    ExemptionReason.HARDSHIP.value: "hardship (生活困窮)",
    ExemptionReason.PUBLIC_ASSISTANCE.value: "public assistance (生活保護)",
    ExemptionReason.OTHER.value: "another reason",
})


def _in_arrears(situation: DebtorSituation) -> list[str]:
    owing = [code for code, amount in situation.arrears_by_department.items() if amount > 0]
    return sorted(owing, key=_DEPARTMENT_ORDER.__getitem__)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _days_ago(as_of: date, when: date) -> str:
    days = (as_of - when).days
    return "today" if days == 0 else f"{_plural(days, 'day')} ago"


def _multiple_departments(situation: DebtorSituation, params: Mapping[str, Any], as_of: date) -> str | None:
    owing = _in_arrears(situation)
    if len(owing) < params["min_departments"]:
        return None
    return f"arrears in {len(owing)} departments at once (多重滞納): {', '.join(owing)}"


def _many_small_arrears(situation: DebtorSituation, params: Mapping[str, Any], as_of: date) -> str | None:
    if situation.small_arrears < params["min_claims"]:
        return None
    return (f"{situation.small_arrears} of {situation.delinquent_claims} overdue claims are small (少額滞納: each under "
            "the policy's small-amount limit)")


def _missed_installment(situation: DebtorSituation, params: Mapping[str, Any], as_of: date) -> str | None:
    window = params["within_days"]
    recent = sorted(d for d in situation.missed_installments if 0 <= (as_of - d).days <= window)
    if not recent:
        return None
    return (f"{_plural(len(recent), 'missed installment')} in the last {window} days (分納不履行), "
            f"the latest {_days_ago(as_of, recent[-1])}")


def _exemption_application(situation: DebtorSituation, params: Mapping[str, Any], as_of: date) -> str | None:
    window, reasons = params["within_days"], params["reasons"]
    recent = sorted((applied, reason) for applied, reason in situation.exemption_applications
                    if reason in reasons and 0 <= (as_of - applied).days <= window)
    if not recent:
        return None
    grounds = sorted({reason for _, reason in recent}, key=list(_EXEMPTION_WORDS).index)
    return (f"{_plural(len(recent), 'exemption application')} (減免申請) in the last {window} days, "
            f"the latest {_days_ago(as_of, recent[-1][0])}: {', '.join(_EXEMPTION_WORDS[g] for g in grounds)}")


def _living_costs_arrears(situation: DebtorSituation, params: Mapping[str, Any], as_of: date) -> str | None:
    wanted = params["departments"]
    if not set(wanted) <= set(_in_arrears(situation)):
        return None
    return f"{_and(list(wanted))} all in arrears together (生活費の同時滞納)"


def _execution_suspended(situation: DebtorSituation, params: Mapping[str, Any], as_of: date) -> str | None:
    return "enforcement suspended for lack of means (執行停止)" if situation.execution_suspended else None


def _hardship_noted(situation: DebtorSituation, params: Mapping[str, Any], as_of: date) -> str | None:
    return "hardship noted in a payment consultation (納付相談)" if situation.hardship_noted else None


def _long_arrears(situation: DebtorSituation, params: Mapping[str, Any], as_of: date) -> str | None:
    months = situation.months_in_arrears
    if months < params["min_months"]:
        return None
    return f"arrears outstanding for {_plural(months, 'month')} (長期滞納)"


_CHECKS: Mapping[str, Callable[[DebtorSituation, Mapping[str, Any], date], str | None]] = MappingProxyType({
    "multiple_departments": _multiple_departments,
    "many_small_arrears": _many_small_arrears,
    "missed_installment": _missed_installment,
    "exemption_application": _exemption_application,
    "living_costs_arrears": _living_costs_arrears,
    "execution_suspended": _execution_suspended,
    "hardship_noted": _hardship_noted,
    "long_arrears": _long_arrears,
})

SIGNAL_IDS = tuple(_CHECKS)
"""Every signal the scorer knows; a policy must give each one a weight (0 to switch it off)."""


# --- loading and validating ---------------------------------------------------------------------------------


def load_policy(path: Path | None = None) -> HardshipPolicy:
    """Read and validate the policy file (default: ``policy/signals.v1.json`` next to this module)."""
    path = path or DEFAULT_POLICY_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"hardship signal policy {path}: not JSON: {exc}") from None
    return parse_policy(data)


def parse_policy(data: Mapping[str, Any]) -> HardshipPolicy:
    """Validate a policy already read into a mapping; raises ``ValueError`` naming the signal id and field at
    fault, so a bad edit stops the service instead of silently changing who is suggested."""
    if not isinstance(data, Mapping):
        raise ValueError("hardship signal policy: must be a JSON object")
    _only_keys("hardship signal policy", data, {"version", "effective_from", "description", "threshold", "signals"})
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValueError("version: must be a non-empty string")
    if "effective_from" not in data:
        raise ValueError("effective_from: missing (the date from which these weights apply)")
    try:
        effective_from = date.fromisoformat(data["effective_from"])
    except (TypeError, ValueError):
        raise ValueError(f"effective_from: must be a date (YYYY-MM-DD), got {data['effective_from']!r}") from None
    if "threshold" not in data:
        raise ValueError("threshold: missing (the points from which a referral is suggested)")
    threshold = data["threshold"]
    if not _whole(threshold) or threshold < 1:
        raise ValueError(f"threshold: must be a whole number of points, at least 1, got {threshold!r}")

    raw_signals = data.get("signals")
    if not isinstance(raw_signals, list) or not raw_signals:
        raise ValueError("signals: must be a non-empty list")
    rules: dict[str, SignalRule] = {}
    for i, raw in enumerate(raw_signals, 1):
        rule = _parse_signal(i, raw)
        if rule.id in rules:
            raise ValueError(f"signal {rule.id!r}: id appears more than once")
        rules[rule.id] = rule
    missing = [s for s in SIGNAL_IDS if s not in rules]
    if missing:
        raise ValueError(f"signals: no entry for signal id(s) {', '.join(missing)} (give weight 0 to switch one off)")
    ordered = {s: rules[s] for s in SIGNAL_IDS}
    return HardshipPolicy(version, effective_from, threshold, MappingProxyType(ordered))


def _parse_signal(i: int, raw: Any) -> SignalRule:
    if not isinstance(raw, Mapping):
        raise ValueError(f"signals: item {i} must be an object")
    signal_id = raw.get("id")
    if not isinstance(signal_id, str) or not signal_id:
        raise ValueError(f"signals: item {i} needs an id")
    where = f"signal {signal_id!r}"
    if signal_id not in _PARAMS:
        raise ValueError(f"{where}: unknown signal id (known: {', '.join(SIGNAL_IDS)})")
    schema = _PARAMS[signal_id]
    _only_keys(where, raw, {"id", "weight", "description", *schema})
    if "weight" not in raw:
        raise ValueError(f"{where}: weight missing")
    weight = raw["weight"]
    if not _whole(weight) or weight < 0:
        raise ValueError(f"{where}: weight must be a whole number of points, 0 or more, got {weight!r}")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"{where}: description must be non-empty text (in words, with the Japanese term)")
    params = {}
    for name, check in schema.items():
        if name not in raw:
            raise ValueError(f"{where}: {name} missing")
        params[name] = check(f"{where}: {name}", raw[name])
    return SignalRule(signal_id, weight, description, MappingProxyType(params))


def _only_keys(where: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _positive(where: str, value: Any) -> int:
    if not _whole(value) or value < 1:
        raise ValueError(f"{where} must be a whole number, at least 1, got {value!r}")
    return value


def _codes(enum: type[StrEnum], minimum: int) -> Callable[[str, Any], tuple[str, ...]]:
    def check(where: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or len(value) < minimum:
            raise ValueError(f"{where} must be a list of at least {minimum} code(s), got {value!r}")
        known = {m.value for m in enum}
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"{where}: unknown code(s) {', '.join(map(repr, unknown))} (one of "
                             f"{', '.join(sorted(known))})")
        if len(set(value)) != len(value):
            raise ValueError(f"{where}: a code appears more than once")
        return tuple(value)

    return check


_PARAMS: Mapping[str, Mapping[str, Callable[[str, Any], Any]]] = MappingProxyType({
    "multiple_departments": {"min_departments": _positive},
    "many_small_arrears": {"min_claims": _positive, "small_amount_yen": _positive},
    "missed_installment": {"within_days": _positive},
    "exemption_application": {"within_days": _positive, "reasons": _codes(ExemptionReason, 1)},
    "living_costs_arrears": {"departments": _codes(Department, 2)},
    "execution_suspended": {},
    "hardship_noted": {},
    "long_arrears": {"min_months": _positive},
})


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plain_date(value: Any) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)
