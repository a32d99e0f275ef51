"""Feeds back to the departments: what the central division did on a department's claims reaches the department's
own system, so it stops its own reminders and does not count money twice.

What goes back (``FEED_ACTIONS`` and central-window payments): money taken at the central window (each
department's part of a lump sum), which of the department's claims it settled (``appropriation``: 充当 with its
本税, 督促手数料, 延滞金 and 滞納処分費 parts, as decided when the money was taken: appropriations.py) and what of it
is due back (``refund``: 還付), the 督促 and 催告 letters the centre sent, the 分納誓約 it took (a central plan's
with the claim's share), 執行停止 and 不納欠損 it decided. A department's own records (recorded_by
``department:…``) never go back to it.

How (stores/feeds.py gathers, this module decides): each item is gathered once from collection's records (its
source is unique), published once on the department's topic (``feeds.<department>.v1``, through the outbox, in
the transaction that gathered it), and listed for the department until it acknowledges it (a receipt naming
the feed ids). The same items come as a file, in the standard layout (contracts/standard_link.py, 2026.04 by
default) or in the department's own export format (``own_file``: the department's format module's render_export,
reached through shared/ingest/department_files.py), as the department chose; an item the format cannot carry is
left out and named (``Omitted``), never dropped, and stays pending. Items older than the acknowledgement period
without a receipt are listed for staff and counted in a metric that alerts. Pure functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from pydantic import ValidationError

from contracts import (
    ClaimNoticeSent,
    DepartmentFeedItem,
    InstallmentAgreed,
    NoticeKind,
    Payload,
    PaymentChannel,
    PaymentReceived,
    PersonReference,
)
from contracts.standard_link import INCOMING_VERSION, layout, render
from shared.ingest.records import monthly_schedule

#: The 経過記録 kinds that go back to the department owning the claim, and their feed kind.
FEED_ACTIONS: Mapping[str, str] = {
    "demand_notice": "demand_notice",
    "reminder_letter": "reminder",
    "installment_agreement": "installment_agreement",
    "suspension_of_execution": "suspension_of_execution",
    "write_off": "write_off",
}

#: Feed kind → event of the standard layout.
STANDARD_EVENTS: Mapping[str, str] = {
    "central_payment": "収納",
    "appropriation": "充当",
    "refund": "還付",
    "demand_notice": "督促発送",
    "reminder": "催告発送",
    "installment_agreement": "分納誓約",
    "suspension_of_execution": "執行停止",
    "write_off": "不納欠損",
}

#: The layout version of the standard file: 2026.04 has 充当 (13), 還付 (12), 合計 and 相当年度.
STANDARD_VERSION = INCOMING_VERSION
#: 収納方法 of money taken at the central window: 03 窓口.
_COUNTER = "03"

_FIELDS = ("feed_id", "department", "kind", "source_person_id", "claim_id", "receivable_type", "fiscal_year",
           "installment", "occurred_on", "amount", "reference", "ground", "principal", "demand_fee", "late_charge",
           "disposition_cost", "tax_year", "instalments", "first_due_on")

FeedFormat = Literal["standard", "own"]


def feed_message(row: Mapping[str, Any]) -> DepartmentFeedItem:
    """The message of one gathered item (a ``department_feed`` row)."""
    return DepartmentFeedItem(**{name: row[name] for name in _FIELDS if name in row})


@dataclass(frozen=True, slots=True)
class Omitted:
    """An item the chosen format cannot carry: listed with the file (never silently dropped) and left pending."""

    feed_id: int
    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class FeedFile:
    content: bytes
    media_type: str
    file_name: str
    carried: tuple[int, ...]  # the feed ids in the file
    omitted: tuple[Omitted, ...]

    def omitted_header(self, limit: int = 50) -> str:
        """For a response header (ASCII, bounded): ``<feed id> <kind> <reason, percent-encoded UTF-8>`` of the first
        ``limit`` items not in the file, comma-separated, then ``+<n> more`` (all are in the items list)."""
        shown = [f"{o.feed_id} {o.kind} {quote(o.reason, safe='')}" for o in self.omitted[:limit]]
        if len(self.omitted) > limit:
            shown.append(f"+{len(self.omitted) - limit} more")
        return ", ".join(shown)


def standard_row(item: DepartmentFeedItem, version: str = STANDARD_VERSION) -> dict[str, Any]:
    """One item as a row of the standard layout: 連携番号 is the feed id the receipt names. Columns the version
    does not have are left out (2025.04 has neither 合計 nor 充当先通知書番号); ValueError when the version has no
    event for the item's kind."""
    spec = layout(version)
    event = STANDARD_EVENTS[item.kind]
    if not any(e.name == event for e in spec.events.values()):
        raise ValueError(f"the standard layout {spec.version} has no event {event} ({item.kind})")
    row: dict[str, Any] = {"event": spec.event_code(event), "link_id": str(item.feed_id),
                           "person": item.source_person_id, "claim": item.claim_id,
                           "fiscal_year": item.fiscal_year, "tax_year": item.tax_year,
                           "installment": item.installment, "receivable": item.receivable_type}
    if item.kind == "central_payment":
        row.update(principal=item.amount, total=item.amount, paid_on=item.occurred_on,
                   reported_on=item.occurred_on, receipt=item.reference, channel=_COUNTER)
    elif item.kind == "appropriation":
        parts = (item.principal or 0, item.demand_fee or 0, item.late_charge or 0)
        row.update(principal=parts[0], demand_fee=parts[1], late_charge=parts[2], total=sum(parts),
                   done_on=item.occurred_on, receipt=item.reference, target_claim=item.claim_id)
        if item.disposition_cost:  # the layout has no column for it: said in 根拠, outside 合計
            row.update(ground=f"滞納処分費 {item.disposition_cost}円 (合計の外)")
    elif item.kind == "refund":
        row.update(principal=item.amount, total=item.amount, done_on=item.occurred_on, receipt=item.reference)
    elif item.kind == "installment_agreement" and item.instalments and item.first_due_on:
        parts = (item.principal or 0, item.demand_fee or 0, item.late_charge or 0)
        row.update(principal=parts[0] or None, demand_fee=parts[1] or None, late_charge=parts[2] or None,
                   instalments=item.instalments, due_on=item.first_due_on, done_on=item.occurred_on,
                   document=item.reference)
    elif item.kind == "installment_agreement" and "分納回数" in spec.events[row["event"]].required:
        raise ValueError("分納誓約 in the layout " + spec.version + " needs 本税, 分納回数 and 納期限 of the claim, which "
                         "a plan over several claims does not split: the department's share of the plan (its "
                         "schedule) is at GET /feeds/{department}/installment-plans; ?version=2025-04 carries the "
                         "line without them")
    else:
        row.update(done_on=item.occurred_on, document=item.reference, ground=item.ground or None)
    fields = {c.field for c in spec.columns}
    return {k: v for k, v in row.items() if v is not None and v != "" and k in fields}


