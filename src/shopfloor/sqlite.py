"""SQLite as the embedded default of the relational stores (MES, auth): one way to set it up.

:func:`use_sqlite_transactions` makes an engine's connections run in WAL mode with foreign keys
on and a busy timeout of :data:`BUSY_TIMEOUT_S` (a writer waits that long for another's lock),
and lets SQLAlchemy, not the driver, begin the transactions (so SAVEPOINTs work).

Transactions begin deferred: readers never wait for a writer. The price: a transaction that
reads and then writes while another thread committed in between fails at once with "database is
locked" (SQLite cannot upgrade a stale snapshot; no timeout helps). Beginning every transaction
``IMMEDIATE`` would avoid that but makes readers queue behind a writer, and the floor service
holds its transaction while a machine answers a job; the event loop reading MES would then
wait for that answer. Several writers at once (floor, API, live health) are PostgreSQL's job;
on SQLite the floor retries, the writes that meet the floor most (storing and applying a
schedule, opening and closing a maintenance work order) retry by themselves
(:func:`retry_when_busy`), and otherwise the API answers 503 ``db.busy`` (:func:`is_busy`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, event

P = ParamSpec("P")
R = TypeVar("R")
#: Attempts of a :func:`retry_when_busy` call, and the pause before the n-th retry (n x this).
BUSY_ATTEMPTS, BUSY_PAUSE_S = 5, 0.05

#: Seconds a transaction waits for another's write lock before it fails.
BUSY_TIMEOUT_S = 30.0


def _connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={round(BUSY_TIMEOUT_S * 1000)}")
    cur.close()


def _begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (or "busy"): retry later."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text


def use_sqlite_transactions(engine: Engine) -> None:
    """Set up ``engine`` (a SQLite one) as the module doc says."""
    event.listen(engine, "connect", _connect)
    event.listen(engine, "begin", _begin)


def retry_when_busy(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` again (up to :data:`BUSY_ATTEMPTS` times, pausing a little longer each time)
    when it fails with :func:`is_busy`. ``fn`` must be one transaction with no effect outside
    it, so that a failed attempt left nothing behind."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if attempt == BUSY_ATTEMPTS or not is_busy(exc):
                    raise
            time.sleep(BUSY_PAUSE_S * attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    return run
