"""Tag values at their declared rates, only while an outlet is attached.

Once per sampling period (1 s of virtual time) the sampler computes every networked tag's
samples whose times fall in the period, ``[t0, t1)``, and hands them to the outlet in one
``on_values`` batch; 1 kHz tags go as 100 ms :class:`~shopfloor.sim.outlet.TagBlock` arrays.
Like an OPC UA server with a 1 s publishing interval, values of a period are delivered at its
end with their own source timestamps. Analog sensors drop out now and then (value None, quality
BAD). Periodic ``energy`` events give each meter's reading every ``sim.energy_event_s``.

Discrete PackML state tags (signal ``packml_state``) are sampled at their rate like every tag
and, where the plant runs against the wall clock (:mod:`shopfloor.sim.paced`), also reported by
exception: :meth:`TagSampler.state_values` gives their values at the instant of a
``state_change`` event, to be sent on at once rather than with the period's batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from shopfloor.plant.model import DataType, EquipmentClass, Tag
from shopfloor.plant.states import PackMLState as S
from shopfloor.samples import Quality
from shopfloor.sim.asset import Asset, Proc
from shopfloor.sim.condition import true_vibration
from shopfloor.sim.features import vibration_rms
from shopfloor.sim.outlet import PlantOutlet, TagBlock, TagValue
from shopfloor.sim.rng import key_int, stream
from shopfloor.sim.signal_specs import ANALOG
from shopfloor.sim.signals import DEFAULT_RPM, MACHINE_SIGNALS, SignalFn, TagCtx, Value, analog
from shopfloor.sim.signals_plant import PLANT_SIGNALS
from shopfloor.sim.waveform import vibration_block
from shopfloor.sim.world import World

PERIOD_S = 1.0
BLOCK_S = 0.1
WAVEFORM = "spindle_vibration"
#: The signal of discrete state tags (reported by exception as well, see the module doc).
STATE_SIGNAL = "packml_state"
SIGNALS: dict[str, SignalFn] = {**MACHINE_SIGNALS, **PLANT_SIGNALS}
#: Signals from sensors that may drop out.
DROPOUT: frozenset[str] = frozenset(
    {
        "bearing_temperature",
        "vibration_rms",
        WAVEFORM,
        "spindle_load",
        "ambient_temperature",
        "ambient_humidity",
        "particulates",
        "noise",
        "joint_torque",
    }
) | frozenset(k for k, v in ANALOG.items() if v.dropout)
LINE_WIDE = frozenset({EquipmentClass.ENERGY_METER, EquipmentClass.ENVIRONMENTAL_SENSOR})


def _number(v: Value) -> float:
    if isinstance(v, str) or v is None:
        raise TypeError(f"not a number: {v!r}")
    return float(v)


def _int(v: Value) -> Value:
    return round(_number(v))


def _float(v: Value) -> Value:
    return _number(v)


def _bool(v: Value) -> Value:
    return bool(v)


def _str(v: Value) -> Value:
    return str(v)


#: How a value is given to the outlet, per data type.
CONVERT: dict[DataType, Callable[[Value], Value]] = {
    DataType.INT: _int,
    DataType.BOOL: _bool,
    DataType.STRING: _str,
    DataType.FLOAT: _float,
    DataType.DOUBLE: _float,
}


@dataclass(eq=False)
class TagRuntime:
    ctx: TagCtx
    fn: SignalFn | None  # None: a waveform tag, synthesised in blocks
    dropout: bool
    rate: float = 1.0
    convert: Callable[[Value], Value] = _float
    down_from: float = math.inf
    down_until: float = -math.inf


def line_assets(assets: dict[str, Asset]) -> dict[str, list[Asset]]:
    """The assets of each line (what line-wide signals such as a line meter read)."""
    by_line: dict[str, list[Asset]] = {}
    for a in assets.values():
        by_line.setdefault(a.p.line, []).append(a)
    return by_line


def tag_runtime(world: World, a: Asset, tag: Tag, by_line: dict[str, list[Asset]]) -> TagRuntime:
    """How one tag of ``a`` is sampled: its signal function, context and conversion."""
    tid = f"{a.path}/{tag.name}"
    ctx = TagCtx(
        tid,
        tag,
        a,
        stream(world.seed, tid, "signal"),
        by_line[a.p.line] if a.eq.cls in LINE_WIDE else [],
        a.p.signals.get(tag.name),
        phase=(key_int(tid) % 6283) / 1000,
    )
    fn = None if tag.signal == WAVEFORM else SIGNALS.get(tag.signal, analog)
    return TagRuntime(ctx, fn, tag.signal in DROPOUT, tag.rate_hz, CONVERT[tag.data_type])


class TagSampler:
    def __init__(self, world: World, assets: dict[str, Asset], outlet: PlantOutlet) -> None:
        self.world = world
        self.outlet = outlet
        self.assets = list(assets.values())
        by_line = line_assets(assets)
        self.tags: list[TagRuntime] = []
        for a in self.assets:
            if not a.eq.networked:
                continue
            a.tracker.history = []
            self.tags.extend(tag_runtime(world, a, tag, by_line) for tag in a.eq.tags)
        #: Equipment path -> its PackML state tags.
        self.state_tags: dict[str, list[TagRuntime]] = {}
        for rt in self.tags:
            if rt.ctx.tag.signal == STATE_SIGNAL:
                self.state_tags.setdefault(rt.ctx.asset.path, []).append(rt)
        self.metered = [a for a in self.assets if a.tracker.metered]
        self.values_emitted = 0
        self._t = float(world.env.now)  # end of the last period sampled

    def start(self) -> None:
        self.world.env.process(self._loop())

    def _loop(self) -> Proc:
        env = self.world.env
        while True:
            yield env.timeout(PERIOD_S)
            self.tick(self._t, float(env.now))

    def flush(self) -> None:
        """Emit the samples of the last, partial period (at the end of a run)."""
        now = float(self.world.env.now)
        if now > self._t:
            self.tick(self._t, now)

    def state_values(self, equipment: str, ts_ns: int, code: int) -> list[TagValue]:
        """The values of ``equipment``'s PackML state tags for a change to state ``code`` at
        ``ts_ns`` (none when it has no such tag)."""
        return [
            TagValue(rt.ctx.tag_id, ts_ns, rt.convert(code))
            for rt in self.state_tags.get(equipment, ())
        ]

    def _dropout(self, rt: TagRuntime, t0: float) -> None:
        p = rt.ctx.asset.p
        if t0 < rt.down_until or p.dropout_per_h <= 0:
            return
        if rt.ctx.rng.random() < p.dropout_per_h * PERIOD_S / 3600:
            rt.down_from = t0
            rt.down_until = t0 + float(rt.ctx.rng.exponential(p.dropout_mean_s))

    def tick(self, t0: float, t1: float) -> None:
        self._t = t1
        ns = self.world.ns
        start_ns = self.world.start_ns
        values: list[TagValue] = []
        add = values.append
        blocks: list[TagBlock] = []
        for rt in self.tags:
            r = rt.rate
            k0, k1 = math.ceil(t0 * r - 1e-9), math.ceil(t1 * r - 1e-9)
            if k1 <= k0:
                continue
            if rt.dropout:
                self._dropout(rt, t0)
            if rt.fn is None:
                blocks.extend(self._blocks(rt, k0, k1))
                continue
            ts = [k / r for k in range(k0, k1)] if k1 - k0 > 1 else [k0 / r]
            tid, conv = rt.ctx.tag_id, rt.convert
            down = rt.down_from < t1 and rt.down_until > t0
            for t, v in zip(ts, rt.fn(rt.ctx, ts), strict=True):
                if (down and rt.down_from <= t < rt.down_until) or v is None:
                    add(TagValue(tid, start_ns + round(t * 1e9), None, Quality.BAD))
                else:
                    add(TagValue(tid, start_ns + round(t * 1e9), conv(v)))
        if values:
            self.outlet.on_values(values)
        for b in blocks:
            self.outlet.on_block(b)
        self.values_emitted += len(values) + sum(len(b.values) for b in blocks)
        every = self.world.params.sim.energy_event_s
        if math.floor(t1 / every + 1e-9) > math.floor(t0 / every + 1e-9):
            for a in self.metered:
                a.tracker.reading(ns(t1))
        for a in self.assets:
            h = a.tracker.history
            if h and len(h) > 1:
                keep = max(i for i, (t, _s) in enumerate(h) if i == 0 or t <= t1)
                del h[:keep]

    def _blocks(self, rt: TagRuntime, k0: int, k1: int) -> list[TagBlock]:
        """The period's waveform, synthesised per run of blocks in one state, cut in blocks."""
        c = rt.ctx
        a = c.asset
        r = c.tag.rate_hz
        size = max(1, round(r * BLOCK_S))
        starts = list(range(k0, k1, size))
        states = [c.state(k / r) for k in starts]
        wear = a.wear_now()
        out: list[TagBlock] = []
        i = 0
        while i < len(starts):
            j = i + 1
            while j < len(starts) and states[j] is states[i]:
                j += 1
            k, st, n = starts[i], states[i], min(starts[j - 1] + size, k1) - starts[i]
            v = (
                true_vibration(a)
                if st is a.state
                else vibration_rms(st, a.p.vibration_mm_s, wear, a.speed_ratio, a.vib_factor)
            )
            rpm = a.setpoints.get("spindle_speed", DEFAULT_RPM)
            wave = vibration_block(c.rng, k / r, n, r, st is S.EXECUTE, rpm / 60, v, wear)
            for m in range(i, j):
                t = starts[m] / r
                chunk = wave[(starts[m] - k) : (starts[m] - k) + size]
                if rt.down_from <= t < rt.down_until:
                    out.append(
                        TagBlock(
                            c.tag_id, self.world.ns(t), r, np.full(len(chunk), np.nan), Quality.BAD
                        )
                    )
                else:
                    out.append(TagBlock(c.tag_id, self.world.ns(t), r, chunk))
            i = j
        return out
