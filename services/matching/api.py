"""Review queue API for the central division (債権管理課): the doubtful pairs matching did not decide alone.

Each item shows both person records as their departments sent them, side by side, with the comparison level
and weight of every field, so a person can see why the pair is doubtful. Rejecting a pair records who, when
and why; a rejected pair is never proposed again. Every call needs a staff token (issued by the collection
service's POST /auth/token, verified here with the same keys): viewers read, collectors decide, supervisors undo
merges; every call is audit-logged with the staff member's id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from contracts import Department
from services.matching import review_queue as store
from services.matching.directory import search_people
from services.matching.person_search import SearchError, search_terms
from shared.auth import Principal, StaffRole, bearer_token_scheme, require_staff

router = APIRouter(tags=["review queue"])

_bearer = bearer_token_scheme("StaffToken", "A staff token from the collection service's POST /auth/token")
Viewer = Annotated[Principal, Depends(require_staff(StaffRole.VIEWER, _bearer))]
Collector = Annotated[Principal, Depends(require_staff(StaffRole.COLLECTOR, _bearer))]
Supervisor = Annotated[Principal, Depends(require_staff(StaffRole.SUPERVISOR, _bearer))]
Admin = Annotated[Principal, Depends(require_staff(StaffRole.ADMIN, _bearer))]


class RecordEvidence(BaseModel):
    department: str
    source_person_id: str
    debtor_id: str
    recorded: dict[str, Any] | None = Field(description="The person record as the department sent it")


class FieldEvidence(BaseModel):
    field: str
    level: str = Field(description="How the two records compare on this field")
    weight: float = Field(description="log2(m/u) of that level: positive for agreement, negative against")


class ReviewItem(BaseModel):
    review_id: int
    kind: str = Field(description="merge: two identities that may be one person; split: two records of one identity "
                                  "that a model version would no longer link (accepted, the record leaves it)")
    status: str
    score: float
    model_version: str
    created_at: datetime
    record: RecordEvidence
    candidate: RecordEvidence
    evidence: list[FieldEvidence]
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


class ReviewPage(BaseModel):
    items: list[ReviewItem]
    total: int
    limit: int
    offset: int


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why these are different people")


def _item(row: asyncpg.Record) -> ReviewItem:
    contributions = row["contributions"] or {}
    return ReviewItem(
        review_id=row["review_id"], kind=row["kind"], status=row["status"], score=row["score"], model_version=row["model_version"],
        created_at=row["created_at"], decided_by=row["decided_by"], decided_at=row["decided_at"],
        reason=row["reason"],
        record=RecordEvidence(department=row["department"], source_person_id=row["source_person_id"],
                              debtor_id=row["debtor_id"], recorded=row["recorded"]),
        candidate=RecordEvidence(department=row["candidate_department"],
                                 source_person_id=row["candidate_source_person_id"],
                                 debtor_id=row["candidate_debtor_id"], recorded=row["candidate_recorded"]),
        evidence=[FieldEvidence(field=name, level=c["level"], weight=c["weight"])
                  for name, c in contributions.items()],
    )


async def get_connection(request: Request):  # type: ignore[no-untyped-def]
    async with request.app.state.pool.acquire() as conn:
        yield conn


Connection = Annotated[asyncpg.Connection, Depends(get_connection)]


@router.get("/reviews", response_model=ReviewPage, summary="Doubtful pairs with their evidence, oldest first")
async def list_reviews(
    conn: Connection,
    staff: Viewer,
    status: Annotated[str, Query(pattern="^(open|accepted|rejected)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    department: Department | None = None,
    source_person_id: Annotated[str | None, Query(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")] = None,
) -> ReviewPage:
    """A long queue is worked oldest first; ``department`` (with ``source_person_id``) finds the pairs of one
    department's record, on either side of the pair, as staff asked about a record do (a second vendor's record
    by its stored id, ``water_east:W000123``: contracts/keys.py; a source key has at most 80 characters)."""
    if source_person_id is not None and department is None:
        raise HTTPException(422, "source_person_id: give the department too (a record is named by both)")
    asked_department = department.value if department else None
    rows, total = await store.list_reviews(conn, status=status, department=asked_department,
                                           source_person_id=source_person_id, limit=limit, offset=offset)
    await store.audit_read(conn, staff.subject, "list_reviews", "review_queue",
                           [str(r["review_id"]) for r in rows], status=status, limit=limit, offset=offset,
                           department=asked_department, source_person_id=source_person_id)
    return ReviewPage(items=[_item(r) for r in rows], total=total, limit=limit, offset=offset)


class FoundRecordView(BaseModel):
    department: str
    source_person_id: str
    recorded: dict[str, Any] | None = Field(description="The person record as the department sent it")


class FoundPersonView(BaseModel):
    debtor_id: str
    records: list[FoundRecordView] = Field(description="The records of this identity that matched the search")


class PersonSearchPage(BaseModel):
    items: list[FoundPersonView]
    more: bool = Field(description="More people matched than are listed: narrow the search")


def _typed(description: str | None = None) -> Any:
    """A search field as typed: up to 200 characters, no control characters."""
    return Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$", description=description)


@router.get("/persons", response_model=PersonSearchPage, tags=["person search"],
            summary="Find a person by name, reading, birth date, phone, address or an id, as staff type them")
async def find_persons(
    conn: Connection,
    staff: Viewer,
    name: Annotated[str | None, _typed("氏名 in kanji or Latin letters, or フリガナ in kana or hiragana: the "
                                       "beginning of the full name, or a given name in full; 異体字 and width do "
                                       "not matter (高橋 finds 髙橋)")] = None,
    birth_date: Annotated[str | None, _typed("生年月日: 昭和50年4月1日, S50.4.1 or 1975-04-01")] = None,
    phone: Annotated[str | None, _typed()] = None,
    postal_code: Annotated[str | None, _typed()] = None,
    address: Annotated[str | None, _typed("the beginning of the address, any spelling of 丁目・番地")] = None,
    register_number: Annotated[str | None, _typed("宛名番号 of the resident register")] = None,
    department: Department | None = None,
    source_person_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PersonSearchPage:
    """Every field given must match; the people are listed by reading. Each search is audit-logged with the
    fields used (not what was typed) and the identities it returned."""
    try:
        terms = search_terms(name=name, birth_date=birth_date, phone=phone, postal_code=postal_code, address=address,
                             register_number=register_number, department=department.value if department else None,
                             source_person_id=source_person_id)
    except SearchError as exc:
        raise HTTPException(422, str(exc)) from None
    if terms.empty:
        raise HTTPException(422, "give at least one of name, birth_date, phone, postal_code, address, "
                                 "register_number or department")
    found, more = await search_people(conn, terms, limit=limit)
    used = sorted(name for name in terms.__slots__ if getattr(terms, name) is not None)
    await store.audit_read(conn, staff.subject, "search_persons", "person_records", [p.debtor_id for p in found],
                           fields=used, limit=limit)
    return PersonSearchPage(items=[FoundPersonView(debtor_id=p.debtor_id, records=[
        FoundRecordView(department=r.department, source_person_id=r.source_person_id, recorded=r.recorded)
        for r in p.records]) for p in found], more=more)


@router.get("/reviews/{review_id}", response_model=ReviewItem, summary="One doubtful pair with its evidence")
async def get_review(conn: Connection, staff: Viewer, review_id: Annotated[int, Path(ge=1)]) -> ReviewItem:
    row = await store.load_review(conn, review_id)
    await store.audit(conn, staff.subject, "read_review", f"review:{review_id}", {"found": row is not None})
    if row is None:
        raise HTTPException(404, f"no review {review_id}")
    return _item(row)


@router.post("/reviews/{review_id}/reject", response_model=ReviewItem,
             summary="Different people: the pair is closed and never proposed again")
async def reject_review(conn: Connection, staff: Collector, review_id: Annotated[int, Path(ge=1)],
                        body: Rejection) -> ReviewItem:
    async with conn.transaction():
        status = await store.lock_review_status(conn, review_id)
        if status is None:
            raise HTTPException(404, f"no review {review_id}")
        if status != "open":
            raise HTTPException(409, f"review {review_id} is already {status}")
        await store.reject(conn, review_id, staff.subject, datetime.now(UTC), body.reason)
        await store.audit(conn, staff.subject, "reject_review", f"review:{review_id}", {"reason": body.reason})
        row = await store.load_review(conn, review_id)
    return _item(row)


class Acceptance(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why these are the same person")


class Undo(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why the merge was wrong")


class IdentityChange(BaseModel):
    merge_id: str = Field(description="Empty when the two records already shared an identity")
    from_debtor_id: str
    into_debtor_id: str
    records_moved: int


class MergeView(BaseModel):
    merge_id: str
    review_id: int
    from_debtor_id: str
    into_debtor_id: str
    records: list[dict[str, str]]
    decided_by: str
    reason: str
    merged_at: datetime
    undone_by: str | None
    undone_at: datetime | None
    undo_reason: str | None


async def _decide(request: Request, conn: asyncpg.Connection, decision, *args):  # type: ignore[no-untyped-def]
    from services.matching.identity_changes import DecisionRefused

    try:
        async with conn.transaction():
            change = await decision(conn, *args)
    except DecisionRefused as refused:
        raise HTTPException(refused.status, str(refused)) from None
    await request.app.state.relay.flush()  # the event was written with the decision; send it now
    return IdentityChange(merge_id=change.merge_id, from_debtor_id=change.from_debtor_id,
                          into_debtor_id=change.into_debtor_id, records_moved=change.records)


@router.post("/reviews/{review_id}/accept", response_model=IdentityChange,
             summary="Decide as proposed: a merge joins the record's identity to the candidate's; a split moves the "
                     "record to an identity of its own")
async def accept_review(request: Request, conn: Connection, staff: Collector,
                        review_id: Annotated[int, Path(ge=1)], body: Acceptance) -> IdentityChange:
    from services.matching.identity_changes import accept

    change = await _decide(request, conn, accept, review_id, staff.subject, body.reason)
    await store.audit(conn, staff.subject, "accept_review", f"review:{review_id}",
                 {"reason": body.reason, "merge_id": change.merge_id})
    return change


@router.post("/merges/{merge_id}/undo", response_model=IdentityChange,
             summary="Undo a merge (a split): its records go back to their own identity")
async def undo_merge(request: Request, conn: Connection, staff: Supervisor,
                     merge_id: Annotated[str, Path(min_length=1, max_length=80)], body: Undo) -> IdentityChange:
    from services.matching.identity_changes import undo

    change = await _decide(request, conn, undo, merge_id, staff.subject, body.reason)
    await store.audit(conn, staff.subject, "undo_merge", f"merge:{merge_id}", {"reason": body.reason})
    return change


@router.get("/debtors/{debtor_id}/merges", response_model=list[MergeView],
            summary="Lineage: every merge into or out of this identity, undone ones too")
async def debtor_merges(conn: Connection, staff: Viewer,
                        debtor_id: Annotated[str, Path(min_length=1, max_length=64)]) -> list[MergeView]:
    rows = await store.merges_of(conn, debtor_id)
    await store.audit_read(conn, staff.subject, "read_lineage", f"debtor:{debtor_id}",
                           [str(r["merge_id"]) for r in rows],
                           debtor_ids=[r["into_debtor_id"] if r["from_debtor_id"] == debtor_id else r["from_debtor_id"]
                                       for r in rows])
    return [MergeView(**dict(r)) for r in rows]


class Relation(BaseModel):
    related_debtor_id: str
    role: str = Field(description="guarantor (連帯保証人), child (児童), household_member (世帯員), household_head")
    direction: str = Field(description="'on_this_debtors_claims': this debtor's claims name them; "
                                       "'this_debtor_on_their_claims': their claims name this debtor")
    department: str


@router.get("/debtors/{debtor_id}/relations", response_model=list[Relation],
            summary="People linked to this identity as relations (never merged with it)")
async def debtor_relations(conn: Connection, staff: Viewer,
                           debtor_id: Annotated[str, Path(min_length=1, max_length=64)]) -> list[Relation]:
    rows = await store.relations_of(conn, debtor_id)
    await store.audit_read(conn, staff.subject, "read_relations", f"debtor:{debtor_id}",
                           [r["other"] for r in rows], debtor_ids=[r["other"] for r in rows])
    return [Relation(related_debtor_id=r["other"], role=r["role"], direction=r["direction"],
                     department=r["department"]) for r in rows]


class ModelVersionView(BaseModel):
    version: str
    status: str = Field(description="proposed (estimated, not used), active (used by matching) or retired")
    report: dict[str, Any] = Field(description="m, u and weight per field and level, next to the current weights")
    proposed_at: datetime
    activated_by: str | None
    activated_at: datetime | None


class Estimation(BaseModel):
    pairs: int = Field(default=20_000, ge=100, le=500_000, description="Candidate pairs sampled from the store")


class Rescoring(BaseModel):
    pairs: int = Field(default=20_000, ge=1, le=500_000, description="Stored candidate pairs decided again")


async def _current_model(request: Request, conn: asyncpg.Connection):  # type: ignore[no-untyped-def]
    from services.matching.model_versions import active_model

    return await active_model(conn, request.app.state.packaged_model)


def _version_error(error: Exception) -> HTTPException:
    return HTTPException(getattr(error, "status", 400), str(error))


@router.post("/model-versions", response_model=ModelVersionView, status_code=201, tags=["model versions"],
             summary="Estimate a model version by EM on pairs sampled from the store; stored as proposed")
async def propose_model_version(request: Request, conn: Connection, staff: Supervisor,
                                body: Estimation) -> ModelVersionView:
    from services.matching.model_versions import ModelVersionError, propose

    try:
        proposed = await propose(conn, await _current_model(request, conn), body.pairs)
    except ModelVersionError as error:
        raise _version_error(error) from None
    await store.audit(conn, staff.subject, "propose_model_version", f"model:{proposed['version']}", {"pairs": body.pairs})
    row = await store.load_model_version(conn, proposed["version"])
    return ModelVersionView(**{k: row[k] for k in ModelVersionView.model_fields})


@router.get("/model-versions", response_model=list[ModelVersionView], tags=["model versions"],
            summary="Every model version with its report, newest first")
async def list_model_versions(conn: Connection, staff: Viewer) -> list[ModelVersionView]:
    rows = await store.list_model_versions(conn)
    return [ModelVersionView(**{k: r[k] for k in ModelVersionView.model_fields}) for r in rows]


@router.post("/model-versions/{version}/rescore", tags=["model versions"],
             summary="Decide stored pairs again with a version: proposed merges and splits go to the review queue")
async def rescore_with_model_version(conn: Connection, staff: Supervisor,
                                     version: Annotated[str, Path(min_length=1, max_length=120)],
                                     body: Rescoring) -> dict[str, Any]:
    from services.matching.model_versions import ModelVersionError, load_version, rescore

    try:
        async with conn.transaction():
            model, _ = await load_version(conn, version)
            result = await rescore(conn, model, body.pairs)
    except ModelVersionError as error:
        raise _version_error(error) from None
    await store.audit(conn, staff.subject, "rescore", f"model:{version}",
                 {"pairs": result.pairs, "proposed_merges": result.proposed_merges,
                  "proposed_splits": len(result.proposed_splits)})
    return result.to_dict()


@router.post("/model-versions/{version}/activate", response_model=ModelVersionView, tags=["model versions"],
             summary="An administrator puts a reviewed version in use (the previous one is retired)")
async def activate_model_version(conn: Connection, staff: Admin,
                                 version: Annotated[str, Path(min_length=1, max_length=120)]) -> ModelVersionView:
    from services.matching.model_versions import ModelVersionError, activate

    try:
        async with conn.transaction():
            await activate(conn, version, staff.subject)
    except ModelVersionError as error:
        raise _version_error(error) from None
    await store.audit(conn, staff.subject, "activate_model_version", f"model:{version}", {})
    row = await store.load_model_version(conn, version)
    return ModelVersionView(**{k: row[k] for k in ModelVersionView.model_fields})
