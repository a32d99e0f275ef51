"""Reading one large JSON document whose records are a top-level array, a record at a time (bounded memory).

The standard library has no streaming JSON parser, and a whole ``json.loads`` of a large export holds every
record as Python objects at once. ``JsonArrayReader`` reads the file a block at a time, decodes it as UTF-8
(a byte-order mark is skipped) and walks the top-level object itself; each value is parsed by the standard
library's own C scanner (``JSONDecoder.raw_decode``), so strings with braces, brackets, quotes and escapes are
read exactly as ``json.loads`` reads them. The named array's elements are yielded one by one, each with its
source text; every other top-level field is kept in ``head`` (the array itself as ``[]``), to be checked by the
format once the document has been read. Memory is the read block plus the largest single value.

Malformed JSON raises ``JsonSyntaxError`` with ``json.loads``'s message and its line and column in the file.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

READ_BLOCK = 1 << 20
MAX_VALUE_CHARS = 16 << 20  # one record (or top-level field) larger than this makes the document unreadable
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9.eE+-]*")


class JsonSyntaxError(ValueError):
    """Not valid JSON: ``msg`` as ``json.loads`` words it, at 1-based ``lineno`` and ``colno`` of the text."""

    def __init__(self, msg: str, lineno: int, colno: int):
        self.msg, self.lineno, self.colno = msg, lineno, colno
        super().__init__(f"{msg} at line {lineno} column {colno}")


class NotUtf8(ValueError):
    """Bytes that are not UTF-8; ``offset`` counts bytes after any byte-order mark, as ``bytes.decode`` does."""

    def __init__(self, offset: int):
        self.offset = offset
        super().__init__(f"undecodable byte at offset {offset}")


class NotAnObject(ValueError):
    """The document is valid so far but is not a JSON object."""


class RepeatedArray(ValueError):
    """The array's name appears twice among the top-level fields."""


class JsonArrayReader:
    """Iterate over ``(text, value)`` of every element of the top-level field ``array``; then ``head`` holds the
    other top-level fields and ``array in head`` says whether the array was there at all."""

    def __init__(self, path: Path, array: str, *, parse_constant: Callable[[str], object] | None = None,
                 block: int = READ_BLOCK, max_value_chars: int = MAX_VALUE_CHARS):
        self.path, self.array, self.block, self.max_value_chars = path, array, block, max_value_chars
        self.decoder = json.JSONDecoder(parse_constant=parse_constant)
        self.head: dict[str, object] = {}

    # ---- the text buffer: ``buf`` holds the file's text from absolute position ``base`` on ----------------

    def _open(self) -> None:
        self.buf, self.base, self.pos = "", 0, 0
        self.lines_before, self.last_newline = 0, -1  # in the text dropped from the buffer
        self.eof, self.fed, self.bom_checked = False, 0, False
        self.text_decoder = codecs.getincrementaldecoder("utf-8")()

    def _fill(self) -> bool:
        """Read one more block into the buffer (dropping what lies before ``pos``); False at the end of the file."""
        if self.eof:
            return False
        chunk = self.source.read(self.block)
        if not self.bom_checked and chunk:
            while len(chunk) < 3 and (more := self.source.read(self.block)):
                chunk += more
            if chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[3:]
            self.bom_checked = True
        pending = len(self.text_decoder.getstate()[0])
        try:
            text = self.text_decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise NotUtf8(self.fed - pending + exc.start) from None
        self.fed += len(chunk)
        if not chunk:
            self.eof = True
        drop = self.pos - self.base
        if drop > 0:
            dropped = self.buf[:drop]
            newlines = dropped.count("\n")
            if newlines:
                self.lines_before += newlines
                self.last_newline = self.base + dropped.rindex("\n")
            self.buf, self.base = self.buf[drop:], self.pos
        self.buf += text
        return bool(chunk) or bool(text)

    def _where(self, position: int) -> tuple[int, int]:
        """(line, column) of an absolute text position, counted as ``json.loads`` counts them."""
        index = position - self.base
        line = self.lines_before + self.buf.count("\n", 0, index) + 1
        found = self.buf.rfind("\n", 0, index)
        last = self.base + found if found >= 0 else self.last_newline
        return line, position - last

    def _syntax(self, msg: str, position: int | None = None) -> JsonSyntaxError:
        return JsonSyntaxError(msg, *self._where(self.pos if position is None else position))

    def _peek(self) -> str:
        """The next character that is not whitespace ('' at the end of the file), without consuming it."""
        while True:
            self.pos = self.base + _WHITESPACE.match(self.buf, self.pos - self.base).end()
            if self.pos - self.base < len(self.buf):
                return self.buf[self.pos - self.base]
            if not self._fill():
                return ""

    def _value(self) -> object:
        """One JSON value from ``pos`` (parsed by the standard library), reading more of the file as needed."""
        while True:
            start = self.pos - self.base
            try:
                value, end = self.decoder.raw_decode(self.buf, start)
            except json.JSONDecodeError as exc:
                where = self.base + exc.pos  # absolute: reading on moves the buffer (never past the value's start)
                if len(self.buf) - start <= self.max_value_chars and self._fill():
                    continue
                raise self._syntax(exc.msg, where) from None
            # A number cut at the block's end parses as a shorter one ("12" of "125", "-0.5" of "-0.5e-3"): when
            # only characters of a number follow it in the buffer, read on and parse again.
            if _NUMBER_TAIL.match(self.buf, end).end() == len(self.buf) and self._fill():
                continue
            self.pos = self.base + end
            return value

    # ---- the document ----------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[str, object]]:
        with self.path.open("rb") as self.source:
            self._open()
            first = self._peek()
            if first != "{":
                if first == "":
                    raise self._syntax("Expecting value")
                self._value()  # a syntax error in it is reported as such
                raise NotAnObject()
            self.pos += 1
            if self._peek() == "}":
                self.pos += 1
            else:
                while True:
                    if self._peek() != '"':
                        raise self._syntax("Expecting property name enclosed in double quotes")
                    key = self._value()
                    if self._peek() != ":":
                        raise self._syntax("Expecting ':' delimiter")
                    self.pos += 1
                    if key == self.array and key in self.head:
                        raise RepeatedArray()
                    if key == self.array and self._peek() == "[":
                        yield from self._elements()
                        self.head[key] = []
                    else:
                        self._peek()
                        self.head[key] = self._value()  # type: ignore[index]
                    after = self._peek()
                    if after == "}":
                        self.pos += 1
                        break
                    if after != ",":
                        raise self._syntax("Expecting ',' delimiter")
                    self.pos += 1
                    self._peek()
            if self._peek() != "":
                raise self._syntax("Extra data")

    def _elements(self) -> Iterator[tuple[str, object]]:
        self.pos += 1  # "["
        if self._peek() == "]":
            self.pos += 1
            return
        while True:
            start = self.pos
            value = self._value()
            yield self.buf[start - self.base:self.pos - self.base], value
            after = self._peek()
            if after == "]":
                self.pos += 1
                return
            if after != ",":
                raise self._syntax("Expecting ',' delimiter")
            self.pos += 1
            self._peek()
