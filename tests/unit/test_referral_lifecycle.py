"""The welfare referral lifecycle: every allowed transition and the refused ones (wrong role, wrong state, consent
missing), the happy path with its history, declines, consent withdrawal, what may be shared before and after
consent, open states, funnel counts, and random event sequences checked against the invariants."""

import dataclasses
import random
from datetime import date, timedelta

import pytest

from services.welfare_referral.lifecycle import (
    CONSENT_SCOPES,
    TRANSITIONS,
    Consent,
    Event,
    EventKind,
    FunnelCounts,
    HistoryEntry,
    Outcome,
    Referral,
    ReferralState,
    TransitionRefused,
    apply,
    funnel,
    is_open,
    shareable,
    suggest,
)

S, E = ReferralState, EventKind
DAY = date(2024, 7, 10)  # a joint consultation day (合同相談日)
CONSENT = Consent("staff-017", DAY, frozenset({"contact", "arrears_summary"}))
OPEN_STATES = [s for s in ReferralState if s is not S.CLOSED]
WITH_CONSENT = {S.CONSENTED, S.REFERRED, S.ACKNOWLEDGED, S.OUTCOME_RECORDED}


def at(state: ReferralState, *, consent: Consent | None = None, outcome: str | None = None) -> Referral:
    """A referral standing in ``state``; consent by default where the state normally has one."""
    if consent is None and state in WITH_CONSENT:
        consent = CONSENT
    if outcome is None and state is S.OUTCOME_RECORDED:
        outcome = "connected"
    entry = HistoryEntry("suggest", DAY - timedelta(days=30), "system", "system", None, S.SUGGESTED)
    return Referral("R-0001", "anon-7f3a", state, consent, outcome, (entry,))


def event(kind: str, role: str, **kwargs) -> Event:
    return Event(kind, kwargs.pop("on", DAY), kwargs.pop("by", "staff-017"), role, **kwargs)


def refused(referral: Referral, ev: Event) -> str:
    with pytest.raises(TransitionRefused) as caught:
        apply(referral, ev)
    return caught.value.reason


# --- every allowed transition ---------------------------------------------------------------------------------

ALLOWED = [
    (S.SUGGESTED, E.INFORM, "collector", {}, S.INFORMED),
    (S.SUGGESTED, E.INFORM, "supervisor", {}, S.INFORMED),  # a supervisor may do what a collector may
    (S.INFORMED, E.RECORD_CONSENT, "collector", {"consent": CONSENT}, S.CONSENTED),
    (S.SUGGESTED, E.DECLINE, "collector", {}, S.DECLINED),
    (S.INFORMED, E.DECLINE, "collector", {}, S.DECLINED),
    (S.CONSENTED, E.REFER, "collector", {}, S.REFERRED),
    (S.CONSENTED, E.REFER, "admin", {}, S.REFERRED),
    (S.REFERRED, E.ACKNOWLEDGE, "welfare", {}, S.ACKNOWLEDGED),
    *((S.ACKNOWLEDGED, E.RECORD_OUTCOME, "welfare", {"outcome": o.value}, S.OUTCOME_RECORDED) for o in Outcome),
    (S.CONSENTED, E.CONSENT_WITHDRAWN, "collector", {}, S.INFORMED),
    (S.CONSENTED, E.CONSENT_WITHDRAWN, "welfare", {}, S.INFORMED),
    (S.REFERRED, E.CONSENT_WITHDRAWN, "collector", {}, S.INFORMED),
    (S.REFERRED, E.CONSENT_WITHDRAWN, "welfare", {}, S.INFORMED),
    (S.ACKNOWLEDGED, E.CONSENT_WITHDRAWN, "welfare", {}, S.ACKNOWLEDGED),
    (S.OUTCOME_RECORDED, E.CONSENT_WITHDRAWN, "collector", {}, S.OUTCOME_RECORDED),
    (S.OUTCOME_RECORDED, E.CLOSE, "collector", {}, S.CLOSED),
    (S.DECLINED, E.CLOSE, "collector", {}, S.CLOSED),
    (S.OUTCOME_RECORDED, E.CLOSE, "supervisor", {}, S.CLOSED),  # a finished referral needs no reason
    *((state, E.CLOSE, "supervisor", {"reason": "paid in full"}, S.CLOSED) for state in OPEN_STATES),
    (S.SUGGESTED, E.CLOSE, "admin", {"reason": "moved away"}, S.CLOSED),
]


