"""Quality data from machine events: one row per unit and operation it went through.

A unit's defect risk is judged where it is judged: every operation may reject it (a machine that
notices its own defect, an inspection or test station that measures it out of tolerance). So the
table has one row per ``part_complete`` of a *finished* unit (scrapped, or through its last
operation), keyed by ``(seed, serial, operation)``, with the label ``scrap`` (this operation
rejected the unit) and the ``defect`` its ``part_scrap`` event named. A finished unit has at
most one positive row, its last; :meth:`QualityTable.units` gives one row per finished unit.

Features are what is known when the operation completes, before its verdict:

- the row's product, operation and equipment (categories from the plant file);
- the operation's process values (``process.<setting>``), tool wear, cycle time over the
  standard time, and the equipment's operating hours since its last wear repair (from
  ``part_complete`` cycle times and ``repair`` events);
- the unit's history: for every earlier operation of its routing, the same values
  (``prev.<operation>.*``) and the measurements of an inspection it passed there.

Never features: the verdict (``good``, ``scrap``), the ``defect``, the measurements of the
row's own operation (they *are* the inspection verdict), serials, order ids, times and the
simulator's ground truth. The column layout comes from the plant file (products, routings,
eligible equipment, inspection characteristics), so a table's columns do not depend on which
operations a run happened to reach.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopfloor.errors import DecodeError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.maintenance.errors import DataError
from shopfloor.plant.model import Plant

META = ("seed", "serial", "order_id", "ts_ns", "scrap", "defect")
LABEL = "scrap"
CONTEXT = ("product", "operation", "equipment")
CURRENT = ("tool_wear", "cycle_ratio", "equipment_hours")


@dataclass(frozen=True)
class QualityLayout:
    """The columns of a plant's quality table: categories and numeric features."""

    products: tuple[str, ...]
    operations: tuple[str, ...]
    equipment: tuple[str, ...]
    process_keys: tuple[str, ...]
    #: Operation id -> (process settings of the products routed through it, measurements), for
    #: the operations that some other operation follows (a unit's record of earlier steps).
    history: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]

    @classmethod
    def of(cls, plant: Plant) -> QualityLayout:
        products = tuple(p.id for p in plant.products)
        ops: dict[str, tuple[set[str], set[str]]] = {}
        earlier: set[str] = set()  # operations some other operation follows
        equipment: set[str] = set()
        for product in plant.products:
            routing = plant.routing_by_id[product.routing]
            earlier.update(op.id for op in routing.operations[:-1])
            for op in routing.operations:
                keys, measured = ops.setdefault(op.id, (set(), set()))
                keys.update(product.process)
                measured.update(op.inspect)
                for ref in op.eligible:
                    eq = plant.equipment(ref)
                    equipment.add(eq.id)
                    measured.update(t.name for t in eq.tags if t.signal == "measurement")
        if not ops:
            raise DataError(f"plant {plant.name!r} has no product with a routing to learn from")
        return cls(
            products=products,
            operations=tuple(sorted(ops)),
            equipment=tuple(sorted(equipment)),
            process_keys=tuple(sorted({k for p in plant.products for k in p.process})),
            history={
                o: (tuple(sorted(k)), tuple(sorted(m)))
                for o, (k, m) in sorted(ops.items())
                if o in earlier
            },
        )

    @property
    def categorical(self) -> list[str]:
        """Text columns: the row's context and the equipment of each earlier operation."""
        return [*CONTEXT, *(f"prev.{op}.equipment" for op in self.history)]

    @property
    def numeric(self) -> list[str]:
        cols = [*CURRENT, *(f"process.{k}" for k in self.process_keys)]
        for op, (keys, measured) in self.history.items():
            cols += [f"prev.{op}.{c}" for c in CURRENT]
            cols += [f"prev.{op}.process.{k}" for k in keys]
            cols += [f"prev.{op}.{m}" for m in measured]
        return cols

    @property
    def inputs(self) -> list[str]:
        """The columns a model may learn from (its feature schema)."""
        return [*self.categorical, *self.numeric]

    def categories(self, column: str) -> tuple[str, ...]:
        if column == "product":
            return self.products
        if column == "operation":
            return self.operations
        return self.equipment


