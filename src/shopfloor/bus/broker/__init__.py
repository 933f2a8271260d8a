"""The embedded MQTT 3.1.1 broker (asyncio), used when no external broker is configured."""

from shopfloor.bus.broker.filters import (
    split_shared,
    topic_matches,
    validate_filter,
    validate_topic,
)
from shopfloor.bus.broker.router import Message, Router
from shopfloor.bus.broker.server import Broker
from shopfloor.bus.broker.thread import BrokerThread

__all__ = [
    "Broker",
    "BrokerThread",
    "Message",
    "Router",
    "split_shared",
    "topic_matches",
    "validate_filter",
    "validate_topic",
]
