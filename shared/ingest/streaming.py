"""Importing a large line-based export in bounded memory: the file is parsed in pieces, never held whole.

A piece is a run of whole physical lines (about ``PIECE_BYTES``), cut only where no quoted field is open, with
the header line in front when the format has one; the adapter's own ``parse_export`` parses it unchanged while
``CURRENT_IMPORT`` (shared/ingest/records.py) gives every piece the whole file's import key, line numbers and
repeated-key memory. Two passes over the file:

1. the check pass parses every piece and keeps only what the summary and the quarantine need (the rejections,
   the count of accepted records) and the import key (the file's canonical records, as ``import_key``): a file
   that cannot be read at all is refused before anything is published, as with a whole-file parse;
2. the publishing pass parses the pieces again, lazily, handing the publisher one piece's records at a time.

Memory is one piece's records: the accepted records' message ids, which the repeated-key check must remember
across the whole file, and the rejected records, which the quarantine and the report need at the end, are kept in
temporary SQLite files (``SeenOnDisk``, ``RejectionsOnDisk``) rather than in memory, so a file of any length (and
any share of rejects) needs the same memory. Parsing twice costs CPU, so only files over
``STREAM_THRESHOLD_BYTES`` are streamed. A format that is not line-based brings its own ``Split``: the housing
export, one JSON document, is cut into small documents of a few events each (services/housing_adapter/
export_format.py ``stream_pieces``, reading the file with shared/ingest/json_stream.py).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, overload

from shared.ingest.records import (
    CURRENT_IMPORT,
    Accepted,
    ImportContext,
    ParsedExport,
    Problem,
    Rejection,
)

PIECE_BYTES = 2 << 20
# Read whole, a 61 MB water file (620,000 claims) held 2,979 MiB: every record's envelope at once, about 4.8 KB a
# claim. Up to two pieces' worth it is at most about 40,000 claims (under 300 MiB with the interpreter).
STREAM_THRESHOLD_BYTES = 2 * PIECE_BYTES
READ_BLOCK = 1 << 20
MAX_PIECE_BYTES = 8 * PIECE_BYTES  # a quote that never closes does not make the whole file one piece

Parse = Callable[[bytes], ParsedExport]


class Split(Protocol):
    """A format's own way to cut a file into pieces its ``parse_export`` reads (``pieces`` for line-based ones);
    ``key_digest``, when given, is fed what the whole file's import key is the SHA-256 of."""

    def __call__(self, path: Path, *, piece_bytes: int,
                 key_digest: hashlib._Hash | None = None) -> Iterator[Piece]: ...  # type: ignore[name-defined]


def physical_lines(path: Path, block: int = READ_BLOCK) -> Iterator[bytes]:
    """The file's physical lines with their endings, read a block at a time (a CR at a block's end waits for the
    next block, so CRLF split across blocks is still one line ending)."""
    carry = b""
    with path.open("rb") as source:
        while chunk := source.read(block):
            lines = (carry + chunk).splitlines(keepends=True)
            carry = b""
            if lines and (not lines[-1].endswith((b"\n", b"\r")) or lines[-1].endswith(b"\r")):
                carry = lines.pop()
            yield from lines
    if carry:
        yield carry


@dataclass
class Piece:
    data: bytes
    line_offset: int  # add to a line number in the piece to get the file's line number


