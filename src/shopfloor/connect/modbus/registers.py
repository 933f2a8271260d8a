"""The Modbus point table: which registers or bits carry which tag, and how they are encoded.

One row per tag (:class:`ModbusPoint`), built from the plant file's ``modbus`` register of each
tag, so the gateway (server side) and the poller (client side) read the same table.

Encoding of one value, per the plant's :class:`~shopfloor.plant.model.ModbusRegister`:

- ``raw = (value - offset) / scale``, rounded half to even for integer types; reading back gives
  ``value = raw * scale + offset`` (divided by ``1 / scale`` when that is a whole number, so
  ``scale: 0.1`` reads back as the nearest double to the decimal value).
- ``int16``/``uint16`` take one register, ``int32``/``uint32``/``float32`` two, ``float64`` four.
- Bytes within a register are always big-endian (Modbus). ``word_order: big`` puts the most
  significant register first; ``little`` reverses the registers of the value.
- Coils and discrete inputs (``table: coil | discrete``) carry one bit: a ``bool`` tag.
- A value that does not fit its register type raises :class:`~shopfloor.errors.BadInput` naming
  the tag, the register and the range in engineering units. Strings cannot be encoded; a
  :class:`~shopfloor.plant.states.PackMLState` is encoded as its PackML state number.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from shopfloor.connect.modbus.config import MAX_READ_BITS, MAX_READ_REGISTERS
from shopfloor.errors import BadInput, DecodeError
from shopfloor.plant.model import DataType, ModbusRegister, ModbusTable, ModbusType
from shopfloor.plant.states import PackMLState

#: (struct code, minimum raw, maximum raw) per register type; floats have no integer range.
_FORMATS: dict[ModbusType, tuple[str, int | None, int | None]] = {
    ModbusType.INT16: ("h", -(2**15), 2**15 - 1),
    ModbusType.UINT16: ("H", 0, 2**16 - 1),
    ModbusType.INT32: ("i", -(2**31), 2**31 - 1),
    ModbusType.UINT32: ("I", 0, 2**32 - 1),
    ModbusType.FLOAT32: ("f", None, None),
    ModbusType.FLOAT64: ("d", None, None),
}

Value = float | int | bool


@dataclass(frozen=True, slots=True)
class ModbusPoint:
    """One tag served at ``address .. address + words - 1`` of one data table of its unit."""

    tag: str  # tag id: equipment path / tag name
    register: ModbusRegister
    data_type: DataType = DataType.DOUBLE

    @property
    def address(self) -> int:
        return self.register.address

    @property
    def table(self) -> ModbusTable:
        return self.register.table

    @property
    def words(self) -> int:
        """Addresses taken: register words, or 1 for a coil or discrete input."""
        return self.register.size

    @property
    def end(self) -> int:
        """One past the last address of this point."""
        return self.register.address + self.words

    def where(self) -> str:
        r = self.register
        if r.bit:
            return f"tag {self.tag} ({r.table} {r.address})"
        kind = "input register" if r.table == "input" else "register"
        return f"tag {self.tag} ({r.type} {kind} {r.address}, word order {r.word_order})"

    def encode(self, value: float | int | bool | str) -> list[int]:
        """The registers that carry ``value`` (engineering units), most significant first; a
        bit point gives ``[0]`` or ``[1]``."""
        if self.register.bit:
            if isinstance(value, str):
                raise BadInput(f"{self.where()}: {value!r} is not a bit", code="modbus.value_type")
            return [1 if value else 0]
        raw = self._raw(value)
        code = _FORMATS[self.register.type][0]
        try:
            data = struct.pack(f">{code}", raw)
        except (OverflowError, struct.error):
            raise self._range_error(value) from None
        words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
        return words[::-1] if self.register.word_order == "little" else words

    def decode(self, words: Sequence[int], offset: int = 0) -> Value:
        """The value in ``words[offset : offset + self.words]`` (engineering units)."""
        chunk = list(words[offset : offset + self.words])
        if len(chunk) != self.words:
            raise DecodeError(
                f"{self.where()} needs {self.words} registers, got {len(chunk)}",
                offset=2 * offset,
                tag=self.tag,
            )
        if self.register.bit:
            return bool(chunk[0])
        if self.register.word_order == "little":
            chunk = chunk[::-1]
        try:
            data = b"".join(w.to_bytes(2, "big") for w in chunk)
        except OverflowError:
            raise DecodeError(
                f"{self.where()}: a register value is outside 0..65535", offset=2 * offset
            ) from None
        raw = struct.unpack(f">{_FORMATS[self.register.type][0]}", data)[0]
        return self._engineering(raw)

    # ---- conversions --------------------------------------------------------------------------

    def _raw(self, value: float | int | bool | str) -> int | float:
        if isinstance(value, PackMLState):
            value = value.code
        if isinstance(value, str):
            raise BadInput(
                f"{self.where()}: the string {value!r} cannot be encoded into a register",
                code="modbus.value_type",
                tag=self.tag,
                address=self.address,
            )
        number = float(value)
        r = self.register
        inverse = _whole_inverse(r.scale)
        shifted = number - r.offset
        raw = shifted * inverse if inverse is not None else shifted / r.scale
        lo, hi = _FORMATS[r.type][1:]
        if lo is None or hi is None:
            return raw
        if not math.isfinite(raw):
            raise self._range_error(value)
        rounded = round(raw)
        if not lo <= rounded <= hi:
            raise self._range_error(value)
        return rounded

    def _engineering(self, raw: int | float) -> Value:
        r = self.register
        inverse = _whole_inverse(r.scale)
        if r.scale == 1 and r.offset == 0:
            value: float = raw
        elif inverse is not None:
            value = raw / inverse + r.offset
        else:
            value = raw * r.scale + r.offset
        if self.data_type is DataType.BOOL:
            return value != 0
        if self.data_type is DataType.INT and float(value).is_integer():
            return int(value)
        return float(value)

    def limits(self) -> tuple[float, float] | None:
        """The lowest and highest value (engineering units) the register can carry."""
        if self.register.bit:
            return (0.0, 1.0)
        lo, hi = _FORMATS[self.register.type][1:]
        if lo is None or hi is None:
            return None
        a, b = (float(self._engineering(lo)), float(self._engineering(hi)))
        return (min(a, b), max(a, b))

    def _range_error(self, value: object) -> BadInput:
        limits = self.limits()
        span = f"{limits[0]:g} .. {limits[1]:g}" if limits else "the finite float range"
        return BadInput(
            f"{self.where()}: value {value!r} does not fit (the register carries {span}"
            f" with scale {self.register.scale:g} and offset {self.register.offset:g})",
            code="modbus.value_range",
            tag=self.tag,
            address=self.address,
        )


def _whole_inverse(scale: float) -> float | None:
    """``1 / scale`` when it is a whole number (``0.1`` -> ``10``), so decimal scales stay exact."""
    inverse = 1.0 / scale
    nearest = round(inverse)
    if abs(scale) < 1 and nearest != 0 and abs(inverse - nearest) < 1e-9 * abs(inverse):
        return float(nearest)
    return None


@dataclass(frozen=True, slots=True)
class ReadBlock:
    """One read request: ``count`` registers (or bits) of ``table`` from ``start`` carrying
    ``points`` whole."""

    start: int
    count: int
    points: tuple[ModbusPoint, ...]
    table: ModbusTable = "holding"

    def decode(self, words: Sequence[int]) -> list[tuple[ModbusPoint, Value]]:
        if len(words) != self.count:
            raise DecodeError(
                f"read of {self.count} registers from {self.start} returned {len(words)}",
                offset=2 * min(len(words), self.count),
            )
        return [(p, p.decode(words, p.address - self.start)) for p in self.points]


_TABLE_ORDER: tuple[ModbusTable, ...] = ("holding", "input", "coil", "discrete")


def plan_reads(
    points: tuple[ModbusPoint, ...],
    max_registers: int = MAX_READ_REGISTERS,
    max_bits: int = MAX_READ_BITS,
) -> list[ReadBlock]:
    """Merge contiguous points of the same table into as few reads as possible, each at most
    ``max_registers`` registers (or ``max_bits`` coils / discrete inputs).

    Points are never split across reads; a gap between points starts a new read (the gateway
    answers unmapped registers with exception 0x02, as most PLCs do).
    """
    if not 1 <= max_registers <= MAX_READ_REGISTERS:
        raise BadInput(f"max_registers must be 1..125 (Modbus limit), got {max_registers}")
    if not 1 <= max_bits <= MAX_READ_BITS:
        raise BadInput(f"max_bits must be 1..2000 (Modbus limit), got {max_bits}")
    blocks: list[ReadBlock] = []
    for table in _TABLE_ORDER:
        limit = max_bits if table in ("coil", "discrete") else max_registers
        current: list[ModbusPoint] = []
        for p in sorted((q for q in points if q.table == table), key=lambda q: q.address):
            if current and (p.address != current[-1].end or p.end - current[0].address > limit):
                blocks.append(_block(current, table))
                current = []
            current.append(p)
        if current:
            blocks.append(_block(current, table))
    return blocks


def _block(points: list[ModbusPoint], table: ModbusTable) -> ReadBlock:
    start = points[0].address
    return ReadBlock(start=start, count=points[-1].end - start, points=tuple(points), table=table)
