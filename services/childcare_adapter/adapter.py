from contracts import Department
from services.childcare_adapter import export_format
from services.childcare_adapter.settings import ChildcareAdapterSettings
from shared.ingest.adapter import AdapterSpec

SPEC = AdapterSpec(
    service_name="childcare-adapter",
    package="services.childcare_adapter",
    department=Department.CHILDCARE,
    title="Childcare department adapter (保育料・給食費)",
    parse_export=export_format.parse_export,
    media_type="text/csv; charset=utf-8",
    stream_lines="header",
    settings_cls=ChildcareAdapterSettings,
)
