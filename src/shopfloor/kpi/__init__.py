"""ISO 22400 KPIs and energy indicators, computed from machine events. Pure: no I/O, no bus.

* :mod:`~shopfloor.kpi.registry`: every KPI with id, names (en, zh), formula, unit, trend and
  reference; :func:`register` adds one (the built-ins use it too; entry point group
  ``shopfloor.kpi``); :func:`evaluate` computes them for a :class:`Basket`.
* :class:`Accumulator`: one equipment's time elements, quantities, energy and failures over a
  :class:`Window`, fed event by event.
* :class:`KpiBook`: every equipment, line, order and product of a plant over a window;
  :meth:`KpiBook.report` gives a :class:`Report`. :class:`PeriodBooks` does the same per shift
  (or any period).
* :mod:`~shopfloor.kpi.energy`: emission factors (carbon), energy baselines and EnPIs.
* :func:`loss_breakdown`: where the planned busy time went.
"""

from shopfloor.kpi.accumulator import Accumulator
from shopfloor.kpi.basket import Basket
from shopfloor.kpi.book import KpiBook
from shopfloor.kpi.energy import (
    CN_GRID_2022,
    EmissionFactor,
    EnergySettings,
    EnPI,
    LinearBaseline,
    RatioBaseline,
    enpi,
    fit_linear,
    fit_ratio,
)
from shopfloor.kpi.grouping import PeriodBooks, Span, energy_points, hours, period_key
from shopfloor.kpi.layout import Layout
from shopfloor.kpi.losses import Losses, loss_breakdown
from shopfloor.kpi.registry import Kpi, Trend, evaluate, get, register, registry
from shopfloor.kpi.report import Report
from shopfloor.kpi.window import Window

__all__ = [
    "CN_GRID_2022",
    "Accumulator",
    "Basket",
    "EmissionFactor",
    "EnPI",
    "EnergySettings",
    "Kpi",
    "KpiBook",
    "Layout",
    "LinearBaseline",
    "Losses",
    "PeriodBooks",
    "RatioBaseline",
    "Report",
    "Span",
    "Trend",
    "Window",
    "energy_points",
    "enpi",
    "evaluate",
    "fit_linear",
    "fit_ratio",
    "get",
    "hours",
    "loss_breakdown",
    "period_key",
    "register",
    "registry",
]
