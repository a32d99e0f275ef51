"""Cells of every CSV export, safe to open in a spreadsheet (OWASP "CSV injection").

Excel and LibreOffice read a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula (and, after a tab or
a carriage return, may too): a debtor's name or a note such as ``=HYPERLINK(…)`` would run on the desktop of
whoever opens the export. Such a text cell is written with a leading ``'``, which the spreadsheet shows as text.
Numbers the system writes itself (amounts, counts) are passed as ``int`` and left as they are, so ``-500`` stays
a number.
"""

import re
from collections.abc import Iterable

#: The first characters a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
#: A plain number written as text ("-1200", "-3.5") is no formula: it stays a number in the spreadsheet.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def spreadsheet_safe(value: object) -> object:
    """A cell value to hand to ``csv.writer``: text that a spreadsheet would take as a formula gets a leading
    ``'``; ``None`` becomes empty; numbers and other values are left alone."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe_row(values: Iterable[object]) -> list[object]:
    return [spreadsheet_safe(value) for value in values]
