"""Energy from a meter's cumulative readings, clipped to a window and split over who used it.

The energy between two readings is their difference, spread evenly over the time between them
(power is taken as constant between readings: exact when a meter reads at every state change,
as equipment meters do). That time is "occupied" by keys (an order, a setup, nobody) through
:meth:`Meter.occupy`; each key gets the share of the energy that fell inside the window.

* A reading lower than the one before is a counter reset (rollover, meter exchange): the energy
  since the previous reading is taken as the new reading itself (counted up from zero).
* Before its first reading the meter's counter value is unknown; the time occupied until then
  is charged at the power (``kw``) the first reading reports, which is the power of the state
  that reading closes.
* After the last reading nothing is counted: energy is known up to the last reading only.
"""

from __future__ import annotations

from collections.abc import Hashable

from shopfloor.clock import NS_PER_S
from shopfloor.kpi.window import Window

NS_PER_H = 3600 * NS_PER_S


class Meter:
    def __init__(self, window: Window) -> None:
        self.window = window
        #: Energy inside the window, kWh (None until the first reading: not metered).
        self.kwh: float | None = None
        self.last_kwh: float | None = None
        self.last_ts: int | None = None
        self.resets = 0
        self._share: dict[Hashable, int] = {}
        self._span_ns = 0

    def occupy(self, key: Hashable, a_ns: int, b_ns: int) -> None:
        """[a, b) was spent by ``key`` (since the previous reading)."""
        if b_ns <= a_ns:
            return
        self._span_ns += b_ns - a_ns
        ns = self.window.clip(a_ns, b_ns)
        if ns:
            self._share[key] = self._share.get(key, 0) + ns

    def rename(self, old: Hashable, new: Hashable) -> None:
        """Time occupied by ``old`` since the last reading now belongs to ``new``."""
        ns = self._share.pop(old, 0)
        if ns:
            self._share[new] = self._share.get(new, 0) + ns

    def reading(
        self, ts_ns: int, kwh: float, kw: float | None, now_key: Hashable = None
    ) -> dict[Hashable, float]:
        """Take a reading; returns the energy inside the window per key since the last one.

        Energy that cannot be placed in time (no time occupied since the previous reading) goes
        to ``now_key`` when the reading itself lies inside the window.
        """
        if self.kwh is None:
            self.kwh = 0.0
        if self.last_kwh is None:
            delta = (kw or 0.0) * self._span_ns / NS_PER_H
        else:
            delta = kwh - self.last_kwh
            if delta < 0:
                self.resets += 1
                delta = kwh
        out: dict[Hashable, float] = {}
        if self._span_ns > 0:
            for key, ns in self._share.items():
                out[key] = delta * ns / self._span_ns
        elif delta and self.window.contains(ts_ns):
            out[now_key] = delta
        self.kwh += sum(out.values())
        self._share.clear()
        self._span_ns = 0
        self.last_kwh, self.last_ts = kwh, ts_ns
        return out
