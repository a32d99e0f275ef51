"""Run a service's FastAPI app under uvicorn with the host and port from its settings."""

import uvicorn

from shared.settings import ServiceSettings


def serve(app_factory: str, settings: ServiceSettings) -> None:
    """``app_factory`` is 'module:function'; uvicorn's own logging is left to our JSON handler."""
    uvicorn.run(app_factory, factory=True, host=settings.http_host, port=settings.http_port,
                log_config=None, access_log=False, lifespan="on")
