"""Tag values of machines, computed from the equipment's state, work, wear and counters.

Each function takes the tag's context and the sample times (virtual seconds) of one sampling
period and returns one value per time. They read the model; they never change it, and their
noise comes from the tag's own random stream.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from shopfloor.plant.model import Tag
from shopfloor.plant.states import PackMLState as S
from shopfloor.sim.asset import Asset
from shopfloor.sim.condition import true_vibration
from shopfloor.sim.features import POWERED_OFF, vibration_rms
from shopfloor.sim.params import SignalSim
from shopfloor.sim.rng import key_int
from shopfloor.sim.signal_specs import ANALOG
from shopfloor.sim.station import Station
from shopfloor.sim.transport import Conveyor

Value = float | int | bool | str | None
DEFAULT_RPM = 2900.0  # motors without a spindle speed setting (pumps, fans)


@dataclass(eq=False)
class TagCtx:
    tag_id: str
    tag: Tag
    asset: Asset
    rng: np.random.Generator
    line_assets: list[Asset]
    override: SignalSim | None
    phase: float
    lag: float | None = None
    lag_t: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def state(self, t: float) -> S:
        return self.asset.tracker.state_at(t)

    def noise(self, sd: float) -> float:
        return sd * float(self.rng.standard_normal()) if sd > 0 else 0.0


SignalFn = Callable[[TagCtx, Sequence[float]], list[Value]]


def const(v: Value, ts: Sequence[float]) -> list[Value]:
    return [v] * len(ts)


def _station(c: TagCtx) -> Station | None:
    return c.asset if isinstance(c.asset, Station) else None


def packml_state(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return [c.state(t).code for t in ts]


def _program_no(a: Asset) -> int | None:
    """The NC program number of the asset's product and operation (None: no job yet)."""
    if a.product is None or a.op is None:
        return None
    return 1000 + key_int(a.product.id + "/" + a.op.id) % 9000


