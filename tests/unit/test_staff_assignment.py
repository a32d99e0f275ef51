"""Who may give a case to an officer (担当者) and take it back (services/collection/staff_assignment.py)."""

from __future__ import annotations

import pytest

from services.collection.staff_assignment import (
    Outcome,
    Refusal,
    StaffMember,
    assignment_refusal,
    may_hold_cases,
    release_refusal,
)

SUPERVISOR = StaffMember("kakaricho", frozenset({"supervisor"}))
ADMIN = StaffMember("kanri", frozenset({"admin"}))
SATO = StaffMember("sato", frozenset({"collector"}))
TAKADA = StaffMember("takada", frozenset({"collector"}))
VIEWER = StaffMember("etsuran", frozenset({"viewer"}))
WELFARE = StaffMember("fukushi", frozenset({"welfare"}))
GONE = StaffMember("taishoku", frozenset({"collector"}), active=False)


def assign(actor: StaffMember, assignee: StaffMember | None, *, current: str | None = None, case_open: bool = True,
           assignee_id: str | None = None) -> Refusal | Outcome:
    return assignment_refusal(actor, 7, case_open=case_open, current=current,
                              assignee_id=assignee_id or (assignee.staff_id if assignee else "nobody"),
                              assignee=assignee)


def test_only_active_collectors_and_above_hold_cases() -> None:
    assert [may_hold_cases(m) for m in (SATO, SUPERVISOR, ADMIN)] == [True, True, True]
    assert [may_hold_cases(m) for m in (VIEWER, WELFARE, GONE)] == [False, False, False]


def test_a_supervisor_assigns_and_reassigns_any_open_case_to_an_officer() -> None:
    assert assign(SUPERVISOR, SATO) is Outcome.ASSIGN
    assert assign(SUPERVISOR, TAKADA, current="sato") is Outcome.ASSIGN
    assert assign(ADMIN, SUPERVISOR, current="sato") is Outcome.ASSIGN  # admin is above supervisor


def test_a_collector_takes_only_an_unheld_case_and_only_for_themselves() -> None:
    assert assign(SATO, SATO) is Outcome.ASSIGN
    to_other = assign(SATO, TAKADA)
    assert isinstance(to_other, Refusal) and to_other.status == 403 and to_other.code == "assign_others"
    assert "係長以上" in to_other.reason_ja
    taken = assign(SATO, SATO, current="takada")
    assert isinstance(taken, Refusal) and taken.status == 403 and "takada" in taken.reason
    assert "takada" in taken.reason_ja


def test_giving_a_case_to_its_own_officer_changes_nothing() -> None:
    assert assign(SATO, SATO, current="sato") is Outcome.UNCHANGED
    assert assign(SUPERVISOR, SATO, current="sato") is Outcome.UNCHANGED


@pytest.mark.parametrize(("assignee", "code"), [(None, "unknown_staff"), (GONE, "staff_disabled"),
                                                (VIEWER, "staff_cannot_hold"), (WELFARE, "staff_cannot_hold")])
def test_an_officer_who_may_not_hold_cases_is_refused_with_their_id(assignee: StaffMember | None, code: str) -> None:
    refused = assign(SUPERVISOR, assignee, assignee_id="nobody" if assignee is None else None)
    assert isinstance(refused, Refusal) and refused.status == 422 and refused.code == code
    named = "nobody" if assignee is None else assignee.staff_id
    assert named in refused.reason and named in refused.reason_ja and refused.reason.startswith("assignee")


def test_a_closed_case_is_assigned_to_no_one_and_a_viewer_assigns_nothing() -> None:
    closed = assign(SUPERVISOR, SATO, case_open=False)
    assert isinstance(closed, Refusal) and closed.status == 409 and "7" in closed.reason
    viewer = assign(VIEWER, SATO)
    assert isinstance(viewer, Refusal) and viewer.status == 403 and viewer.code == "role"


def test_taking_a_case_back() -> None:
    assert release_refusal(SATO, 7, case_open=True, current="sato") is None  # their own
    assert release_refusal(SUPERVISOR, 7, case_open=True, current="sato") is None
    other = release_refusal(TAKADA, 7, case_open=True, current="sato")
    assert other is not None and other.status == 403 and "sato" in other.reason
    nobody = release_refusal(SUPERVISOR, 7, case_open=True, current=None)
    assert nobody is not None and nobody.status == 409 and nobody.code == "unassigned"
    closed = release_refusal(SUPERVISOR, 7, case_open=False, current="sato")
    assert closed is not None and closed.status == 409
    viewer = release_refusal(VIEWER, 7, case_open=True, current="etsuran")
    assert viewer is not None and viewer.status == 403
