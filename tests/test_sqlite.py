"""SQLite as the stores use it: a writer that lost the race is told so, and retried where safe."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from shopfloor.mes.db import make_engine
from shopfloor.sqlite import BUSY_ATTEMPTS, is_busy, retry_when_busy


def test_a_transaction_that_lost_the_race_is_run_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'race.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    attempts = 0

    @retry_when_busy
    def read_then_write() -> int:
        nonlocal attempts
        attempts += 1
        with engine.begin() as conn:
            n = conn.execute(text("SELECT count(*) FROM t")).scalar_one()
            if attempts == 1:  # another writer commits between our read and our write
                with engine.begin() as other:
                    other.execute(text("INSERT INTO t VALUES (1)"))
            conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": n + 10})
        return int(n)

    assert read_then_write() == 1 and attempts == 2  # the second attempt saw the other's row
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t ORDER BY rowid")).scalars().all() == [1, 11]
    engine.dispose()


def test_only_busy_errors_are_retried_and_not_for_ever() -> None:
    calls: list[str] = []

    @retry_when_busy
    def busy() -> None:
        calls.append("busy")
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    @retry_when_busy
    def broken() -> None:
        calls.append("broken")
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("no such table: t"))

    with pytest.raises(OperationalError) as err:
        busy()
    assert is_busy(err.value) and calls.count("busy") == BUSY_ATTEMPTS
    with pytest.raises(OperationalError, match="no such table"):
        broken()
    assert calls.count("broken") == 1
