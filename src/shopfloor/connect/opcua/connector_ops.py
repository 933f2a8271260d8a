"""What the OPC UA connector does on request: browse, read, write and call methods.

Nodes are named by what the plant calls them: a tag id (``<equipment path>/<tag>``, whatever
its ``opcua_node``), an ISA-95 path, a fixed child such as ``<path>/Identification``, or any
node as ``nsu=<uri>;s=<id>`` (see :mod:`.nodeids`). Each call needs a live session
(:class:`~shopfloor.errors.ConnectorUnavailable` otherwise) and is one batched request where
the services allow it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from asyncua import ua

from shopfloor.clock import Clock
from shopfloor.errors import NotFound
from shopfloor.plant.model import Plant
from shopfloor.samples import Sample
from shopfloor.sim.outlet import Command, CommandResult

from .browse import DEFAULT_MAX_DEPTH, BrowseNode, browse_tree
from .client import OpcUaClient
from .client_commands import command_result, method_call, method_spec
from .client_values import ReadValue, read_value, sample_value, to_variant, variant_type
from .nodeids import IDENTIFICATION, NodeRef, enterprise_ref, parse_node_ref, path_ref
from .points import PointTable


class ConnectorOps(ABC):
    name: str
    plant: Plant
    points: PointTable
    namespace: str
    stats: Counter[str]
    clock: Clock

    @abstractmethod
    def _live(self) -> OpcUaClient:
        """The client of the live session; ConnectorUnavailable when there is none."""

    def node(self, target: str | NodeRef) -> NodeRef:
        """The node of a tag id, an ISA-95 path or a node id text."""
        if isinstance(target, NodeRef):
            return target
        point = self.points.by_tag.get(target)
        if point is not None:
            return point.node
        return parse_node_ref(target, self.namespace)

    def _tag_nodes(self) -> dict[NodeRef, str]:
        return {p.node: p.tag_id for p in self.points.points}

    async def browse(
        self, start: str | NodeRef | None = None, *, max_depth: int = DEFAULT_MAX_DEPTH
    ) -> BrowseNode:
        """The address space below ``start`` (default: the enterprise) as a typed tree."""
        ref = enterprise_ref(self.plant) if start is None else self.node(start)
        self.stats["browses"] += 1
        return await browse_tree(self._live(), ref, max_depth=max_depth, tags=self._tag_nodes())

    async def read_nodes(self, targets: Sequence[str | NodeRef]) -> list[ReadValue]:
        """The values of any nodes, with quality, status and timestamps."""
        client = self._live()
        refs = [self.node(t) for t in targets]
        values = await client.read([client.node_id(r) for r in refs])
        self.stats["reads"] += 1
        return [read_value(r, dv) for r, dv in zip(refs, values, strict=True)]

    async def read(self, tag_ids: Sequence[str]) -> list[Sample]:
        """The current sample of each tag: source time (else server time), value, quality."""
        unknown = [t for t in tag_ids if t not in self.points.by_tag]
        if unknown:
            raise NotFound(f"{self.name} reads no tag(s) {', '.join(unknown)}")
        out = []
        for tag, rv in zip(tag_ids, await self.read_nodes(tag_ids), strict=True):
            ts = rv.source_ns or rv.server_ns or self.clock.now_ns()
            out.append(Sample(tag, ts, sample_value(rv.value), rv.quality))
        return out

    async def identification(self, equipment: str) -> dict[str, Any]:
        """The equipment's identification properties (Manufacturer, SerialNumber...)."""
        path = self._served(equipment)
        tree = await self.browse(path_ref(self.plant, path).child(IDENTIFICATION), max_depth=1)
        props = [c for c in tree.children if c.node_class == ua.NodeClass.Variable]
        values = await self.read_nodes([c.node for c in props])
        return {c.browse_name: v.value for c, v in zip(props, values, strict=True)}

    async def write(self, target: str | NodeRef, value: Any) -> None:
        """Write ``value`` typed as the variable's data type; BadInput when it does not fit,
        ConnectorError when the server refuses (a read-only variable: ``BadNotWritable``)."""
        client = self._live()
        ref = self.node(target)
        point = self.points.by_tag.get(target) if isinstance(target, str) else None
        what = point.tag_id if point is not None else str(ref)
        nid = client.node_id(ref)
        if point is not None:
            vtype = point.variant_type
        else:
            (dv,) = await client.read([nid], ua.AttributeIds.DataType)
            data_type = dv.Value.Value if dv.Value is not None else None
            if not isinstance(data_type, ua.NodeId):
                status = dv.StatusCode.name if dv.StatusCode is not None else "no data type"
                raise NotFound(f"{what} is not a variable on {client.endpoint} ({status})")
            vtype = variant_type(data_type, what)
        variant = to_variant(value, vtype, what)
        await client.write(nid, variant, what)
        self.stats["writes"] += 1

    async def call(
        self,
        equipment: str,
        command: Command | str,
        args: Mapping[str, Any] | None = None,
    ) -> CommandResult:
        """Call the equipment's method for ``command`` (``start``, ``job``... or ``ReceiveJob``)
        with ``args`` keyed as plant commands key them (``order_id``, ``product``, ``quantity``)."""
        path = self._served(equipment)
        spec = method_spec(command)
        inputs = method_call(spec, args or {}, path)
        client = self._live()
        obj = path_ref(self.plant, path)
        result = await client.call(
            client.node_id(obj),
            client.node_id(obj.child(spec.name)),
            inputs,
            f"{spec.name} on {path}",
        )
        self.stats["calls"] += 1
        return command_result(spec, result, path)

    def _served(self, equipment: str) -> str:
        try:
            path = self.plant.resolve(equipment)
        except KeyError:
            raise NotFound(f"unknown equipment {equipment!r}") from None
        if path not in self.points.served:
            raise NotFound(f"{path} is not served by {self.name}")
        return path
