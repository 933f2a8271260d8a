"""Build OPC UA nodes declaratively and add them with one service call.

:class:`NodeBatch` collects ``AddNodesItem`` rows (objects, folders, variables, properties,
methods with their argument properties) in creation order; :meth:`NodeBatch.commit` adds them
all at once, stops with a :class:`ConnectorError` naming the first node the server refused, and
marks every variable created without a value ``BadWaitingForInitialData``.
"""

from __future__ import annotations

from typing import Any

from asyncua import Server, ua

from shopfloor.errors import ConnectorError

from .uatypes import data_value, node_id, qname, std


class NodeBatch:
    """AddNodesItems in creation order, added with one service call."""

    def __init__(self, ns: int) -> None:
        self.ns = ns
        self.items: list[ua.AddNodesItem] = []
        self.waiting: list[ua.NodeId] = []

    def _add(
        self,
        parent: ua.NodeId,
        node: ua.NodeId,
        name: str,
        cls: ua.NodeClass,
        ref: int,
        typedef: int | None,
        attrs: Any,
    ) -> ua.NodeId:
        self.items.append(
            ua.AddNodesItem(
                ParentNodeId=parent,
                ReferenceTypeId=std(ref),
                RequestedNewNodeId=node,
                BrowseName=qname(name, self.ns),
                NodeClass=cls,
                NodeAttributes=attrs,
                TypeDefinition=std(typedef) if typedef is not None else ua.NodeId(),
            )
        )
        return node

    def obj(
        self,
        parent: ua.NodeId,
        node: ua.NodeId,
        name: str,
        display: str = "",
        *,
        folder: bool = False,
        organizes: bool = False,
        notifier: bool = False,
        description: str = "",
    ) -> ua.NodeId:
        attrs = ua.ObjectAttributes(
            DisplayName=ua.LocalizedText(display or name),
            Description=ua.LocalizedText(description or display or name),
            EventNotifier=1 if notifier else 0,
        )
        ref = ua.ObjectIds.Organizes if folder or organizes else ua.ObjectIds.HasComponent
        typedef = ua.ObjectIds.FolderType if folder else ua.ObjectIds.BaseObjectType
        return self._add(parent, node, name, ua.NodeClass.Object, ref, typedef, attrs)

    def var(
        self,
        parent: ua.NodeId,
        node: ua.NodeId,
        name: str,
        value: ua.Variant | None,
        datatype: ua.NodeId,
        *,
        array: bool = False,
        prop: bool = False,
        standard: bool = False,
        description: str = "",
    ) -> ua.NodeId:
        """A variable; ``value`` None waits for initial data; ``standard`` puts the browse name
        in namespace 0 (e.g. InputArguments)."""
        attrs = ua.VariableAttributes(
            DisplayName=ua.LocalizedText(name),
            Description=ua.LocalizedText(description or name),
            Value=value if value is not None else ua.Variant(None, ua.VariantType.Null),
            DataType=datatype,
            ValueRank=ua.ValueRank.OneDimension if array else ua.ValueRank.Scalar,
            ArrayDimensions=[0] if array else [],
            AccessLevel=ua.AccessLevel.CurrentRead.mask,
            UserAccessLevel=ua.AccessLevel.CurrentRead.mask,
        )
        ref, typedef = (
            (ua.ObjectIds.HasProperty, ua.ObjectIds.PropertyType)
            if prop
            else (ua.ObjectIds.HasComponent, ua.ObjectIds.BaseDataVariableType)
        )
        added = self._add(parent, node, name, ua.NodeClass.Variable, ref, typedef, attrs)
        if standard:
            self.items[-1].BrowseName = qname(name, 0)
        if value is None:
            self.waiting.append(node)
        return added

    def method(
        self,
        parent: ua.NodeId,
        node: ua.NodeId,
        name: str,
        description: str,
        inputs: list[ua.Argument],
        outputs: list[ua.Argument],
    ) -> ua.NodeId:
        attrs = ua.MethodAttributes(
            DisplayName=ua.LocalizedText(name),
            Description=ua.LocalizedText(description),
            Executable=True,
            UserExecutable=True,
        )
        self._add(parent, node, name, ua.NodeClass.Method, ua.ObjectIds.HasComponent, None, attrs)
        for label, args in (("InputArguments", inputs), ("OutputArguments", outputs)):
            if args:
                value = ua.Variant(args, ua.VariantType.ExtensionObject)
                self.var(
                    node,
                    child_id(node, label),
                    label,
                    value,
                    std(ua.ObjectIds.Argument),
                    array=True,
                    prop=True,
                    standard=True,
                )
        return node

    async def commit(self, server: Server) -> None:
        results = await server.iserver.isession.add_nodes(self.items)
        for item, result in zip(self.items, results, strict=True):
            if result.StatusCode.is_bad():
                raise ConnectorError(
                    f"OPC UA node {item.RequestedNewNodeId.to_string()} "
                    f"({item.BrowseName.Name}) cannot be added: {result.StatusCode.name}"
                )
        waiting = data_value(
            ua.Variant(None, ua.VariantType.Null), ua.StatusCodes.BadWaitingForInitialData
        )
        for node in self.waiting:
            await server.iserver.aspace.write_attribute_value(node, ua.AttributeIds.Value, waiting)


def child_id(node: ua.NodeId, name: str) -> ua.NodeId:
    """The string node id ``<node>/<name>`` (``node`` has a string id)."""
    return node_id(f"{node.Identifier!s}/{name}", node.NamespaceIndex)
