"""The synthetic city: deterministic, readable by every adapter, and true to its own ground truth."""

import importlib
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from contracts import (
    ClaimAdjusted,
    ClaimAssessed,
    ClaimCancelled,
    ClaimNoticeSent,
    Department,
    NoticeKind,
    PaymentReceived,
    PaymentReversed,
)
from contracts.sources import SOURCES
from tools.synthetic_city.__main__ import write_city
from tools.synthetic_city.bills import simulate_year
from tools.synthetic_city.noise import LEVELS
from tools.synthetic_city.population import build_city
from tools.synthetic_city.views import department_views

# every source system's export file (contracts/sources.py), read by the format module of that system
PARSERS = {row.export_file: importlib.import_module(row.format_module) for row in SOURCES}
#: The city's departments all stay on their own systems: the standard link's file is its header only.
EMPTY = {row.export_file for row in SOURCES if row.department is None}
AS_OF = date(2025, 1, 31)


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    write_city(out, 300, 7, "default", 2024, AS_OF, log=lambda _: None)
    return out


def test_same_seed_same_city_different_seed_different_city(tmp_path: Path, city_dir: Path) -> None:
    write_city(tmp_path / "again", 300, 7, "default", 2024, AS_OF, log=lambda _: None)
    write_city(tmp_path / "other", 300, 8, "default", 2024, AS_OF, log=lambda _: None)
    for name in PARSERS:
        assert (tmp_path / "again" / name).read_bytes() == (city_dir / name).read_bytes()
    assert (tmp_path / "other" / "tax_export.csv").read_bytes() != (city_dir / "tax_export.csv").read_bytes()


def test_the_city_writes_one_export_per_source_system(city_dir: Path) -> None:
    summary = json.loads((city_dir / "summary.json").read_text(encoding="utf-8"))
    assert sorted(summary["files"]) == sorted(PARSERS)
    assert sorted(p.name for p in city_dir.iterdir() if p.is_file() and p.name != "summary.json") == sorted(PARSERS)


@pytest.mark.parametrize("file_name", sorted(PARSERS))
def test_every_department_file_is_read_by_its_adapter_without_rejections(city_dir: Path, file_name: str) -> None:
    summary = json.loads((city_dir / "summary.json").read_text(encoding="utf-8"))
    parsed = PARSERS[file_name].parse_export((city_dir / file_name).read_bytes(), file_name=file_name,
                                             produced_at=lambda: datetime.now(UTC))
    assert parsed.rejected == []
    assert len(parsed.accepted) == summary["files"][file_name]["records"]
    assert (len(parsed.accepted) == 0) == (file_name in EMPTY)
    assert len({a.message.message_id for a in parsed.accepted}) == len(parsed.accepted)


def test_ground_truth_balances_follow_from_the_departments_records(city_dir: Path) -> None:
    """Recompute every claim's balance from what the departments exported and compare with the ground truth."""
    truth = {(c["department"], c["claim_id"]): c for c in
             map(json.loads, (city_dir / "ground_truth" / "claims.jsonl").read_text("utf-8").splitlines())}
    balance: Counter[tuple[str, str]] = Counter()
    cancelled: set[tuple[str, str]] = set()
    paid: dict[tuple[str, str], tuple[tuple[str, str], int]] = {}
    for file_name, module in PARSERS.items():
        if file_name in EMPTY:
            continue
        parsed = module.parse_export((city_dir / file_name).read_bytes(), file_name=file_name,
                                     produced_at=lambda: datetime.now(UTC))
        department = parsed.accepted[0].message.department.value
        for accepted in parsed.accepted:
            p = accepted.message.payload
            if isinstance(p, ClaimAssessed) and p.assessed_on <= AS_OF:
                balance[(department, p.claim_id)] += p.amount
            elif isinstance(p, PaymentReceived) and p.claim_id:
                balance[(department, p.claim_id)] -= p.amount
                paid[(department, p.payment_id)] = ((department, p.claim_id), p.amount)
            elif isinstance(p, PaymentReversed):
                key, amount = paid[(department, p.payment_id)]
                balance[key] += amount
            elif isinstance(p, ClaimAdjusted):
                balance[(department, p.claim_id)] += p.amount_delta
            elif isinstance(p, ClaimCancelled):
                cancelled.add((department, p.claim_id))
    for key, claim in truth.items():
        assert claim["balance"] == (0 if key in cancelled else balance[key]), key