def standard_rows(items: Iterable[DepartmentFeedItem], version: str = STANDARD_VERSION) -> list[dict[str, Any]]:
    return [standard_row(item, version) for item in items]


def _carry(items: Sequence[DepartmentFeedItem], convert: Callable[[DepartmentFeedItem], Any],
           render_all: Callable[[list[Any]], bytes]) -> tuple[bytes, tuple[int, ...], tuple[Omitted, ...]]:
    """Render each item alone first: one the format refuses is omitted with the format's reason, the rest go
    into the file together."""
    kept: list[Any] = []
    carried: list[int] = []
    omitted: list[Omitted] = []
    for item in items:
        try:
            record = convert(item)
            render_all([record])
        except ValidationError as refused:  # the field and why, never the value
            omitted.append(Omitted(item.feed_id, item.kind, "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in refused.errors(include_input=False))))
            continue
        except (TypeError, ValueError) as refused:
            omitted.append(Omitted(item.feed_id, item.kind, str(refused) or type(refused).__name__))
            continue
        except KeyError as missing:  # a value the format has no code for
            omitted.append(Omitted(item.feed_id, item.kind, f"the format has no code for {missing}"))
            continue
        kept.append(record)
        carried.append(item.feed_id)
    return render_all(kept), tuple(carried), tuple(omitted)


def standard_file(items: Sequence[DepartmentFeedItem], department: str = "", version: str = STANDARD_VERSION
                  ) -> FeedFile:
    """The items as a file of the standard layout; an item its version cannot carry is omitted and named."""
    content, carried, omitted = _carry(items, lambda item: standard_row(item, version),
                                       lambda rows: render(rows, version))
    return FeedFile(content, "text/csv; charset=utf-8", f"feed-{department}.csv", carried, omitted)


#: The kinds the departments' own formats have no record for, and why (the rest are written as their records).
OWN_FORMAT_GAPS: Mapping[str, str] = {
    "central_payment": "written as its appropriation lines (収納 naming each claim settled); the unallocated part "
                       "would count the money twice",
    "refund": "a department's export has no 還付 record",
    "suspension_of_execution": "a department's export has no 執行停止 record",
    "write_off": "a department's export has no 不納欠損 record",
}


def own_record(item: DepartmentFeedItem) -> Payload:
    """The item as the department's own export would record it: an appropriation is a 収納 naming the claim (収納番号
    ``F<feed id>``, the amount its parts' sum), a 督促 or 催告 a notice record. ValueError naming the kind for the
    kinds in ``OWN_FORMAT_GAPS``."""
    if item.kind in OWN_FORMAT_GAPS:
        raise ValueError(f"{item.kind}: {OWN_FORMAT_GAPS[item.kind]}")
    person = PersonReference(source_person_id=item.source_person_id)
    if item.kind == "installment_agreement":
        if not (item.instalments and item.first_due_on and item.amount):
            raise ValueError("installment_agreement: the pledge names no schedule of this claim (not a central "
                             "plan's): the department's share is at GET /feeds/{department}/installment-plans")
        # the departments' 分納 records carry a total, a count and a first due date: monthly from that date
        return InstallmentAgreed(agreement_id=f"F{item.feed_id}", person=person, claim_ids=(str(item.claim_id),),
                                 schedule=monthly_schedule(item.amount, item.instalments, item.first_due_on),
                                 agreed_on=item.occurred_on)
    if item.kind == "appropriation":
        return PaymentReceived(payment_id=f"F{item.feed_id}", person=person, claim_id=item.claim_id,
                               amount=item.amount, paid_on=item.occurred_on, channel=PaymentChannel.COUNTER)
    kind = NoticeKind.DEMAND_NOTICE if item.kind == "demand_notice" else NoticeKind.REMINDER
    return ClaimNoticeSent(notice_id=item.reference, person=person, claim_id=item.claim_id, kind=kind,
                           sent_on=item.occurred_on)


def own_file(items: Sequence[DepartmentFeedItem], render_export: Callable[[list[Payload]], bytes], *,
             media_type: str, file_name: str) -> FeedFile:
    """The items in the department's own export format (its format module's ``render_export``, reached through
    shared/ingest/department_files.py); an item the format cannot carry is omitted and named."""
    content, carried, omitted = _carry(items, own_record, render_export)
    return FeedFile(content, media_type, file_name, carried, omitted)
