"""The housing JSON export imported a record at a time (issue 21, item 10): a large document is never parsed
whole, yet the result is the whole parse's — the same events accepted with the same message ids and record
numbers, the same rejections (record number and field), the same import key, and the same reason when the
document cannot be read at all. Files are built here: strings holding braces, brackets, quotes and escapes,
異体字 names (one outside the BMP), pretty-printed and compact events, top-level fields after the events."""

import functools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.housing_adapter import export_format as housing
from shared.ingest import adapter as ingest_adapter
from shared.ingest.json_stream import JsonArrayReader, JsonSyntaxError
from shared.ingest.records import ExportFormatError
from shared.ingest.streaming import StreamedExport, stream_export
from tests.unit.test_housing_adapter import ASSESSED, RECEIVED, changed
from tests.unit.test_ingest_streaming import same

NOW = datetime(2024, 7, 1, tzinfo=UTC)
NAMES = ["髙橋 {一郎}", '山﨑 "花子"', "𠮷田 [太郎]", "渡邊 \\ 健", "齋藤 }{ ][ 一", "德永 ,\"],[{\" 二"]


def events(count: int) -> list[dict]:  # type: ignore[type-arg]
    out = []
    for i in range(count):
        name = NAMES[i % len(NAMES)]
        tenancy = {"contract_no": f"C{i}", "estate": f"市営{{西町}}住宅 \"第{i % 3}\" [棟]", "room": f"{i}"}
        if i % 2:
            out.append(changed(ASSESSED, {"tenancy": tenancy, "tenant.id": f"T{i}", "tenant.name": name,
                                          "guarantors[0].name": NAMES[(i + 1) % len(NAMES)],
                                          "amount": 52000 + i}))
        else:
            out.append(changed(RECEIVED, {"tenancy": tenancy, "tenant.id": f"T{i}", "receipt_no": f"R{i}",
                                          "amount": 1000 + i}))
    return out


