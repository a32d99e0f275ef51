"""The case file a lawyer firm may download for its own records (委託事件記録).

The file is CSV that Excel on a Japanese Windows desktop opens correctly (UTF-8 with a byte-order mark, CRLF line
ends). Its first rows are a watermark naming the firm, the person and the time of the download with a watermark id
derived from them, so that a copy found where it should not be can be traced back to the download. Names, addresses
and notes come from outside the city's control, so every text cell is neutralised against spreadsheet formula
injection. Tax and forced-collection claims may never reach an outside firm; the assignment rules already keep
them with staff, and this module refuses them again (defence in depth).

Pure: no I/O, the download time is given by the caller. Error messages never contain personal data.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from contracts.enums import Department, LegalCategory
from contracts.receivables import RECEIVABLES
from contracts.sources import DEPARTMENT_OFFICES
from shared.csv_cells import spreadsheet_safe

JST = timezone(timedelta(hours=9), "JST")  # Japan has no daylight saving time: a fixed offset is exact

# 所管課 as the case file names it: the one table of contracts/sources.py (tax claims are refused before).
DEPARTMENT_NAMES_JA: dict[str, str] = {department.value: office for department, office in DEPARTMENT_OFFICES.items()}

CLAIM_COLUMNS = ("債権番号", "所管課", "債権の種類", "年度", "納期限", "残高")
ACTIVITY_COLUMNS = ("日付", "種別", "記録者", "内容")

REFUSED_CLAIMS_MESSAGE = "a case file may not hold tax or forced-collection claims"



@dataclass(frozen=True, slots=True)
class CaseFileClaim:
    claim_id: str
    department: str  # contracts.enums.Department value
    receivable_type: str  # contracts.receivables.RECEIVABLES code
    legal_category: str  # contracts.enums.LegalCategory value, as the city decided it for this claim
    fiscal_year: int
    due_date: date
    balance: int  # yen


@dataclass(frozen=True, slots=True)
class CaseFileActivity:
    occurred_on: date
    kind: str
    recorded_by: str
    note: str


@dataclass(frozen=True, slots=True)
class CaseFileData:
    case_ref: str
    name_kanji: str | None
    name_kana: str | None
    address: str | None
    postal_code: str | None
    phone: str | None
    total_balance: int  # yen
    claims: tuple[CaseFileClaim, ...]
    activities: tuple[CaseFileActivity, ...] = ()
    address_withheld: bool = False  # DV等支援措置: the city gave no address


#: Printed in the address row of a case whose address the city withholds.
ADDRESS_WITHHELD = "（支援措置対象者のため市は住所を提供しません。郵送は市が行います）"


def _text(value: str | None) -> str:
    """A text cell as written: empty for None, and a leading ``'`` when the spreadsheet would read a formula."""
    return str(spreadsheet_safe(value))


def _amount(value: int) -> str:
    """Yen as a plain integer; numbers are written by this module, so a minus sign is a number, not a formula."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("amounts must be whole yen (int)")
    return str(value)


def _check_claims(claims: tuple[CaseFileClaim, ...]) -> None:
    """Refuse the whole file when any claim is one an outside firm must not see; the messages name no one."""
    for claim in claims:
        spec = RECEIVABLES.get(claim.receivable_type)
        if (claim.department == Department.TAX.value
                or claim.legal_category == LegalCategory.FORCED_PUBLIC.value
                or (spec is not None and spec.department is Department.TAX)):
            raise ValueError(REFUSED_CLAIMS_MESSAGE)
    for index, claim in enumerate(claims, start=1):
        if claim.department not in DEPARTMENT_NAMES_JA:
            raise ValueError(f"claim {index} of the case file has an unknown department")
        if claim.receivable_type not in RECEIVABLES:
            raise ValueError(f"claim {index} of the case file has an unknown receivable type")
        if claim.legal_category not in {category.value for category in LegalCategory}:
            # an unknown category cannot be shown not to be forced collection
            raise ValueError(f"claim {index} of the case file has an unknown legal category")


def watermark_id(case_ref: str, downloaded_by: str, downloaded_at: datetime) -> str:
    """Hex SHA-256 of the download's who, what and when, so the city can match a leaked copy to its download log.

    The three values are encoded as a JSON array, so no choice of values can make two downloads collide by
    shifting text between fields; the time counts as the same instant whatever offset it was given in.
    """
    stamp = _jst(downloaded_at).isoformat()
    material = json.dumps([case_ref, downloaded_by, stamp], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _jst(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("downloaded_at must be timezone-aware")
    return moment.astimezone(JST)


def render_case_file(case: CaseFileData, *, downloaded_by: str, firm_name: str,
                     downloaded_at: datetime) -> tuple[bytes, str]:
    """The case file as CSV bytes and its watermark id.

    Layout: two watermark rows, a blank row, section 事件 (label, value rows), section 債権 (header and one row per
    claim), and section 経過 (header and one row per activity) when the case has activities; sections are separated
    by a blank row. Raises ValueError when a claim is a tax or forced-collection claim (nothing is rendered then).
    """
    _check_claims(case.claims)
    stamp = _jst(downloaded_at).isoformat()
    mark = watermark_id(case.case_ref, downloaded_by, downloaded_at)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["# 取扱注意: 委託事件記録", _text(firm_name), _text(downloaded_by), stamp])
    writer.writerow([f"# 本ファイルは委託契約の目的以外に使用・複製しないこと (watermark id {mark})"])
    writer.writerow([])

    writer.writerow(["事件"])
    writer.writerows([
        ["事件番号", _text(case.case_ref)],
        ["氏名", _text(case.name_kanji)],
        ["氏名（カナ）", _text(case.name_kana)],
        ["住所", ADDRESS_WITHHELD if case.address_withheld else _text(case.address)],
        ["郵便番号", _text(case.postal_code)],
        ["電話番号", _text(case.phone)],
        ["滞納額合計", _amount(case.total_balance)],
    ])
    writer.writerow([])

    writer.writerow(["債権"])
    writer.writerow(CLAIM_COLUMNS)
    for claim in case.claims:
        writer.writerow([
            _text(claim.claim_id),
            DEPARTMENT_NAMES_JA[claim.department],
            RECEIVABLES[claim.receivable_type].name_ja,
            str(claim.fiscal_year),
            claim.due_date.isoformat(),
            _amount(claim.balance),
        ])

    if case.activities:
        writer.writerow([])
        writer.writerow(["経過"])
        writer.writerow(ACTIVITY_COLUMNS)
        for activity in case.activities:
            writer.writerow([
                activity.occurred_on.isoformat(),
                _text(activity.kind),
                _text(activity.recorded_by),
                _text(activity.note),
            ])

    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), mark
