"""The virtual plant's Modbus TCP gateway: one server, one unit id per legacy device.

:class:`ModbusGateway` is a :class:`~shopfloor.sim.outlet.PlantOutlet` (the simulation pushes
tag values into it from its own thread) and a :class:`~shopfloor.service.Service`. Register
layout, quality convention and exception codes are documented in
:mod:`shopfloor.connect.modbus.layout`.

Each unit's registers live in an image owned by this module and guarded by one lock; pymodbus
serves them through a per-unit request hook that copies the requested range under that lock,
so a client never sees half of a multi-register value. Commands written to the command
register go to the :class:`~shopfloor.sim.outlet.PlantControl` given at construction; it is
called on the server's event loop and must answer promptly. Values that do not fit their
register are not served: the tag is marked bad, counted in ``health()`` and logged once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimAction, SimData, SimDevice

from shopfloor.connect.modbus.config import GatewayConfig
from shopfloor.connect.modbus.layout import (
    COMMAND_CODES,
    COMMAND_REGISTER,
    COMMAND_RESULT_REGISTER,
    QUALITY_BITMAP_REGISTER,
    RESERVED_END,
    RESERVED_START,
    CommandOutcome,
    UnitMap,
    gateway_block,
    unit_maps,
)
from shopfloor.errors import BadInput, ConnectorError, ShopfloorError
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Plant
from shopfloor.samples import Quality
from shopfloor.service import Health
from shopfloor.sim.outlet import PlantControl, TagBlock, TagValue

log = logging.getLogger(__name__)

_READ, _WRITE_ONE, _WRITE_MANY = 3, 6, 16


def _reserved(address: int, count: int) -> bool:
    """True when the whole range lies in the gateway block (readable while a device is down)."""
    return address >= RESERVED_START and address + count <= RESERVED_END


class _UnitImage:
    """What one device currently serves; every access holds the gateway's lock."""

    def __init__(self, unit: UnitMap) -> None:
        self.unit = unit
        self.words: dict[int, int] = {p.address + k: 0 for p in unit.points for k in range(p.words)}
        self.bad = [True] * len(unit.points)  # no value yet counts as bad
        self.command = 0
        self.outcome = CommandOutcome.NONE

    @property
    def online(self) -> bool:
        return not all(self.bad)

    def set(self, index: int, words: list[int] | None) -> None:
        if words is None:
            self.bad[index] = True
            return
        start = self.unit.points[index].address
        for k, w in enumerate(words):
            self.words[start + k] = w
        self.bad[index] = False

    def read(self, address: int, count: int) -> list[int]:
        """Registers ``address .. address + count - 1`` (pymodbus has checked they exist)."""
        block = gateway_block(self.command, self.outcome, self.bad)
        return [
            block[a - RESERVED_START] if _reserved(a, 1) else self.words[a]
            for a in range(address, address + count)
        ]

    def sim_device(self, action: SimAction) -> SimDevice:
        u = self.unit
        data = [
            SimData(p.address, count=p.words, datatype=DataType.REGISTERS, readonly=True)
            for p in u.points
        ]
        data.append(SimData(COMMAND_REGISTER, datatype=DataType.REGISTERS))
        data.append(
            SimData(
                COMMAND_RESULT_REGISTER,
                count=QUALITY_BITMAP_REGISTER - COMMAND_RESULT_REGISTER + u.bitmap_words,
                datatype=DataType.REGISTERS,
                readonly=True,
            )
        )
        return SimDevice(u.unit_id, simdata=data, action=action)