def program(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    no = _program_no(c.asset)
    return const("" if no is None else f"O{no:04d}", ts)


def program_number(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    """The program as a number register (legacy controls behind a gateway): 0 before a job."""
    return const(_program_no(c.asset) or 0, ts)


def order_id(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return const(c.asset.order_id or "", ts)


def part_count(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    t = c.asset.truth
    return const(t.produced if _station(c) is not None else t.cycles, ts)


def good_count(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return const(c.asset.truth.good, ts)


def scrap_count(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return const(c.asset.truth.scrap, ts)


def spindle_speed(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    rpm = c.asset.setpoints.get("spindle_speed", DEFAULT_RPM)
    return [rpm * (1 + c.noise(0.002)) if c.state(t) is S.EXECUTE else 0.0 for t in ts]


def spindle_load(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    a = c.asset
    tool = a.tool.wear if a.tool is not None else 0.0
    feed = a.setpoints.get("feed_rate", 1.0) / (
        a.product.process.get("feed_rate", 1.0) if a.product else 1.0
    )
    base = 30 + 28 * feed + 18 * tool + 12 * a.wear_now()
    return [
        max(0.0, base + 8 * math.sin(2 * math.pi * t / 7 + c.phase) + c.noise(1.5))
        if c.state(t) is S.EXECUTE
        else 0.0
        for t in ts
    ]


def bearing_temperature(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return [c.asset.thermal.at(t) + c.noise(0.15) for t in ts]


def vibration(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    a = c.asset
    out: list[Value] = []
    for t in ts:
        st = c.state(t)
        true = (
            true_vibration(a)
            if st is a.state
            else vibration_rms(st, a.p.vibration_mm_s, a.wear_now(), a.speed_ratio, a.vib_factor)
        )
        out.append(true * float(c.rng.lognormal(0.0, 0.06)))
    return out


def axis_position(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    period = 17.0 + key_int(c.tag.name) % 13
    return [
        round(200.0 * math.sin(2 * math.pi * t / period + c.phase), 3)
        if c.state(t) is S.EXECUTE
        else 0.0
        for t in ts
    ]


def tool_wear(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    tool = c.asset.tool
    return const(round(tool.wear * 100, 2) if tool else 0.0, ts)


def tool_number(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    tool = c.asset.tool
    return const(tool.number if tool else 0, ts)


def power(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    a = c.asset
    out: list[Value] = []
    for t in ts:
        st = c.state(t)
        kw = a.tracker.power_kw if st is a.state else a.p.power_kw[st]
        out.append(max(0.0, kw * (1 + c.noise(0.015))))
    return out


def energy(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    a = c.asset
    return [a.tracker.kwh_at(a.world.ns(t)) for t in ts]


def alarm_code(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return const(c.asset.alarm, ts)


def door_open(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return [c.state(t) in (S.STARTING, S.ABORTED) for t in ts]


def joint_torque(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    out: list[Value] = []
    for t in ts:
        st = c.state(t)
        if st is S.EXECUTE:
            out.append(25 + 40 * math.sin(2 * math.pi * t / 6 + c.phase) + c.noise(2.0))
        else:
            out.append(0.0 if st in POWERED_OFF else 25 + c.noise(0.5))
    return out


def gripper(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return [c.state(t) is S.EXECUTE and (t + c.phase) % 6 < 3 for t in ts]


def last_value(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    """A per-part result (final screw torque, peak press force): the last part's actual."""
    st = _station(c)
    if st is None:
        return const(0.0, ts)
    key = c.tag.name if c.tag.name in st.last_process else c.tag.signal
    return const(round(st.last_process.get(key, 0.0), 3), ts)


def press_force(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    if c.tag.rate_hz <= 2:
        return last_value(c, ts)
    peak = c.asset.setpoints.get("press_force", 10.0)
    return [
        max(0.0, peak * max(0.0, math.sin(2 * math.pi * t / 6 + c.phase)) ** 4 + c.noise(0.05))
        if c.state(t) is S.EXECUTE
        else 0.0
        for t in ts
    ]


def cycle_time(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return const(round(c.asset.last_cycle_s or 0.0, 2), ts)


def measurement(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    st = _station(c)
    v = st.measured.get(c.tag.name, 0.0) if st is not None else 0.0
    if c.tag.rate_hz <= 1:
        return const(round(v, 5), ts)
    return [v * (1 + c.noise(0.004)) if c.state(t) is S.EXECUTE else 0.0 for t in ts]


def coolant_level(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return const(round(95.0 - (c.asset.truth.produced * 0.12) % 35 + c.noise(0.1), 2), ts)


def conductivity(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return const(350.0 + (c.asset.truth.produced % 400) * 2.5 + c.noise(3.0), ts)


def pick_errors(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return const(int(c.asset.truth.produced * 0.35), ts)


def counter(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    return const(c.asset.truth.tool_changes, ts)


def occupancy(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    a = c.asset
    return const(len(a.carriers) if isinstance(a, Conveyor) else 0, ts)


def belt_speed(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    a = c.asset
    setpoint = a.setpoints.get(c.tag.name)
    run = setpoint if setpoint is not None else a.p.belt_speed_m_s
    if isinstance(a, Conveyor):
        return [run if c.state(t) is S.EXECUTE else 0.0 for t in ts]
    return [0.0 if c.state(t) in POWERED_OFF else run * (1 + c.noise(0.002)) for t in ts]


def analog(c: TagCtx, ts: Sequence[float]) -> list[Value]:
    """A level per machine condition (see :data:`~shopfloor.sim.signal_specs.ANALOG`)."""
    a = c.asset
    spec = ANALOG.get(c.tag.signal)
    ov = c.override
    nominal = ov.nominal if ov is not None else None
    if spec is None:
        base = nominal or 0.0
        sd = ov.noise if ov is not None and ov.noise is not None else 0.01 * abs(base)
        return [base + c.noise(sd) for _ in ts]
    setpoint = a.setpoints.get(spec.process_key or "", a.setpoints.get(c.tag.name))
    sd = ov.noise if ov is not None and ov.noise is not None else spec.noise
    out: list[Value] = []
    for t in ts:
        st = c.state(t)
        off = st in POWERED_OFF
        amb = a.ambient(t) if spec.above_ambient else 0.0
        if off:
            target = spec.off + amb
        elif setpoint is not None and (st is S.EXECUTE or spec.ready == spec.run):
            target = setpoint  # a setting held while powered (temperatures) or while running
        elif nominal is not None:
            target = nominal if st is S.EXECUTE else spec.ready + amb
        else:
            target = (spec.run if st is S.EXECUTE else spec.ready) + amb
        if spec.lag_s > 0:
            if c.lag is None:
                c.lag = target
            else:
                c.lag += (target - c.lag) * (1 - math.exp(-(t - c.lag_t) / spec.lag_s))
            c.lag_t = t
            target = c.lag
        value = target + c.noise(sd)
        out.append(value if spec.floor is None else max(spec.floor, value))
    return out


MACHINE_SIGNALS: dict[str, SignalFn] = {
    "packml_state": packml_state,
    "program": program,
    "program_number": program_number,
    "order_id": order_id,
    "part_count": part_count,
    "good_count": good_count,
    "scrap_count": scrap_count,
    "spindle_speed": spindle_speed,
    "spindle_load": spindle_load,
    "bearing_temperature": bearing_temperature,
    "vibration_rms": vibration,
    "axis_position": axis_position,
    "tool_wear": tool_wear,
    "tool_number": tool_number,
    "power": power,
    "energy": energy,
    "alarm_code": alarm_code,
    "door_open": door_open,
    "joint_torque": joint_torque,
    "gripper": gripper,
    "screw_torque": last_value,
    "press_force": press_force,
    "cycle_time": cycle_time,
    "measurement": measurement,
    "coolant_level": coolant_level,
    "conductivity": conductivity,
    "pick_errors": pick_errors,
    "counter": counter,
    "occupancy": occupancy,
    "belt_speed": belt_speed,
}
