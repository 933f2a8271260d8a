"""The KPI registry: each formula with its id, names, formula text, unit, trend and reference.

Adding a KPI is adding a row. The built-in KPIs (:mod:`shopfloor.kpi.formulas`) register
through :func:`register`, the same function a third party calls; an installed package can also
ship KPIs through the ``shopfloor.kpi`` entry point group, whose entry points name a
:class:`Kpi` or a sequence of them. :func:`registry` loads both, once::

    [project.entry-points."shopfloor.kpi"]
    acme = "acme_kpis:KPIS"

A KPI id is ``<namespace>.<key>`` (``iso22400.oee``); the key (``oee``) names the value in
reports, so both are unique.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import entry_points

from shopfloor.errors import BadInput, ConfigError
from shopfloor.kpi.basket import Basket

ENTRY_POINT_GROUP = "shopfloor.kpi"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


class Trend(StrEnum):
    HIGHER = "higher is better"
    LOWER = "lower is better"


Compute = Callable[[Basket], float | None]


@dataclass(frozen=True)
class Kpi:
    """One KPI: ``compute`` returns None when it is undefined (a zero denominator)."""

    id: str
    name: str
    name_zh: str
    formula: str
    unit: str
    trend: Trend
    reference: str
    compute: Compute

    @property
    def key(self) -> str:
        return self.id.split(".", 1)[1]


_REGISTRY: dict[str, Kpi] = {}
_loaded = False


def register(kpi: Kpi, *, replace: bool = False) -> Kpi:
    """Add ``kpi`` to the registry; ``replace`` allows redefining an id deliberately."""
    if not isinstance(kpi, Kpi):
        raise BadInput(f"register() takes a Kpi, not {type(kpi).__name__}")
    if not _ID_RE.match(kpi.id):
        raise BadInput(f"KPI id {kpi.id!r} must look like 'namespace.key' ([a-z0-9_])")
    for field_name in ("name", "name_zh", "formula", "unit", "reference"):
        if not str(getattr(kpi, field_name)).strip():
            raise BadInput(f"KPI {kpi.id}: {field_name} must not be empty")
    if not callable(kpi.compute):
        raise BadInput(f"KPI {kpi.id}: compute must be callable")
    clash = next((k for k in _REGISTRY.values() if k.key == kpi.key and k.id != kpi.id), None)
    if clash is not None:
        raise BadInput(f"KPI {kpi.id}: key {kpi.key!r} is taken by {clash.id}")
    if kpi.id in _REGISTRY and not replace:
        raise BadInput(f"KPI {kpi.id} is registered already")
    _REGISTRY[kpi.id] = kpi
    return kpi


def unregister(kpi_id: str) -> None:
    """Remove a KPI (a plugin being unloaded, tests)."""
    if _REGISTRY.pop(kpi_id, None) is None:
        raise BadInput(f"KPI {kpi_id!r} is not registered")


def load_entry_points(group: str = ENTRY_POINT_GROUP) -> list[str]:
    """Register the KPIs of every installed ``group`` entry point; returns their ids."""
    ids: list[str] = []
    for ep in entry_points(group=group):
        try:
            obj = ep.load()
        except Exception as exc:
            raise ConfigError(
                f"KPI entry point {ep.name!r} ({ep.value}) fails to load: {exc}"
            ) from exc
        items: Sequence[object] = obj if isinstance(obj, list | tuple) else [obj]
        for item in items:
            if not isinstance(item, Kpi):
                raise ConfigError(
                    f"KPI entry point {ep.name!r} ({ep.value}) gives a "
                    f"{type(item).__name__}, not a Kpi"
                )
            ids.append(register(item).id)
    return ids


def registry() -> Mapping[str, Kpi]:
    """Every registered KPI by id: the built-ins, then the entry points (loaded once)."""
    global _loaded
    if not _loaded:
        _loaded = True
        importlib.import_module("shopfloor.kpi.formulas")
        load_entry_points()
    return _REGISTRY


def get(ref: str) -> Kpi:
    """A KPI by id (``iso22400.oee``) or key (``oee``)."""
    reg = registry()
    if ref in reg:
        return reg[ref]
    for k in reg.values():
        if k.key == ref:
            return k
    raise BadInput(f"unknown KPI {ref!r}; known: {', '.join(sorted(reg))}")


def evaluate(basket: Basket, kpis: Sequence[Kpi] | None = None) -> dict[str, float | None]:
    """Every KPI (or those given) of ``basket``, by key."""
    chosen = list(registry().values()) if kpis is None else list(kpis)
    return {k.key: k.compute(basket) for k in chosen}
