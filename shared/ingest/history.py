"""Import history: every import's last committed progress record from the compacted ``ingest.progress.v1`` topic
(shared/ingest/publisher.py writes one in the same Kafka transaction as each chunk). A progress record holds no
personal data: the source system, the file's name, who submitted it (a department system or an operator
account), the counts and the time."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.ingest.progress_topic import read_progress_topic


@dataclass(frozen=True)
class ImportRecord:
    import_key: str
    source_system: str
    file_name: str
    submitted_by: str | None
    accepted_total: int
    rejected_total: int
    accepted_done: int
    rejected_done: int
    completed: bool
    updated_at: datetime


def latest_imports(values: Iterable[tuple[bytes | None, bytes | None]]) -> list[ImportRecord]:
    """The last record of each import key, in topic order (key, value); newest update first. A record that
    cannot be read is skipped with its key (compaction keeps the last one per key, so none should be)."""
    latest: dict[str, ImportRecord] = {}
    for key, value in values:
        if key is None or value is None:
            continue
        try:
            data = json.loads(value)
            latest[key.decode()] = ImportRecord(
                import_key=str(data["import_key"]), source_system=str(data["source_system"]),
                file_name=str(data["file_name"]), submitted_by=data.get("submitted_by"),
                accepted_total=int(data["accepted_total"]), rejected_total=int(data["rejected_total"]),
                accepted_done=int(data["accepted_done"]), rejected_done=int(data["rejected_done"]),
                completed=bool(data["completed"]), updated_at=datetime.fromisoformat(data["updated_at"]))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            continue
    return sorted(latest.values(), key=lambda r: r.updated_at, reverse=True)


async def read_import_history(bootstrap_servers: str, timeout: float = 30) -> list[ImportRecord]:
    """Every import's latest progress (reads the committed progress topic to its end)."""
    return latest_imports(await read_progress_topic(bootstrap_servers, timeout))


__all__ = ["ImportRecord", "latest_imports", "read_import_history"]
