"""The batch command and the HTTP endpoint every department adapter offers, built from its format.

Every adapter is one row of contracts/sources.py and its format module: ``python -m shared.ingest <code> import
FILE`` (e.g. ``python -m shared.ingest tax import export.csv``) publishes a file; ``... <code> serve`` runs
``POST /imports`` for systems that push their export. Both parse with the adapter's ``parse_export`` and publish exactly once
(shared/ingest/publisher.py). Exit status of ``import``: 0 every record published (or already published);
3 imported, but some records were rejected (report written); 1 the file could not be read or Kafka did not
take the messages (run the same command again: it resumes where it stopped).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib
import io
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from pydantic_settings import SettingsConfigDict

from contracts import Department
from contracts.sources import SourceSystem, source
from shared.department_auth import DepartmentSystem, batch_operator, install_department_auth, require_department_system
from shared.http import (
    BodyPolicy,
    add_health_routes,
    guard_requests,
    instrument_app,
    serve_api_docs_locally,
    set_body_policy,
)
from shared.ingest.outage import rate_limited_logs
from shared.ingest.publisher import ImportSummary, publish_import
from shared.ingest.records import ExportFormatError, ParsedExport
from shared.ingest.streaming import STREAM_THRESHOLD_BYTES, Split, StreamedExport, stream_export
from shared.logging import setup_logging
from shared.serve import serve
from shared.settings import AdapterSettings
from shared.telemetry import setup_telemetry, shutdown_telemetry

EXIT_OK, EXIT_FAILED, EXIT_REJECTIONS = 0, 1, 3
log = logging.getLogger(__name__)


class ParseExport(Protocol):
    def __call__(self, data: bytes, *, file_name: str, produced_at: Callable[[], datetime],
                 category_overrides: Mapping[str, str] | None = None, **options: Any) -> ParsedExport: ...


@dataclass(frozen=True)
class AdapterSpec:
    """One department adapter: its names, its format, and where it listens."""

    service_name: str  # e.g. "tax-adapter" (telemetry, logs, Kafka client id)
    code: str  # the source system's code (contracts/sources.py), e.g. "tax"
    department: Department | None  # None: several, each record's own (the standard link)
    title: str
    parse_export: ParseExport
    media_type: str  # what POST /imports takes, e.g. "text/csv; charset=Shift_JIS"
    settings_cls: type[AdapterSettings]
    # How the batch command may stream a large file (shared/ingest/streaming.py): "header" (CSV with a header
    # line), "headerless" (one record a line), or None (not line-based: see stream_pieces).
    stream_lines: str | None = None
    # A format that is not line-based cuts a large file itself (the housing JSON document: its events a few at
    # a time); neither this nor stream_lines: the file is always read whole.
    stream_pieces: Split | None = None
    quoted_fields: bool = True  # CSV quoting: a piece is never cut inside a quoted field

    def settings(self) -> AdapterSettings:
        return self.settings_cls()


#: The variable that tells ``python -m shared.ingest <code> serve``'s app factory which source it serves.
SOURCE_VARIABLE = "INGEST_SOURCE_SYSTEM"


@cache
def settings_class(row: SourceSystem) -> type[AdapterSettings]:
    """The adapter's settings: its own class when the row names one, else AdapterSettings read with the adapter's
    prefix (``TAX_ADAPTER_HTTP_PORT``, ``TAX_ADAPTER_HTTP_HOST`` …) and listening on the row's port."""
    if row.settings:
        module, _, name = row.settings.partition(":")
        cls: type[AdapterSettings] = getattr(importlib.import_module(module), name)
        return cls
    name = f"{row.code.title().replace('_', '')}AdapterSettings"  # TaxAdapterSettings, in errors and logs
    return type(name, (AdapterSettings,), {
        "__module__": __name__,
        "__annotations__": {"http_port": int},
        "model_config": SettingsConfigDict(env_prefix=row.env_prefix, extra="ignore", populate_by_name=True),
        "http_port": row.port,
    })


