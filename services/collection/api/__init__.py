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
    operations,
    payments,
    reconciliation,
    reports,
    staff,
    support_measures,
)

router = APIRouter()
for module in (staff, debtors, mailing, support_measures, cases, actions, documents, payments, reports, audit_log, feeds,
               reconciliation, operations):
    router.include_router(module.router)