def document(items: list[object], *, head_last: bool = False, bom: bool = False) -> bytes:
    """A housing export written the ways a system might: some events pretty-printed over many lines, some with
    \\u escapes instead of the characters, the top-level fields before or after the array."""
    parts = []
    for i, item in enumerate(items):
        if i % 5 == 1:
            parts.append(json.dumps(item, ensure_ascii=False, indent=2))
        elif i % 5 == 2:
            parts.append(json.dumps(item, ensure_ascii=True))
        else:
            parts.append(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
    array = "[\n" + ",\n".join(parts) + "\n]"
    head = '"format": "housing-events", "version": 1, "exported_at": "2024-07-01T09:00:00+09:00"'
    text = f'{{"events": {array},\n {head}}}\n' if head_last else f'{{{head},\n "events": {array}}}\n'
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def whole_and_streamed(data: bytes, tmp_path: Path, *, block: int = 97, piece_bytes: int = 1500):
    path = tmp_path / "housing_events.json"
    path.write_bytes(data)
    whole = housing.parse_export(data, file_name=path.name, produced_at=lambda: NOW)
    calls: list[int] = []

    def counted(piece: bytes):  # type: ignore[no-untyped-def]
        calls.append(len(piece))
        return housing.parse_export(piece, file_name=path.name, produced_at=lambda: NOW)

    streamed = stream_export(path, counted, piece_bytes=piece_bytes,
                             split=functools.partial(housing.stream_pieces, block=block))
    return whole, streamed, calls


@pytest.mark.parametrize(("head_last", "bom"), [(False, False), (True, True)])
def test_a_housing_file_in_pieces_gives_the_whole_parse(tmp_path: Path, head_last: bool, bom: bool) -> None:
    items: list[object] = list(events(300))
    items[150] = changed(ASSESSED, {"tenant.id": "T150", "tenancy.contract_no": "C150", "amount": "五万円",
                                    "tenant.name": "髙橋 {\"壊れた\"}"})  # malformed, in the middle
    items[151] = 42  # not an object
    items[200] = changed(RECEIVED, {"tenant.id": "T200", "receipt_no": "R200", "channel": "現金書留",
                                    "amount": 5})
    data = document(items, head_last=head_last, bom=bom)
    whole, streamed, calls = whole_and_streamed(data, tmp_path)
    assert len(calls) > 30, "the file was not cut into pieces"
    assert [(r.line, [(p.field, p.reason) for p in r.problems]) for r in streamed.rejected] == [
        (151, [("amount", "is not an amount in yen")]), (152, [("(event)", "must be a JSON object")]),
        (201, [("channel", next(p.reason for p in whole.rejected[2].problems))])]
    assert streamed.accepted_total == 297
    same(whole, streamed)
    names = set()
    for accepted in streamed.iter_accepted():
        payload = accepted.message.payload
        names |= {payload.person.name_kanji} | {r.person.name_kanji for r in getattr(payload, "related_persons", ())}
    assert names - {None} == set(NAMES), "異体字 and structure characters in names are kept as written"


def test_strings_that_look_like_structure_and_numbers_across_blocks(tmp_path: Path) -> None:
    values: list[object] = [
        {"s": 'a"],[{"b', "t": "\\\"}", "u": "\u2028\U00020bb7 \\u00e9"}, 1234567890123, -0.5e-3, "}", "]", [],
        {}, [[{"x": "[{"}]], None, True, False, "𠮷﨑髙", {"k": "\\"}, 7,
    ]
    text = json.dumps({"events": values, "other": {"a": "]"}}, ensure_ascii=False)
    path = tmp_path / "doc.json"
    path.write_bytes(text.encode("utf-8"))
    for block in range(1, 14):
        reader = JsonArrayReader(path, "events", block=block)
        read = list(reader)
        assert [value for _, value in read] == values, block
        assert [json.loads(source) for source, _ in read] == values
        assert reader.head == {"events": [], "other": {"a": "]"}}


def test_memory_is_a_block_and_a_record_not_the_file(tmp_path: Path) -> None:
    data = document(list(events(2000)))
    path = tmp_path / "big.json"
    path.write_bytes(data)
    reader = JsonArrayReader(path, "events", block=4096)
    largest_buffer = largest_record = count = 0
    for source, _ in reader:
        largest_buffer, largest_record = max(largest_buffer, len(reader.buf)), max(largest_record, len(source))
        count += 1
    assert count == 2000
    assert len(data) > 100 * 4096
    assert largest_buffer <= 2 * 4096 + largest_record


@pytest.mark.parametrize("broken", [
    b'{"format": "housing-events", "version": 1, "events": [{"type": "x"} {"type": "y"}]}',
    b'{"format": "housing-events", "version": 1, "events": [{"type": "x"},]}',
    b'{"format": "housing-events", "version": 1, "events": [{"type": "x", "name": "unterminated',
    b'{"format": "housing-events", "version": 1, "events": [{"type": "x"}]} trailing',
    b'{"format": "housing-events", "version": 1,\n "events": [\n{"amount": NaN}]}',
    b'{"format": "housing-events", "version": 1, "events": [{"type": "x"}], }',
    b'{"format": "housing-events" "version": 1, "events": []}',
    b'["not", "an", "object"]',
    b'{"format": "housing-events", "version": 1, "events": [{"name": "\x82\xa0"}]}',
    b'{"events": [{"type": "x"}], "format": "tax-events", "version": 1}',
    b'{"format": "housing-events", "version": 1, "events": [], "extra": 1}',
    b'{"format": "housing-events", "version": 1, "events": {"type": "x"}}',
    b'{"format": "housing-events", "version": 1}',
])
def test_an_unreadable_document_is_refused_for_the_same_reason(tmp_path: Path, broken: bytes) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(broken)
    with pytest.raises(ExportFormatError) as whole:
        housing.parse_export(broken, file_name=path.name, produced_at=lambda: NOW)
    with pytest.raises(ExportFormatError) as streamed:
        stream_export(path, lambda piece: housing.parse_export(piece, file_name=path.name, produced_at=lambda: NOW),
                      piece_bytes=10, split=functools.partial(housing.stream_pieces, block=5))
    assert str(streamed.value) == str(whole.value)


def test_a_syntax_error_names_the_line_and_column_in_the_file(tmp_path: Path) -> None:
    data = document(list(events(40)))
    cut = data.rindex(b"},") + 1
    broken = data[:cut] + b" oops" + data[cut:]
    path = tmp_path / "broken.json"
    path.write_bytes(broken)
    with pytest.raises(JsonSyntaxError) as error:
        list(JsonArrayReader(path, "events", block=64))
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(broken)
    assert (error.value.msg, error.value.lineno, error.value.colno) == (
        expected.value.msg, expected.value.lineno, expected.value.colno)


def test_the_batch_command_streams_a_large_housing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = document(list(events(50)))
    path = tmp_path / "housing_events.json"
    path.write_bytes(data)
    monkeypatch.setattr(ingest_adapter, "STREAM_THRESHOLD_BYTES", len(data) - 1)
    spec = ingest_adapter.adapter_spec("housing")
    parsed = ingest_adapter._parse_file(spec, path, spec.settings())
    assert isinstance(parsed, StreamedExport)
    whole = housing.parse_export(data, file_name=path.name, produced_at=lambda: NOW)
    same(whole, parsed)


def test_a_document_naming_events_twice_is_refused_not_half_read(tmp_path: Path) -> None:
    """A whole parse would silently keep the second array; streamed, the first is already read: refused."""
    path = tmp_path / "twice.json"
    path.write_bytes(b'{"format": "housing-events", "version": 1, "events": [], "events": [{"type": "x"}]}')
    with pytest.raises(ExportFormatError, match='"events" appears twice'):
        stream_export(path, lambda piece: housing.parse_export(piece, file_name=path.name, produced_at=lambda: NOW),
                      split=housing.stream_pieces)
