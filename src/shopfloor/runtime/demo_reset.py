"""Starting the demo over: the virtual plant starts afresh at every start (its clock at
``sim_start``, no orders, no parts), so the stores of an earlier demo run on the same
``data_dir`` would hold orders "running" in a future the new run has not reached. ``shopfloor
demo`` refuses such a ``data_dir`` and says how to start over; ``--reset`` deletes the earlier
run's operational data (MES, historian, event journal, the rules' memory, the ingest buffer,
assessment runs) and keeps users, certificates and trained models."""

from __future__ import annotations

import shutil
from pathlib import Path

from shopfloor.clock import from_ns
from shopfloor.config import Settings
from shopfloor.connect.rules_store import RULES_FILE
from shopfloor.errors import ConfigError
from shopfloor.historian.cli import DEFAULT_STORE_NAME, default_store
from shopfloor.mes.db import DB_FILE as MES_FILE
from shopfloor.mes.db import default_url as mes_url
from shopfloor.plantclock import CLOCK_FILE, running_clock
from shopfloor.runtime.platform import EVENTS_FILE

#: What an earlier run left under ``data_dir`` (files and folders), deleted by ``--reset``.
RUN_DATA = (MES_FILE, DEFAULT_STORE_NAME, EVENTS_FILE, RULES_FILE, "ingest-buffer",
            "assessment", CLOCK_FILE)  # fmt: skip


def _files(data_dir: Path) -> list[Path]:
    out: list[Path] = []
    for name in RUN_DATA:
        out += [p for p in data_dir.glob(f"{name}*") if p.exists()]  # with -wal, -shm, .wal
    return sorted(set(out))


def earlier_run(s: Settings) -> str | None:
    """What an earlier demo run left (the newest instant its MES holds), or None."""
    url = mes_url(s)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    from shopfloor.mes import open_mes

    mes = open_mes(url, plant=s.plant)
    try:
        last = mes.recorded_until()
    finally:
        mes.close()
    return None if last is None else from_ns(last).isoformat()


def check_fresh(s: Settings) -> None:
    """Refuse a ``data_dir`` that holds an earlier demo run, saying how to start over."""
    last = earlier_run(s)
    if last is not None:
        raise ConfigError(
            f"data_dir {s.data_dir} holds an earlier demo run (recorded up to {last}); the "
            "virtual plant starts afresh at every start, so start over with `shopfloor demo "
            "--reset` (deletes that run's MES, historian and events; keeps users and models) "
            "or give another data_dir (SHOPFLOOR_DATA_DIR)",
            field="data_dir",
        )


def reset(s: Settings) -> list[Path]:
    """Delete an earlier run's operational data under ``data_dir``; what was deleted. Refused
    while a service runs on it."""
    running = running_clock(s.data_dir)
    if running is not None:
        raise ConfigError(
            f"--reset: {running[1]} is running on data_dir {s.data_dir}; stop it first",
            field="data_dir",
        )
    for name, url in (("mes_url", mes_url(s)), ("historian_url", default_store(s))):
        if "://" in url and not url.startswith("sqlite"):  # a database server, not a file
            raise ConfigError(
                f"--reset deletes files under data_dir; {name} is a PostgreSQL database: "
                "give the demo a fresh database instead",
                field=name,
            )
    gone = _files(s.data_dir)
    for p in gone:
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    return gone
