"""What of a referral each reader may see: welfare by the person's consent scopes, collection without welfare's
notes, lists without anyone's free text. Pure: ``load_scopes`` reads the JSON file once; the rest has no I/O.

Why one module: 生活困窮者自立支援法8条 makes the 利用勧奨 collection's duty, but handing the person's details to
the support agency needs their consent (本人同意), and the consent names categories of data, not messages. If
the webhook, the inbox and the redaction of undelivered webhooks each decided on their own, one of them would
leak (as the webhook did: contact-only consent still carried "arrears in 3 departments at once: tax, insurance,
childcare" and a collector's note of illness). So every field and every hardship signal is assigned to scopes in
versioned data (``policy/consent_scopes.v1.json``), and ``consented_view`` is the one filter all of them apply:

- a field or a signal (its id and its reason together) is shown only while consent covers every scope it
  belongs to; one that the policy does not name is never shown (deny by default);
- withdrawal leaves no scope, so the same filter hides everything the consent covered, in the inbox and in
  every webhook body not yet delivered (``store.record_event`` filters those again);
- welfare staff's own words (the outcome note, a welfare reason) never go back to collection staff
  (``visible_reason``), and lists carry signal codes and generated reasons, never staff free text
  (``list_reasons``): free text is read one referral at a time, by a role that may, and audited.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from contracts import DebtorStandingChanged
from services.welfare_referral.lifecycle import CONSENT_SCOPES
from services.welfare_referral.signals import SIGNAL_IDS
from shared.auth import StaffRole, role_allows

__all__ = [
    "DEFAULT_SCOPES_PATH",
    "STAFF_JUDGEMENT",
    "ScopePolicy",
    "SignalScope",
    "consented_view",
    "default_scopes",
    "list_reasons",
    "load_scopes",
    "parse_scopes",
    "referral_record",
    "is_collection_staff",
    "visible_reason",
    "welfare_detail",
]

DEFAULT_SCOPES_PATH = Path(__file__).with_name("policy") / "consent_scopes.v1.json"

#: Signal id of a referral opened by staff judgement; its reason is the collector's own words.
STAFF_JUDGEMENT = "staff_judgement"

#: Every signal a referral can carry: the scored signals and a collector's judgement.
KNOWN_SIGNALS = (*SIGNAL_IDS, STAFF_JUDGEMENT)


@dataclass(frozen=True)
class SignalScope:
    """A signal's scopes (all needed to show it), its label in words, and whether its reason is free text."""

    id: str
    scopes: frozenset[str]
    label: str
    free_text: bool = False


@dataclass(frozen=True)
class ScopePolicy:
    """One version of the assignment: ``fields`` and ``signals`` to the scopes that must all be consented."""

    version: str
    effective_from: date
    scopes: Mapping[str, str]
    always: frozenset[str]
    fields: Mapping[str, frozenset[str]]
    signals: Mapping[str, SignalScope]


# --- the filter -------------------------------------------------------------------------------------------------


def consented_view(record: Mapping[str, Any], consented: Iterable[str], policy: ScopePolicy) -> dict[str, Any]:
    """What welfare may see of ``record`` under the ``consented`` scopes: the ``always`` keys (no personal
    data), each field whose scopes are all consented, and the signals (``{"id", "reason"}``) whose scopes are all
    consented; ``shared_scope`` and ``scope_policy`` say under what it was filtered. Anything else is dropped.
    Idempotent, so a body filtered once can be filtered again under a narrower consent."""
    allowed = frozenset(consented)
    view: dict[str, Any] = {key: record[key] for key in sorted(policy.always) if key in record}
    view["shared_scope"] = sorted(allowed & frozenset(policy.scopes))
    view["scope_policy"] = policy.version
    for key, needs in policy.fields.items():
        if key in record and record[key] is not None and needs <= allowed:
            view[key] = record[key]
    signals = []
    for signal in record.get("signals") or ():
        rule = policy.signals.get(signal.get("id")) if isinstance(signal, Mapping) else None
        if rule is not None and rule.scopes <= allowed:
            signals.append({"id": rule.id, "reason": signal.get("reason", "")})
    if signals:
        view["signals"] = signals
    return view


