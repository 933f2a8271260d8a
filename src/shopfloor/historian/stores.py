"""Opening a historian store from a path or URL.

``path/to/file.duckdb`` (or any path) opens the embedded DuckDB store; ``postgresql://...`` or
``postgres://...`` opens the PostgreSQL store. A DuckDB file belongs to one process at a time;
``read_only=True`` lets several readers share a file that no writer holds.
"""

from __future__ import annotations

from pathlib import Path

from shopfloor.historian.store import Historian

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(url: str | Path) -> bool:
    return isinstance(url, str) and url.startswith(POSTGRES_SCHEMES)


def open_store(url: str | Path, *, read_only: bool = False) -> Historian:
    """A :class:`Historian` on DuckDB (a path) or PostgreSQL (a ``postgresql://`` URL)."""
    if is_postgres_url(url):
        from shopfloor.historian.postgres_backend import PostgresBackend

        return Historian(PostgresBackend(str(url), read_only=read_only))
    from shopfloor.historian.duckdb_backend import DuckDBBackend

    path = Path(url)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return Historian(DuckDBBackend(path, read_only=read_only))