def pieces(path: Path, *, header: bool, quoted: bool, piece_bytes: int = PIECE_BYTES,
           key_digest: hashlib._Hash | None = None) -> Iterator[Piece]:  # type: ignore[name-defined]
    """The file in pieces of whole lines (see the module docstring). ``key_digest`` is fed the file's canonical
    records (shared/ingest/records.py ``canonical_records``), so the import key needs no second read."""
    head: bytes | None = None
    current: list[bytes] = []
    size = lines_before = lines_in_piece = 0
    open_quote = False
    first, yielded = True, False
    for line in physical_lines(path):
        content = line.rstrip(b"\r\n")
        if first and content.startswith(b"\xef\xbb\xbf"):
            content = content[3:]
        first = False
        if key_digest is not None and content.strip(b" \t\x1a"):
            key_digest.update(content)
            key_digest.update(b"\n")
        if header and head is None:
            head = line
            lines_before += 1
            continue
        current.append(line)
        size += len(line)
        lines_in_piece += 1
        if quoted and line.count(b'"') % 2:
            open_quote = not open_quote
        if size >= piece_bytes and (not open_quote or size >= MAX_PIECE_BYTES):
            yield _piece(head, current, lines_before)
            yielded = True
            lines_before += lines_in_piece
            current, size, lines_in_piece, open_quote = [], 0, 0, False
    # The rest, unless it is only blank lines after earlier pieces; an empty or header-only file is one piece,
    # so the format says what is wrong with it.
    if not yielded or any(line.strip(b" \t\r\n\x1a") for line in current):
        yield _piece(head, current, lines_before)


def _piece(head: bytes | None, lines: list[bytes], lines_before: int) -> Piece:
    if head is None:
        return Piece(b"".join(lines), lines_before)
    if not head.endswith((b"\n", b"\r")):
        head += b"\r\n"
    return Piece(head + b"".join(lines), lines_before - 1)


class SeenOnDisk:
    """The repeated-key memory of one pass over a streamed file (message id → first line, payload digest) in a
    temporary SQLite file with a small page cache, instead of a dict that grows with the file (about 250 bytes a
    record: 1.5 million claims would hold 375 MB). Removed when the pass ends."""

    CACHE_KIB = 8 << 10

    def __init__(self) -> None:
        self._file = tempfile.NamedTemporaryFile(prefix="import-seen-", suffix=".sqlite")  # noqa: SIM115
        self._db = sqlite3.connect(self._file.name, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{self.CACHE_KIB}",
                       "temp_store = FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE seen (id BLOB PRIMARY KEY, line INTEGER NOT NULL, digest BLOB NOT NULL) "
                         "WITHOUT ROWID")
        self._db.execute("BEGIN")

    def setdefault(self, key: bytes, value: tuple[int, bytes], /) -> tuple[int, bytes]:
        """``value`` stored and returned, or the first one when the key is there (one statement for a new key)."""
        if self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (key, *value)).rowcount == 1:
            return value
        line, digest = self._db.execute("SELECT line, digest FROM seen WHERE id = ?", (key,)).fetchone()
        return line, digest

    def close(self) -> None:
        self._db.close()
        self._file.close()


class RejectionsOnDisk(Sequence[Rejection]):
    """The rejected records of a streamed file (line, raw text, problems) in a temporary SQLite file, so a file
    made mostly of rejects needs no more memory than a clean one: the quarantine, the summary and the report read
    them back in order, a page at a time. Removed when the object is collected or ``close``d."""

    PAGE = 1_000

    def __init__(self) -> None:
        self._file = tempfile.NamedTemporaryFile(prefix="import-rejected-", suffix=".sqlite")  # noqa: SIM115
        self._db = sqlite3.connect(self._file.name, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -2048"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE rejected (n INTEGER PRIMARY KEY, line INTEGER NOT NULL, raw TEXT NOT NULL, "
                         "problems TEXT NOT NULL)")
        self._count = 0

    def extend(self, rejections: Iterable[Rejection]) -> None:
        rows = [(self._count + i, r.line, r.raw, json.dumps([[p.field, p.reason] for p in r.problems]))
                for i, r in enumerate(rejections)]
        self._db.executemany("INSERT INTO rejected VALUES (?, ?, ?, ?)", rows)
        self._count += len(rows)

    def __len__(self) -> int:
        return self._count

    @staticmethod
    def _rejection(row: tuple[int, str, str]) -> Rejection:
        return Rejection(row[0], row[1], tuple(Problem(f, r) for f, r in json.loads(row[2])))

    def _rows(self, start: int, stop: int) -> Iterator[Rejection]:
        for page in range(start, stop, self.PAGE):
            rows = self._db.execute("SELECT line, raw, problems FROM rejected WHERE n >= ? AND n < ? ORDER BY n",
                                    (page, min(page + self.PAGE, stop))).fetchall()
            yield from (self._rejection(row) for row in rows)

    def __iter__(self) -> Iterator[Rejection]:
        return self._rows(0, self._count)

    @overload
    def __getitem__(self, index: int) -> Rejection: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Rejection]: ...

    def __getitem__(self, index: int | slice) -> Rejection | Sequence[Rejection]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            if step != 1:
                raise ValueError("rejections are read in order")
            return _Slice(self, start, stop)
        if not -self._count <= index < self._count:
            raise IndexError(index)
        return next(self._rows(index % self._count, index % self._count + 1))

    def close(self) -> None:
        self._db.close()
        self._file.close()


