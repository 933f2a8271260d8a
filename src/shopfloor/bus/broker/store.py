"""Persistence of the embedded broker's state: retained messages and persistent sessions.

One JSON document (``broker-state.json`` in the broker's data folder) written atomically: to a
temporary file, then renamed over the old one. It holds every retained message and, for each
client that asked for a persistent session, its subscriptions, queued and in-flight messages and
the inbound QoS 2 packet ids not yet released. Payloads are base64.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopfloor.bus.broker.router import Message
from shopfloor.bus.broker.session import Inflight, Session
from shopfloor.errors import BusError

STATE_FILE = "broker-state.json"
STATE_VERSION = 1


@dataclass
class SavedSession:
    session: Session
    subscriptions: dict[str, int] = field(default_factory=dict)


def _msg(m: Message) -> list[Any]:
    return [m.topic, base64.b64encode(m.payload).decode("ascii"), m.qos, m.retain]


def _unmsg(row: list[Any]) -> Message:
    topic, payload, qos, retain = row
    return Message(str(topic), base64.b64decode(payload), int(qos), bool(retain))


def save_state(
    path: Path, retained: Iterable[Message], sessions: Iterable[tuple[Session, dict[str, int]]]
) -> None:
    """Write the state file atomically."""
    doc = {
        "version": STATE_VERSION,
        "retained": [_msg(m) for m in retained],
        "sessions": [
            {
                "client_id": s.client_id,
                "subscriptions": subs,
                "queue": [[*_msg(m), q] for m, q in s.queue if q > 0],
                "inflight": [
                    [pid, *_msg(e.message), e.qos, e.released] for pid, e in s.inflight.items()
                ],
                "inbound_qos2": sorted(s.inbound_qos2),
            }
            for s, subs in sessions
            if s.persistent
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


def load_state(
    path: Path, max_inflight: int, max_queued: int
) -> tuple[list[Message], list[SavedSession]]:
    """Read the state file (an absent file is an empty state)."""
    if not path.exists():
        return [], []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("version") != STATE_VERSION:
            raise BusError(
                f"broker state {path} has version {doc.get('version')!r}, expected {STATE_VERSION}"
            )
        retained = [_unmsg(row) for row in doc["retained"]]
        sessions: list[SavedSession] = []
        for item in doc["sessions"]:
            s = Session(str(item["client_id"]), True, max_inflight, max_queued)
            for row in item["queue"]:
                s.queue.append((_unmsg(row[:4]), int(row[4])))
            for row in item["inflight"]:
                s.inflight[int(row[0])] = Inflight(_unmsg(row[1:5]), int(row[5]), bool(row[6]))
            s.inbound_qos2.update(int(pid) for pid in item["inbound_qos2"])
            subs = {str(k): int(v) for k, v in item["subscriptions"].items()}
            sessions.append(SavedSession(s, subs))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise BusError(f"broker state {path} cannot be read: {exc!r}") from None
    return retained, sessions
