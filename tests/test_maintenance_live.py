"""Live health: anomaly detector, scoring service on a sample stream, loop to a real MES."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import numpy as np
import pytest

from shopfloor.clock import VirtualClock
from shopfloor.connect.sink import SampleBatch
from shopfloor.events import EventKind, MachineEvent
from shopfloor.maintenance.health import ClassModel, HealthModels
from shopfloor.maintenance.live import LiveHealthService
from shopfloor.maintenance.live_score import AlarmRecord, Failure, score_alarms
from shopfloor.maintenance.live_state import ANOMALY_FEATURES, FEATURES, Baselines
from shopfloor.plant import load_plant
from shopfloor.plant.states import PackMLState
from shopfloor.service import Service

LATHE = "suzhou/machining/line1/turning/lathe-01"
H = 3_600_000_000_000
T0 = 1_736_143_200_000_000_000  # 2025-01-06T06:00Z, a multiple of 600 s


class Collect:
    def __init__(self) -> None:
        self.batches: list[SampleBatch] = []
        self.events: list[MachineEvent] = []

    async def on_samples(self, batch: SampleBatch) -> None:
        self.batches.append(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        self.events.extend(events)


def models() -> HealthModels:
    """A hand-set lathe model: healthy vibration 2 mm/s, temperature 40 Cel, no RUL model."""
    n = len(ANOMALY_FEATURES)
    m = ClassModel(np.zeros(n), np.full(n, 0.05), 0.5, 6.0, anomaly_alarm=4.0)
    b = Baselines({("cnc_lathe", "*"): 2.0}, {("cnc_lathe", "*"): 40.0})
    return HealthModels(b, {"cnc_lathe": m}, anomaly_persist=3)


def test_anomaly_detector_scores_and_explains() -> None:
    m = models()
    healthy = (0.0, 0.0, 0.0, 0.0, 10.0, math.nan, math.nan)
    worn = (0.4, 0.2, 0.2, 0.05, 60.0, math.nan, math.nan)  # vibration up 50 %, rising
    s_ok, s_bad = m.score_many("cnc_lathe", [healthy, worn])
    assert s_ok.anomaly == 0.0 and s_ok.health_index == 1.0 and s_ok.top == []
    assert s_bad.anomaly > 4.0 and s_bad.health_index < 0.4
    assert s_bad.top[0][0] == "vib_fast" and s_bad.top[0][1] > 0.5
    assert m.score("robot", healthy) is None  # no model for the class: no score
    assert len(FEATURES) == len(healthy)


def stream(vib: float, hours: float, t_start: int) -> SampleBatch:
    """1 Hz state (Execute), vibration RMS and bearing temperature of lathe-01."""
    n = int(hours * 3600)
    ts = t_start + np.arange(n, dtype=np.int64) * 1_000_000_000
    tags = (f"{LATHE}/state", f"{LATHE}/vibration_rms", f"{LATHE}/spindle_temp")
    idx = np.repeat(np.arange(3, dtype=np.int32)[None, :], n, axis=0).ravel()
    values = np.column_stack(
        [np.full(n, PackMLState.EXECUTE.code), np.full(n, vib), np.full(n, 40.0)]
    ).ravel()
    return SampleBatch(tags, idx, np.repeat(ts, 3), values, np.zeros(3 * n, np.uint8))


def run_stream(svc: LiveHealthService, vibs: list[float]) -> None:
    async def go() -> None:
        await svc.start()
        for k, v in enumerate(vibs):
            await svc.on_samples(stream(v, 1.0, T0 + k * H))

    asyncio.run(go())


def test_service_publishes_health_and_raises_one_alarm_per_life() -> None:
    out = Collect()
    svc = LiveHealthService(load_plant("demo"), VirtualClock(T0), models=models(), output=out)
    assert isinstance(svc, Service)
    run_stream(svc, [2.0] * 3 + [3.2] * 4)
    st = svc.status()[LATHE]
    assert st["alarm"] is True and st["health_index"] < 0.5
    assert st["top_features"][0]["feature"] == "vib_fast"
    alarms = [e for e in out.events if e.kind is EventKind.ALARM]
    assert len(alarms) == 1  # latched until a wear repair
    assert alarms[0].payload["evidence"]["features"]["vib_fast"] > 0.3
    assert alarms[0].ts_ns > T0 + 3 * H  # not while healthy
    tags = {t for b in out.batches for t in b.tags}
    assert f"{LATHE}/health_index" in tags and f"{LATHE}/anomaly_score" in tags
    asyncio.run(
        svc.on_events(
            [MachineEvent(EventKind.REPAIR, LATHE, T0 + 8 * H, payload={"cause": "wear"})]
        )
    )
    run_stream(svc, [])
    assert svc.health().ok and svc.health().metrics["alarms"] == 1


def test_loop_opens_a_work_order_in_mes(tmp_path: object) -> None:
    from shopfloor.mes.service import open_mes

    clock = VirtualClock(T0)
    mes = open_mes(f"sqlite:///{tmp_path}/mes.sqlite", plant="demo", clock=clock)
    out = Collect()
    svc = LiveHealthService(load_plant("demo"), clock, models=models(), mes=mes, output=out)
    run_stream(svc, [2.0, 3.4, 3.4, 3.4])
    orders = mes.maintenance.list(equipment=LATHE, status="open")
    assert len(orders) == 1
    wo = orders[0]
    assert wo.kind == "predictive" and wo.evidence["features"]["vib_fast"] > 0.3
    alarm = mes.alarms.list(equipment=LATHE)[0]
    assert alarm.ref == wo.id and alarm.code == "PDM_FAILURE_PREDICTED"
    assert svc.status()[LATHE]["work_order"] == wo.id
    event = next(e for e in out.events if e.kind is EventKind.ALARM)
    assert event.payload["work_order"] == wo.id
    again, created = mes.maintenance.open_predictive(LATHE, code="PDM_FAILURE_PREDICTED", text="x")
    assert not created and again.id == wo.id
    assert mes.maintenance.close(wo.id, who="tech").status == "closed"
    mes.close()


def test_bad_window_is_refused() -> None:
    from shopfloor.errors import BadInput

    with pytest.raises(BadInput, match="window_s"):
        LiveHealthService(load_plant("demo"), VirtualClock(T0), window_s=0)


def test_scoring_counts_leads_false_and_pending_alarms() -> None:
    fails = [Failure("m", 100 * H, "wear"), Failure("m", 300 * H, "random")]
    alarms = [
        AlarmRecord("m", 90 * H),  # 10 h ahead: predicted, true
        AlarmRecord("m", 150 * H),  # no wear failure follows: false
        AlarmRecord("m", 390 * H),  # horizon past the end: pending
    ]
    r = score_alarms(alarms, fails, end_ns=400 * H, machine_weeks=2.0)
    assert r["predicted_share"] == 1.0 and r["lead_h_median"] == 10.0
    assert (r["true_alarms"], r["false_alarms"], r["pending_alarms"]) == (1, 1, 1)
    assert r["false_alarms_per_machine_week"] == 0.5
    assert r["random_failures"] == 1


def test_waveform_batches_become_window_features() -> None:
    """1 kHz blocks with bearing impulses raise the recorded kurtosis and high-band share."""
    svc = LiveHealthService(load_plant("demo"), VirtualClock(T0), window_s=60.0, record=True)
    wave_tag = svc.equipment[LATHE].tags.roles["waveform"]
    rng = np.random.default_rng(1)

    def batch(t0: int, impulses: bool) -> SampleBatch:
        n = 60_000  # one minute at 1 kHz
        ts = t0 + np.arange(n, dtype=np.int64) * 1_000_000
        x = np.sin(2 * math.pi * 40 * ts / 1e9) + 0.1 * rng.standard_normal(n)
        if impulses:
            k = np.arange(n) % 100
            x += 8.0 * np.exp(-k / 4.0) * np.sin(2 * math.pi * 380 * k / 1000)
        tags = (f"{LATHE}/state", wave_tag)
        idx = np.concatenate([[0], np.ones(n, np.int32)]).astype(np.int32)
        all_ts = np.concatenate([[t0], ts])
        values = np.concatenate([[PackMLState.EXECUTE.code], x])
        return SampleBatch(tags, idx, all_ts, values, np.zeros(n + 1, np.uint8))

    async def go() -> None:
        for k, imp in enumerate([False, True, False]):
            await svc.on_samples(batch(T0 + k * 60 * 10**9, imp))

    asyncio.run(go())
    obs = svc.equipment[LATHE].observations
    assert len(obs) == 2  # the newest window stays open
    assert obs[0].executing == 1.0
    assert obs[1].kurtosis > obs[0].kurtosis + 1.0
    assert obs[1].band_hi > 5 * obs[0].band_hi


def test_health_models_round_trip_the_registry(tmp_path: object) -> None:
    from pathlib import Path

    from shopfloor.maintenance.errors import SchemaMismatch
    from shopfloor.maintenance.health_store import load_health_models, save_health_models
    from shopfloor.maintenance.registry import Registry

    reg = Registry(Path(str(tmp_path)), VirtualClock(T0))
    manifest = save_health_models(reg, "health", models(), trained_on={"plant": "demo"})
    loaded, m2 = load_health_models(reg, "health")
    assert m2.version == manifest.version == 1
    assert loaded.classes["cnc_lathe"].anomaly_alarm == 4.0
    path = Path(str(tmp_path)) / "health" / "1" / "manifest.json"
    path.write_text(path.read_text().replace('"run_h"', '"hours"'))  # another schema
    with pytest.raises(SchemaMismatch, match="trained on features"):
        load_health_models(reg, "health")
