"""Typed constructors for the asyncua values shopfloor builds.

asyncua annotates its dataclass fields with its own ``int`` and ``datetime`` subclasses (``Int16``,
``UInt32``, ``DateTime``...) although it accepts the plain Python values at run time; these
helpers take plain values, so the rest of the package stays checked without casts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from asyncua import ua

Identifier = str | int | bytes | uuid.UUID


def node_id(identifier: Identifier, ns: int = 0) -> ua.NodeId:
    return ua.NodeId(cast(Any, identifier), cast(Any, ns))


def std(object_id: int) -> ua.NodeId:
    """A node of the standard namespace (``ua.ObjectIds.*``)."""
    return node_id(object_id, 0)


def status(code: int) -> ua.StatusCode:
    return ua.StatusCode(cast(Any, code))


def qname(name: str, ns: int) -> ua.QualifiedName:
    return ua.QualifiedName(name, cast(Any, ns))


def data_value(
    variant: ua.Variant,
    code: int = ua.StatusCodes.Good,
    source: datetime | None = None,
    server: datetime | None = None,
) -> ua.DataValue:
    return ua.DataValue(
        variant,
        StatusCode=status(code),
        SourceTimestamp=cast(Any, source),
        ServerTimestamp=cast(Any, server),
    )
