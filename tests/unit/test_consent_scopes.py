"""The one filter of what welfare sees (consent_scopes.consented_view): every consent scope combination against
every hardship signal and every personal-data field, withdrawal and closing, the webhook and the inbox through
the same function, lists without free text, welfare's notes never shown to collection, and the policy file's
validation. Planted texts are real Japanese (病気, DV, 髙﨑) so a leak is found by searching the JSON."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import date

import pytest

from contracts import DebtorStandingChanged, OverdueClaimFact
from services.welfare_referral.assessment import referral_payload
from services.welfare_referral.consent_scopes import (
    DEFAULT_SCOPES_PATH,
    KNOWN_SIGNALS,
    STAFF_JUDGEMENT,
    consented_view,
    default_scopes,
    list_reasons,
    load_scopes,
    parse_scopes,
    referral_record,
    visible_reason,
    welfare_detail,
)
from services.welfare_referral.lifecycle import CONSENT_SCOPES, Consent, Event, apply, shareable, suggest
from services.welfare_referral.signals import SIGNAL_IDS

SCOPES = default_scopes()
AS_OF = date(2025, 1, 31)
STANDING = DebtorStandingChanged(
    debtor_id="D-9", as_of=AS_OF, version=1,
    overdue_claims=(OverdueClaimFact(department="tax", receivable_type="individual_inhabitant_tax",
                                     legal_category="forced_public", due_date=date(2022, 6, 30), balance=42_000),
                    OverdueClaimFact(department="childcare", receivable_type="childcare_fee",
                                     legal_category="forced_public", due_date=date(2024, 5, 31), balance=31_337)),
    collected_to_date=0)
#: One planted marker per signal: its reason text, findable in any JSON that carries it.
REASONS = {signal: f"理由-{signal}-病気とDVの申出" for signal in KNOWN_SIGNALS}
#: One planted marker per field staff enter.
DETAILS = {"contact": "090-4444-5555 髙﨑様 平日夕方", "household": "世帯-単身-母子",
           "consultation_notes": "相談記録-病気で失職-DV避難中"}
ALL_SUBSETS = [frozenset(c) for n in range(len(CONSENT_SCOPES) + 1)
               for c in itertools.combinations(sorted(CONSENT_SCOPES), n)]


def full_record() -> dict:
    return referral_record(referral_id="R1", debtor_ref="D-9", state="referred", signals=list(REASONS),
                           reasons=list(REASONS.values()), standing=STANDING, details=DETAILS, event="refer",
                           sent_on="2025-01-31")


def field_markers() -> dict[str, str]:
    """Each personal-data field → a text that is in the JSON only when the field is."""
    return {"contact": DETAILS["contact"], "household": DETAILS["household"],
            "consultation_notes": DETAILS["consultation_notes"], "departments": '"childcare"',
            "arrears_summary": "73337"}


def test_every_scope_combination_against_every_signal_and_field() -> None:
    checked = leaked = 0
    record = full_record()
    assert set(field_markers()) == set(SCOPES.fields)  # every field of the policy is planted
    for consented in ALL_SUBSETS:
        view = consented_view(record, consented, SCOPES)
        raw = json.dumps(view, ensure_ascii=False)
        shown = {s["id"] for s in view.get("signals", [])}
        for signal in KNOWN_SIGNALS:
            expected = SCOPES.signals[signal].scopes <= consented
            checked += 1
            leaked += (REASONS[signal] in raw) and not expected
            assert (signal in shown) is expected, (signal, sorted(consented))
            assert (REASONS[signal] in raw) is expected, (signal, sorted(consented))
        for field, marker in field_markers().items():
            expected = SCOPES.fields[field] <= consented
            checked += 1
            leaked += (marker in raw) and not expected
            assert (field in view) is expected and (marker in raw) is expected, (field, sorted(consented))
        assert view["shared_scope"] == sorted(consented)
    print(f"consent scopes: {len(KNOWN_SIGNALS) + len(SCOPES.fields)} signals and fields × {len(ALL_SUBSETS)} "
          f"scope combinations = {checked} checks, {leaked} leaked")
    assert leaked == 0


def test_contact_only_carries_no_department_no_arrears_no_free_text() -> None:
    """The issue's case: contact-only consent still carried 'tax, insurance, childcare', '31 months' and a
    collector's words about illness and domestic violence."""
    view = consented_view(full_record(), {"contact"}, SCOPES)
    raw = json.dumps(view, ensure_ascii=False)
    assert view["contact"] == DETAILS["contact"]
    for word in ("tax", "childcare", "73337", "2022-06-30", "病気", "DV", "世帯", "signals"):
        assert word not in raw, word


