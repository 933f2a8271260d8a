"""Alembic environment of the MES schema (run by :func:`shopfloor.mes.db.migrate`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from shopfloor.mes.models import Base

config = context.config
version_table = config.get_main_option("version_table") or "mes_alembic_version"


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        version_table=version_table,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        version_table=version_table,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
    else:
        engine = create_engine(str(config.get_main_option("sqlalchemy.url")))
        with engine.begin() as conn:
            _run(conn)
        engine.dispose()
