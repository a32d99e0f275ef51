from fastapi import FastAPI

from services.housing_adapter.adapter import SPEC
from shared.ingest.adapter import create_adapter_app


def create_app() -> FastAPI:
    return create_adapter_app(SPEC)
