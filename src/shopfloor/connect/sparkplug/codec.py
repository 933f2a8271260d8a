"""Sparkplug B payload codec (Eclipse Sparkplug Specification 3.0.0), the public API.

Written from the specification, without a protobuf library: :mod:`.wire` reads and writes the
protobuf wire format itself so that every :class:`~shopfloor.errors.DecodeError` names the byte
offset where the payload goes wrong. Decoding is strict (see :mod:`.decoder` for the full list of
rejections) except for unknown field numbers, which are skipped for forward compatibility.

>>> p = Payload(timestamp=1718000000000, seq=0, metrics=[
...     Metric(name="bdSeq", datatype=DataType.Int64, value=-1)])
>>> decode_payload(encode_payload(p)) == p
True

Values: see :mod:`.model` (arrays decode to Python lists; numpy arrays are accepted on encode).
DATA messages that carry only aliases (and maybe no datatype) need their birth: pass the decoded
NBIRTH/DBIRTH payload, or an :class:`AliasTable` built from it once, as ``birth``.
"""

from __future__ import annotations

from typing import Any

from shopfloor.connect.sparkplug.aliases import AliasTable, UnknownAliasError, as_table, resolve
from shopfloor.connect.sparkplug.datatypes import DataType, EncodeError
from shopfloor.connect.sparkplug.decoder import decode
from shopfloor.connect.sparkplug.encoder import encode
from shopfloor.connect.sparkplug.jsonview import payload_json
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
from shopfloor.connect.sparkplug.rules import check_message
from shopfloor.connect.sparkplug.topics import MessageType

__all__ = [
    "AliasTable",
    "DataSet",
    "DataType",
    "EncodeError",
    "MetaData",
    "Metric",
    "Parameter",
    "Payload",
    "PropertySet",
    "PropertyValue",
    "Template",
    "UnknownAliasError",
    "decode_payload",
    "encode_payload",
    "payload_to_json",
]


def encode_payload(p: Payload) -> bytes:
    """The protobuf bytes of ``p``; raises :class:`EncodeError` naming the metric at fault."""
    return encode(p)


def decode_payload(
    data: bytes | bytearray | memoryview,
    *,
    birth: Payload | AliasTable | None = None,
    message_type: MessageType | str | None = None,
) -> Payload:
    """Decode ``data``; raises :class:`~shopfloor.errors.DecodeError` with the byte offset.

    With ``birth``, metrics sent by alias only get their name and datatype from it (flagged
    ``name_from_birth`` / ``datatype_from_birth``); an alias the birth does not define raises
    :class:`UnknownAliasError`. With ``message_type`` (``"NBIRTH"``..., from the topic) the
    payload must also meet that message's rules (:func:`~.rules.check_message`).
    """
    p = decode(data, as_table(birth))
    if message_type is not None:
        check_message(message_type, p)
    return p


def payload_to_json(p: Payload, *, birth: Payload | AliasTable | None = None) -> dict[str, Any]:
    """``p`` as JSON-friendly data in the shape of the shared vectors' ``expected`` objects.

    ``birth`` resolves a payload that was decoded without it.
    """
    table = as_table(birth)
    return payload_json(p if table is None else resolve(p, table))
