"""Quality and cycle time follow the process settings: what optimisation will explore."""

from __future__ import annotations

import pytest

from shopfloor.errors import BadInput
from shopfloor.plant import TimeElement, load_plant
from shopfloor.sim import OrderSpec, run_virtual
from shopfloor.sim.truth import NS

DEMO = load_plant("demo")

MILLS = [f"suzhou/machining/line1/milling/vmc-0{i}" for i in (1, 2, 3)]
ORDERS = [OrderSpec(f"T-{i}", "housing-a", 20, release_s=i * 600.0) for i in range(6)]


def _mills(overrides: dict[str, dict[str, float]] | None) -> tuple[int, int, float]:
    truth = run_virtual(DEMO, 8, 21, orders=ORDERS, process_overrides=overrides).truth
    produced = sum(truth.equipment[m].produced for m in MILLS)
    scrap = sum(truth.equipment[m].scrap for m in MILLS)
    apt = sum(truth.equipment[m].element_ns[TimeElement.APT] for m in MILLS) / NS
    return produced, scrap, apt / produced


def test_pushing_the_feed_rate_shortens_cycles_and_costs_quality() -> None:
    produced, scrap, cycle = _mills(None)
    fast_produced, fast_scrap, fast_cycle = _mills({"housing-a": {"feed_rate": 1500}})
    assert fast_cycle < 0.9 * cycle
    assert fast_scrap / fast_produced > 3 * max(scrap, 1) / produced


def test_orders_given_to_the_twin_are_the_orders_it_runs() -> None:
    result = run_virtual(DEMO, 8, 21, orders=ORDERS)
    assert [o["order_id"] for o in result.orders] == [o.order_id for o in ORDERS]
    assert {o["product"] for o in result.orders} == {"housing-a"}
    line2 = result.truth.lines["suzhou/assembly/line2"]
    assert line2.produced == 0  # no pump orders were given
    with pytest.raises(BadInput, match="unknown product"):
        run_virtual(DEMO, 1, 1, orders=[OrderSpec("X", "widget", 1)])
