from contracts import Department
from services.insurance_adapter import export_format
from services.insurance_adapter.settings import InsuranceAdapterSettings
from shared.ingest.adapter import AdapterSpec

SPEC = AdapterSpec(
    service_name="insurance-adapter",
    package="services.insurance_adapter",
    department=Department.INSURANCE,
    title="Insurance department adapter (国民健康保険税・介護保険料・後期高齢者医療保険料)",
    parse_export=export_format.parse_export,
    media_type="text/plain; charset=Shift_JIS",
    stream_lines="headerless",
    quoted_fields=False,
    settings_cls=InsuranceAdapterSettings,
)
