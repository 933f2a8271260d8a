"""The Sparkplug B payload as plain dataclasses (``org.eclipse.tahu.protobuf.Payload``).

Every optional protobuf field is ``None`` when absent on the wire, so that decoding and encoding
again gives the same bytes' meaning back. Values are Python values of the declared type:

- integers are exact Python ints (signed types negative where the two's complement says so);
- Float is the float32 value widened to a float, Double a float;
- String, Text and UUID are ``str``; DateTime is ``int`` ms since the epoch; Bytes and File
  are ``bytes``;
- every array type is a Python ``list`` (numeric arrays come from ``np.frombuffer(...).tolist()``,
  so equality and JSON work without numpy); on encode numpy arrays are accepted as well;
- DataSet is :class:`DataSet`, Template :class:`Template`, property values of type PropertySet
  and PropertySetList are :class:`PropertySet` and ``list[PropertySet]``.

When the datatype is absent (and not resolved through a birth) or ``Unknown``, ``value`` is
the raw wire value and ``wire_field`` names the oneof member it came from, so that encoding
writes it back to the same field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from shopfloor.connect.sparkplug.datatypes import DataType


@dataclass(slots=True)
class PropertyValue:
    """One property: its type, its value, or ``is_null``."""

    type: DataType | None
    value: Any
    is_null: bool = False
    #: Oneof member the raw value of an untyped property came from (see module doc).
    wire_field: str | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class PropertySet:
    """Keys and values of a PropertySet, as ``(key, value)`` pairs in wire order."""

    items: list[tuple[str, PropertyValue]] = field(default_factory=list)

    def get(self, key: str) -> PropertyValue | None:
        """The first property named ``key``, or ``None``."""
        for k, v in self.items:
            if k == key:
                return v
        return None

    def keys(self) -> list[str]:
        return [k for k, _ in self.items]

    def __iter__(self) -> Iterator[tuple[str, PropertyValue]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(slots=True)
class MetaData:
    """Metric metadata; only the fields present on the wire are not ``None``."""

    is_multi_part: bool | None = None
    content_type: str | None = None
    size: int | None = None
    seq: int | None = None
    file_name: str | None = None
    file_type: str | None = None
    md5: str | None = None
    description: str | None = None


@dataclass(slots=True)
class DataSet:
    """A table: ``num_of_columns`` columns, one DataType each, rows of that many values.

    A ``None`` cell is a DataSetValue without a value (the protobuf message has no is_null).
    """

    num_of_columns: int
    columns: list[str]
    types: list[DataType]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass(slots=True)
class Parameter:
    """A template parameter: name, type and (optional) value."""

    name: str | None = None
    type: DataType | None = None
    value: Any = None
    wire_field: str | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class Template:
    """A template definition (``is_definition``) or an instance referring to one."""

    version: str | None = None
    metrics: list[Metric] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    template_ref: str | None = None
    is_definition: bool | None = None


@dataclass(slots=True)
class Metric:
    """One metric. ``name``/``datatype`` taken from a birth are flagged ``*_from_birth``.

    A DATA message may carry only the alias (and no datatype); decoding it with the birth fills
    ``name`` and ``datatype`` from the birth's alias table and sets ``name_from_birth`` /
    ``datatype_from_birth``, so the encoder leaves them out again and JSON shows what was on
    the wire.
    """

    name: str | None = None
    alias: int | None = None
    timestamp: int | None = None
    datatype: DataType | None = None
    value: Any = None
    is_null: bool = False
    is_historical: bool = False
    is_transient: bool = False
    properties: PropertySet | None = None
    metadata: MetaData | None = None
    name_from_birth: bool = False
    datatype_from_birth: bool = False
    wire_field: str | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class Payload:
    """A Sparkplug B payload. ``timestamp`` is ms since the epoch, ``seq`` 0..255."""

    timestamp: int | None = None
    metrics: list[Metric] = field(default_factory=list)
    seq: int | None = None
    uuid: str | None = None
    body: bytes | None = None

    def metric(self, name: str) -> Metric | None:
        """The first metric called ``name`` (as given or resolved from a birth), or ``None``."""
        for m in self.metrics:
            if m.name == name:
                return m
        return None
