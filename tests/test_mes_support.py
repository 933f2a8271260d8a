"""Fixtures and helpers shared by the MES tests (imported by each ``test_mes_*`` module).

Fixtures are registered under their ``name=`` (``db_url``, ``mes``...); test modules import
the ``*_fixture`` functions, which pytest then finds in their namespace.

``db_url`` runs a test against SQLite and PostgreSQL, each at the head revision and holding
nothing: on SQLite a copy (in the test's tmp folder) of a file migrated once per session; on
PostgreSQL one database migrated once per session in the temporary cluster of
``tests/pg_fixture.py`` (one cluster per xdist worker), its MES tables truncated (identities
restarted) before each test. ``CREATE DATABASE`` costs 0.5-1.5 s per test on a loaded machine;
``empty_db_url`` still makes a brand-new database, for the migration tests.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shopfloor.clock import VirtualClock
from shopfloor.events import EventKind, MachineEvent
from shopfloor.mes import MesService, open_mes
from shopfloor.mes.db import make_engine, migrate
from shopfloor.mes.models import Base
from shopfloor.plant import Plant, load_plant

DEMO = load_plant("demo")
BACKENDS = ["sqlite", "postgresql"]


def path(equipment_id: str) -> str:
    return DEMO.path_of[equipment_id]


def _pg_database(cluster: Any, template: str | None = None) -> str:
    """A new database in the session's cluster (a copy of ``template`` if given); its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    copy = f" TEMPLATE {template} STRATEGY file_copy" if template else ""
    with psycopg.connect(cluster.url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}{copy}")
    return f"{cluster.url.rsplit('/', 1)[0]}/{name}"


def _pg_drop(cluster: Any, url: str) -> None:
    with psycopg.connect(cluster.url, autocommit=True) as con:
        con.execute(f"DROP DATABASE {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture(scope="session", name="sqlite_template")
def sqlite_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies of it."""
    file = tmp_path_factory.mktemp("mes") / "template.sqlite"
    engine = make_engine(f"sqlite:///{file}")
    migrate(engine)
    engine.dispose()
    return file


@pytest.fixture(scope="session", name="pg_database")
def pg_database_fixture(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL database migrated to head once per session (per xdist worker)."""
    cluster = request.getfixturevalue("postgres_cluster")
    url = _pg_database(cluster)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    _pg_drop(cluster, url)


@pytest.fixture(params=BACKENDS, name="db_url")
def db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An MES database at the head revision holding nothing, for one test."""
    if request.param == "sqlite":
        file = tmp_path / "mes.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), file)
        yield f"sqlite:///{file}"
        return
    url = request.getfixturevalue("pg_database")
    tables = ", ".join(Base.metadata.tables)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("SET lock_timeout = '20s'")
        con.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield url


@pytest.fixture(params=BACKENDS, name="empty_db_url")
def empty_db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables at all) of its own for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url = _pg_database(cluster)
    yield url
    _pg_drop(cluster, url)


@pytest.fixture(name="clock")
def clock_fixture() -> VirtualClock:
    return VirtualClock()


@pytest.fixture(name="mes")
def mes_fixture(db_url: str, clock: VirtualClock) -> Iterator[MesService]:
    service = open_mes(db_url, plant=DEMO, clock=clock)
    try:
        yield service
    finally:
        service.close()


class Events:
    """Builds machine events with a sequence number per equipment, at the clock's time."""

    def __init__(self, clock: VirtualClock, plant: Plant = DEMO) -> None:
        self.clock = clock
        self.plant = plant
        self.seq: dict[str, int] = {}

    def __call__(
        self,
        kind: EventKind,
        equipment: str,
        serial: str | None = None,
        order_id: str | None = None,
        **payload: Any,
    ) -> MachineEvent:
        p = self.plant.path_of[equipment]
        self.seq[p] = self.seq.get(p, 0) + 1
        return MachineEvent(kind, p, self.clock.now_ns(), serial, order_id, payload, self.seq[p])

    def part(
        self,
        equipment: str,
        serial: str,
        order_id: str | None,
        product: str,
        operation: str,
        seq: int,
        good: bool = True,
        **extra: Any,
    ) -> list[MachineEvent]:
        """A part_start, 30 s, a part_complete (and a part_scrap when not good)."""
        start = self(
            EventKind.PART_START,
            equipment,
            serial,
            order_id,
            product=product,
            operation=operation,
            seq=seq,
        )
        self.clock.advance_s(30)
        done = self(
            EventKind.PART_COMPLETE,
            equipment,
            serial,
            order_id,
            product=product,
            operation=operation,
            seq=seq,
            good=good,
            **extra,
        )
        out = [start, done]
        if not good:
            out.append(
                self(
                    EventKind.PART_SCRAP,
                    equipment,
                    serial,
                    order_id,
                    product=product,
                    operation=operation,
                    defect="bore_oversize",
                )
            )
        return out
