"""The MES database: engine, Alembic migrations (run at open) and transaction scope.

SQLite is the default (one file under ``Settings().data_dir``); PostgreSQL works the same through
a ``postgresql+psycopg://`` URL. :func:`migrate` upgrades any database to the head revision of
``shopfloor/mes/migrations`` (kept in ``mes_alembic_version``, so MES can share a database with
other packages). :class:`Database` gives one transaction per call, or joins the caller's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shopfloor.config import Settings, settings
from shopfloor.errors import BadInput, MesError
from shopfloor.sqlite import BUSY_TIMEOUT_S, use_sqlite_transactions

VERSION_TABLE = "mes_alembic_version"
MIGRATIONS = "shopfloor.mes:migrations"
DB_FILE = "mes.sqlite"


def default_url(cfg: Settings | None = None) -> str:
    """The ``mes_url`` setting, else ``sqlite:///<data_dir>/mes.sqlite``."""
    s = cfg or settings()
    if s.mes_url:
        return s.mes_url
    return f"sqlite:///{(Path(s.data_dir) / DB_FILE).as_posix()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a bad URL or missing driver is a :class:`BadInput` naming it."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BadInput(f"--db {url!r} is not a database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise BadInput(f"--db {url!r}: MES supports sqlite and postgresql, not {backend!r}")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(
            parsed,
            pool_pre_ping=backend == "postgresql",
            connect_args={"timeout": BUSY_TIMEOUT_S} if backend == "sqlite" else {},
        )
    except (NoSuchModuleError, ImportError) as exc:
        raise BadInput(f"--db {url!r}: no driver for {parsed.drivername}: {exc}") from None
    if backend == "sqlite":
        use_sqlite_transactions(engine)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.set_main_option("version_table", VERSION_TABLE)
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser escaping
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (creating every table on an empty database)."""
    cfg = alembic_config(engine)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise MesError(
            f"cannot open the MES database {engine.url.render_as_string()}: {exc.orig}"
        ) from None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return ctx.get_current_revision()


class Database:
    """Sessions on one engine: :meth:`tx` opens a transaction or joins the one already open."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._active: ContextVar[Session | None] = ContextVar(f"mes_tx_{id(self)}", default=None)

    @property
    def backend(self) -> str:
        return self.engine.url.get_backend_name()

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on an error."""
        active = self._active.get()
        if active is not None:
            yield active
            return
        session = self._sessions()
        token = self._active.set(session)
        try:
            with session.begin():
                yield session
        finally:
            self._active.reset(token)
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
