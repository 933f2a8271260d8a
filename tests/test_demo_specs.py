"""The demo plant's shipped quality specs are loaded into an MES that has none, never over a
plant's own."""

from __future__ import annotations

from pathlib import Path

from shopfloor.mes import open_mes
from shopfloor.runtime.demo_specs import ExampleSpecs, example_specs


async def test_loaded_when_none_kept_when_the_plant_has_its_own(tmp_path: Path) -> None:
    assert example_specs("demo") is not None and example_specs("smt") is None
    with open_mes(f"sqlite:///{tmp_path / 'a.sqlite'}", plant="demo") as mes:
        await ExampleSpecs(mes, "demo").start()
        assert len(mes.quality.specs()) == 10
    own = tmp_path / "own.yaml"
    own.write_text(
        "schema: shopfloor.mes.quality/v1\nspecs:\n"
        "  - {product: pump-a, characteristic: flow_rate, nominal: 100, lsl: 90, usl: 110}\n"
    )
    with open_mes(f"sqlite:///{tmp_path / 'b.sqlite'}", plant="demo") as mes:
        mes.quality.load_specs(own)
        await ExampleSpecs(mes, "demo").start()
        assert [(s.product, s.nominal) for s in mes.quality.specs()] == [("pump-a", 100.0)]
