"""The central collection API (FastAPI): one router per concern, shared dependencies in ``deps``."""

from fastapi import APIRouter

from services.collection.api import (
    actions,
    audit_log,
    cases,
    debtors,
    documents,
    feeds,
    mailing,
    payments,
    receipts,
    reconciliation,
    reports,
    staff,
    summaries,
    support_measures,
)

router = APIRouter()
for module in (staff, debtors, summaries, mailing, support_measures, cases, actions, documents, payments, receipts,
               reports, audit_log, feeds, reconciliation):
    router.include_router(module.router)
