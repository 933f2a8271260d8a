"""The auth database: engine, tables, and the triggers that make the audit log append-only.

SQLite by default (``<data_dir>/auth.sqlite``), PostgreSQL through a ``postgresql://`` URL. Every
table is named ``auth_*``, so the auth store can share a database with MES. :func:`create_schema`
creates what is missing and installs, on both backends, triggers that refuse any ``UPDATE`` or
``DELETE`` of ``auth_audit`` rows: no code path can rewrite history, not even by hand in SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shopfloor.auth.errors import AuthError
from shopfloor.auth.models import AuthBase
from shopfloor.config import Settings
from shopfloor.errors import BadInput
from shopfloor.sqlite import BUSY_TIMEOUT_S, use_sqlite_transactions

DB_FILE = "auth.sqlite"
APPEND_ONLY = "the audit log is append-only"

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS auth_audit_no_{op.lower()} BEFORE {op} ON auth_audit
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"""
    for op in ("UPDATE", "DELETE")
]
_PG_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION auth_audit_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS auth_audit_append_only ON auth_audit",
    """CREATE TRIGGER auth_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON auth_audit
    FOR EACH STATEMENT EXECUTE FUNCTION auth_audit_append_only()""",
]


def default_url(cfg: Settings) -> str:
    """The ``auth_url`` setting, else ``sqlite:///<data_dir>/auth.sqlite``."""
    if cfg.auth_url:
        return cfg.auth_url
    return f"sqlite:///{(Path(cfg.data_dir) / DB_FILE).as_posix()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a bad URL or a missing driver is :class:`BadInput` naming it."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BadInput(f"auth database {url!r} is not a database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise BadInput(f"auth database {url!r}: use sqlite or postgresql, not {backend!r}")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise BadInput(f"auth database {url!r}: give a file (an in-memory database is not shared)")
    if backend == "sqlite":
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(
            parsed,
            pool_pre_ping=backend == "postgresql",
            connect_args={"timeout": BUSY_TIMEOUT_S} if backend == "sqlite" else {},
        )
    except (NoSuchModuleError, ImportError) as exc:
        raise BadInput(f"auth database {url!r}: no driver for {parsed.drivername}: {exc}") from None
    if backend == "sqlite":
        use_sqlite_transactions(engine)
    return engine


def create_schema(engine: Engine) -> None:
    """Create the missing tables and (re)install the append-only triggers of the audit log."""
    try:
        with engine.begin() as conn:
            AuthBase.metadata.create_all(conn)
            _add_missing_columns(conn)
            statements = _PG_TRIGGERS if engine.dialect.name == "postgresql" else _SQLITE_TRIGGERS
            for statement in statements:
                conn.execute(text(statement))
    except OperationalError as exc:
        raise AuthError(
            f"cannot open the auth database {engine.url.render_as_string()}: {exc.orig}"
        ) from None


#: Columns added after a table was first created: ``(table, column, SQL type)``.
ADDED_COLUMNS = (("auth_audit", "plant_ts_ns", "BIGINT"),)


def _add_missing_columns(conn: Connection) -> None:
    """Add the columns a database made by an earlier version lacks (nullable: old rows keep
    NULL)."""
    inspector = inspect(conn)
    for table, column, sql_type in ADDED_COLUMNS:
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))


class Database:
    """Sessions on one engine; :meth:`tx` is one transaction, committed when the block ends."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def tx(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
