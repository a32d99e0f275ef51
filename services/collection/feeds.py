"""Feeds back to the departments: what the central division did on a department's claims reaches the department's
own system, so it stops its own reminders and does not count money twice.

What goes back (``FEED_ACTIONS`` and central-window payments): money taken at the central window (each
department's part of a lump sum), the 督促 and 催告 letters the centre sent, the 分納誓約 it took, 執行停止 and 不納欠損
it decided. A department's own records (recorded_by ``department:…``) never go back to it.

How (stores/feeds.py gathers, this module decides): each item is gathered once from collection's records (its
source is unique), published once on the department's topic (``feeds.<department>.v1``, through the outbox, in
the transaction that gathered it), and listed for the department until it acknowledges it (a receipt naming
the feed ids). The same items come as a file in the standard layout (contracts/standard_link.py). Items older
than the acknowledgement period without a receipt are listed for staff and counted in a metric that alerts.
Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contracts import DepartmentFeedItem
from contracts.standard_link import layout, render

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
    "demand_notice": "督促発送",
    "reminder": "催告発送",
    "installment_agreement": "分納誓約",
    "suspension_of_execution": "執行停止",
    "write_off": "不納欠損",
}

_FIELDS = ("feed_id", "department", "kind", "source_person_id", "claim_id", "receivable_type", "fiscal_year",
           "installment", "occurred_on", "amount", "reference", "ground")


def feed_message(row: Mapping[str, Any]) -> DepartmentFeedItem:
    """The message of one gathered item (a ``department_feed`` row)."""
    return DepartmentFeedItem(**{name: row[name] for name in _FIELDS})


def standard_rows(items: Iterable[DepartmentFeedItem]) -> list[dict[str, Any]]:
    """The items as rows of the standard layout: 連携番号 is the feed id the receipt names."""
    spec = layout()
    rows = []
    for item in items:
        row: dict[str, Any] = {"event": spec.event_code(STANDARD_EVENTS[item.kind]), "link_id": str(item.feed_id),
                               "person": item.source_person_id, "claim": item.claim_id,
                               "fiscal_year": item.fiscal_year, "installment": item.installment,
                               "receivable": item.receivable_type}
        if item.kind == "central_payment":
            row.update(principal=item.amount, paid_on=item.occurred_on, reported_on=item.occurred_on,
                       receipt=item.reference)
        else:
            row.update(done_on=item.occurred_on, document=item.reference, ground=item.ground or None)
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def standard_file(items: Iterable[DepartmentFeedItem]) -> bytes:
    return render(standard_rows(items))

