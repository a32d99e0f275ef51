"""From a debtor's standing (as collection published it) to the facts the hardship signals read, and the payload
that goes to welfare for a referral. Pure: the service's handlers call these with what they loaded.

Why apart from ``signals.py``: the signals know nothing of messages; this is the one place that reads
``DebtorStandingChanged`` for scoring and builds what welfare sees of a referral (filtered by consent scope in
``consent_scopes.py``, the one filter of the webhook and the inbox).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from contracts import DebtorStandingChanged
from services.welfare_referral.consent_scopes import ScopePolicy, consented_view, default_scopes, referral_record
from services.welfare_referral.lifecycle import CONSENT_SCOPES, Referral, shareable
from services.welfare_referral.signals import DebtorSituation, HardshipPolicy

#: Hardship noted in a 納付相談 counts for this long.
HARDSHIP_NOTE_DAYS = 365

#: Scope → what staff may enter for it when referring (the rest of the scopes come from the standing).
DETAIL_SCOPES: Mapping[str, str] = {
    "contact": "how welfare may reach the person (phone, the address they gave, the best time to call)",
    "household": "household composition as the person described it",
    "consultation_notes": "what the person said in the payment consultation",
}


def months_between(earlier: date, later: date) -> int:
    """Whole months from ``earlier`` to ``later`` (0 when ``later`` is not after it)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)
    return max(months, 0)


def situation(standing: DebtorStandingChanged, policy: HardshipPolicy, *, as_of: date) -> DebtorSituation:
    """The facts of one debtor as the signals read them, on ``as_of`` (the service's business date)."""
    by_department: dict[str, int] = defaultdict(int)
    for claim in standing.overdue_claims:
        by_department[claim.department] += claim.balance
    oldest = min((c.due_date for c in standing.overdue_claims), default=None)
    noted = standing.hardship_noted_on
    return DebtorSituation(
        arrears_by_department=dict(by_department),
        delinquent_claims=len(standing.overdue_claims),
        small_arrears=sum(1 for c in standing.overdue_claims if c.balance < policy.small_amount_yen),
        missed_installments=tuple(standing.missed_installments),
        exemption_applications=tuple((e.applied_on, e.reason.value) for e in standing.exemption_applications),
        execution_suspended=standing.execution_suspended,
        hardship_noted=noted is not None and 0 <= (as_of - noted).days <= HARDSHIP_NOTE_DAYS,
        months_in_arrears=0 if oldest is None else months_between(oldest, as_of),
    )


def arrears(standing: DebtorStandingChanged) -> int:
    return sum(c.balance for c in standing.overdue_claims)


#: What gives a place away in staff's free text: a postal code (not part of a phone number), 丁目・番地・号, a
#: 丁目-番-号 run of numbers (a phone number starts with 0), or a prefecture or city followed by a smaller unit.
_ADDRESS_LIKE = re.compile(
    r"〒|(?<![\d-])\d{3}-\d{4}(?![\d-])|(?<!\d)\d{7}(?!\d)|丁目|番地|\d+番\d*号?"
    r"|(?<![\d-])[1-9]\d{0,2}-\d{1,4}-\d{1,4}(?![\d-])"
    r"|(都|道|府|県).{0,12}(市|郡|区|町|村)|(市|区).{0,12}(町|丁|条|通)")
#: Dashes written between the numbers of an address or a phone (after NFKC, which keeps most of them).
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ｰー", "-"))


def looks_like_address(text: str) -> bool:
    """Whether staff's free text carries an address or a postal code (a phone number does not count)."""
    return _ADDRESS_LIKE.search(unicodedata.normalize("NFKC", text).translate(_DASHES)) is not None


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [str(k) for k in value] + [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return [str(value)]


def check_details(details: Mapping[str, Any], scope: frozenset[str], *, address_protected: bool = False) -> None:
    """Refuse details outside the consent's scope or of a kind staff cannot enter (ValueError naming the field);
    under a support measure (DV等支援措置), any detail that carries an address or a postal code: the welfare
    system's webhook leaves the collection office, and the address must not."""
    for key, value in details.items():
        if key not in DETAIL_SCOPES:
            where = "comes from collection's data" if key in CONSENT_SCOPES else "is not a data category"
            raise ValueError(f"details.{key}: {where}; staff may enter only {', '.join(sorted(DETAIL_SCOPES))}")
        if key not in scope:
            raise ValueError(f"details.{key}: the person did not consent to share {key} "
                             f"(consented: {', '.join(sorted(scope))})")
        if not isinstance(value, str | dict) or not value:
            raise ValueError(f"details.{key}: must be a non-empty text or object")
        if address_protected and any(looks_like_address(text) for text in _texts(value)):
            raise ValueError(f"details.{key}: the person is under a support measure (DV等支援措置): give a phone "
                             "number or a time to call, never an address or a postal code")


def referral_payload(referral: Referral, *, signals: Sequence[str], reasons: Sequence[str],
                     standing: DebtorStandingChanged | None, details: Mapping[str, Any],
                     scopes: ScopePolicy | None = None, **always: Any) -> dict[str, Any]:
    """What welfare sees of a referral (a webhook body with ``event`` and ``sent_on``, an inbox item with
    ``referred_on``): the referral's record filtered by ``consent_scopes.consented_view`` under the scopes consent
    covers now (``lifecycle.shareable``). The webhook and the inbox both call this, so they cannot differ."""
    record = referral_record(referral_id=referral.referral_id, debtor_ref=referral.debtor_ref,
                             state=referral.state.value, signals=signals, reasons=reasons, standing=standing,
                             details=details, **always)
    return consented_view(record, shareable(referral), scopes or default_scopes())
