"""Discover the machines on an OPC UA server (``shopfloor plant discover opc.tcp://...``).

The server's Objects folder is browsed (:func:`~.browse.browse_tree`, anonymous, no security).
An object laid out as a companion specification names it becomes an equipment with that preset,
so a compliant machine needs nothing more:

* PackML (OPC 30050): children ``Status/StateCurrent`` and ``Admin/ProdProcessedCount``;
* OPC UA for Machine Tools (OPC 40501): ``Production/ActiveProgram/State/CurrentState/Number``.

Any other object of the server's own namespaces directly below Objects (or below the DI
``DeviceSet``) that holds variables becomes an equipment whose tags are those variables, by
browse path below the object, with their data types, and the unit (``EngineeringUnits``: the
UCUM unit of its UN/CEFACT code when known, else its display name) and range (``EURange``) the
server gives for it (OPC 10000-8 AnalogItems). Variables of types a plant tag cannot hold
(structures, arrays of them...) are left out and counted.
"""

from __future__ import annotations

from typing import Any

from asyncua import ua

from shopfloor.connect.opcua.browse import BrowseNode, browse_tree
from shopfloor.connect.opcua.client import OpcUaClient
from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.nodeids import NodeRef
from shopfloor.connect.opcua.units import CEFACT_CODES
from shopfloor.plant.draft import seg_id, tag_name

UA = "http://opcfoundation.org/UA/"
DEVICE_SET = "DeviceSet"
PACKML = (("Status", "StateCurrent"), ("Admin", "ProdProcessedCount"))
MACHINE_TOOLS = (("Production", "ActiveProgram", "State", "CurrentState", "Number"),)
#: OPC UA built-in type -> plant data type.
TYPES = {
    "Boolean": "bool",
    "SByte": "int", "Byte": "int", "Int16": "int", "UInt16": "int", "Int32": "int",
    "UInt32": "int", "Int64": "int", "UInt64": "int",
    "Float": "float", "Double": "double",
    "String": "string", "LocalizedText": "string",
}  # fmt: skip
#: Variables that describe another variable rather than a signal of the machine.
PROPERTIES = {"EngineeringUnits", "EURange", "InstrumentRange", "Definition", "ValuePrecision"}


def _has(node: BrowseNode, path: tuple[str, ...]) -> bool:
    for name in path:
        found = next((c for c in node.children if c.browse_name == name), None)
        if found is None:
            return False
        node = found
    return True


def preset_of(node: BrowseNode) -> str | None:
    """``packml`` or ``machine_tools`` when the object is laid out as that specification."""
    if all(_has(node, p) for p in PACKML):
        return "packml"
    if all(_has(node, p) for p in MACHINE_TOOLS):
        return "machine_tools"
    return None


def _variables(
    node: BrowseNode, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], BrowseNode]]:
    out = []
    for c in node.children:
        here = (*path, c.browse_name)
        if c.node_class == ua.NodeClass.Variable and c.browse_name not in PROPERTIES:
            out.append((here, c))
        if c.node_class in (ua.NodeClass.Object, ua.NodeClass.Variable):
            out += _variables(c, here)
    return out


#: Properties read per Read request.
READ_CHUNK = 500
#: A tag document and the node ids of its variable's EngineeringUnits and EURange properties.
Described = tuple[dict[str, Any], NodeRef | None, NodeRef | None]


def _property(var: BrowseNode, name: str) -> NodeRef | None:
    found = next((c for c in var.children if c.browse_name == name), None)
    return found.node if found is not None else None


