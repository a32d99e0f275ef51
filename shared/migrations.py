"""Versioned schema migrations with yoyo-migrations, applied when a service starts.

Each service keeps plain SQL files in ``services/<name>/migrations`` (``0001_<what>.sql``, with an optional
``0001_<what>.rollback.sql``). yoyo records what it applied in the service's own database and takes a lock, so
several replicas starting at once apply each migration exactly once.
"""

from pathlib import Path

from yoyo import get_backend, read_migrations


def _yoyo_url(database_url: str) -> str:
    scheme, rest = database_url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def apply_migrations(database_url: str, migrations_dir: Path) -> list[str]:
    """Apply pending migrations; returns the ids applied. Blocking: call it before the event loop's work starts
    or through ``asyncio.to_thread``."""
    backend = get_backend(_yoyo_url(database_url))
    migrations = read_migrations(str(migrations_dir))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]
