"""Which tag id a Sparkplug metric is: the reverse of :mod:`~.points` for the host application.

With a plant, every Sparkplug equipment is known by ``(group, edge node, device)`` exactly as
:func:`~.points.node_points` lays it out, and each metric name maps back to its tag id
(``<equipment path>/<tag>``; ``Tag.sparkplug_metric`` is honoured).

Devices the plant does not know (or every device, without a plant) get an id built from their
Sparkplug names, so that foreign devices can be recorded too::

    <group>/sparkplug/<edge node>/edge/<device>/<metric>

with each part made a valid id segment by :func:`slug` (lower case; characters outside
``a-z 0-9 _ -`` become ``_``; when anything had to change, ``-`` and six hex digits of the CRC-32
of the original are appended, so that distinct names stay distinct). A metric the plant's device
does not declare gets ``<equipment path>/<slug(metric)>``.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

from shopfloor.connect.sparkplug.points import node_points
from shopfloor.plant.model import Plant

_BAD = re.compile(r"[^a-z0-9_-]")
_MAX = 64


def slug(text: str) -> str:
    """``text`` as an id segment (see the module docstring); valid segments are unchanged."""
    s = _BAD.sub("_", text.lower())
    if not s or not s[0].isalnum():
        s = "x" + s
    if s == text and len(s) <= _MAX:
        return s
    return f"{s[: _MAX - 7]}-{zlib.crc32(text.encode()) & 0xFFFFFF:06x}"


@dataclass(frozen=True)
class DeviceNames:
    """The equipment path of one Sparkplug device and its metric -> tag id table."""

    group_id: str
    edge_node_id: str
    device_id: str
    equipment: str
    tags: dict[str, str] = field(default_factory=dict)
    in_plant: bool = False

    def tag_id(self, metric: str) -> str:
        known = self.tags.get(metric)
        return known if known is not None else f"{self.equipment}/{slug(metric)}"


class TagNames:
    """Device names of the plant's Sparkplug equipment, and made-up ones for the rest."""

    def __init__(self, plant: Plant | None, group_id: str | None = None) -> None:
        self._by_key: dict[tuple[str, str, str], DeviceNames] = {}
        self._by_ref: dict[str, DeviceNames] = {}
        for node in node_points(plant, group_id) if plant is not None else []:
            for dev in node.devices:
                names = DeviceNames(
                    node.group_id,
                    node.edge_node_id,
                    dev.device_id,
                    dev.equipment_path,
                    {p.metric: p.tag_id for p in dev.points},
                    in_plant=True,
                )
                self._add(names)
                self._by_ref.setdefault(dev.equipment_path.rsplit("/", 1)[-1], names)
                self._by_ref.setdefault(dev.device_id, names)

    def _add(self, names: DeviceNames) -> None:
        self._by_key[(names.group_id, names.edge_node_id, names.device_id)] = names
        self._by_ref[names.equipment] = names

    @property
    def groups(self) -> list[str]:
        """The Sparkplug groups of the plant (empty without a plant)."""
        return sorted({n.group_id for n in self.plant_devices()})

    def plant_devices(self) -> list[DeviceNames]:
        return [n for n in self._by_key.values() if n.in_plant]

    def device(self, group_id: str, edge_node_id: str, device_id: str) -> DeviceNames:
        key = (group_id, edge_node_id, device_id)
        names = self._by_key.get(key)
        if names is None:
            path = f"{slug(group_id)}/sparkplug/{slug(edge_node_id)}/edge/{slug(device_id)}"
            names = DeviceNames(group_id, edge_node_id, device_id, path)
            self._add(names)
        return names

    def find(self, equipment: str) -> DeviceNames | None:
        """A device by equipment path (or, for plant equipment, by equipment id)."""
        return self._by_ref.get(equipment)
