"""Encode :mod:`~shopfloor.connect.sparkplug.model` objects into Sparkplug B payload bytes.

Fields are written in field-number order, optional fields only when not ``None``, values in the
oneof member the spec gives their type (see :mod:`~shopfloor.connect.sparkplug.values`). A name
or datatype that decoding took from a birth (``*_from_birth``) is left out again, so decoding the
output with the same birth gives the same payload back. A value that does not fit its type
raises :class:`~shopfloor.connect.sparkplug.datatypes.EncodeError` naming the metric.
"""

from __future__ import annotations

from typing import Any

from shopfloor.connect.sparkplug.datatypes import DataType, EncodeError
from shopfloor.connect.sparkplug.model import (
    DataSet,
    MetaData,
    Metric,
    Parameter,
    Payload,
    PropertySet,
    PropertyValue,
    Template,
)
from shopfloor.connect.sparkplug.schema import (
    DATASET,
    DATASET_VALUE,
    METADATA,
    METRIC,
    PARAMETER,
    PAYLOAD,
    PROPERTY_SET,
    PROPERTY_SET_LIST,
    PROPERTY_VALUE,
    ROW,
    TEMPLATE,
    Message,
)
from shopfloor.connect.sparkplug.values import to_wire
from shopfloor.connect.sparkplug.wire import Writer

_U64 = (1 << 64) - 1


def encode(p: Payload) -> bytes:
    w = Writer()
    n = PAYLOAD.number
    if p.timestamp is not None:
        _uint(w, n["timestamp"], p.timestamp, "Payload.timestamp")
    for i, m in enumerate(p.metrics):
        try:
            w.raw(n["metrics"], _metric(m))
        except EncodeError as exc:
            raise EncodeError(f"metric {i} ({_label(m)}): {exc.message}") from None
        except UnicodeEncodeError as exc:
            raise EncodeError(
                f"metric {i} ({_label(m)}): text is not UTF-8 ({exc.reason})"
            ) from None
    if p.seq is not None:
        if not 0 <= p.seq <= 255:
            raise EncodeError(f"seq {p.seq} is outside 0..255")
        w.uint(n["seq"], p.seq)
    if p.uuid is not None:
        w.text(n["uuid"], p.uuid)
    if p.body is not None:
        w.raw(n["body"], p.body)
    return w.getvalue()


def _label(m: Metric) -> str:
    return repr(m.name) if m.name is not None else f"alias {m.alias}"


def _uint(w: Writer, number: int, value: int, what: str) -> None:
    if not 0 <= value <= _U64:
        raise EncodeError(f"{what} {value} is not an unsigned 64-bit integer")
    w.uint(number, value)


def _metric(m: Metric) -> bytes:
    w = Writer()
    n = METRIC.number
    if m.name is not None and not m.name_from_birth:
        w.text(n["name"], m.name)
    if m.name is None and m.alias is None:
        raise EncodeError("a metric needs a name or an alias")
    if m.alias is not None:
        _uint(w, n["alias"], m.alias, "alias")
    if m.timestamp is not None:
        _uint(w, n["timestamp"], m.timestamp, "timestamp")
    if m.datatype is not None and not m.datatype_from_birth:
        w.uint(n["datatype"], int(m.datatype))
    if m.is_historical:
        w.boolean(n["is_historical"], True)
    if m.is_transient:
        w.boolean(n["is_transient"], True)
    if m.is_null:
        w.boolean(n["is_null"], True)
    if m.metadata is not None:
        w.raw(n["metadata"], _metadata(m.metadata))
    if m.properties is not None:
        w.raw(n["properties"], _property_set(m.properties))
    if not m.is_null and m.value is not None:
        _value(w, METRIC, m.datatype, m.value, m.wire_field)
    return w.getvalue()


def _value(
    w: Writer, msg: Message, datatype: DataType | None, value: Any, wire: str | None
) -> None:
    """Write ``value`` into the oneof of ``msg`` (Metric, PropertyValue, DataSetValue...)."""
    if datatype is None or datatype is DataType.Unknown:
        field = wire or _field_of(value)
    else:
        field, value = to_wire(datatype, value)
    number = msg.number.get(field)
    if number is None:
        what = datatype.name if datatype is not None else type(value).__name__
        raise EncodeError(f"{what} value cannot be carried in a {msg.name}")
    if field == "int_value":
        if not 0 <= value < (1 << 32):
            raise EncodeError(f"int_value {value} does not fit uint32")
        w.uint(number, value)
    elif field == "long_value":
        _uint(w, number, value, "long_value")
    elif field == "float_value":
        try:
            w.f32(number, value)
        except OverflowError:
            raise EncodeError(f"{value} is out of float32 range") from None
    elif field == "double_value":
        w.f64(number, value)
    elif field == "boolean_value":
        w.boolean(number, value)
    elif field == "string_value":
        w.text(number, value)
    elif field == "dataset_value":
        w.raw(number, _dataset(_typed(value, DataSet)))
    elif field == "template_value":
        w.raw(number, _template(_typed(value, Template)))
    elif field == "propertyset_value":
        w.raw(number, _property_set(_typed(value, PropertySet)))
    elif field == "propertysets_value":
        inner = Writer()
        for ps in value:
            encoded = _property_set(_typed(ps, PropertySet))
            inner.raw(PROPERTY_SET_LIST.number["propertyset"], encoded)
        w.raw(number, inner.getvalue())
    else:  # bytes_value, extension_value
        w.raw(number, value)


