"""The UNS message envelope: JSON for people, a compact binary batch for high-rate data.

A sample (topic ``.../tag/<tag>``) is one UTF-8 JSON object::

    {"tag": "s/a/l/c/eq/temp", "ts": "2025-01-06T06:00:00.000000000Z",
     "ts_ns": 1736143200000000000, "value": 21.5, "quality": "good"}

``ts_ns`` is authoritative; ``ts`` is the same instant for people (a sample written by hand may
carry ``ts`` alone). ``value`` is a number, string, boolean or null (NaN travels as null); quality
is ``good``, ``uncertain`` or ``bad``. Events (``.../event/<kind>``) are
:meth:`MachineEvent.to_bytes <shopfloor.events.MachineEvent.to_bytes>`.

A batch (topic ``.../batch``) is little-endian binary, versioned in its header::

    header   "SF" | version u8 (=1) | block count u16
    block    kind u8 | tag id length u16 | tag id UTF-8 | sample count u32 | body
    kind 1   regular: start_ns i64 | rate_hz f64 | quality u8 | values f64[count]
    kind 2   columns: ts_ns i64[count] | values f64[count] | quality u8[count]

Decoding returns numpy arrays that are read-only views on the payload (no copy).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from shopfloor import ids
from shopfloor.bus.topics import TopicKind, parse_topic
from shopfloor.clock import NS_PER_S, parse_instant, to_ns
from shopfloor.errors import BadInput, DecodeError
from shopfloor.events import MachineEvent
from shopfloor.samples import Quality, Sample

BATCH_MAGIC = b"SF"
BATCH_VERSION = 1
KIND_REGULAR, KIND_COLUMNS = 1, 2
_HEADER = struct.Struct("<2sBH")
_BLOCK = struct.Struct("<BH")
_COUNT = struct.Struct("<I")
_REGULAR = struct.Struct("<qdB")
_QUALITY_NAMES = {q: q.name.lower() for q in Quality}
_QUALITY_BY_NAME = {v: k for k, v in _QUALITY_NAMES.items()}


# -- JSON samples ------------------------------------------------------------------------------
def iso_ns(ns: int) -> str:
    """ns since the epoch -> ``YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`` (UTC)."""
    seconds, frac = divmod(ns, NS_PER_S)
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def encode_sample(sample: Sample) -> bytes:
    value = sample.value
    if isinstance(value, float) and not math.isfinite(value):
        if not math.isnan(value):
            raise BadInput(
                f"sample of {sample.tag}: value {value} is infinite; JSON carries "
                "finite numbers only (send it in a batch)"
            )
        value = None
    doc = {
        "tag": sample.tag,
        "ts": iso_ns(sample.ts_ns),
        "ts_ns": sample.ts_ns,
        "value": value,
        "quality": _QUALITY_NAMES[Quality(sample.quality)],
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def decode_sample(data: bytes) -> Sample:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"sample is not JSON: {exc}", offset=getattr(exc, "pos", None)) from None
    if not isinstance(doc, dict):
        raise DecodeError("sample must be a JSON object")
    tag = doc.get("tag")
    if not isinstance(tag, str):
        raise DecodeError("sample field 'tag' must be a tag id string")
    try:
        ids.split_tag_id(tag)
    except BadInput as exc:
        raise DecodeError(f"sample field 'tag': {exc.message}") from None
    ts_ns = doc.get("ts_ns")
    if ts_ns is None:
        ts = doc.get("ts")
        if not isinstance(ts, str):
            raise DecodeError("sample needs 'ts_ns' (integer ns) or 'ts' (ISO 8601 UTC)")
        try:
            ts_ns = to_ns(parse_instant(ts))
        except ValueError as exc:
            raise DecodeError(f"sample field 'ts': {exc}") from None
    elif not isinstance(ts_ns, int) or isinstance(ts_ns, bool):
        raise DecodeError("sample field 'ts_ns' must be an integer (ns since the epoch)")
    value = doc.get("value")
    if value is not None and not isinstance(value, int | float | str | bool):
        raise DecodeError("sample field 'value' must be a number, string, boolean or null")
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    quality = doc.get("quality", "good")
    if isinstance(quality, str) and quality in _QUALITY_BY_NAME:
        q = _QUALITY_BY_NAME[quality]
    elif isinstance(quality, int) and not isinstance(quality, bool) and 0 <= quality <= 2:
        q = Quality(quality)
    else:
        raise DecodeError(f"sample field 'quality' is {quality!r}; use good, uncertain or bad")
    return Sample(tag, ts_ns, value, q)


# -- binary batches ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class RegularBlock:
    """Samples of one tag at a fixed rate: ``values[i]`` at ``start_ns + i * 1e9 / rate_hz``."""

    tag: str
    start_ns: int
    rate_hz: float
    values: np.ndarray
    quality: Quality = Quality.GOOD

    def timestamps(self) -> np.ndarray:
        step = NS_PER_S / self.rate_hz
        return self.start_ns + np.round(np.arange(len(self.values)) * step).astype(np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class ColumnBlock:
    """Samples of one tag at arbitrary times, as three equal-length columns."""

    tag: str
    ts_ns: np.ndarray
    values: np.ndarray
    quality: np.ndarray


Block = RegularBlock | ColumnBlock


def _tag_bytes(tag: str) -> bytes:
    ids.split_tag_id(tag)
    return tag.encode()


def encode_batch(blocks: Sequence[Block]) -> bytes:
    """Encode blocks into one batch payload; :class:`BadInput` names the bad block."""
    if not 0 < len(blocks) <= 0xFFFF:
        raise BadInput(f"a batch holds 1 to 65535 blocks, got {len(blocks)}")
    parts = [_HEADER.pack(BATCH_MAGIC, BATCH_VERSION, len(blocks))]
    for i, block in enumerate(blocks):
        tag = _tag_bytes(block.tag)
        values = np.ascontiguousarray(block.values, dtype="<f8")
        if values.ndim != 1 or len(values) > 0xFFFFFFFF:
            raise BadInput(f"batch block {i} ({block.tag}): values must be a 1-D array")
        if isinstance(block, RegularBlock):
            if not (math.isfinite(block.rate_hz) and block.rate_hz > 0):
                raise BadInput(
                    f"batch block {i} ({block.tag}): rate_hz must be > 0, is {block.rate_hz}"
                )
            parts += [
                _BLOCK.pack(KIND_REGULAR, len(tag)),
                tag,
                _COUNT.pack(len(values)),
                _REGULAR.pack(block.start_ns, block.rate_hz, int(block.quality)),
                values.tobytes(),
            ]
        else:
            ts = np.ascontiguousarray(block.ts_ns, dtype="<i8")
            q = np.ascontiguousarray(block.quality, dtype=np.uint8)
            if ts.shape != values.shape or q.shape != values.shape:
                raise BadInput(
                    f"batch block {i} ({block.tag}): ts_ns, values and quality "
                    "must have the same length"
                )
            if len(q) and int(q.max()) > max(Quality):
                raise BadInput(f"batch block {i} ({block.tag}): quality values must be 0..2")
            parts += [
                _BLOCK.pack(KIND_COLUMNS, len(tag)),
                tag,
                _COUNT.pack(len(values)),
                ts.tobytes(),
                values.tobytes(),
                q.tobytes(),
            ]
    return b"".join(parts)


def _need(data: bytes, pos: int, n: int, what: str) -> None:
    if pos + n > len(data):
        raise DecodeError(
            f"batch ends inside {what} (needs {n} bytes, {len(data) - pos} left)", offset=pos
        )


def decode_batch(data: bytes) -> list[Block]:
    """Decode a batch payload; :class:`DecodeError` carries the offending byte offset."""
    _need(data, 0, _HEADER.size, "the header")
    magic, version, count = _HEADER.unpack_from(data, 0)
    if magic != BATCH_MAGIC:
        raise DecodeError(f"batch magic is {magic!r}, expected {BATCH_MAGIC!r}", offset=0)
    if version != BATCH_VERSION:
        raise DecodeError(
            f"batch version {version} is not supported (this reader knows {BATCH_VERSION})",
            offset=2,
        )
    pos = _HEADER.size
    blocks: list[Block] = []
    for index in range(count):
        start = pos
        _need(data, pos, _BLOCK.size, f"block {index} header")
        kind, tag_len = _BLOCK.unpack_from(data, pos)
        pos += _BLOCK.size
        _need(data, pos, tag_len + _COUNT.size, f"block {index} tag id")
        try:
            tag = data[pos : pos + tag_len].decode("utf-8")
            ids.split_tag_id(tag)
        except (UnicodeDecodeError, BadInput) as exc:
            reason = getattr(exc, "message", str(exc))
            raise DecodeError(f"block {index} tag id is invalid: {reason}", offset=pos) from None
        pos += tag_len
        (n,) = _COUNT.unpack_from(data, pos)
        pos += _COUNT.size
        if kind == KIND_REGULAR:
            _need(data, pos, _REGULAR.size + 8 * n, f"block {index} ({tag}) samples")
            start_ns, rate, quality = _REGULAR.unpack_from(data, pos)
            if not (math.isfinite(rate) and rate > 0) or quality > max(Quality):
                raise DecodeError(
                    f"block {index} ({tag}): rate {rate} or quality {quality} out of range",
                    offset=pos + 8,
                )
            pos += _REGULAR.size
            values = np.frombuffer(data, dtype="<f8", count=n, offset=pos)
            blocks.append(RegularBlock(tag, start_ns, rate, values, Quality(quality)))
            pos += 8 * n
        elif kind == KIND_COLUMNS:
            _need(data, pos, 17 * n, f"block {index} ({tag}) columns")
            ts = np.frombuffer(data, dtype="<i8", count=n, offset=pos)
            values = np.frombuffer(data, dtype="<f8", count=n, offset=pos + 8 * n)
            q = np.frombuffer(data, dtype=np.uint8, count=n, offset=pos + 16 * n)
            bad = np.flatnonzero(q > max(Quality))
            if len(bad):
                raise DecodeError(
                    f"block {index} ({tag}): quality {int(q[bad[0]])} is not 0..2",
                    offset=pos + 16 * n + int(bad[0]),
                )
            blocks.append(ColumnBlock(tag, ts, values, q))
            pos += 17 * n
        else:
            raise DecodeError(f"block {index} has unknown kind {kind}", offset=start)
    if pos != len(data):
        raise DecodeError(f"{len(data) - pos} bytes follow the last block", offset=pos)
    return blocks


def decode_message(topic: str, payload: bytes) -> Sample | MachineEvent | list[Block]:
    """Decode any UNS message by its topic; the payload must agree with the topic it came on."""
    where = parse_topic(topic)
    if where.kind is TopicKind.TAG:
        sample = decode_sample(payload)
        if sample.tag != where.tag_id:
            raise DecodeError(f"sample of tag {sample.tag} arrived on {topic}")
        return sample
    if where.kind is TopicKind.EVENT:
        event = MachineEvent.from_bytes(payload)
        if event.equipment != where.equipment or event.kind != where.name:
            raise DecodeError(f"{event.kind} event of {event.equipment} arrived on {topic}")
        return event
    blocks = decode_batch(payload)
    for block in blocks:
        if not block.tag.startswith(where.equipment + "/"):
            raise DecodeError(f"batch block of tag {block.tag} arrived on {topic}")
    return blocks
