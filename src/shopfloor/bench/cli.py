"""``shopfloor bench``: every benchmark is a command that prints one JSON object.

Packages contribute benchmarks through a ``register(app)`` function; adding a benchmark is adding
a row to :data:`BENCH_MODULES`. Benchmarks are commands, never timed tests: their figures go to
``docs/benchmarks.md`` with the command that produced them.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(no_args_is_help=True)

#: Modules exposing ``register(app: typer.Typer) -> None``.
BENCH_MODULES: list[str] = [
    "shopfloor.schedule.bench",
    "shopfloor.mes.bench",
    "shopfloor.runtime.bench_serve",
    "shopfloor.runtime.bench_kpi_live",
    "shopfloor.historian.bench",
    "shopfloor.api.bench",
    "shopfloor.maintenance.bench",
    "shopfloor.maintenance.live_bench",
    "shopfloor.web.bench",
]

for _module in BENCH_MODULES:
    try:
        importlib.import_module(_module).register(app)
    except ModuleNotFoundError as _exc:
        if not (_exc.name and _module.startswith(_exc.name)):
            raise
