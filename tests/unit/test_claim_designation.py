"""窓口収納 applied to the claims the payer names (services/collection/claim_designation.py): each named part goes to
its claim, the rest is left for the city's split with the named claims' balances reduced, and every refusal names
the claim (never a person): over the claim's open balance, a claim named twice, one that is not the payer's open
claim, designations above the sum received, amounts that are not positive integer yen."""

from datetime import date

import pytest

from services.collection.allocation import Component, Due, split_central_payment
from services.collection.claim_designation import ClaimDesignation, ClaimPart, designate_claims


def due(department: str, claim_id: str, balance: int, due_date: date = date(2024, 5, 31)) -> Due:
    return Due(department, claim_id, Component.PRINCIPAL, balance, due_date, 2024, 1,
               "forced_public" if department == "tax" else "private")


DUES = [due("tax", "T-2024-1", 30_000, date(2024, 4, 30)), due("tax", "T-2024-3", 12_000),
        due("water", "W-0601", 4_500), due("housing", "H-2024-05", 52_000)]


def test_the_named_claims_take_their_parts_and_the_rest_is_split_as_before() -> None:
    split = designate_claims(20_000, DUES, [ClaimDesignation("tax", "T-2024-3", 12_000),
                                            ClaimDesignation("water", "W-0601", 3_000)])
    assert split.parts == (ClaimPart("tax", "T-2024-3", 12_000), ClaimPart("water", "W-0601", 3_000))
    assert split.left == 5_000
    rest = {(d.department, d.claim_id): d.balance for d in split.rest}
    assert rest == {("tax", "T-2024-1"): 30_000, ("water", "W-0601"): 1_500, ("housing", "H-2024-05"): 52_000}
    # the remainder follows the city's method over what is left (the named tax claim is settled: not funded again)
    remainder = split_central_payment(split.left, split.rest, "oldest_first")
    assert sum(p.amount for p in remainder.parts) + remainder.overpayment == 5_000


def test_everything_designated_leaves_nothing_to_split() -> None:
    split = designate_claims(4_500, DUES, [ClaimDesignation("water", "W-0601", 4_500)])
    assert split.left == 0 and ("water", "W-0601") not in {(d.department, d.claim_id) for d in split.rest}


@pytest.mark.parametrize(("amount", "designation", "message"), [
    (50_000, [ClaimDesignation("water", "W-0601", 4_501)],
     r"^claims\[0\] \(water:W-0601\): 4,501 yen designated is more than the claim's open balance of 4,500 yen$"),
    (50_000, [ClaimDesignation("tax", "T-2024-3", 1_000), ClaimDesignation("tax", "T-2024-3", 1_000)],
     r"^claims\[1\] \(tax:T-2024-3\): the claim is named more than once$"),
    (50_000, [ClaimDesignation("tax", "T-1999-9", 1_000)], r"^claims\[0\] \(tax:T-1999-9\): not an open claim"),
    (50_000, [ClaimDesignation("water", "T-2024-3", 1_000)], r"^claims\[0\] \(water:T-2024-3\): not an open claim"),
    (10_000, [ClaimDesignation("tax", "T-2024-1", 9_000), ClaimDesignation("water", "W-0601", 2_000)],
     r"^claims: the designations total 11,000 yen, more than the 10,000 yen received$"),
    (10_000, [ClaimDesignation("tax", "T-2024-1", 0)], r"^claims\[0\] \(tax:T-2024-1\): .*positive integer"),
    (10_000, [ClaimDesignation("tax", "T-2024-1", 1_234.5)], r"^claims\[0\] \(tax:T-2024-1\): .*positive integer"),  # type: ignore[arg-type]
    (0, [], r"^amount: "),
])
def test_a_designation_that_cannot_be_applied_is_refused_naming_the_claim(
        amount: int, designation: list[ClaimDesignation], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        designate_claims(amount, DUES, designation)
