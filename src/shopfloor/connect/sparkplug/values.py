"""How a value of each Sparkplug type travels in the protobuf ``value`` oneof.

The table follows the Eclipse Sparkplug Specification 3.0.0 (section 6.4.16, "Datatype
Details"): small integers in ``int_value`` (uint32), 64-bit integers and DateTime in
``long_value`` (uint64), Float in ``float_value``, Double in ``double_value``, Boolean in
``boolean_value``, String/Text/UUID in ``string_value``, Bytes/File and every array type in
``bytes_value``, DataSet and Template in their own messages, PropertySet and PropertySetList
(property values only) in ``propertyset_value`` / ``propertysets_value``.

Signed integers travel as two's complement cut to the type's width (Int8 -1 is ``int_value``
255, Int64 -1 is ``long_value`` 2**64 - 1). On decode the same value sign-extended to the field
width (Int8 -1 as ``int_value`` 2**32 - 1, as Tahu's Java encoder writes it) is accepted too, and
integer types accept either integer field as long as the value fits the type: both are exact
readings of the bytes, and encoders differ (older Tahu put UInt32 in ``long_value``). Any other
field for a type is rejected: a Float metric carrying ``string_value`` is malformed.

``DataType.Unknown`` (and an absent datatype) keeps whatever the wire holds, unconverted: raw
unsigned integers, floats, bools, str, bytes (``bytes_value`` and undecoded extension values).
"""

from __future__ import annotations

import datetime as dt
import numbers
import operator
import uuid
from typing import Any

import numpy as np

from shopfloor.connect.sparkplug import arrays
from shopfloor.connect.sparkplug.datatypes import (
    BYTES_TYPES,
    SIGNED_BITS,
    STRING_TYPES,
    UNSIGNED_BITS,
    DataType,
    EncodeError,
)
from shopfloor.errors import DecodeError

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FIELD_BITS = {"int_value": 32, "long_value": 64}
_INT_FIELDS = frozenset(_FIELD_BITS)

#: The oneof member each type is written to.
CANONICAL_FIELD: dict[DataType, str] = {
    **{t: "int_value" for t in SIGNED_BITS if SIGNED_BITS[t] <= 32},
    **{t: "int_value" for t in UNSIGNED_BITS if UNSIGNED_BITS[t] <= 32},
    DataType.Int64: "long_value",
    DataType.UInt64: "long_value",
    DataType.DateTime: "long_value",
    DataType.Float: "float_value",
    DataType.Double: "double_value",
    DataType.Boolean: "boolean_value",
    **{t: "string_value" for t in STRING_TYPES},
    **{t: "bytes_value" for t in BYTES_TYPES},
    **{t: "bytes_value" for t in arrays.ARRAY_TYPES},
    DataType.DataSet: "dataset_value",
    DataType.Template: "template_value",
    DataType.PropertySet: "propertyset_value",
    DataType.PropertySetList: "propertysets_value",
}


def accepts(datatype: DataType, field: str) -> bool:
    """True when a value of ``datatype`` may be read from oneof member ``field``."""
    if datatype in SIGNED_BITS or datatype in UNSIGNED_BITS:
        return field in _INT_FIELDS
    return CANONICAL_FIELD.get(datatype) == field


def from_wire(
    datatype: DataType | None,
    field: str,
    raw: Any,
    offset: int | None,
    data_offset: int | None = None,
) -> Any:
    """The Python value of ``raw`` (as read from oneof member ``field``) for ``datatype``.

    ``offset`` is the field's tag (used for type mismatches), ``data_offset`` where its bytes
    start (used to point inside arrays).
    """
    if datatype is None or datatype is DataType.Unknown:
        return raw
    if not accepts(datatype, field):
        raise DecodeError(f"{datatype.name} value cannot be carried in {field}", offset)
    if field in _INT_FIELDS:
        return _int_from_wire(datatype, field, raw, offset)
    if datatype in arrays.ARRAY_TYPES:
        return arrays.decode_array(datatype, raw, offset if data_offset is None else data_offset)
    return raw


def _int_from_wire(datatype: DataType, field: str, raw: int, offset: int | None) -> int:
    field_bits = _FIELD_BITS[field]
    if datatype in SIGNED_BITS:
        bits = min(SIGNED_BITS[datatype], field_bits)
        if raw < (1 << bits):
            return raw - (1 << bits) if raw >> (bits - 1) else raw
        if raw >= (1 << field_bits) - (1 << (bits - 1)):
            return raw - (1 << field_bits)  # sign-extended to the field's width
    elif raw < (1 << UNSIGNED_BITS[datatype]):
        return raw
    raise DecodeError(f"{field} {raw} is out of range for {datatype.name}", offset)


def to_wire(datatype: DataType, value: Any) -> tuple[str, Any]:
    """``(oneof member, wire value)`` for ``value`` declared as ``datatype``.

    Integers come back as the unsigned number to write, arrays as their packed bytes; DataSet,
    Template and property sets come back unchanged for the message encoder.
    """
    field = CANONICAL_FIELD.get(datatype)
    if field is None:
        raise EncodeError(f"a value of type {datatype.name} cannot be encoded")
    try:
        return field, _convert(datatype, value)
    except EncodeError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise EncodeError(f"{datatype.name} value {value!r:.80}: {exc}") from None


def _convert(datatype: DataType, value: Any) -> Any:
    if datatype is DataType.DateTime and isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("DateTime needs a timezone-aware datetime")
        value = (value - _EPOCH) // dt.timedelta(milliseconds=1)
    if datatype in SIGNED_BITS or datatype in UNSIGNED_BITS:
        if isinstance(value, float):
            raise TypeError("an integer is needed, not a float")
        n = operator.index(value)
        if datatype in SIGNED_BITS:
            bits = SIGNED_BITS[datatype]
            if not -(1 << (bits - 1)) <= n < (1 << (bits - 1)):
                raise ValueError(f"out of range for {bits}-bit signed")
            return n & ((1 << bits) - 1)
        if not 0 <= n < (1 << UNSIGNED_BITS[datatype]):
            raise ValueError(f"out of range for {UNSIGNED_BITS[datatype]}-bit unsigned")
        return n
    if datatype in (DataType.Float, DataType.Double):
        if not isinstance(value, numbers.Real):
            raise TypeError("a real number is needed")
        return float(value)
    if datatype is DataType.Boolean:
        if not isinstance(value, bool | np.bool_):
            raise TypeError("a bool is needed")
        return bool(value)
    if datatype in STRING_TYPES:
        if datatype is DataType.UUID and isinstance(value, uuid.UUID):
            return str(value)
        if not isinstance(value, str):
            raise TypeError("a str is needed")
        return value
    if datatype in BYTES_TYPES:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError("bytes are needed")
        return bytes(value)
    if datatype in arrays.ARRAY_TYPES:
        return arrays.encode_array(datatype, value)
    return value
