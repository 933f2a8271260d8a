"""The tag registry: tag id strings (ISA-95 paths) <-> the historian's uint32 integers.

Rows live in the store's ``hist_tags`` table, so integers stay the same across restarts and
processes. Unit and data type come from the plant model when the plant registers its tags; a tag
registered by name alone gets an empty unit and data type ``double``. Integers start at 1 and are
never reused.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopfloor.errors import BadInput, NotFound
from shopfloor.ids import split, split_tag_id
from shopfloor.plant import Plant

#: Largest tag integer the stores accept (both backends keep it in a signed 32-bit column).
MAX_TAG_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class TagInfo:
    tag_id: int
    name: str
    unit: str = ""
    data_type: str = "double"

    @property
    def equipment(self) -> str:
        """The equipment path of the tag (its first five segments)."""
        return self.name.rsplit("/", 1)[0]


class TagTable(Protocol):
    """What the registry needs from a backend."""

    def load_tags(self) -> list[tuple[int, str, str, str]]: ...

    def upsert_tags(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """Insert (name, unit, data_type) rows with fresh ids; update unit/type of known names."""
        ...


class TagRegistry:
    """In-memory view of ``hist_tags``; reloads from the store when it meets an unknown tag."""

    def __init__(self, table: TagTable) -> None:
        self._table = table
        self._by_name: dict[str, TagInfo] = {}
        self._by_id: dict[int, TagInfo] = {}
        self._known = np.zeros(1, dtype=bool)
        self._names = pa.array([""], pa.string())
        self.refresh()

    def refresh(self) -> None:
        rows = self._table.load_tags()
        infos = [TagInfo(int(i), n, u, d) for i, n, u, d in rows]
        self._by_name = {t.name: t for t in infos}
        self._by_id = {t.tag_id: t for t in infos}
        top = max(self._by_id, default=0)
        self._known = np.zeros(top + 1, dtype=bool)
        self._known[list(self._by_id)] = True
        names: list[str | None] = [None] * (top + 1)
        for t in infos:
            names[t.tag_id] = t.name
        self._names = pa.array(names, pa.string())

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[TagInfo]:
        return iter(sorted(self._by_id.values(), key=lambda t: t.tag_id))

    # ---- registration ------------------------------------------------------------------------

    def ensure(self, names: Iterable[str], unit: str = "", data_type: str = "double") -> list[int]:
        """Integers for ``names``, registering the ones not known yet."""
        names = list(names)
        for name in names:
            split_tag_id(name)
        missing = [n for n in dict.fromkeys(names) if n not in self._by_name]
        if missing:
            self._table.upsert_tags([(n, unit, data_type) for n in missing])
            self.refresh()
        return [self._by_name[n].tag_id for n in names]

    def register_plant(self, plant: Plant) -> int:
        """Register every tag of ``plant`` with its unit and data type; returns how many."""
        rows = [
            (f"{path}/{t.name}", t.unit, str(t.data_type))
            for path, *_rest, eq in plant.walk()
            for t in eq.tags
        ]
        changed = [r for r in rows if not self._same(r)]
        if changed:
            self._table.upsert_tags(changed)
            self.refresh()
        return len(rows)

    def _same(self, row: tuple[str, str, str]) -> bool:
        info = self._by_name.get(row[0])
        return info is not None and (info.unit, info.data_type) == (row[1], row[2])

    # ---- look-ups ----------------------------------------------------------------------------

    def id_of(self, name: str) -> int:
        info = self._by_name.get(name)
        if info is None:
            self.refresh()
            info = self._by_name.get(name)
        if info is None:
            raise NotFound(f"unknown tag {name!r}: it was never registered", tag=name)
        return info.tag_id

    def info(self, tag_id: int) -> TagInfo:
        return self._by_id[tag_id]

    def select(self, path: str) -> list[TagInfo]:
        """Tags whose id is ``path`` or lies below it (a tag, an equipment, a line...)."""
        path = path.strip().strip("/")
        if not path:
            raise BadInput("empty tag or path: give a tag id or an ISA-95 path prefix", field="tag")
        split(path)
        found = self._match(path)
        if not found:
            self.refresh()
            found = self._match(path)
        if not found:
            raise NotFound(
                f"no tag matches {path!r}: give a registered tag id or a path prefix "
                "(site, site/area, .../line, .../cell or .../equipment)",
                tag=path,
            )
        return found

    def _match(self, path: str) -> list[TagInfo]:
        prefix = path + "/"
        hits = [t for n, t in self._by_name.items() if n == path or n.startswith(prefix)]
        return sorted(hits, key=lambda t: t.tag_id)

    def unknown_ids(self, tag_ids: np.ndarray) -> np.ndarray:
        """The distinct ids in ``tag_ids`` that are not registered (refreshing once)."""
        bad = self._unknown(tag_ids)
        if len(bad):
            self.refresh()
            bad = self._unknown(tag_ids)
        return bad

    def _unknown(self, tag_ids: np.ndarray) -> np.ndarray:
        if len(tag_ids) == 0:
            return tag_ids
        top = len(self._known) - 1
        if int(tag_ids.max()) <= top:
            ok = self._known[tag_ids]
        else:
            ok = np.zeros(len(tag_ids), dtype=bool)
            inside = tag_ids <= top
            ok[inside] = self._known[tag_ids[inside]]
        return np.unique(tag_ids[~ok])

    def names(self, tag_ids: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
        """Tag id strings for an array of integers (dictionary encoded, no per-row Python)."""
        if isinstance(tag_ids, pa.ChunkedArray):
            tag_ids = tag_ids.combine_chunks() if tag_ids.num_chunks else pa.array([], pa.uint32())
        encoded = pc.dictionary_encode(tag_ids)
        return pa.DictionaryArray.from_arrays(
            encoded.indices, self._names.take(encoded.dictionary.cast(pa.int64()))
        )
