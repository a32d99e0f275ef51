"""Prescription (時効), table by table: periods per receivable and category, the 民法143条 calendar (leap days,
month ends), renewal and suspension by events, 執行停止, invocation, alerts, invalid input, and random event
sequences checked against the invariants."""

import json
import random
from datetime import date, datetime, timedelta

import pytest

from contracts.enums import LegalCategory
from contracts.receivables import RECEIVABLES
from services.collection.prescription import (
    DEFAULT_TABLE_PATH,
    EVENT_KINDS,
    PrescriptionClaim,
    PrescriptionEvent,
    PrescriptionState,
    PrescriptionTable,
    default_prescription_table,
    load_prescription_table,
    period_last_day,
    prescription,
)

D = date.fromisoformat
TABLE = default_prescription_table()
FAR = D("2060-01-01")  # an as-of date after everything: what the events alone establish


def claim(receivable: str, due: str, *, category: str | None = None, arose: str | None = None) -> PrescriptionClaim:
    """A claim with the catalogue's default category; assessed two months before the due date unless told."""
    due_on = D(due)
    return PrescriptionClaim(
        claim_id="C-1",
        receivable_type=receivable,
        legal_category=category or RECEIVABLES[receivable].default_category,
        due_date=due_on,
        arose_on=D(arose) if arose else due_on - timedelta(days=60),
    )


def ev(on: str, kind: str) -> PrescriptionEvent:
    return PrescriptionEvent(D(on), kind)  # type: ignore[arg-type]


def run(c: PrescriptionClaim, *events: PrescriptionEvent, as_of: str | None = None) -> PrescriptionState:
    return prescription(c, events, table=TABLE, as_of=D(as_of) if as_of else None)


# --- periods per receivable and category -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("case", "receivable", "category", "arose", "due", "rule", "completes", "invocation"),
    [
        # 地方税法18条: 5 years from the day after the due date; due 05-31 → starts 06-01 → ends 5 years on, 05-31.
        ("tax, 5 years, no invocation", "fixed_asset_tax", None, None, "2024-05-31", "local_tax", "2029-05-31",
         False),
        ("inhabitant tax", "individual_inhabitant_tax", None, None, "2024-06-30", "local_tax", "2029-06-30", False),
        # 国民健康保険税 is a tax (税), not a premium levied as 料: 5 years like any local tax.
        ("国民健康保険税: 税, 5 years", "national_health_insurance_tax", None, None, "2024-07-31", "local_tax",
         "2029-07-31", False),
        # 介護保険料 and 後期高齢者医療保険料 are levied as 料: 2 years (介護保険法200条, 高齢者医療確保法160条).
        ("介護保険料: 料, 2 years", "long_term_care_premium", None, None, "2024-05-31", "long_term_care_premium",
         "2026-05-31", False),
        ("後期高齢者医療保険料: 料, 2 years", "late_elderly_medical_premium", None, None, "2024-07-31",
         "late_elderly_medical_premium", "2026-07-31", False),
        # Other public claims: 地方自治法236条, 5 years, extinguished without invocation.
        ("保育料: public claim", "nursery_fee", None, None, "2024-04-30", "public_claim", "2029-04-30", False),
        ("下水道使用料: public claim", "sewerage_charge", None, None, "2024-04-30", "public_claim", "2029-04-30",
         False),
        # A water bill after the 2020 reform: 5 years from the due date (the creditor knows then; the 10 years of
        # 民法166条1項2号 run from the same day, so 5 years comes first); the debtor must invoke it.
        ("water after 2020: 5 years, invocation", "water_supply_charge", None, "2023-04-10", "2023-05-31",
         "private_claim", "2028-05-31", True),
        # Arose in 2019: the old Civil Code stays (附則10条4項): water 2 years under 旧民法173条1号.
        ("water from 2019: 2 years, old rule", "water_supply_charge", None, "2019-11-01", "2019-11-30",
         "water_supply_charge_pre2020", "2021-11-30", True),
        # The boundary is the date the claim arose, not the due date: both bills fall due 2020-04-30.
        ("water arisen 2020-03-31: old rule", "water_supply_charge", None, "2020-03-31", "2020-04-30",
         "water_supply_charge_pre2020", "2022-04-30", True),
        ("water arisen 2020-04-01: new rule", "water_supply_charge", None, "2020-04-01", "2020-04-30",
         "private_claim", "2025-04-30", True),
        ("school lunch from 2019: 旧民法173条3号, 2 years", "school_lunch_fee", None, "2019-09-01", "2019-09-30",
         "school_lunch_fee_pre2020", "2021-09-30", True),
        ("housing rent from 2019: 旧民法169条, 5 years", "municipal_housing_rent", None, "2019-09-01",
         "2019-09-30", "municipal_housing_rent_pre2020", "2024-09-30", True),
        ("housing rent after 2020: private, 5 years", "municipal_housing_rent", None, "2023-09-01", "2023-09-30",
         "private_claim", "2028-09-30", True),
        # A city that treats 市営住宅使用料 as a non-forced public claim: 地方自治法236条, no invocation, whatever
        # the date it arose.
        ("housing rent as non-forced public claim", "municipal_housing_rent", "non_forced_public", "2019-09-01",
         "2019-09-30", "public_claim", "2024-09-30", False),
    ],
)
def test_period_per_receivable(case, receivable, category, arose, due, rule, completes, invocation):
    state = run(claim(receivable, due, category=category, arose=arose))
    assert state.rule_id == rule, case
    assert state.period_starts_on == D(due) + timedelta(days=1), case  # 起算日: 納期限の翌日
    assert state.completes_on == D(completes), case
    assert state.needs_invocation is invocation, case
    assert state.extinguished_on is None, case  # as of the due date nothing has happened yet
    assert state.table_version == "prescription.v1"


