"""A decoded payload as JSON-friendly data, in the shape of the shared interoperability vectors.

``{"timestamp", "seq", "metrics": [...]}`` (plus ``uuid`` / ``body`` only when present), each
metric ``{name, alias, timestamp, datatype, datatype_id, value, is_null, is_historical,
is_transient, properties, metadata}``. What a birth supplied is not shown as if it were on the
wire: ``name`` and ``datatype`` stay null and ``datatype_from_birth`` names the resolved type.
Bytes and File are base64; a DataSet is ``{num_of_columns, columns, types, type_ids, rows}``;
properties are ``[{key, type, type_id, value, is_null}]`` (a PropertySet value is again such a
list, a PropertySetList a list of them); metadata lists only the fields present; a Template is
``{version, metrics, parameters: [{name, type, type_id, value}], template_ref, is_definition}``.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from shopfloor.connect.sparkplug.datatypes import DataType
from shopfloor.connect.sparkplug.model import (
    DataSet,
    MetaData,
    Metric,
    Parameter,
    Payload,
    PropertySet,
    Template,
)

_METADATA_FIELDS = (
    "is_multi_part",
    "content_type",
    "size",
    "seq",
    "file_name",
    "file_type",
    "md5",
    "description",
)


def payload_json(p: Payload) -> dict[str, Any]:
    out: dict[str, Any] = {
        "timestamp": p.timestamp,
        "seq": p.seq,
        "metrics": [metric_json(m) for m in p.metrics],
    }
    if p.uuid is not None:
        out["uuid"] = p.uuid
    if p.body is not None:
        out["body"] = base64.b64encode(p.body).decode("ascii")
    return out


def metric_json(m: Metric) -> dict[str, Any]:
    wire_type = None if m.datatype_from_birth else m.datatype
    out: dict[str, Any] = {
        "name": None if m.name_from_birth else m.name,
        "alias": m.alias,
        "timestamp": m.timestamp,
        "datatype": _name(wire_type),
        "datatype_id": _id(wire_type),
        "value": None if m.is_null else value_json(m.value),
        "is_null": m.is_null,
        "is_historical": m.is_historical,
        "is_transient": m.is_transient,
        "properties": None if m.properties is None else properties_json(m.properties),
        "metadata": None if m.metadata is None else metadata_json(m.metadata),
    }
    if m.datatype_from_birth:
        out["datatype_from_birth"] = _name(m.datatype)
    return out


def _name(t: DataType | None) -> str | None:
    return None if t is None else DataType(t).name


def _id(t: DataType | None) -> int | None:
    return None if t is None else int(t)


def value_json(v: Any) -> Any:
    """A metric, property, cell or parameter value as JSON-friendly data."""
    if isinstance(v, bytes | bytearray | memoryview):
        return base64.b64encode(v).decode("ascii")
    if isinstance(v, DataSet):
        return {
            "num_of_columns": v.num_of_columns,
            "columns": list(v.columns),
            "types": [_name(t) for t in v.types],
            "type_ids": [_id(t) for t in v.types],
            "rows": [[value_json(c) for c in row] for row in v.rows],
        }
    if isinstance(v, PropertySet):
        return properties_json(v)
    if isinstance(v, Template):
        return template_json(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, list | tuple):
        return [value_json(x) for x in v]
    return v


def properties_json(ps: PropertySet) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "type": _name(pv.type),
            "type_id": _id(pv.type),
            "value": None if pv.is_null else value_json(pv.value),
            "is_null": pv.is_null,
        }
        for key, pv in ps.items
    ]


def metadata_json(md: MetaData) -> dict[str, Any]:
    return {k: getattr(md, k) for k in _METADATA_FIELDS if getattr(md, k) is not None}


def template_json(t: Template) -> dict[str, Any]:
    return {
        "version": t.version,
        "metrics": [metric_json(m) for m in t.metrics],
        "parameters": [_parameter_json(p) for p in t.parameters],
        "template_ref": t.template_ref,
        "is_definition": t.is_definition,
    }


def _parameter_json(p: Parameter) -> dict[str, Any]:
    return {
        "name": p.name,
        "type": _name(p.type),
        "type_id": _id(p.type),
        "value": value_json(p.value),
    }
