"""Decode Sparkplug B payload bytes into :mod:`~shopfloor.connect.sparkplug.model` objects.

Every rejection raises :class:`~shopfloor.errors.DecodeError` with the absolute byte offset in
the payload: the tag of the offending field, or the byte inside a string or array that is wrong.
Besides protobuf malformations (see :mod:`~shopfloor.connect.sparkplug.wire`) it rejects:

- a known field sent with the wrong wire type (``timestamp`` as length-delimited, ...);
- a value member that does not fit the declared datatype (Float carrying ``string_value``),
  ``int_value`` above 2**32 - 1, integers out of their type's range, datatype ids above 34;
- array bytes that are not a whole number of elements, invalid UTF-8 anywhere;
- a value together with ``is_null``, two value members in one oneof, a singular message field
  given twice, a metric with neither name nor alias, ``seq`` above 255;
- a PropertySet whose keys and values differ in number, a DataSet whose column names, types
  or row elements do not number ``num_of_columns`` (absent means 0, an empty table);
- messages nested more than 32 deep.

Unknown field numbers with a valid wire type are skipped: the Sparkplug messages declare
extension ranges, and a newer encoder may add fields this decoder does not know.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shopfloor.connect.sparkplug.aliases import AliasTable
from shopfloor.connect.sparkplug.datatypes import DataType, datatype_of
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
    PACKABLE,
    PARAMETER,
    PAYLOAD,
    PROPERTY_SET,
    PROPERTY_SET_LIST,
    PROPERTY_VALUE,
    ROW,
    TEMPLATE,
    VALUE_WIRE_TYPES,
    Message,
)
from shopfloor.connect.sparkplug.values import accepts, from_wire
from shopfloor.connect.sparkplug.wire import (
    LEN,
    WIRE_TYPE_NAMES,
    Field,
    iter_fields,
    read_f32,
    read_f64,
    read_varint,
)
from shopfloor.errors import DecodeError

MAX_DEPTH = 32


def decode(data: bytes | bytearray | memoryview, table: AliasTable | None) -> Payload:
    """The payload in ``data``; alias-only metrics are resolved through ``table`` when given."""
    return _Decoder(bytes(data), table).payload()


class _Decoder:
    __slots__ = ("buf", "table")

    def __init__(self, buf: bytes, table: AliasTable | None) -> None:
        self.buf = buf
        self.table = table

    def scan(self, f: Field | None, msg: Message) -> Iterator[tuple[str, Field]]:
        """The known fields of message ``msg`` held by ``f`` (the whole buffer when None)."""
        start, end = (0, len(self.buf)) if f is None else (f.start, f.end)
        for g in iter_fields(self.buf, start, end, msg.name):
            spec = msg.fields.get(g.number)
            if spec is None:
                continue
            name, wire_type = spec
            if g.wire_type != wire_type and not (
                g.wire_type == LEN and (msg.name, name) in PACKABLE
            ):
                raise DecodeError(
                    f"{msg.name}.{name} (field {g.number}) must be {WIRE_TYPE_NAMES[wire_type]}, "
                    f"not {WIRE_TYPE_NAMES[g.wire_type]}",
                    g.offset,
                )
            yield name, g

    def payload(self) -> Payload:
        p = Payload()
        for name, g in self.scan(None, PAYLOAD):
            if name == "metrics":
                p.metrics.append(self.metric(g, 1, top=True))
            elif name == "timestamp":
                p.timestamp = g.value
            elif name == "seq":
                if g.value > 255:
                    raise DecodeError(f"seq {g.value} is outside 0..255", g.offset)
                p.seq = g.value
            elif name == "uuid":
                p.uuid = self.text(g, "Payload.uuid")
            else:
                p.body = self.buf[g.start : g.end]
        return p

    def metric(self, f: Field, depth: int, *, top: bool) -> Metric:
        _check_depth(depth, f)
        m = Metric()
        value: tuple[str, Field] | None = None
        seen: set[str] = set()
        for name, g in self.scan(f, METRIC):
            if name in VALUE_WIRE_TYPES:
                value = _one_value(value, name, g, "metric")
            elif name == "name":
                m.name = self.text(g, "Metric.name")
            elif name == "alias":
                m.alias = g.value
            elif name == "timestamp":
                m.timestamp = g.value
            elif name == "datatype":
                m.datatype = datatype_of(g.value, g.offset)
            elif name == "is_historical":
                m.is_historical = g.value != 0
            elif name == "is_transient":
                m.is_transient = g.value != 0
            elif name == "is_null":
                m.is_null = g.value != 0
            else:
                _once(seen, name, g)
                if name == "metadata":
                    m.metadata = self.metadata(g)
                else:
                    m.properties = self.property_set(g, depth + 1)
        if m.name is None and m.alias is None:
            raise DecodeError("metric has neither name nor alias", f.offset)
        if top and self.table is not None and (m.name is None or m.datatype is None):
            entry = self.table.lookup(m.name, m.alias, f.offset)
            if entry is not None:
                if m.name is None:
                    m.name, m.name_from_birth = entry.name, True
                if m.datatype is None and entry.datatype is not None:
                    m.datatype, m.datatype_from_birth = entry.datatype, True
        if value is not None:
            m.value, m.wire_field = self.value(m.datatype, value, m.is_null, depth)
        return m

    def value(
        self, datatype: DataType | None, value: tuple[str, Field], is_null: bool, depth: int
    ) -> tuple[Any, str | None]:
        """``(value, wire_field)`` of a oneof member; ``wire_field`` only when untyped."""
        field, g = value
        if is_null:
            raise DecodeError(f"is_null is set but the value {field} is present", g.offset)
        untyped = datatype is None or datatype is DataType.Unknown
        if datatype is not None and not untyped and not accepts(datatype, field):
            raise DecodeError(f"{datatype.name} value cannot be carried in {field}", g.offset)
        raw = self.raw(field, g, depth)
        return from_wire(datatype, field, raw, g.offset, g.start), field if untyped else None

    def raw(self, field: str, g: Field, depth: int) -> Any:
        if field == "int_value":
            if g.value >> 32:
                raise DecodeError(f"int_value {g.value} does not fit uint32", g.offset)
            return g.value
        if field == "long_value":
            return g.value
        if field == "float_value":
            return read_f32(self.buf, g.start)
        if field == "double_value":
            return read_f64(self.buf, g.start)
        if field == "boolean_value":
            return g.value != 0
        if field == "string_value":
            return self.text(g, field)
        if field == "dataset_value":
            return self.dataset(g, depth + 1)
        if field == "template_value":
            return self.template(g, depth + 1)
        if field == "propertyset_value":
            return self.property_set(g, depth + 1)
        if field == "propertysets_value":
            _check_depth(depth + 1, g)
            return [self.property_set(h, depth + 2) for _, h in self.scan(g, PROPERTY_SET_LIST)]
        return self.buf[g.start : g.end]  # bytes_value, extension_value (kept undecoded)

    def text(self, g: Field, what: str) -> str:
        try:
            return self.buf[g.start : g.end].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"{what} is not valid UTF-8 ({exc.reason})", g.start + exc.start
            ) from None

    def metadata(self, f: Field) -> MetaData:
        md = MetaData()
        for name, g in self.scan(f, METADATA):
            if name == "is_multi_part":
                md.is_multi_part = g.value != 0
            elif name == "size" or name == "seq":
                setattr(md, name, g.value)
            else:
                setattr(md, name, self.text(g, f"MetaData.{name}"))
        return md

    def property_set(self, f: Field, depth: int) -> PropertySet:
        _check_depth(depth, f)
        keys: list[str] = []
        values: list[PropertyValue] = []
        for name, g in self.scan(f, PROPERTY_SET):
            if name == "keys":
                keys.append(self.text(g, "PropertySet.keys"))
            else:
                values.append(self.property_value(g, depth))
        if len(keys) != len(values):
            raise DecodeError(
                f"PropertySet has {len(keys)} keys but {len(values)} values", f.offset
            )
        return PropertySet(list(zip(keys, values, strict=True)))

    def property_value(self, f: Field, depth: int) -> PropertyValue:
        pv = PropertyValue(None, None)
        value: tuple[str, Field] | None = None
        for name, g in self.scan(f, PROPERTY_VALUE):
            if name == "type":
                pv.type = datatype_of(g.value, g.offset)
            elif name == "is_null":
                pv.is_null = g.value != 0
            else:
                value = _one_value(value, name, g, "property value")
        if value is not None:
            pv.value, pv.wire_field = self.value(pv.type, value, pv.is_null, depth)
        return pv

    def dataset(self, f: Field, depth: int) -> DataSet:
        _check_depth(depth, f)
        ncols: int | None = None
        columns: list[str] = []
        type_ids: list[tuple[int, int]] = []
        rows: list[Field] = []
        for name, g in self.scan(f, DATASET):
            if name == "num_of_columns":
                ncols = g.value
            elif name == "columns":
                columns.append(self.text(g, "DataSet.columns"))
            elif name == "rows":
                rows.append(g)
            elif g.wire_type == LEN:  # packed types
                pos = g.start
                while pos < g.end:
                    at = pos
                    type_id, pos = read_varint(self.buf, pos, g.end)
                    type_ids.append((type_id, at))
            else:
                type_ids.append((g.value, g.offset))
        declared = "num_of_columns absent" if ncols is None else f"num_of_columns {ncols}"
        ncols = ncols or 0  # absent: the protobuf default, an empty table
        for what, n in (("column names", len(columns)), ("types", len(type_ids))):
            if n != ncols:
                raise DecodeError(f"DataSet has {declared} but {n} {what}", f.offset)
        types = [datatype_of(t, at) for t, at in type_ids]
        ds = DataSet(ncols, columns, types, [])
        for i, row in enumerate(rows):
            cells = [g for _, g in self.scan(row, ROW)]
            if len(cells) != ncols:
                raise DecodeError(
                    f"DataSet row {i} has {len(cells)} elements, not {ncols}", row.offset
                )
            ds.rows.append([self.cell(g, t, depth) for g, t in zip(cells, types, strict=True)])
        return ds

    def cell(self, f: Field, datatype: DataType, depth: int) -> Any:
        value: tuple[str, Field] | None = None
        for name, g in self.scan(f, DATASET_VALUE):
            value = _one_value(value, name, g, "DataSet value")
        if value is None:
            return None
        return self.value(datatype, value, False, depth)[0]

    def template(self, f: Field, depth: int) -> Template:
        _check_depth(depth, f)
        t = Template()
        for name, g in self.scan(f, TEMPLATE):
            if name == "metrics":
                t.metrics.append(self.metric(g, depth + 1, top=False))
            elif name == "parameters":
                t.parameters.append(self.parameter(g, depth))
            elif name == "is_definition":
                t.is_definition = g.value != 0
            elif name == "version":
                t.version = self.text(g, "Template.version")
            else:
                t.template_ref = self.text(g, "Template.template_ref")
        return t

    def parameter(self, f: Field, depth: int) -> Parameter:
        p = Parameter()
        value: tuple[str, Field] | None = None
        for name, g in self.scan(f, PARAMETER):
            if name == "name":
                p.name = self.text(g, "Template.Parameter.name")
            elif name == "type":
                p.type = datatype_of(g.value, g.offset)
            else:
                value = _one_value(value, name, g, "template parameter")
        if value is not None:
            p.value, p.wire_field = self.value(p.type, value, False, depth)
        return p


def _one_value(
    current: tuple[str, Field] | None, name: str, g: Field, what: str
) -> tuple[str, Field]:
    if current is not None:
        raise DecodeError(f"{what} carries two values ({current[0]} and {name})", g.offset)
    return name, g


def _once(seen: set[str], name: str, g: Field) -> None:
    if name in seen:
        raise DecodeError(f"Metric.{name} is given twice", g.offset)
    seen.add(name)


def _check_depth(depth: int, f: Field) -> None:
    if depth > MAX_DEPTH:
        raise DecodeError(f"messages nested deeper than {MAX_DEPTH}", f.offset)