@pytest.mark.parametrize(
    ("case", "receivable", "due", "as_of", "extinguished"),
    [
        # A public claim dies at the end of its last day: still alive on it, extinguished from the next day.
        ("tax, on the last day", "fixed_asset_tax", "2024-05-31", "2029-05-31", None),
        ("tax, the day after", "fixed_asset_tax", "2024-05-31", "2029-06-01", "2029-05-31"),
        ("介護保険料, the day after 2 years", "long_term_care_premium", "2024-05-31", "2026-06-01", "2026-05-31"),
        # A private claim never dies by the running of time alone: the debtor must invoke it (民法145条).
        ("water after 2020, long after completion", "water_supply_charge", "2023-05-31", "2035-01-01", None),
    ],
)
def test_extinction_without_events(case, receivable, due, as_of, extinguished):
    state = run(claim(receivable, due, arose="2023-04-10" if receivable == "water_supply_charge" else None),
                as_of=as_of)
    assert state.extinguished_on == (D(extinguished) if extinguished else None), case
    assert state.extinguished_by == ("prescription" if extinguished else None), case


def test_every_catalogue_receivable_has_a_rule_before_and_after_the_reform():
    # The table must cover the whole catalogue with its default categories, for old and new claims alike.
    for code, spec in RECEIVABLES.items():
        for arose in ("2019-06-01", "2024-06-01"):
            c = claim(code, "2024-07-31" if arose > "2020" else "2019-07-31", arose=arose)
            state = run(c)
            assert state.needs_invocation is (spec.default_category is LegalCategory.PRIVATE), code


# --- the calendar (民法140条・143条) --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "years", "months", "last"),
    [
        ("2024-06-01", 5, 0, "2029-05-31"),  # the day before the corresponding day
        ("2024-01-01", 5, 0, "2028-12-31"),  # a period from the start of a year ends at the end of a year
        ("2024-03-01", 5, 0, "2029-02-28"),  # due on the leap day 2024-02-29
        ("2024-02-29", 5, 0, "2029-02-28"),  # no 02-29 in 2029: the end of that month (143条2項ただし書)
        ("2023-03-01", 5, 0, "2028-02-29"),  # the day before 2028-03-01 is the leap day, not "due + 5 years"
        ("2029-01-11", 0, 6, "2029-07-10"),
        ("2028-08-31", 0, 6, "2029-02-28"),  # no 02-31: the end of February
        ("2024-12-31", 0, 6, "2025-06-30"),  # no 06-31: the end of June
        ("2025-01-16", 3, 0, "2028-01-15"),
    ],
)
def test_period_last_day(start, years, months, last):
    assert period_last_day(D(start), years=years, months=months) == D(last)


def test_period_last_day_rejects_an_empty_period():
    with pytest.raises(ValueError, match="months"):
        period_last_day(D("2024-01-01"))


