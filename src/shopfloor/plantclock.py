"""One clock per plant: the time every command and service plans and stamps in.

A running service publishes its plant's clock in ``data_dir/plant-clock.json`` (the start
instant, the wall time it was read, the rate, and the service's process id): ``shopfloor demo``
and ``shopfloor sim serve`` the virtual plant's clock, ``shopfloor serve`` the clock it runs on
(the wall clock, or the ``plant_clock`` file it was given). It withdraws the file when it stops.

:class:`PlantClock` is what a command uses: the plant's time is

1. the clock file the ``plant_clock`` setting names, when set;
2. else the clock a service running on this ``data_dir`` publishes (its process is alive);
3. else the plant's recorded time: the newest instant its stores hold (a plant whose service is
   stopped is where it stopped), when they hold any;
4. else the wall clock (a new real plant).

So ``shopfloor mes schedule propose`` beside a running demo plans from the demo's clock, not
from the computer's date.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from shopfloor.clock import Clock, LinearClock, WallClock, from_ns, read_clock_file
from shopfloor.processes import alive

#: The file a running service publishes its plant clock in, under its ``data_dir``.
CLOCK_FILE = "plant-clock.json"


def publish(data_dir: Path, clock: LinearClock, source: str) -> Path:
    """Write ``clock`` to ``data_dir/plant-clock.json`` as this process's (``source``: which
    service, for people reading it)."""
    path = data_dir / CLOCK_FILE
    clock.write(path, pid=os.getpid(), source=source)
    return path


def withdraw(data_dir: Path) -> None:
    """Remove the clock file if this process published it."""
    path = data_dir / CLOCK_FILE
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()


def running_clock(data_dir: Path) -> tuple[LinearClock, str] | None:
    """The clock a live service on ``data_dir`` publishes, and which service; None when none
    runs (no file, or its process is gone: a service killed without its clean stop)."""
    path = data_dir / CLOCK_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pid = doc.get("pid")
    if not isinstance(pid, int) or not alive(pid):
        return None
    return read_clock_file(path), str(doc.get("source") or "a service")


class FixedClock:
    """A clock that stays at one instant (a stopped plant's recorded time)."""

    def __init__(self, ns: int) -> None:
        self.ns = ns

    def now_ns(self) -> int:
        return self.ns


class PlantClock:
    """The plant's clock, chosen at its first reading as the module doc says; ``recorded``
    gives the newest instant the plant's stores hold (None: nothing recorded)."""

    def __init__(
        self,
        data_dir: Path,
        clock_file: Path | None = None,
        recorded: Callable[[], int | None] | None = None,
    ) -> None:
        self.data_dir, self.clock_file, self.recorded = data_dir, clock_file, recorded
        self._clock: Clock | None = None
        #: Where the time comes from, for people (set at the first reading).
        self.source = ""

    def now_ns(self) -> int:
        return self.resolve().now_ns()

    def resolve(self) -> Clock:
        if self._clock is None:
            self._clock, self.source = self._choose()
        return self._clock

    def _choose(self) -> tuple[Clock, str]:
        if self.clock_file is not None:
            return read_clock_file(self.clock_file), f"the clock file {self.clock_file}"
        found = running_clock(self.data_dir)
        if found is not None:
            return found[0], f"the clock of {found[1]} running on {self.data_dir}"
        ns = self.recorded() if self.recorded is not None else None
        if ns is not None:
            return FixedClock(ns), f"the plant's recorded time ({from_ns(ns).isoformat()})"
        return WallClock(), "the wall clock (nothing recorded yet)"
