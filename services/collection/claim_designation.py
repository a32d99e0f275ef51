"""窓口収納 applied to the claims the payer names (納付者の指定充当): a payer at the central window may say which
claims their money is for — "this is for last year's 固定資産税 第3期 and the water bill" — and the law lets them
(民法488条1項 for a private claim; for public money the city's practice follows the payer's designation the same
way). Pure: no I/O.

``designate_claims`` takes the sum received, what each claim may still be asked for (``allocation.Due``: principal,
fees, a fixed 延滞金, one due per claim as the central window counts them) and the designation, and returns:

- one part per named claim (its department, claim id and yen), in the order named; each becomes a payment of the
  claim's department that names the claim, so the ledger allocates it to that claim only (its principal, fees and
  延滞金 in the department's order);
- the dues left for the rest (each named claim's balance less what was designated for it), which the central
  window splits as before (``allocation.split_central_payment``: by the city's method);
- the yen left for that split.

Refused (``ValueError`` naming ``claims[i]`` and the claim, never a person): an amount that is not a positive
integer, a claim named twice, a claim that is not an open claim of the payer, an amount above the claim's open
balance, designations that total more than the sum received.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from services.collection.allocation import Due

__all__ = ["ClaimDesignation", "ClaimPart", "DesignatedSplit", "designate_claims"]


@dataclass(frozen=True)
class ClaimDesignation:
    """Yen the payer names for one claim."""

    department: str
    claim_id: str
    amount: int

    @property
    def key(self) -> str:
        return f"{self.department}:{self.claim_id}"


@dataclass(frozen=True)
class ClaimPart:
    """What goes to one named claim."""

    department: str
    claim_id: str
    amount: int


@dataclass(frozen=True)
class DesignatedSplit:
    parts: tuple[ClaimPart, ...]
    rest: tuple[Due, ...]  # the dues left for the city's split of what remains
    left: int  # yen not designated: split by the city's method


def designate_claims(amount: int, dues: Sequence[Due], designation: Sequence[ClaimDesignation]) -> DesignatedSplit:
    """Apply the payer's designation first (see the module docstring); ValueError naming the claim at fault."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount: must be a positive integer number of yen, got {amount!r}")
    open_by_claim: dict[tuple[str, str], int] = {}
    for due in dues:
        key = (due.department, due.claim_id)
        open_by_claim[key] = open_by_claim.get(key, 0) + max(due.balance, 0)
    parts: list[ClaimPart] = []
    taken: dict[tuple[str, str], int] = {}
    for i, named in enumerate(designation):
        where = f"claims[{i}] ({named.key})"
        if isinstance(named.amount, bool) or not isinstance(named.amount, int) or named.amount <= 0:
            raise ValueError(f"{where}: the designated amount must be a positive integer number of yen, "
                             f"got {named.amount!r}")
        key = (named.department, named.claim_id)
        if key in taken:
            raise ValueError(f"{where}: the claim is named more than once")
        open_balance = open_by_claim.get(key, 0)
        if open_balance <= 0:
            raise ValueError(f"{where}: not an open claim of this payer (nothing may be asked for on it)")
        if named.amount > open_balance:
            raise ValueError(f"{where}: {named.amount:,} yen designated is more than the claim's open balance of "
                             f"{open_balance:,} yen")
        taken[key] = named.amount
        parts.append(ClaimPart(named.department, named.claim_id, named.amount))
    total = sum(taken.values())
    if total > amount:
        raise ValueError(f"claims: the designations total {total:,} yen, more than the {amount:,} yen received")
    rest: list[Due] = []
    for due in dues:
        key = (due.department, due.claim_id)
        used = min(taken.get(key, 0), max(due.balance, 0))
        if used:
            taken[key] -= used
        if due.balance - used > 0:
            rest.append(dataclasses.replace(due, balance=due.balance - used))
    return DesignatedSplit(tuple(parts), tuple(rest), amount - total)
