"""UNS topic names from ISA-95 paths, and back."""

from __future__ import annotations

import pytest

from shopfloor.bus.topics import (
    TopicKind,
    UnsTopic,
    batch_topic,
    event_topic,
    parse_topic,
    subscription_filter,
    tag_topic,
)
from shopfloor.errors import BadInput
from shopfloor.events import EventKind

EQ = "s1/assembly/line-1/cell_2/cnc-01"


def test_round_trips() -> None:
    t = tag_topic(f"{EQ}/spindle_temp")
    assert t == f"shopfloor/v1/{EQ}/tag/spindle_temp"
    assert parse_topic(t) == UnsTopic(TopicKind.TAG, EQ, "spindle_temp")
    assert parse_topic(t).tag_id == f"{EQ}/spindle_temp"
    e = event_topic(EQ, EventKind.PART_COMPLETE)
    assert e == f"shopfloor/v1/{EQ}/event/part_complete"
    assert parse_topic(e).event_kind is EventKind.PART_COMPLETE
    b = batch_topic(EQ)
    assert parse_topic(b) == UnsTopic(TopicKind.BATCH, EQ)
    for topic in (t, e, b):
        assert parse_topic(topic).topic == topic


@pytest.mark.parametrize(
    ("topic", "why"),
    [
        ("plant/v1/a/b/c/d/e/tag/x", "must start with shopfloor/v1/"),
        ("shopfloor/v1/a/b/c/tag/x", "too short"),
        (f"shopfloor/v1/{EQ}/tags/x", "expected tag, event or batch"),
        (f"shopfloor/v1/{EQ}/event/explosion", "unknown event kind 'explosion'"),
        (f"shopfloor/v1/{EQ}/batch/x", "nothing may follow 'batch'"),
        (f"shopfloor/v1/{EQ}/tag", "exactly one level"),
        (f"shopfloor/v1/{EQ}/tag/Bad Name", "tag name"),
        ("shopfloor/v1/S1/a/b/c/d/tag/x", "invalid id segment 'S1'"),
    ],
)
def test_parse_errors_name_the_problem(topic: str, why: str) -> None:
    with pytest.raises(BadInput, match=why):
        parse_topic(topic)


def test_builders_refuse_bad_input() -> None:
    with pytest.raises(BadInput, match="unknown event kind"):
        event_topic(EQ, "nope")
    with pytest.raises(BadInput, match="must have 5 segments"):
        batch_topic("s1/a")
    with pytest.raises(BadInput, match="must have 6 segments"):
        tag_topic(EQ)


def test_subscription_filters() -> None:
    assert subscription_filter() == "shopfloor/v1/#"
    assert subscription_filter(TopicKind.EVENT, "s1/assembly") == (
        "shopfloor/v1/s1/assembly/+/+/+/event/+"
    )
    assert subscription_filter(TopicKind.BATCH, EQ) == f"shopfloor/v1/{EQ}/batch"
    assert subscription_filter(None, "s1") == "shopfloor/v1/s1/#"
    with pytest.raises(BadInput, match="deeper"):
        subscription_filter(TopicKind.TAG, f"{EQ}/x")
