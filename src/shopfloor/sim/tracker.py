"""One equipment's PackML state over time: ground truth, energy and the events that report it.

The tracker is the only place that changes an equipment's state. Each change closes the
running segment (its duration goes to the truth in integer nanoseconds, its energy to the
truth per state) and, when an outlet is attached, emits a ``state_change`` event, plus an
``energy`` reading for metered equipment so that energy per state can be rebuilt from events.
"""

from __future__ import annotations

from typing import Any

from shopfloor.clock import NS_PER_S
from shopfloor.errors import SimError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant.states import TIME_ELEMENT, PackMLState
from shopfloor.sim.outlet import PlantOutlet
from shopfloor.sim.truth import EquipmentTruth

NS_PER_H = 3600 * NS_PER_S


class Emitter:
    """Builds :class:`MachineEvent` with a sequence number per equipment; inert without outlet."""

    def __init__(self, outlet: PlantOutlet | None) -> None:
        self.outlet = outlet
        self._seq: dict[str, int] = {}

    @property
    def active(self) -> bool:
        return self.outlet is not None

    def emit(
        self,
        kind: EventKind,
        equipment: str,
        ts_ns: int,
        serial: str | None = None,
        order_id: str | None = None,
        **payload: Any,
    ) -> None:
        if self.outlet is None:
            return
        seq = self._seq.get(equipment, 0) + 1
        self._seq[equipment] = seq
        self.outlet.on_event(
            MachineEvent(
                kind=kind,
                equipment=equipment,
                ts_ns=ts_ns,
                serial=serial,
                order_id=order_id,
                payload=payload,
                seq=seq,
            )
        )


class StateTracker:
    def __init__(self, path: str, truth: EquipmentTruth, emitter: Emitter, metered: bool) -> None:
        self.path = path
        self.truth = truth
        self.emitter = emitter
        self.metered = metered
        self.state: PackMLState | None = None
        self.reason = ""
        self.since_ns = 0
        self.power_kw = 0.0
        self.kwh = 0.0  # cumulative energy at since_ns
        #: Recent (time s, state) changes, kept only while a sampler reads them.
        self.history: list[tuple[float, PackMLState]] | None = None

    def kwh_at(self, ts_ns: int) -> float:
        return self.kwh + self.power_kw * (ts_ns - self.since_ns) / NS_PER_H

    def _close(self, ts_ns: int) -> None:
        if self.state is None:
            return
        dt = ts_ns - self.since_ns
        e = self.power_kw * dt / NS_PER_H
        self.truth.state_ns[self.state] += dt
        self.truth.energy_kwh_by_state[self.state] += e
        self.kwh += e
        self.since_ns = ts_ns

    def set(self, ts_ns: int, t_s: float, state: PackMLState, reason: str, power_kw: float) -> None:
        if state is self.state and reason == self.reason:
            if power_kw != self.power_kw:
                self._close(ts_ns)
                self.power_kw = power_kw
            return
        previous = self.state
        self._close(ts_ns)
        if previous is None:
            self.since_ns = ts_ns
        elif self.metered and self.emitter.active:
            self.reading(ts_ns)  # the meter reading that closes the previous state
        self.state, self.reason, self.power_kw = state, reason, power_kw
        if self.history is not None and state is not previous:
            self.history.append((t_s, state))
        if self.emitter.active:
            self.emitter.emit(
                EventKind.STATE_CHANGE,
                self.path,
                ts_ns,
                state=state.value,
                previous=previous.value if previous is not None else None,
                reason=reason,
                element=TIME_ELEMENT[state].value,
                code=state.code,
            )

    def reading(self, ts_ns: int) -> None:
        """Emit an ``energy`` event: the meter's cumulative kWh and the current kW."""
        self.emitter.emit(
            EventKind.ENERGY, self.path, ts_ns, kwh=self.kwh_at(ts_ns), kw=self.power_kw
        )

    def finish(self, ts_ns: int) -> None:
        """Close the last segment at the end of the run (and give a final meter reading)."""
        if self.state is None:
            raise SimError(f"{self.path} never entered a state")
        self._close(ts_ns)
        if self.emitter.active and self.metered:
            self.reading(ts_ns)

    def state_at(self, t_s: float) -> PackMLState:
        """The state at ``t_s`` (within the history the sampler keeps)."""
        assert self.state is not None
        if not self.history:
            return self.state
        for t, s in reversed(self.history):
            if t <= t_s:
                return s
        return self.history[0][1]
