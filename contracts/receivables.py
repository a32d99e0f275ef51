"""Catalogue of receivable types (債権の種類) with their department and default legal category.

Which legal category a receivable belongs to is the city's decision per receivable (e.g. 市営住宅使用料 is
非強制徴収公債権 in some cities and 私債権 in others), so the category here is only the default; adapters
apply the city's overrides from their settings before publishing (see ``shared.settings``).
"""

from dataclasses import dataclass

from contracts.enums import Department, LegalCategory


@dataclass(frozen=True, slots=True)
class ReceivableSpec:
    code: str
    name_ja: str
    department: Department
    default_category: LegalCategory


_F, _N, _P = LegalCategory.FORCED_PUBLIC, LegalCategory.NON_FORCED_PUBLIC, LegalCategory.PRIVATE

RECEIVABLES: dict[str, ReceivableSpec] = {
    spec.code: spec
    for spec in (
        ReceivableSpec("individual_inhabitant_tax", "市民税・県民税（普通徴収）", Department.TAX, _F),
        ReceivableSpec("fixed_asset_tax", "固定資産税・都市計画税", Department.TAX, _F),
        ReceivableSpec("light_vehicle_tax", "軽自動車税", Department.TAX, _F),
        ReceivableSpec("national_health_insurance_tax", "国民健康保険税", Department.INSURANCE, _F),
        # The city levies either the tax or the premium (国民健康保険法76条, 地方税法703条の4), never both.
        ReceivableSpec("national_health_insurance_premium", "国民健康保険料", Department.INSURANCE, _F),
        ReceivableSpec("long_term_care_premium", "介護保険料", Department.INSURANCE, _F),
        ReceivableSpec("late_elderly_medical_premium", "後期高齢者医療保険料", Department.INSURANCE, _F),
        ReceivableSpec("nursery_fee", "保育料", Department.CHILDCARE, _F),
        ReceivableSpec("school_lunch_fee", "学校給食費", Department.CHILDCARE, _P),
        ReceivableSpec("municipal_housing_rent", "市営住宅使用料", Department.HOUSING, _P),
        ReceivableSpec("water_supply_charge", "上水道料金", Department.WATER, _P),
        ReceivableSpec("sewerage_charge", "下水道使用料", Department.WATER, _F),
    )
}


def receivable(code: str) -> ReceivableSpec:
    """The spec for a receivable code; raises KeyError naming the code when it is unknown."""
    try:
        return RECEIVABLES[code]
    except KeyError:
        raise KeyError(f"unknown receivable type {code!r}") from None


def legal_category(code: str, overrides: "dict[str, str] | None" = None) -> LegalCategory:
    """The category the city decided for a receivable: its override when configured, else the default."""
    spec = receivable(code)
    chosen = (overrides or {}).get(code)
    if chosen is None:
        return spec.default_category
    try:
        return LegalCategory(chosen)
    except ValueError:
        raise ValueError(f"category override for {code!r}: {chosen!r} is not one of "
                         f"{', '.join(c.value for c in LegalCategory)}") from None