def referral_record(*, referral_id: str, debtor_ref: str, state: str, signals: Sequence[str],
                    reasons: Sequence[str], standing: DebtorStandingChanged | None, details: Mapping[str, Any],
                    **always: Any) -> dict[str, Any]:
    """Everything a referral could show welfare, before any filter: the signals with their reasons (paired by
    position, as stored), the departments and the arrears summary from collection's latest standing, and the
    details staff entered when referring. ``always`` adds keys of the policy's ``always`` list (event, dates)."""
    if len(signals) != len(reasons):
        raise ValueError(f"referral {referral_id}: {len(signals)} signals but {len(reasons)} reasons")
    record: dict[str, Any] = {"referral_id": referral_id, "debtor_ref": debtor_ref, "state": state, **always,
                              "signals": [{"id": s, "reason": r} for s, r in zip(signals, reasons, strict=True)]}
    if standing is not None:
        claims = standing.overdue_claims
        oldest = min((c.due_date for c in claims), default=None)
        record["arrears_summary"] = {"overdue_claims": len(claims), "overdue_yen": sum(c.balance for c in claims),
                                     "oldest_due_date": oldest.isoformat() if oldest else None}
        record["departments"] = sorted({c.department for c in claims})
    for key, value in details.items():
        record.setdefault(key, value)
    return record


def list_reasons(signals: Sequence[str], reasons: Sequence[str], policy: ScopePolicy) -> list[str]:
    """The reasons a list may carry: generated ones as they are (codes, counts, no one's words); a free-text
    signal's reason (a collector's own words) replaced by the signal's label, and a signal the policy does not
    know by its code (deny by default)."""
    shown = []
    for signal, reason in zip(signals, reasons, strict=False):
        rule = policy.signals.get(signal)
        shown.append(signal if rule is None else rule.label if rule.free_text else reason)
    return shown


def visible_reason(written_in_role: str, reason: str, reader_roles: Iterable[str]) -> str:
    """A history entry's reason as this reader sees it: each side's words stay on its side. Welfare staff's words
    (an outcome note, a welfare reason) only to welfare staff; a collector's or supervisor's words (why declined,
    why closed) only to collection staff, since they are not in any consent scope. Every reader sees the step,
    the date and the code."""
    roles = set(reader_roles)
    if written_in_role == StaffRole.WELFARE.value:
        return reason if StaffRole.WELFARE.value in roles else ""
    return reason if is_collection_staff(roles) else ""


def is_collection_staff(roles: Iterable[str]) -> bool:
    """Whether these roles include one of collection's (viewer and up); the ``welfare`` role stands apart."""
    return role_allows(set(roles), StaffRole.VIEWER)


def welfare_detail(*, signals: Sequence[str], reasons: Sequence[str], shared_details: Mapping[str, Any] | None,
                   consented: Iterable[str], policy: ScopePolicy) -> dict[str, Any]:
    """What a single referral read shows a reader who is welfare staff only (e.g. the answer to acknowledge or
    record an outcome): the signals and details the consent covers, by ``consented_view``; figures that are not
    in a consented field (points, arrears at suggestion) are withheld (None)."""
    allowed = frozenset(consented)
    view = consented_view({"signals": [{"id": s, "reason": r} for s, r in zip(signals, reasons, strict=True)],
                           **(shared_details or {})}, allowed, policy)
    shown = view.get("signals", [])
    details = {k: v for k, v in view.items() if k in policy.fields}
    return {"signals": [s["id"] for s in shown], "reasons": [s["reason"] for s in shown],
            "shared_details": details or None, "points": None, "baseline_arrears": None,
            "baseline_collected": None}