def equipment_docs(
    root: BrowseNode, url: str, described: list[Described] | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Equipment documents for the machines below the Objects folder ``root``, and the number
    of variables left out (types a tag cannot hold). Each tag whose variable has an
    ``EngineeringUnits`` or ``EURange`` property is added to ``described``, for
    :func:`describe` to fill in."""
    docs: list[dict[str, Any]] = []
    skipped = 0

    def machine(node: BrowseNode) -> None:
        nonlocal skipped
        preset = preset_of(node)
        doc: dict[str, Any] = {
            "id": seg_id(node.browse_name, "machine"),
            "name": node.display_name or node.browse_name,
            "class": {"packml": "packaging", "machine_tools": "cnc_machining_centre"}.get(
                preset or "", "assembly_station"
            ),
            "endpoint": {"url": url, "node": str(node.node)},
        }
        if preset is not None:
            doc["preset"] = preset
            docs.append(doc)
            return
        tags, names = [], set()
        for path, var in _variables(node):
            kind = TYPES.get(var.data_type or "")
            if kind is None:
                skipped += 1
                continue
            name = tag_name(path)
            if name in names:
                continue
            names.add(name)
            tag = {"name": name, "data_type": kind, "opcua_path": "/".join(path)}
            tags.append(tag)
            units, span = _property(var, "EngineeringUnits"), _property(var, "EURange")
            if described is not None and (units is not None or span is not None):
                described.append((tag, units, span))
        if tags:
            doc["tags"] = tags
            docs.append(doc)

    for child in root.children:
        if child.node_class != ua.NodeClass.Object:
            continue
        if child.browse_name == DEVICE_SET:
            for dev in child.children:
                if dev.node_class == ua.NodeClass.Object:
                    machine(dev)
        elif child.node.namespace != UA:
            if preset_of(child) is None:  # a folder of machines, or one machine
                inner = [c for c in child.children if c.node_class == ua.NodeClass.Object]
                if any(preset_of(c) for c in inner):
                    for c in inner:
                        machine(c)
                    continue
            machine(child)
    return docs, skipped


def unit_of(info: Any) -> str | None:
    """The plant unit of an OPC UA ``EUInformation``: the UCUM string of its UN/CEFACT common
    code when we know it, else its display name (None when it has neither)."""
    code = getattr(info, "UnitId", None)
    if isinstance(code, int) and code > 0:
        text = "".join(chr(b) for b in code.to_bytes(4, "big") if b)
        for ucum, cefact in CEFACT_CODES.items():
            if cefact == text:
                return ucum
    name = getattr(getattr(info, "DisplayName", None), "Text", None)
    return str(name) if name else None


async def describe(client: OpcUaClient, described: list[Described]) -> None:
    """Read the EngineeringUnits and EURange of the variables and write them into their tags."""
    refs = [ref for _tag, *props in described for ref in props if ref is not None]
    if not refs:
        return
    got: dict[NodeRef, Any] = {}
    for i in range(0, len(refs), READ_CHUNK):  # a server caps the nodes per Read
        chunk = refs[i : i + READ_CHUNK]
        values = await client.read([client.node_id(r) for r in chunk])
        for ref, dv in zip(chunk, values, strict=True):
            got[ref] = dv.Value.Value if dv.Value is not None else None
    for tag, units, span in described:
        unit = unit_of(got.get(units)) if units is not None else None
        if unit:
            tag["unit"] = unit
        rng = got.get(span) if span is not None else None
        low, high = getattr(rng, "Low", None), getattr(rng, "High", None)
        if isinstance(low, float | int) and isinstance(high, float | int) and low < high:
            tag["eu_range"] = [float(low), float(high)]


async def discover_opcua(url: str, *, max_depth: int = 8) -> tuple[list[dict[str, Any]], list[str]]:
    """Equipment documents for the machines of the server at ``url``, and notes for the user."""
    client = OpcUaClient(OpcUaClientConfig(url), "urn:shopfloor:discover")
    await client.connect()
    described: list[Described] = []
    try:
        root = await browse_tree(client, NodeRef(UA, int(ua.ObjectIds.ObjectsFolder)),
                                 max_depth=max_depth)  # fmt: skip
        docs, skipped = equipment_docs(root, url, described)
        await describe(client, described)
    finally:
        await client.close()
    notes = [f"{url}: {len(docs)} machine(s)"]
    presets = [f"{d['id']} ({d['preset']})" for d in docs if "preset" in d]
    if presets:
        notes.append(f"{url}: recognised {', '.join(presets)}")
    if skipped:
        notes.append(f"{url}: {skipped} variable(s) of types a tag cannot hold left out")
    return docs, notes
