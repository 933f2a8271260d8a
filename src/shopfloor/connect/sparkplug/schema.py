"""Field numbers and wire types of the Sparkplug B protobuf messages, as tables.

Written from the message definitions of the Eclipse Sparkplug Specification 3.0.0 (the
``org.eclipse.tahu.protobuf.Payload`` messages). The decoder checks every known field's wire type
against these tables and skips field numbers it does not know; the encoder looks numbers up here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopfloor.connect.sparkplug.wire import I32, I64, LEN, VARINT


@dataclass(frozen=True)
class Message:
    """One protobuf message: ``number -> (field name, wire type)``."""

    name: str
    fields: dict[int, tuple[str, int]]
    number: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "number", {n: k for k, (n, _) in self.fields.items()})


#: The oneof value members (shared names across Metric, PropertyValue, DataSetValue, Parameter).
VALUE_WIRE_TYPES: dict[str, int] = {
    "int_value": VARINT,
    "long_value": VARINT,
    "float_value": I32,
    "double_value": I64,
    "boolean_value": VARINT,
    "string_value": LEN,
    "bytes_value": LEN,
    "dataset_value": LEN,
    "template_value": LEN,
    "propertyset_value": LEN,
    "propertysets_value": LEN,
    "extension_value": LEN,
}


def _values(first: int, *names: str) -> dict[int, tuple[str, int]]:
    return {first + i: (n, VALUE_WIRE_TYPES[n]) for i, n in enumerate(names)}


_SCALARS = (
    "int_value",
    "long_value",
    "float_value",
    "double_value",
    "boolean_value",
    "string_value",
)

PAYLOAD = Message(
    "Payload",
    {
        1: ("timestamp", VARINT),
        2: ("metrics", LEN),
        3: ("seq", VARINT),
        4: ("uuid", LEN),
        5: ("body", LEN),
    },
)
METRIC = Message(
    "Metric",
    {
        1: ("name", LEN),
        2: ("alias", VARINT),
        3: ("timestamp", VARINT),
        4: ("datatype", VARINT),
        5: ("is_historical", VARINT),
        6: ("is_transient", VARINT),
        7: ("is_null", VARINT),
        8: ("metadata", LEN),
        9: ("properties", LEN),
        **_values(
            10, *_SCALARS, "bytes_value", "dataset_value", "template_value", "extension_value"
        ),
    },
)
METADATA = Message(
    "MetaData",
    {
        1: ("is_multi_part", VARINT),
        2: ("content_type", LEN),
        3: ("size", VARINT),
        4: ("seq", VARINT),
        5: ("file_name", LEN),
        6: ("file_type", LEN),
        7: ("md5", LEN),
        8: ("description", LEN),
    },
)
PROPERTY_SET = Message("PropertySet", {1: ("keys", LEN), 2: ("values", LEN)})
PROPERTY_SET_LIST = Message("PropertySetList", {1: ("propertyset", LEN)})
PROPERTY_VALUE = Message(
    "PropertyValue",
    {
        1: ("type", VARINT),
        2: ("is_null", VARINT),
        **_values(3, *_SCALARS, "propertyset_value", "propertysets_value", "extension_value"),
    },
)
DATASET = Message(
    "DataSet",
    {1: ("num_of_columns", VARINT), 2: ("columns", LEN), 3: ("types", VARINT), 4: ("rows", LEN)},
)
ROW = Message("DataSet.Row", {1: ("elements", LEN)})
DATASET_VALUE = Message("DataSet.DataSetValue", _values(1, *_SCALARS, "extension_value"))
TEMPLATE = Message(
    "Template",
    {
        1: ("version", LEN),
        2: ("metrics", LEN),
        3: ("parameters", LEN),
        4: ("template_ref", LEN),
        5: ("is_definition", VARINT),
    },
)
PARAMETER = Message(
    "Template.Parameter",
    {1: ("name", LEN), 2: ("type", VARINT), **_values(3, *_SCALARS, "extension_value")},
)

#: Repeated scalar fields that may also come packed (one LEN field), as protobuf allows.
PACKABLE = frozenset({("DataSet", "types")})
