"""The gateway's register layout: one unit id per device, its tags, and the gateway's own block.

The virtual plant serves its legacy (``connectivity: gateway``) equipment through ONE Modbus TCP
server acting as a gateway. Each device is a unit id (``endpoint.unit_id``, 1-247) and serves
holding registers only (function codes 3, 6 and 16):

- **Tag registers**, read-only, at the addresses of the plant file (the point table).
- **Gateway block** at 1000-1099, the same for every unit:

  ========  ====  ============================================================================
  register  r/w   meaning
  ========  ====  ============================================================================
  1000      r/w   command: write 1 start, 2 stop, 3 reset, 4 hold, 5 unhold, 6 abort, 7 clear;
                  reads the last command code written (0 = none)
  1001      r     result of the last command: 0 none, 1 accepted, 2 refused
  1002      r     status: bit 0 = device online (some tag has a good value),
                  bit 1 = all tags good
  1003      r     number of tags whose latest value is bad (or that have no value yet)
  1004...   r     quality bitmap: bit ``i % 16`` of register ``1004 + i // 16`` is set when the
                  ``i``-th tag of the unit, in register address order, is bad
  ========  ====  ============================================================================

Errors (Modbus exception codes): an unknown unit id, or the tag registers of a device that is
offline (every tag bad, including before its first value), answer 0x0B (gateway target device
failed to respond), as a real gateway does when its serial device is silent; the gateway block
stays readable. Unmapped addresses answer 0x02 (illegal data address), also for a read that
spans a gap; writing a tag register answers 0x02 (read-only); other function codes answer 0x01;
an unknown command code answers 0x03; a command the plant refuses answers 0x04. Bad tags keep
their last value in their registers; a value of quality UNCERTAIN is served as good (the bitmap
has one bit per tag).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from shopfloor.connect.modbus.registers import ModbusPoint
from shopfloor.errors import PlantError
from shopfloor.plant.model import Connectivity, DataType, Plant, Protocol
from shopfloor.sim.outlet import Command

COMMAND_REGISTER = 1000
COMMAND_RESULT_REGISTER = 1001
STATUS_REGISTER = 1002
BAD_COUNT_REGISTER = 1003
QUALITY_BITMAP_REGISTER = 1004
RESERVED_START = 1000
RESERVED_END = 1100  # exclusive
MAX_TAGS_PER_UNIT = (RESERVED_END - QUALITY_BITMAP_REGISTER) * 16

STATUS_ONLINE = 0b01
STATUS_ALL_GOOD = 0b10

#: Command register codes (PackML commands; jobs are dispatched over OPC UA or Sparkplug).
COMMAND_CODES: dict[int, Command] = {
    1: Command.START,
    2: Command.STOP,
    3: Command.RESET,
    4: Command.HOLD,
    5: Command.UNHOLD,
    6: Command.ABORT,
    7: Command.CLEAR,
}
CODE_OF_COMMAND: dict[Command, int] = {c: k for k, c in COMMAND_CODES.items()}


class CommandOutcome(IntEnum):
    NONE = 0
    ACCEPTED = 1
    REFUSED = 2


@dataclass(frozen=True, slots=True)
class UnitMap:
    """One device behind the gateway: its path, unit id and points in register order."""

    equipment: str  # equipment path
    unit_id: int
    points: tuple[ModbusPoint, ...]

    @property
    def bitmap_words(self) -> int:
        return (len(self.points) + 15) // 16

    @property
    def diagnostic_count(self) -> int:
        """Registers from :data:`STATUS_REGISTER` to the end of the quality bitmap."""
        return QUALITY_BITMAP_REGISTER - STATUS_REGISTER + self.bitmap_words


def quality_bitmap(bad: Sequence[bool]) -> list[int]:
    """Pack per-tag bad flags (tag order) into registers, bit 0 first."""
    words = [0] * ((len(bad) + 15) // 16)
    for i, flag in enumerate(bad):
        if flag:
            words[i // 16] |= 1 << (i % 16)
    return words


def gateway_block(command: int, outcome: CommandOutcome, bad: Sequence[bool]) -> list[int]:
    """The gateway block of one unit from :data:`RESERVED_START`, in register order."""
    n_bad = sum(bad)
    status = (STATUS_ONLINE if n_bad < len(bad) else 0) | (STATUS_ALL_GOOD if n_bad == 0 else 0)
    return [command, int(outcome), status, n_bad, *quality_bitmap(bad)]


def bad_flags(words: Sequence[int], count: int) -> list[bool]:
    """Unpack :func:`quality_bitmap` for ``count`` tags."""
    return [bool(words[i // 16] >> (i % 16) & 1) for i in range(count)]


def unit_maps(plant: Plant) -> tuple[UnitMap, ...]:
    """Every gateway device of ``plant`` with its point table; bad layouts raise PlantError."""
    units: list[UnitMap] = []
    errors: list[str] = []
    seen: dict[int, str] = {}
    for path, *_rest, eq in plant.walk():
        if eq.connectivity is not Connectivity.GATEWAY or eq.protocol is not Protocol.MODBUS:
            continue
        unit = eq.endpoint.unit_id
        if unit is None or not 1 <= unit <= 247:
            errors.append(
                f"{path}: endpoint.unit_id must be 1-247 for a gateway device, not {unit}"
            )
            continue
        if unit in seen:
            errors.append(f"{path}: unit id {unit} is already used by {seen[unit]}")
            continue
        seen[unit] = path
        points = []
        for tag in eq.tags:
            assert tag.modbus is not None  # the plant model requires it for modbus equipment
            point = ModbusPoint(f"{path}/{tag.name}", tag.modbus, tag.data_type)
            if tag.data_type is DataType.STRING:
                errors.append(f"{point.tag}: string tags cannot be served in Modbus registers")
            if point.end > RESERVED_START and point.address < RESERVED_END:
                errors.append(
                    f"{point.where()} overlaps the gateway block "
                    f"{RESERVED_START}-{RESERVED_END - 1}"
                )
            points.append(point)
        if len(points) > MAX_TAGS_PER_UNIT:
            errors.append(f"{path}: {len(points)} tags, the gateway serves {MAX_TAGS_PER_UNIT}")
        units.append(UnitMap(path, unit, tuple(sorted(points, key=lambda p: p.address))))
    if errors:
        raise PlantError("Modbus gateway layout: " + "; ".join(errors), errors=errors)
    return tuple(units)