@pytest.mark.parametrize(
    ("case", "receivable", "due", "completes"),
    [
        ("tax due on the leap day", "fixed_asset_tax", "2024-02-29", "2029-02-28"),  # starts 03-01
        ("tax due the day before the leap day", "fixed_asset_tax", "2024-02-28", "2029-02-28"),  # starts 02-29
        ("tax due 2023-02-28 ends on a leap day", "fixed_asset_tax", "2023-02-28", "2028-02-29"),  # starts 03-01
        ("介護保険料 due on the leap day", "long_term_care_premium", "2024-02-29", "2026-02-28"),
    ],
)
def test_leap_day_due_dates(case, receivable, due, completes):
    assert run(claim(receivable, due)).completes_on == D(completes), case


def test_renewal_on_and_around_a_leap_day():
    # A payment on 2028-02-28 starts the new period on the leap day 2028-02-29; 2033 has no 02-29, so it ends at
    # the end of February. A payment on the leap day starts it on 03-01: the same last day.
    tax = claim("fixed_asset_tax", "2023-02-28")
    assert run(tax, ev("2028-02-28", "payment")).completes_on == D("2033-02-28")
    assert run(tax, ev("2028-02-29", "payment")).completes_on == D("2033-02-28")


# --- events -----------------------------------------------------------------------------------------------------

TAX = claim("fixed_asset_tax", "2024-05-31")  # completes 2029-05-31 without events
CARE = claim("long_term_care_premium", "2024-05-31")  # completes 2026-05-31
WATER = claim("water_supply_charge", "2023-05-31", arose="2023-04-10")  # completes 2028-05-31, invocation needed
OLD_WATER = claim("water_supply_charge", "2019-11-30", arose="2019-11-01")  # completes 2021-11-30
HOUSING_PUBLIC = claim("municipal_housing_rent", "2023-09-30", category="non_forced_public")  # 2028-09-30


@pytest.mark.parametrize(
    ("case", "c", "events", "starts", "completes"),
    [
        # Acknowledgement (承認, 民法152条): the period restarts the next day, same length.
        ("payment renews", TAX, [("2025-03-10", "payment")], "2025-03-11", "2030-03-10"),
        ("installment pledge renews", CARE, [("2025-01-20", "installment_pledge")], "2025-01-21", "2027-01-20"),
        ("payment on a private claim renews", WATER, [("2026-02-01", "payment")], "2026-02-02", "2031-02-01"),
        # A payment before the period starts is not an acknowledgement of arrears: nothing changes.
        ("payment before the due date", TAX, [("2024-05-20", "payment")], "2024-06-01", "2029-05-31"),
        # The first 督促 renews a public claim (地方自治法236条4項; 介護保険法200条2項) ...
        ("first 督促 renews a premium", CARE, [("2024-06-20", "demand_notice")], "2024-06-21", "2026-06-20"),
        # ... and a second one does not (only the first counts; not treated as 催告 either).
        ("second 督促 does not renew", CARE, [("2024-06-20", "demand_notice"), ("2026-05-01", "demand_notice")],
         "2024-06-21", "2026-06-20"),
        # For a tax the period runs anew after the day on which 10 days counted from the sending date have passed
        # (地方税法18条の2第1項2号): sent 06-20 → the 10th day passes on 06-30 → new period from 07-01.
        ("tax 督促: 10 days, then renewed", TAX, [("2024-06-20", "demand_notice")], "2024-07-01", "2029-06-30"),
        # A payment inside those 10 days does not cut the longer period short.
        ("payment within the tax 督促's 10 days", TAX, [("2024-06-20", "demand_notice"), ("2024-06-25", "payment")],
         "2024-07-01", "2029-06-30"),
        ("first 督促 renews a non-forced public claim", HOUSING_PUBLIC, [("2023-10-20", "demand_notice")],
         "2023-10-21", "2028-10-20"),
        # Seizure suspends while it lasts and renews when it ends (民法148条): ended 2028-02-10 → from 02-11.
        ("seizure renews when it ends", TAX, [("2027-08-01", "seizure"), ("2028-02-10", "seizure_ended")],
         "2028-02-11", "2033-02-10"),
    ],
)
def test_renewal(case, c, events, starts, completes):
    state = run(c, *(ev(on, kind) for on, kind in events))
    assert state.period_starts_on == D(starts), case
    assert state.completes_on == D(completes), case


