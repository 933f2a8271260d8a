"""What each Sparkplug message type requires of its payload (spec 3.0.0, chapter 6.4/7).

The protobuf bytes do not say which message they are: the topic does. Given the message type,
:func:`check_message` applies the payload rules the specification states for it:

- every message but NDEATH carries a payload ``timestamp``;
- NBIRTH, DBIRTH, NDATA, DDATA and DDEATH carry a ``seq`` (NBIRTH's is 0);
- NBIRTH and NDEATH carry the ``bdSeq`` metric;
- every metric of a birth carries its name and its datatype.

A payload that breaks one raises :class:`~shopfloor.errors.DecodeError` (no offset: the rule is
about what is missing). STATE messages are JSON, not protobuf, and are refused here.
"""

from __future__ import annotations

from shopfloor.connect.sparkplug.model import Payload
from shopfloor.connect.sparkplug.topics import MessageType, message_type
from shopfloor.errors import DecodeError

_NEEDS_SEQ = frozenset(
    {
        MessageType.NBIRTH,
        MessageType.DBIRTH,
        MessageType.NDATA,
        MessageType.DDATA,
        MessageType.DDEATH,
    }
)
_BIRTHS = frozenset({MessageType.NBIRTH, MessageType.DBIRTH})
_HAS_BDSEQ = frozenset({MessageType.NBIRTH, MessageType.NDEATH})


def check_message(msg: MessageType | str, p: Payload) -> None:
    """Raise :class:`DecodeError` when ``p`` breaks a rule of message type ``msg``."""
    mt = msg if isinstance(msg, MessageType) else message_type(msg)
    if mt is MessageType.STATE:
        raise DecodeError("STATE messages are JSON, not Sparkplug B protobuf payloads")
    if p.timestamp is None and mt is not MessageType.NDEATH:
        raise DecodeError(f"{mt} payload has no timestamp")
    if mt in _NEEDS_SEQ and p.seq is None:
        raise DecodeError(f"{mt} payload has no seq")
    if mt is MessageType.NBIRTH and p.seq != 0:
        raise DecodeError(f"NBIRTH seq must be 0, got {p.seq}")
    if mt in _HAS_BDSEQ and p.metric("bdSeq") is None:
        raise DecodeError(f"{mt} payload has no bdSeq metric")
    if mt in _BIRTHS:
        for i, m in enumerate(p.metrics):
            if m.name is None:
                raise DecodeError(f"{mt} metric {i} (alias {m.alias}) has no name")
            if m.datatype is None:
                raise DecodeError(f"{mt} metric {i} ({m.name!r}) has no datatype")