@dataclass(frozen=True)
class _Slice(Sequence[Rejection]):
    """Rejections ``start`` to ``stop`` of a RejectionsOnDisk, read when iterated."""

    whole: RejectionsOnDisk
    start: int
    stop: int

    def __len__(self) -> int:
        return max(self.stop - self.start, 0)

    def __iter__(self) -> Iterator[Rejection]:
        return self.whole._rows(self.start, self.stop)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if isinstance(index, slice):
            start, stop, _ = index.indices(len(self))
            return _Slice(self.whole, self.start + start, self.start + stop)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.whole[self.start + index]


@dataclass
class StreamedExport:
    """What the publisher needs of an export parsed in pieces (the same attributes as ParsedExport)."""

    source_system: str
    file_name: str
    import_key: str
    accepted_total: int
    rejected: Sequence[Rejection] = field(default_factory=list)  # on disk when streamed (RejectionsOnDisk)
    republish: Callable[[], Iterator[Accepted]] = field(default=lambda: iter(()))

    @property
    def records_read(self) -> int:
        return self.accepted_total + len(self.rejected)

    def iter_accepted(self) -> Iterator[Accepted]:
        return self.republish()


def _parse_pieces(path: Path, parse: Parse, *, header: bool, quoted: bool, context: ImportContext,
                  piece_bytes: int, key_digest: hashlib._Hash | None = None,  # type: ignore[name-defined]
                  split: Split | None = None) -> Iterator[ParsedExport]:
    cut = split(path, piece_bytes=piece_bytes, key_digest=key_digest) if split is not None else \
        pieces(path, header=header, quoted=quoted, piece_bytes=piece_bytes, key_digest=key_digest)
    for piece in cut:
        context.line_offset = piece.line_offset
        token = CURRENT_IMPORT.set(context)
        try:
            yield parse(piece.data)
        finally:
            CURRENT_IMPORT.reset(token)


def stream_export(path: Path, parse: Parse, *, header: bool = False, quoted: bool = False,
                  piece_bytes: int = PIECE_BYTES, split: Split | None = None) -> StreamedExport:
    """The check pass (raises ExportFormatError as a whole-file parse would), and a StreamedExport whose
    ``iter_accepted`` runs the publishing pass. ``split`` cuts the file (default: ``pieces`` of whole lines,
    with ``header`` and ``quoted`` as the format says)."""
    digest = hashlib.sha256()
    check = ImportContext(import_key="(check pass)", seen=SeenOnDisk())
    accepted_total, rejected = 0, RejectionsOnDisk()
    file_name, source_system = path.name, ""
    try:
        for parsed in _parse_pieces(path, parse, header=header, quoted=quoted, context=check,
                                    piece_bytes=piece_bytes, key_digest=digest, split=split):
            accepted_total += len(parsed.accepted)
            rejected.extend(parsed.rejected)
            file_name, source_system = parsed.file_name, parsed.source_system
    finally:
        check.seen.close()  # type: ignore[attr-defined]
    key = f"import:{source_system}:{digest.hexdigest()[:24]}"

    def republish() -> Iterator[Accepted]:
        seen = SeenOnDisk()
        context = ImportContext(import_key=key, seen=seen)
        try:
            for parsed in _parse_pieces(path, parse, header=header, quoted=quoted, context=context,
                                        piece_bytes=piece_bytes, split=split):
                yield from parsed.accepted
        finally:
            seen.close()

    return StreamedExport(source_system, file_name, key, accepted_total, rejected, republish)