@pytest.mark.parametrize(("start", "kind", "role", "extra", "end"), ALLOWED,
                         ids=[f"{a}-{k}-{r}-{b}" for a, k, r, _, b in ALLOWED])
def test_allowed_transition(start, kind, role, extra, end):
    before = at(start)
    after = apply(before, event(kind, role, **extra))
    assert after.state is end
    assert after.history[:-1] == before.history
    last = after.history[-1]
    assert (last.kind, last.on, last.by, last.role, last.from_state, last.to_state) == (
        kind, DAY, "staff-017", role, start, end)
    assert last.reason == extra.get("reason", "")
    assert before.state is start and len(before.history) == 1  # the input is untouched


def test_every_table_row_is_exercised():
    covered = {(a, k, b) for a, k, _, _, b in ALLOWED}
    for row in TRANSITIONS:
        for state in row.from_states:
            assert (state, row.event, row.to_state) in covered


# --- refused transitions --------------------------------------------------------------------------------------

REFUSED = [
    # wrong role
    (S.SUGGESTED, E.INFORM, "welfare", {}, "wrong role"),
    (S.SUGGESTED, E.INFORM, "viewer", {}, "wrong role"),
    (S.SUGGESTED, E.INFORM, "system", {}, "wrong role"),
    (S.INFORMED, E.DECLINE, "welfare", {}, "wrong role"),
    (S.INFORMED, E.RECORD_CONSENT, "welfare", {"consent": CONSENT}, "wrong role"),
    (S.CONSENTED, E.REFER, "welfare", {}, "wrong role"),
    (S.REFERRED, E.ACKNOWLEDGE, "collector", {}, "wrong role"),
    (S.REFERRED, E.ACKNOWLEDGE, "supervisor", {}, "wrong role"),  # welfare stands apart from the hierarchy
    (S.ACKNOWLEDGED, E.RECORD_OUTCOME, "admin", {"outcome": "connected"}, "wrong role"),
    (S.ACKNOWLEDGED, E.CONSENT_WITHDRAWN, "viewer", {}, "wrong role"),
    (S.INFORMED, E.CLOSE, "collector", {"reason": "paid in full"}, "wrong role: close from informed needs the "
                                                                   "supervisor role"),
    (S.REFERRED, E.CLOSE, "welfare", {"reason": "moved away"}, "wrong role"),
    # wrong state
    (S.INFORMED, E.INFORM, "collector", {}, "wrong state: cannot inform from informed"),
    (S.SUGGESTED, E.RECORD_CONSENT, "collector", {"consent": CONSENT}, "wrong state"),
    (S.CONSENTED, E.RECORD_CONSENT, "collector", {"consent": CONSENT}, "wrong state"),
    (S.CONSENTED, E.DECLINE, "collector", {}, "wrong state"),
    (S.REFERRED, E.REFER, "collector", {}, "wrong state"),
    (S.ACKNOWLEDGED, E.REFER, "collector", {}, "wrong state"),
    (S.CONSENTED, E.ACKNOWLEDGE, "welfare", {}, "wrong state"),
    (S.REFERRED, E.RECORD_OUTCOME, "welfare", {"outcome": "connected"}, "wrong state"),
    (S.OUTCOME_RECORDED, E.RECORD_OUTCOME, "welfare", {"outcome": "connected"}, "wrong state"),
    (S.DECLINED, E.INFORM, "collector", {}, "wrong state"),
    *((S.CLOSED, kind, "supervisor", {"reason": "x", "consent": CONSENT, "outcome": "connected"}, "wrong state: "
       "the referral is closed") for kind in EventKind),
    # consent missing
    (S.SUGGESTED, E.REFER, "collector", {}, "consent missing"),
    (S.INFORMED, E.REFER, "collector", {}, "consent missing"),
    (S.DECLINED, E.REFER, "collector", {}, "consent missing"),
    (S.INFORMED, E.RECORD_CONSENT, "collector", {}, "consent missing"),
    (S.INFORMED, E.CONSENT_WITHDRAWN, "collector", {}, "consent missing: there is no recorded consent"),
    # the event's own requirements
    (S.INFORMED, E.CLOSE, "supervisor", {}, "needs a reason"),
    (S.INFORMED, E.CLOSE, "supervisor", {"reason": "   "}, "needs a reason"),
    (S.ACKNOWLEDGED, E.RECORD_OUTCOME, "welfare", {}, "needs an outcome"),
    (S.ACKNOWLEDGED, E.RECORD_OUTCOME, "welfare", {"outcome": "maybe"}, "needs an outcome"),
    (S.INFORMED, E.RECORD_CONSENT, "collector",
     {"consent": dataclasses.replace(CONSENT, given_on=DAY + timedelta(days=1))}, "consent is dated after"),
    (S.SUGGESTED, "suggest", "collector", {}, "unknown event"),
    (S.SUGGESTED, "delete", "supervisor", {}, "unknown event"),
    (S.SUGGESTED, E.INFORM, "collector", {"on": DAY - timedelta(days=31)}, "dated before the last"),
]


