"""DATA the host holds while it waits for a rebirth (see :mod:`~.host_session` for when).

:class:`HeldData` keeps messages in arrival order, bounded: beyond ``limit`` the oldest is
parked (``hold overflow``), and :meth:`HeldData.expire` parks what waited too long
(``no rebirth``). Nothing leaves it without being used or parked.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from shopfloor.connect.sparkplug.codec import AliasTable


@dataclass(frozen=True, slots=True)
class Held:
    key: tuple[str, str, str]  # group, edge node, device
    topic: str
    data: bytes
    recv_ns: int
    reason: str  # why it is held
    expect: AliasTable | None  # the device's alias table when it was held, if one was known


#: ``park(held, reason, detail)``
Park = Callable[[Held, str, str], None]


class HeldData:
    """Held DATA messages, oldest first, at most ``limit`` of them."""

    def __init__(self, limit: int, park: Park) -> None:
        self.limit = limit
        self._park = park
        self._items: deque[Held] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, held: Held) -> None:
        if self.limit == 0:
            self._park(held, "no hold", "holding is disabled (hold_max = 0)")
            return
        if len(self._items) >= self.limit:
            self._park(self._items.popleft(), "hold overflow", f"more than {self.limit} held")
        self._items.append(held)

    def take(self, key: tuple[str, str, str]) -> list[Held]:
        """Remove and return the messages held for device ``key``, oldest first."""
        if not any(h.key == key for h in self._items):
            return []
        mine = [h for h in self._items if h.key == key]
        self._items = deque(h for h in self._items if h.key != key)
        return mine

    def expire(self, before_ns: int, timeout_s: float) -> None:
        """Park what was received before ``before_ns``."""
        while self._items and self._items[0].recv_ns < before_ns:
            self._park(self._items.popleft(), "no rebirth", f"no birth within {timeout_s} s")