# --- loading and validating -------------------------------------------------------------------------------------


def load_scopes(path: Path | None = None) -> ScopePolicy:
    """Read and validate the scope assignment (default: ``policy/consent_scopes.v1.json``)."""
    path = path or DEFAULT_SCOPES_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"consent scopes {path}: not JSON: {exc}") from None
    return parse_scopes(data)


@cache
def default_scopes() -> ScopePolicy:
    """The shipped assignment, read once."""
    return load_scopes()


def parse_scopes(data: Mapping[str, Any]) -> ScopePolicy:
    """Validate an assignment; ``ValueError`` names the entry at fault. Every consent category must be
    described, every signal the service can raise must be assigned, and nothing may name an unknown scope."""
    if not isinstance(data, Mapping):
        raise ValueError("consent scopes: must be a JSON object")
    _only_keys("consent scopes", data, {"version", "effective_from", "description", "scopes", "always", "fields",
                                        "signals"})
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValueError("version: must be a non-empty string")
    try:
        effective_from = date.fromisoformat(data.get("effective_from"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"effective_from: must be a date (YYYY-MM-DD), got {data.get('effective_from')!r}") from None
    scopes = data.get("scopes")
    if not isinstance(scopes, Mapping) or set(scopes) != set(CONSENT_SCOPES):
        got = sorted(scopes) if isinstance(scopes, Mapping) else scopes
        raise ValueError(f"scopes: must describe exactly the consent categories {sorted(CONSENT_SCOPES)}, got {got}")
    for name, text in scopes.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"scopes.{name}: must say in words what it covers")
    always = data.get("always")
    if not isinstance(always, Mapping) or not always:
        raise ValueError("always: must name the keys that carry no personal data, each with why")
    fields_raw = data.get("fields")
    if not isinstance(fields_raw, Mapping):
        raise ValueError("fields: must map each personal-data field to its scopes")
    fields = {name: _scopes(f"fields.{name}", needs) for name, needs in fields_raw.items()}
    both = sorted(set(fields) & set(always))
    if both:
        raise ValueError(f"fields: {', '.join(both)} also listed under always (a field is either personal or not)")
    signals_raw = data.get("signals")
    if not isinstance(signals_raw, Mapping):
        raise ValueError("signals: must map each signal id to its scopes")
    signals = {signal_id: _signal(signal_id, raw) for signal_id, raw in signals_raw.items()}
    missing = [s for s in KNOWN_SIGNALS if s not in signals]
    if missing:
        raise ValueError(f"signals: no scope for signal id(s) {', '.join(missing)}")
    unknown = sorted(set(signals) - set(KNOWN_SIGNALS))
    if unknown:
        raise ValueError(f"signals: unknown signal id(s) {', '.join(unknown)}")
    return ScopePolicy(version, effective_from, MappingProxyType(dict(scopes)), frozenset(always),
                       MappingProxyType(fields), MappingProxyType(signals))


def _scopes(where: str, value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: must be a non-empty list of scope names")
    unknown = sorted(set(value) - CONSENT_SCOPES)
    if unknown:
        raise ValueError(f"{where}: unknown scope(s) {', '.join(unknown)} (one of {', '.join(sorted(CONSENT_SCOPES))})")
    return frozenset(value)


def _signal(signal_id: str, raw: Any) -> SignalScope:
    where = f"signals.{signal_id}"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: must be an object with scopes and label")
    _only_keys(where, raw, {"scopes", "label", "free_text"})
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"{where}.label: must be non-empty text (shown in lists instead of free text)")
    free_text = raw.get("free_text", False)
    if not isinstance(free_text, bool):
        raise ValueError(f"{where}.free_text: must be true or false")
    return SignalScope(signal_id, _scopes(f"{where}.scopes", raw.get("scopes")), label, free_text)


def _only_keys(where: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
