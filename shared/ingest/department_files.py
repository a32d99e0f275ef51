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
from contracts.sources import SourceSystem, source_of


def own_source(department: Department) -> SourceSystem:
    """The department's own source system (its legacy export), whose format the department reads."""
    return source_of(department)


def own_renderer(department: Department) -> Callable[[Sequence[Payload]], bytes]:
    """``render_export`` of the department's format module, with its default options."""
    module = importlib.import_module(own_source(department).format_module)
    render: Callable[[Sequence[Payload]], bytes] = module.render_export
    return render
