"""From a debtor's standing to the signals' facts, what may leave for welfare under each consent, the funnel by
period and signal, and collection's side (the standing it publishes, the hold reason)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import DebtorStandingChanged, ExemptionFact, OverdueClaimFact, ReferralChanged
from services.collection.ledger import ArrearsClass, ClaimBalance, ClaimStatus, DebtorLedger
from services.collection.ledger import Claim as LedgerClaim
from services.collection.standing import fingerprint, standing_facts
from services.welfare_referral.assessment import check_details, months_between, referral_payload, situation
from services.welfare_referral.lifecycle import Consent, Event, apply, pauses_collection, suggest
from services.welfare_referral.report import ReferredPerson, funnel_rows, period_of
from services.welfare_referral.signals import load_policy, score

POLICY = load_policy()
AS_OF = date(2025, 1, 31)


def overdue(department: str, balance: int, due: date, receivable: str = "water_supply_charge",
            category: str = "private") -> OverdueClaimFact:
    return OverdueClaimFact(department=department, receivable_type=receivable, legal_category=category,
                            due_date=due, balance=balance)


STANDING = DebtorStandingChanged(
    debtor_id="D-1", as_of=AS_OF, version=3,
    overdue_claims=(overdue("tax", 42_000, date(2023, 6, 30), "individual_inhabitant_tax", "forced_public"),
                    overdue("water", 9_800, date(2024, 5, 31)),
                    overdue("water", 3_000, date(2024, 7, 31)),
                    overdue("insurance", 38_200, date(2024, 7, 31), "national_health_insurance_tax",
                            "forced_public")),
    collected_to_date=12_000, missed_installments=(date(2024, 12, 10),),
    exemption_applications=(ExemptionFact(applied_on=date(2024, 9, 1), reason="income_drop"),),
    execution_suspended=False, hardship_noted_on=date(2025, 1, 20))


def test_situation_reads_every_fact_of_the_standing() -> None:
    facts = situation(STANDING, POLICY, as_of=AS_OF)
    assert dict(facts.arrears_by_department) == {"tax": 42_000, "water": 12_800, "insurance": 38_200}
    assert facts.delinquent_claims == 4 and facts.small_arrears == 2  # 9,800 and 3,000 are under 10,000 yen
    assert facts.missed_installments == (date(2024, 12, 10),)
    assert facts.exemption_applications == ((date(2024, 9, 1), "income_drop"),)
    assert facts.hardship_noted and not facts.execution_suspended
    assert facts.months_in_arrears == 19  # 2023-06-30 → 2025-01-31


def test_the_standing_scores_with_reasons_and_no_personal_data() -> None:
    result = score(situation(STANDING, POLICY, as_of=AS_OF), POLICY, as_of=AS_OF)
    assert [s.id for s in result.signals] == ["multiple_departments", "missed_installment", "exemption_application",
                                              "hardship_noted", "long_arrears"]
    assert result.points == 3 + 2 + 3 + 5 + 1 and result.suggest


def test_hardship_noted_counts_for_a_year_only() -> None:
    assert situation(STANDING, POLICY, as_of=date(2026, 1, 20)).hardship_noted
    assert not situation(STANDING, POLICY, as_of=date(2026, 1, 21)).hardship_noted


@pytest.mark.parametrize(("earlier", "later", "months"), [
    (date(2024, 1, 31), date(2024, 2, 29), 0), (date(2024, 1, 31), date(2024, 3, 1), 1),
    (date(2024, 5, 1), date(2025, 5, 1), 12), (date(2025, 2, 1), date(2025, 1, 1), 0)])
def test_months_between(earlier: date, later: date, months: int) -> None:
    assert months_between(earlier, later) == months


def consented(*scope: str) -> object:
    referral = suggest("R1", "D-1", on=AS_OF)
    referral = apply(referral, Event("inform", AS_OF, "c1", "collector"))
    return apply(referral, Event("record_consent", AS_OF, "c1", "collector",
                                 consent=Consent("c1", AS_OF, frozenset(scope))))


def test_nothing_personal_leaves_without_consent() -> None:
    referral = apply(suggest("R1", "D-1", on=AS_OF), Event("inform", AS_OF, "c1", "collector"))
    body = referral_payload(referral, signals=["multiple_departments"], reasons=["arrears in 3 departments"],
                            standing=STANDING, details={"contact": "090"}, event="inform", sent_on="2025-01-31")
    assert body == {"referral_id": "R1", "debtor_ref": "D-1", "event": "inform", "state": "informed",
                    "sent_on": "2025-01-31", "shared_scope": [], "scope_policy": "consent-scopes.v1"}


def test_only_the_consented_scope_leaves() -> None:
    body = referral_payload(consented("arrears_summary", "contact"), signals=["long_arrears", "hardship_noted"],
                            reasons=["arrears outstanding for 19 months (長期滞納)", "hardship noted"],
                            standing=STANDING, details={"contact": "090-1111-2222", "household": "単身"},
                            event="refer", sent_on="2025-01-31")
    assert body["arrears_summary"] == {"overdue_claims": 4, "overdue_yen": 93_000, "oldest_due_date": "2023-06-30"}
    assert body["contact"] == "090-1111-2222"
    assert body["signals"] == [{"id": "long_arrears", "reason": "arrears outstanding for 19 months (長期滞納)"}]
    assert "household" not in body and "departments" not in body
    everything = referral_payload(consented("departments", "household"), signals=[], reasons=[], standing=STANDING,
                                  details={"household": "単身"}, event="refer", sent_on="2025-01-31")
    assert everything["departments"] == ["insurance", "tax", "water"] and everything["household"] == "単身"
    assert "arrears_summary" not in everything and "contact" not in everything


def test_details_beyond_the_consent_are_refused_naming_the_field() -> None:
    scope = frozenset({"contact"})
    check_details({"contact": "090"}, scope)
    with pytest.raises(ValueError, match=r"details\.household: the person did not consent"):
        check_details({"household": "単身"}, scope)
    with pytest.raises(ValueError, match=r"details\.arrears_summary: comes from collection"):
        check_details({"arrears_summary": "x"}, frozenset({"arrears_summary"}))
    with pytest.raises(ValueError, match=r"details\.income: is not a data category"):
        check_details({"income": "x"}, scope)
    with pytest.raises(ValueError, match=r"details\.contact: must be a non-empty"):
        check_details({"contact": ""}, scope)


@pytest.mark.parametrize(("state", "pauses"), [
    ("suggested", False), ("informed", True), ("consented", True), ("referred", True), ("acknowledged", True),
    ("outcome_recorded", True), ("declined", False), ("closed", False)])
def test_collection_pauses_from_inform_until_close(state: str, pauses: bool) -> None:
    assert pauses_collection(state) is pauses
    change = dict(referral_id="R1", debtor_id="D-1", state=state, open=state != "closed", changed_on=AS_OF,
                  version=2)
    ReferralChanged(**change, pauses_collection=pauses)
    if not pauses:
        with pytest.raises(ValueError, match="does not pause collection"):
            ReferralChanged(**change, pauses_collection=True)


def test_the_message_refuses_open_and_closed_at_once() -> None:
    with pytest.raises(ValueError, match="open must be false exactly when the state is closed"):
        ReferralChanged(referral_id="R1", debtor_id="D", state="closed", open=True, pauses_collection=False,
                        changed_on=AS_OF, version=1)


def person(referral: object, on: date, signals: tuple[str, ...], base: int, now: int, paid: int) -> ReferredPerson:
    return ReferredPerson(referral, on, signals, base, 1_000, now, 1_000 + paid)  # type: ignore[arg-type]


def test_funnel_by_month_and_signal_with_collection_results() -> None:
    a = apply(apply(consented("contact"), Event("refer", AS_OF, "c1", "collector")),
              Event("acknowledge", AS_OF, "w1", "welfare"))
    a = apply(a, Event("record_outcome", AS_OF, "w1", "welfare", outcome="connected"))
    b = apply(suggest("R2", "D-2", on=AS_OF), Event("decline", AS_OF, "c1", "collector"))
    c = suggest("R3", "D-3", on=date(2025, 2, 3))
    rows = funnel_rows([person(a, AS_OF, ("hardship_noted", "multiple_departments"), 90_000, 60_000, 30_000),
                        person(b, date(2025, 1, 5), ("multiple_departments",), 10_000, 10_000, 0),
                        person(c, date(2025, 2, 3), ("hardship_noted",), 5_000, 5_000, 0)])
    table = {(r.period, r.signal): r for r in rows}
    assert list(table) == [("2025-01", "all"), ("2025-01", "hardship_noted"), ("2025-01", "multiple_departments"),
                           ("2025-02", "all"), ("2025-02", "hardship_noted")]
    jan = table[("2025-01", "all")]
    assert (jan.suggested, jan.informed, jan.consented, jan.referred, jan.acknowledged, jan.connected,
            jan.declined) == (2, 1, 1, 1, 1, 1, 1)
    assert (jan.arrears_at_suggestion, jan.arrears_now, jan.collected_since) == (100_000, 70_000, 30_000)
    assert table[("2025-01", "hardship_noted")].connected == 1 and table[("2025-02", "all")].suggested == 1
    assert [r.signal for r in funnel_rows([person(c, c.history[0].on, ("x",), 0, 0, 0)], by_signal=False)] == ["all"]


@pytest.mark.parametrize(("day", "period", "label"), [
    (date(2025, 3, 31), "fiscal_year", "FY2024"), (date(2025, 4, 1), "fiscal_year", "FY2025"),
    (date(2025, 4, 1), "month", "2025-04"), (date(2025, 4, 1), "all", "all")])
def test_periods(day: date, period: str, label: str) -> None:
    assert period_of(day, period) == label
    with pytest.raises(ValueError, match="period"):
        period_of(day, "week")


def ledger_claim(department: str, claim_id: str, amount: int, due: date, paid: int) -> ClaimBalance:
    claim = LedgerClaim(department=department, claim_id=claim_id, receivable_type="water_supply_charge",
                        legal_category="private", fiscal_year=2024, installment=1, due_date=due, amount=amount,
                        assessed_on=date(2024, 4, 1))
    status = ClaimStatus.PAID if paid >= amount else ClaimStatus.DELINQUENT
    return ClaimBalance(claim=claim, principal=amount, paid=paid, status=status,
                        arrears_class=ArrearsClass.CURRENT_YEAR)


def test_collection_publishes_facts_without_claim_ids_and_only_when_they_change() -> None:
    ledger = DebtorLedger(as_of=AS_OF, claims=[ledger_claim("water", "W-1", 9_800, date(2024, 5, 31), 800),
                                               ledger_claim("water", "W-2", 5_000, date(2024, 6, 30), 5_000)])
    standing = standing_facts("D-9", ledger, as_of=AS_OF, missed=[date(2024, 12, 10), date(2024, 12, 10)],
                              exemptions=[(date(2024, 9, 1), "hardship")], execution_suspended=True,
                              hardship_noted_on=None, version=2)
    assert [c.balance for c in standing.overdue_claims] == [9_000]
    assert standing.collected_to_date == 5_800 and standing.missed_installments == (date(2024, 12, 10),)
    assert "W-1" not in standing.model_dump_json()
    later = standing_facts("D-9", ledger, as_of=date(2025, 2, 1), missed=[date(2024, 12, 10)],
                           exemptions=[(date(2024, 9, 1), "hardship")], execution_suspended=True,
                           hardship_noted_on=None, version=3)
    assert fingerprint(later) == fingerprint(standing)  # a new day alone is no news
    noted = standing_facts("D-9", ledger, as_of=AS_OF, missed=[date(2024, 12, 10)],
                           exemptions=[(date(2024, 9, 1), "hardship")], execution_suspended=True,
                           hardship_noted_on=AS_OF, version=3)
    assert fingerprint(noted) != fingerprint(standing)


def test_a_delivery_is_signed_by_every_secret_so_the_receiver_can_rotate() -> None:
    from services.welfare_referral.delivery import signature_header
    from services.welfare_referral.signing import SignatureError, verify

    header = signature_header([b"new-secret", b"old-secret"], b'{"referral_id":"R1"}', 1_700_000_000)
    assert header.count("v1=") == 2 and header.startswith("t=1700000000,")
    for secret in (b"new-secret", b"old-secret"):
        verify(secret, b'{"referral_id":"R1"}', header, now=1_700_000_010)
    with pytest.raises(SignatureError, match="bad signature"):
        verify(b"new-secret", b'{"referral_id":"R2"}', header, now=1_700_000_010)


def test_the_hold_reason_names_the_referral_and_its_signals_only() -> None:
    from services.collection.cases import referral_hold_reason

    change = ReferralChanged(referral_id="R1", debtor_id="D-1", state="informed", open=True, pauses_collection=True,
                             signals=("hardship_noted",), changed_on=AS_OF, version=2)
    assert referral_hold_reason(change) == ("welfare referral R1 informed (signals: hardship_noted): "
                                            "escalation paused")
