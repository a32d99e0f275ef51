"""A welfare referral's life (福祉への引継ぎ), gated on the person's consent (本人同意).

Why a module of its own: 生活困窮者自立支援法8条 asks the collection side to recommend the support programmes to a
person in hardship (利用勧奨), but passing the person's details to the support agency needs their consent. The
staff screen, the referral API and the webhook sender must all give the same answer to "may this go to welfare
now, and what of it?", so the states, who may move them and what may be shared live here, in one table. Pure: no
I/O, no clock (the caller passes the date); ``apply`` returns a new ``Referral`` and never mutates one.

Readings chosen here (change them here and only here):

- Roles follow ``shared.auth.StaffRole``: a row's role is the least role needed, so a supervisor (or admin) may
  also do what a collector may; welfare stands apart (only welfare staff acknowledge and record the outcome).
- Collectors close only finished referrals (``outcome_recorded``, ``declined``); a supervisor closes any open one
  and must give a reason (the debtor paid, moved away, ...). ``closed`` is terminal.
- Consent is recorded after the person was informed (``informed`` → ``consented``). Its scope names data
  categories from ``CONSENT_SCOPES``; the consent itself carries no personal data (staff id, date, categories).
- Withdrawal (``consent_withdrawn``, recorded by collection or welfare staff) clears the consent: before welfare
  acknowledged the referral it goes back to ``informed`` (nothing was taken over yet); after, the state stays and
  only further sharing stops.
- ``shareable`` lists personal-data categories only. The referral id and the anonymous debtor reference are
  not personal data about the person and are not counted; each signal and each field belongs to scopes
  (``consent_scopes.py``) and is shown only under them. A closed referral shares nothing more (its purpose has
  ended).
- Events may not be dated before the last recorded one (history stays in date order).
- Refusal reasons never name the person: they say what is wrong (wrong state, wrong role, consent missing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from shared.auth import StaffRole, role_allows

__all__ = [
    "CONSENT_SCOPES",
    "Consent",
    "Event",
    "EventKind",
    "FunnelCounts",
    "HistoryEntry",
    "Outcome",
    "Referral",
    "ReferralState",
    "TRANSITIONS",
    "Transition",
    "TransitionRefused",
    "apply",
    "funnel",
    "is_open",
    "pauses_collection",
    "shareable",
    "suggest",
]


class ReferralState(StrEnum):
    """Where a referral stands. Values are stable codes for storage and messages."""

    SUGGESTED = "suggested"  # the data suggests hardship (signals); nobody has spoken to the person yet
    INFORMED = "informed"  # the person was told of the support programmes (利用勧奨)
    CONSENTED = "consented"  # 本人同意 recorded: who recorded it, when, which data
    REFERRED = "referred"  # sent to welfare with the agreed data (引継ぎ)
    ACKNOWLEDGED = "acknowledged"  # welfare took the referral over
    OUTCOME_RECORDED = "outcome_recorded"  # welfare recorded the outcome (see ``Outcome``)
    DECLINED = "declined"  # the person did not want help (before consent)
    CLOSED = "closed"  # terminal


class EventKind(StrEnum):
    """What staff record on a referral."""

    INFORM = "inform"  # 利用勧奨
    RECORD_CONSENT = "record_consent"  # 本人同意
    DECLINE = "decline"
    REFER = "refer"  # 引継ぎ
    ACKNOWLEDGE = "acknowledge"
    RECORD_OUTCOME = "record_outcome"
    CONSENT_WITHDRAWN = "consent_withdrawn"  # 同意の撤回
    CLOSE = "close"


class Outcome(StrEnum):
    """What welfare reports back."""

    CONNECTED = "connected"  # connected to support (支援につながった)
    NOT_NEEDED = "not_needed"  # support not needed
    DECLINED = "declined"  # the person declined support at welfare


CONSENT_SCOPES: frozenset[str] = frozenset({"contact", "arrears_summary", "departments", "household",
                                            "consultation_notes"})
"""The data categories a person may agree to share: contact details, a summary of arrears, the departments owed,
household composition, notes from the payment consultation. Anything else cannot be consented to."""

_S = ReferralState
_E = EventKind
_OPEN = frozenset(s for s in ReferralState if s is not _S.CLOSED)


class TransitionRefused(Exception):
    """The event may not be applied; ``reason`` says why in words, without personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Consent:
    """本人同意: recorded by staff ``given_by`` on ``given_on``; ``scope`` is what the person agreed to share."""

    given_by: str
    given_on: date
    scope: frozenset[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "scope", frozenset(self.scope))
        if not self.given_by:
            raise ValueError("consent needs the staff member who recorded it")
        if not self.scope:
            raise ValueError("consent scope is empty: the person agreed to share nothing")
        unknown = self.scope - CONSENT_SCOPES
        if unknown:
            raise ValueError(f"consent scope names unknown data categories: {sorted(unknown)}")