@pytest.mark.parametrize(("start", "kind", "role", "extra", "words"), REFUSED,
                         ids=[f"{a}-{k}-{r}-{i}" for i, (a, k, r, _, _) in enumerate(REFUSED)])
def test_refused_transition(start, kind, role, extra, words):
    before = at(start)
    reason = refused(before, event(kind, role, **extra))
    assert reason.startswith(words) or words in reason
    assert "anon-7f3a" not in reason and "R-0001" not in reason  # no reference to the person in errors


def test_refer_without_consent_names_the_law():
    assert "生活困窮者自立支援法8条" in refused(at(S.INFORMED), event(E.REFER, "collector"))


# --- whole paths ----------------------------------------------------------------------------------------------

def run(referral: Referral, *steps: tuple) -> Referral:
    for offset, (kind, role, extra) in enumerate(steps):
        referral = apply(referral, event(kind, role, **{"on": DAY + timedelta(days=offset), **extra}))
    return referral


def test_happy_path_to_closed_with_history():
    start = suggest("R-0002", "anon-1111", on=DAY - timedelta(days=3))
    assert (start.state, start.consent, start.outcome, shareable(start)) == (S.SUGGESTED, None, None, frozenset())
    done = run(start,
               (E.INFORM, "collector", {}),
               (E.RECORD_CONSENT, "collector", {"consent": CONSENT}),
               (E.REFER, "collector", {}),
               (E.ACKNOWLEDGE, "welfare", {"by": "welfare-003"}),
               (E.RECORD_OUTCOME, "welfare", {"by": "welfare-003", "outcome": "connected"}),
               (E.CLOSE, "collector", {}))
    assert done.state is S.CLOSED and done.outcome == "connected" and done.consent == CONSENT
    assert [(h.kind, h.from_state, h.to_state) for h in done.history] == [
        ("suggest", None, S.SUGGESTED),
        ("inform", S.SUGGESTED, S.INFORMED),
        ("record_consent", S.INFORMED, S.CONSENTED),
        ("refer", S.CONSENTED, S.REFERRED),
        ("acknowledge", S.REFERRED, S.ACKNOWLEDGED),
        ("record_outcome", S.ACKNOWLEDGED, S.OUTCOME_RECORDED),
        ("close", S.OUTCOME_RECORDED, S.CLOSED),
    ]
    assert [h.on for h in done.history] == [DAY - timedelta(days=3)] + [DAY + timedelta(days=i) for i in range(6)]
    assert [h.by for h in done.history][3:6] == ["staff-017", "welfare-003", "welfare-003"]
    assert (done.referral_id, done.debtor_ref) == ("R-0002", "anon-1111")
    assert shareable(done) == frozenset()  # closed: nothing more goes out


def test_same_day_referral_on_a_consultation_day():
    done = run(suggest("R-0003", "anon-2222", on=DAY),
               (E.INFORM, "collector", {"on": DAY}),
               (E.RECORD_CONSENT, "collector", {"on": DAY, "consent": CONSENT}),
               (E.REFER, "collector", {"on": DAY}))
    assert done.state is S.REFERRED and {h.on for h in done.history} == {DAY}


@pytest.mark.parametrize("informed_first", [False, True])
def test_decline_paths(informed_first):
    steps = [(E.INFORM, "collector", {})] if informed_first else []
    done = run(suggest("R-0004", "anon-3333", on=DAY), *steps, (E.DECLINE, "collector", {}),
               (E.CLOSE, "collector", {}))
    assert done.state is S.CLOSED and done.consent is None
    assert [h.kind for h in done.history] == ["suggest", *(["inform"] if informed_first else []), "decline", "close"]


def test_declined_at_welfare_is_an_outcome():
    done = run(at(S.ACKNOWLEDGED), (E.RECORD_OUTCOME, "welfare", {"outcome": "declined"}), (E.CLOSE, "collector", {}))
    assert done.state is S.CLOSED and done.outcome == "declined"


