"""MQTT topic names and topic filters: validation, matching and a subscription tree.

This is the one implementation of MQTT's topic semantics in shopfloor: the embedded broker routes
with it, the in-memory transport uses it through the same :class:`~.router.Router`, and the MQTT
transport dispatches received messages to handlers with :func:`topic_matches`.

Rules (MQTT 3.1.1 section 4.7): levels are separated by ``/``; ``+`` matches exactly one level;
``#`` matches any number of levels, including the parent level (``a/#`` matches ``a``) and must be
last; wildcards occupy a whole level; topics starting with ``$`` are not matched by a wildcard at
the first level. A shared subscription ``$share/<group>/<filter>`` delivers each message to one
member session of the group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shopfloor.errors import BadInput

SHARE_PREFIX = "$share/"
#: The longest topic or filter MQTT can carry (a two-byte length prefix).
MAX_TOPIC_BYTES = 65535

K = TypeVar("K")
V = TypeVar("V")


def _check_text(kind: str, text: str) -> None:
    if not text:
        raise BadInput(f"{kind} must not be empty")
    if "\x00" in text:
        raise BadInput(f"{kind} {text!r} contains a NUL character")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TOPIC_BYTES:
        raise BadInput(f"{kind} is longer than {MAX_TOPIC_BYTES} bytes")


def validate_topic(topic: str) -> str:
    """Return ``topic`` if it is a valid topic *name* (what a message is published to)."""
    _check_text("topic name", topic)
    if "+" in topic or "#" in topic:
        raise BadInput(f"topic name {topic!r} must not contain the wildcards '+' or '#'")
    return topic


def split_shared(topic_filter: str) -> tuple[str | None, str]:
    """``$share/g/a/b`` -> ("g", "a/b"); a plain filter -> (None, filter). Validates both."""
    if not topic_filter.startswith(SHARE_PREFIX):
        return None, validate_filter(topic_filter)
    group, sep, inner = topic_filter[len(SHARE_PREFIX) :].partition("/")
    if not sep or not group:
        raise BadInput(f"shared subscription {topic_filter!r} must read $share/<group>/<filter>")
    if "+" in group or "#" in group:
        raise BadInput(f"share group {group!r} must not contain wildcards")
    return group, validate_filter(inner)


def validate_filter(topic_filter: str) -> str:
    """Return ``topic_filter`` if it is a valid (non-shared) topic filter."""
    _check_text("topic filter", topic_filter)
    levels = topic_filter.split("/")
    for i, level in enumerate(levels):
        if level == "#":
            if i != len(levels) - 1:
                raise BadInput(f"topic filter {topic_filter!r}: '#' must be the last level")
        elif level != "+" and ("+" in level or "#" in level):
            raise BadInput(
                f"topic filter {topic_filter!r}: level {level!r} mixes a wildcard with text"
            )
    return topic_filter


def topic_matches(topic_filter: str, topic: str) -> bool:
    """True when ``topic`` (a name) matches the non-shared ``topic_filter``."""
    if topic_filter == topic:
        return True
    f_levels = topic_filter.split("/")
    t_levels = topic.split("/")
    if topic.startswith("$") and f_levels[0] in ("+", "#"):
        return False
    for i, f in enumerate(f_levels):
        if f == "#":
            return True
        if i >= len(t_levels):
            return False
        if f != "+" and f != t_levels[i]:
            return False
    return len(f_levels) == len(t_levels)


@dataclass(slots=True)
class _Node(Generic[K, V]):
    children: dict[str, _Node[K, V]] = field(default_factory=dict)
    entries: dict[K, V] = field(default_factory=dict)


class SubscriptionTree(Generic[K, V]):
    """Topic filters in a trie; each filter holds entries ``key -> value``.

    ``match(topic)`` yields the entries of every filter that matches the topic, walking only the
    levels the topic has, so its cost does not grow with the number of unrelated filters.
    """

    def __init__(self) -> None:
        self._root: _Node[K, V] = _Node()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, topic_filter: str, key: K, value: V) -> None:
        node = self._root
        for level in topic_filter.split("/"):
            nxt = node.children.get(level)
            if nxt is None:
                nxt = node.children[level] = _Node()
            node = nxt
        if key not in node.entries:
            self._size += 1
        node.entries[key] = value

    def get(self, topic_filter: str, key: K) -> V | None:
        node: _Node[K, V] | None = self._root
        for level in topic_filter.split("/"):
            node = node.children.get(level) if node is not None else None
        return None if node is None else node.entries.get(key)

    def remove(self, topic_filter: str, key: K) -> V | None:
        """Remove one entry; prune empty branches; return the removed value (or None)."""
        path: list[tuple[_Node[K, V], str]] = []
        node = self._root
        for level in topic_filter.split("/"):
            nxt = node.children.get(level)
            if nxt is None:
                return None
            path.append((node, level))
            node = nxt
        if key not in node.entries:
            return None
        value = node.entries.pop(key)
        self._size -= 1
        for parent, level in reversed(path):
            child = parent.children[level]
            if child.entries or child.children:
                break
            del parent.children[level]
        return value

    def match(self, topic: str) -> Iterator[tuple[K, V]]:
        """Every (key, value) whose filter matches ``topic``."""
        levels = topic.split("/")
        dollar = topic.startswith("$")
        frontier = [self._root]
        for depth, level in enumerate(levels):
            wild = not (depth == 0 and dollar)
            nxt: list[_Node[K, V]] = []
            for node in frontier:
                children = node.children
                if wild:
                    multi = children.get("#")
                    if multi is not None:
                        yield from multi.entries.items()
                    single = children.get("+")
                    if single is not None:
                        nxt.append(single)
                exact = children.get(level)
                if exact is not None:
                    nxt.append(exact)
            if not nxt:
                return
            frontier = nxt
        for node in frontier:
            yield from node.entries.items()
            multi = node.children.get("#")
            if multi is not None:
                yield from multi.entries.items()
