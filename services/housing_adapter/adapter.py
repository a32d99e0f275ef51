from contracts import Department
from services.housing_adapter import export_format
from services.housing_adapter.settings import HousingAdapterSettings
from shared.ingest.adapter import AdapterSpec

SPEC = AdapterSpec(
    service_name="housing-adapter",
    package="services.housing_adapter",
    department=Department.HOUSING,
    title="Housing department adapter (市営住宅使用料)",
    parse_export=export_format.parse_export,
    media_type="application/json",
    settings_cls=HousingAdapterSettings,
    stream_pieces=export_format.stream_pieces,
)
