"""An append-only, size-bounded record log on disk with a persisted read cursor.

Layout of the directory::

    00000000000000000001.seg   segments, numbered, each a run of records
    cursor                     "<segment> <offset>": the next record to deliver
    rejected.seg               records the downstream refused as bad input (kept, not retried)

A record is ``length u32 | crc32 u32 | kind u8 | body`` (little endian); ``length`` counts the
body and the CRC covers kind and body. Records are appended to the last segment; a new segment
starts when the last one reaches ``segment_bytes``. :meth:`SegmentStore.ack` moves the cursor
(written to a temporary file and renamed, so it is never half written) and deletes segments that
are wholly delivered.

Crash safety: on :meth:`SegmentStore.open` the last segment is read record by record; a record
cut short (a crash mid-write) or whose CRC does not match is a torn tail: the segment is
truncated at the last good record and a warning says how many bytes went. A bad record inside an
older segment (a disk fault) is reported when it is reached and the rest of that segment skipped.

Bound: the files on disk never exceed ``max_bytes``; an append that would pass it raises
:class:`BufferFull` and stores nothing (what is stored is never dropped to make room).
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from shopfloor.errors import ConfigError, ConnectorError

log = logging.getLogger(__name__)

_HEAD = struct.Struct("<IIB")
_SUFFIX = ".seg"


class BufferFull(ConnectorError):
    """The store-and-forward buffer is at its size bound: the new data was not stored."""

    code = "connect.buffer_full"


@dataclass(frozen=True, slots=True)
class Record:
    kind: int
    body: bytes
    segment: int
    end: int  # offset just past this record in its segment


def _crc(kind: int, body: bytes) -> int:
    return zlib.crc32(body, zlib.crc32(bytes((kind,)))) & 0xFFFFFFFF


def encode_record(kind: int, body: bytes) -> bytes:
    return _HEAD.pack(len(body), _crc(kind, body), kind) + body


class SegmentStore:
    """Records in segment files under ``directory``; see the module docstring."""

    def __init__(
        self, directory: Path, *, max_bytes: int, segment_bytes: int, fsync: bool = True
    ) -> None:
        if segment_bytes < 1024 or max_bytes < segment_bytes:
            raise ConfigError(
                f"buffer sizes: segment_bytes ({segment_bytes}) must be >= 1024 and max_bytes "
                f"({max_bytes}) >= segment_bytes",
                field="max_bytes",
            )
        self.directory = Path(directory)
        self.max_bytes, self.segment_bytes, self.fsync = max_bytes, segment_bytes, fsync
        self.segments: list[int] = []
        self.sizes: dict[int, int] = {}
        self.cursor = (1, 0)
        self.pending = 0  # records after the cursor
        self.corrupt = 0  # bad records met in older segments (skipped)
        self.truncated_bytes = 0  # torn tail bytes removed on open

    # ---- open / repair ----------------------------------------------------------------------

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.segments = sorted(
            int(p.stem) for p in self.directory.glob(f"*{_SUFFIX}") if p.stem.isdigit()
        )
        self.sizes = {s: self._path(s).stat().st_size for s in self.segments}
        self.cursor = self._read_cursor()
        if self.segments:
            self._repair(self.segments[-1])
        # Segments wholly before the cursor were delivered: remove what a crash left behind.
        for s in [s for s in self.segments if s < self.cursor[0]]:
            self._drop(s)
        self.pending = sum(self._count(s) for s in self.segments)

    def _path(self, segment: int) -> Path:
        return self.directory / f"{segment:020d}{_SUFFIX}"

    def _read_cursor(self) -> tuple[int, int]:
        path = self.directory / "cursor"
        if not path.exists():
            return (self.segments[0] if self.segments else 1), 0
        try:
            seg, off = (int(x) for x in path.read_text().split())
        except ValueError:
            log.error(
                "buffer %s: cursor file is unreadable; delivering from the start", self.directory
            )
            return (self.segments[0] if self.segments else 1), 0
        if seg in self.segments:
            return seg, off
        # Its segment was delivered and removed: go on at the next one (or a new one).
        later = [s for s in self.segments if s > seg]
        return (later[0] if later else seg + 1), 0

    def _scan(self, segment: int, start: int) -> tuple[int, int, str]:
        """(records, end of the last good record, why the scan stopped early or '')."""
        data = self._path(segment).read_bytes()
        pos, count = start, 0
        while pos < len(data):
            if pos + _HEAD.size > len(data):
                return count, pos, "record header cut short"
            length, crc, kind = _HEAD.unpack_from(data, pos)
            end = pos + _HEAD.size + length
            if end > len(data):
                return count, pos, f"record of {length} bytes cut short"
            if _crc(kind, data[pos + _HEAD.size : end]) != crc:
                return count, pos, "CRC mismatch"
            pos, count = end, count + 1
        return count, pos, ""

    def _repair(self, segment: int) -> None:
        _count, good, why = self._scan(segment, 0)
        if why:
            lost = self.sizes[segment] - good
            log.warning(
                "buffer %s: torn record at the end of segment %d (%s): truncating %d bytes",
                self.directory,
                segment,
                why,
                lost,
            )
            with open(self._path(segment), "r+b") as f:
                f.truncate(good)
                os.fsync(f.fileno())
            self.sizes[segment] = good
            self.truncated_bytes += lost

    def _count(self, segment: int) -> int:
        start = self.cursor[1] if segment == self.cursor[0] else 0
        if segment < self.cursor[0]:
            return 0
        count, _good, _why = self._scan(segment, start)
        return count

    # ---- write ------------------------------------------------------------------------------

    @property
    def bytes_used(self) -> int:
        return sum(self.sizes.values())

    def append(self, kind: int, body: bytes) -> None:
        """Store one record durably; :class:`BufferFull` when it would pass ``max_bytes``."""
        record = encode_record(kind, body)
        if self.bytes_used + len(record) > self.max_bytes:
            raise BufferFull(
                f"store-and-forward buffer {self.directory} is full ({self.bytes_used} of "
                f"{self.max_bytes} bytes): record of {len(record)} bytes refused",
                used=self.bytes_used,
                max_bytes=self.max_bytes,
            )
        if not self.segments or self.sizes[self.segments[-1]] >= self.segment_bytes:
            self.segments.append(self.segments[-1] + 1 if self.segments else self.cursor[0])
            self.sizes[self.segments[-1]] = 0
        seg = self.segments[-1]
        with open(self._path(seg), "ab") as f:
            f.write(record)
            f.flush()
            if self.fsync:
                os.fsync(f.fileno())
        self.sizes[seg] += len(record)
        self.pending += 1

    # ---- read -------------------------------------------------------------------------------

    def peek(self) -> Record | None:
        """The oldest record not yet acknowledged, or None."""
        while self.pending:
            seg, off = self.cursor
            if off >= self.sizes.get(seg, 0):
                if not any(s > seg for s in self.segments):
                    self.pending = 0  # nothing left to read (the count was off)
                    return None
                self._move(seg, off)
                continue
            with open(self._path(seg), "rb") as f:
                f.seek(off)
                head = f.read(_HEAD.size)
                length, crc, kind = _HEAD.unpack(head) if len(head) == _HEAD.size else (0, 0, 0)
                body = f.read(length)
            if len(head) == _HEAD.size and len(body) == length and _crc(kind, body) == crc:
                return Record(kind, body, seg, off + _HEAD.size + length)
            self.corrupt += 1
            log.error(
                "buffer %s: bad record in segment %d at byte %d; skipping the rest of that segment",
                self.directory,
                seg,
                off,
            )
            self._move(seg, self.sizes[seg])
            self.pending = sum(self._scan(s, 0)[0] for s in self.segments if s > seg)
        return None

    def _move(self, segment: int, offset: int) -> None:
        """Put the cursor at ``(segment, offset)``, or past it when that segment is done."""
        if offset >= self.sizes.get(segment, 0):
            later = [s for s in self.segments if s > segment]
            if later:
                segment, offset = later[0], 0
            elif offset:  # everything is delivered: the next record starts a new segment
                segment, offset = segment + 1, 0
        self.cursor = (segment, offset)
        tmp = self.directory / "cursor.tmp"
        tmp.write_text(f"{segment} {offset}\n")
        os.replace(tmp, self.directory / "cursor")
        for s in [s for s in self.segments if s < segment]:
            self._drop(s)

    def ack(self, record: Record) -> None:
        """``record`` was delivered: move the cursor past it, drop finished segments."""
        self._move(record.segment, record.end)
        self.pending -= 1

    def _drop(self, segment: int) -> None:
        self._path(segment).unlink(missing_ok=True)
        self.sizes.pop(segment, None)
        if segment in self.segments:
            self.segments.remove(segment)

    def reject(self, record: Record) -> None:
        """Keep a record the downstream refused as bad input in ``rejected.seg``."""
        with open(self.directory / "rejected.seg", "ab") as f:
            f.write(encode_record(record.kind, record.body))
