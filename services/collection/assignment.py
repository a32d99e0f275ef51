"""Case assignment (担当割当): which central group of the 債権管理課, or which outsourced lawyer team, collects
each claim of a debtor's case.

Routing and outsourcing thresholds are the city's written policy (``policy/assignment.v1.json``), so they
change without code. The law is not policy and is enforced here whatever the data says:

- 強制徴収公債権 (``forced_public``) never goes to an outside firm: 滞納処分 (seizure) is public authority that
  only staff may exercise. A mixed case keeps those claims central and hands only the others to the firm.
- Tax-department claims never leave the city (地方税法22条, tax confidentiality).
- A welfare-referral hold pauses escalation: nothing is newly outsourced while it lasts.

Pure: the only I/O is ``load_policy`` reading the policy file.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.enums import Department, LegalCategory
from contracts.receivables import RECEIVABLES

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy") / "assignment.v1.json"

_FORCED_PUBLIC = LegalCategory.FORCED_PUBLIC.value
_TAX = Department.TAX.value
_DEPARTMENTS = frozenset(d.value for d in Department)
_CATEGORIES = frozenset(c.value for c in LegalCategory)
_TAX_RECEIVABLES = frozenset(code for code, spec in RECEIVABLES.items() if spec.department is Department.TAX)

# Rule ids the code itself writes; a policy rule may not take them, so an audit row is never ambiguous.
RULE_DEFAULT_GROUP = "default-group"
RULE_HOLD = "hold:welfare-referral"
RULE_OVERRIDE = "override"
RULE_FORCED_PUBLIC = "statutory:forced-public-stays-central"
RULE_TAX = "statutory:tax-confidentiality"
_RESERVED_IDS = frozenset({RULE_DEFAULT_GROUP, RULE_OVERRIDE})


# ---------------------------------------------------------------------------------------------------------
# Facts and results


class HolderKind(StrEnum):
    CENTRAL_GROUP = "central_group"  # 債権管理課の担当グループ
    LAWYER_TEAM = "lawyer_team"  # 委託先の弁護士事務所


@dataclass(frozen=True, slots=True)
class Holder:
    """Who collects a claim: a central group or a lawyer team, by its code in the policy."""

    kind: HolderKind
    code: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", HolderKind(self.kind))


@dataclass(frozen=True, slots=True)
class CaseClaim:
    """One delinquent claim of the case; ``balance`` in integer yen."""

    department: str
    claim_id: str
    receivable_type: str
    legal_category: str
    fiscal_year: int
    due_date: date
    balance: int
    principal_balance: int | None = None  # the 本税 part of ``balance`` (a 督促 demands it); None: not known

    def __post_init__(self) -> None:
        """Refuse claims the statutory guard could misread: an unknown category, or a department that
        contradicts the receivable type, would let a tax or forced-collection claim slip past it."""
        where = f"claim {self.department}/{self.claim_id}"
        spec = RECEIVABLES.get(self.receivable_type)
        if spec is None:
            raise ValueError(f"{where}: unknown receivable type {self.receivable_type!r}")
        if self.department != spec.department.value:
            raise ValueError(f"{where}: receivable type {self.receivable_type!r} belongs to department "
                             f"{spec.department.value!r}, not {self.department!r}")
        if self.legal_category not in _CATEGORIES:
            raise ValueError(f"{where}: legal category {self.legal_category!r} is not one of {sorted(_CATEGORIES)}")
        if self.balance < 0:
            raise ValueError(f"{where}: balance {self.balance} is negative (overpayments are refunds, not cases)")

    @property
    def key(self) -> tuple[str, str]:
        return (self.department, self.claim_id)

    def arrears_days(self, as_of: date) -> int:
        """Days from the due date (納期限) to ``as_of``."""
        return (as_of - self.due_date).days

    @property
    def may_be_outsourced(self) -> bool:
        """What the law allows an outside firm to collect: neither forced-collection nor tax."""
        return self.legal_category != _FORCED_PUBLIC and self.department != _TAX


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """A debtor's case as of a date: all their delinquent claims across departments, and any hold."""

    debtor_id: str
    as_of: date
    claims: tuple[CaseClaim, ...]
    on_hold: bool = False
    hold_reason: str | None = None  # may carry personal data: kept for staff, never copied into reasons

    def __post_init__(self) -> None:
        object.__setattr__(self, "claims", tuple(self.claims))
        seen: set[tuple[str, str]] = set()
        for claim in self.claims:
            if claim.key in seen:
                raise ValueError(f"case {self.debtor_id!r}: claim {claim.department}/{claim.claim_id} appears twice")
            seen.add(claim.key)

    @property
    def balance(self) -> int:
        return sum(claim.balance for claim in self.claims)

    @property
    def has_forced_public(self) -> bool:
        """Where a tax-like claim exists, the central division's seizure lever leads the case (Ina City)."""
        return any(claim.legal_category == _FORCED_PUBLIC for claim in self.claims)


