"""pytest plugin: a temporary PostgreSQL cluster per test session (per xdist worker).

The cluster comes from :class:`shopfloor.historian.pgtemp.TempPostgres`: ``initdb`` into a temp
folder, listening on a free 127.0.0.1 port with its socket in that folder, stopped and deleted at
the end of the session. It runs with ``fsync=off`` (test data need no crash safety). Each test
gets its own schema (``postgres_url`` sets ``search_path``), so tests never share tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from shopfloor.historian.backend import HistorianError
from shopfloor.historian.pgtemp import TempPostgres, find_bin

TEST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[TempPostgres]:
    try:
        find_bin("initdb")
    except HistorianError as exc:
        pytest.fail(f"{exc} (make sysdeps installs it)")
    with TempPostgres(TEST_SETTINGS) as cluster:
        yield cluster


@pytest.fixture
def postgres_url(postgres_cluster: TempPostgres) -> Iterator[str]:
    """A superuser URL whose ``search_path`` is a fresh schema of its own."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_cluster.url, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    yield f"{postgres_cluster.url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_cluster.url, autocommit=True) as con:
        con.execute(f"DROP SCHEMA {schema} CASCADE")
