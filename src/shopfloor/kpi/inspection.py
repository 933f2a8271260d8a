"""First pass yield bookkeeping: inspected parts (IP) and parts good the first time (GP).

Inspection results are the ``part_complete`` events of inspection operations (operations with
characteristics to inspect in the routing), keyed by the unit's serial. A serial is inspected
(IP + 1) in the window where its first inspection result falls; it stays first-pass good
(GP + 1) while every inspection result it gets passes and no inspection operation is repeated
on it (a repeat means it was reworked or re-tested). Serials are forgotten when they leave the
line, so memory stays bounded by the work in progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopfloor.kpi.window import Window


@dataclass
class _Serial:
    counted: bool
    passing: bool = True
    operations: set[str] = field(default_factory=set)


class FirstPass:
    def __init__(self, window: Window) -> None:
        self.window = window
        self.ip = 0
        self.gp = 0
        self._serials: dict[str, _Serial] = {}

    def result(self, serial: str | None, operation: str, ts_ns: int, good: bool) -> None:
        """One inspection result of ``serial`` at ``operation``."""
        if serial is None:  # an anonymous unit: every result is its own first inspection
            if self.window.contains(ts_ns):
                self.ip += 1
                self.gp += 1 if good else 0
            return
        s = self._serials.get(serial)
        repeated = False
        if s is None:
            s = self._serials[serial] = _Serial(self.window.contains(ts_ns))
            if s.counted:
                self.ip += 1
                self.gp += 1
        else:
            repeated = operation in s.operations
        s.operations.add(operation)
        if s.passing and (repeated or not good):
            s.passing = False
            if s.counted:
                self.gp -= 1

    def forget(self, serial: str | None) -> None:
        if serial is not None:
            self._serials.pop(serial, None)
