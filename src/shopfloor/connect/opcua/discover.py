"""Discover the machines on an OPC UA server (``shopfloor plant discover opc.tcp://...``).

The server's Objects folder is browsed (:func:`~.browse.browse_tree`, anonymous, no security).
An object laid out as a companion specification names it becomes an equipment with that preset,
so a compliant machine needs nothing more:

* PackML (OPC 30050): children ``Status/StateCurrent`` and ``Admin/ProdProcessedCount``;
* OPC UA for Machine Tools (OPC 40501): ``Production/ActiveProgram/State/CurrentState/Number``.

Any other object of the server's own namespaces directly below Objects (or below the DI
``DeviceSet``) that holds variables becomes an equipment whose tags are those variables, by
browse path below the object, with their data types. Variables of types a plant tag cannot hold
(structures, arrays of them...) are left out and counted.
"""

from __future__ import annotations

from typing import Any

from asyncua import ua

from shopfloor.connect.opcua.browse import BrowseNode, browse_tree
from shopfloor.connect.opcua.client import OpcUaClient
from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.nodeids import NodeRef
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


def equipment_docs(root: BrowseNode, url: str) -> tuple[list[dict[str, Any]], int]:
    """Equipment documents for the machines below the Objects folder ``root``, and the number
    of variables left out (types a tag cannot hold)."""
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
            tags.append({"name": name, "data_type": kind, "opcua_path": "/".join(path)})
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


async def discover_opcua(url: str, *, max_depth: int = 8) -> tuple[list[dict[str, Any]], list[str]]:
    """Equipment documents for the machines of the server at ``url``, and notes for the user."""
    client = OpcUaClient(OpcUaClientConfig(url), "urn:shopfloor:discover")
    await client.connect()
    try:
        root = await browse_tree(client, NodeRef(UA, int(ua.ObjectIds.ObjectsFolder)),
                                 max_depth=max_depth)  # fmt: skip
    finally:
        await client.close()
    docs, skipped = equipment_docs(root, url)
    notes = [f"{url}: {len(docs)} machine(s)"]
    presets = [f"{d['id']} ({d['preset']})" for d in docs if "preset" in d]
    if presets:
        notes.append(f"{url}: recognised {', '.join(presets)}")
    if skipped:
        notes.append(f"{url}: {skipped} variable(s) of types a tag cannot hold left out")
    return docs, notes
