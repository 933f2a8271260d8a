"""The MES database: migrations from empty on both backends, schema = models, URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from shopfloor.config import load_settings
from shopfloor.errors import BadInput
from shopfloor.mes import open_mes
from shopfloor.mes.db import (
    VERSION_TABLE,
    alembic_config,
    current_revision,
    default_url,
    make_engine,
    migrate,
)
from shopfloor.mes.models import Base
from tests.test_mes_support import (  # noqa: F401 - fixtures
    DEMO,
    empty_db_url_fixture,
)


def test_migrations_upgrade_an_empty_database_to_the_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert inspect(engine).get_table_names() == []
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == "0003"
        tables = set(inspect(engine).get_table_names())
        assert tables == set(Base.metadata.tables) | {VERSION_TABLE}
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            assert compare_metadata(ctx, Base.metadata) == []
        migrate(engine)  # at head already: nothing to do
        assert current_revision(engine) == "0003"
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) <= {VERSION_TABLE}
    finally:
        engine.dispose()


def test_open_mes_upgrades_at_open(empty_db_url: str) -> None:
    with open_mes(empty_db_url, plant=DEMO) as mes:
        assert current_revision(mes.ctx.db.engine) == "0003"
        assert mes.orders.list() == []


def test_default_url_is_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    url = default_url(load_settings(data_dir=tmp_path / "data"))
    assert url == f"sqlite:///{tmp_path}/data/mes.sqlite"
    with open_mes(url, plant=DEMO) as mes:
        assert mes.ctx.db.backend == "sqlite"
    assert (tmp_path / "data" / "mes.sqlite").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://x@localhost/db", "supports sqlite and postgresql, not 'mysql'"),
    ],
)
def test_a_bad_url_is_bad_input(url: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        make_engine(url)
