"""What every service's HTTP side shares: liveness and readiness endpoints, and tracing of requests."""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace

ReadinessCheck = Callable[[], Awaitable[bool]]


def database_check(app: FastAPI) -> ReadinessCheck:
    """Readiness of the service's database: ``SELECT 1`` on ``app.state.pool`` (set in the lifespan)."""

    async def ready() -> bool:
        async with app.state.pool.acquire() as conn:
            return await conn.fetchval("SELECT 1") == 1

    return ready


def add_health_routes(app: FastAPI, checks: dict[str, ReadinessCheck]) -> None:
    """``/healthz``: the process answers. ``/readyz``: every dependency answers (503 naming those that do not)."""

    @app.get("/healthz", tags=["operations"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Readiness of the service and its dependencies")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                results[name] = "ok" if await check() else "unavailable"
            except Exception:  # noqa: BLE001 - a failing check means not ready, whatever the cause
                results[name] = "unavailable"
        ready = all(v == "ok" for v in results.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": results},
                            status_code=200 if ready else 503)


def instrument_app(app: FastAPI) -> None:
    """Trace requests (not the health and metrics endpoints) and serve ``/metrics`` for Prometheus."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    FastAPIInstrumentor.instrument_app(app, tracer_provider=trace.get_tracer_provider(),
                                       excluded_urls="healthz,readyz,metrics")
