"""The table of legal actions (services/collection/legal_actions.py) is complete and agrees with every reader:
the workflow rules, prescription, the escalation policy, the API's roles and the documents."""

from datetime import date, timedelta
from typing import get_args

import pytest

from contracts.enums import LegalCategory
from services.collection import workflow
from services.collection.api.documents import ACTION_OF
from services.collection.legal_actions import (
    ACTIONS,
    COURT_ENDED_OUTCOMES,
    END_OUTCOMES,
    TITLE_OUTCOMES,
    ActionGroup,
    ActionKind,
    ActionSpec,
    Prerequisite,
    spec_of,
)
from services.collection.next_action import ESCALATION_ACTIONS, load_policy
from services.collection.notices import Kind as DocumentKind
from services.collection.prescription import (
    EVENT_KINDS,
    PrescriptionClaim,
    PrescriptionEvent,
    default_prescription_table,
    legal_events,
    prescription,
)
from shared.auth import StaffRole, role_allows

ROWS = list(ACTIONS.values())
#: A receivable of each legal category whose prescription the packaged table knows (a city that treats housing
#: rent as a public claim has a non-forced public claim).
RECEIVABLE_OF = {LegalCategory.FORCED_PUBLIC: "individual_inhabitant_tax",
                 LegalCategory.NON_FORCED_PUBLIC: "municipal_housing_rent",
                 LegalCategory.PRIVATE: "water_supply_charge"}
DUE = date(2024, 5, 31)


def test_every_action_kind_has_exactly_one_row_under_its_own_kind() -> None:
    assert list(ACTIONS) == [spec.kind for spec in ROWS]
    assert set(ACTIONS) == set(ActionKind) and len(ROWS) == len(ActionKind)
    assert spec_of("seizure") is ACTIONS[ActionKind.SEIZURE]
    assert spec_of("no_such_action") is None


@pytest.mark.parametrize("spec", ROWS, ids=lambda s: s.kind.value)
def test_every_row_says_what_it_is_and_why_a_category_may_not_take_it(spec: ActionSpec) -> None:
    assert spec.label.strip() and spec.basis.strip()
    assert spec.categories and spec.categories <= set(LegalCategory)
    assert bool(spec.refusal.strip()) == (spec.categories != set(LegalCategory)), \
        "a refusal is needed exactly when some category may not take the action"
    assert len(set(spec.prerequisites)) == len(spec.prerequisites)


def test_every_prerequisite_is_checked_by_the_workflow_rules() -> None:
    assert set(workflow._CHECKS) == set(Prerequisite)
    used = {p for spec in ROWS for p in spec.prerequisites}
    assert used == set(Prerequisite), f"prerequisites no row uses: {set(Prerequisite) - used}"


@pytest.mark.parametrize("spec", ROWS, ids=lambda s: s.kind.value)
def test_every_rows_role_is_a_staff_role_that_may_record_actions(spec: ActionSpec) -> None:
    role = StaffRole(spec.role)  # raises for a role that does not exist
    assert role_allows([role.value], StaffRole.COLLECTOR), "the action route admits collectors and above only"
    assert role_allows([StaffRole.ADMIN.value], role), "an admin may do what any collection role may"


def test_seizing_realising_executing_waiving_and_writing_off_need_a_supervisor() -> None:
    supervisor = {spec.kind for spec in ROWS if spec.role == StaffRole.SUPERVISOR.value}
    assert supervisor == {ActionKind.SEIZURE, ActionKind.REALISATION, ActionKind.COMPULSORY_EXECUTION,
                          ActionKind.WAIVER, ActionKind.WRITE_OFF}
    assert all(spec.role == StaffRole.COLLECTOR.value for spec in ROWS if spec.kind not in supervisor)


def test_prescription_events_of_every_row_are_events_prescription_knows() -> None:
    for spec in ROWS:
        unknown = spec.prescription.all_events() - set(EVENT_KINDS)
        assert not unknown, f"{spec.kind.value}: prescription.py has no event {sorted(unknown)}"
        assert spec.prescription.statute.strip()


def _variants(spec: ActionSpec) -> list[str | None]:
    return [None, *sorted(o for outcomes, _ in spec.prescription.by_outcome for o in outcomes)]


@pytest.mark.parametrize("spec", [s for s in ROWS if s.prescription.all_events()], ids=lambda s: s.kind.value)
def test_each_effect_on_prescription_takes_effect_on_every_category_the_action_applies_to(spec: ActionSpec) -> None:
    """Recorded on a claim of each category the row admits, with every outcome the row names, the action's events
    are applied by prescription.py (no "no effect" line, no error): the table never promises an effect the
    prescription rules ignore or refuse (e.g. 執行停止 on a claim that is not forced-collection)."""
    table = default_prescription_table()
    for category in spec.categories:
        claim = PrescriptionClaim("C-1", RECEIVABLE_OF[category], category, DUE, DUE - timedelta(days=60))
        plain = prescription(claim, [], table=table, as_of=DUE + timedelta(days=1))
        for outcome in _variants(spec):
            events = spec.prescription.events_for(outcome)
            assert events, f"{spec.kind.value} ({outcome}): an outcome that names no event"
            on = (plain.completes_on + timedelta(days=1) if "invocation" in events else DUE + timedelta(days=90))
            setup = [PrescriptionEvent(on - timedelta(days=1), needs)
                     for ends, needs in (("seizure_ended", "seizure"), ("exemption_revoked", "exemption_of_execution"))
                     if ends in events]
            recorded = legal_events([(on, spec.kind.value, outcome)])
            assert [e.kind for e in recorded] == list(events)
            state = prescription(claim, [*setup, *recorded], table=table, as_of=on)
            lines = [line for line in state.explanation if line.startswith(on.isoformat())]
            assert len(lines) == len(events), state.explanation
            assert not [line for line in lines if "no effect" in line or "no further effect" in line], \
                f"{spec.kind.value} ({outcome}) on a {category.value} claim: {lines}"