def test_explanation_names_the_statute_of_each_step():
    state = run(TAX, ev("2025-03-10", "payment"))
    assert state.explanation[0].startswith("2024-06-01 start: 5 years under 地方税法18条1項")
    assert state.explanation[1].startswith("2025-03-10 payment: acknowledgement (承認) renews the period (民法152条")
    assert state.explanation[1].endswith("new period 2025-03-11 … 2030-03-10")
    assert state.explanation[-1] == "as of 2025-03-10: completes at the end of 2030-03-10"
    second = run(CARE, ev("2024-06-20", "demand_notice"), ev("2025-01-10", "demand_notice"))
    assert second.explanation[2].startswith("2025-01-10 demand_notice: no effect, the first 督促 renews the period "
                                            "(介護保険法200条2項), a later one does not")


@pytest.mark.parametrize(
    ("case", "c", "events", "completes"),
    [
        # 催告 (民法150条): completion cannot happen until 6 months after it: 2028-03-01 → end of 2028-09-01.
        ("催告 near the end suspends 6 months", WATER, [("2028-03-01", "reminder")], "2028-09-01"),
        # A second 催告 while the first one's suspension runs does nothing (民法150条2項).
        ("second 催告 within the suspension ignored", WATER, [("2028-03-01", "reminder"), ("2028-06-01", "reminder")],
         "2028-09-01"),
        # After the suspension ended in completion, a 催告 is too late.
        ("催告 after completion", WATER, [("2028-03-01", "reminder"), ("2028-10-01", "reminder")], "2028-09-01"),
        # Early in the period the 6 months end long before completion: nothing changes ...
        ("催告 early in the period", WATER, [("2025-01-10", "reminder")], "2028-05-31"),
        # ... and a later 催告, after that suspension ended, counts again.
        ("later 催告 after the first suspension ended", WATER, [("2025-01-10", "reminder"), ("2028-04-01", "reminder")],
         "2028-10-01"),
        # A 督促 of a private claim is a 催告, not a renewal.
        ("督促 of a private claim is a 催告", WATER, [("2028-03-01", "demand_notice")], "2028-09-01"),
        ("督促 then 催告 on a private claim", WATER, [("2028-03-01", "demand_notice"), ("2028-05-01", "reminder")],
         "2028-09-01"),
        # 民法150条 applies to public claims too (地方自治法236条3項): 2026-05-01 → end of 2026-11-01.
        ("催告 on a premium", CARE, [("2026-05-01", "reminder")], "2026-11-01"),
    ],
)
def test_reminder_suspends_once(case, c, events, completes):
    assert run(c, *(ev(on, kind) for on, kind in events)).completes_on == D(completes), case


@pytest.mark.parametrize(
    ("case", "c", "events", "completes", "months_note"),
    [
        # While a court claim is pending the claim cannot complete (民法147条1項): no completion date.
        ("court filing pending", WATER, [("2027-01-10", "court_filing")], None, None),
        # A final judgment renews and makes the period 10 years (民法147条2項・169条1項).
        ("judgment: 10 years", WATER, [("2027-01-10", "court_filing"), ("2028-02-15", "judgment")], "2038-02-15",
         "10 years"),
        ("judgment on an old 2-year water charge", OLD_WATER,
         [("2021-06-01", "court_filing"), ("2021-10-01", "judgment")], "2031-10-01", "10 years"),
        ("judgment on a non-forced public claim", HOUSING_PUBLIC,
         [("2025-01-10", "court_filing"), ("2025-09-01", "judgment")], "2035-09-01", "10 years"),
        # After a judgment the period stays 10 years: a later payment renews for 10 years again.
        ("payment after a judgment", WATER,
         [("2027-01-10", "court_filing"), ("2028-02-15", "judgment"), ("2030-04-01", "payment")], "2040-04-01", None),
        # Withdrawn or dismissed: completion suspended until 6 months after the end (2028-07-01 → 2029-01-01).
        ("proceeding ended without judgment", WATER, [("2028-01-10", "court_filing"), ("2028-07-01", "court_ended")],
         "2029-01-01", None),
        # Ended early: the 6 months end 2028-07-20, after the period's own end 2028-05-31.
        ("proceeding ended early", WATER, [("2028-01-10", "court_filing"), ("2028-01-20", "court_ended")],
         "2028-07-20", None),
        ("proceeding ended long before the end", WATER, [("2025-01-10", "court_filing"), ("2025-03-01", "court_ended")],
         "2028-05-31", None),
    ],
)
def test_court(case, c, events, completes, months_note):
    state = run(c, *(ev(on, kind) for on, kind in events), as_of="2045-01-01")
    assert state.completes_on == (D(completes) if completes else None), case
    # Years later: a private claim is still alive (not invoked), a pending one cannot complete, and a public claim
    # is extinguished at the end of its renewed period.
    public = c.legal_category is not LegalCategory.PRIVATE
    assert state.extinguished_on == (state.completes_on if public else None), case
    if months_note:
        assert any("民法169条" in line for line in state.explanation), case


