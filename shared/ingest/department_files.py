"""A department's own export format for what goes back to it (the feeds of services/collection/feeds.py).

The registry (contracts/sources.py) names each department's format module; that module's ``render_export``
writes canonical payloads as the department's system exports them, and its ``parse_export`` reads them back. The
shared runner (adapter.py) already reaches a source's format module by that name; this does the same for the
other direction, so a service that sends a department a file in its own format depends on the registry and on
the ``render_export`` every format module must have (tests/unit/test_sources.py), never on an adapter's package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from contracts import Department, Payload
from contracts.keys import is_primary
from contracts.sources import SOURCES_BY_CODE, SourceSystem, source_of


def own_source(department: Department, key_space: str | None = None) -> SourceSystem:
    """The source system whose format the reader takes: the department's own (its legacy export), or a second
    vendor's (contracts/keys.py) by its key space; LookupError when the registry has no such row."""
    if is_primary(key_space, department):
        return source_of(department)
    row = SOURCES_BY_CODE.get(key_space)  # type: ignore[arg-type]
    if row is None or row.department is not department:
        raise LookupError(f"source {key_space!r}: no source system of {department.value} in the registry")
    return row


def own_renderer(department: Department, key_space: str | None = None) -> Callable[[Sequence[Payload]], bytes]:
    """``render_export`` of that source's format module, with its default options."""
    module = importlib.import_module(own_source(department, key_space).format_module)
    render: Callable[[Sequence[Payload]], bytes] = module.render_export
    return render
