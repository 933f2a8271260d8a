"""Machine events: what happens on the shop floor, versioned and serialisable.

The virtual plant emits only these and tag values; MES and KPIs consume them from the bus. The
wire form is compact JSON (UTF-8), one event per message, with ``v`` the schema version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shopfloor.errors import DecodeError

EVENT_VERSION = 1


class EventKind(StrEnum):
    STATE_CHANGE = "state_change"  # payload: state (PackML), previous, reason, element (ISO 22400)
    PART_START = "part_start"  # payload: product, operation
    PART_COMPLETE = "part_complete"  # payload: product, operation, good (bool), process values
    PART_SCRAP = "part_scrap"  # payload: product, operation, defect
    ALARM = "alarm"  # payload: code, text, priority, active (bool)
    DOWNTIME = "downtime"  # payload: reason, category, planned (bool), start_ns, end_ns
    ENERGY = "energy"  # payload: kwh (cumulative meter reading), kw
    FAILURE = "failure"  # payload: mode, cause (wear|random)
    REPAIR = "repair"  # payload: mode, duration_s
    ORDER_STATUS = "order_status"  # payload: status, quantity


@dataclass(frozen=True, slots=True)
class MachineEvent:
    kind: EventKind
    equipment: str
    ts_ns: int
    serial: str | None = None
    order_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    v: int = EVENT_VERSION

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "v": self.v,
            "kind": str(self.kind),
            "equipment": self.equipment,
            "ts_ns": self.ts_ns,
            "seq": self.seq,
        }
        if self.serial is not None:
            d["serial"] = self.serial
        if self.order_id is not None:
            d["order_id"] = self.order_id
        if self.payload:
            d["payload"] = self.payload
        return d

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MachineEvent:
        try:
            v = int(d.get("v", EVENT_VERSION))
            if v > EVENT_VERSION:
                raise DecodeError(f"event version {v} is newer than supported {EVENT_VERSION}")
            return cls(
                kind=EventKind(d["kind"]),
                equipment=str(d["equipment"]),
                ts_ns=int(d["ts_ns"]),
                serial=d.get("serial"),
                order_id=d.get("order_id"),
                payload=dict(d.get("payload") or {}),
                seq=int(d.get("seq", 0)),
                v=v,
            )
        except KeyError as exc:
            raise DecodeError(f"event field {exc.args[0]!r} is missing") from None
        except (TypeError, ValueError) as exc:
            raise DecodeError(f"bad event: {exc}") from None

    @classmethod
    def from_bytes(cls, data: bytes) -> MachineEvent:
        try:
            d = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DecodeError(
                f"event is not JSON: {exc}", offset=getattr(exc, "pos", None)
            ) from None
        if not isinstance(d, dict):
            raise DecodeError("event must be a JSON object")
        return cls.from_dict(d)