@dataclass(frozen=True, slots=True)
class ClaimAssignment:
    department: str
    claim_id: str
    holder: Holder
    rule_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CaseAssignment:
    debtor_id: str
    lead: Holder
    lead_reason: str
    claims: tuple[ClaimAssignment, ...]
    policy_version: str

    @property
    def outsourced_claims(self) -> tuple[ClaimAssignment, ...]:
        return tuple(a for a in self.claims if a.holder.kind is HolderKind.LAWYER_TEAM)

    @property
    def central_claims(self) -> tuple[ClaimAssignment, ...]:
        return tuple(a for a in self.claims if a.holder.kind is HolderKind.CENTRAL_GROUP)


@dataclass(frozen=True, slots=True)
class Override:
    """A staff decision for the whole case; the name and reason are required because it bypasses the policy."""

    holder: Holder
    reason: str
    by: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("override: a reason is required")
        if not self.by.strip():
            raise ValueError("override: the deciding staff member (by) is required")


# ---------------------------------------------------------------------------------------------------------
# Policy

_STRICT = ConfigDict(extra="forbid", frozen=True)
_Yen = Annotated[int, Field(strict=True, ge=0)]
_Days = Annotated[int, Field(strict=True, ge=0)]
_RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
_Name = Annotated[str, Field(min_length=1)]


class Conditions(BaseModel):
    """``when`` of a rule: every condition given must hold; a list means "one of"."""

    model_config = _STRICT

    department: tuple[str, ...] | None = None
    receivable_type: tuple[str, ...] | None = None
    legal_category: tuple[str, ...] | None = None
    min_claim_balance: _Yen | None = None
    min_case_balance: _Yen | None = None
    min_arrears_days: _Days | None = None
    case_has_forced_public: Annotated[bool, Field(strict=True)] | None = None

    def problems(self) -> list[str]:
        """Values outside the known vocabularies; an empty list would match nothing, so it is a mistake too."""
        found: list[str] = []
        for field, known in (("department", _DEPARTMENTS), ("receivable_type", RECEIVABLES.keys()),
                             ("legal_category", _CATEGORIES)):
            values = getattr(self, field)
            if values is None:
                continue
            if not values:
                found.append(f"when.{field} is empty (it would match nothing)")
            unknown = [v for v in values if v not in known]
            if unknown:
                found.append(f"when.{field}: unknown {', '.join(map(repr, unknown))} "
                             f"(known: {', '.join(sorted(known))})")
        return found

    def matches(self, claim: CaseClaim, facts: CaseFacts) -> bool:
        return (
            (self.department is None or claim.department in self.department)
            and (self.receivable_type is None or claim.receivable_type in self.receivable_type)
            and (self.legal_category is None or claim.legal_category in self.legal_category)
            and (self.min_claim_balance is None or claim.balance >= self.min_claim_balance)
            and (self.min_case_balance is None or facts.balance >= self.min_case_balance)
            and (self.min_arrears_days is None or claim.arrears_days(facts.as_of) >= self.min_arrears_days)
            and (self.case_has_forced_public is None or facts.has_forced_public == self.case_has_forced_public)
        )


class CentralRoutingRule(BaseModel):
    model_config = _STRICT

    id: _RuleId
    description: _Name
    when: Conditions = Field(default_factory=Conditions)
    group: str

    @model_validator(mode="after")
    def _known_values(self) -> CentralRoutingRule:
        if problems := self.when.problems():
            raise ValueError(f"central routing rule {self.id!r}: {'; '.join(problems)}")
        return self


class OutsourcingRule(BaseModel):
    """Hands matching claims to one of ``teams``. Refused at load time when it could reach a claim the law
    keeps with staff, so a bad policy file fails loudly instead of relying on the run-time guard."""

    model_config = _STRICT

    id: _RuleId
    description: _Name
    when: Conditions = Field(default_factory=Conditions)
    teams: tuple[str, ...]

    @model_validator(mode="after")
    def _lawful(self) -> OutsourcingRule:
        problems = self.when.problems()
        categories = self.when.legal_category
        if categories is None:
            problems.append("when.legal_category is required (an outsourcing rule must name the categories an "
                            "outside firm may collect)")
        elif _FORCED_PUBLIC in categories:
            problems.append("when.legal_category must not include 'forced_public' (seizure is public authority; "
                            "staff must exercise it)")
        if self.when.department is not None and _TAX in self.when.department:
            problems.append("when.department must not include 'tax' (tax confidentiality, Local Tax Act art. 22)")
        tax_types = sorted(set(self.when.receivable_type or ()) & _TAX_RECEIVABLES)
        if tax_types:
            problems.append(f"when.receivable_type must not include tax receivables ({', '.join(tax_types)}; "
                            "tax confidentiality, Local Tax Act art. 22)")
        if not self.teams:
            problems.append("teams is empty (name at least one lawyer team)")
        duplicates = sorted({t for t in self.teams if self.teams.count(t) > 1})
        if duplicates:
            problems.append(f"teams lists {', '.join(map(repr, duplicates))} more than once")
        if problems:
            raise ValueError(f"outsourcing rule {self.id!r}: {'; '.join(problems)}")
        return self


