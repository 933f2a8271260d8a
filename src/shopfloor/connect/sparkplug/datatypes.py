"""Sparkplug B data types: the ``DataType`` enum of the Eclipse Sparkplug Specification 3.0.0.

Names and ids are those of ``sparkplug_b.proto`` (0 ``Unknown`` .. 34 ``DateTimeArray``). How a
value of each type travels inside the protobuf ``value`` oneof is in
:mod:`~shopfloor.connect.sparkplug.values` (scalars) and
:mod:`~shopfloor.connect.sparkplug.arrays` (the packed array types 22..34).
"""

from __future__ import annotations

from enum import IntEnum

from shopfloor.errors import BadInput, DecodeError


class EncodeError(BadInput):
    """A value cannot be written as the Sparkplug type it is declared with."""

    code = "codec.unencodable"


class DataType(IntEnum):
    """Sparkplug B ``DataType`` enum (spec 3.0.0); names as in ``sparkplug_b.proto``."""

    Unknown = 0
    Int8 = 1
    Int16 = 2
    Int32 = 3
    Int64 = 4
    UInt8 = 5
    UInt16 = 6
    UInt32 = 7
    UInt64 = 8
    Float = 9
    Double = 10
    Boolean = 11
    String = 12
    DateTime = 13
    Text = 14
    UUID = 15
    DataSet = 16
    Bytes = 17
    File = 18
    Template = 19
    PropertySet = 20
    PropertySetList = 21
    Int8Array = 22
    Int16Array = 23
    Int32Array = 24
    Int64Array = 25
    UInt8Array = 26
    UInt16Array = 27
    UInt32Array = 28
    UInt64Array = 29
    FloatArray = 30
    DoubleArray = 31
    BooleanArray = 32
    StringArray = 33
    DateTimeArray = 34


_BY_ID = tuple(DataType)


def datatype_of(type_id: int, offset: int | None) -> DataType:
    """The :class:`DataType` with id ``type_id``; ids outside 0..34 are malformed."""
    if 0 <= type_id < len(_BY_ID):
        return _BY_ID[type_id]
    raise DecodeError(f"datatype {type_id} is not a Sparkplug DataType (0..34)", offset)


SIGNED_BITS = {DataType.Int8: 8, DataType.Int16: 16, DataType.Int32: 32, DataType.Int64: 64}
UNSIGNED_BITS = {
    DataType.UInt8: 8,
    DataType.UInt16: 16,
    DataType.UInt32: 32,
    DataType.UInt64: 64,
    DataType.DateTime: 64,
}
STRING_TYPES = frozenset({DataType.String, DataType.Text, DataType.UUID})
BYTES_TYPES = frozenset({DataType.Bytes, DataType.File})
