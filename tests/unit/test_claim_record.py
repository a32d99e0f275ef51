"""How the action record bears on 時効 in the claim view: payments and the renewing actions become prescription
events; a won court case is a judgment."""

from datetime import date, timedelta

from services.collection.api.actions import PRESCRIPTION_ALERT_DAYS, _prescription


def claim(receivable: str, category: str, due: date) -> dict[str, object]:
    return {"claim_id": "c1", "receivable_type": receivable, "legal_category": category, "due_date": due,
            "assessed_on": date(due.year, 4, 1)}


def test_a_payment_renews_a_tax_claims_period_and_the_alert_follows() -> None:
    today = date(2025, 1, 31)
    plain = _prescription(claim("individual_inhabitant_tax", "forced_public", date(2020, 6, 30)), [], [], today)
    assert plain is not None and plain.completes_on == date(2025, 6, 30)  # 2020-07-01 + 5 years − 1 day
    assert plain.alert_on == date(2025, 6, 30) - timedelta(days=PRESCRIPTION_ALERT_DAYS)  # 2025-04-01: not yet
    renewed = _prescription(claim("individual_inhabitant_tax", "forced_public", date(2020, 6, 30)), [],
                            [(date(2022, 3, 1), 5_000)], today)
    assert renewed is not None and renewed.completes_on == date(2027, 3, 1)  # a new period from 2022-03-02
    assert renewed.alert_on is not None and renewed.alert_on > today


def test_a_won_lawsuit_gives_a_private_claim_ten_years() -> None:
    actions = [{"kind": "demand_notice", "done_on": date(2024, 8, 1), "outcome": None},
               {"kind": "lawsuit", "done_on": date(2024, 10, 1), "outcome": "won"}]
    state = _prescription(claim("water_supply_charge", "private", date(2024, 5, 31)), actions, [],
                          date(2025, 1, 31))
    assert state is not None and state.needs_invocation and state.completes_on == date(2034, 10, 1)


def test_the_debtor_view_shows_the_late_charge_run_up_on_the_unpaid_principal() -> None:
    from services.collection.api.debtors import late_charge_of
    from services.collection.ledger import Claim, Payment, build_ledger

    tax = Claim("tax", "t1", "individual_inhabitant_tax", "forced_public", 2024, 1, date(2024, 5, 31), 100_000,
                date(2024, 5, 1))
    unpaid = build_ledger([tax], [], [], [], [], date(2024, 12, 31)).claims[0]
    # 30 days at 2.4% + 184 days at 8.7% on 100,000 = 1,672,800 / 365 = 4,583.01 → 4,500 (rounded down to 100)
    assert late_charge_of(unpaid, date(2024, 12, 31)) == 4_500
    paid_early = build_ledger([tax], [], [], [Payment("tax", "p", None, 100_000, date(2024, 6, 10), "bank")], [],
                              date(2024, 12, 31)).claims[0]
    assert late_charge_of(paid_early, date(2024, 12, 31)) == 0  # 10 days at 2.4%: 65.7 yen, under 1,000
    water = Claim("water", "w1", "water_supply_charge", "private", 2024, 1, date(2024, 5, 31), 100_000,
                  date(2024, 5, 1))
    damages = build_ledger([water], [], [], [], [], date(2024, 12, 31)).claims[0]
    assert late_charge_of(damages, date(2024, 12, 31)) == 100_000 * 3 * 214 // (100 * 365)  # 3% a year, 214 days


def test_a_departments_own_demand_notice_renews_prescription() -> None:
    """The claim view's 時効 reads the 経過記録, where a department's own 督促 is recorded (issue 19 §5):
    due 2020-05-31 → period from 2020-06-01, 5 years → 2025-05-31; the department's 督促 sent 2020-06-15 renews it
    from the day after the 10 days counted from sending (地方税法18条の2: 2020-06-26) → 2025-06-25."""
    from datetime import date

    from services.collection.api.actions import _prescription

    claim = {"claim_id": "2020-fixed_asset_tax-N1-01", "receivable_type": "fixed_asset_tax",
             "legal_category": "forced_public", "due_date": date(2020, 5, 31), "assessed_on": date(2020, 4, 10)}
    alone = _prescription(claim, [], [], date(2024, 1, 31))
    demanded = _prescription(claim, [{"kind": "demand_notice", "done_on": date(2020, 6, 15), "outcome": "sent"}], [],
                             date(2024, 1, 31))
    assert alone is not None and demanded is not None
    assert (alone.completes_on, demanded.completes_on) == (date(2025, 5, 31), date(2025, 6, 25))