@dataclass(frozen=True)
class QualityTable:
    """Rows of (unit, operation) with their features, ``scrap`` label and ``defect``."""

    frame: pd.DataFrame
    layout: QualityLayout

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def inputs(self) -> pd.DataFrame:
        return self.frame[self.layout.inputs]

    @property
    def label(self) -> np.ndarray:
        return self.frame[LABEL].to_numpy(dtype=np.int64)

    @property
    def unit_keys(self) -> pd.Series:
        """``seed/serial`` of each row: serials repeat across simulation seeds."""
        return self.frame["seed"].astype(str) + "/" + self.frame["serial"].astype(str)

    def subset(self, rows: np.ndarray) -> QualityTable:
        return QualityTable(self.frame.iloc[rows].reset_index(drop=True), self.layout)

    def units(self) -> pd.DataFrame:
        """One row per finished unit: seed, serial, product, operations, scrap, where, defect."""
        f = self.frame.assign(_key=self.unit_keys.to_numpy())
        g = f.groupby("_key", sort=False)
        last = g.tail(1).set_index("_key")
        return pd.DataFrame(
            {
                "seed": last["seed"],
                "serial": last["serial"],
                "product": last["product"],
                "operations": g.size(),
                "scrap": g[LABEL].max(),
                "scrap_operation": last["operation"].where(last[LABEL] == 1, ""),
                "defect": last["defect"],
            }
        ).reset_index(drop=True)


def _leaf(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _number(value: Any) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else np.nan
    )


def table_from_events(
    events: Iterable[MachineEvent], plant: Plant, *, seed: int = 0
) -> QualityTable:
    """The quality table of one run's events (in emission order), finished units only."""
    layout = QualityLayout.of(plant)
    known_eq, known_ops = set(layout.equipment), set(layout.operations)
    hours: dict[str, float] = {}  # equipment path -> operating hours since its last wear repair
    open_units: dict[str, list[dict[str, Any]]] = {}
    history: dict[str, dict[str, Any]] = {}
    done: list[dict[str, Any]] = []
    last_row: dict[str, dict[str, Any]] = {}
    for ev in events:
        if ev.kind is EventKind.REPAIR and ev.payload.get("cause") == "wear":
            hours[ev.equipment] = 0.0
        elif ev.kind is EventKind.PART_SCRAP and ev.serial in last_row:
            last_row[ev.serial]["defect"] = str(ev.payload.get("defect") or "")
        elif ev.kind is EventKind.PART_COMPLETE and ev.serial:
            p = ev.payload
            op, eq = str(p.get("operation", "")), _leaf(ev.equipment)
            if op not in known_ops:
                raise DataError(
                    f"part_complete event {ev.seq} of {ev.equipment}: operation {op!r} is not "
                    f"in plant {plant.name!r} (operations: {', '.join(layout.operations)})"
                )
            if eq not in known_eq:
                raise DataError(
                    f"part_complete event {ev.seq}: equipment {ev.equipment!r} runs no "
                    f"operation of plant {plant.name!r}"
                )
            cycle = _number(p.get("cycle_time_s"))
            std = _number(p.get("standard_time_s"))
            hours[ev.equipment] = hours.get(ev.equipment, 0.0) + (
                0.0 if np.isnan(cycle) else cycle / 3600.0
            )
            own = {
                "tool_wear": _number(p.get("tool_wear")),
                "cycle_ratio": cycle / std if std and std > 0 else np.nan,
                "equipment_hours": hours[ev.equipment],
            }
            process = p.get("process") or {}
            prev = history.setdefault(ev.serial, {})
            good = bool(p.get("good", True))
            row: dict[str, Any] = {
                "seed": seed,
                "serial": ev.serial,
                "order_id": ev.order_id or "",
                "ts_ns": ev.ts_ns,
                "scrap": 0 if good else 1,
                "defect": "",
                "product": str(p.get("product", "")),
                "operation": op,
                "equipment": eq,
                **own,
                **{f"process.{k}": _number(process.get(k)) for k in layout.process_keys},
                **prev,
            }
            rows = open_units.setdefault(ev.serial, [])
            rows.append(row)
            last_row[ev.serial] = row
            if not good or p.get("last"):
                done.extend(open_units.pop(ev.serial))
                del history[ev.serial]
            elif op in layout.history:  # the unit's record of this step for the next ones
                prev.update({f"prev.{op}.{k}": v for k, v in own.items()})
                prev[f"prev.{op}.equipment"] = eq
                keys, measured = layout.history[op]
                prev.update({f"prev.{op}.process.{k}": _number(process.get(k)) for k in keys})
                values = p.get("measurements") or {}
                prev.update({f"prev.{op}.{m}": _number(values.get(m)) for m in measured})
    return _frame(done, layout)


