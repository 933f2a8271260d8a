"""The virtual plant: the plant model paced to the wall clock, controllable while it runs.

:class:`VirtualPlant` steps the same :class:`~shopfloor.sim.model.PlantModel` that virtual-time
runs use, only against the wall clock: virtual seconds = wall seconds x ``speed``. It runs as an
asyncio task (``await start()`` / ``await stop()``, the :class:`~shopfloor.service.Service`
protocol) or in a thread of its own (``start_thread()`` / ``stop_thread()``). Outlets receive
tag values and events in the stepping thread only. :meth:`VirtualPlant.command` is safe from
any thread and applies the command at once, at the virtual instant last stepped (it implements
:class:`~shopfloor.sim.outlet.PlantControl`); what it emits is delivered with the next step,
which the command brings forward to at once.

State tags are reported by exception: with every ``state_change`` event the outlets also get
the equipment's PackML state tag values at the instant of the change
(:meth:`~shopfloor.sim.sampler.TagSampler.state_values`), besides the tags' periodic samples, so
a change reaches the servers (and clients) at once rather than up to two sampling periods later.
A periodic sample older than the value reported by exception is then left out, as a device
never reports an older value after a newer one (an OPC UA client sampling the server could
otherwise see the older value and miss the change until the next sample).
Equipment with tag-to-event rules is served as a plain device (:mod:`shopfloor.sim.plain`): its
events are not delivered, its rule tags report them by exception.
Alone the plant runs its own order mix; with ``connected=True`` it runs only the jobs received
through ``job`` commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from shopfloor.clock import NS_PER_S, from_ns
from shopfloor.errors import BadInput, SimError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant.loader import load_plant
from shopfloor.plant.model import Plant
from shopfloor.service import Health
from shopfloor.sim.model import PlantModel
from shopfloor.sim.outlet import Command, CommandResult, FanOut, PlantOutlet, TagBlock, TagValue
from shopfloor.sim.plain import PlainDevices
from shopfloor.sim.sampler import TagSampler
from shopfloor.sim.truth import Truth
from shopfloor.sim.world import ProcessOverrides

#: Longest wall time one stepping slice may cover (keeps the event loop responsive).
SLICE_WALL_S = 0.05
IDLE_WAIT_S = 0.1


class _Relay:
    """Delivers what the model emits from the stepping thread only.

    What a command emits while it is applied (from whichever thread called it) waits here
    and is delivered at the start of the next step, before anything newer.
    """

    def __init__(self, outlet: PlantOutlet) -> None:
        self.outlet = outlet
        self.direct = False
        self.pending: list[Callable[[], None]] = []
        #: Gives the state tag values of a state change (None: no tag values emitted).
        self.sampler: TagSampler | None = None
        #: State tag -> time of the value last reported by exception.
        self.reported: dict[str, int] = {}
        #: Equipment served as plain devices: their events stay here, their tags report them.
        self.plain: PlainDevices | None = None

    def on_values(self, values: Sequence[TagValue]) -> None:
        if self.reported:  # a device never reports an older value after a newer one
            reported = self.reported
            values = [v for v in values if v.ts_ns >= reported.get(v.tag, v.ts_ns)]
            if not values:
                return
        self._values(values)

    def _values(self, values: Sequence[TagValue]) -> None:
        if self.direct:
            self.outlet.on_values(values)
        else:
            self.pending.append(partial(self.outlet.on_values, list(values)))

    def on_block(self, block: TagBlock) -> None:
        if self.direct:
            self.outlet.on_block(block)
        else:
            self.pending.append(partial(self.outlet.on_block, block))

    def on_event(self, event: MachineEvent) -> None:
        if self.plain is not None and event.equipment in self.plain:
            values = self.plain.report(event)
            for v in values:
                self.reported[v.tag] = v.ts_ns
            if values:
                self._values(values)
            return
        if self.direct:
            self.outlet.on_event(event)
        else:
            self.pending.append(partial(self.outlet.on_event, event))
        if self.sampler is not None and event.kind is EventKind.STATE_CHANGE:
            code = event.payload.get("code")
            if isinstance(code, int):
                values = self.sampler.state_values(event.equipment, event.ts_ns, code)
                for v in values:
                    self.reported[v.tag] = v.ts_ns
                if values:
                    self._values(values)

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        for deliver in pending:
            deliver()


class VirtualPlant:
    name = "virtual-plant"

    def __init__(
        self,
        plant: Plant | str,
        *,
        seed: int = 1,
        speed: float = 1.0,
        start: datetime | None = None,
        connected: bool = False,
        process_overrides: ProcessOverrides | None = None,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise BadInput(f"speed must be > 0, not {speed!r}")
        self.plant = plant if isinstance(plant, Plant) else load_plant(plant)
        self.seed, self.speed, self.connected = seed, speed, connected
        self.outlets = FanOut()
        self._relay = _Relay(self.outlets)
        self.model = PlantModel(
            self.plant,
            seed,
            start=start,
            outlet=self._relay,
            orders="external" if connected else "own",
            process_overrides=process_overrides,
        )
        self._relay.sampler = self.model.sampler
        plain = PlainDevices(self.model.world, self.model.assets, self.plant)
        self._relay.plain = plain if plain else None
        self._wall = wall
        self._wall0: float | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._poked = threading.Event()  # step now (the stepping thread)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None  # step now (the stepping task)
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._truth: Truth | None = None

    # ---- outlets and clock -------------------------------------------------------------------

    def attach(self, outlet: PlantOutlet) -> None:
        """Add an outlet; it receives what the plant emits from now on."""
        self.outlets.add(outlet)

    def virtual_s(self) -> float:
        """Virtual seconds since the start that correspond to the wall clock now."""
        if self._wall0 is None:
            return float(self.model.now_s)
        return (self._wall() - self._wall0) * self.speed

    def now_ns(self) -> int:
        """Virtual time now, ns since the Unix epoch (a :class:`~shopfloor.clock.Clock`)."""
        return self.model.world.start_ns + round(self.virtual_s() * NS_PER_S)

    @property
    def running(self) -> bool:
        return self._wall0 is not None and self._truth is None

    # ---- stepping ----------------------------------------------------------------------------

    def step(self) -> float:
        """Advance the model towards the wall clock; returns how long to wait (wall s)."""
        with self._lock:
            if self._truth is not None:
                return IDLE_WAIT_S
            target = self.virtual_s()
            now = self.model.now_s
            goal = min(target, now + SLICE_WALL_S * max(self.speed, 1.0) * 4)
            self._relay.flush()
            self._relay.direct = True
            try:
                self.model.run_until(goal)
                if goal < target:
                    return 0.0
                nxt = self._next_event_s()
            finally:
                self._relay.direct = False
        return min(max((nxt - target) / self.speed, 0.0), IDLE_WAIT_S)

    def _next_event_s(self) -> float:
        """Virtual time of the next event after now, having processed those due now.

        ``simpy`` leaves the spent stop event of ``run(until=...)`` queued at the current
        instant, so the queue's head alone would always say "now" and the loop would spin
        without ever sleeping; events due now are processed here (in queue order, as the next
        ``run_until`` would) so the wait is measured to the first event still to come.
        """
        env = self.model.env
        while env.peek() <= env.now:
            env.step()
        return float(env.peek())

    def _begin(self) -> None:
        if self._wall0 is not None:
            raise SimError("the virtual plant was started already")
        self._wall0 = self._wall()

    def _end(self) -> Truth:
        with self._lock:
            if self._truth is None:
                self._relay.flush()
                self._relay.direct = True
                self._truth = self.model.finish()  # at the last instant stepped
                self._relay.direct = False
            return self._truth

    # ---- asyncio (Service protocol) ----------------------------------------------------------

    async def start(self) -> None:
        self._begin()
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        self._task = asyncio.create_task(self._run_async(), name="virtual-plant")

    async def _run_async(self) -> None:
        assert self._wake is not None
        wake = self._wake
        try:
            while not self._stop.is_set():
                wait = self.step()
                if wait <= 0:
                    await asyncio.sleep(0)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), wait)
                wake.clear()
        except Exception as exc:  # reported by health() and stop()
            self._error = exc
            raise

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._end()
        if self._error is not None:
            raise SimError(f"the virtual plant failed: {self._error!r}") from self._error

    # ---- a thread of its own -----------------------------------------------------------------

    def start_thread(self) -> None:
        self._begin()
        self._thread = threading.Thread(target=self._run_thread, name="virtual-plant", daemon=True)
        self._thread.start()

    def _run_thread(self) -> None:
        try:
            while not self._stop.is_set():
                if self._poked.wait(self.step()):
                    self._poked.clear()
            self._end()  # the last deliveries come from this thread too
        except Exception as exc:
            self._error = exc

    def stop_thread(self, timeout: float = 10.0) -> Truth:
        self._stop.set()
        self._poked.set()
        if self._thread is not None:
            self._thread.join(timeout)
        truth = self._end()
        if self._error is not None:
            raise SimError(f"the virtual plant failed: {self._error!r}") from self._error
        return truth

    # ---- control and health ------------------------------------------------------------------

    def command(
        self, equipment: str, command: Command | str, args: dict[str, Any]
    ) -> CommandResult:
        """Apply a command at the current virtual instant (safe from any thread)."""
        try:
            cmd = Command(command)
        except ValueError:
            return CommandResult(
                False,
                f"unknown command {command!r}; use one of {', '.join(c.value for c in Command)}",
            )
        with self._lock:
            if self._truth is not None:
                return CommandResult(False, "the virtual plant has stopped")
            result = self.model.command(equipment, cmd, dict(args or {}))
            if self._relay.pending:
                self._poke()
            return result

    def _poke(self) -> None:
        """Have the stepping loop step at once (to deliver what a command emitted)."""
        self._poked.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: the plant is stopping
                loop.call_soon_threadsafe(wake.set)

    def truth(self) -> Truth:
        """The ground truth so far (final once stopped)."""
        if self._truth is not None:
            return self._truth
        raise SimError("the ground truth is final only after stop()")

    def health(self) -> Health:
        lag = self.virtual_s() - self.model.now_s if self.running else 0.0
        ok = self._error is None
        detail = (
            repr(self._error)
            if self._error
            else (f"{self.plant.name} at {from_ns(self.now_ns()).isoformat()} x{self.speed:g}")
        )
        sampler = self.model.sampler
        return Health(
            ok,
            detail,
            {
                "virtual_time_ns": self.now_ns(),
                "speed": self.speed,
                "lag_s": round(lag, 3),
                "values_emitted": sampler.values_emitted if sampler else 0,
                "connected": self.connected,
            },
        )
