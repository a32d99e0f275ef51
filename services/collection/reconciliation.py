"""Reconciliation with a department: what the central ledger holds of the department's claims against the
department's own statement of balances (残高, a standard-layout file), each difference listed by claim with its
likely cause, so staff fix the one that is wrong instead of both sides chasing the same yen.

Causes, in the order they are considered (``CAUSES``):

- ``unknown_claim``: the department has the claim, the centre does not (its import was rejected or not sent);
- ``missing_at_department``: the centre holds an open principal the department's statement does not list;
- ``payment_in_transit``: the department's balance is lower while a collection agent's 速報 for the claim waits
  for its 確報 at the centre (the department booked money the centre will book when it arrives);
- ``feed_not_acknowledged``: the department's balance is higher while money the centre took at its window for
  this person, or a 充当 line saying which claim it settled, is in a feed the department has not acknowledged (it
  has not booked it yet);
- ``amount_differs``: anything else.

Pure: the store reads the ledger and the feeds, the API takes the statement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CAUSES = ("unknown_claim", "missing_at_department", "payment_in_transit", "feed_not_acknowledged", "amount_differs")

EXPLANATIONS: Mapping[str, str] = {
    "unknown_claim": "the centre has no such claim: its 調定 was rejected at import or never sent",
    "missing_at_department": "the centre holds an open principal the department's statement does not list",
    "payment_in_transit": "a collection agent's 速報 is waiting for its 確報 at the centre",
    "feed_not_acknowledged": "money taken at the central window is in a feed the department has not acknowledged",
    "amount_differs": "the balances differ for no known reason: check the claim's events on both sides",
}


@dataclass(frozen=True)
class Statement:
    """One line of the department's statement: the principal it still has open for a claim."""

    claim_id: str
    source_person_id: str
    principal_open: int


@dataclass(frozen=True)
class CentralClaim:
    claim_id: str
    source_person_id: str
    principal_open: int
    payment_in_transit: bool = False


@dataclass(frozen=True)
class Difference:
    claim_id: str
    source_person_id: str
    department_balance: int | None
    central_balance: int | None
    cause: str

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[self.cause]


def reconcile(statements: Iterable[Statement], central: Iterable[CentralClaim], *,
              unacknowledged_payers: frozenset[str] = frozenset()) -> list[Difference]:
    """Every claim whose balances differ, with its likely cause, in claim order. ``unacknowledged_payers``: the
    department's person ids with a central-window payment in a feed it has not acknowledged."""
    theirs = {s.claim_id: s for s in statements}
    ours = {c.claim_id: c for c in central}
    differences = []
    for claim_id in sorted(theirs.keys() | ours.keys()):
        stated, held = theirs.get(claim_id), ours.get(claim_id)
        if held is None:
            assert stated is not None
            differences.append(Difference(claim_id, stated.source_person_id, stated.principal_open, None,
                                          "unknown_claim"))
        elif stated is None:
            if held.principal_open > 0:
                differences.append(Difference(claim_id, held.source_person_id, None, held.principal_open,
                                              "missing_at_department"))
        elif stated.principal_open != held.principal_open:
            if held.payment_in_transit and stated.principal_open < held.principal_open:
                cause = "payment_in_transit"
            elif held.source_person_id in unacknowledged_payers and stated.principal_open > held.principal_open:
                cause = "feed_not_acknowledged"
            else:
                cause = "amount_differs"
            differences.append(Difference(claim_id, held.source_person_id, stated.principal_open,
                                          held.principal_open, cause))
    return differences


def by_cause(differences: Iterable[Difference]) -> dict[str, int]:
    counted = Counter(d.cause for d in differences)
    return {cause: counted.get(cause, 0) for cause in CAUSES}
