"""Live health: features next to the connector, health index, RUL and alarms per equipment.

:class:`LiveHealthService` is a :class:`~shopfloor.service.Service` and a
:class:`~shopfloor.connect.sink.SampleSink`: connectors (or the bus) deliver sample batches and
machine events to it. Per equipment with a vibration tag (found by ``signal`` in the plant
model) it gathers feature windows of ``window_s``: the share of the window in Execute, the mean
vibration RMS and bearing temperature while executing, and from 1 kHz waveforms the kurtosis and
high-band energy share (:mod:`.live_features`). At each window's end the tracker updates the
features (:mod:`.live_state`), the class models score them (:mod:`.health`), and the service

- keeps the latest :class:`EquipmentHealth` in memory (:meth:`status`, for the API);
- publishes derived samples ``<equipment>/health_index``, ``/rul_h`` and ``/anomaly_score``
  to ``output``;
- when the RUL stays under the class threshold or the anomaly persists, calls the
  :class:`~.loop.MaintenanceLoop` once per component life (alarm and work order with evidence).

A ``repair`` event of a wear-out failure starts a new component life. Without models the service
only records observations (``record=True``), which is how training data is gathered.

Constructor: ``LiveHealthService(plant, clock, *, models=None, mes=None, output=None,
window_s=600.0, record=False)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from shopfloor.clock import Clock
from shopfloor.connect.sink import SampleBatch, SampleSink
from shopfloor.errors import BadInput
from shopfloor.events import EventKind, MachineEvent
from shopfloor.maintenance.health import HealthModels
from shopfloor.maintenance.live_features import EquipmentTags, WaveformWindows, waveform_features
from shopfloor.maintenance.live_state import EquipmentTracker, Observation
from shopfloor.maintenance.loop import MaintenanceLoop
from shopfloor.plant.model import Plant
from shopfloor.plant.states import PackMLState
from shopfloor.samples import Quality, Sample
from shopfloor.service import Health

if TYPE_CHECKING:
    from shopfloor.mes.service import MesService

EXECUTE = PackMLState.EXECUTE.code
CODE_OF = {s.value: s.code for s in PackMLState}


@dataclass
class EquipmentHealth:
    """The latest health of one equipment (what the API shows)."""

    equipment: str
    ts_ns: int
    health_index: float
    anomaly: float
    rul_h: float | None
    top: list[tuple[str, float]]
    alarm: bool = False
    work_order: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "equipment": self.equipment,
            "ts_ns": self.ts_ns,
            "health_index": round(self.health_index, 4),
            "anomaly_score": round(self.anomaly, 4),
            "rul_h": None if self.rul_h is None else round(self.rul_h, 2),
            "top_features": [{"feature": f, "share": round(s, 3)} for f, s in self.top],
            "alarm": self.alarm,
            "work_order": self.work_order,
        }


@dataclass
class _Acc:
    state_n: int = 0
    exec_n: int = 0
    vib: list[float] = field(default_factory=list)
    temp: list[float] = field(default_factory=list)
    kurt: list[float] = field(default_factory=list)
    band: list[float] = field(default_factory=list)


@dataclass
class _Eq:
    tags: EquipmentTags
    tracker: EquipmentTracker
    state: int = 0
    product: str | None = None
    windows: dict[int, _Acc] = field(default_factory=dict)
    wave: WaveformWindows | None = None
    n_rul: int = 0
    n_anom: int = 0
    latched: bool = False
    observations: list[Observation] = field(default_factory=list)
    prev_state: int = 0
    state_ts: np.ndarray | None = None
    state_v: np.ndarray = field(default_factory=lambda: np.zeros(0))


class LiveHealthService:
    """Live health scoring of every equipment with vibration tags (see the module doc)."""

    name = "maintenance-live"

    def __init__(
        self,
        plant: Plant,
        clock: Clock,
        *,
        models: HealthModels | None = None,
        mes: MesService | None = None,
        output: SampleSink | None = None,
        window_s: float = 600.0,
        record: bool = False,
    ) -> None:
        if not window_s > 0:
            raise BadInput(f"window_s must be > 0, got {window_s!r}", field="window_s")
        self.plant, self.clock, self.models, self.output = plant, clock, models, output
        self.window_ns = round(window_s * 1e9)
        self.record = record
        self.loop = MaintenanceLoop(clock, mes=mes, output=output)
        b = models.baselines if models is not None else None
        self.equipment: dict[str, _Eq] = {}
        self.role_of: dict[str, tuple[str, str]] = {}
        for path, t in EquipmentTags.of_plant(plant).items():
            e = _Eq(t, EquipmentTracker(path, t.cls, b))
            if "waveform" in t.roles:
                e.wave = WaveformWindows(t.rates[t.roles["waveform"]])
            self.equipment[path] = e
            for role, tag in t.roles.items():
                self.role_of[tag] = (path, role)
        self.latest: dict[str, EquipmentHealth] = {}
        self.running = False
        self.windows_closed = 0
        self.late_rows = 0

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    def health(self) -> Health:
        return Health(
            ok=self.running,
            detail="" if self.running else "stopped",
            metrics={
                "equipment": len(self.equipment),
                "windows": self.windows_closed,
                "late_rows": self.late_rows,
                "alarms": len(self.loop.actions),
            },
        )

    def status(self) -> dict[str, dict[str, Any]]:
        """The latest health of every scored equipment, by path."""
        return {p: h.to_dict() for p, h in sorted(self.latest.items())}

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        for ev in events:
            e = self.equipment.get(ev.equipment)
            if e is None:
                continue
            if ev.kind is EventKind.PART_START:
                product = ev.payload.get("product")
                e.product = str(product) if product is not None else None
            elif ev.kind is EventKind.STATE_CHANGE and "state" not in e.tags.roles:
                e.state = CODE_OF.get(str(ev.payload.get("state")), e.state)
            elif ev.kind is EventKind.REPAIR and ev.payload.get("cause") == "wear":
                e.tracker.reset()
                e.latched, e.n_rul, e.n_anom = False, 0, 0

    async def on_samples(self, batch: SampleBatch) -> None:
        touched: set[str] = set()
        roles = [self.role_of.get(t) for t in batch.tags]
        order = sorted(
            (i for i, r in enumerate(roles) if r is not None),
            key=lambda i: roles[i][1] != "state",  # type: ignore[index]
        )
        for i in order:
            path, role = roles[i]  # type: ignore[misc]
            rows = np.flatnonzero(batch.tag_index == i)
            ts, values = batch.ts_ns[rows], batch.values[rows]
            bad = batch.quality[rows] == Quality.BAD
            values = np.where(bad, np.nan, values)
            self._add(self.equipment[path], role, ts, values)
            touched.add(path)
        derived: list[Sample] = []
        for path in touched:
            self.equipment[path].state_ts = None
            derived.extend(await self._close(path))
        if derived and self.output is not None:
            await self.output.on_samples(SampleBatch.from_samples(derived))

    def _add(self, e: _Eq, role: str, ts: np.ndarray, values: np.ndarray) -> None:
        win = ts // self.window_ns
        if role == "state":
            ok = ~np.isnan(values)
            for w in np.unique(win[ok]).tolist():
                sel = ok & (win == w)
                acc = e.windows.setdefault(w, _Acc())
                acc.state_n += int(sel.sum())
                acc.exec_n += int((values[sel] == EXECUTE).sum())
            e.prev_state = e.state
            e.state_ts, e.state_v = ts[ok], values[ok]
            if ok.any():
                e.state = int(values[ok][-1])
            return
        running = self._running_at(e, ts)
        if role == "waveform":
            assert e.wave is not None
            end_ts, win_x = e.wave.add(ts, values)
            if not len(end_ts):
                return
            f = waveform_features(win_x, e.wave.rate_hz)
            total = sum(f[f"band{k}"] for k in range(4))
            share = np.where(total > 0, f["band3"] / np.where(total > 0, total, 1.0), np.nan)
            run_w = self._running_at(e, end_ts)
            for k, t in enumerate(end_ts.tolist()):
                if run_w[k]:
                    acc = e.windows.setdefault(t // self.window_ns, _Acc())
                    acc.kurt.append(float(f["kurtosis"][k]))
                    acc.band.append(float(share[k]))
            return
        for w in np.unique(win).tolist():
            sel = (win == w) & ~np.isnan(values)
            if role == "vibration_rms":
                sel &= running
            acc = e.windows.setdefault(w, _Acc())
            (acc.vib if role == "vibration_rms" else acc.temp).extend(values[sel].tolist())

    def _running_at(self, e: _Eq, ts: np.ndarray) -> np.ndarray:
        """Whether the equipment was executing at each time (state rows of this batch first)."""
        if e.state_ts is None or not len(e.state_ts):
            return np.full(len(ts), e.state == EXECUTE)
        j = np.searchsorted(e.state_ts, ts, side="right") - 1
        states = np.where(j >= 0, e.state_v[np.maximum(j, 0)], e.prev_state)
        return states == EXECUTE

    async def _close(self, path: str) -> list[Sample]:
        """Close every window of ``path`` older than its newest one; derived samples out."""
        e = self.equipment[path]
        if len(e.windows) < 2:
            return []
        newest = max(e.windows)
        rows: list[tuple[int, tuple[float, ...]]] = []
        for w in sorted(k for k in e.windows if k < newest):
            acc = e.windows.pop(w)
            end = (w + 1) * self.window_ns
            share = acc.exec_n / acc.state_n if acc.state_n else float(e.state == EXECUTE)
            obs = Observation(
                end,
                share,
                _mean(acc.vib),
                _mean(acc.temp),
                e.product,
                _mean(acc.kurt),
                _mean(acc.band),
            )
            self.windows_closed += 1
            if self.record:
                e.observations.append(obs)
            row = e.tracker.observe(obs)
            if row is not None:
                rows.append((end, row))
        if self.models is None or not rows:
            return []
        scores = self.models.score_many(e.tags.cls, [r for _t, r in rows])
        out: list[Sample] = []
        for (end, row), sc in zip(rows, scores, strict=False):
            h = EquipmentHealth(path, end, sc.health_index, sc.anomaly, sc.rul_h, sc.top)
            prev = self.latest.get(path)
            h.alarm, h.work_order = e.latched, prev.work_order if prev and e.latched else None
            self.latest[path] = h
            out.append(Sample(f"{path}/health_index", end, sc.health_index))
            out.append(Sample(f"{path}/anomaly_score", end, sc.anomaly))
            if sc.rul_h is not None:
                out.append(Sample(f"{path}/rul_h", end, sc.rul_h))
            await self._decide(e, h, row)
        return out

    async def _decide(self, e: _Eq, h: EquipmentHealth, row: tuple[float, ...]) -> None:
        assert self.models is not None
        m = self.models.classes[e.tags.cls]
        e.n_rul = e.n_rul + 1 if h.rul_h is not None and h.rul_h < m.rul_alarm_h else 0
        e.n_anom = e.n_anom + 1 if h.anomaly > m.anomaly_alarm else 0
        rul_hit = e.n_rul >= self.models.persist
        if e.latched or not (rul_hit or e.n_anom >= self.models.anomaly_persist):
            return
        e.latched = True
        why = (
            f"remaining useful life {h.rul_h:.1f} operating h < {m.rul_alarm_h:g} h"
            if rul_hit and h.rul_h is not None
            else f"anomaly score {h.anomaly:.2f} > {m.anomaly_alarm:.2f} for {e.n_anom} windows"
        )
        from shopfloor.maintenance.live_state import FEATURES

        evidence: dict[str, Any] = {
            "health": h.to_dict(),
            "features": {
                k: (None if math.isnan(v) else round(v, 4))
                for k, v in zip(FEATURES, row, strict=True)
            },
            "rule": why,
            "class": e.tags.cls,
            "product": e.product,
        }
        if h.rul_h is not None:
            evidence["due_ns"] = h.ts_ns + round(h.rul_h * 3.6e12)
        action = await self.loop.predicted(
            e.tags.equipment, h.ts_ns, f"Failure predicted: {why}", evidence
        )
        h.alarm, h.work_order = True, action.work_order


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan
