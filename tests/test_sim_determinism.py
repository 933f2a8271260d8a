"""One seed, one run: the same seed reproduces exactly; an outlet does not change production."""

from __future__ import annotations

from shopfloor.plant import load_plant
from shopfloor.sim import run_virtual
from shopfloor.sim.recorder import Recorder

DEMO = load_plant("demo")


def test_the_same_seed_gives_the_same_run() -> None:
    a = run_virtual(DEMO, 6, 11)
    b = run_virtual(DEMO, 6, 11)
    assert a.truth.to_dict() == b.truth.to_dict()
    assert a.orders == b.orders


def test_different_seeds_give_different_runs() -> None:
    a = run_virtual(DEMO, 6, 11).truth.to_dict()
    b = run_virtual(DEMO, 6, 12).truth.to_dict()
    assert a["equipment"] != b["equipment"]


def test_an_outlet_does_not_change_the_production_outcome() -> None:
    bare = run_virtual(DEMO, 0.1, 5)
    rec = Recorder(values=False)
    served = run_virtual(DEMO, 0.1, 5, outlet=rec)
    assert rec.value_count > 50_000 and rec.events
    assert served.truth.to_dict() == bare.truth.to_dict()


def test_the_same_seed_gives_the_same_events_and_values() -> None:
    a, b = Recorder(), Recorder()
    run_virtual(DEMO, 0.02, 8, outlet=a)
    run_virtual(DEMO, 0.02, 8, outlet=b)
    assert a.events == b.events
    assert a.values == b.values
    assert len(a.blocks) == len(b.blocks)
    assert all((x.values == y.values).all() for x, y in zip(a.blocks, b.blocks, strict=True))