def test_rows_without_an_effect_leave_prescription_alone() -> None:
    for spec in ROWS:
        if not spec.prescription.all_events():
            assert legal_events([(DUE + timedelta(days=30), spec.kind.value, "won")]) == []
    assert legal_events([(DUE + timedelta(days=30), "no_such_action", None)]) == []


def test_court_titles_read_alike_in_the_rules_and_in_prescription() -> None:
    """workflow reads a 債務名義 as a court filing with a TITLE outcome; prescription must read the same record
    as a final judgment (民法147条2項), and an ended proceeding as court_ended (民法147条1項)."""
    for spec in ROWS:
        for outcome in sorted(TITLE_OUTCOMES | COURT_ENDED_OUTCOMES | {None, "pending"}, key=str):
            events = spec.prescription.events_for(outcome)
            is_title = spec.group is ActionGroup.COURT_FILING and outcome in TITLE_OUTCOMES
            assert ("judgment" in events) == is_title, (spec.kind.value, outcome)
            if spec.group is ActionGroup.COURT_FILING:
                assert events[0] == "court_filing"
                assert ("court_ended" in events) == (outcome in COURT_ENDED_OUTCOMES)


def test_measures_block_other_actions_only_and_their_end_is_the_rules_end() -> None:
    for spec in ROWS:
        assert (spec.measure is not None) == (spec.group is ActionGroup.MEASURE), spec.kind.value
        if spec.measure is None:
            continue
        blocked = {k for k in ActionKind if spec.measure.blocks_action(k)}
        assert blocked and spec.kind not in blocked, f"{spec.kind.value}: recording it again must stay allowed"
        assert "{since}" in spec.measure.reason
        for outcome in END_OUTCOMES:  # an ended measure has no effect of its own on prescription but revocation
            assert set(spec.prescription.events_for(outcome)) <= {"exemption_revoked"}
    halving = {s.kind for s in ROWS if s.measure is not None and s.measure.halves_late_charge}
    assert halving == {ActionKind.COLLECTION_GRACE, ActionKind.REALISATION_GRACE}  # 地方税法15条の9


def test_closing_and_extinguishing_rows_leave_one_way_out() -> None:
    assert [s.kind for s in ROWS if s.on_extinguished] == [ActionKind.WRITE_OFF]
    assert [s.kind for s in ROWS if s.on_settled] == [ActionKind.PAID_IN_FULL]
    assert {s.kind for s in ROWS if s.closes} == {ActionKind.WRITE_OFF, ActionKind.PAID_IN_FULL}
    assert {s.kind for s in ROWS if s.extinguishes} == {ActionKind.WAIVER}


def test_each_document_records_one_action_and_is_a_document_collection_prints() -> None:
    documents = [s.document for s in ROWS if s.document is not None]
    assert len(documents) == len(set(documents))
    assert set(documents) <= set(get_args(DocumentKind))
    assert ACTION_OF == {s.document: s.kind for s in ROWS if s.document is not None}
    assert ACTION_OF == {"demand_notice": ActionKind.DEMAND_NOTICE, "reminder": ActionKind.REMINDER_LETTER,
                         "asset_inquiry": ActionKind.ASSET_INVESTIGATION,
                         "installment_pledge": ActionKind.INSTALLMENT_AGREEMENT}  # issuing a 分納誓約書 records 分納誓約


def test_escalation_steps_are_the_rows_with_words_and_the_policy_uses_only_them() -> None:
    assert ESCALATION_ACTIONS == {s.kind for s in ROWS if s.step is not None}
    policy = load_policy()
    used = {step.action for ladder in policy.ladders.values() for step in ladder.steps}
    used |= {lever.action for lever in policy.levers}
    assert used <= ESCALATION_ACTIONS


def test_every_escalation_step_is_lawful_for_some_category_the_row_admits() -> None:
    """A step the table offers to the ladders can be taken: on a synthetic claim a year overdue with its
    prerequisites recorded, the rules allow it for at least one of its categories."""
    from services.collection.next_action import _lawful_for

    for kind in ESCALATION_ACTIONS:
        decisions = {c: _lawful_for(c, kind) for c in ACTIONS[kind].categories}
        assert any(d.allowed for d in decisions.values()), (kind.value, decisions)


def test_the_table_reads_as_the_rules_did_for_a_tax_claim_on_令和6年8月1日() -> None:
    """A forced-collection tax claim due 2024-05-31 with a 督促 sent 2024-06-20: what the staff screen offers."""
    facts = workflow.ClaimFacts(LegalCategory.FORCED_PUBLIC, 50_000, DUE)
    history = [workflow.ActionRecord(ActionKind.DEMAND_NOTICE, date(2024, 6, 20), by="staff-髙橋")]
    offered = workflow.allowed_actions("forced_public", history=history, facts=facts, on=date(2024, 8, 1))
    assert offered == [ActionKind.REMINDER_LETTER, ActionKind.REMINDER_PHONE, ActionKind.REMINDER_VISIT,
                       ActionKind.REMINDER_WORKPLACE, ActionKind.PAYMENT_CONSULTATION,
                       ActionKind.INSTALLMENT_AGREEMENT, ActionKind.ASSET_INVESTIGATION, ActionKind.SEIZURE,
                       ActionKind.SUSPENSION_OF_EXECUTION, ActionKind.COLLECTION_GRACE,
                       ActionKind.REALISATION_GRACE]