def test_supervisor_closes_with_reason_kept_in_history():
    done = apply(at(S.REFERRED), event(E.CLOSE, "supervisor", by="sup-001", reason="paid in full"))
    assert done.state is S.CLOSED and done.history[-1].reason == "paid in full"
    assert done.history[-1].by == "sup-001"


# --- consent and sharing ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", [S.SUGGESTED, S.INFORMED, S.DECLINED])
def test_nothing_shareable_before_consent(state):
    assert shareable(at(state)) == frozenset()


@pytest.mark.parametrize("state", sorted(WITH_CONSENT))
def test_exactly_the_consented_scope_after_consent(state):
    scope = frozenset({"contact", "household", "consultation_notes"})
    referral = at(state, consent=Consent("staff-017", DAY, scope))
    assert shareable(referral) == scope


def test_consent_recorded_then_shared():
    consented = apply(at(S.INFORMED), event(E.RECORD_CONSENT, "collector", consent=CONSENT))
    assert consented.consent == CONSENT and shareable(consented) == CONSENT.scope


def test_withdrawal_before_acknowledgement_goes_back_to_informed():
    referred = run(at(S.INFORMED), (E.RECORD_CONSENT, "collector", {"consent": CONSENT}), (E.REFER, "collector", {}))
    withdrawn = apply(referred, event(E.CONSENT_WITHDRAWN, "collector", on=DAY + timedelta(days=2)))
    assert withdrawn.state is S.INFORMED and withdrawn.consent is None and shareable(withdrawn) == frozenset()
    assert refused(withdrawn, event(E.REFER, "collector", on=DAY + timedelta(days=2))).startswith("consent missing")
    again = run(withdrawn, (E.RECORD_CONSENT, "collector", {"on": DAY + timedelta(days=3), "consent": CONSENT}))
    assert again.state is S.CONSENTED and shareable(again) == CONSENT.scope
    assert [h.kind for h in again.history][-3:] == ["refer", "consent_withdrawn", "record_consent"]


def test_withdrawal_after_acknowledgement_keeps_the_state_and_stops_sharing():
    withdrawn = apply(at(S.ACKNOWLEDGED), event(E.CONSENT_WITHDRAWN, "welfare"))
    assert withdrawn.state is S.ACKNOWLEDGED and shareable(withdrawn) == frozenset()
    outcome = apply(withdrawn, event(E.RECORD_OUTCOME, "welfare", outcome="not_needed"))
    assert outcome.state is S.OUTCOME_RECORDED and shareable(outcome) == frozenset()


def test_consent_validation():
    assert Consent("s", DAY, {"contact"}).scope == frozenset({"contact"})  # type: ignore[arg-type]
    assert CONSENT_SCOPES == {"contact", "arrears_summary", "departments", "household", "consultation_notes"}
    with pytest.raises(ValueError, match="unknown"):
        Consent("s", DAY, frozenset({"contact", "my_number"}))
    with pytest.raises(ValueError, match="empty"):
        Consent("s", DAY, frozenset())
    with pytest.raises(ValueError):
        Consent("", DAY, frozenset({"contact"}))


@pytest.mark.parametrize("state", [S.CONSENTED, S.REFERRED])
def test_a_referral_cannot_stand_in_consented_or_referred_without_consent(state):
    with pytest.raises(ValueError):
        Referral("R-0005", "anon-4444", state, None)


def test_referral_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        at(S.SUGGESTED).state = S.REFERRED  # type: ignore[misc]


# --- open states and the funnel -----------------------------------------------------------------------------------

@pytest.mark.parametrize("state", list(ReferralState))
def test_is_open(state):
    assert is_open(state) is (state is not S.CLOSED)
    assert is_open(state.value) is (state is not S.CLOSED)