def test_court_pending_has_no_alert():
    state = run(WATER, ev("2027-01-10", "court_filing"))
    assert state.alert_on(30) is None


@pytest.mark.parametrize(
    ("case", "c", "events", "as_of", "extinguished", "by"),
    [
        # 執行停止 2025-01-15: 3 years continued → extinguished at the end of 2028-01-15 (地方税法15条の7第4項),
        # before prescription (2029-05-31).
        ("執行停止 3 years, not yet", TAX, [("2025-01-15", "exemption_of_execution")], "2028-01-15", None, None),
        ("執行停止 3 years, extinguished", TAX, [("2025-01-15", "exemption_of_execution")], "2028-01-16",
         "2028-01-15", "exemption_of_execution"),
        # Revoked (15条の8): the 3-year count stops; prescription alone decides.
        ("執行停止 revoked", TAX, [("2025-01-15", "exemption_of_execution"), ("2026-03-01", "exemption_revoked")],
         "2028-06-01", None, None),
        ("執行停止 revoked, then prescription", TAX,
         [("2025-01-15", "exemption_of_execution"), ("2026-03-01", "exemption_revoked")], "2029-06-01", "2029-05-31",
         "prescription"),
        # Prescription keeps running during 執行停止: a 2-year premium prescribes first.
        ("prescription before the 3 years", CARE, [("2025-01-15", "exemption_of_execution")], "2027-01-01",
         "2026-05-31", "prescription"),
        # A payment during 執行停止 renews prescription but not the 3-year count.
        ("payment during 執行停止", CARE, [("2025-01-15", "exemption_of_execution"), ("2026-04-01", "payment")],
         "2028-01-16", "2028-01-15", "exemption_of_execution"),
    ],
)
def test_exemption_of_execution(case, c, events, as_of, extinguished, by):
    state = run(c, *(ev(on, kind) for on, kind in events), as_of=as_of)
    assert state.extinguished_on == (D(extinguished) if extinguished else None), case
    assert state.extinguished_by == by, case


def test_invocation():
    # A private claim dies only when invoked after completion; extinguished_on is the invocation date.
    invoked = run(WATER, ev("2029-01-15", "invocation"))
    assert (invoked.extinguished_on, invoked.extinguished_by) == (D("2029-01-15"), "invocation")
    assert invoked.completes_on == D("2028-05-31")
    # Invoked too early: nothing; the claim completes later as usual and is still alive years after.
    early = run(WATER, ev("2027-01-01", "invocation"), as_of="2035-01-01")
    assert early.extinguished_on is None and early.completes_on == D("2028-05-31")
    # Old water charge (2 years) invoked after its completion.
    old = run(OLD_WATER, ev("2022-03-01", "invocation"))
    assert old.extinguished_on == D("2022-03-01")
    # Public claims need no invocation: an invocation event changes nothing.
    public = run(TAX, ev("2026-01-01", "invocation"), as_of="2029-06-01")
    assert (public.extinguished_on, public.extinguished_by) == (D("2029-05-31"), "prescription")
    assert "援用不要" in public.explanation[1]


def test_after_completion():
    # Public: a payment after extinction changes nothing (it is refunded as 過誤納金).
    care = run(CARE, ev("2026-07-01", "payment"))
    assert care.extinguished_on == D("2026-05-31") and care.completes_on == D("2026-05-31")
    assert "過誤納金" in care.explanation[-1]
    # Private, completed but not invoked: an acknowledgement bars invoking that completion and starts a new period
    # (最大判昭和41年4月20日, 最判昭和45年5月21日); a later invocation is then too early.
    revived = run(WATER, ev("2028-08-01", "payment"), ev("2029-01-01", "invocation"))
    assert revived.completes_on == D("2033-08-01") and revived.extinguished_on is None
    assert "最大判昭和41年4月20日" in revived.explanation[1]
    # Private, completed: a 催告 or seizure does nothing; after invocation nothing revives the claim.
    assert run(WATER, ev("2028-08-01", "seizure")).completes_on == D("2028-05-31")
    dead = run(WATER, ev("2028-08-01", "invocation"), ev("2028-09-01", "payment"))
    assert dead.extinguished_on == D("2028-08-01") and dead.completes_on == D("2028-05-31")


