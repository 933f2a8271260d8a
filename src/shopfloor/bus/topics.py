"""Unified Namespace topic names, derived from the ISA-95 path (:mod:`shopfloor.ids`).

    shopfloor/v1/<site>/<area>/<line>/<cell>/<equipment>/tag/<tag>     one JSON sample
    shopfloor/v1/<site>/<area>/<line>/<cell>/<equipment>/event/<kind>  one MachineEvent (JSON)
    shopfloor/v1/<site>/<area>/<line>/<cell>/<equipment>/batch         binary sample batch

``v1`` is the namespace version: a change of layout or envelope gets a new version, and both can
run side by side on one broker. Payloads are described in :mod:`shopfloor.bus.envelope`.

QoS choices (the constants below; publishers use them, subscribers ask for at least them):

* Events: QoS 1 (:data:`EVENT_QOS`). An event changes MES state (a part completed, a state
  changed); losing one corrupts counts and OEE, so it is delivered at least once. A duplicate is
  harmless because each event carries its equipment's ``seq``, which consumers use to drop repeats.
  QoS 2 would cost two more round trips per event for what ``seq`` already gives.
* Single samples: QoS 0 (:data:`SAMPLE_QOS`). They are frequent and superseded by the next value;
  under overload the broker drops rather than queues them, and a lost sample is a visible gap,
  never a wrong value. A slow consumer must not hold back the plant.
* Batches: QoS 1 (:data:`BATCH_QOS`). A batch carries up to thousands of samples (a second of
  1 kHz vibration), so losing one is a large hole while the acknowledgement costs one small
  packet per batch; duplicates are dropped by the historian's (tag, time) key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shopfloor import ids
from shopfloor.errors import BadInput
from shopfloor.events import EventKind

ROOT = "shopfloor"
VERSION = "v1"
PREFIX = f"{ROOT}/{VERSION}"

EVENT_QOS = 1
SAMPLE_QOS = 0
BATCH_QOS = 1


class TopicKind(StrEnum):
    TAG = "tag"
    EVENT = "event"
    BATCH = "batch"


@dataclass(frozen=True, slots=True)
class UnsTopic:
    """A parsed UNS topic: what it carries and for which equipment."""

    kind: TopicKind
    equipment: str
    #: The tag name (TAG), the event kind (EVENT) or None (BATCH).
    name: str | None = None

    @property
    def tag_id(self) -> str:
        if self.kind is not TopicKind.TAG or self.name is None:
            raise BadInput(f"a {self.kind} topic names no tag")
        return f"{self.equipment}/{self.name}"

    @property
    def event_kind(self) -> EventKind:
        if self.kind is not TopicKind.EVENT or self.name is None:
            raise BadInput(f"a {self.kind} topic names no event kind")
        return EventKind(self.name)

    @property
    def topic(self) -> str:
        base = f"{PREFIX}/{self.equipment}/{self.kind}"
        return base if self.name is None else f"{base}/{self.name}"


def _equipment(path: str) -> str:
    parts = ids.split(path)
    if len(parts) != ids.EQUIPMENT_DEPTH:
        raise BadInput(
            f"equipment path {path!r} must have {ids.EQUIPMENT_DEPTH} segments "
            f"(site/area/line/cell/equipment), has {len(parts)}"
        )
    return "/".join(parts)


def tag_topic(tag_id: str) -> str:
    """``site/area/line/cell/eq/tag`` -> its sample topic."""
    equipment, tag = ids.split_tag_id(tag_id)
    return f"{PREFIX}/{equipment}/tag/{tag}"


def event_topic(equipment: str, kind: EventKind | str) -> str:
    try:
        event_kind = EventKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in EventKind)
        raise BadInput(f"unknown event kind {kind!r}; known: {known}") from None
    return f"{PREFIX}/{_equipment(equipment)}/event/{event_kind}"


def batch_topic(equipment: str) -> str:
    return f"{PREFIX}/{_equipment(equipment)}/batch"


def parse_topic(topic: str) -> UnsTopic:
    """Parse a UNS topic name; :class:`BadInput` says which part is wrong."""
    if not topic.startswith(PREFIX + "/"):
        raise BadInput(f"topic {topic!r} is not in the UNS: it must start with {PREFIX}/")
    levels = topic[len(PREFIX) + 1 :].split("/")
    depth = ids.EQUIPMENT_DEPTH
    if len(levels) < depth + 1:
        raise BadInput(
            f"topic {topic!r} is too short: expected {PREFIX}/<5-segment equipment "
            "path>/<tag|event|batch>[/<name>]"
        )
    try:
        equipment = "/".join(ids.check_segment(s) for s in levels[:depth])
    except BadInput as exc:
        raise BadInput(f"topic {topic!r}: {exc.message}") from None
    kind_text, rest = levels[depth], levels[depth + 1 :]
    try:
        kind = TopicKind(kind_text)
    except ValueError:
        raise BadInput(
            f"topic {topic!r}: level {depth + 3} is {kind_text!r}, expected tag, event or batch"
        ) from None
    if kind is TopicKind.BATCH:
        if rest:
            raise BadInput(f"topic {topic!r}: nothing may follow 'batch'")
        return UnsTopic(kind, equipment)
    if len(rest) != 1:
        raise BadInput(f"topic {topic!r}: expected exactly one level after {kind_text!r}")
    name = rest[0]
    if kind is TopicKind.EVENT:
        try:
            EventKind(name)
        except ValueError:
            raise BadInput(f"topic {topic!r}: unknown event kind {name!r}") from None
    else:
        try:
            ids.check_segment(name)
        except BadInput as exc:
            raise BadInput(f"topic {topic!r}: tag name: {exc.message}") from None
    return UnsTopic(kind, equipment, name)


def subscription_filter(kind: TopicKind | None = None, under: str = "") -> str:
    """A topic filter for one kind (or all) below an ISA-95 path prefix (or the whole UNS).

    ``subscription_filter(TopicKind.EVENT, "s1/a1")`` -> ``shopfloor/v1/s1/a1/+/+/+/event/+``.
    """
    parts = ids.split(under) if under else []
    if len(parts) > ids.EQUIPMENT_DEPTH:
        raise BadInput(f"path {under!r} is deeper than an equipment path")
    if kind is None:
        return "/".join([PREFIX, *parts, "#"])
    levels = [*parts, *["+"] * (ids.EQUIPMENT_DEPTH - len(parts)), str(kind)]
    if kind is not TopicKind.BATCH:
        levels.append("+")
    return "/".join([PREFIX, *levels])
