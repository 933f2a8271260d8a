"""Browse an OPC UA address space into a typed tree.

:func:`browse_tree` walks the hierarchical references (Organizes, HasComponent, HasProperty...)
below a node breadth first, one Browse request per level for all nodes of that level and one
Read of the DataType attribute of the level's variables, so a plant of hundreds of tags takes a
handful of round trips. Each :class:`BrowseNode` carries the stable node id (namespace URI, not
index), browse and display names, node class, data type name (``Double``, ``String``... for
built-in types, the data type's node id otherwise) and, when the node is a plant tag, its tag id.
A node reached twice (address spaces may hold cycles) is listed once, where it was first found.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from asyncua import ua

from shopfloor.errors import BadInput, NotFound

from .client import OpcUaClient
from .client_values import plain
from .nodeids import NodeRef

DEFAULT_MAX_DEPTH = 8
DEFAULT_MAX_NODES = 20_000


@dataclass(frozen=True, slots=True)
class BrowseNode:
    node: NodeRef
    browse_name: str
    display_name: str
    node_class: ua.NodeClass
    #: Built-in type name (``Double``) or the data type's node id; None unless a variable.
    data_type: str | None = None
    #: The plant tag this variable serves, if any.
    tag_id: str | None = None
    children: tuple[BrowseNode, ...] = field(default=(), repr=False)

    def child(self, *names: str) -> BrowseNode:
        """The descendant reached by browse names; NotFound naming the missing step."""
        node = self
        for name in names:
            found = next((c for c in node.children if c.browse_name == name), None)
            if found is None:
                known = ", ".join(sorted(c.browse_name for c in node.children)) or "none"
                raise NotFound(f"{node.browse_name} has no child {name!r} (children: {known})")
            node = found
        return node

    def walk(self) -> Iterator[BrowseNode]:
        """This node and every descendant, depth first."""
        yield self
        for c in self.children:
            yield from c.walk()

    def tags(self) -> dict[str, BrowseNode]:
        """The plant tags below this node, by tag id."""
        return {n.tag_id: n for n in self.walk() if n.tag_id is not None and n.data_type}


@dataclass
class _Found:
    node: NodeRef
    browse_name: str
    display_name: str
    node_class: ua.NodeClass
    data_type: str | None = None
    children: list[NodeRef] = field(default_factory=list)


async def browse_tree(
    client: OpcUaClient,
    start: NodeRef,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
    tags: Mapping[NodeRef, str] | None = None,
) -> BrowseNode:
    """The tree below ``start``, ``max_depth`` levels deep (0 = the node alone)."""
    if max_depth < 0 or max_nodes < 1:
        raise BadInput(
            f"browse needs max_depth >= 0 and max_nodes >= 1, got {max_depth}, {max_nodes}"
        )
    root_id = client.node_id(start)
    names, displays, classes = await _attributes(client, root_id)
    if classes.StatusCode is not None and not classes.StatusCode.is_good():
        raise NotFound(f"node {start} is not on OPC UA server {client.endpoint}")
    found: dict[NodeRef, _Found] = {
        start: _Found(
            start,
            plain(names.Value) or "",
            plain(displays.Value) or "",
            ua.NodeClass(cast(int, plain(classes.Value))),
        )
    }
    level = [start]
    for _ in range(max_depth):
        if not level:
            break
        refs = await client.browse([client.node_id(r) for r in level])
        fresh: list[NodeRef] = []
        for parent, children in zip(level, refs, strict=True):
            for rd in children:
                ref = client.ref(rd.NodeId)
                if ref in found:
                    continue
                found[ref] = _Found(
                    ref, rd.BrowseName.Name or "", rd.DisplayName.Text or "", rd.NodeClass
                )
                found[parent].children.append(ref)
                fresh.append(ref)
        if len(found) > max_nodes:
            raise BadInput(
                f"browse below {start} passed {max_nodes} nodes at depth {_ + 1}; "
                "start further down or raise max_nodes"
            )
        await _data_types(client, [found[r] for r in fresh])
        level = [r for r in fresh if found[r].node_class != ua.NodeClass.Method]
    if found[start].node_class == ua.NodeClass.Variable and found[start].data_type is None:
        await _data_types(client, [found[start]])
    return _assemble(found, start, tags or {})


async def _attributes(client: OpcUaClient, nid: ua.NodeId) -> tuple[ua.DataValue, ...]:
    out = []
    for attr in (
        ua.AttributeIds.BrowseName,
        ua.AttributeIds.DisplayName,
        ua.AttributeIds.NodeClass,
    ):
        (dv,) = await client.read([nid], attr)
        out.append(dv)
    return tuple(out)


async def _data_types(client: OpcUaClient, nodes: list[_Found]) -> None:
    variables = [n for n in nodes if n.node_class == ua.NodeClass.Variable]
    if not variables:
        return
    values = await client.read(
        [client.node_id(v.node) for v in variables], ua.AttributeIds.DataType
    )
    for var, dv in zip(variables, values, strict=True):
        var.data_type = _type_name(client, dv.Value.Value if dv.Value is not None else None)


def _type_name(client: OpcUaClient, nid: Any) -> str | None:
    if not isinstance(nid, ua.NodeId):
        return None
    if nid.NamespaceIndex == 0 and isinstance(nid.Identifier, int):
        return ua.ObjectIdNames.get(nid.Identifier, f"i={nid.Identifier}")
    return str(client.ref(nid))


def _assemble(
    found: dict[NodeRef, _Found], ref: NodeRef, tags: Mapping[NodeRef, str]
) -> BrowseNode:
    f = found[ref]
    return BrowseNode(
        f.node,
        f.browse_name,
        f.display_name,
        f.node_class,
        f.data_type,
        tags.get(ref),
        tuple(_assemble(found, c, tags) for c in f.children),
    )