class ModbusGateway:
    """Serves the plant's gateway devices over Modbus TCP and takes commands for them."""

    name = "modbus-gateway"

    def __init__(
        self, plant: Plant, control: PlantControl, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = GatewayConfig(host, port).validate()
        self.units = unit_maps(plant)
        self.port = port
        self._control = control
        self._lock = threading.Lock()
        self._images = {u.unit_id: _UnitImage(u) for u in self.units}
        self._index = {
            p.tag: (img, i) for img in self._images.values() for i, p in enumerate(img.unit.points)
        }
        self._rejected: dict[str, int] = {}
        self._commands = {CommandOutcome.ACCEPTED: 0, CommandOutcome.REFUSED: 0}
        self._server: ModbusTcpServer | None = None

    # ---- PlantOutlet (called from the simulation's thread) -----------------------------------

    def on_values(self, values: Sequence[TagValue]) -> None:
        updates: list[tuple[_UnitImage, int, list[int] | None]] = []
        for tv in values:
            hit = self._index.get(tv.tag)
            if hit is None:
                continue  # not a gateway tag
            image, i = hit
            if tv.quality is Quality.BAD or tv.value is None:
                updates.append((image, i, None))
                continue
            try:
                updates.append((image, i, image.unit.points[i].encode(tv.value)))
            except BadInput as exc:
                self._reject(tv.tag, exc)
                updates.append((image, i, None))
        with self._lock:
            for image, i, words in updates:
                image.set(i, words)

    def on_block(self, block: TagBlock) -> None:
        """A gateway serves the current value: the last sample of a high-rate block."""
        if block.tag in self._index and len(block.values):
            last_ns = block.start_ns + round((len(block.values) - 1) * 1e9 / block.rate_hz)
            value = float(block.values[-1])
            self.on_values([TagValue(block.tag, last_ns, value, block.quality)])

    def on_event(self, event: MachineEvent) -> None:
        """Modbus has no event channel: states and counters travel as tag registers."""

    def _reject(self, tag: str, exc: BadInput) -> None:
        with self._lock:
            count = self._rejected[tag] = self._rejected.get(tag, 0) + 1
        if count == 1:
            log.warning("modbus gateway marks %s bad: %s", tag, exc.message)

    # ---- Modbus requests (event loop thread) --------------------------------------------------

    def _action(self, image: _UnitImage) -> SimAction:
        async def action(
            function_code: int,
            start_address: int,
            address: int,
            count: int,
            registers: list[int],
            set_values: list[int] | list[bool] | None,
        ) -> ExcCodes | None:
            if function_code not in (_READ, _WRITE_ONE, _WRITE_MANY):
                return ExcCodes.ILLEGAL_FUNCTION
            if set_values is not None:
                return self._command(image, [int(v) for v in set_values])
            with self._lock:
                if not _reserved(address, count) and not image.online:
                    return ExcCodes.GATEWAY_NO_RESPONSE
                offset = address - start_address
                registers[offset : offset + count] = image.read(address, count)
            return None

        return action

    def _command(self, image: _UnitImage, values: list[int]) -> ExcCodes | None:
        """A write that passed pymodbus' checks can only be the command register."""
        code = values[0]
        command = COMMAND_CODES.get(code)
        if command is None or len(values) != 1:
            return ExcCodes.ILLEGAL_VALUE
        try:
            result = self._control.command(image.unit.equipment, command, {})
            ok, why = result.ok, result.message
        except ShopfloorError as exc:
            ok, why = False, exc.message
        outcome = CommandOutcome.ACCEPTED if ok else CommandOutcome.REFUSED
        with self._lock:
            image.command, image.outcome = code, outcome
            self._commands[outcome] += 1
        if not ok:
            log.info("%s refused %s: %s", image.unit.equipment, command, why)
            return ExcCodes.DEVICE_FAILURE
        return None

    @staticmethod
    async def _no_such_unit(
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        return ExcCodes.GATEWAY_NO_RESPONSE

    # ---- Service ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen; a restarted gateway binds the port it had before (useful with port 0)."""
        if self._server is not None:
            return
        devices = [img.sim_device(self._action(img)) for img in self._images.values()]
        # Unit 0 catches every unit id that is not a device: 0x0B, as a gateway answers.
        catch_all = SimData(0, count=65536, datatype=DataType.REGISTERS)
        devices.append(SimDevice(0, simdata=[catch_all], action=self._no_such_unit))
        server = ModbusTcpServer(devices, address=(self.config.host, self.port))
        try:
            await server.serve_forever(background=True)
        except RuntimeError:
            raise ConnectorError(
                f"Modbus gateway cannot listen on {self.config.host}:{self.port} "
                "(address in use or not available)",
                host=self.config.host,
                port=self.port,
            ) from None
        listener = server.transport
        if isinstance(listener, asyncio.Server):
            self.port = int(listener.sockets[0].getsockname()[1])
        self._server = server
        log.info(
            "modbus gateway listening on %s:%d (%d units)",
            self.config.host,
            self.port,
            len(self.units),
        )

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        listener = server.transport
        await server.shutdown()
        if isinstance(listener, asyncio.Server):
            await listener.wait_closed()

    def health(self) -> Health:
        with self._lock:
            online = sum(img.online for img in self._images.values())
            metrics = {
                "units": len(self._images),
                "units_online": online,
                "rejected_values": sum(self._rejected.values()),
                "commands_accepted": self._commands[CommandOutcome.ACCEPTED],
                "commands_refused": self._commands[CommandOutcome.REFUSED],
            }
        running = self._server is not None
        detail = f"listening on {self.config.host}:{self.port}" if running else "stopped"
        return Health(ok=running, detail=detail, metrics=metrics)
