"""Streaming a large export (issue 21, item 10): parsed in pieces, the result is the whole-file parse's — the
same records, lines, rejections (a repeated key found across pieces, a quoted line break on a piece boundary)
and import key — and the publishing pass parses a piece only when its records are wanted."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.insurance_adapter import export_format as insurance
from services.tax_adapter import export_format as tax
from services.water_adapter import export_format as water
from shared.ingest.records import Problem, Rejection
from shared.ingest.streaming import RejectionsOnDisk, physical_lines, stream_export
from tests.unit import test_insurance_adapter as insurance_files
from tests.unit import test_tax_export_format as tax_files
from tests.unit import test_water_adapter as water_files

NOW = datetime(2024, 7, 1, tzinfo=UTC)


def tax_lines(count: int) -> list[str]:
    lines = [tax_files.assessment(通知書番号=f"N-{i}", 宛名番号=f"{200000 + i % 37}") for i in range(count)]
    lines[7] = tax_files.assessment(通知書番号="N-1", 金額="99")  # repeats line 3's claim, far from it
    lines[120] = lines[120].replace("10800", '"12,30"')
    lines[200] = tax_files.assessment(通知書番号="N-200", 住所="X").replace(",X,", ',"豊田市\r\n西町",')
    lines[300] = tax_files.assessment(通知書番号="N-300", 氏名="山﨑\x00太郎")
    return lines


def whole_and_streamed(data: bytes, tmp_path: Path, parse, **options):  # type: ignore[no-untyped-def]
    path = tmp_path / "export.dat"
    path.write_bytes(data)
    whole = parse(data, file_name=path.name, produced_at=lambda: NOW)
    calls = []

    def counted(piece: bytes):  # type: ignore[no-untyped-def]
        calls.append(len(piece))
        return parse(piece, file_name=path.name, produced_at=lambda: NOW)

    streamed = stream_export(path, counted, piece_bytes=2000, **options)
    return whole, streamed, calls


def same(whole, streamed) -> None:  # type: ignore[no-untyped-def]
    accepted = list(streamed.iter_accepted())
    assert streamed.import_key == whole.import_key
    assert streamed.accepted_total == len(whole.accepted) == len(accepted)
    assert [(a.line, a.key, a.message.message_id, a.message.payload) for a in accepted] == [
        (a.line, a.key, a.message.message_id, a.message.payload) for a in whole.accepted]
    assert {a.message.correlation_id for a in accepted} == {whole.import_key}
    assert [(r.line, r.problems) for r in streamed.rejected] == [(r.line, r.problems) for r in whole.rejected]


@pytest.mark.parametrize("ending", [b"\r\n", b"\n"])
def test_a_tax_file_in_pieces_gives_the_whole_file_result(tmp_path: Path, ending: bytes) -> None:
    data = tax_files.export(*tax_lines(400)).replace(b"\r\n", ending)
    whole, streamed, calls = whole_and_streamed(data, tmp_path, tax.parse_export, header=True, quoted=True)
    assert len(calls) > 20, "the file was not cut into pieces"
    assert len(whole.rejected) == 4
    same(whole, streamed)


def test_water_and_insurance_files_in_pieces(tmp_path: Path) -> None:
    lines = [water_files.bill(お客様番号=f"{300000 + i}") for i in range(150)] + [water_files.payment()] * 2
    whole, streamed, _ = whole_and_streamed(water_files.export(*lines), tmp_path, water.parse_export,
                                            header=False, quoted=True)
    assert len(whole.rejected) == 1
    same(whole, streamed)
    records = [insurance_files.changed("11", 通知書番号=f"{i:012d}") for i in range(100)]
    whole, streamed, _ = whole_and_streamed(insurance_files.export(*records), tmp_path, insurance.parse_export,
                                            header=False, quoted=False)
    same(whole, streamed)


def test_the_publishing_pass_parses_a_piece_only_when_its_records_are_wanted(tmp_path: Path) -> None:
    _, streamed, calls = whole_and_streamed(tax_files.export(*tax_lines(400)), tmp_path, tax.parse_export,
                                            header=True, quoted=True)
    pieces = len(calls)
    records = streamed.iter_accepted()
    next(records)
    assert len(calls) == pieces + 1, "the first record came only after more than one piece was parsed"


def test_lines_are_read_a_block_at_a_time_and_crlf_across_blocks_stays_one_ending(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    path.write_bytes(b"ab\r\ncd\r\n\r\nef")
    assert list(physical_lines(path, block=3)) == [b"ab\r\n", b"cd\r\n", b"\r\n", b"ef"]


def test_a_file_of_rejects_keeps_them_on_disk_in_order_with_their_raw_text(tmp_path: Path) -> None:
    lines = [tax_files.assessment(通知書番号=f"R-{i}", 金額="abc") for i in range(2_500)]  # every line refused
    lines[1_200] = tax_files.assessment(通知書番号="ok-1")
    whole, streamed, _ = whole_and_streamed(tax_files.export(*lines), tmp_path, tax.parse_export,
                                            header=True, quoted=True)
    assert isinstance(streamed.rejected, RejectionsOnDisk) and len(streamed.rejected) == len(whole.rejected) == 2_499
    assert [(r.line, r.raw, r.problems) for r in streamed.rejected] == [
        (r.line, r.raw, r.problems) for r in whole.rejected]
    assert streamed.rejected[-1] == whole.rejected[-1] and streamed.rejected[1_500] == whole.rejected[1_500]
    rest = streamed.rejected[2_000:]  # what a resumed import still has to quarantine
    assert len(rest) == 499 and list(rest) == whole.rejected[2_000:] and list(rest[490:]) == whole.rejected[2_490:]
    with pytest.raises(IndexError):
        streamed.rejected[2_499]


def test_rejections_on_disk_read_back_in_pages_as_written() -> None:
    spool = RejectionsOnDisk()
    try:
        written = [Rejection(n + 2, f"raw,{n},山﨑", (Problem("金額", f"not an amount {n}"),))
                   for n in range(RejectionsOnDisk.PAGE * 2 + 5)]
        spool.extend(written[:10])
        spool.extend(written[10:])
        assert len(spool) == len(written) and list(spool) == written and bool(spool)
        assert list(spool[RejectionsOnDisk.PAGE - 1:RejectionsOnDisk.PAGE + 2]) == written[
            RejectionsOnDisk.PAGE - 1:RejectionsOnDisk.PAGE + 2]
    finally:
        spool.close()
