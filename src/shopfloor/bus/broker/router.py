"""Routing of published messages to subscribers: subscriptions, shared groups, retained messages.

The router knows nothing of sockets: a subscriber is anything with ``online`` and
``deliver(message, qos)``. The embedded broker's sessions and the in-memory hub's sessions both
plug in here, so both have exactly the same semantics:

* A subscriber with several matching subscriptions gets one copy at the highest granted QoS.
* A message is delivered at ``min(published QoS, granted QoS)``, with RETAIN cleared.
* ``$share/<group>/<filter>``: each message goes to one member of the group, round-robin,
  preferring members that are online; retained messages are not sent to shared subscriptions.
* Retained messages: a non-empty retained publish replaces the topic's retained message, an empty
  one clears it; a new non-shared subscription receives the matching retained messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from shopfloor.bus.broker.filters import SubscriptionTree, split_shared, topic_matches

#: Bound of the per-topic fan-out cache (entries); the cache is cleared when it grows past it.
TARGET_CACHE_SIZE = 8192


@dataclass(slots=True, eq=False)
class Message:
    """An application message; ``wire`` and ``head`` cache its encoding (see the codec)."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    wire: bytes | None = None
    head: bytes | None = None


class Subscriber(Protocol):
    @property
    def online(self) -> bool: ...

    def deliver(self, message: Message, qos: int) -> None: ...


class SharedGroup:
    """The members of one ``$share/<name>/<filter>`` subscription, served round-robin."""

    __slots__ = ("members", "name", "next_index")

    def __init__(self, name: str) -> None:
        self.name = name
        self.members: dict[Subscriber, int] = {}
        self.next_index = 0

    def pick(self) -> tuple[Subscriber, int] | None:
        """The next member to serve (an online one when any is online) and its granted QoS."""
        items = list(self.members.items())
        if not items:
            return None
        n = len(items)
        start = self.next_index % n
        for step in range(n):
            i = (start + step) % n
            if items[i][0].online:
                self.next_index = i + 1
                return items[i]
        self.next_index = start + 1
        return items[start]


_Targets = tuple[list[tuple[Subscriber, int]], list[SharedGroup]]


class Router:
    """Subscriptions and retained messages of one broker (or one in-memory hub)."""

    def __init__(self) -> None:
        self._direct: SubscriptionTree[Subscriber, int] = SubscriptionTree()
        self._shared: SubscriptionTree[str, SharedGroup] = SubscriptionTree()
        self._by_subscriber: dict[Subscriber, dict[str, int]] = {}
        self._retained: dict[str, Message] = {}
        self._cache: dict[str, _Targets] = {}

    # -- subscriptions -------------------------------------------------------------------
    def subscribe(self, sub: Subscriber, topic_filter: str, qos: int) -> list[Message]:
        """Add or replace a subscription; return the retained messages it should receive.

        Raises :class:`~shopfloor.errors.BadInput` for an invalid filter.
        """
        group, inner = split_shared(topic_filter)
        self._cache.clear()
        self._by_subscriber.setdefault(sub, {})[topic_filter] = qos
        if group is None:
            self._direct.add(inner, sub, qos)
            return [m for m in self._retained.values() if topic_matches(inner, m.topic)]
        shared = self._shared.get(inner, group)
        if shared is None:
            shared = SharedGroup(group)
            self._shared.add(inner, group, shared)
        shared.members[sub] = qos
        return []

    def unsubscribe(self, sub: Subscriber, topic_filter: str) -> bool:
        """Remove one subscription; False when the subscriber did not hold it."""
        subs = self._by_subscriber.get(sub)
        if subs is None or topic_filter not in subs:
            return False
        del subs[topic_filter]
        if not subs:
            del self._by_subscriber[sub]
        self._cache.clear()
        group, inner = split_shared(topic_filter)
        if group is None:
            self._direct.remove(inner, sub)
        else:
            shared = self._shared.get(inner, group)
            if shared is not None:
                shared.members.pop(sub, None)
                if not shared.members:
                    self._shared.remove(inner, group)
        return True

    def drop(self, sub: Subscriber) -> None:
        """Remove every subscription of ``sub`` (its session ended)."""
        for topic_filter in list(self._by_subscriber.get(sub, {})):
            self.unsubscribe(sub, topic_filter)

    def subscriptions(self, sub: Subscriber) -> dict[str, int]:
        """The filters ``sub`` holds and their granted QoS."""
        return dict(self._by_subscriber.get(sub, {}))

    @property
    def subscription_count(self) -> int:
        return sum(len(s) for s in self._by_subscriber.values())

    # -- retained messages ---------------------------------------------------------------
    def retain(self, message: Message) -> None:
        """Store (non-empty payload) or clear (empty payload) the topic's retained message."""
        if message.payload:
            self._retained[message.topic] = Message(
                message.topic, message.payload, message.qos, retain=True
            )
        else:
            self._retained.pop(message.topic, None)

    def retained(self) -> Iterator[Message]:
        return iter(list(self._retained.values()))

    @property
    def retained_count(self) -> int:
        return len(self._retained)

    # -- routing ---------------------------------------------------------------------------
    def publish(self, message: Message) -> int:
        """Retain if asked, then deliver to every matching subscriber; return how many got it."""
        if message.retain:
            self.retain(message)
            message = Message(message.topic, message.payload, message.qos)
        targets = self._cache.get(message.topic)
        if targets is None:
            targets = self._targets(message.topic)
        direct, groups = targets
        mqos = message.qos
        for sub, qos in direct:
            sub.deliver(message, qos if qos < mqos else mqos)
        for shared in groups:
            chosen = shared.pick()
            if chosen is not None:
                sub, qos = chosen
                sub.deliver(message, qos if qos < mqos else mqos)
        return len(direct) + len(groups)

    def _targets(self, topic: str) -> _Targets:
        best: dict[Subscriber, int] = {}
        for sub, qos in self._direct.match(topic):
            if best.get(sub, -1) < qos:
                best[sub] = qos
        targets: _Targets = (list(best.items()), [g for _, g in self._shared.match(topic)])
        if len(self._cache) >= TARGET_CACHE_SIZE:
            self._cache.clear()
        self._cache[topic] = targets
        return targets
