"""Modbus layouts: the units of each Modbus TCP server, and the gateway's own block.

Equipment is grouped by the server it is read at (:func:`modbus_servers`): a device of its own
(``connectivity: native``, its ``endpoint`` or the settings' ``modbus_url``; unit id default 1)
with tags in any of the four tables, or a device behind a gateway.

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
from urllib.parse import urlsplit

from shopfloor.connect.modbus.registers import ModbusPoint
from shopfloor.errors import ConfigError, PlantError
from shopfloor.plant.model import Connectivity, DataType, Equipment, Plant, Protocol
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
    """One Modbus device: its path, unit id and points in address order.

    ``gateway``: served behind a gateway like the virtual plant's, with the gateway block
    (command register, quality bitmap); False for a device of its own (``connectivity:
    native``), whose every answered value is good and which takes no commands."""

    equipment: str  # equipment path
    unit_id: int
    points: tuple[ModbusPoint, ...]
    gateway: bool = True

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


@dataclass(frozen=True, slots=True)
class ModbusServer:
    """One Modbus TCP server (a gateway or a device) and the units read from it."""

    host: str
    port: int
    units: tuple[UnitMap, ...]

    @property
    def url(self) -> str:
        return f"modbus+tcp://{self.host}:{self.port}"


def unit_maps(plant: Plant) -> tuple[UnitMap, ...]:
    """Every gateway device of ``plant`` with its point table (what the virtual plant's gateway
    serves); bad layouts raise PlantError."""
    errors: list[str] = []
    seen: dict[int, str] = {}
    units = [
        u
        for path, *_rest, eq in plant.walk()
        if eq.connectivity is Connectivity.GATEWAY and eq.protocol is Protocol.MODBUS
        if (u := _unit(path, eq, seen, errors)) is not None
    ]
    if errors:
        raise PlantError("Modbus gateway layout: " + "; ".join(errors), errors=errors)
    return tuple(units)


def modbus_servers(plant: Plant, default_url: str | None) -> tuple[list[ModbusServer], list[str]]:
    """The plant's Modbus equipment grouped by the server it is read from, and the paths of
    equipment with no endpoint. An equipment's own ``endpoint`` (url, or host and port) wins;
    without one it is read at ``default_url`` (``modbus+tcp://host:port``)."""
    groups: dict[tuple[str, int], list[UnitMap]] = {}
    seen: dict[tuple[str, int], dict[int, str]] = {}
    errors: list[str] = []
    missing: list[str] = []
    for path, *_rest, eq in plant.walk():
        if eq.connectivity is Connectivity.NONE or eq.protocol is not Protocol.MODBUS:
            continue
        ep = eq.endpoint
        if ep.url is not None:
            where = parse_modbus_url(ep.url, f"{path}: endpoint.url")
        elif ep.host is not None:
            where = (ep.host, ep.port or 502)
        elif default_url is not None:
            where = parse_modbus_url(default_url, "modbus_url")
        else:
            missing.append(path)
            continue
        unit = _unit(path, eq, seen.setdefault(where, {}), errors)
        if unit is not None:
            groups.setdefault(where, []).append(unit)
    if errors:
        raise PlantError("Modbus layout: " + "; ".join(errors), errors=errors)
    servers = [ModbusServer(h, p, tuple(units)) for (h, p), units in groups.items()]
    return servers, missing


def parse_modbus_url(url: str, field: str) -> tuple[str, int]:
    """``(host, port)`` of ``modbus+tcp://host[:port]`` (port 502 when omitted)."""
    parts = urlsplit(url)
    try:
        port = parts.port or 502
    except ValueError:
        raise ConfigError(f"{field}: {url!r} has a bad port", field=field) from None
    if parts.scheme != "modbus+tcp" or not parts.hostname:
        raise ConfigError(f"{field}: {url!r} must read modbus+tcp://host[:port]", field=field)
    return parts.hostname, port


def _unit(path: str, eq: Equipment, seen: dict[int, str], errors: list[str]) -> UnitMap | None:
    gateway = eq.connectivity is Connectivity.GATEWAY
    unit = eq.endpoint.unit_id
    if unit is None and not gateway:
        unit = 1
    if unit is None or not (1 <= unit <= 247 if gateway else 0 <= unit <= 255):
        span = "1-247 for a gateway device" if gateway else "0-255"
        errors.append(f"{path}: endpoint.unit_id must be {span}, not {unit}")
        return None
    if unit in seen:
        errors.append(f"{path}: unit id {unit} is already used by {seen[unit]} on that server")
        return None
    seen[unit] = path
    points = []
    for tag in eq.tags:
        assert tag.modbus is not None  # the plant model requires it for modbus equipment
        point = ModbusPoint(f"{path}/{tag.name}", tag.modbus, tag.data_type)
        if tag.data_type is DataType.STRING:
            errors.append(
                f"{point.tag}: string tags cannot be served in or read from Modbus registers"
            )
        if gateway and point.end > RESERVED_START and point.address < RESERVED_END:
            errors.append(
                f"{point.where()} overlaps the gateway block {RESERVED_START}-{RESERVED_END - 1}"
            )
        points.append(point)
    if gateway and len(points) > MAX_TAGS_PER_UNIT:
        errors.append(f"{path}: {len(points)} tags, the gateway serves {MAX_TAGS_PER_UNIT}")
    ordered = tuple(sorted(points, key=lambda p: (p.table, p.address)))
    return UnitMap(path, unit, ordered, gateway=gateway)
