"""Sparkplug B topic names (Eclipse Sparkplug Specification 3.0.0, chapter 4).

Edge node and device messages::

    spBv1.0/<group_id>/<NBIRTH|NDEATH|NDATA|NCMD>/<edge_node_id>
    spBv1.0/<group_id>/<DBIRTH|DDEATH|DDATA|DCMD>/<edge_node_id>/<device_id>

Host application state (3.0 moved it under the namespace)::

    spBv1.0/STATE/<sparkplug_host_id>

Every id must be non-empty UTF-8 without ``/``, ``+`` or ``#`` (the MQTT level separator and
wildcards) and without NUL. Anything else raises :class:`TopicError` saying which part is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shopfloor.errors import BadInput

NAMESPACE = "spBv1.0"


class TopicError(BadInput):
    """A topic is not a valid Sparkplug B topic."""

    code = "sparkplug.topic_invalid"


class MessageType(StrEnum):
    NBIRTH = "NBIRTH"
    NDEATH = "NDEATH"
    NDATA = "NDATA"
    NCMD = "NCMD"
    DBIRTH = "DBIRTH"
    DDEATH = "DDEATH"
    DDATA = "DDATA"
    DCMD = "DCMD"
    STATE = "STATE"

    @property
    def is_device(self) -> bool:
        """True for the device message types (their topic ends with a device id)."""
        return self in _DEVICE_TYPES


_DEVICE_TYPES = frozenset(
    {MessageType.DBIRTH, MessageType.DDEATH, MessageType.DDATA, MessageType.DCMD}
)
_TYPES = ", ".join(t.value for t in MessageType)


def message_type(text: str) -> MessageType:
    """The :class:`MessageType` called ``text``; anything else raises :class:`TopicError`."""
    try:
        return MessageType(text)
    except ValueError:
        raise TopicError(f"unknown Sparkplug message type {text!r} (one of {_TYPES})") from None


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic. STATE topics have only ``host_id``; the others have no ``host_id``."""

    message_type: MessageType
    group_id: str | None = None
    edge_node_id: str | None = None
    device_id: str | None = None
    host_id: str | None = None

    def __str__(self) -> str:
        return format_topic(self)


def _check_id(what: str, value: str | None, where: str) -> str:
    if not value:
        raise TopicError(f"{where}: {what} is empty")
    bad = sorted({c for c in value if c in "/+#\x00"})
    if bad:
        raise TopicError(f"{where}: {what} {value!r} contains {' '.join(map(repr, bad))}")
    return value


def parse_topic(topic: str) -> Topic:
    """Parse and validate a Sparkplug B topic."""
    parts = topic.split("/")
    where = f"topic {topic!r}"
    if parts[0] != NAMESPACE:
        raise TopicError(f"topic {topic!r}: namespace must be {NAMESPACE!r}, got {parts[0]!r}")
    if len(parts) == 3 and parts[1] == MessageType.STATE:
        return Topic(MessageType.STATE, host_id=_check_id("host id", parts[2], where))
    if len(parts) < 4:
        raise TopicError(
            f"topic {topic!r}: expected {NAMESPACE}/<group>/<MSGTYPE>/<edge>[/<device>] "
            f"or {NAMESPACE}/STATE/<host>"
        )
    mt = message_type(parts[2])
    if mt is MessageType.STATE:
        raise TopicError(f"topic {topic!r}: STATE topics are {NAMESPACE}/STATE/<host_id>")
    want = 5 if mt.is_device else 4
    if len(parts) != want:
        shape = "<edge>/<device>" if mt.is_device else "<edge> (and no device)"
        raise TopicError(f"topic {topic!r}: {mt} needs {NAMESPACE}/<group>/{mt}/{shape}")
    return Topic(
        mt,
        group_id=_check_id("group id", parts[1], where),
        edge_node_id=_check_id("edge node id", parts[3], where),
        device_id=_check_id("device id", parts[4], where) if mt.is_device else None,
    )


def format_topic(t: Topic) -> str:
    """The topic string of ``t``, validated the same way :func:`parse_topic` validates."""
    mt = t.message_type
    where = f"{mt} topic"
    if mt is MessageType.STATE:
        if t.group_id is not None or t.edge_node_id is not None or t.device_id is not None:
            raise TopicError(f"{where}: only host_id is allowed")
        return f"{NAMESPACE}/STATE/{_check_id('host id', t.host_id, where)}"
    if t.host_id is not None:
        raise TopicError(f"{where}: host_id belongs to STATE topics only")
    text = (
        f"{NAMESPACE}/{_check_id('group id', t.group_id, where)}/{mt}/"
        f"{_check_id('edge node id', t.edge_node_id, where)}"
    )
    if mt.is_device:
        return f"{text}/{_check_id('device id', t.device_id, where)}"
    if t.device_id is not None:
        raise TopicError(f"{where}: {mt} takes no device id")
    return text


def topic_for(
    msg: MessageType | str, group_id: str, edge_node_id: str, device_id: str | None = None
) -> str:
    """``spBv1.0/<group_id>/<msg>/<edge_node_id>[/<device_id>]``, validated."""
    mt = msg if isinstance(msg, MessageType) else message_type(msg)
    return format_topic(Topic(mt, group_id, edge_node_id, device_id))


def state_topic(host_id: str) -> str:
    """``spBv1.0/STATE/<host_id>``, validated."""
    return format_topic(Topic(MessageType.STATE, host_id=host_id))