def test_funnel_over_a_known_set():
    base = suggest("R", "anon", on=DAY)
    inform = (E.INFORM, "collector", {})
    consent = (E.RECORD_CONSENT, "collector", {"consent": CONSENT})
    refer = (E.REFER, "collector", {})
    ack = (E.ACKNOWLEDGE, "welfare", {})
    referrals = [
        base,  # only suggested
        run(base, inform, (E.DECLINE, "collector", {}), (E.CLOSE, "collector", {})),
        run(base, inform, consent, (E.CONSENT_WITHDRAWN, "collector", {})),
        run(base, inform, consent, refer, ack, (E.RECORD_OUTCOME, "welfare", {"outcome": "connected"}),
            (E.CLOSE, "collector", {})),
        run(base, inform, consent, refer, ack, (E.RECORD_OUTCOME, "welfare", {"outcome": "declined"})),
        run(base, inform, consent, refer, (E.CONSENT_WITHDRAWN, "welfare", {})),  # reached referred, then back
        run(base, (E.CLOSE, "supervisor", {"reason": "moved away"})),
    ]
    assert funnel(referrals) == FunnelCounts(suggested=7, informed=5, consented=4, referred=3, acknowledged=2,
                                             connected=1, declined=2, closed=3)
    assert funnel(iter(referrals)) == funnel(referrals)  # any iterable, read once
    assert funnel([]) == FunnelCounts()


# --- random event sequences -----------------------------------------------------------------------------------

NATURAL_ROLE = {E.INFORM: "collector", E.RECORD_CONSENT: "collector", E.DECLINE: "collector",
                E.REFER: "collector", E.ACKNOWLEDGE: "welfare", E.RECORD_OUTCOME: "welfare",
                E.CONSENT_WITHDRAWN: "collector", E.CLOSE: "collector"}
ROLES = ["collector", "welfare", "supervisor", "admin", "viewer"]
SCOPE_LIST = sorted(CONSENT_SCOPES)
ROWS = {(row.event, state, row.to_state) for row in TRANSITIONS for state in row.from_states}


def random_event(rng: random.Random, on: date, state: ReferralState) -> Event:
    """Mostly an event that moves forward from ``state`` (so walks get far down the chain), else any kind."""
    forward = sorted({row.event for row in TRANSITIONS if state in row.from_states} - {E.CLOSE, E.DECLINE})
    kind: str = rng.choice(forward) if forward and rng.random() < 0.6 else rng.choice([*EventKind, "bogus"])
    role = NATURAL_ROLE.get(kind, "collector") if rng.random() < 0.7 else rng.choice(ROLES)
    consent = None
    if rng.random() < 0.8:
        scope = frozenset(rng.sample(SCOPE_LIST, rng.randint(1, len(SCOPE_LIST))))
        consent = Consent("staff-017", on - timedelta(days=rng.choice([0, 0, 1, -1])), scope)
    outcome = rng.choice([None, "x", *(o.value for o in Outcome)])
    reason = rng.choice(["", "", "paid in full", "moved away"])
    return Event(kind, on, "staff-017", role, consent, outcome, reason)


def test_random_sequences_keep_the_invariants():
    rng = random.Random(20240710)
    seen_states: set[ReferralState] = set()
    applied = refusals = 0
    for n in range(2_000):
        referral = suggest(f"R-{n}", f"anon-{n}", on=DAY)
        on = DAY
        for _ in range(rng.randint(1, 16)):
            on += timedelta(days=-1 if rng.random() < 0.05 else rng.choice([0, 1, 3]))
            ev = random_event(rng, on, referral.state)
            before = referral
            try:
                referral = apply(referral, ev)
            except TransitionRefused as refusal:
                refusals += 1
                assert refusal.reason and f"anon-{n}" not in refusal.reason
                assert referral is before
                continue
            applied += 1
            assert before.state is not S.CLOSED, "closed is terminal"
            last = referral.history[-1]
            assert len(referral.history) == len(before.history) + 1 and referral.history[:-1] == before.history
            assert (last.kind, last.from_state, last.to_state) in ROWS
            assert referral.state is last.to_state
            seen_states.add(referral.state)
            # consent gating
            if referral.state in (S.CONSENTED, S.REFERRED):
                assert referral.consent is not None
            if last.kind == E.REFER:
                assert before.consent is not None and referral.consent == before.consent
            scope = referral.consent.scope if referral.consent else frozenset()
            assert shareable(referral) <= scope <= CONSENT_SCOPES
            if referral.consent is None:
                assert shareable(referral) == frozenset()
            assert is_open(referral.state) is (referral.state is not S.CLOSED)
        if referral.state is S.CLOSED:
            with pytest.raises(TransitionRefused, match="closed"):
                apply(referral, Event(E.CLOSE, on + timedelta(days=1), "sup", "supervisor", reason="again"))
            assert shareable(referral) == frozenset()
    assert seen_states == set(ReferralState) - {S.SUGGESTED}  # the random walk reached every state
    assert applied > 2_000 and refusals > 2_000