def test_events_after_as_of_are_not_applied():
    state = run(TAX, ev("2025-03-10", "payment"), as_of="2025-01-01")
    assert state.completes_on == D("2029-05-31")
    assert "not applied" in state.explanation[1]


def test_events_are_applied_in_date_order():
    forwards = run(CARE, ev("2024-06-20", "demand_notice"), ev("2025-02-01", "demand_notice"))
    backwards = run(CARE, ev("2025-02-01", "demand_notice"), ev("2024-06-20", "demand_notice"))
    assert forwards.completes_on == backwards.completes_on == D("2026-06-20")


# --- alerts -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("case", "c", "events", "as_of", "days", "alert"),
    [
        ("tax, 90 days before completion", TAX, [], None, 90, "2029-03-02"),
        ("tax, on the last day itself", TAX, [], None, 0, "2029-05-31"),
        ("premium, 60 days", CARE, [], None, 60, "2026-04-01"),
        # 執行停止's 3-year date comes first: warn before it (staff may still have to revoke, 15条の8).
        ("執行停止 first", TAX, [("2025-01-15", "exemption_of_execution")], None, 30, "2027-12-16"),
        # A private claim completed but not invoked: the date is in the past, still returned (act now).
        ("private, completed", WATER, [], "2030-01-01", 30, "2028-05-01"),
        ("already extinguished", TAX, [], "2029-06-01", 30, None),
        ("invoked", WATER, [("2029-01-15", "invocation")], None, 30, None),
    ],
)
def test_alert_on(case, c, events, as_of, days, alert):
    state = run(c, *(ev(on, kind) for on, kind in events), as_of=as_of)
    assert state.alert_on(days) == (D(alert) if alert else None), case


@pytest.mark.parametrize("days", [-1, True, 1.5, "30"])
def test_alert_on_rejects_bad_days(days):
    with pytest.raises(ValueError, match="days_before"):
        run(TAX).alert_on(days)


# --- invalid input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("receivable_type", lambda: PrescriptionClaim("C", "dog_licence_fee", "forced_public", D("2024-05-31"),
                                                      D("2024-04-01"))),
        ("legal_category", lambda: PrescriptionClaim("C", "fixed_asset_tax", "semi_public", D("2024-05-31"),
                                                     D("2024-04-01"))),
        ("due_date", lambda: PrescriptionClaim("C", "fixed_asset_tax", "forced_public", datetime(2024, 5, 31),
                                               D("2024-04-01"))),
        ("arose_on", lambda: PrescriptionClaim("C", "fixed_asset_tax", "forced_public", D("2024-05-31"),
                                               "2024-04-01")),
        ("kind", lambda: PrescriptionEvent(D("2025-01-01"), "phone_call")),
        ("on", lambda: PrescriptionEvent("2025-01-01", "payment")),
        ("events", lambda: prescription(TAX, [("2025-01-01", "payment")], table=TABLE)),
        ("as_of", lambda: prescription(TAX, [], table=TABLE, as_of=datetime(2025, 1, 1))),
        # 執行停止 is a tool of 滞納処分: only forced-collection public claims have it.
        ("kind", lambda: run(WATER, ev("2025-01-01", "exemption_of_execution"))),
        ("kind", lambda: run(HOUSING_PUBLIC, ev("2025-01-01", "exemption_of_execution"))),
    ],
)
def test_invalid_input_names_the_field(field, make):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        make()


def _table_json() -> dict:
    return json.loads(DEFAULT_TABLE_PATH.read_text(encoding="utf-8"))


def test_a_claim_the_table_does_not_cover():
    # Without the old water entry a 2019 water bill has no rule: no guessed default for old private claims.
    data = _table_json()
    data["entries"] = [e for e in data["entries"] if e["id"] != "water_supply_charge_pre2020"]
    table = PrescriptionTable.model_validate(data)
    with pytest.raises(ValueError, match="no prescription rule for 'water_supply_charge'"):
        prescription(OLD_WATER, [], table=table)


def _with_entry(change) -> dict:
    data = _table_json()
    change(data)
    return data


