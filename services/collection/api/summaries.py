"""Debtor summaries: 滞納額, case lead and DV等支援措置 of up to 50 debtors in one read — what a list of people (the
console's person search) shows beside each name. The figures are the cases' (kept current by the case worker
after every change of a debtor's claims), not a ledger computed per debtor: GET /debtors/{id} is the exact view."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.collection.api.deps import Connection, Viewer, audit_read
from services.collection.stores import summaries as store
from services.collection.stores.support_measures import protected_since

router = APIRouter(tags=["debtors"])

#: Debtors one request may ask for (a page of search results).
MAX_DEBTORS = 50


class SummaryRequest(BaseModel):
    debtor_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]],
                          Field(min_length=1, max_length=MAX_DEBTORS, description="Unified debtor ids")]


class DebtorSummary(BaseModel):
    debtor_id: str
    delinquent_balance: int = Field(description="滞納額 as the case list shows it, yen: what may still be demanded on "
                                                "the delinquent claims (principal, 督促手数料, fixed 延滞金); 0 without a case")
    case_id: int | None
    case_status: str | None
    as_of: date | None = Field(description="The business date the case's figures were computed for")
    lead_kind: str | None = Field(description="central_group | lawyer_team")
    lead_code: str | None
    protected: bool = Field(description="DV等支援措置: the address must not leave the city")


@router.post("/debtor-summaries", response_model=list[DebtorSummary],
             summary="滞納額, case lead and DV等支援措置 of up to 50 debtors (a list of people), in the order asked")
async def debtor_summaries(body: SummaryRequest, conn: Connection, staff: Viewer) -> list[DebtorSummary]:
    """A POST: the ids go in the body, not in URLs that access logs keep. Every debtor asked for is audit-logged
    as read."""
    wanted = list(dict.fromkeys(body.debtor_ids))
    cases = await store.latest_cases(conn, wanted)
    protected = await protected_since(conn, wanted)
    await audit_read(conn, staff, "read_debtor_summaries", "debtors", wanted, debtor_ids=wanted)
    return [DebtorSummary(
        debtor_id=debtor_id,
        delinquent_balance=case["delinquent_balance"] if (case := cases.get(debtor_id)) else 0,
        case_id=case["case_id"] if case else None, case_status=case["status"] if case else None,
        as_of=case["as_of"] if case else None, lead_kind=case["lead_kind"] if case else None,
        lead_code=case["lead_code"] if case else None, protected=debtor_id in protected) for debtor_id in wanted]
