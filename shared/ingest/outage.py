"""What an import does while Kafka is down: a deadline per step and log lines that do not flood.

A batch import against a dead broker used to retry forever and write an ERROR line per retry (17,000 in ten
minutes). Each step of publication (connect, read progress, one chunk's transaction) now has a deadline
(``ChunkDeadline``); when it passes the import stops with exit 1 and the resume instruction. While it waits,
``rate_limited_logs`` lets one WARNING-or-worse line per logger and message through per interval and says how
many similar lines it held back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


class ChunkDeadlineExceeded(TimeoutError):
    """A step of publication did not finish in time: Kafka is down or too slow. Run the import again."""


@dataclass
class RateLimitFilter(logging.Filter):
    """One line per (logger, message template) per ``interval`` seconds for WARNING and above from the Kafka
    client and the ingest code; the next line let through says how many were held back in between."""

    interval: float = 10.0
    prefixes: tuple[str, ...] = ("aiokafka", "kafka", "shared.ingest")
    clock: object = time.monotonic
    _last: dict[tuple[str, str], float] = field(default_factory=dict)
    _held: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith(self.prefixes):
            return True
        key = (record.name, str(record.msg))
        now = self.clock()  # type: ignore[operator]
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            record.msg = f"{record.msg} ({held} similar lines in the last {self.interval:.0f} s not shown)"
        return True

    @property
    def held(self) -> int:
        return sum(self._held.values())


@contextmanager
def rate_limited_logs(interval: float = 10.0) -> Iterator[RateLimitFilter]:
    """Attach one ``RateLimitFilter`` to every handler of the root logger while the block runs (a filter on a
    logger would not see its children's records; a handler's filter sees everything it writes)."""
    limiter = RateLimitFilter(interval)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(limiter)
    try:
        yield limiter
    finally:
        for handler in handlers:
            handler.removeFilter(limiter)
