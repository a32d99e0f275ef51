"""Notice rendering benchmark: ``python -m tools.benchmarks.notices --count 10000``.

Renders one batch of unified reminders (一元化催告) with payment slips through ``shared.documents.render_batch``
(the combined print file and one PDF per document), from seeded synthetic debtors: Japanese names with variant
kanji (髙橋, 山﨑, 齋藤, 渡邊 …), kana sometimes half-width as host systems export it, long addresses, one to six
claims across departments taken from the receivables catalogue. Prints documents/s, pages/s and the sizes;
figures are printed, never asserted. ``--out DIR`` also writes the combined PDF and a PNG of its first page
(the example image of docs/documents.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pypdfium2 as pdfium
from tqdm import tqdm

from contracts.receivables import RECEIVABLES
from shared.documents import (
    Addressee,
    ClaimLine,
    Issuer,
    PaymentSlip,
    Reminder,
    document_number,
    installment_label,
    render_batch,
)

ISSUE_DATE = date(2025, 1, 31)
ISSUER = Issuer(city_name="豊田市", city_code="232114", authority="豊田市長　山田 太郎", office="債権管理課（納付相談窓口）",
                phone="0565-34-6600", hours="平日8時30分～17時15分（第2・第4土曜日は午前のみ）",
                office_address="愛知県豊田市西町3丁目60番地 東庁舎2階",
                payment_account="豊田信用金庫 本店 普通 1234567 豊田市会計管理者")
#: (surname, kana): variants as 住民基本台帳 records them, so the fonts' coverage of 異体字 is exercised.
SURNAMES = (("髙橋", "タカハシ"), ("山﨑", "ヤマザキ"), ("齋藤", "サイトウ"), ("渡邊", "ワタナベ"), ("德永", "トクナガ"),
            ("濵田", "ハマダ"), ("邉見", "ヘンミ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("田中", "タナカ"),
            ("伊藤", "イトウ"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"), ("山本", "ヤマモト"),
            ("長谷川", "ハセガワ"), ("近藤", "コンドウ"), ("杉浦", "スギウラ"), ("神谷", "カミヤ"), ("鈴村", "スズムラ"))
GIVEN = (("一郎", "イチロウ"), ("花子", "ハナコ"), ("健太", "ケンタ"), ("美咲", "ミサキ"), ("隆", "タカシ"),
         ("由美子", "ユミコ"), ("翔太", "ショウタ"), ("恵", "メグミ"), ("誠", "マコト"), ("陽菜", "ヒナ"))
TOWNS = ("西町", "小坂本町", "若宮町", "喜多町", "挙母町", "元城町", "神明町", "平和町", "朝日町", "高橋町", "栄町",
         "土橋町", "大林町", "上郷町", "梅坪町", "浄水町", "保見町", "竹町", "広川町", "美里")
BUILDINGS = ("", "", "", "豊田市営住宅{town}団地第{n}号棟{room}号室", "コーポ{town}{room}号室",
             "グランドメゾン{town}駅前タワーレジデンス{room}号室")
INSTALLMENTS = {"individual_inhabitant_tax": 4, "fixed_asset_tax": 4, "light_vehicle_tax": 1,
                "national_health_insurance_tax": 8, "long_term_care_premium": 8, "late_elderly_medical_premium": 8,
                "nursery_fee": 12, "school_lunch_fee": 12, "municipal_housing_rent": 12, "water_supply_charge": 6,
                "sewerage_charge": 6}
#: claims per debtor: most owe one or two, a few owe many (the tail makes two-page reminders)
CLAIM_COUNTS, CLAIM_WEIGHTS = (1, 2, 3, 4, 5, 6), (35, 25, 15, 10, 8, 7)
HALF_WIDTH = str.maketrans("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン",
                           "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ")


def _kana(text: str, rng: random.Random) -> str:
    """A fifth of the kana arrives half-width (as legacy hosts export it; dakuten cases kept full-width here)."""
    return text.translate(HALF_WIDTH) if rng.random() < 0.2 and all(c in HALF_WIDTH or c == " " for c in text) \
        else text


def _claim(rng: random.Random) -> ClaimLine:
    code = rng.choice(sorted(RECEIVABLES))
    spec = RECEIVABLES[code]
    fiscal_year = rng.choice((2021, 2022, 2023, 2024))
    installment = rng.randint(1, INSTALLMENTS[code])
    due = date(fiscal_year, 4, 30) + timedelta(days=30 * (installment - 1))
    principal = rng.randint(20, 1200) * 100
    late = rng.randint(0, principal // 20) // 100 * 100 if fiscal_year < 2024 else 0
    return ClaimLine(department=spec.department, receivable=spec.name_ja, receivable_type=code,
                     fiscal_year=fiscal_year, installment=installment_label(installment), due_date=due,
                     principal=principal, late_charge=late, legal_category=spec.default_category)


def synthetic_reminders(count: int, seed: int) -> list[Reminder]:
    """``count`` unified reminders with slips, the same for the same seed."""
    rng = random.Random(seed)
    reminders = []
    for index in range(1, count + 1):
        (surname, surname_kana), (given, given_kana) = rng.choice(SURNAMES), rng.choice(GIVEN)
        town = rng.choice(TOWNS)
        building = rng.choice(BUILDINGS).format(town=town.removesuffix("町"), n=rng.randint(1, 12),
                                                room=rng.randint(101, 1208))
        address = f"愛知県豊田市{town}{rng.randint(1, 9)}丁目{rng.randint(1, 60)}番地{rng.randint(1, 30)} {building}"
        addressee = Addressee(postal_code=f"471-{rng.randint(0, 9999):04d}", address=address.strip(),
                              name=f"{surname} {given}", name_kana=_kana(f"{surname_kana} {given_kana}", rng))
        claims = tuple(sorted((_claim(rng) for _ in range(rng.choices(CLAIM_COUNTS, CLAIM_WEIGHTS)[0])),
                              key=lambda c: (list(RECEIVABLES).index(c.receivable_type), c.fiscal_year)))
        total = sum(claim.total for claim in claims)
        slip = PaymentSlip(claim_reference=f"R6-{index:07d}-01", amount=total, due_date=date(2025, 2, 28),
                           company_code="912345", company_digits=f"{index:021d}")
        reminders.append(Reminder(document_number=document_number("債管", 2024, index), issued_on=ISSUE_DATE,
                                  issuer=ISSUER, addressee=addressee, severity=rng.choice(("first", "second", "final")),
                                  unified=True, claims=claims, reply_by=date(2025, 2, 14), slip=slip))
    return reminders


def run(count: int, seed: int, out: Path | None) -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; {count:,} unified reminders, seed {seed}")
    started = time.perf_counter()
    documents = synthetic_reminders(count, seed)
    print(f"generated and validated {count:,} documents in {time.perf_counter() - started:.1f} s")
    marks: dict[str, float] = {}
    with tqdm(total=2 * count, unit="layout", file=sys.stderr, smoothing=0.05) as bar:
        def progress(done: int, total: int) -> None:
            bar.update(1)
            if done == count:
                marks["combined"] = time.perf_counter()

        started = time.perf_counter()
        result = render_batch(documents, progress=progress)
        seconds = time.perf_counter() - started
    combined_s = marks["combined"] - started
    pages = result.total_pages
    separate_bytes = sum(len(pdf) for pdf in result.documents.values())
    print()
    print("| documents | pages | seconds | documents/s | pages/s | combined PDF | per-document PDFs (mean) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {count:,} | {pages:,} | {seconds:.1f} | {count / seconds:,.1f} | {pages / seconds:,.1f} | "
          f"{len(result.combined) / 1e6:,.1f} MB | {separate_bytes / 1e6:,.1f} MB ({separate_bytes / count / 1e3:,.0f} kB) |")
    print(f"\ncombined file alone: {combined_s:.1f} s ({pages / combined_s:,.1f} pages/s); the per-document files: "
          f"{seconds - combined_s:.1f} s; peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "unified-reminders.pdf").write_bytes(result.combined)
        first = pdfium.PdfDocument(result.combined)[0].render(scale=150 / 72, grayscale=True).to_pil()
        first.save(out / "unified-reminder-example.png", optimize=True)
        print(f"wrote {out / 'unified-reminders.pdf'} and {out / 'unified-reminder-example.png'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.notices", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="unified reminders in the batch")
    parser.add_argument("--seed", type=int, default=20250131)
    parser.add_argument("--out", type=Path, default=None, help="write the combined PDF and a PNG of its first page")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    run(args.count, args.seed, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
