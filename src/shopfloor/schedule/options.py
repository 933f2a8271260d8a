"""What every solver backend receives besides the problem."""

from __future__ import annotations

import time
from dataclasses import dataclass

from shopfloor.errors import BadInput
from shopfloor.schedule.schedule import Schedule


@dataclass(frozen=True)
class SolveOptions:
    #: Wall-clock budget in seconds; solvers return their best schedule by then.
    time_limit: float = 10.0
    #: Worker threads the solver may use (CP-SAT workers, parallel neighbourhoods).
    threads: int = 1
    #: Seed for every random choice, so a run can be repeated (up to timing).
    seed: int = 0
    #: A feasible schedule to start from (repair, warm start); solvers may ignore it.
    hint: Schedule | None = None
    #: Log the solver's progress (CP-SAT search log) through ``logging``.
    log: bool = False

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise BadInput(
                f"time limit must be > 0 seconds, got {self.time_limit}", code="schedule.bad_option"
            )
        if self.threads < 1:
            raise BadInput(f"threads must be >= 1, got {self.threads}", code="schedule.bad_option")


class Deadline:
    """A point in monotonic time; backends ask it how much time is left."""

    def __init__(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.at = self.start + seconds

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def passed(self) -> bool:
        return time.monotonic() >= self.at
