"""Sparkplug B topic names: parse, format, and clear errors."""

from __future__ import annotations

import pytest

from shopfloor.connect.sparkplug.topics import (
    MessageType,
    Topic,
    TopicError,
    format_topic,
    parse_topic,
    state_topic,
    topic_for,
)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("spBv1.0/Plant1/NBIRTH/EdgeA", Topic(MessageType.NBIRTH, "Plant1", "EdgeA")),
        ("spBv1.0/Plant1/NDATA/EdgeA", Topic(MessageType.NDATA, "Plant1", "EdgeA")),
        ("spBv1.0/G/NDEATH/E", Topic(MessageType.NDEATH, "G", "E")),
        ("spBv1.0/G/NCMD/E", Topic(MessageType.NCMD, "G", "E")),
        ("spBv1.0/G/DBIRTH/E/D", Topic(MessageType.DBIRTH, "G", "E", "D")),
        ("spBv1.0/G/DDATA/E/Filler 01", Topic(MessageType.DDATA, "G", "E", "Filler 01")),
        ("spBv1.0/G/DDEATH/E/D", Topic(MessageType.DDEATH, "G", "E", "D")),
        ("spBv1.0/G/DCMD/E/D", Topic(MessageType.DCMD, "G", "E", "D")),
        ("spBv1.0/STATE/host-1", Topic(MessageType.STATE, host_id="host-1")),
    ],
)
def test_topics_parse_and_format_back(text: str, topic: Topic) -> None:
    assert parse_topic(text) == topic
    assert format_topic(topic) == text == str(topic)


def test_builders() -> None:
    assert topic_for("DDATA", "G", "E", "D") == "spBv1.0/G/DDATA/E/D"
    assert topic_for(MessageType.NBIRTH, "G", "E") == "spBv1.0/G/NBIRTH/E"
    assert state_topic("scada") == "spBv1.0/STATE/scada"
    assert MessageType.DDATA.is_device and not MessageType.NDATA.is_device


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("spAv1.0/G/NDATA/E", "namespace must be 'spBv1.0'"),
        ("spBv1.0/G/NFOO/E", "unknown Sparkplug message type 'NFOO'"),
        ("spBv1.0/G/NDATA", "expected spBv1.0/<group>/<MSGTYPE>/<edge>"),
        ("spBv1.0/G/NDATA/E/D", "NDATA needs spBv1.0/<group>/NDATA/<edge> (and no device)"),
        ("spBv1.0/G/DDATA/E", "DDATA needs spBv1.0/<group>/DDATA/<edge>/<device>"),
        ("spBv1.0/G/DDATA/E/D/x", "DDATA needs"),
        ("spBv1.0//NDATA/E", "group id is empty"),
        ("spBv1.0/G/NDATA/", "edge node id is empty"),
        ("spBv1.0/G/DDATA/E/", "device id is empty"),
        ("spBv1.0/G+/NDATA/E", "group id 'G+' contains '+'"),
        ("spBv1.0/G/NDATA/E#", "contains '#'"),
        ("spBv1.0/G/STATE/E", "STATE topics are spBv1.0/STATE/<host_id>"),
        ("spBv1.0/STATE/", "host id is empty"),
        ("", "namespace"),
    ],
)
def test_bad_topics_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(TopicError) as info:
        parse_topic(text)
    assert words in info.value.message and info.value.bad_input


@pytest.mark.parametrize(
    ("topic", "words"),
    [
        (Topic(MessageType.DDATA, "G", "E"), "device id is empty"),
        (Topic(MessageType.NDATA, "G", "E", "D"), "takes no device id"),
        (Topic(MessageType.NDATA, "G/x", "E"), "group id 'G/x' contains '/'"),
        (Topic(MessageType.STATE, "G", host_id="h"), "only host_id"),
        (Topic(MessageType.NDATA, "G", "E", host_id="h"), "STATE topics only"),
    ],
)
def test_format_refuses_invalid_topics(topic: Topic, words: str) -> None:
    with pytest.raises(TopicError) as info:
        format_topic(topic)
    assert words in info.value.message


def test_unknown_message_type_in_builder() -> None:
    with pytest.raises(TopicError, match="unknown Sparkplug message type 'XDATA'"):
        topic_for("XDATA", "G", "E")
