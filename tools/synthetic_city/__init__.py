"""A deterministic synthetic city: residents, households and businesses, each department's own (noisy) view of
them, a year of bills and payments, and the ground truth, written in each department's native export format.

Used by `make demo`, the tests and the benchmarks. ``python -m tools.synthetic_city --help``.
"""
