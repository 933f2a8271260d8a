"""Quality: specs from YAML, inspection results, NCR dispositions, SPC alarms, capability."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from shopfloor.clock import VirtualClock
from shopfloor.errors import BadInput, ValidationFailed
from shopfloor.mes import IllegalTransition, MesService
from tests.test_mes_support import (  # noqa: F401 - fixtures
    Events,
    clock_fixture,
    db_url_fixture,
    mes_fixture,
    path,
    pg_database_fixture,
    sqlite_template_fixture,
)

DEMO_SPECS = Path(str(resources.files("shopfloor.mes").joinpath("examples/demo-quality.yaml")))


def test_specs_load_from_yaml_and_bad_files_name_each_error(
    mes: MesService, tmp_path: Path
) -> None:
    loaded = mes.quality.load_specs(DEMO_SPECS)
    assert len(loaded) == 10
    bore = mes.quality.spec("housing-a", "bore_diameter")
    assert (bore.nominal, bore.lsl, bore.usl, bore.unit) == (52.0, 51.985, 52.015, "mm")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "schema: shopfloor.mes.quality/v1\nspecs:\n"
        "  - {product: nope, characteristic: a, usl: 1}\n"
        "  - {product: pump-a, characteristic: b}\n"
        "  - {product: pump-a, characteristic: c, lsl: 2, usl: 1}\n"
        "  - {product: pump-a, characteristic: d, usl: 1, colour: red}\n"
    )
    with pytest.raises(ValidationFailed) as exc:
        mes.quality.load_specs(bad)
    paths = [p for p, _m in exc.value.errors]
    assert paths == ["specs[1]", "specs[2]", "specs[3].colour"]
    assert "needs lsl, usl or both" in exc.value.message
    bad.write_text(
        "schema: shopfloor.mes.quality/v1\nspecs:\n  - {product: nope, characteristic: a, usl: 1}\n"
    )
    with pytest.raises(ValidationFailed, match=r"specs\[0\].product: unknown product 'nope'"):
        mes.quality.load_specs(bad)
    with pytest.raises(BadInput, match=r"nominal .* is outside usl"):
        mes.quality.set_spec("pump-a", "leak_rate", nominal=3.0, usl=2.0)


def test_measurements_are_judged_and_out_of_spec_raises_an_ncr(
    mes: MesService, clock: VirtualClock
) -> None:
    mes.quality.load_specs(DEMO_SPECS)
    ev = Events(clock)
    mes.apply_many(
        ev.part(
            "cmm-01",
            "H-1",
            None,
            "housing-a",
            "measure",
            40,
            measurements={"bore_diameter": 52.004, "flatness": 9.0},
        )
    )
    mes.apply_many(
        ev.part(
            "cmm-01",
            "H-2",
            None,
            "housing-a",
            "measure",
            40,
            good=False,
            measurements={"bore_diameter": 52.031, "roundness": 3.0},
        )
    )
    results = mes.quality.results("housing-a", "bore_diameter")
    assert [(r.serial, r.value, r.in_spec) for r in results] == [
        ("H-1", 52.004, True),
        ("H-2", 52.031, False),
    ]
    assert mes.quality.results("housing-a", "roundness")[0].in_spec is None  # no spec
    (ncr,) = mes.ncr.list()
    assert (ncr.serial, ncr.characteristic, ncr.status) == ("H-2", "bore_diameter", "open")
    assert ncr.description == "bore_diameter 52.031 mm is above usl 52.015"


def test_ncr_dispositions_and_their_state_machine(mes: MesService, clock: VirtualClock) -> None:
    ev = Events(clock)
    for serial in ("H-1", "H-2", "H-3"):
        mes.apply_many(ev.part("lathe-01", serial, None, "housing-a", "turn", 10))
    with pytest.raises(BadInput, match="about a unit or a lot"):
        mes.ncr.create("burr on flange")
    a = mes.ncr.create("burr on flange", serial="H-1", who="qa")
    b = mes.ncr.create("porosity", serial="H-2", who="qa")
    c = mes.ncr.create("scratch", serial="H-3", who="qa")
    with pytest.raises(IllegalTransition, match=r"cannot close NCR .* it is open"):
        mes.ncr.close(a.id, who="qa")
    with pytest.raises(BadInput, match="'melt' is not one of rework, scrap, use_as_is"):
        mes.ncr.disposition(a.id, "melt", who="qa")
    assert mes.ncr.disposition(a.id, "rework", who="mrb").disposition == "rework"
    assert mes.material.unit("H-1")["status"] == "rework"
    assert mes.ncr.close(a.id, who="qa", note="deburred").status == "closed"
    assert mes.material.unit("H-1")["status"] == "in_process"
    mes.ncr.disposition(b.id, "scrap", who="mrb")
    assert mes.material.unit("H-2")["status"] == "scrapped"
    mes.ncr.disposition(c.id, "use_as_is", who="mrb", note="cosmetic, customer agreed")
    assert mes.ncr.reopen(c.id, who="qa").status == "open"
    assert mes.ncr.get(c.id).disposition is None
    with pytest.raises(IllegalTransition, match="closed is final"):
        mes.ncr.reopen(a.id, who="qa")
    steps = [(h.from_status, h.to_status, h.disposition, h.who) for h in mes.ncr.history(a.id)]
    assert steps == [
        (None, "open", None, "qa"),
        ("open", "dispositioned", "rework", "mrb"),
        ("dispositioned", "closed", "rework", "qa"),
    ]
    assert [n.id for n in mes.ncr.list(status="open")] == [c.id]


def test_spc_violations_raise_alarms_once(mes: MesService, clock: VirtualClock) -> None:
    mes.quality.load_specs(DEMO_SPECS)
    ev = Events(clock)
    noise = [
        0.3,
        -0.8,
        1.2,
        0.1,
        -1.4,
        0.6,
        -0.2,
        0.9,
        -0.5,
        1.6,
        -1.1,
        0.4,
        -0.1,
        -0.7,
        1.1,
        0.2,
        -1.3,
        0.8,
        0.0,
        -0.4,
    ]
    values = [52.0 + 0.002 * z for z in noise] + [52.0 + 0.003 + 0.0005 * k for k in range(9)]
    for k, v in enumerate(values):
        mes.apply_many(
            ev.part(
                "cmm-01",
                f"H-{k}",
                None,
                "housing-a",
                "measure",
                40,
                measurements={"bore_diameter": v},
            )
        )
    out = mes.spc.evaluate("housing-a", "bore_diameter", chart="imr")
    rules = {v["rule"] for v in out["violations"]}
    assert "N2" in rules and "N3" in rules  # a shift and a trend at the end
    n2 = next(v for v in out["violations"] if v["rule"] == "N2")
    assert n2["serials"][-1] == "H-28" and n2["chart"] == "i"
    cap = out["capability"]
    assert cap["cp"] is not None and cap["cpk"] < cap["cp"]
    alarms = mes.alarms.list()
    assert {a.code for a in alarms} >= {"spc.N2", "spc.N3"}
    assert all(a.source == "spc" and a.state == "unack_cleared" for a in alarms)
    assert {a.equipment for a in alarms} == {path("cmm-01")}
    again = mes.spc.evaluate("housing-a", "bore_diameter", chart="imr")
    assert again["alarms"] == [] and len(mes.alarms.list()) == len(alarms)
    xr = mes.spc.evaluate("housing-a", "bore_diameter", chart="xbar_r", subgroup=4, alarms=False)
    assert [c["kind"] for c in xr["charts"]] == ["xbar", "r"]
    assert len(xr["charts"][0]["points"]) == 7
    p = mes.spc.evaluate("housing-a", "bore_diameter", chart="p", subgroup=5, alarms=False)
    assert p["charts"][0]["points"] == [0.0] * 5
    u = mes.spc.evaluate("housing-a", None, chart="u", subgroup=5, alarms=False)
    assert u["charts"][0]["kind"] == "u"
    with pytest.raises(BadInput, match="chart: 'pie' is not one of"):
        mes.spc.evaluate("housing-a", "bore_diameter", chart="pie")
    with pytest.raises(BadInput, match="0 result"):
        mes.spc.evaluate("housing-a", "flatness")