def test_a_field_or_signal_the_policy_does_not_name_never_shows() -> None:
    record = {**full_record(), "income": "月収8万円", "points": 13,
              "signals": [{"id": "new_signal", "reason": "未登録の理由"}]}
    view = consented_view(record, CONSENT_SCOPES, SCOPES)
    raw = json.dumps(view, ensure_ascii=False)
    assert "income" not in view and "points" not in view and "未登録" not in raw


def test_the_filter_is_idempotent_and_narrows_a_stored_body() -> None:
    for wide, narrow in itertools.product(ALL_SUBSETS, repeat=2):
        if not narrow <= wide:
            continue
        stored = consented_view(full_record(), wide, SCOPES)
        assert consented_view(stored, wide, SCOPES) == stored
        assert consented_view(stored, narrow, SCOPES) == consented_view(full_record(), narrow, SCOPES)


def referred(*scope: str) -> object:
    referral = suggest("R1", "D-9", on=AS_OF)
    for event in (Event("inform", AS_OF, "c1", "collector"),
                  Event("record_consent", AS_OF, "c1", "collector", consent=Consent("c1", AS_OF, frozenset(scope))),
                  Event("refer", AS_OF, "c1", "collector")):
        referral = apply(referral, event)
    return referral


def payload(referral: object, **always: str) -> dict:
    return referral_payload(referral, signals=list(REASONS), reasons=list(REASONS.values()), standing=STANDING,
                            details=DETAILS, **always)


@pytest.mark.parametrize("scope", sorted(CONSENT_SCOPES))
def test_withdrawal_hides_everything_the_consent_covered(scope: str) -> None:
    acknowledged = apply(referred(*CONSENT_SCOPES), Event("acknowledge", AS_OF, "w1", "welfare"))
    before = payload(acknowledged, referred_on="2025-01-31")
    assert scope in before["shared_scope"]
    withdrawn = apply(acknowledged, Event("consent_withdrawn", AS_OF, "w1", "welfare"))
    assert withdrawn.state == "acknowledged" and shareable(withdrawn) == frozenset()
    inbox = payload(withdrawn, referred_on="2025-01-31")
    assert inbox == {"referral_id": "R1", "debtor_ref": "D-9", "state": "acknowledged", "referred_on": "2025-01-31",
                     "shared_scope": [], "scope_policy": SCOPES.version}
    # a webhook body written before the withdrawal and not delivered yet, filtered again
    pending = payload(acknowledged, event="refer", sent_on="2025-01-31")
    redacted = consented_view(pending, shareable(withdrawn), SCOPES)
    assert set(redacted) == {"referral_id", "debtor_ref", "event", "state", "sent_on", "shared_scope",
                             "scope_policy"}


def test_a_closed_referral_shares_nothing() -> None:
    closed = apply(referred("contact", "departments"), Event("close", AS_OF, "s1", "supervisor", reason="転出"))
    assert "contact" not in payload(closed) and "signals" not in payload(closed)


def test_webhook_and_inbox_agree_under_every_consent() -> None:
    """The same function: a webhook body and an inbox item differ only in their delivery keys."""
    for consented in ALL_SUBSETS:
        if not consented:
            continue
        referral = referred(*consented)
        webhook = payload(referral, event="refer", sent_on="2025-01-31")
        inbox = payload(referral, referred_on="2025-01-31")
        strip = ("event", "sent_on", "referred_on")
        assert {k: v for k, v in webhook.items() if k not in strip} == \
            {k: v for k, v in inbox.items() if k not in strip}


