"""Figures that tests report (messages sent, stored, duplicated, lost …), printed in pytest's summary so
that every run shows them, not only runs with ``-s``."""

FIGURES: list[str] = []


def report(line: str) -> None:
    FIGURES.append(line)
    print(line)