@pytest.mark.parametrize(
    ("case", "change", "message"),
    [
        ("unknown receivable", lambda d: d["entries"][0]["receivables"].append("dog_licence_fee"), "unknown receivable"),
        ("overlapping entries", lambda d: d["entries"].append({**d["entries"][0], "id": "again"}), "both cover"),
        ("duplicate id", lambda d: d["entries"].append({**d["entries"][0], "legal_categories": ["private"]}),
         "more than once"),
        ("unknown regime", lambda d: d["entries"][0].update(regime="feudal"), "unknown regime"),
        ("empty period", lambda d: d["entries"][0].update(period={"years": 0}), "at least one month"),
        ("missing citation", lambda d: d["regimes"]["civil"]["citations"].pop("reminder"), "missing reminder"),
        ("exemption citation without exemption", lambda d: d["regimes"]["public"].pop("execution_exemption"),
         "unknown exemption"),
        ("dates the wrong way round", lambda d: next(e for e in d["entries"] if e["id"] == "private_claim").update(
            arose_before="2019-01-01"), "arose_before"),
    ],
)
def test_table_validation(case, change, message):
    with pytest.raises(ValueError, match=message):
        PrescriptionTable.model_validate(_with_entry(change))


def test_packaged_table_loads():
    table = load_prescription_table()
    assert table.version == "prescription.v1"
    assert all(entry.statute for entry in table.entries)
    assert load_prescription_table(DEFAULT_TABLE_PATH) == table


# --- random event sequences -------------------------------------------------------------------------------------

RENEWING = ("payment", "installment_pledge", "seizure")


def _random_claim(rng: random.Random) -> PrescriptionClaim:
    code = rng.choice(sorted(RECEIVABLES))
    category = RECEIVABLES[code].default_category
    if code == "municipal_housing_rent" and rng.random() < 0.5:
        category = LegalCategory.NON_FORCED_PUBLIC
    due = D("2018-01-01") + timedelta(days=rng.randint(0, 9 * 365))
    return PrescriptionClaim(f"R-{rng.randint(0, 10**6)}", code, category, due, due - timedelta(days=rng.randint(0, 90)))


def _kinds(c: PrescriptionClaim) -> list[str]:
    if c.legal_category is LegalCategory.FORCED_PUBLIC:
        return list(EVENT_KINDS)
    return [k for k in EVENT_KINDS if k not in ("exemption_of_execution", "exemption_revoked")]


def _random_events(rng: random.Random, c: PrescriptionClaim, count: int, after: date | None = None) -> list:
    first = after or c.due_date - timedelta(days=30)
    return [PrescriptionEvent(first + timedelta(days=rng.randint(1, 8 * 365)), rng.choice(_kinds(c)))
            for _ in range(count)]


def _later_or_equal(new: date | None, old: date | None) -> bool:
    # None (a court proceeding pending) means the claim cannot complete: later than any date.
    return new is None or (old is not None and new >= old)


def test_random_event_sequences_keep_the_invariants():
    rng = random.Random(20240531)
    for _ in range(1_000):
        c = _random_claim(rng)
        events = _random_events(rng, c, rng.randint(0, 8))
        state = prescription(c, events, table=TABLE, as_of=FAR)

        # Completion is never before the period starts (the day after the due date).
        start = c.due_date + timedelta(days=1)
        assert state.period_starts_on >= start
        assert state.completes_on is None or state.completes_on >= state.period_starts_on

        # Adding a renewing event (acknowledgement, seizure) never brings completion earlier.
        extra = PrescriptionEvent(c.due_date + timedelta(days=rng.randint(-10, 9 * 365)), rng.choice(RENEWING))
        renewed = prescription(c, [*events, extra], table=TABLE, as_of=FAR)
        assert _later_or_equal(renewed.completes_on, state.completes_on), (c, events, extra)

        if state.extinguished_on is not None:
            assert state.extinguished_on < FAR
            if c.legal_category is LegalCategory.PRIVATE:
                assert state.extinguished_by == "invocation"
            else:
                # Once a public claim is extinguished, later events change nothing.
                later = _random_events(rng, c, rng.randint(1, 4), after=state.extinguished_on)
                again = prescription(c, [*events, *later], table=TABLE, as_of=FAR)
                assert (again.completes_on, again.extinguished_on, again.extinguished_by,
                        again.period_starts_on, again.exemption_extinguishes_on) == (
                    state.completes_on, state.extinguished_on, state.extinguished_by,
                    state.period_starts_on, state.exemption_extinguishes_on), (c, events, later)
