"""CSV downloads of the API's lists: UTF-8 with a byte-order mark, so that Excel on a Japanese Windows desktop
opens kanji correctly, and CRLF line ends."""

import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from fastapi import Response


def csv_response(columns: Sequence[str], rows: Iterable[Sequence[object]], file_name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return Response(content="\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file_name)}"})
