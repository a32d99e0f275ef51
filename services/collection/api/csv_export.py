"""CSV downloads of the API's lists: UTF-8 with a byte-order mark, so that Excel on a Japanese Windows desktop
opens kanji correctly, and CRLF line ends. Cells are formula-safe: a text that a spreadsheet would run as a formula
(starting with =, +, -, @, a tab or a carriage return, OWASP "CSV injection") is written with a leading apostrophe;
plain numbers, negative ones included, stay numbers."""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from fastapi import Response

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def safe_cell(value: object) -> object:
    """A cell a spreadsheet shows as text, never runs: '=HYPERLINK(…)' becomes "'=HYPERLINK(…)"; -1200 stays."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_response(columns: Sequence[str], rows: Iterable[Sequence[object]], file_name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(column) for column in columns])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return Response(content="\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file_name)}"})
