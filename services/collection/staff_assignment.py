"""Who may give a case to a person (担当者) and take it back. Pure: no I/O, unit-tested (tests/unit/test_staff_assignment.py).

A case goes to a group or a lawyer team by the assignment policy (assignment.py); within the central group, one
officer works it. The rules follow the role model (shared/auth.py, viewer < collector < supervisor < admin):

- only an account that may record actions (collector or above), and is active, may hold a case;
- a supervisor (係長) or above assigns any open case to any such officer, reassigns it and takes it back;
- a collector may take an open case nobody holds for themselves (「自分が担当する」) and give back their own, but
  neither takes a colleague's case nor hands a case to someone else;
- a closed case is no one's work: it is neither assigned nor taken back.

Each refusal carries the HTTP status, a stable code, the reason in English (the API's words) and in Japanese (the
console's), naming the case and staff ids (account ids, not personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.auth import StaffRole, role_allows


@dataclass(frozen=True)
class StaffMember:
    """An account as the rules see it: its id, its roles now, whether it is active."""

    staff_id: str
    roles: frozenset[str]
    active: bool = True


class Outcome(StrEnum):
    ASSIGN = "assign"  # write it, with history
    UNCHANGED = "unchanged"  # the case is already theirs: nothing to write


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    reason: str
    reason_ja: str


def may_hold_cases(member: StaffMember) -> bool:
    """Whether an account may be a case's 担当者: active, and allowed to record actions (collector or above)."""
    return member.active and role_allows(member.roles, StaffRole.COLLECTOR)


def assignment_refusal(actor: StaffMember, case_id: int, *, case_open: bool, current: str | None,
                       assignee_id: str, assignee: StaffMember | None) -> Refusal | Outcome:
    """Why ``actor`` may not give case ``case_id`` (held now by ``current``) to ``assignee_id`` — or the outcome
    when they may (``Outcome.UNCHANGED`` when the case is already that officer's)."""
    supervisor = role_allows(actor.roles, StaffRole.SUPERVISOR)
    if not role_allows(actor.roles, StaffRole.COLLECTOR):
        return Refusal(403, "role", "assigning cases needs the collector role or above",
                       "事案の割当てには徴収担当以上の権限が必要です")
    if not case_open:
        return Refusal(409, "case_closed", f"case {case_id} is closed: a closed case is assigned to no one",
                       f"事案 {case_id} は完結しているため、担当者を設定できません")
    if assignee is None:
        return Refusal(422, "unknown_staff", f"assignee: no staff account {assignee_id}",
                       f"職員ID {assignee_id} のアカウントがありません")
    if not assignee.active:
        return Refusal(422, "staff_disabled", f"assignee: staff account {assignee_id} is disabled",
                       f"職員ID {assignee_id} のアカウントは無効です")
    if not may_hold_cases(assignee):
        return Refusal(422, "staff_cannot_hold",
                       f"assignee: {assignee_id} holds no collector role: only collectors and above work cases",
                       f"職員ID {assignee_id} には徴収担当の権限がないため、事案を担当できません")
    if current == assignee_id:
        return Outcome.UNCHANGED
    if not supervisor:
        if assignee_id != actor.staff_id:
            return Refusal(403, "assign_others",
                           "a collector may take a case only for themselves: a supervisor assigns it to others",
                           "他の職員への割当ては係長以上が行います（徴収担当は自分にのみ割り当てられます）")
        if current is not None:
            return Refusal(403, "held_by_other",
                           f"case {case_id} is held by {current}: only a supervisor reassigns it",
                           f"事案 {case_id} は {current} が担当しています。担当替えは係長以上が行います")
    return Outcome.ASSIGN


def release_refusal(actor: StaffMember, case_id: int, *, case_open: bool, current: str | None) -> Refusal | None:
    """Why ``actor`` may not take case ``case_id`` back from its 担当者 ``current`` (None: they may)."""
    if not role_allows(actor.roles, StaffRole.COLLECTOR):
        return Refusal(403, "role", "taking a case back needs the collector role or above",
                       "担当の解除には徴収担当以上の権限が必要です")
    if not case_open:
        return Refusal(409, "case_closed", f"case {case_id} is closed", f"事案 {case_id} は完結しています")
    if current is None:
        return Refusal(409, "unassigned", f"case {case_id} has no 担当者", f"事案 {case_id} には担当者がいません")
    if current != actor.staff_id and not role_allows(actor.roles, StaffRole.SUPERVISOR):
        return Refusal(403, "held_by_other",
                       f"case {case_id} is held by {current}: a collector gives back only their own cases",
                       f"事案 {case_id} は {current} の担当です。他の職員の担当を外すのは係長以上です")
    return None