def test_lists_carry_codes_and_generated_reasons_not_free_text() -> None:
    reasons = list_reasons([STAFF_JUDGEMENT, "long_arrears"],
                           ["staff judgement (職員の判断): 病気で働けずDV被害の相談", "arrears outstanding for 31 months"],
                           SCOPES)
    assert reasons == ["staff judgement (職員の判断)", "arrears outstanding for 31 months"]
    assert list_reasons(["unknown_signal"], ["何か"], SCOPES) == ["unknown_signal"]
    free_text = [s for s, rule in SCOPES.signals.items() if rule.free_text]
    assert free_text == [STAFF_JUDGEMENT]


@pytest.mark.parametrize(("written_in", "reader", "shown"), [
    ("welfare", {"collector"}, False), ("welfare", {"supervisor", "admin"}, False), ("welfare", {"viewer"}, False),
    ("welfare", {"welfare"}, True), ("welfare", {"collector", "welfare"}, True),
    ("collector", {"collector"}, True), ("supervisor", {"collector"}, True), ("collector", {"welfare"}, False),
    ("supervisor", {"welfare"}, False), ("collector", {"welfare", "viewer"}, True)])
def test_each_sides_words_stay_on_its_side(written_in: str, reader: set[str], shown: bool) -> None:
    note = "自立相談支援機関で家計改善支援を開始、DV相談窓口へ同行"
    assert (visible_reason(written_in, note, reader) == note) is shown
    if not shown:
        assert visible_reason(written_in, note, reader) == ""


@pytest.mark.parametrize("consented", ALL_SUBSETS)
def test_a_welfare_reader_of_one_referral_sees_only_the_consented_signals(consented: frozenset[str]) -> None:
    detail = welfare_detail(signals=list(REASONS), reasons=list(REASONS.values()), shared_details=DETAILS,
                            consented=consented, policy=SCOPES)
    assert detail["signals"] == [s for s in KNOWN_SIGNALS if SCOPES.signals[s].scopes <= consented]
    assert detail["reasons"] == [REASONS[s] for s in detail["signals"]]
    assert set(detail["shared_details"] or {}) == {k for k in DETAILS if SCOPES.fields[k] <= consented}
    assert detail["points"] is None and detail["baseline_arrears"] is None


def test_the_shipped_policy_assigns_every_signal_and_scope() -> None:
    policy = load_scopes()
    assert set(policy.signals) == {*SIGNAL_IDS, STAFF_JUDGEMENT}
    assert set(policy.scopes) == CONSENT_SCOPES
    assert set().union(*policy.fields.values()) <= CONSENT_SCOPES


def raw_policy() -> dict:
    return json.loads(DEFAULT_SCOPES_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: p["signals"].pop("hardship_noted"), r"signals: no scope for signal id\(s\) hardship_noted"),
    (lambda p: p["signals"].update(other={"scopes": ["contact"], "label": "x"}), r"unknown signal id\(s\) other"),
    (lambda p: p["signals"]["long_arrears"].update(scopes=["income"]),
     r"signals\.long_arrears\.scopes: unknown scope\(s\) income"),
    (lambda p: p["signals"]["long_arrears"].update(scopes=[]), r"signals\.long_arrears\.scopes: must be a non-empty"),
    (lambda p: p["signals"]["long_arrears"].pop("label"), r"signals\.long_arrears\.label"),
    (lambda p: p["scopes"].pop("household"), r"scopes: must describe exactly the consent categories"),
    (lambda p: p["fields"].update(contact=["phone"]), r"fields\.contact: unknown scope\(s\) phone"),
    (lambda p: p["always"].update(contact="x"), r"fields: contact also listed under always"),
    (lambda p: p.update(version=""), r"version: must be a non-empty string"),
    (lambda p: p.update(effective_from="令和6年4月1日"), r"effective_from: must be a date"),
    (lambda p: p.update(extra=1), r"consent scopes: unknown key\(s\) extra"),
])
def test_a_bad_policy_is_refused_naming_the_entry(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    policy = copy.deepcopy(raw_policy())
    edit(policy)
    with pytest.raises(ValueError, match=message):
        parse_scopes(policy)