def _typed(value: Any, cls: type[Any]) -> Any:
    if not isinstance(value, cls):
        raise EncodeError(f"{cls.__name__} needed, got {type(value).__name__}")
    return value


def _field_of(value: Any) -> str:
    """The oneof member for an untyped value, from its Python type."""
    if isinstance(value, bool):
        return "boolean_value"
    if isinstance(value, int):
        return "long_value"
    if isinstance(value, float):
        return "double_value"
    if isinstance(value, str):
        return "string_value"
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes_value"
    if isinstance(value, DataSet):
        return "dataset_value"
    if isinstance(value, Template):
        return "template_value"
    if isinstance(value, PropertySet):
        return "propertyset_value"
    raise EncodeError(f"an untyped {type(value).__name__} value cannot be encoded; set a datatype")


def _metadata(md: MetaData) -> bytes:
    w = Writer()
    n = METADATA.number
    if md.is_multi_part is not None:
        w.boolean(n["is_multi_part"], md.is_multi_part)
    for name in ("content_type", "size", "seq", "file_name", "file_type", "md5", "description"):
        v = getattr(md, name)
        if v is None:
            continue
        if name in ("size", "seq"):
            _uint(w, n[name], v, f"MetaData.{name}")
        else:
            w.text(n[name], v)
    return w.getvalue()


def _property_set(ps: PropertySet) -> bytes:
    w = Writer()
    for key, _ in ps.items:
        w.text(PROPERTY_SET.number["keys"], key)
    for key, pv in ps.items:
        try:
            w.raw(PROPERTY_SET.number["values"], _property_value(pv))
        except EncodeError as exc:
            raise EncodeError(f"property {key!r}: {exc.message}") from None
    return w.getvalue()


def _property_value(pv: PropertyValue) -> bytes:
    w = Writer()
    if pv.type is not None:
        w.uint(PROPERTY_VALUE.number["type"], int(pv.type))
    if pv.is_null:
        w.boolean(PROPERTY_VALUE.number["is_null"], True)
    elif pv.value is not None:
        _value(w, PROPERTY_VALUE, pv.type, pv.value, pv.wire_field)
    return w.getvalue()


def _dataset(ds: DataSet) -> bytes:
    n = DATASET.number
    if not len(ds.columns) == len(ds.types) == ds.num_of_columns:
        raise EncodeError(
            f"DataSet has num_of_columns {ds.num_of_columns}, {len(ds.columns)} columns and "
            f"{len(ds.types)} types"
        )
    w = Writer()
    w.uint(n["num_of_columns"], ds.num_of_columns)
    for c in ds.columns:
        w.text(n["columns"], c)
    for t in ds.types:
        w.uint(n["types"], int(t))
    for i, row in enumerate(ds.rows):
        if len(row) != ds.num_of_columns:
            raise EncodeError(f"DataSet row {i} has {len(row)} values, not {ds.num_of_columns}")
        rw = Writer()
        for t, v in zip(ds.types, row, strict=True):
            cell = Writer()
            if v is not None:
                _value(cell, DATASET_VALUE, t, v, None)
            rw.raw(ROW.number["elements"], cell.getvalue())
        w.raw(n["rows"], rw.getvalue())
    return w.getvalue()


def _template(t: Template) -> bytes:
    w = Writer()
    n = TEMPLATE.number
    if t.version is not None:
        w.text(n["version"], t.version)
    for m in t.metrics:
        w.raw(n["metrics"], _metric(m))
    for p in t.parameters:
        w.raw(n["parameters"], _parameter(p))
    if t.template_ref is not None:
        w.text(n["template_ref"], t.template_ref)
    if t.is_definition is not None:
        w.boolean(n["is_definition"], t.is_definition)
    return w.getvalue()


def _parameter(p: Parameter) -> bytes:
    w = Writer()
    if p.name is not None:
        w.text(PARAMETER.number["name"], p.name)
    if p.type is not None:
        w.uint(PARAMETER.number["type"], int(p.type))
    if p.value is not None:
        _value(w, PARAMETER, p.type, p.value, p.wire_field)
    return w.getvalue()
