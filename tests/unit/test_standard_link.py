"""The standard data link's layout file drives both the generator and the parser: what one writes the other reads
back unchanged, and a line the layout cannot carry is refused naming the column, never repeating the value."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from contracts import DepartmentFeedItem
from contracts.standard_link import CURRENT_VERSION, INCOMING_VERSION, layout, parse, render
from services.collection.feeds import standard_file, standard_rows

ROWS = [
    {"event": "11", "link_id": "1", "person": "100001", "principal": 42_000, "paid_on": date(2025, 1, 20),
     "reported_on": date(2025, 1, 20), "receipt": "C-0001-tax"},
    {"event": "21", "link_id": "2", "person": "100001", "claim": "2024-individual_inhabitant_tax-N1-01",
     "fiscal_year": 2024, "installment": 1, "receivable": "individual_inhabitant_tax", "done_on": date(2025, 1, 21),
     "document": "6債管第101号"},
    {"event": "61", "link_id": "3", "person": "100002", "claim": "2023-fixed_asset_tax-N9-02", "fiscal_year": 2023,
     "installment": 2, "receivable": "fixed_asset_tax", "done_on": date(2025, 1, 22),
     "ground": "地方税法15条の7第1項第1号 (無財産)"},
]


def test_what_the_generator_writes_the_parser_reads_back() -> None:
    data = render(ROWS)
    assert data.decode("utf-8").splitlines()[0].startswith("レコード種別,連携番号,宛名番号,通知書番号,年度,期別")
    assert [p.row for p in parse(data)] == ROWS


def test_the_layout_is_dated_and_every_required_column_exists() -> None:
    spec = layout()
    assert spec.version == "2025.04" and spec.effective_from == date(2025, 4, 1)
    assert {e.name for e in spec.events.values()} >= {"収納", "督促発送", "催告発送", "分納誓約", "執行停止", "不納欠損"}


def test_a_line_the_layout_cannot_carry_is_refused_naming_the_column() -> None:
    header = ",".join(layout().header)
    blank = [""] * len(layout().columns)

    def line(**values: str) -> str:
        cells = list(blank)
        for name, value in values.items():
            cells[layout().header.index(name)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        return out.getvalue()

    lines = [
        line(レコード種別="99", 連携番号="1", 宛名番号="1"),  # unknown event
        line(レコード種別="11", 連携番号="2", 宛名番号="1", 本税="5000", 収納番号="R1"),  # 収納日 missing
        line(レコード種別="11", 連携番号="3", 宛名番号="1", 本税="5,000", 収納日="令和7年1月20日", 収納番号="R1"),
        line(レコード種別="62", 連携番号="4", 宛名番号="1", 通知書番号="C1", 処理日="2025-02-30", 根拠="時効"),
        line(レコード種別="21", 連携番号="5", 宛名番号="1", 通知書番号="C1", 処理日="2025-01-21", 文書番号="D1",
             税目コード="dog_tax"),
        line(レコード種別="11", 連携番号="6", 宛名番号="1", 本税="-100", 収納日="2025-01-20", 収納番号="R6"),
        line(レコード種別="11", 連携番号="7", 宛名番号="1", 本税="100", 収納日="2025-01-20", 収納番号="R7"),
    ]
    parsed = list(parse(("\r\n".join([header, *lines]) + "\r\n").encode("utf-8")))
    problems = {p.line: dict(p.problems) for p in parsed}
    assert "unknown event code" in problems[2]["レコード種別"]
    assert problems[3] == {"収納日": "required for 収納 (11)"}
    assert "whole number" in problems[4]["本税"] and "YYYY-MM-DD" in problems[4]["収納日"]
    assert "YYYY-MM-DD" in problems[5]["処理日"]
    assert "税目コード" in problems[6]
    assert "negative" in problems[7]["本税"]
    assert problems[8] == {} and parsed[-1].row is not None  # the good line is read among the bad ones
    assert all("令和" not in reason and "5,000" not in reason for p in parsed for _, reason in p.problems)


def test_a_file_of_another_layout_or_encoding_is_refused_whole() -> None:
    with pytest.raises(ValueError, match="header"):
        list(parse("区分,宛名番号\r\n".encode()))
    with pytest.raises(ValueError, match="UTF-8"):
        list(parse(",".join(layout().header).encode("cp932")))
    with pytest.raises(ValueError, match="row 1: 収納日: required"):
        render([{"event": "11", "link_id": "1", "person": "1", "principal": 1, "receipt": "R"}])


def test_feed_items_become_standard_lines_the_department_can_read() -> None:
    items = [
        DepartmentFeedItem(feed_id=7, department="tax", kind="central_payment", source_person_id="100001",
                           occurred_on=date(2025, 1, 20), amount=30_000, reference="C20250120-01-tax",
                           receivable_type="individual_inhabitant_tax"),
        DepartmentFeedItem(feed_id=8, department="tax", kind="write_off", source_person_id="100001",
                           claim_id="2019-individual_inhabitant_tax-N1-01", receivable_type="individual_inhabitant_tax",
                           fiscal_year=2019, installment=1, occurred_on=date(2025, 1, 31), reference="不納欠損 第3号",
                           ground="地方税法18条1項 (時効)"),
        DepartmentFeedItem(feed_id=9, department="tax", kind="appropriation", source_person_id="100001",
                           claim_id="2024-individual_inhabitant_tax-N1-01", receivable_type="individual_inhabitant_tax",
                           fiscal_year=2024, installment=1, occurred_on=date(2025, 1, 20), amount=12_750,
                           reference="C20250120-01-tax", principal=12_000, demand_fee=0, late_charge=750,
                           disposition_cost=0),
        DepartmentFeedItem(feed_id=10, department="tax", kind="refund", source_person_id="100001",
                           occurred_on=date(2025, 1, 20), amount=1_250, reference="C20250120-01-tax",
                           receivable_type="individual_inhabitant_tax", ground="excess"),
    ]
    file = standard_file(items, "tax")
    rows = [p.row for p in parse(file.content, INCOMING_VERSION)]
    assert rows == standard_rows(items) and file.carried == (7, 8, 9, 10) and file.omitted == ()
    assert [(r["event"], r["link_id"]) for r in rows] == [("11", "7"), ("62", "8"), ("13", "9"), ("12", "10")]
    assert rows[0]["principal"] == rows[0]["total"] == 30_000 and rows[1]["ground"] == "地方税法18条1項 (時効)"
    assert (rows[2]["target_claim"], rows[2]["receipt"]) == ("2024-individual_inhabitant_tax-N1-01", "C20250120-01-tax")
    assert (rows[2]["principal"], rows[2]["late_charge"], rows[2]["total"]) == (12_000, 750, 12_750)

    # the 2025.04 layout has no 充当 or 還付: those items are named as not carried, the rest are in the file
    old = standard_file(items, "tax", CURRENT_VERSION)
    assert [p.row["link_id"] for p in parse(old.content) if p.row] == ["7", "8"]
    assert [(o.feed_id, o.kind) for o in old.omitted] == [(9, "appropriation"), (10, "refund")]
    assert "充当" in old.omitted[0].reason and old.omitted_header().startswith("9 appropriation ")


def test_an_item_the_layout_cannot_carry_is_named_not_dropped() -> None:
    """A 収納 without its 税目コード (a part that settled no claim) cannot be a 2026.04 line: it is omitted, with the
    column the layout misses, and stays pending for the department."""
    item = DepartmentFeedItem(feed_id=11, department="water", kind="central_payment", source_person_id="W000123",
                              occurred_on=date(2025, 1, 20), amount=5_000, reference="C1-water")
    file = standard_file([item], "water")
    assert file.carried == () and [p for p in parse(file.content, INCOMING_VERSION)] == []
    assert file.omitted[0].feed_id == 11 and "税目コード" in file.omitted[0].reason
