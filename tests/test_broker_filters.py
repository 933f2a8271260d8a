"""Topic names, filters, the subscription tree and the router (no sockets)."""

from __future__ import annotations

import random

import pytest

from shopfloor.bus.broker.filters import (
    SubscriptionTree,
    split_shared,
    topic_matches,
    validate_filter,
    validate_topic,
)
from shopfloor.bus.broker.router import Message, Router
from shopfloor.errors import BadInput

MATCHES = [
    ("a/b/c", "a/b/c", True),
    ("a/+/c", "a/b/c", True),
    ("a/+/c", "a/b/d", False),
    ("a/#", "a", True),
    ("a/#", "a/b/c", True),
    ("#", "a/b", True),
    ("+", "a", True),
    ("+", "a/b", False),
    ("+/+", "/a", True),
    ("a/+", "a/", True),
    ("a/b", "a/b/c", False),
    ("a/b/c", "a/b", False),
    ("#", "$SYS/x", False),
    ("+/x", "$app/x", False),
    ("$app/#", "$app/x", True),
    ("$app/+", "$app/x", True),
    ("a/#", "b/a", False),
]


@pytest.mark.parametrize(("flt", "topic", "expected"), MATCHES)
def test_topic_matches(flt: str, topic: str, expected: bool) -> None:
    assert topic_matches(flt, topic) is expected
    tree: SubscriptionTree[str, int] = SubscriptionTree()
    tree.add(flt, "k", 1)
    assert (list(tree.match(topic)) == [("k", 1)]) is expected


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("", "empty"),
        ("a/#/b", "last level"),
        ("a/b#", "mixes"),
        ("a+/b", "mixes"),
        ("a\x00b", "NUL"),
    ],
)
def test_invalid_filters(bad: str, why: str) -> None:
    with pytest.raises(BadInput, match=why):
        validate_filter(bad)


def test_topic_names_and_shared_filters() -> None:
    assert validate_topic("a/b") == "a/b"
    with pytest.raises(BadInput, match="wildcards"):
        validate_topic("a/+")
    assert split_shared("$share/g/a/+") == ("g", "a/+")
    assert split_shared("a/#") == (None, "a/#")
    for bad in ("$share/g", "$share//a", "$share/g+/a", "$share/g/a/#/b"):
        with pytest.raises(BadInput):
            split_shared(bad)


def test_tree_agrees_with_topic_matches_on_random_filters() -> None:
    rng = random.Random(7)
    words = ["a", "b", "$s", ""]
    filters = {
        "/".join(rng.choice([*words, "+"]) for _ in range(rng.randint(1, 3)))
        + rng.choice(["", "/#"])
        for _ in range(300)
    }
    tree: SubscriptionTree[str, int] = SubscriptionTree()
    for f in filters:
        tree.add(f, f, 0)
    for _ in range(300):
        topic = "/".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        expected = {f for f in filters if topic_matches(f, topic)}
        assert {k for k, _ in tree.match(topic)} == expected, topic
    for f in filters:
        assert tree.remove(f, f) == 0
    assert len(tree) == 0 and list(tree.match("a/b")) == []


class Sub:
    def __init__(self, online: bool = True) -> None:
        self.online = online
        self.got: list[tuple[str, int]] = []

    def deliver(self, message: Message, qos: int) -> None:
        self.got.append((message.topic, qos))


def test_router_one_copy_at_highest_qos_and_downgrade() -> None:
    r = Router()
    s = Sub()
    r.subscribe(s, "a/#", 0)
    r.subscribe(s, "a/b", 1)
    r.publish(Message("a/b", b"x", qos=1))
    r.publish(Message("a/c", b"x", qos=1))
    r.publish(Message("a/b", b"x", qos=0))
    assert s.got == [("a/b", 1), ("a/c", 0), ("a/b", 0)]
    r.unsubscribe(s, "a/b")
    r.publish(Message("a/b", b"x", qos=1))
    assert s.got[-1] == ("a/b", 0)
    r.drop(s)
    assert r.subscription_count == 0


def test_router_shared_round_robin_prefers_online() -> None:
    r = Router()
    a, b, off = Sub(), Sub(), Sub(online=False)
    for s in (a, b, off):
        r.subscribe(s, "$share/g/t", 1)
    for _ in range(6):
        r.publish(Message("t", b"", qos=1))
    assert len(a.got) == 3 and len(b.got) == 3 and off.got == []
    a.online = b.online = False
    r.publish(Message("t", b"", qos=1))
    assert len(a.got) + len(b.got) + len(off.got) == 7


def test_router_retained_set_replace_clear_and_not_for_shared() -> None:
    r = Router()
    r.publish(Message("k", b"1", retain=True))
    r.publish(Message("k", b"2", qos=1, retain=True))
    found = r.subscribe(Sub(), "#", 1)
    assert [(m.payload, m.qos, m.retain) for m in found] == [(b"2", 1, True)]
    assert r.subscribe(Sub(), "$share/g/#", 1) == []
    r.publish(Message("k", b"", retain=True))
    assert r.retained_count == 0
