"""Values between OPC UA and shopfloor on the client side: reads, writes and timestamps.

- :class:`ReadValue`: one read node: its plain value, quality (from the StatusCode through
  :meth:`~shopfloor.samples.Quality.from_opcua`), status name and timestamps in ns;
- :func:`plain`: a variant's value as plain Python (``LocalizedText`` -> its text, arrays -> lists);
- :func:`to_variant`: a Python value typed as a variable's built-in data type, or a
  :class:`~shopfloor.errors.BadInput` naming the variable, its type and the value that does not
  fit, before anything is sent;
- :func:`sample_value`: a tag's value as a :class:`~shopfloor.samples.Sample` carries it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from asyncua import ua

from shopfloor.clock import to_ns
from shopfloor.errors import BadInput, ConnectorError
from shopfloor.samples import Quality

from .nodeids import NodeRef

#: Integer built-in types and their ranges.
INT_RANGES: dict[ua.VariantType, tuple[int, int]] = {
    ua.VariantType.SByte: (-(2**7), 2**7 - 1),
    ua.VariantType.Byte: (0, 2**8 - 1),
    ua.VariantType.Int16: (-(2**15), 2**15 - 1),
    ua.VariantType.UInt16: (0, 2**16 - 1),
    ua.VariantType.Int32: (-(2**31), 2**31 - 1),
    ua.VariantType.UInt32: (0, 2**32 - 1),
    ua.VariantType.Int64: (-(2**63), 2**63 - 1),
    ua.VariantType.UInt64: (0, 2**64 - 1),
}
FLOATS = frozenset({ua.VariantType.Float, ua.VariantType.Double})
FLOAT_MAX = 3.4028234663852886e38
WRITABLE = frozenset({*INT_RANGES, *FLOATS, ua.VariantType.Boolean, ua.VariantType.String})


@dataclass(frozen=True, slots=True)
class ReadValue:
    """One node's value as read: ``value`` is None when the status is bad."""

    node: NodeRef
    value: Any
    quality: Quality
    status: str
    source_ns: int | None
    server_ns: int | None


def ns_of(dt: datetime | None) -> int | None:
    """ns since the epoch of an OPC UA timestamp (asyncua's naive values are UTC)."""
    if dt is None:
        return None
    return to_ns(dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC))


def plain(variant: ua.Variant | None) -> Any:
    """The value of ``variant`` as plain Python (texts for LocalizedText and QualifiedName)."""
    if variant is None:
        return None
    return _plain(variant.Value)


def _plain(value: Any) -> Any:
    if isinstance(value, ua.LocalizedText):
        return value.Text
    if isinstance(value, ua.QualifiedName):
        return value.Name
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_value(node: NodeRef, dv: ua.DataValue) -> ReadValue:
    code = dv.StatusCode.value if dv.StatusCode is not None else ua.StatusCodes.Good
    quality = Quality.from_opcua(code)
    value = None if quality is Quality.BAD else plain(dv.Value)
    status = dv.StatusCode.name if dv.StatusCode is not None else "Good"
    return ReadValue(
        node, value, quality, status, ns_of(dv.SourceTimestamp), ns_of(dv.ServerTimestamp)
    )


def sample_value(value: Any) -> float | str | bool | None:
    """A tag's value as a sample holds it: numbers as float, texts and booleans as they are."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value)
    raise ConnectorError(f"a tag value of type {type(value).__name__} is not a sample value")


def variant_type(data_type: ua.NodeId, what: str) -> ua.VariantType:
    """The built-in type of a variable's DataType attribute; ConnectorError if not writable."""
    if data_type.NamespaceIndex == 0 and isinstance(data_type.Identifier, int):
        try:
            vtype = ua.VariantType(data_type.Identifier)
        except ValueError:
            vtype = None
        if vtype in WRITABLE:
            return cast(ua.VariantType, vtype)
    raise ConnectorError(
        f"{what} has data type {data_type.to_string()}: only Boolean, integer, Float, Double "
        "and String variables can be written"
    )


def to_variant(value: Any, vtype: ua.VariantType, what: str) -> ua.Variant:
    """``value`` as a variant of ``vtype``; BadInput naming ``what`` when it does not fit."""

    def refuse(why: str) -> BadInput:
        return BadInput(
            f"{what} is {vtype.name}: {value!r} ({type(value).__name__}) {why}",
            node=what,
            data_type=vtype.name,
        )

    if vtype is ua.VariantType.Boolean:
        if not isinstance(value, bool):
            raise refuse("is not a boolean")
        return ua.Variant(value, vtype)
    if vtype is ua.VariantType.String:
        if not isinstance(value, str):
            raise refuse("is not text")
        return ua.Variant(value, vtype)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refuse("is not a number")
    if vtype in FLOATS:
        if vtype is ua.VariantType.Float and math.isfinite(value) and abs(value) > FLOAT_MAX:
            raise refuse("is outside the Float range")
        return ua.Variant(float(value), vtype)
    low, high = INT_RANGES[vtype]
    if isinstance(value, float):
        if not value.is_integer():
            raise refuse("is not a whole number")
        value = int(value)
    if not low <= value <= high:
        raise refuse(f"is outside {low}..{high}")
    return ua.Variant(int(value), vtype)
