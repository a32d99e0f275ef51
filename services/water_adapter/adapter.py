from contracts import Department
from services.water_adapter import export_format
from services.water_adapter.settings import WaterAdapterSettings
from shared.ingest.adapter import AdapterSpec

SPEC = AdapterSpec(
    service_name="water-adapter",
    package="services.water_adapter",
    department=Department.WATER,
    title="Water department adapter (上水道料金・下水道使用料)",
    parse_export=export_format.parse_export,
    media_type="text/csv; charset=Shift_JIS",
    stream_lines="headerless",
    settings_cls=WaterAdapterSettings,
)
