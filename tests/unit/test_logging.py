"""The services' logging (shared/logging.py): JSON lines, and no library that writes what a request carried."""

from __future__ import annotations

import io
import json
import logging

import pytest

from shared.logging import setup_logging


@pytest.fixture(autouse=True)
def _restore_logging():  # type: ignore[no-untyped-def]
    """setup_logging replaces the root handlers (pytest's capture among them): put them back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "aiokafka", "kafka")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


def test_http_clients_do_not_log_request_urls() -> None:
    """httpx logs each request's URL with its query string at INFO; the console's searches carry names and birth
    dates there (a line of the staff console's log held one before this rule)."""
    setup_logging("test-service", "INFO")
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpcore").isEnabledFor(logging.INFO)
    assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)


def test_lines_are_json_with_the_service_name() -> None:
    setup_logging("test-service", "INFO")
    stream = io.StringIO()
    root = logging.getLogger()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("test").info("ready")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["service"] == "test-service" and line["msg"] == "ready" and line["level"] == "INFO"