@cache
def adapter_spec(code: str) -> AdapterSpec:
    """The adapter of one source system (contracts/sources.py), with the parser of its format module."""
    row = source(code)
    module = importlib.import_module(row.format_module)
    return AdapterSpec(
        service_name=row.service_name,
        code=row.code,
        department=row.department,
        title=row.title,
        parse_export=module.parse_export,
        media_type=row.media_type,
        settings_cls=settings_class(row),
        stream_lines=row.stream_lines,
        # a format that is not line-based streams when its module cuts a file into pieces (housing's JSON)
        stream_pieces=getattr(module, "stream_pieces", None),
        quoted_fields=row.quoted_fields,
    )


def rejection_report(summary: ImportSummary) -> str:
    """CSV for staff: file, line, field, reason (no values: the line number points into the source file)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["file", "line", "field", "reason"])
    for rejection in summary.rejections:
        for problem in rejection.problems:
            writer.writerow([summary.file_name, rejection.line, problem.field, problem.reason])
    return out.getvalue()


def _parse(spec: AdapterSpec, data: bytes, file_name: str, settings: AdapterSettings) -> ParsedExport:
    return spec.parse_export(data, file_name=file_name, produced_at=lambda: datetime.now(UTC),
                             category_overrides=settings.receivable_category_overrides, **settings.format_options())


def _parse_file(spec: AdapterSpec, path: Path, settings: AdapterSettings) -> ParsedExport | StreamedExport:
    """A large file in pieces (bounded memory), a small one whole."""
    streamable = spec.stream_lines is not None or spec.stream_pieces is not None
    if not streamable or path.stat().st_size <= STREAM_THRESHOLD_BYTES:
        return _parse(spec, path.read_bytes(), path.name, settings)
    return stream_export(path, lambda data: _parse(spec, data, path.name, settings),
                         header=spec.stream_lines == "header", quoted=spec.quoted_fields, split=spec.stream_pieces)


async def _import_file(spec: AdapterSpec, path: Path, report: Path, progress: bool, chunk: int,
                       settings: AdapterSettings) -> int:
    operator = batch_operator()
    log.info("import started", extra={"file_name": path.name, "submitted_by": operator})
    try:
        parsed = _parse_file(spec, path, settings)
    except ExportFormatError as exc:
        print(f"{path.name}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with rate_limited_logs():  # a dead broker makes the client log every retry
            summary = await publish_import(settings.kafka_bootstrap_servers, parsed, chunk_size=chunk,
                                           progress=progress, service=spec.service_name, submitted_by=operator,
                                           chunk_deadline=settings.ingest_chunk_deadline_seconds)
    except Exception as exc:  # noqa: BLE001 - any failure to publish is reported the same way
        print(f"{path.name}: publishing failed ({exc.__class__.__name__}: {exc}); run the same command again "
              "to resume: records already published are not published twice", file=sys.stderr)
        return EXIT_FAILED
    note = " (this file was imported before: nothing new to publish)" if summary.completed_before else (
        f" (resumed after {summary.already_published})" if summary.already_published else "")
    print(f"{path.name}: read {summary.read}, published {summary.published}, rejected {summary.rejected}{note}"
          f" — imported by {operator}")
    if summary.rejected:
        report.write_text(rejection_report(summary), encoding="utf-8-sig")
        shown = 0
        for rejection in summary.rejections:
            for problem in rejection.problems:
                if shown < 20:
                    print(f"  line {rejection.line}: {problem.field}: {problem.reason}")
                shown += 1
        if shown > 20:
            print(f"  … {shown - 20} more")
        print(f"rejection report: {report}")
        return EXIT_REJECTIONS
    return EXIT_OK


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, counted while it streams in: past ``limit`` bytes the request is refused (413) at once,
    without reading (or buffering) the rest, whether the client declared a length or sent it chunked."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the body exceeds {limit} bytes")
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise HTTPException(413, f"the body exceeds {limit} bytes")
    return bytes(body)


def create_adapter_app(spec: AdapterSpec, settings: AdapterSettings | None = None) -> FastAPI:
    settings = settings or spec.settings()
    setup_logging(spec.service_name, settings.log_level)
    setup_telemetry(spec.service_name, environment=settings.environment)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        shutdown_telemetry()

    app = FastAPI(title=spec.title, version="1", lifespan=lifespan,
                  description=f"{spec.title}: push an export to `POST /imports` instead of running the batch "
                              "command. Importing the same content again publishes nothing twice.",
                  docs_url=None, redoc_url=None)
    serve_api_docs_locally(app)

    async def kafka_ready() -> bool:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=2000)
        try:
            await asyncio.wait_for(admin.start(), 3)
            return True
        finally:
            await admin.close()

    add_health_routes(app, {"kafka": kafka_ready})
    install_department_auth(app, settings)

    @app.post(
        "/imports",
        tags=["imports"],
        summary=f"Import an export ({spec.media_type}) sent as the request body",
        openapi_extra={"requestBody": {"required": True, "content": {spec.media_type.split(";")[0]: {
            "schema": {"type": "string", "format": "binary"}}}}},
    )
    async def import_export(
        request: Request,
        file_name: Annotated[str, Query(min_length=1, max_length=200, description="Name shown in reports")],
        # a default, not Annotated: this module's annotations are strings, and ``spec`` is local to the factory
        sender: DepartmentSystem = Depends(require_department_system(spec.department or spec.code)),  # noqa: B008
    ) -> dict[str, object]:
        body = await read_limited_body(request, settings.max_upload_bytes)
        try:
            # Parsing a multi-MB export takes seconds of CPU: in a worker thread, so the event loop keeps
            # answering /healthz and other requests meanwhile.
            parsed = await asyncio.to_thread(_parse, spec, body, file_name, settings)
        except ExportFormatError as exc:
            raise HTTPException(422, f"{file_name}: {exc}") from None
        try:
            with rate_limited_logs():
                summary = await publish_import(settings.kafka_bootstrap_servers, parsed,
                                               chunk_size=settings.ingest_chunk_size, service=spec.service_name,
                                               submitted_by=sender.label,
                                               chunk_deadline=settings.ingest_chunk_deadline_seconds)
        except Exception as exc:  # noqa: BLE001
            raise HTTPException(503, f"{file_name}: publishing failed ({exc.__class__.__name__}); send it again "
                                     "to resume") from None
        log.info("import received", extra={"correlation_id": summary.import_key, "submitted_by": sender.label,
                                           "token_id": sender.token_id, "published": summary.published})
        return {**summary.as_dict(), "submitted_by": sender.label}

    instrument_app(app)
    # The export itself is large and raw (its parser checks every record): its own limit, no text inspection.
    set_body_policy(app, "POST", "/imports", BodyPolicy(settings.max_upload_bytes, inspect_text=False))
    guard_requests(app, settings.max_body_bytes)
    return app


def create_app() -> FastAPI:
    """uvicorn's factory for ``python -m shared.ingest <code> serve`` (the code in INGEST_SOURCE_SYSTEM)."""
    return create_adapter_app(adapter_spec(os.environ[SOURCE_VARIABLE]))


def adapter_main(spec: AdapterSpec, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m shared.ingest {spec.code}", description=spec.title)
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="publish an export file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--report", type=Path, help="where to write rejected records (default: FILE.rejected.csv)")
    imp.add_argument("--no-progress", action="store_true", help="no progress output")
    sub.add_parser("serve", help="run the HTTP endpoint for pushed exports (POST /imports)")
    args = parser.parse_args(argv)
    settings = spec.settings()
    if args.command == "serve":
        os.environ[SOURCE_VARIABLE] = spec.code
        serve("shared.ingest.adapter:create_app", settings)
        return EXIT_OK
    setup_logging(spec.service_name, settings.log_level)
    setup_telemetry(spec.service_name, environment=settings.environment)
    if not args.file.is_file():
        print(f"{args.file}: no such file", file=sys.stderr)
        return EXIT_FAILED
    report = args.report or args.file.with_name(args.file.name + ".rejected.csv")
    try:
        return asyncio.run(_import_file(spec, args.file, report, not args.no_progress,
                                        settings.ingest_chunk_size, settings))
    finally:
        shutdown_telemetry()
