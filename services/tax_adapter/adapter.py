from contracts import Department
from services.tax_adapter import export_format
from services.tax_adapter.settings import TaxAdapterSettings
from shared.ingest.adapter import AdapterSpec

SPEC = AdapterSpec(
    service_name="tax-adapter",
    package="services.tax_adapter",
    department=Department.TAX,
    title="Tax department adapter (住民税・固定資産税・軽自動車税)",
    parse_export=export_format.parse_export,
    media_type="text/csv; charset=Shift_JIS",
    stream_lines="header",
    settings_cls=TaxAdapterSettings,
)
