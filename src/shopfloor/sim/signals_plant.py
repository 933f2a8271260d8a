"""Tag values of AGVs, line energy meters and hall climate sensors."""

from __future__ import annotations

import math
from collections.abc import Sequence

from shopfloor.plant.model import EquipmentClass
from shopfloor.plant.states import PackMLState as S
from shopfloor.sim.signals import SignalFn, TagCtx, Value, const
from shopfloor.sim.transport import Agv

PHASE_V = 230.0


def _agv(c: TagCtx) -> Agv | None:
    return c.asset if isinstance(c.asset, Agv) else None


def battery(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    agv = _agv(c)
    return [round(agv.battery_at(t), 2) if agv else 100.0 for t in ts]


def agv_position(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    agv = _agv(c)
    axis = 1 if c.tag.name.endswith("y") else 0
    return [round(agv.position_at(t)[axis], 3) if agv else 0.0 for t in ts]


def agv_speed(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    agv = _agv(c)
    if agv is None:
        return const(0.0, ts)
    return [
        max(0.0, agv.speed + c.noise(0.02))
        if agv.trip is not None and c.state(t) is S.EXECUTE
        else 0.0
        for t in ts
    ]


def agv_loaded(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    agv = _agv(c)
    return const(bool(agv and agv.loaded), ts)


def _line_kw(c: TagCtx) -> float:
    return sum(a.tracker.power_kw for a in c.line_assets)


def line_power(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    kw = _line_kw(c)
    return [kw * (1 + c.noise(0.003)) for _ in ts]


def line_energy(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    w = c.asset.world
    return [sum(a.tracker.kwh_at(w.ns(t)) for a in c.line_assets) for t in ts]


def power_factor(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    installed = sum(a.p.power_kw[S.EXECUTE] for a in c.line_assets) or 1.0
    load = min(1.0, _line_kw(c) / installed)
    return [round(min(0.99, 0.78 + 0.17 * load + c.noise(0.004)), 3) for _ in ts]


def current(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    """Phase current of a line meter (from line power), or a drive's motor current."""
    if c.asset.eq.cls is EquipmentClass.ENERGY_METER:
        kw = _line_kw(c)
        return [kw * 1000 / (3 * PHASE_V * 0.9) * (1 + c.noise(0.01)) for _ in ts]
    kw = c.asset.tracker.power_kw
    return [max(0.0, kw * 1000 / (math.sqrt(3) * 400 * 0.85) + c.noise(0.05)) for _ in ts]


def _executing(c: TagCtx) -> float:
    return sum(a.tracker.power_kw for a in c.line_assets if a.tracker.state is S.EXECUTE)


def ambient_temperature(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    heat = 0.02 * _line_kw(c)
    return [round(c.asset.ambient(t) + heat + c.noise(0.1), 2) for t in ts]


def ambient_humidity(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    amb = c.asset.world.params.sim.ambient
    return [
        round(
            min(
                100.0,
                max(
                    0.0,
                    amb.humidity_pct
                    - 1.2 * (c.asset.ambient(t) - amb.temperature_c)
                    + c.noise(0.4),
                ),
            ),
            2,
        )
        for t in ts
    ]


def particulates(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    base = 12.0 + 0.4 * _executing(c)
    return [round(max(0.0, base + c.noise(1.5)), 1) for _ in ts]


def noise_level(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    base = 55.0 + 10 * math.log10(1 + _executing(c))
    return [round(base + c.noise(0.8), 1) for _ in ts]


PLANT_SIGNALS: dict[str, SignalFn] = {
    "battery": battery,
    "agv_position": agv_position,
    "agv_speed": agv_speed,
    "agv_loaded": agv_loaded,
    "line_power": line_power,
    "line_energy": line_energy,
    "power_factor": power_factor,
    "current": current,
    "ambient_temperature": ambient_temperature,
    "ambient_humidity": ambient_humidity,
    "particulates": particulates,
    "noise": noise_level,
}
