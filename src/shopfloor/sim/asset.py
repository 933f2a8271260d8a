"""The behaviour every simulated equipment shares: availability, work, breakdowns, commands.

An equipment's process never waits on a bare timeout. It waits through three helpers that keep
the PackML state honest: :meth:`Asset.wait_ready` (Stopped outside shifts, in planned downtime
and when commanded), :meth:`Asset.run` (spend time in a state, living through shift ends,
failures and minor stops) and :meth:`Asset.wait_for` (wait for an event in a state, e.g.
Suspended while starved or blocked). Every wait can be cut short by :meth:`Asset.poke` so that
commands take effect at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from typing import Any

import simpy

from shopfloor.events import EventKind
from shopfloor.plant.model import Operation, Product
from shopfloor.plant.states import PackMLState as S
from shopfloor.sim.calendar import EPS_S, Availability, downtime_for
from shopfloor.sim.defaults import alarm_code
from shopfloor.sim.degradation import Degradation, Incident, Tool
from shopfloor.sim.features import REF_SPEED, Thermal, ambient_c, heat_rise_c
from shopfloor.sim.outlet import Command, CommandResult
from shopfloor.sim.resolve import EquipmentParams
from shopfloor.sim.rng import stream
from shopfloor.sim.tracker import StateTracker
from shopfloor.sim.truth import EquipmentTruth, FailureRecord
from shopfloor.sim.world import World

Proc = Generator[simpy.Event, Any, Any]


class Asset(ABC):
    """One simulated equipment. Subclasses give :meth:`main`, its life as a SimPy process."""

    #: Whether commands (start/stop/hold/abort...) apply to this kind of equipment.
    commandable = True

    def __init__(self, world: World, p: EquipmentParams) -> None:
        self.world = world
        self.env = world.env
        self.p = p
        self.path = p.path
        self.eq = p.equipment
        plant = world.plant
        self.truth = EquipmentTruth(
            p.path, self.eq.cls.value, p.line, self.eq.networked, self.eq.cls.produces
        )
        world.truth.equipment[p.path] = self.truth
        metered = any(t.signal == "energy" for t in self.eq.tags)
        self.tracker = StateTracker(p.path, self.truth, world.emitter, metered)
        self.avail = Availability(p.calendar, world.start, downtime_for(plant, p.path), p.manual)
        has_incidents = p.mtbf_h is not None or p.wear_mode is not None or p.minor_per_h > 0
        self.degradation = (
            Degradation(p, stream(world.seed, p.path, "failures")) if has_incidents else None
        )
        self.commanded: S | None = None
        self._wake = self.env.event()
        self.alarm = 0
        #: Execute power multiplier and wear rate of the current work (process settings).
        self.exec_kw_factor = 1.0
        self.wear_rate = 1.0
        self.exec_since: float | None = None
        # what the equipment is doing, for tags and events
        self.product: Product | None = None
        self.op: Operation | None = None
        self.order_id: str | None = None
        self.serial: str | None = None
        self.setpoints: dict[str, float] = {}
        self.last_cycle_s: float | None = None
        #: Cutting tool, nozzle or stencil that wears per part (stations with a tool model).
        self.tool: Tool | None = None
        self.thermal = Thermal(0.0, self.ambient(0.0) + 3.0)
        #: Vibration baseline multiplier of the product being worked on.
        self.vib_factor = 1.0

    # ---- state -------------------------------------------------------------------------------

    @property
    def state(self) -> S:
        assert self.tracker.state is not None
        return self.tracker.state

    def ambient(self, t_s: float) -> float:
        a = self.world.params.sim.ambient
        return ambient_c(
            t_s,
            self.world.start.hour + self.world.start.minute / 60,
            a.temperature_c,
            a.daily_swing_c,
        )

    @property
    def speed_ratio(self) -> float:
        return self.setpoints.get("spindle_speed", REF_SPEED) / REF_SPEED

    def set_state(self, state: S, reason: str = "") -> None:
        kw = self.p.power_kw[state] * (self.exec_kw_factor if state is S.EXECUTE else 1.0)
        now = self.env.now
        if state is not self.tracker.state:
            self.thermal.retarget(
                now, self.ambient(now) + heat_rise_c(state, self.wear_now(), self.speed_ratio)
            )
        self.tracker.set(self.world.ns(now), now, state, reason, kw)

    def wear_now(self) -> float:
        if self.degradation is None:
            return 0.0
        extra = self.env.now - self.exec_since if self.exec_since is not None else 0.0
        return self.degradation.wear(extra, self.wear_rate)

    def start(self) -> None:
        self.env.process(self.main())

    @abstractmethod
    def main(self) -> Proc:
        """The equipment's life: a generator of SimPy events."""

    # ---- waiting -----------------------------------------------------------------------------

    def poke(self) -> None:
        """Cut the current wait short (a command arrived, or new work for a carrier)."""
        ev, self._wake = self._wake, self.env.event()
        ev.succeed()

    def wait_ready(self) -> Proc:
        """Return once the equipment may work: on shift, no planned downtime, not commanded."""
        episode: tuple[str, int] | None = None
        while True:
            if self.commanded is not None:
                reason = "commanded"
                self.set_state(self.commanded, reason)
                wait: simpy.Event = self._wake
            else:
                ok, until, reason = self.avail.status(self.env.now)
                if ok:
                    self._end_episode(episode)
                    return
                self.set_state(S.STOPPED, reason)
                wait = self.env.timeout(max(until - self.env.now, 0.0)) | self._wake
            if episode is None or episode[0] != reason:
                self._end_episode(episode)
                episode = (reason, self.world.now_ns())
            yield wait

    def _end_episode(self, episode: tuple[str, int] | None) -> None:
        if episode is None or episode[0] == "off_shift" or not self.world.emitter.active:
            return
        reason, start_ns = episode
        self.world.emitter.emit(
            EventKind.DOWNTIME,
            self.path,
            self.world.now_ns(),
            reason=reason,
            category="commanded" if reason == "commanded" else "planned",
            planned=reason != "commanded",
            start_ns=start_ns,
            end_ns=self.world.now_ns(),
        )

    def run(
        self,
        seconds: float,
        state: S,
        reason: str = "",
        operating: bool = False,
        until_woken: bool = False,
    ) -> Proc:
        """Spend ``seconds`` in ``state``; returns the seconds actually spent in it.

        Shift ends, planned downtime and commands pause the work; with ``operating`` the time
        wears the equipment and failures and minor stops interrupt it. With ``until_woken`` a
        :meth:`poke` ends the work early.
        """
        done = 0.0
        deg = self.degradation if operating else None
        while seconds - done > EPS_S:
            yield from self.wait_ready()
            now = self.env.now
            _ok, until, _r = self.avail.status(now)
            step = min(seconds - done, until - now)
            if deg is not None:
                step = min(step, deg.op_to_next(self.wear_rate))
            self.set_state(state, reason)
            if operating:
                self.exec_since = now
            timer = self.env.timeout(max(step, 0.0))
            yield timer | self._wake
            dt = self.env.now - now
            done += dt
            if operating:
                self.exec_since = None
            if deg is not None:
                deg.advance(dt, self.wear_rate)
                incident = deg.due()
                if incident is not None:
                    yield from self.breakdown(incident)
            if until_woken and not timer.processed:
                return done
        return done

    def wait_for(self, ev: simpy.Event, state: S, reason: str) -> Proc:
        """Wait for ``ev`` in ``state`` (Stopped meanwhile outside shifts); returns its value."""
        while not ev.triggered:
            yield from self.wait_ready()
            if ev.triggered:
                break
            self.set_state(state, reason)
            _ok, until, _r = self.avail.status(self.env.now)
            yield ev | self.env.timeout(max(until - self.env.now, 0.0)) | self._wake
        return (yield ev)

    # ---- incidents ---------------------------------------------------------------------------

    def breakdown(self, inc: Incident) -> Proc:
        """A failure (Aborted until repaired by a technician) or a minor stop (Held)."""
        assert self.degradation is not None
        em, t0, t0_ns = self.world.emitter, self.env.now, self.world.now_ns()
        self.alarm = alarm_code(inc.mode)
        em.emit(
            EventKind.ALARM,
            self.path,
            t0_ns,
            code=self.alarm,
            text=inc.mode,
            priority=800 if inc.kind == "failure" else 300,
            active=True,
        )
        if inc.kind == "failure":
            record = FailureRecord(t0_ns, inc.mode, inc.cause, wear=inc.wear)
            self.truth.failures.append(record)
            em.emit(
                EventKind.FAILURE,
                self.path,
                t0_ns,
                self.serial,
                self.order_id,
                mode=inc.mode,
                cause=inc.cause,
                wear=round(inc.wear, 4),
            )
            req = self.world.technicians.request()
            yield from self.wait_for(req, S.ABORTED, inc.mode)
            yield from self.run(inc.duration_s, S.ABORTED, inc.mode)
            self.world.technicians.release(req)
            record.repair_s = self.env.now - t0
            if inc.mode == "tool_breakage" and self.tool is not None:
                self.tool.change()
            em.emit(
                EventKind.REPAIR,
                self.path,
                self.world.now_ns(),
                mode=inc.mode,
                cause=inc.cause,
                duration_s=record.repair_s,
            )
        else:
            self.truth.minor_stops += 1
            yield from self.run(inc.duration_s, S.HELD, inc.mode)
        self.degradation.done(inc)
        self.alarm = 0
        end_ns = self.world.now_ns()
        em.emit(
            EventKind.ALARM,
            self.path,
            end_ns,
            code=alarm_code(inc.mode),
            text=inc.mode,
            priority=800 if inc.kind == "failure" else 300,
            active=False,
        )
        em.emit(
            EventKind.DOWNTIME,
            self.path,
            end_ns,
            reason=inc.mode,
            category="failure" if inc.kind == "failure" else "minor_stop",
            planned=False,
            start_ns=t0_ns,
            end_ns=end_ns,
        )

    # ---- commands ----------------------------------------------------------------------------

    def command(self, cmd: Command) -> CommandResult:
        """Apply a PackML command; the equipment reacts at the current virtual instant."""
        if not self.commandable:
            return CommandResult(False, f"{self.path} ({self.eq.cls.value}) takes no commands")
        c = self.commanded
        if cmd is Command.STOP:
            if c is S.ABORTED:
                return CommandResult(False, f"{self.path} is aborted: clear it first")
            self.commanded = S.STOPPED
        elif cmd in (Command.START, Command.RESET):
            if c is not S.STOPPED:
                return CommandResult(False, f"{cmd.value} needs {self.path} stopped by command")
            self.commanded = None
        elif cmd is Command.HOLD:
            if c is not None:
                return CommandResult(False, f"{self.path} is {c.value} by command")
            self.commanded = S.HELD
        elif cmd is Command.UNHOLD:
            if c is not S.HELD:
                return CommandResult(False, f"{self.path} is not held by command")
            self.commanded = None
        elif cmd is Command.ABORT:
            self.commanded = S.ABORTED
        elif cmd is Command.CLEAR:
            if c is not S.ABORTED:
                return CommandResult(False, f"{self.path} is not aborted")
            self.commanded = S.STOPPED
        else:
            return CommandResult(False, f"command {cmd.value!r} is not a state command")
        self.poke()
        target = self.commanded.value if self.commanded else "running"
        return CommandResult(True, f"{self.path}: {cmd.value} -> {target}", {"target": target})
