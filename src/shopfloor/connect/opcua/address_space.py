"""The address space the virtual plant serves, built from the ISA-95 hierarchy in one batch.

::

    Objects
    └─ <enterprise>                       Folder      enterprise:<id>
       └─ <site> / <area> / <line> / <cell>  Folders  <path>
          └─ <equipment>                  Object      <path>             (event notifier)
             ├─ Identification            Object      OPC 40001-1 style properties:
             │                                        Manufacturer, Model, SerialNumber,
             │                                        ProductInstanceUri, YearOfConstruction,
             │                                        DeviceClass, AssetId, ComponentName
             ├─ State                     Object      CurrentState (PackML name), StateNumber
             ├─ Start ... Clear, ReceiveJob  Methods  see methods.py
             └─ <tag>                     Variable    <tag id>: Description, EngineeringUnits
                └─ Block, SampleRate      (high-rate tags) Double[] latest block, Hz

Browse names are the ids of the plant file (namespace of the plant), display names its
human names. ``YearOfConstruction`` is the year the equipment was commissioned (the plant file
records no build year) and is left out when unknown. Values start with ``BadWaitingForInitialData``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from asyncua import Server, ua

from shopfloor.plant.model import Equipment, Plant
from shopfloor.sim.outlet import PlantControl

from .methods import METHODS, OUTPUTS, MethodHandler
from .nodeids import IDENTIFICATION, STATE, enterprise_ref, namespace_uri, path_ref
from .nodeset import NodeBatch, child_id
from .points import OpcUaPoint, PointTable
from .uatypes import node_id, std
from .units import eu_information


@dataclass
class ServedNodes:
    """Where the server writes what the plant emits."""

    index: dict[str, int]
    values: dict[str, ua.NodeId] = field(default_factory=dict)  # tag id -> variable
    blocks: dict[str, tuple[ua.NodeId, ua.NodeId]] = field(default_factory=dict)  # Block, rate
    state: dict[str, tuple[ua.NodeId, ua.NodeId]] = field(default_factory=dict)  # path -> vars
    equipment: dict[str, ua.NodeId] = field(default_factory=dict)  # path -> object


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def product_instance_uri(plant: Plant, path: str, eq: Equipment) -> str:
    """A globally unique URI of the machine: maker, model and serial, else its asset path."""
    if eq.vendor and eq.serial:
        return f"urn:{_slug(eq.vendor)}:{_slug(eq.model) or 'model'}:{_slug(eq.serial)}"
    return f"{namespace_uri(plant)}:asset:{path}"


def _identification(
    b: NodeBatch, plant: Plant, path: str, eq: Equipment, parent: ua.NodeId
) -> None:
    node = b.obj(
        parent,
        child_id(parent, IDENTIFICATION),
        IDENTIFICATION,
        description="Machine identification (OPC 40001-1 style)",
    )
    props: list[tuple[str, Any, ua.VariantType]] = [
        ("Manufacturer", ua.LocalizedText(eq.vendor), ua.VariantType.LocalizedText),
        ("Model", ua.LocalizedText(eq.model), ua.VariantType.LocalizedText),
        ("SerialNumber", eq.serial, ua.VariantType.String),
        ("ProductInstanceUri", product_instance_uri(plant, path, eq), ua.VariantType.String),
        ("DeviceClass", eq.cls.value, ua.VariantType.String),
        ("AssetId", path, ua.VariantType.String),
        ("ComponentName", ua.LocalizedText(eq.name), ua.VariantType.LocalizedText),
    ]
    if eq.commissioned is not None:
        props.insert(4, ("YearOfConstruction", eq.commissioned.year, ua.VariantType.UInt16))
    for name, value, vtype in props:
        b.var(
            node, child_id(node, name), name, ua.Variant(value, vtype), std(vtype.value), prop=True
        )


def _tag(b: NodeBatch, nodes: ServedNodes, parent: ua.NodeId, point: OpcUaPoint) -> None:
    tag = point.tag
    node = b.var(
        parent,
        point.node.node_id(nodes.index),
        tag.name,
        None,
        std(point.variant_type.value),
        description=tag.description,
    )
    nodes.values[point.tag_id] = node
    base = node if isinstance(node.Identifier, str) else node_id(point.tag_id, b.ns)
    if tag.unit:
        eu = ua.Variant(eu_information(tag.unit), ua.VariantType.ExtensionObject)
        b.var(
            node,
            child_id(base, "EngineeringUnits"),
            "EngineeringUnits",
            eu,
            std(ua.ObjectIds.EUInformation),
            prop=True,
            standard=True,
        )
    if point.block is not None:
        block = b.var(
            node,
            point.block.node_id(nodes.index),
            "Block",
            None,
            std(ua.ObjectIds.Double),
            array=True,
            description=f"Latest block of {tag.name} (first sample time)",
        )
        rate = b.var(
            block,
            child_id(base, "SampleRate"),
            "SampleRate",
            ua.Variant(tag.rate_hz, ua.VariantType.Double),
            std(ua.ObjectIds.Double),
            prop=True,
            description="Sample rate of the block, Hz",
        )
        nodes.blocks[point.tag_id] = (block, rate)


def _state(b: NodeBatch, nodes: ServedNodes, path: str, parent: ua.NodeId) -> None:
    node = b.obj(parent, child_id(parent, STATE), STATE, description="PackML state")
    current = b.var(
        node,
        child_id(node, "CurrentState"),
        "CurrentState",
        None,
        std(ua.ObjectIds.String),
        description="PackML state name",
    )
    number = b.var(
        node,
        child_id(node, "StateNumber"),
        "StateNumber",
        None,
        std(ua.ObjectIds.UInt32),
        description="PackML state number (OPC 30050)",
    )
    nodes.state[path] = (current, number)


async def build_address_space(
    server: Server,
    plant: Plant,
    points: PointTable,
    control: PlantControl,
    stats: Counter[str],
    index: dict[str, int],
) -> ServedNodes:
    """Add the served part of ``plant`` to ``server`` and link the methods to ``control``."""
    ns = index[points.namespace]
    nodes = ServedNodes(index)
    b = NodeBatch(ns)
    served = points.equipment()
    by_equipment: dict[str, list[OpcUaPoint]] = {p: [] for p in served}
    for point in points.points:
        by_equipment[point.equipment].append(point)
    top = b.obj(
        std(ua.ObjectIds.ObjectsFolder),
        enterprise_ref(plant).node_id(index),
        plant.enterprise.id,
        plant.enterprise.name,
        folder=True,
    )
    made: set[str] = set()
    handlers: list[tuple[ua.NodeId, MethodHandler]] = []
    for path, area, line, cell, eq in plant.walk():
        if path not in by_equipment:
            continue
        parent = top
        parts = path.split("/")
        names = [plant.site.name, area.name, line.name, cell.name]
        for depth, name in enumerate(names, start=1):
            level = "/".join(parts[:depth])
            node = path_ref(plant, level).node_id(index)
            if level not in made:
                b.obj(parent, node, parts[depth - 1], name, folder=True)
                made.add(level)
            parent = node
        eq_node = b.obj(
            parent,
            path_ref(plant, path).node_id(index),
            eq.id,
            eq.name,
            organizes=True,
            notifier=True,
            description=eq.cls.value,
        )
        nodes.equipment[path] = eq_node
        _identification(b, plant, path, eq, eq_node)
        _state(b, nodes, path, eq_node)
        for spec in METHODS:
            m = b.method(
                eq_node,
                child_id(eq_node, spec.name),
                spec.name,
                spec.description,
                [a.argument() for a in spec.inputs],
                list(OUTPUTS),
            )
            handlers.append((m, MethodHandler(control, path, spec, stats)))
        for point in by_equipment[path]:
            _tag(b, nodes, eq_node, point)
    await b.commit(server)
    for method_node, handler in handlers:
        server.link_method(server.get_node(method_node), handler.call)
    return nodes
