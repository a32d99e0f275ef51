"""The central collection API (FastAPI): one router per concern, shared dependencies in ``deps``."""

from fastapi import APIRouter

from services.collection.api import (
    actions,
    audit_log,
    case_assignees,
    cases,
    debtors,
    documents,
    feeds,
    mailing,
    operations,
    payments,
    plans,
    receipts,
    reconciliation,
    reports,
    staff,
    summaries,
    support_measures,
    timeline,
)

router = APIRouter()
for module in (staff, debtors, summaries, mailing, support_measures, cases, case_assignees, actions, documents, payments,
               plans, receipts, reports, audit_log, feeds, reconciliation, timeline, operations):
    router.include_router(module.router)