def test_departments_see_the_same_people_differently() -> None:
    city = build_city(400, seed=3)
    exports = department_views(city, simulate_year(city), LEVELS["high"])
    names = [r.person.name_kanji for e in exports.values() for r in e.records if isinstance(r, ClaimAssessed)]
    assert any(ch in name for name in names for ch in "髙﨑邊邉齋齊濱")
    kana = [r.person.name_kana for e in exports.values() for r in e.records if isinstance(r, ClaimAssessed)]
    assert None in kana
    assert any(k and any("ｦ" <= ch <= "ﾝ" for ch in k) for k in kana)


def test_without_noise_a_resident_is_recorded_alike_everywhere() -> None:
    city = build_city(200, seed=3)
    exports = department_views(city, simulate_year(city), LEVELS["none"])
    seen: dict[str, set[tuple[object, ...]]] = {}
    for department in (Department.TAX, Department.INSURANCE, Department.CHILDCARE):
        for record in exports[department].records:
            p = record.person  # type: ignore[attr-defined]
            seen.setdefault(p.source_person_id, set()).add((p.name_kanji, p.name_kana, p.birth_date))
    assert seen and all(len(variants) == 1 for variants in seen.values())


def test_arrears_overlap_like_toyota(city_dir: Path) -> None:
    summary = json.loads((city_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["delinquent_debtors"] > 0
    assert 0.4 <= summary["non_tax_delinquents_also_owing_tax"] <= 0.8


def test_cities_in_different_id_spaces_share_no_key_and_still_parse(tmp_path: Path) -> None:
    claims = {}
    for space in (0, 8, 9):
        out = tmp_path / str(space)
        write_city(out, 40, 7, "default", 2024, AS_OF, log=lambda _: None, id_space=space)
        for file_name, module in PARSERS.items():
            parsed = module.parse_export((out / file_name).read_bytes(), file_name=file_name,
                                         produced_at=lambda: datetime.now(UTC))
            assert parsed.rejected == [], (space, file_name, parsed.rejected[:1])
        claims[space] = {line for line in (out / "ground_truth" / "claims.jsonl").read_text("utf-8").splitlines()}
        people = (out / "ground_truth" / "person_records.jsonl").read_text("utf-8")
        claims[space] |= {json.loads(line)["source_person_id"] for line in people.splitlines()}
    keys = [{json.loads(c)["claim_id"] if c.startswith("{") else c for c in claims[s]} for s in (0, 8, 9)]
    assert all(keys) and not keys[0] & keys[1] and not keys[0] & keys[2] and not keys[1] & keys[2]


def test_departments_send_most_demand_notices_themselves(city_dir: Path) -> None:
    """Issue 19 §5: the departments' own 督促 reach the system, so the centre's task list holds only the rest."""
    truth = [json.loads(line) for line in (city_dir / "ground_truth" / "claims.jsonl").read_text("utf-8").splitlines()]
    sent: dict[tuple[str, str], list[ClaimNoticeSent]] = {}
    for file_name, module in PARSERS.items():
        parsed = module.parse_export((city_dir / file_name).read_bytes(), file_name=file_name,
                                     produced_at=lambda: datetime.now(UTC))
        for accepted in parsed.accepted:
            if isinstance(notice := accepted.message.payload, ClaimNoticeSent):
                sent.setdefault((accepted.message.department.value, notice.claim_id), []).append(notice)
    # long overdue and still unpaid: the 督促 window (20 days) has closed for all of them
    overdue = [c for c in truth if c["balance"] > 0 and date.fromisoformat(c["due_date"]) + timedelta(days=20) < AS_OF]
    demanded = [c for c in overdue if c["department_demand_notice_on"]]
    assert overdue and 0.75 <= len(demanded) / len(overdue) < 1  # most, not all: the rest is the centre's task
    for claim in truth:
        notices = sent.get((claim["department"], claim["claim_id"]), [])
        demands = [n for n in notices if n.kind is NoticeKind.DEMAND_NOTICE]
        assert len(demands) <= 1
        on = claim["department_demand_notice_on"]
        assert [d.sent_on.isoformat() for d in demands] == ([on] if on else [])
        due = date.fromisoformat(claim["due_date"])
        for notice in notices:
            assert due < notice.sent_on <= AS_OF
        if demands:
            assert 5 <= (demands[0].sent_on - due).days <= 20
        assert all(n.sent_on > demands[0].sent_on for n in notices if n.kind is NoticeKind.REMINDER)
    assert any(n.kind is NoticeKind.REMINDER for notices in sent.values() for n in notices)
