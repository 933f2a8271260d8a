"""The Modbus TCP connector: the one place that talks to a Modbus server, and the poller on top.

:class:`ModbusClient` wraps pymodbus and translates both of its error channels (raised
exceptions and exception *responses*) into ours, here and nowhere else:

- no connection, a timeout, a dropped socket, or exception 0x0A/0x0B (the gateway cannot reach
  the device) -> :class:`~shopfloor.errors.ConnectorUnavailable`;
- any other exception response (0x01 illegal function, 0x02 illegal address, 0x03 illegal
  value, 0x04 device failure...) -> :class:`~shopfloor.errors.ConnectorError` with
  ``details["exception_code"]``.

:class:`ModbusPoller` is a :class:`~shopfloor.service.Service`: every ``poll_interval_s`` it
reads each unit's point table in as few requests as possible (contiguous registers or bits of
one table merged, at most ``max_registers`` per read), reads the quality bitmap of units behind
a gateway (see :mod:`shopfloor.connect.modbus.layout`) and hands
:class:`~shopfloor.samples.Sample` rows to its sink. When a unit, or the whole server, stops
answering, each of its tags gets one ``Quality.BAD`` sample (value None), the error is recorded
in :attr:`ModbusPoller.errors` and logged once; the poller reconnects with exponential back-off
and good samples resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from shopfloor.clock import Clock
from shopfloor.connect.modbus.config import PollerConfig
from shopfloor.connect.modbus.layout import (
    CODE_OF_COMMAND,
    COMMAND_REGISTER,
    QUALITY_BITMAP_REGISTER,
    STATUS_REGISTER,
    UnitMap,
    bad_flags,
)
from shopfloor.connect.modbus.registers import ReadBlock, Value, plan_reads
from shopfloor.errors import BadInput, ConnectorError, ConnectorUnavailable, DecodeError, NotFound
from shopfloor.plant.model import ModbusTable
from shopfloor.samples import Quality, Sample
from shopfloor.service import Health
from shopfloor.sim.outlet import Command

log = logging.getLogger(__name__)

EXCEPTION_NAMES = {
    0x01: "illegal function",
    0x02: "illegal data address",
    0x03: "illegal data value",
    0x04: "server device failure",
    0x05: "acknowledge",
    0x06: "server device busy",
    0x0A: "gateway path unavailable",
    0x0B: "gateway target device failed to respond",
}
_UNREACHABLE = {0x0A, 0x0B}
_PLURAL = {
    "holding": "registers",
    "input": "input registers",
    "coil": "coils",
    "discrete": "discrete inputs",
}

SampleSink = Callable[[list[Sample]], None]


class ModbusClient:
    """One Modbus TCP connection; every pymodbus error becomes a ConnectorError here."""

    def __init__(self, config: PollerConfig) -> None:
        self.config = config.validate()
        self.where = f"{config.host}:{config.port}"
        self._client = AsyncModbusTcpClient(
            config.host,
            port=config.port,
            timeout=config.timeout_s,
            retries=0,
            reconnect_delay=0,  # the poller owns reconnection and its back-off
            name=f"modbus {self.where}",
        )

    @property
    def connected(self) -> bool:
        return bool(self._client.connected)

    async def connect(self) -> None:
        if not await self._client.connect():
            raise ConnectorUnavailable(f"cannot connect to Modbus server {self.where}")

    def close(self) -> None:
        self._client.close()

    async def read(
        self, unit: int, address: int, count: int, table: ModbusTable = "holding"
    ) -> list[int]:
        """``count`` holding or input registers, or coils or discrete inputs (as 0 / 1), of
        ``unit`` from ``address``."""
        c = self._client
        if table in ("coil", "discrete"):
            what = f"read of {count} {_PLURAL[table]} at {address}"
            bits = c.read_coils if table == "coil" else c.read_discrete_inputs
            response = await self._call(
                unit, what, lambda: bits(address, count=count, device_id=unit)
            )
            values = [int(b) for b in response.bits[:count]]  # bits come padded to a byte
        else:
            what = f"read of {count} {_PLURAL[table]} at {address}"
            words = c.read_holding_registers if table == "holding" else c.read_input_registers
            response = await self._call(
                unit, what, lambda: words(address, count=count, device_id=unit)
            )
            values = list(response.registers)
        if len(values) != count:
            raise DecodeError(f"unit {unit}: {what} returned {len(values)} values")
        return values

    async def write(self, unit: int, address: int, value: int) -> None:
        what = f"write of {value} to register {address}"
        await self._call(
            unit, what, lambda: self._client.write_register(address, value, device_id=unit)
        )

    async def _call(
        self, unit: int, what: str, send: Callable[[], Awaitable[ModbusPDU]]
    ) -> ModbusPDU:
        if not self.connected:
            raise ConnectorUnavailable(f"not connected to Modbus server {self.where}")
        try:
            response = await send()
        except (ModbusException, OSError) as exc:  # OSError includes TimeoutError
            self.close()  # a late answer would confuse the next request: start clean
            raise ConnectorUnavailable(
                f"Modbus server {self.where}, unit {unit}: {what} failed: {exc}", unit=unit
            ) from None
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            name = EXCEPTION_NAMES.get(code, "unknown exception")
            msg = f"Modbus server {self.where}, unit {unit}: {what}: exception {code:#04x} {name}"
            error = ConnectorUnavailable if code in _UNREACHABLE else ConnectorError
            raise error(
                msg,
                code=None if code in _UNREACHABLE else "connect.modbus_exception",
                unit=unit,
                exception_code=code,
            )
        return response


class ModbusPoller:
    """Polls the units behind one Modbus TCP server and turns their registers into samples."""

    def __init__(
        self,
        config: PollerConfig,
        units: Sequence[UnitMap],
        sink: SampleSink,
        clock: Clock,
        name: str = "modbus-poller",
    ) -> None:
        self.name = name
        self.config = config.validate()
        self.units = tuple(units)
        self.client = ModbusClient(self.config)
        self.errors: dict[str, ConnectorError] = {}  # equipment path -> current outage
        self.latest: dict[str, Sample] = {}
        self._sink = sink
        self._clock = clock
        self._plans: dict[int, list[ReadBlock]] = {
            u.unit_id: plan_reads(u.points, self.config.max_registers) for u in self.units
        }
        self._by_path = {u.equipment: u for u in self.units}
        self._task: asyncio.Task[None] | None = None
        self._metrics = {"polls": 0, "reads": 0, "samples": 0, "connects": 0}

    def reads_per_poll(self, unit: UnitMap) -> int:
        """Requests one poll of ``unit`` takes: its merged blocks, plus the quality bitmap
        behind a gateway."""
        return len(self._plans[unit.unit_id]) + int(unit.gateway)

    # ---- reading ------------------------------------------------------------------------------

    async def read_unit(self, unit: UnitMap) -> list[Sample]:
        """One sample per tag of ``unit``; raises ConnectorError when the unit cannot be read."""
        values: dict[str, Value] = {}
        for block in self._plans[unit.unit_id]:
            words = await self.client.read(unit.unit_id, block.start, block.count, block.table)
            values.update({p.tag: v for p, v in block.decode(words)})
        bad = [False] * len(unit.points)
        if unit.gateway:  # the gateway says which of its device's values are stale
            diag = await self.client.read(unit.unit_id, STATUS_REGISTER, unit.diagnostic_count)
            bad = bad_flags(diag[QUALITY_BITMAP_REGISTER - STATUS_REGISTER :], len(unit.points))
        self._metrics["reads"] += self.reads_per_poll(unit)
        ts = self._clock.now_ns()
        return [
            Sample(p.tag, ts, None, Quality.BAD) if bad[i] else Sample(p.tag, ts, values[p.tag])
            for i, p in enumerate(unit.points)
        ]

    async def poll(self) -> list[Sample]:
        """One pass over every unit; device trouble is recorded, never raised."""
        out: list[Sample] = []
        for unit in self.units:
            if not self.client.connected:
                out += self._unavailable(
                    unit,
                    ConnectorUnavailable(f"not connected to Modbus server {self.client.where}"),
                )
                continue
            try:
                samples = await self.read_unit(unit)
            except (ConnectorError, DecodeError) as exc:
                out += self._unavailable(unit, exc)
                continue
            if self.errors.pop(unit.equipment, None) is not None:
                log.info("modbus %s (unit %d) answers again", unit.equipment, unit.unit_id)
            out += samples
        self._metrics["polls"] += 1
        return self._publish(out)

    def _unavailable(self, unit: UnitMap, exc: ConnectorError | DecodeError) -> list[Sample]:
        """BAD samples for every tag of ``unit`` the first time it fails, then nothing."""
        error = exc if isinstance(exc, ConnectorError) else ConnectorError(exc.message)
        first = unit.equipment not in self.errors
        self.errors[unit.equipment] = error
        if not first:
            return []
        log.warning("modbus %s (unit %d) unavailable: %s", unit.equipment, unit.unit_id, exc)
        ts = self._clock.now_ns()
        return [Sample(p.tag, ts, None, Quality.BAD) for p in unit.points]

    def _publish(self, samples: list[Sample]) -> list[Sample]:
        if not samples:
            return samples
        for s in samples:
            self.latest[s.tag] = s
        self._metrics["samples"] += len(samples)
        try:
            self._sink(samples)
        except Exception:  # the sink is another component: keep polling, say so once per call
            log.exception("modbus poller sink failed on %d samples", len(samples))
        return samples

    # ---- commands -----------------------------------------------------------------------------

    async def command(self, equipment: str, command: Command) -> None:
        """Write ``command`` to the unit's command register; ConnectorError when refused."""
        unit = self._by_path.get(equipment)
        if unit is None:
            raise NotFound(f"no Modbus unit serves equipment {equipment!r} on {self.client.where}")
        if not unit.gateway:
            raise BadInput(
                f"{equipment} is a plain Modbus device: it has no command register "
                "(commands go to devices behind a shopfloor-style gateway)",
                code="connect.no_command",
            )
        code = CODE_OF_COMMAND.get(command)
        if code is None:
            raise BadInput(f"command {command!r} cannot be sent over Modbus (PackML commands only)")
        try:
            await self.client.write(unit.unit_id, COMMAND_REGISTER, code)
        except ConnectorUnavailable:
            raise
        except ConnectorError as exc:
            raise ConnectorError(
                f"{equipment} refused command {command}: {exc.message}",
                code="connect.command_refused",
                **exc.details,
            ) from None

    # ---- Service ------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.client.close()

    def health(self) -> Health:
        down = sorted(self.errors)
        ok = self._task is not None and self.client.connected and not down
        detail = f"{self.client.where}: " + (
            f"unavailable: {', '.join(down)}" if down else "all units answer"
        )
        return Health(ok=ok, detail=detail, metrics=dict(self._metrics, units=len(self.units)))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.config.backoff_initial_s
        while True:
            if not self.client.connected:
                try:
                    await self.client.connect()
                except ConnectorUnavailable as exc:
                    self._publish([s for u in self.units for s in self._unavailable(u, exc)])
                    await asyncio.sleep(delay)
                    delay = min(2 * delay, self.config.backoff_max_s)
                    continue
                self._metrics["connects"] += 1
                delay = self.config.backoff_initial_s
            started = loop.time()
            await self.poll()
            await asyncio.sleep(max(0.0, self.config.poll_interval_s - (loop.time() - started)))
