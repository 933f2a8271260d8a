"""Equipment the virtual plant serves as plain devices: tags only, as a real machine would.

An equipment with ``rules:`` in the plant file is a machine that publishes tags and no events of
its own (a legacy lathe behind a Modbus gateway, a machining centre whose edge node publishes its
registers). The virtual plant serves it that way: none of its machine events reach an outlet.
Instead the tags its rules read are reported by exception, as a device with report by exception
does: at the instant of each of the equipment's events, every rule tag whose value changed is
sent with that instant's value: the state code at a state change, the counters at a part's
completion, the program and the order at a job's start, the kWh meter at each energy reading.
Where tag values are sampled periodically as well (the paced plant), those samples flow as for
any other equipment. The platform rebuilds states, counts, product, order and energy from these
tags by the same rules (:mod:`shopfloor.connect.rules`) it applies to a real machine.
"""

from __future__ import annotations

from collections.abc import Sequence

from shopfloor.clock import NS_PER_S
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant.model import Plant
from shopfloor.sim.asset import Asset
from shopfloor.sim.outlet import PlantOutlet, TagBlock, TagValue
from shopfloor.sim.sampler import STATE_SIGNAL, WAVEFORM, TagRuntime, line_assets, tag_runtime
from shopfloor.sim.signals import Value
from shopfloor.sim.world import World

_UNSET = object()


def plain_paths(plant: Plant) -> frozenset[str]:
    """Paths of the networked equipment that has tag-to-event rules."""
    return frozenset(p for p, *_r, eq in plant.walk() if eq.rules is not None and eq.networked)


class PlainDevices:
    """The rule tags of the plant's plain devices, reported by exception at their events."""

    def __init__(self, world: World, assets: dict[str, Asset], plant: Plant) -> None:
        self.world = world
        by_line = line_assets(assets)
        self.tags: dict[str, list[TagRuntime]] = {}
        for path in sorted(plain_paths(plant)):
            a = assets.get(path)
            if a is None or a.eq.rules is None:
                continue
            names = {name for _where, name, _kind in a.eq.rules.tag_refs()}
            self.tags[path] = [
                tag_runtime(world, a, t, by_line)
                for t in a.eq.tags
                if t.name in names and t.signal != WAVEFORM
            ]
        self._last: dict[str, object] = {}
        self.reported = 0

    def __bool__(self) -> bool:
        return bool(self.tags)

    def __contains__(self, path: object) -> bool:
        return path in self.tags

    def report(self, event: MachineEvent) -> list[TagValue]:
        """The rule tags of ``event``'s equipment that changed, at the event's instant."""
        t_s = (event.ts_ns - self.world.start_ns) / NS_PER_S
        out: list[TagValue] = []
        for rt in self.tags.get(event.equipment, ()):
            value: Value
            if rt.ctx.tag.signal == STATE_SIGNAL:  # the state code the change is to
                code = event.payload.get("code")
                if event.kind is not EventKind.STATE_CHANGE or not isinstance(code, int):
                    continue
                value = rt.convert(code)
            else:
                assert rt.fn is not None
                [raw] = rt.fn(rt.ctx, [t_s])
                if raw is None:
                    continue
                value = rt.convert(raw)
            tid = rt.ctx.tag_id
            if self._last.get(tid, _UNSET) == value:
                continue
            self._last[tid] = value
            out.append(TagValue(tid, event.ts_ns, value))
        self.reported += len(out)
        return out


class PlainOutlet:
    """A :class:`~shopfloor.sim.outlet.PlantOutlet` before ``inner`` that serves the plain
    devices' events as their tag reports (for a model stepped in virtual time; the paced plant
    does the same in its relay). Bind the devices once the model exists."""

    def __init__(self, inner: PlantOutlet) -> None:
        self.inner = inner
        self.devices: PlainDevices | None = None

    def bind(self, devices: PlainDevices) -> None:
        self.devices = devices if devices else None

    def on_values(self, values: Sequence[TagValue]) -> None:
        self.inner.on_values(values)

    def on_block(self, block: TagBlock) -> None:
        self.inner.on_block(block)

    def on_event(self, event: MachineEvent) -> None:
        if self.devices is not None and event.equipment in self.devices:
            values = self.devices.report(event)
            if values:
                self.inner.on_values(values)
            return
        self.inner.on_event(event)
