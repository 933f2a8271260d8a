"""What connectors deliver to: :class:`SampleBatch` columns and :class:`MachineEvent` lists.

Connectors know tags by their id string (``site/area/line/cell/equipment/tag``); the historian
keys them by integer. So a connector hands over a :class:`SampleBatch`: the batch's tag id strings
once (``tags``, a dictionary) and per row an index into it, plus the time, value, text and quality
columns as numpy arrays. The ingest side maps the dictionary to integers once per batch (e.g.
``registry.ensure(batch.tags)``) and builds the Arrow table with :meth:`SampleBatch.to_table`:
no per-row Python work anywhere on the way.

Values follow :mod:`shopfloor.samples`: numbers in ``values`` (float64); strings and booleans in
``text`` (booleans also as 1.0 / 0.0 in ``values``, strings as NaN); a row without a value (bad
quality) has NaN and no text.

:class:`SampleSink` is the protocol every connector delivers to: the historian's ingest, the bus
publisher, or a :class:`~shopfloor.connect.buffer.BufferedSink` around either. Both methods are
coroutines; raising means "not taken" (the caller counts it, a buffered sink stores it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from shopfloor.errors import BadInput
from shopfloor.events import MachineEvent
from shopfloor.samples import Quality, Sample, samples_table

#: The Arrow form of a batch (buffer records, IPC): tags dictionary-encoded.
BATCH_SCHEMA = pa.schema(
    [
        pa.field("tag", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("ts", pa.int64(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("text", pa.string()),
        pa.field("quality", pa.uint8(), nullable=False),
    ]
)


@dataclass(frozen=True, slots=True, eq=False)
class SampleBatch:
    """Rows of samples: ``tags[tag_index[i]]`` had ``values[i]`` at ``ts_ns[i]``."""

    tags: tuple[str, ...]
    tag_index: np.ndarray  # int32, one per row
    ts_ns: np.ndarray  # int64 ns since the epoch (UTC)
    values: np.ndarray  # float64
    quality: np.ndarray  # uint8 (:class:`Quality`)
    text: tuple[str | None, ...] | None = None  # one per row, or None when no row has text

    def __post_init__(self) -> None:
        n = len(self.tag_index)
        for name in ("ts_ns", "values", "quality"):
            if len(getattr(self, name)) != n:
                raise BadInput(
                    f"sample batch column {name!r} has {len(getattr(self, name))} "
                    f"rows, tag_index has {n}"
                )
        if self.text is not None and len(self.text) != n:
            raise BadInput(f"sample batch column 'text' has {len(self.text)} rows, not {n}")
        if n and (int(self.tag_index.min()) < 0 or int(self.tag_index.max()) >= len(self.tags)):
            raise BadInput(f"sample batch tag_index points outside its {len(self.tags)} tags")

    def __len__(self) -> int:
        return len(self.tag_index)

    @classmethod
    def empty(cls) -> SampleBatch:
        none = np.zeros(0)
        return cls((), none.astype(np.int32), none.astype(np.int64), none, none.astype(np.uint8))

    @classmethod
    def from_samples(cls, samples: Sequence[Sample]) -> SampleBatch:
        """Rows from :class:`~shopfloor.samples.Sample` objects (what pollers produce)."""
        index: dict[str, int] = {}
        rows = [index.setdefault(s.tag, len(index)) for s in samples]
        text = [_text(s.value) for s in samples]
        return cls(
            tuple(index),
            np.array(rows, dtype=np.int32),
            np.array([s.ts_ns for s in samples], dtype=np.int64),
            np.array([_number(s.value) for s in samples], dtype=np.float64),
            np.array([int(s.quality) for s in samples], dtype=np.uint8),
            tuple(text) if any(t is not None for t in text) else None,
        )

    @classmethod
    def concat(cls, batches: Sequence[SampleBatch]) -> SampleBatch:
        """One batch holding the rows of ``batches`` in order (dictionaries merged)."""
        batches = [b for b in batches if len(b)]
        if len(batches) == 1:
            return batches[0]
        if not batches:
            return cls.empty()
        index: dict[str, int] = {}
        parts = []
        for b in batches:
            remap = np.array([index.setdefault(t, len(index)) for t in b.tags], dtype=np.int32)
            parts.append(remap[b.tag_index])
        text: tuple[str | None, ...] | None = None
        if any(b.text is not None for b in batches):
            text = tuple(t for b in batches for t in (b.text or (None,) * len(b)))
        return cls(
            tuple(index),
            np.concatenate(parts),
            np.concatenate([b.ts_ns for b in batches]),
            np.concatenate([b.values for b in batches]),
            np.concatenate([b.quality for b in batches]),
            text,
        )

    def to_table(self, ids: Sequence[int] | np.ndarray) -> pa.Table:
        """The batch in :data:`~shopfloor.samples.SAMPLE_SCHEMA`; ``ids[i]`` is ``tags[i]``'s
        historian integer."""
        lookup = np.asarray(ids, dtype=np.uint32)
        if len(lookup) != len(self.tags):
            raise BadInput(f"{len(lookup)} tag integers given for {len(self.tags)} tags")
        text = list(self.text) if self.text is not None else None
        return samples_table(lookup[self.tag_index], self.ts_ns, self.values, self.quality, text)

    def to_arrow(self) -> pa.RecordBatch:
        tags = pa.DictionaryArray.from_arrays(
            pa.array(self.tag_index, pa.int32()), pa.array(self.tags, pa.string())
        )
        text = pa.array(self.text if self.text is not None else [None] * len(self), pa.string())
        return pa.RecordBatch.from_arrays(
            [
                tags,
                pa.array(self.ts_ns, pa.int64()),
                pa.array(self.values, pa.float64()),
                text,
                pa.array(self.quality, pa.uint8()),
            ],
            schema=BATCH_SCHEMA,
        )

    @classmethod
    def from_arrow(cls, rb: pa.RecordBatch) -> SampleBatch:
        if not rb.schema.equals(BATCH_SCHEMA):
            raise BadInput(f"sample batch schema is {rb.schema}, expected {BATCH_SCHEMA}")
        tags = rb.column(0)
        text = rb.column(3)
        return cls(
            tuple(tags.dictionary.to_pylist()),
            tags.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False),
            rb.column(1).to_numpy(zero_copy_only=False),
            rb.column(2).to_numpy(zero_copy_only=False),
            rb.column(4).to_numpy(zero_copy_only=False),
            None if text.null_count == len(text) else tuple(text.to_pylist()),
        )

    def samples(self) -> Iterator[Sample]:
        """The rows as :class:`~shopfloor.samples.Sample` (for inspection, not the hot path)."""
        for i in range(len(self)):
            text = self.text[i] if self.text is not None else None
            value: float | str | bool | None = float(self.values[i])
            if text is not None:  # booleans carry 1.0 / 0.0, strings NaN
                value = text if np.isnan(self.values[i]) else text == "true"
            elif np.isnan(self.values[i]):
                value = None
            yield Sample(
                self.tags[self.tag_index[i]],
                int(self.ts_ns[i]),
                value,
                Quality(int(self.quality[i])),
            )


@dataclass
class Rows:
    """Rows being collected for the next batch: Python lists for single values, numpy chunks for
    blocks; :meth:`build` makes one :class:`SampleBatch` with a few concatenations."""

    tag: list[int] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    quality: list[int] = field(default_factory=list)
    text: dict[int, str] = field(default_factory=dict)  # scalar row -> text
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list
    )
    count: int = 0

    def scalar(
        self, tag: int, ts: int, value: float, quality: int, text: str | None = None
    ) -> None:
        if text is not None:
            self.text[len(self.tag)] = text
        self.tag.append(tag)
        self.ts.append(ts)
        self.value.append(value)
        self.quality.append(quality)
        self.count += 1

    def block(self, tag: int, ts: np.ndarray, values: np.ndarray, quality: int) -> None:
        """Rows of one tag at the times ``ts``, all of one quality."""
        self.chunk(tag, ts, values, np.full(len(ts), quality, np.uint8))

    def chunk(self, tag: int, ts: np.ndarray, values: np.ndarray, quality: np.ndarray) -> None:
        """Rows of one tag from three equal-length columns."""
        n = len(ts)
        self.chunks.append(
            (
                np.full(n, tag, np.int32),
                np.asarray(ts, np.int64),
                np.asarray(values, np.float64),
                np.asarray(quality, np.uint8),
            )
        )
        self.count += n

    def build(self, names: list[str]) -> SampleBatch:
        """The rows as one batch whose dictionary holds only the tags used (from ``names``)."""
        cols = [
            np.concatenate([np.array(self.tag, np.int32)] + [c[0] for c in self.chunks]),
            np.concatenate([np.array(self.ts, np.int64)] + [c[1] for c in self.chunks]),
            np.concatenate([np.array(self.value, np.float64)] + [c[2] for c in self.chunks]),
            np.concatenate([np.array(self.quality, np.uint8)] + [c[3] for c in self.chunks]),
        ]
        used = np.flatnonzero(np.bincount(cols[0])) if len(cols[0]) else cols[0]
        remap = np.zeros(int(used[-1]) + 1 if len(used) else 0, np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        text = None
        if self.text:
            rows: list[str | None] = [None] * len(cols[0])
            for i, t in self.text.items():
                rows[i] = t
            text = tuple(rows)
        return SampleBatch(
            tuple(names[i] for i in used.tolist()),
            remap[cols[0]],
            cols[1],
            cols[2],
            cols[3],
            text,
        )


def _number(value: float | str | bool | None) -> float:
    if value is None or isinstance(value, str):
        return float("nan")
    return float(value)


def _text(value: float | str | bool | None) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else None


@runtime_checkable
class SampleSink(Protocol):
    """Where a connector delivers. Raising means the data was not taken."""

    async def on_samples(self, batch: SampleBatch) -> None: ...

    async def on_events(self, events: Sequence[MachineEvent]) -> None: ...