@dataclass(frozen=True, slots=True)
class Event:
    """One thing staff record. ``consent`` goes with ``record_consent``, ``outcome`` with ``record_outcome``,
    ``reason`` with a supervisor's ``close``."""

    kind: str
    on: date
    by: str
    role: str
    consent: Consent | None = None
    outcome: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One applied event, kept so the referral's course (and every consent change) can be audited."""

    kind: str
    on: date
    by: str
    role: str
    from_state: ReferralState | None
    to_state: ReferralState
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Referral:
    """A welfare referral. ``debtor_ref`` is an anonymous reference, never a name or a 宛名番号."""

    referral_id: str
    debtor_ref: str
    state: ReferralState = ReferralState.SUGGESTED
    consent: Consent | None = None
    outcome: str | None = None
    history: tuple[HistoryEntry, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", ReferralState(self.state))
        if self.state in (_S.CONSENTED, _S.REFERRED) and self.consent is None:
            raise ValueError(f"a referral in state {self.state} needs a recorded consent")


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the table: ``event`` moves a referral from any of ``from_states`` to ``to_state``; ``role`` is
    the least role that may do it; ``needs_consent``: refused while no consent is recorded."""

    event: str
    from_states: frozenset[ReferralState]
    to_state: ReferralState
    role: str
    needs_consent: bool = False


def _row(event: EventKind, from_states: Iterable[ReferralState], to_state: ReferralState, role: StaffRole,
         needs_consent: bool = False) -> Transition:
    return Transition(event.value, frozenset(from_states), to_state, role.value, needs_consent)


_C, _W, _SUP = StaffRole.COLLECTOR, StaffRole.WELFARE, StaffRole.SUPERVISOR

TRANSITIONS: tuple[Transition, ...] = (
    _row(_E.INFORM, {_S.SUGGESTED}, _S.INFORMED, _C),
    _row(_E.RECORD_CONSENT, {_S.INFORMED}, _S.CONSENTED, _C),
    _row(_E.DECLINE, {_S.SUGGESTED, _S.INFORMED}, _S.DECLINED, _C),
    _row(_E.REFER, {_S.CONSENTED}, _S.REFERRED, _C, needs_consent=True),
    _row(_E.ACKNOWLEDGE, {_S.REFERRED}, _S.ACKNOWLEDGED, _W),
    _row(_E.RECORD_OUTCOME, {_S.ACKNOWLEDGED}, _S.OUTCOME_RECORDED, _W),
    # withdrawal: back to informed until welfare has taken the referral over; afterwards the state stays
    *(_row(_E.CONSENT_WITHDRAWN, {_S.CONSENTED, _S.REFERRED}, _S.INFORMED, role, needs_consent=True)
      for role in (_C, _W)),
    *(_row(_E.CONSENT_WITHDRAWN, {state}, state, role, needs_consent=True)
      for state in (_S.ACKNOWLEDGED, _S.OUTCOME_RECORDED) for role in (_C, _W)),
    _row(_E.CLOSE, {_S.OUTCOME_RECORDED, _S.DECLINED}, _S.CLOSED, _C),
    _row(_E.CLOSE, _OPEN, _S.CLOSED, _SUP),
)
"""Every allowed move. ``apply`` refuses anything not in this table."""


def suggest(referral_id: str, debtor_ref: str, *, on: date, by: str = "system", role: str = "system") -> Referral:
    """A new referral in ``suggested``: the data suggests hardship, nothing has been said or shared yet."""
    entry = HistoryEntry("suggest", on, by, role, None, _S.SUGGESTED)
    return Referral(referral_id, debtor_ref, _S.SUGGESTED, None, None, (entry,))


def _refuse_preconditions(row: Transition, referral: Referral, event: Event) -> None:
    """The event's own requirements, once state and role are right."""
    if row.event == _E.RECORD_CONSENT:
        if event.consent is None:
            raise TransitionRefused("consent missing: record_consent needs who recorded it, when and the scope")
        if event.consent.given_on > event.on:
            raise TransitionRefused("consent is dated after the event that records it")
    elif row.event == _E.RECORD_OUTCOME:
        if event.outcome not in {o.value for o in Outcome}:
            raise TransitionRefused(f"record_outcome needs an outcome among {sorted(o.value for o in Outcome)}")
    elif row.event == _E.CLOSE and row.role == _SUP and not event.reason.strip():
        raise TransitionRefused("a supervisor's close needs a reason (e.g. paid in full, moved away)")


def apply(referral: Referral, event: Event) -> Referral:
    """The referral after ``event``, or ``TransitionRefused``. Checks in a fixed order so staff always see the
    first reason: closed, unknown event, date order, role, consent, state, the event's own requirements."""
    state = referral.state
    if state is _S.CLOSED:
        raise TransitionRefused("wrong state: the referral is closed; nothing more may be recorded")
    rows = [row for row in TRANSITIONS if row.event == event.kind]
    if not rows:
        raise TransitionRefused(f"unknown event {event.kind!r}")
    if referral.history and event.on < referral.history[-1].on:
        raise TransitionRefused("the event is dated before the last recorded event")
    allowed = [row for row in rows if role_allows({event.role}, StaffRole(row.role))]
    if not allowed:
        raise TransitionRefused(f"wrong role: {event.role!r} may not {event.kind}")
    if referral.consent is None and any(row.needs_consent for row in allowed):
        if event.kind == _E.CONSENT_WITHDRAWN:
            raise TransitionRefused("consent missing: there is no recorded consent to withdraw")
        raise TransitionRefused(f"consent missing: {event.kind} needs the person's recorded consent "
                                "(生活困窮者自立支援法8条)")
    match = next((row for row in allowed if state in row.from_states), None)
    if match is None:
        others = [row for row in rows if state in row.from_states]
        if others:
            raise TransitionRefused(f"wrong role: {event.kind} from {state} needs the {others[0].role} role")
        raise TransitionRefused(f"wrong state: cannot {event.kind} from {state}")
    _refuse_preconditions(match, referral, event)

    consent, outcome = referral.consent, referral.outcome
    if match.event == _E.RECORD_CONSENT:
        consent = event.consent
    elif match.event == _E.CONSENT_WITHDRAWN:
        consent = None
    elif match.event == _E.RECORD_OUTCOME:
        outcome = Outcome(event.outcome).value
    entry = HistoryEntry(match.event, event.on, event.by, event.role, state, match.to_state, event.reason)
    return Referral(referral.referral_id, referral.debtor_ref, match.to_state, consent, outcome,
                    (*referral.history, entry))


def shareable(referral: Referral) -> frozenset[str]:
    """The personal-data categories that may go to welfare now: exactly the consented scope while a consent is
    in force and the referral is open; nothing otherwise (only the suggestion itself is on record)."""
    if referral.consent is None or referral.state is _S.CLOSED:
        return frozenset()
    return referral.consent.scope


def is_open(state: str) -> bool:
    """Every state but ``closed``."""
    return ReferralState(state) is not _S.CLOSED


_PAUSING = frozenset({_S.INFORMED, _S.CONSENTED, _S.REFERRED, _S.ACKNOWLEDGED, _S.OUTCOME_RECORDED})


def pauses_collection(state: str) -> bool:
    """Whether collection holds escalation (no seizure, no workplace call) in this state: from the moment staff
    told the person of the support (利用勧奨) until the referral closes. A mere suggestion is the data's guess and
    puts the person on the staff's list without stopping collection; a person who declined help is collected
    from as before (their consultation stays on record)."""
    return ReferralState(state) in _PAUSING


@dataclass(frozen=True, slots=True)
class FunnelCounts:
    """How many referrals reached each stage (a referral counts once per stage, even if it later went back)."""

    suggested: int = 0
    informed: int = 0
    consented: int = 0
    referred: int = 0
    acknowledged: int = 0
    connected: int = 0
    declined: int = 0
    closed: int = 0


_CHAIN = (_S.SUGGESTED, _S.INFORMED, _S.CONSENTED, _S.REFERRED, _S.ACKNOWLEDGED, _S.OUTCOME_RECORDED)


def funnel(referrals: Iterable[Referral]) -> FunnelCounts:
    """Counts for the 利用勧奨 → 同意 → 引継ぎ → 支援 funnel (cf. Toyota: 26 of 88 visitors connected).

    A stage is reached if the history or the current state shows it; reaching a stage of the main chain implies
    the earlier ones. ``declined`` counts both who declined before consent and who declined at welfare."""
    counts = dict.fromkeys(("suggested", "informed", "consented", "referred", "acknowledged", "connected",
                            "declined", "closed"), 0)
    for referral in referrals:
        reached = {entry.to_state for entry in referral.history} | {referral.state}
        furthest = max((_CHAIN.index(s) for s in reached if s in _CHAIN), default=0)
        for stage in _CHAIN[:furthest + 1]:
            if stage is not _S.OUTCOME_RECORDED:
                counts[stage.value] += 1
        counts["connected"] += referral.outcome == Outcome.CONNECTED
        counts["declined"] += _S.DECLINED in reached or referral.outcome == Outcome.DECLINED
        counts["closed"] += _S.CLOSED in reached
    return FunnelCounts(**counts)
