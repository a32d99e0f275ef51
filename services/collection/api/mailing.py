"""送付先: where the central division's letters to a debtor go. Staff see every address the departments recorded
and choose one (or one the debtor gave); from then on every notice to the debtor goes there (services/collection/
mailing.py). Reads and changes are audit-logged; the audit names the debtor and the source, never the address."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field, model_validator

from contracts import Department
from contracts.text import PlainText
from services.collection.api.deps import Collector, Connection, Viewer, audit, audit_read
from services.collection.mailing import from_department, recorded_addresses
from services.collection.stores import debtors as debtor_store
from services.collection.stores import mailing as store

router = APIRouter(tags=["debtors"])

DebtorId = Annotated[str, Path(min_length=1, max_length=64, description="Unified debtor id from debtor matching")]


class RecordedAddressView(BaseModel):
    name: str | None
    postal_code: str
    address: str
    departments: list[str] = Field(description="The departments whose records hold this address")


class ChosenAddress(BaseModel):
    name: str
    postal_code: str
    address: str
    source: str = Field(description="department:<code> (copied from that department's record) or staff")
    reason: str
    set_by: str
    set_at: datetime


class MailingAddresses(BaseModel):
    debtor_id: str
    chosen: ChosenAddress | None = Field(description="The 送付先 every notice uses; none: the claim's department's")
    recorded: list[RecordedAddressView] = Field(description="The distinct addresses the departments recorded")


class MailingAddressChoice(BaseModel):
    """Either copy a department's record (``from_department``) or give the address (name, postal code, address)."""

    from_department: Department | None = None
    name: PlainText | None = Field(default=None, min_length=1, max_length=100)
    postal_code: PlainText | None = Field(default=None, pattern=r"^\d{3}-?\d{4}$")
    address: PlainText | None = Field(default=None, min_length=1, max_length=300)
    reason: PlainText = Field(min_length=1, max_length=500, description="Why (e.g. 本人から居所の申出)")

    @model_validator(mode="after")
    def _one_way(self) -> "MailingAddressChoice":
        given = [self.name, self.postal_code, self.address]
        if self.from_department is not None and any(given):
            raise ValueError("from_department: give either a department to copy from or the address, not both")
        if self.from_department is None and not all(given):
            raise ValueError("name, postal_code and address: all three, or from_department")
        return self


async def _view(conn: Connection, debtor_id: str) -> MailingAddresses:
    persons = [(r["department"], r["person"]) for r in await debtor_store.departmental_persons(conn, debtor_id)]
    chosen = await store.chosen_mailing_address(conn, debtor_id)
    if not persons and chosen is None:
        raise HTTPException(404, f"no debtor {debtor_id}")
    return MailingAddresses(
        debtor_id=debtor_id, chosen=ChosenAddress(**{k: chosen[k] for k in ChosenAddress.model_fields})
        if chosen else None,
        recorded=[RecordedAddressView(name=a.name, postal_code=a.postal_code, address=a.address,
                                      departments=list(a.departments)) for a in recorded_addresses(persons)])


@router.get("/debtors/{debtor_id}/mailing-address", response_model=MailingAddresses,
            summary="送付先: the address chosen for the debtor's notices, and every address the departments recorded")
async def get_mailing_address(debtor_id: DebtorId, conn: Connection, staff: Viewer) -> MailingAddresses:
    view = await _view(conn, debtor_id)
    await audit_read(conn, staff, "read_mailing_address", debtor_id, [debtor_id], debtor_ids=[debtor_id])
    return view


@router.put("/debtors/{debtor_id}/mailing-address", response_model=MailingAddresses,
            summary="Choose the 送付先: every notice to the debtor goes there from now on")
async def put_mailing_address(debtor_id: DebtorId, body: MailingAddressChoice, conn: Connection,
                              staff: Collector) -> MailingAddresses:
    async with conn.transaction():
        persons = [(r["department"], r["person"]) for r in await debtor_store.departmental_persons(conn, debtor_id)]
        if not persons:
            raise HTTPException(404, f"no debtor {debtor_id}")
        if body.from_department is not None:
            try:
                chosen = from_department(persons, body.from_department.value)
            except ValueError as refused:
                raise HTTPException(422, str(refused)) from None
        else:
            chosen = {"name": body.name, "postal_code": body.postal_code, "address": body.address, "source": "staff"}
        await store.set_mailing_address(conn, debtor_id, chosen, reason=body.reason, set_by=staff.subject)
        await audit(conn, staff, "set_mailing_address", debtor_id, source=chosen["source"])
    return await _view(conn, debtor_id)


@router.delete("/debtors/{debtor_id}/mailing-address", response_model=MailingAddresses,
               summary="Forget the chosen 送付先: notices go to the claim's department's address again")
async def delete_mailing_address(debtor_id: DebtorId, conn: Connection, staff: Collector) -> MailingAddresses:
    async with conn.transaction():
        if not await store.clear_mailing_address(conn, debtor_id):
            raise HTTPException(404, f"no 送付先 chosen for debtor {debtor_id}")
        await audit(conn, staff, "clear_mailing_address", debtor_id)
    return await _view(conn, debtor_id)
