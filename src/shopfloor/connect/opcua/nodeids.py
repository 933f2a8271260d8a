"""Node ids and names of the shopfloor OPC UA address space, derived from the plant model.

The server builds and the client finds the same nodes because both derive them here:

- the namespace URI is ``urn:shopfloor:<enterprise>:<site>``; the server's application URI
  appends ``:opcua-server``;
- node ids are strings in that namespace: the enterprise object is ``enterprise:<id>`` (a ``:``
  never occurs in a path, so it cannot clash), every level below it is its ISA-95 path
  (``site/area/line/cell/equipment``) and a tag is its tag id (``<equipment path>/<tag>``),
  unless the tag sets ``opcua_node``;
- fixed children of an equipment append a CamelCase name (``<path>/Identification/Manufacturer``,
  ``<path>/State/CurrentState``, ``<path>/Start``); tag names are lower case, so they never clash;
- the block array of a high-rate tag is ``<tag node>/Block``.

A tag's ``opcua_node`` is ``[nsu=<namespace uri>;]<s|i|g|b>=<identifier>`` or a bare string
identifier. Without ``nsu=`` the node lives in the plant namespace; with it, in the given one
(the virtual plant registers it, so it can serve a real device's node ids). ``ns=<index>`` is
refused: indexes are assigned by each server, URIs are stable.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from asyncua import ua

from shopfloor.errors import BadInput, NotFound
from shopfloor.plant.model import Plant

from .uatypes import Identifier, node_id

#: Browse names of the fixed children of an equipment object.
IDENTIFICATION = "Identification"
STATE = "State"
BLOCK = "Block"


@dataclass(frozen=True, slots=True)
class NodeRef:
    """A node id by namespace URI (stable) rather than namespace index (per server)."""

    namespace: str
    identifier: Identifier

    def node_id(self, index: Mapping[str, int]) -> ua.NodeId:
        """The node id on a server whose namespace array maps URIs to ``index``."""
        try:
            ns = index[self.namespace]
        except KeyError:
            raise NotFound(
                f"namespace {self.namespace!r} is not registered on the server"
            ) from None
        return node_id(self.identifier, ns)

    def child(self, name: str) -> NodeRef:
        """The string node id of a fixed child (``<this id>/<name>``)."""
        if not isinstance(self.identifier, str):
            raise BadInput(f"node {self} has no string identifier to derive {name!r} from")
        return NodeRef(self.namespace, f"{self.identifier}/{name}")

    def __str__(self) -> str:
        ident = self.identifier
        if isinstance(ident, int):
            text = f"i={ident}"
        elif isinstance(ident, uuid.UUID):
            text = f"g={ident}"
        elif isinstance(ident, bytes):
            text = f"b={base64.b64encode(ident).decode()}"
        else:
            text = f"s={ident}"
        return f"nsu={self.namespace};{text}"


def namespace_uri(plant: Plant) -> str:
    return f"urn:shopfloor:{plant.enterprise.id}:{plant.site.id}"


def application_uri(plant: Plant) -> str:
    """The virtual plant server's application URI (also in its certificate)."""
    return f"{namespace_uri(plant)}:opcua-server"


def enterprise_ref(plant: Plant) -> NodeRef:
    return NodeRef(namespace_uri(plant), f"enterprise:{plant.enterprise.id}")


def path_ref(plant: Plant, path: str) -> NodeRef:
    """Node of a hierarchy level or equipment given by its ISA-95 path."""
    return NodeRef(namespace_uri(plant), path)


def parse_node_ref(text: str, default_namespace: str) -> NodeRef:
    """Parse a tag's ``opcua_node``; raise :class:`BadInput` naming what is wrong."""
    rest = text.strip()
    namespace = default_namespace
    if rest.startswith("ns="):
        raise BadInput(
            f"opcua_node {text!r}: use nsu=<namespace uri> instead of ns=<index> "
            "(namespace indexes are assigned by each server)"
        )
    if rest.startswith("nsu="):
        head, sep, rest = rest.partition(";")
        namespace = head[4:]
        if not sep or not namespace:
            raise BadInput(f"opcua_node {text!r}: write nsu=<uri>;s=<identifier>")
    if not rest:
        raise BadInput(f"opcua_node {text!r} has no identifier")
    kind, sep, value = rest.partition("=")
    if not sep or kind not in {"s", "i", "g", "b"}:
        return NodeRef(namespace, rest)
    if not value:
        raise BadInput(f"opcua_node {text!r} has an empty identifier")
    try:
        if kind == "i":
            number = int(value)
            if not 0 <= number <= 0xFFFFFFFF:
                raise ValueError("numeric identifiers are UInt32")
            return NodeRef(namespace, number)
        if kind == "g":
            return NodeRef(namespace, uuid.UUID(value))
        if kind == "b":
            return NodeRef(namespace, base64.b64decode(value, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise BadInput(f"opcua_node {text!r}: bad {kind}= identifier: {exc}") from None
    return NodeRef(namespace, value)
