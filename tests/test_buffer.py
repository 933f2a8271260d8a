"""Store and forward: BufferedSink keeps what its downstream cannot take and delivers it later,
in order and exactly once, across reopening the directory and a torn last record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from shopfloor.connect.buffer import BufferedSink, BufferFull
from shopfloor.connect.sink import SampleBatch
from shopfloor.errors import BadInput, ConnectorUnavailable
from shopfloor.events import EventKind, MachineEvent
from shopfloor.samples import Quality, Sample

T0 = 1_736_143_200_000_000_000
TAG = "t/a/l/c/m1/temp"


class Downstream:
    """A sink that takes data while ``up`` and raises ConnectorUnavailable otherwise."""

    def __init__(self, up: bool = True) -> None:
        self.up = up
        self.items: list[SampleBatch | list[MachineEvent]] = []
        self.calls = 0

    async def on_samples(self, batch: SampleBatch) -> None:
        self._take(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        self._take(list(events))

    def _take(self, item: SampleBatch | list[MachineEvent]) -> None:
        self.calls += 1
        if not self.up:
            raise ConnectorUnavailable("historian is down")
        self.items.append(item)

    def order(self) -> list[int]:
        """The first timestamp of each batch / the seq of each event, in delivery order."""
        out: list[int] = []
        for item in self.items:
            if isinstance(item, SampleBatch):
                out += [int(t) for t in item.ts_ns]
            else:
                out += [e.seq for e in item]
        return out


def batch(i: int, n: int = 3) -> SampleBatch:
    return SampleBatch.from_samples(
        [Sample(TAG, T0 + i * 1000 + k, float(i * 10 + k)) for k in range(n)]
    )


def event(seq: int) -> MachineEvent:
    return MachineEvent(EventKind.PART_START, "t/a/l/c/m1", T0 + seq, payload={"n": seq}, seq=seq)


async def until(what: str, probe: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not probe():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


def buffered(down: Downstream, path: Path, **kw: object) -> BufferedSink:
    return BufferedSink(down, path, retry_initial_s=0.02, retry_max_s=0.05, **kw)  # type: ignore[arg-type]


async def test_passes_through_while_the_downstream_is_up(tmp_path: Path) -> None:
    down = Downstream()
    sink = buffered(down, tmp_path)
    await sink.start()
    await sink.on_samples(batch(0))
    await sink.on_events([event(1)])
    assert down.order() == [T0, T0 + 1, T0 + 2, 1]
    assert sink.stats["direct"] == 2 and sink.backlog == 0
    await sink.stop()


async def test_outage_is_buffered_then_delivered_in_order_exactly_once(tmp_path: Path) -> None:
    down = Downstream()
    sink = buffered(down, tmp_path)
    await sink.start()
    await sink.on_samples(batch(0))
    down.up = False
    for i in range(1, 4):
        await sink.on_samples(batch(i))
        await sink.on_events([event(100 + i)])
    assert sink.backlog == 6 and sink.stats["buffered"] == 6
    assert not sink.health().ok
    down.up = True
    await sink.on_samples(batch(9))  # new data queues behind the backlog
    await until("backlog delivered", lambda: sink.backlog == 0)
    expected = [T0, T0 + 1, T0 + 2]
    for i in range(1, 4):
        expected += [T0 + i * 1000 + k for k in range(3)] + [100 + i]
    expected += [T0 + 9000 + k for k in range(3)]
    assert down.order() == expected
    assert sink.stats["replayed"] == 7 and sink.health().ok
    values = np.concatenate([b.values for b in down.items if isinstance(b, SampleBatch)])
    assert values.tolist() == [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32, 90, 91, 92]
    await sink.stop()


async def test_backlog_survives_reopening_the_directory(tmp_path: Path) -> None:
    down = Downstream(up=False)
    first = buffered(down, tmp_path)
    await first.start()
    for i in range(5):
        await first.on_samples(batch(i))
    await first.on_events([event(7), event(8)])
    await first.stop()

    down.up = True
    second = buffered(down, tmp_path)
    await second.start()
    assert second.backlog == 6
    await until("backlog delivered after reopen", lambda: second.backlog == 0)
    await second.stop()
    third = buffered(down, tmp_path)
    await third.start()
    assert third.backlog == 0  # delivered once: nothing comes back
    await third.on_samples(batch(9))
    await third.stop()
    expected = [T0 + i * 1000 + k for i in range(5) for k in range(3)] + [7, 8]
    assert down.order() == [*expected, T0 + 9000, T0 + 9001, T0 + 9002]
    sent = [b for b in down.items if isinstance(b, SampleBatch)]
    assert [s.tag for s in sent[0].samples()] == [TAG] * 3
    assert [s.quality for s in sent[0].samples()] == [Quality.GOOD] * 3


async def test_torn_last_record_is_truncated_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = Downstream(up=False)
    sink = buffered(down, tmp_path)
    await sink.start()
    for i in range(3):
        await sink.on_samples(batch(i))
    await sink.stop()
    segment = sorted(tmp_path.glob("*.seg"))[-1]
    whole = segment.read_bytes()
    segment.write_bytes(whole + whole[:40])  # a crash in the middle of the fourth record
    down.up = True
    caplog.set_level(logging.WARNING, logger="shopfloor.connect.buffer_store")
    reopened = buffered(down, tmp_path)
    await reopened.start()
    assert "torn record" in caplog.text and "truncating 40 bytes" in caplog.text
    assert reopened.store.truncated_bytes == 40
    await until("intact records delivered", lambda: reopened.backlog == 0)
    assert down.order() == [T0 + i * 1000 + k for i in range(3) for k in range(3)]
    await reopened.stop()


async def test_flipped_byte_in_the_last_record_fails_its_crc(tmp_path: Path) -> None:
    down = Downstream(up=False)
    sink = buffered(down, tmp_path)
    await sink.start()
    await sink.on_samples(batch(0))
    await sink.on_samples(batch(1))
    await sink.stop()
    segment = sorted(tmp_path.glob("*.seg"))[-1]
    data = bytearray(segment.read_bytes())
    data[-5] ^= 0xFF
    segment.write_bytes(bytes(data))
    down.up = True
    reopened = buffered(down, tmp_path)
    await reopened.start()
    assert reopened.backlog == 1
    await until("first record delivered", lambda: reopened.backlog == 0)
    assert down.order() == [T0, T0 + 1, T0 + 2]
    await reopened.stop()


async def test_full_buffer_refuses_new_data_and_keeps_what_it_has(tmp_path: Path) -> None:
    down = Downstream(up=False)
    sink = buffered(down, tmp_path, max_bytes=4096, segment_bytes=1024)
    await sink.start()
    stored = 0
    with pytest.raises(BufferFull, match="is full"):
        for i in range(100):
            await sink.on_samples(batch(i))
            stored += 1
    assert 0 < stored < 100
    assert sink.stats["refused_rows"] == 3
    assert sink.store.bytes_used <= 4096
    down.up = True
    sink.set_available(True)
    await until("stored records delivered", lambda: sink.backlog == 0)
    assert down.order() == [T0 + i * 1000 + k for i in range(stored) for k in range(3)]
    await sink.stop()


async def test_marked_unavailable_buffers_without_calling_the_downstream(tmp_path: Path) -> None:
    down = Downstream()
    sink = buffered(down, tmp_path)
    await sink.start()
    sink.set_available(False)
    await sink.on_samples(batch(0))
    await sink.on_events([event(1)])
    assert down.calls == 0 and sink.backlog == 2
    sink.set_available(True)
    await until("delivered once available", lambda: sink.backlog == 0)
    assert down.order() == [T0, T0 + 1, T0 + 2, 1]
    await sink.stop()


class Picky(Downstream):
    """Refuses events of seq 13 as bad input."""

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        if any(e.seq == 13 for e in events):
            raise BadInput("event 13 names an unknown equipment")
        await super().on_events(events)


async def test_a_record_refused_as_bad_input_is_set_aside(tmp_path: Path) -> None:
    down = Picky(up=False)
    sink = buffered(down, tmp_path)
    await sink.start()
    await sink.on_events([event(12)])
    await sink.on_events([event(13)])
    await sink.on_events([event(14)])
    down.up = True
    await until("backlog handled", lambda: sink.backlog == 0)
    assert down.order() == [12, 14]
    assert sink.stats["rejected"] == 1
    assert (tmp_path / "rejected.seg").stat().st_size > 0
    with pytest.raises(BadInput):  # a direct delivery refused as bad input goes back
        await sink.on_events([event(13)])
    await sink.stop()


def test_sample_batch_concat_and_table() -> None:
    a = SampleBatch.from_samples([Sample(TAG, T0, 1.5), Sample("t/a/l/c/m1/run", T0, True)])
    b = SampleBatch.from_samples(
        [Sample("t/a/l/c/m1/prog", T0 + 1, "P1"), Sample(TAG, T0 + 2, None, Quality.BAD)]
    )
    both = SampleBatch.concat([a, SampleBatch.empty(), b])
    assert both.tags == (TAG, "t/a/l/c/m1/run", "t/a/l/c/m1/prog")
    assert [s.value for s in both.samples()] == [1.5, True, "P1", None]
    table = both.to_table([7, 8, 9])
    assert table.column("tag_id").to_pylist() == [7, 8, 9, 7]
    assert table.column("text").to_pylist() == [None, "true", "P1", None]
    assert table.column("quality").to_pylist() == [0, 0, 0, 2]
    back = SampleBatch.from_arrow(both.to_arrow())
    assert list(back.samples()) == list(both.samples())
    with pytest.raises(BadInput, match="2 tag integers given for 3 tags"):
        both.to_table([1, 2])