class AssignmentPolicy(BaseModel):
    """The city's written assignment policy; rules are tried in order and the first match wins."""

    model_config = _STRICT

    version: _Name
    effective_from: date
    central_groups: dict[str, _Name] = Field(min_length=1)
    lawyer_teams: dict[str, _Name] = Field(default_factory=dict)
    central_routing: tuple[CentralRoutingRule, ...] = ()
    default_group: str
    outsourcing_rules: tuple[OutsourcingRule, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> AssignmentPolicy:
        problems: list[str] = []
        seen: set[str] = set()
        for rule in (*self.central_routing, *self.outsourcing_rules):
            if rule.id in seen:
                problems.append(f"rule id {rule.id!r} is used more than once")
            if rule.id in _RESERVED_IDS:
                problems.append(f"rule id {rule.id!r} is reserved for the code's own decisions")
            seen.add(rule.id)
        groups = ", ".join(sorted(self.central_groups))
        for routing in self.central_routing:
            if routing.group not in self.central_groups:
                problems.append(f"central routing rule {routing.id!r}: group {routing.group!r} is not a central "
                                f"group (known: {groups})")
        if self.default_group not in self.central_groups:
            problems.append(f"default_group {self.default_group!r} is not a central group (known: {groups})")
        for outsourcing in self.outsourcing_rules:
            unknown = [t for t in outsourcing.teams if t not in self.lawyer_teams]
            if unknown:
                problems.append(f"outsourcing rule {outsourcing.id!r}: teams: unknown lawyer team "
                                f"{', '.join(map(repr, unknown))} (known: {', '.join(sorted(self.lawyer_teams))})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def holder_name(self, holder: Holder) -> str:
        names = self.central_groups if holder.kind is HolderKind.CENTRAL_GROUP else self.lawyer_teams
        return names[holder.code]


def load_policy(path: Path | None = None) -> AssignmentPolicy:
    """Read and validate the policy file (default: ``policy/assignment.v1.json`` next to this module)."""
    path = path or DEFAULT_POLICY_PATH
    try:
        return AssignmentPolicy.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise ValueError(f"assignment policy {path}: {exc}") from exc


# ---------------------------------------------------------------------------------------------------------
# Assignment


def assign_case(facts: CaseFacts, policy: AssignmentPolicy, override: Override | None = None) -> CaseAssignment:
    """Assign every claim of the case: central routing, then outsourcing (paused by a hold), then the staff
    override, and last the statutory guard, which no data or override can get past."""
    if not facts.claims:
        raise ValueError(f"case {facts.debtor_id!r} has no claims to assign")
    if override is not None:
        _check_known(override.holder, policy)

    central = [_route_central(claim, facts, policy) for claim in facts.claims]
    assigned = _outsource(facts, policy, central)
    if override is not None:
        assigned = _apply_override(facts, assigned, override)
    assigned = [_statutory_guard(claim, a, c) for claim, a, c in zip(facts.claims, assigned, central, strict=True)]

    lead, lead_reason = _lead(facts.claims, assigned, policy)
    return CaseAssignment(facts.debtor_id, lead, lead_reason, tuple(assigned), policy.version)


def _route_central(claim: CaseClaim, facts: CaseFacts, policy: AssignmentPolicy) -> ClaimAssignment:
    for rule in policy.central_routing:
        if rule.when.matches(claim, facts):
            holder = Holder(HolderKind.CENTRAL_GROUP, rule.group)
            return ClaimAssignment(claim.department, claim.claim_id, holder, rule.id,
                                   f"routed to central group {rule.group}: {rule.description}")
    holder = Holder(HolderKind.CENTRAL_GROUP, policy.default_group)
    return ClaimAssignment(claim.department, claim.claim_id, holder, RULE_DEFAULT_GROUP,
                           f"no routing rule matched; default central group {policy.default_group}")


def _outsource(facts: CaseFacts, policy: AssignmentPolicy, central: list[ClaimAssignment]) -> list[ClaimAssignment]:
    """First matching outsourcing rule per claim; on hold the claim stays central and says why."""
    matched = [_first_outsourcing_rule(claim, facts, policy) for claim in facts.claims]
    teams = _choose_teams(facts.debtor_id, [rule for rule in matched if rule is not None])
    result: list[ClaimAssignment] = []
    for claim, rule, routed in zip(facts.claims, matched, central, strict=True):
        if rule is None:
            result.append(routed)
        elif facts.on_hold:
            result.append(ClaimAssignment(claim.department, claim.claim_id, routed.holder, RULE_HOLD,
                                          f"escalation paused by a welfare referral hold; stays with central group "
                                          f"{routed.holder.code}"))
        else:
            team = teams[rule.id]
            result.append(ClaimAssignment(claim.department, claim.claim_id, Holder(HolderKind.LAWYER_TEAM, team),
                                          rule.id, f"outsourced to lawyer team {team}: {rule.description}"))
    return result


def _first_outsourcing_rule(claim: CaseClaim, facts: CaseFacts, policy: AssignmentPolicy) -> OutsourcingRule | None:
    return next((rule for rule in policy.outsourcing_rules if rule.when.matches(claim, facts)), None)


def _choose_teams(debtor_id: str, rules: list[OutsourcingRule]) -> dict[str, str]:
    """One team per matched rule, the same for all of a debtor's claims wherever the rules share a team: one
    firm per debtor means one negotiation. Rendezvous hashing (sha256, stable across processes, unlike hash())
    spreads debtors evenly and, when a team is added or dropped, moves only the debtors it has to."""
    if not rules:
        return {}
    shared = set(rules[0].teams).intersection(*(rule.teams for rule in rules[1:]))
    if shared:
        team = _rendezvous(debtor_id, shared)
        return {rule.id: team for rule in rules}
    return {rule.id: _rendezvous(debtor_id, rule.teams) for rule in rules}


def _rendezvous(debtor_id: str, teams: Iterable[str]) -> str:
    def weight(team: str) -> tuple[bytes, str]:
        return hashlib.sha256(f"{debtor_id}\x1f{team}".encode()).digest(), team

    return max(teams, key=weight)


def _apply_override(facts: CaseFacts, assigned: list[ClaimAssignment], override: Override) -> list[ClaimAssignment]:
    """To a central group: every claim. To a lawyer team: only what the law lets a firm collect, and nothing
    while the hold pauses escalation; the rest keep their policy assignment."""
    reason = f"staff override by {override.by}: {override.reason}"
    result: list[ClaimAssignment] = []
    for claim, current in zip(facts.claims, assigned, strict=True):
        moves = override.holder.kind is HolderKind.CENTRAL_GROUP or (claim.may_be_outsourced and not facts.on_hold)
        result.append(ClaimAssignment(claim.department, claim.claim_id, override.holder, RULE_OVERRIDE, reason)
                      if moves else current)
    return result


def _statutory_guard(claim: CaseClaim, assigned: ClaimAssignment, central: ClaimAssignment) -> ClaimAssignment:
    """Independent of the policy data: a claim the law keeps with staff goes back to its central group."""
    if assigned.holder.kind is not HolderKind.LAWYER_TEAM or claim.may_be_outsourced:
        return assigned
    if claim.legal_category == _FORCED_PUBLIC:
        rule_id, reason = RULE_FORCED_PUBLIC, "forced-collection claim stays with staff (statutory)"
    else:
        rule_id, reason = RULE_TAX, "tax claim stays with staff (tax confidentiality, Local Tax Act art. 22)"
    return ClaimAssignment(claim.department, claim.claim_id, central.holder, rule_id, reason)


def _lead(claims: tuple[CaseClaim, ...], assigned: list[ClaimAssignment],
          policy: AssignmentPolicy) -> tuple[Holder, str]:
    """The central group holding the largest balance leads whenever any claim is central (its seizure and
    negotiating levers reach the whole case); only a fully outsourced case is led by its firm."""
    totals: dict[Holder, int] = defaultdict(int)
    for claim, a in zip(claims, assigned, strict=True):
        totals[a.holder] += claim.balance
    central = {h: v for h, v in totals.items() if h.kind is HolderKind.CENTRAL_GROUP}
    if central:
        lead = min(central, key=lambda h: (-central[h], h.code))
        return lead, f"largest central balance held by {lead.code} ({policy.holder_name(lead)}): {central[lead]:,} yen"
    lead = min(totals, key=lambda h: (-totals[h], h.code))
    return lead, (f"all claims outsourced; largest balance with {lead.code} ({policy.holder_name(lead)}): "
                  f"{totals[lead]:,} yen")


def _check_known(holder: Holder, policy: AssignmentPolicy) -> None:
    names = policy.central_groups if holder.kind is HolderKind.CENTRAL_GROUP else policy.lawyer_teams
    if holder.code not in names:
        raise ValueError(f"override: unknown {holder.kind.value.replace('_', ' ')} {holder.code!r} "
                         f"(known: {', '.join(sorted(names))})")
