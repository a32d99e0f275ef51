"""``python -m tools.synthetic_city --households 2000 --out .run/city``: generate a city and write each
department's native export plus the ground truth.

Output folder:
  tax_export.csv, insurance_export.txt, childcare_export.csv, housing_events.json, water_export.csv
                                     (each source system's export_file in contracts/sources.py)
  standard_link.csv                  the standard link's header only: this city keeps every department on its
                                     legacy system (tests/e2e/test_standard_link.py sends a standard file)
  ground_truth/claims.jsonl          every claim: department, claim id, debtor entity, amount, balance as of
  ground_truth/person_records.jsonl  every departmental person record and the real person (or business) it is
  summary.json                       counts, totals, and the cross-department overlap of arrears
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from contracts import Department
from contracts.sources import SOURCES
from tools.synthetic_city.bills import simulate_year
from tools.synthetic_city.noise import LEVELS, NoiseLevel
from tools.synthetic_city.population import build_city
from tools.synthetic_city.views import DepartmentExport, department_views, entity_id


def write_city(out: Path, households: int, seed: int, noise: str, fiscal_year: int, as_of: date,
               log=print, id_space: int = 0) -> dict[str, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    city = build_city(households, seed=seed, id_space=id_space)
    log(f"city: {len(city.residents)} residents in {households} households, {len(city.businesses)} businesses")
    year = simulate_year(city, fiscal_year, as_of)
    log(f"year {fiscal_year}: {len(year.bills)} bills, {sum(len(b.payments) for b in year.bills)} payments")
    exports = department_views(city, year, NoiseLevel.named(noise))
    out.mkdir(parents=True, exist_ok=True)
    (out / "ground_truth").mkdir(exist_ok=True)
    files: dict[str, dict[str, int]] = {}
    for export in exports.values():
        data = export.render(export.records)
        (out / export.file_name).write_bytes(data)
        files[export.file_name] = {"records": len(export.records), "bytes": len(data)}
        log(f"  {export.file_name}: {len(export.records)} records")
    for row in SOURCES:  # a source of several departments (the standard link) carries none of this city's
        if row.department is None:
            data = importlib.import_module(row.format_module).render_export([])
            (out / row.export_file).write_bytes(data)
            files[row.export_file] = {"records": 0, "bytes": len(data)}
    summary = _ground_truth(out, exports, as_of)
    summary.update(households=households, residents=len(city.residents), businesses=len(city.businesses),
                   seed=seed, id_space=id_space, noise=noise, fiscal_year=fiscal_year, as_of=as_of.isoformat(), files=files,
                   seconds=round(time.perf_counter() - started, 1))
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary


def _ground_truth(out: Path, exports: dict[Department, DepartmentExport], as_of: date) -> dict[str, object]:
    delinquent: dict[str, set[Department]] = defaultdict(set)
    claims = 0
    outstanding = defaultdict(int)
    with (out / "ground_truth" / "claims.jsonl").open("w", encoding="utf-8") as claims_file:
        for export in exports.values():
            for claim_id, bill in export.claims.items():
                balance = bill.balance(as_of)
                who = entity_id(bill.debtor)
                claims += 1
                outstanding[export.department.value] += balance
                if balance > 0 and bill.due_date < as_of:
                    delinquent[who].add(export.department)
                claims_file.write(json.dumps({
                    "department": export.department.value, "claim_id": claim_id, "entity_id": who,
                    "receivable_type": bill.receivable, "fiscal_year": bill.fiscal_year,
                    "due_date": bill.due_date.isoformat(), "amount": bill.amount, "balance": balance,
                    # What the balance is made of, for checks that apply the law's payment order themselves.
                    "cancelled": bill.cancelled is not None and bill.cancelled.on <= as_of,
                    "principal": bill.amount + sum(a.delta for a in bill.adjustments if a.on <= as_of),
                    "payments": [[p.paid_on.isoformat(), p.amount] for p in bill.payments
                                 if p.paid_on <= as_of and (p.reversed_on is None or p.reversed_on > as_of)],
                    "department_demand_notice_on": (export.demand_notices[claim_id].isoformat()
                                                    if claim_id in export.demand_notices else None),
                }, ensure_ascii=False) + "\n")
    with (out / "ground_truth" / "person_records.jsonl").open("w", encoding="utf-8") as people:
        for export in exports.values():
            for source_id, who in export.person_records.items():
                people.write(json.dumps({"department": export.department.value, "source_person_id": source_id,
                                         "entity_id": who}) + "\n")
    non_tax = [who for who, depts in delinquent.items() if depts - {Department.TAX}]
    also_tax = [who for who in non_tax if Department.TAX in delinquent[who]]
    return {
        "claims": claims,
        "outstanding_by_department": dict(outstanding),
        "delinquent_debtors": len(delinquent),
        "non_tax_delinquents_also_owing_tax": round(len(also_tax) / len(non_tax), 3) if non_tax else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.synthetic_city", description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2000, help="size of the city (≈30 claims each)")
    parser.add_argument("--seed", type=int, default=20240401)
    parser.add_argument("--noise", choices=sorted(LEVELS), default="default")
    parser.add_argument("--fiscal-year", type=int, default=2024)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 1, 31),
                        help="the day the exports are taken (payments after it have not happened)")
    parser.add_argument("--id-space", type=int, default=0, choices=range(9), metavar="0-8",
                        help="shift every id, so several cities can be imported into one system")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.households < 1:
        parser.error("--households must be at least 1")
    summary = write_city(args.out, args.households, args.seed, args.noise, args.fiscal_year, args.as_of,
                         log=lambda line: print(line, file=sys.stderr), id_space=args.id_space)
    print(json.dumps({k: summary[k] for k in ("claims", "residents", "businesses", "delinquent_debtors",
                                              "non_tax_delinquents_also_owing_tax", "seconds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
