"""The virtual plant paced to the wall clock: values flow, commands and jobs are obeyed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence

from shopfloor.events import EventKind, MachineEvent
from shopfloor.sim import VirtualPlant
from shopfloor.sim.outlet import Command, TagBlock, TagValue
from shopfloor.sim.recorder import Recorder

VMC1 = "suzhou/machining/line1/milling/vmc-01"
DEADLINE_S = 30.0


def wait_until(cond: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


async def await_until(cond: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class ThreadCheck:
    """An outlet noting which threads deliver to it."""

    def __init__(self) -> None:
        self.threads: set[str] = set()

    def on_values(self, values: Sequence[TagValue]) -> None:
        self.threads.add(threading.current_thread().name)

    def on_block(self, block: TagBlock) -> None:
        self.threads.add(threading.current_thread().name)

    def on_event(self, event: MachineEvent) -> None:
        self.threads.add(threading.current_thread().name)


def test_connected_plant_runs_in_a_thread_and_executes_a_dispatched_job() -> None:
    rec = Recorder(values=False)
    threads = ThreadCheck()
    plant = VirtualPlant("demo", seed=1, speed=200, connected=True)
    plant.attach(rec)
    plant.attach(threads)
    plant.start_thread()
    try:
        wait_until(lambda: rec.value_count > 1000, "tag values")
        assert not rec.events_of(EventKind.PART_START)  # connected: nothing runs unasked
        result = plant.command(
            "press-01", Command.JOB, {"order_id": "MES-0001", "product": "pump-a", "quantity": 2}
        )
        assert result.ok, result.message
        assert (
            plant.command(
                "lathe-01", "job", {"order_id": "MES-0002", "product": "nope", "quantity": 1}
            ).ok
            is False
        )
        assert (
            plant.command("lathe-01", "job", {"order_id": "MES-0003", "product": "housing-a"}).ok
            is False
        )
        wait_until(
            lambda: any(e.order_id == "MES-0001" for e in rec.events_of(EventKind.PART_COMPLETE)),
            "the dispatched order's first part",
        )
        starts = rec.events_of(EventKind.PART_START)
        assert {e.order_id for e in starts} == {"MES-0001"}
        # the press is a plain device (tags only): its part went on to assembly
        assert not [e for e in rec.events if e.equipment.endswith("/press-01")]
        assert {e.payload["operation"] for e in starts} >= {"assemble"}
        assert plant.health().ok
    finally:
        truth = plant.stop_thread()
    assert truth.problems() == []
    assert truth.end_ns > truth.start_ns
    # what commands emit (order released) is delivered by the stepping thread, not the caller
    assert threads.threads == {"virtual-plant"}


async def test_plant_under_asyncio_obeys_hold_and_unhold() -> None:
    rec = Recorder(values=False)
    plant = VirtualPlant("demo", seed=2, speed=200)
    plant.attach(rec)
    await plant.start()
    try:
        await await_until(lambda: rec.value_count > 0, "tag values")
        held = plant.command(VMC1, Command.HOLD, {})
        assert held.ok, held.message

        def state_is(state: str) -> bool:
            changes = rec.events_of(EventKind.STATE_CHANGE, VMC1)
            return bool(changes) and changes[-1].payload["state"] == state

        await await_until(lambda: state_is("Held"), "Held")
        assert rec.events_of(EventKind.STATE_CHANGE, VMC1)[-1].payload["reason"] == "commanded"
        assert plant.command(VMC1, Command.HOLD, {}).ok is False
        assert plant.command(VMC1, Command.UNHOLD, {}).ok
        await await_until(lambda: not state_is("Held"), "leaving Held")
        assert plant.command(VMC1, Command.UNHOLD, {}).ok is False
        assert plant.command("vmc-99", Command.HOLD, {}).ok is False
        assert plant.command(VMC1, "explode", {}).ok is False
        assert plant.command("meter-l1", Command.STOP, {}).ok is False
        assert plant.command(VMC1, Command.ABORT, {}).ok
        assert plant.command(VMC1, Command.RESET, {}).ok is False  # clear first
        assert plant.command(VMC1, Command.CLEAR, {}).ok
        assert plant.command(VMC1, Command.RESET, {}).ok
        health = plant.health()
        assert health.ok and health.metrics["values_emitted"] > 0
        # the model follows the wall clock, never ahead of it
        assert plant.model.world.start_ns < plant.model.now_ns() <= plant.now_ns()
    finally:
        await plant.stop()
    assert plant.truth().problems() == []


class StateTagLog:
    """An outlet keeping the values of one state tag, in delivery order."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.values: list[TagValue] = []

    def on_values(self, values: Sequence[TagValue]) -> None:
        self.values += [v for v in values if v.tag == self.tag]

    def on_block(self, block: TagBlock) -> None:
        pass

    def on_event(self, event: MachineEvent) -> None:
        pass


async def test_state_tag_is_reported_at_the_change_and_never_goes_back_in_time() -> None:
    log = StateTagLog(f"{VMC1}/state")
    plant = VirtualPlant("demo", seed=2, speed=20)
    plant.attach(log)
    await plant.start()
    try:
        await await_until(lambda: bool(log.values), "state tag values")
        for command, code in [(Command.HOLD, 11), (Command.UNHOLD, None)] * 3:
            result = plant.command(VMC1, command, {})
            assert result.ok, result.message
            at = plant.model.now_ns()
            # the value at the instant of the change, without waiting for the tag's period
            await await_until(
                lambda at=at, code=code: any(
                    v.ts_ns == at and (v.value == code if code else v.value != 11)
                    for v in log.values
                ),
                f"the state value of {command} at the change",
            )
        stamps = [v.ts_ns for v in log.values]
        assert stamps == sorted(stamps), "a state value older than one already reported"
    finally:
        await plant.stop()


def test_caught_up_plant_sleeps_until_its_next_event() -> None:
    """Once stepped to the wall clock the loop waits (it used to spin: simpy leaves its spent
    stop event queued at the current instant, so the next event always looked due now)."""
    wall = [100.0]
    plant = VirtualPlant("demo", seed=1, speed=1.0, wall=lambda: wall[0])
    plant.attach(Recorder(values=False))
    plant._begin()
    waits = []
    for _ in range(30):  # 3 s of wall time in 0.1 s steps, each stepped until caught up
        wall[0] += 0.1
        wait = plant.step()
        for _catch_up in range(100):  # bounded: a spinning loop would never stop returning 0
            if wait > 0.0:
                break
            wait = plant.step()
        waits.append(wait)
        assert plant.model.now_s == plant.virtual_s()
    assert all(0.0 < w <= 0.1 for w in waits)
    assert plant.model.sampler is not None and plant.model.sampler.values_emitted > 0
