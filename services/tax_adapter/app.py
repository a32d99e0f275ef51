"""HTTP side of the tax adapter: the tax system (or staff) may push an export instead of running the CLI.

``POST /imports?file_name=...`` with the CP932 CSV as the request body publishes it exactly as the batch
command does and answers with the summary, including every rejected line with its field and reason.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query, Request

from services.tax_adapter.export_format import ExportFormatError, parse_export
from services.tax_adapter.importer import publish_export
from services.tax_adapter.settings import TaxAdapterSettings
from shared.http import add_health_routes, instrument_app
from shared.kafka import create_broker
from shared.logging import setup_logging
from shared.telemetry import setup_telemetry, shutdown_telemetry

SERVICE = "tax-adapter"


def create_app(settings: TaxAdapterSettings | None = None) -> FastAPI:
    settings = settings or TaxAdapterSettings()
    setup_logging(SERVICE, settings.log_level)
    setup_telemetry(SERVICE, environment=settings.environment)
    broker = create_broker(settings.kafka_bootstrap_servers, client_id=SERVICE)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()
            shutdown_telemetry()

    app = FastAPI(title="Tax department adapter", version="1", lifespan=lifespan,
                  description=__doc__)
    add_health_routes(app, {"kafka": lambda: broker.ping(2.0)})

    @app.post("/imports", tags=["imports"], summary="Import a tax export (CP932 CSV in the body)")
    async def import_export(
        request: Request,
        file_name: Annotated[str, Query(min_length=1, max_length=200, description="Name shown in reports")],
    ) -> dict[str, object]:
        declared = int(request.headers.get("content-length") or 0)
        if declared > settings.max_upload_bytes:
            raise HTTPException(413, f"the body exceeds {settings.max_upload_bytes} bytes")
        body = await request.body()
        if len(body) > settings.max_upload_bytes:
            raise HTTPException(413, f"the body exceeds {settings.max_upload_bytes} bytes")
        try:
            parsed = parse_export(body, file_name=file_name, produced_at=lambda: datetime.now(UTC),
                                  category_overrides=settings.receivable_category_overrides)
        except ExportFormatError as exc:
            raise HTTPException(422, f"{file_name}: {exc}") from None
        summary = await publish_export(broker, parsed)
        return summary.as_dict()

    instrument_app(app)
    return app
