"""``shopfloor demo`` on the data of an earlier run: refused, saying how to start over;
``--reset`` deletes that run's operational data and keeps users and models."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.cli import main
from shopfloor.config import load_settings
from shopfloor.errors import ConfigError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.mes import open_mes
from shopfloor.runtime import demo_reset

LATHE = "suzhou/machining/line1/turning/lathe-01"
T = 1_736_150_400 * 10**9  # 2025-01-06T08:00:00Z


def _earlier_run(data_dir: Path) -> None:
    with open_mes(f"sqlite:///{data_dir / 'mes.sqlite'}", plant="demo") as mes:
        mes.apply(MachineEvent(EventKind.STATE_CHANGE, LATHE, T, payload={"state": "Execute"},
                               seq=1))  # fmt: skip
    for name in ("events.sqlite", "rules.sqlite", "historian.duckdb", "auth.sqlite"):
        (data_dir / name).write_bytes(b"x")
    (data_dir / "ingest-buffer").mkdir()
    (data_dir / "ingest-buffer" / "000001.seg").write_bytes(b"x")
    (data_dir / "models").mkdir()
    (data_dir / "models" / "health.json").write_text("{}")


def test_an_earlier_run_is_refused_then_reset_keeps_users_and_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    s = load_settings(data_dir=tmp_path)
    assert demo_reset.earlier_run(s) is None  # a fresh data_dir starts as it is
    _earlier_run(tmp_path)
    with pytest.raises(ConfigError, match=r"earlier demo run \(recorded up to 2025-01-06T08:00"):
        demo_reset.check_fresh(s)
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(tmp_path))
    assert main(["demo", "--port", "0"]) == 2  # refused before anything starts
    assert "shopfloor demo --reset" in capsys.readouterr().err
    gone = {p.name for p in demo_reset.reset(s)}
    assert {"mes.sqlite", "events.sqlite", "rules.sqlite", "historian.duckdb",
            "ingest-buffer"} <= gone  # fmt: skip
    assert (tmp_path / "auth.sqlite").exists() and (tmp_path / "models" / "health.json").exists()
    assert demo_reset.earlier_run(s) is None
    demo_reset.check_fresh(s)


def test_reset_refuses_a_postgresql_store(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path, mes_url="postgresql://db.plant/mes")
    with pytest.raises(ConfigError, match="mes_url is a PostgreSQL database"):
        demo_reset.reset(s)


def test_reset_is_refused_while_a_service_runs_on_the_data_dir(tmp_path: Path) -> None:
    import time

    from shopfloor import plantclock
    from shopfloor.clock import LinearClock

    plantclock.publish(tmp_path, LinearClock(T, time.time_ns(), 1.0), "shopfloor demo")
    with pytest.raises(ConfigError, match="shopfloor demo is running on data_dir"):
        demo_reset.reset(load_settings(data_dir=tmp_path))
    assert (tmp_path / "plant-clock.json").exists()  # nothing was deleted
