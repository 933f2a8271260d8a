"""The OPC UA point table: one row per tag of the equipment a server serves or a client reads.

Rows are derived from the plant model only (names, units and types are never typed twice); the
node ids follow :mod:`shopfloor.connect.opcua.nodeids`. Data types map as

======== ============ ============================================================
plant    OPC UA       notes
======== ============ ============================================================
float    Float
double   Double
int      Int32        counters, codes and states fit; larger values are rejected
bool     Boolean
string   String
======== ============ ============================================================

A high-rate tag (above 10 Hz) has a scalar variable holding the last value of the latest block
(as its own data type) and a ``Block`` child variable (``Double[]``) holding the whole latest
block, whose source timestamp is the block's first sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from asyncua import ua

from shopfloor.errors import BadInput, PlantError
from shopfloor.plant.model import DataType, Equipment, Plant, Protocol, Tag

from .nodeids import BLOCK, NodeRef, namespace_uri, parse_node_ref

VARIANT_TYPES: dict[DataType, ua.VariantType] = {
    DataType.FLOAT: ua.VariantType.Float,
    DataType.DOUBLE: ua.VariantType.Double,
    DataType.INT: ua.VariantType.Int32,
    DataType.BOOL: ua.VariantType.Boolean,
    DataType.STRING: ua.VariantType.String,
}
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True, slots=True)
class OpcUaPoint:
    """One tag as an OPC UA variable."""

    tag_id: str
    equipment: str  # equipment path
    tag: Tag
    node: NodeRef
    #: The ``Double[]`` variable holding the latest block (high-rate tags only).
    block: NodeRef | None
    #: A tag found by browse path (``opcua_path``): the browse names below ``root``, resolved
    #: on the server when the session opens; ``node`` is then only a stable name for the row.
    path: tuple[str, ...] | None = None
    root: NodeRef | None = None

    @property
    def variant_type(self) -> ua.VariantType:
        return VARIANT_TYPES[self.tag.data_type]

    def coerce(self, value: float | int | bool | str) -> float | int | bool | str:
        """``value`` as the Python type of its variant; TypeError, ValueError or OverflowError."""
        dt = self.tag.data_type
        if dt is DataType.STRING:
            return str(value)
        if isinstance(value, str):
            raise TypeError(f"tag {self.tag_id} is {dt.value}, got text {value!r}")
        if dt is DataType.BOOL:
            return bool(value)
        if dt is DataType.INT:
            number = round(float(value))
            if not INT32_MIN <= number <= INT32_MAX:
                raise ValueError(f"tag {self.tag_id}: {value} does not fit Int32")
            return number
        return float(value)


@dataclass(frozen=True)
class PointTable:
    namespace: str
    #: Paths of the served equipment, in plant order (an equipment may have no tags).
    served: tuple[str, ...]
    points: tuple[OpcUaPoint, ...]
    by_tag: Mapping[str, OpcUaPoint] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_tag", MappingProxyType({p.tag_id: p for p in self.points}))

    def equipment(self) -> list[str]:
        """Equipment paths in plant order."""
        return list(self.served)

    def namespaces(self) -> list[str]:
        """Every namespace URI the points use, the plant namespace first."""
        extra = {p.node.namespace for p in self.points} - {self.namespace}
        return [self.namespace, *sorted(extra)]

    def __len__(self) -> int:
        return len(self.points)


def served_equipment(plant: Plant) -> list[str]:
    """Paths of the equipment that speaks OPC UA, in plant order."""
    return [p for p, *_r, e in plant.walk() if e.protocol is Protocol.OPCUA]


def point_table(plant: Plant, equipment: Iterable[str] | None = None) -> PointTable:
    """Rows for ``equipment`` (ids or paths; default: all OPC UA equipment) of ``plant``."""
    ns = namespace_uri(plant)
    if equipment is None:
        paths = served_equipment(plant)
    else:
        paths = []
        for ref in equipment:
            try:
                paths.append(plant.resolve(ref))
            except KeyError:
                raise PlantError(f"unknown equipment {ref!r} for the OPC UA point table") from None
    points: list[OpcUaPoint] = []
    for path in paths:
        points.extend(_points_of(ns, path, plant.equipment_by_path[path]))
    _check_unique(points)
    return PointTable(ns, tuple(dict.fromkeys(paths)), tuple(points))


def _points_of(ns: str, path: str, eq: Equipment) -> list[OpcUaPoint]:
    rows = []
    root: NodeRef | None = None
    if eq.endpoint.node is not None:
        try:
            root = parse_node_ref(eq.endpoint.node, ns)
        except BadInput as exc:
            raise PlantError(f"{path}: endpoint.node: {exc.message}") from None
    for tag in eq.tags:
        tid = f"{path}/{tag.name}"
        if tag.opcua_path is not None:
            if root is None:
                raise PlantError(f"{tid}: opcua_path needs the equipment's endpoint.node")
            steps = tuple(s for s in tag.opcua_path.split("/") if s)
            ident = root.identifier
            base = ident.hex() if isinstance(ident, bytes) else str(ident)
            name = NodeRef(root.namespace, f"{base}/{'/'.join(steps)}")
            rows.append(OpcUaPoint(tid, path, tag, name, None, steps, root))
            continue
        if tag.opcua_node is None:
            node = NodeRef(ns, tid)
        else:
            try:
                node = parse_node_ref(tag.opcua_node, ns)
            except BadInput as exc:
                raise PlantError(f"{tid}: {exc.message}") from None
        block = None
        if tag.high_rate:
            block = (
                node.child(BLOCK)
                if isinstance(node.identifier, str)
                else NodeRef(ns, f"{tid}/{BLOCK}")
            )
        rows.append(OpcUaPoint(tid, path, tag, node, block))
    return rows


def _check_unique(points: list[OpcUaPoint]) -> None:
    seen: dict[NodeRef, str] = {}
    for p in points:
        for ref in (p.node, p.block):
            if ref is None:
                continue
            if ref in seen:
                raise PlantError(
                    f"tags {seen[ref]} and {p.tag_id} map to the same OPC UA node {ref}"
                )
            seen[ref] = p.tag_id
