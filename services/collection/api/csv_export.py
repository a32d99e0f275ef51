"""CSV downloads of the API's lists: UTF-8 with a byte-order mark, so that Excel on a Japanese Windows desktop
opens kanji correctly, CRLF line ends, and no cell a spreadsheet would run as a formula (shared/csv_cells.py)."""

import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from fastapi import Response

from shared.csv_cells import spreadsheet_safe_row


def csv_response(columns: Sequence[str], rows: Iterable[Sequence[object]], file_name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(spreadsheet_safe_row(columns))
    for row in rows:
        writer.writerow(spreadsheet_safe_row(row))
    return Response(content="\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file_name)}"})