def _frame(rows: Sequence[dict[str, Any]], layout: QualityLayout) -> QualityTable:
    cols = [*META, *layout.inputs]
    frame = pd.DataFrame.from_records(list(rows), columns=cols)
    for c in layout.categorical:
        frame[c] = frame[c].fillna("").astype(str)
    frame[layout.numeric] = frame[layout.numeric].astype(float)
    frame["scrap"] = frame["scrap"].astype(np.int64)
    return QualityTable(frame, layout)


def concat(tables: Sequence[QualityTable]) -> QualityTable:
    if not tables:
        raise DataError("no quality tables to join")
    return QualityTable(pd.concat([t.frame for t in tables], ignore_index=True), tables[0].layout)


def read_events(path: Path) -> list[MachineEvent]:
    """Machine events from a JSON-lines file (one :meth:`MachineEvent.to_dict` a line, in
    emission order); a bad line is a :class:`DataError` naming the file and line."""
    if not path.is_file():
        raise DataError(f"--data: no file {path}")
    out = []
    with path.open(encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                if not isinstance(doc, dict):
                    raise ValueError("not a JSON object")
                out.append(MachineEvent.from_dict(doc))
            except (ValueError, DecodeError) as exc:
                raise DataError(f"--data {path} line {no}: not a machine event: {exc}") from None
    if not out:
        raise DataError(f"--data {path}: no machine events")
    return out


def simulate_table(plant: Plant, seeds: Sequence[int], hours: float) -> QualityTable:
    """Run the virtual plant ``hours`` per seed in virtual time; the quality table of all."""
    from shopfloor.sim import Recorder, run_virtual

    tables = []
    for seed in seeds:
        rec = Recorder(values=False)
        run_virtual(plant, hours, seed, outlet=rec, emit_values=False)
        tables.append(table_from_events(rec.events, plant, seed=seed))
    return concat(tables)


_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def parse_seeds(text: str, option: str) -> list[int]:
    """``"1-4"`` -> [1, 2, 3, 4]; ``"1,3,7-8"`` -> [1, 3, 7, 8]; errors name ``option``."""
    seeds: list[int] = []
    for part in text.split(","):
        m = _RANGE.match(part)
        if not m:
            raise DataError(f"{option}: {text!r} is not a seed range such as 1-4 or 1,3,5")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise DataError(f"{option}: range {part.strip()!r} runs backwards")
        if hi - lo >= 1000:
            raise DataError(f"{option}: range {part.strip()!r} has more than 1000 seeds")
        seeds.extend(range(lo, hi + 1))
    if len(set(seeds)) != len(seeds):
        raise DataError(f"{option}: {text!r} names a seed twice")
    return seeds
