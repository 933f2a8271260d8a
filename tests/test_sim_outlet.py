"""Tag values: every tag of every networked equipment is driven, at its rate, plausibly."""

from __future__ import annotations

from collections import defaultdict
from importlib import resources

import numpy as np
import pytest
import yaml

from shopfloor.plant import DataType, load_plant
from shopfloor.plant.loader import parse_plant
from shopfloor.plant.states import STATE_BY_CODE
from shopfloor.samples import Quality
from shopfloor.sim import run_virtual
from shopfloor.sim.outlet import TagValue
from shopfloor.sim.recorder import Recorder

DEMO = load_plant("demo")

MINUTES = 6


@pytest.fixture(scope="module")
def recorded() -> Recorder:
    rec = Recorder()
    run_virtual(DEMO, MINUTES / 60, 1, outlet=rec)
    return rec


def _numbers(values: list[TagValue]) -> list[float]:
    return [float(v.value) for v in values if isinstance(v.value, int | float)]


def _series(rec: Recorder) -> dict[str, list[TagValue]]:
    out: dict[str, list[TagValue]] = defaultdict(list)
    for v in rec.values:
        out[v.tag].append(v)
    return out


def test_every_tag_of_every_networked_equipment_gets_values(recorded: Recorder) -> None:
    plant = DEMO
    got = {v.tag for v in recorded.values} | {b.tag for b in recorded.blocks}
    assert got == set(plant.tag_ids())
    series = _series(recorded)
    for path, eq in plant.equipment_by_path.items():
        for tag in eq.tags:
            if tag.high_rate:
                continue
            n = len(series[f"{path}/{tag.name}"])
            assert n == pytest.approx(MINUTES * 60 * tag.rate_hz, abs=1), (path, tag.name)


def test_values_have_the_tag_data_type(recorded: Recorder) -> None:
    plant = DEMO
    types = {
        f"{p}/{t.name}": t.data_type for p, e in plant.equipment_by_path.items() for t in e.tags
    }
    expected = {
        DataType.INT: int,
        DataType.BOOL: bool,
        DataType.STRING: str,
        DataType.FLOAT: float,
        DataType.DOUBLE: float,
    }
    for v in recorded.values:
        if v.value is None:
            assert v.quality is Quality.BAD
            continue
        assert type(v.value) is expected[types[v.tag]], v


def test_high_rate_vibration_comes_in_100_ms_blocks(recorded: Recorder) -> None:
    by_tag: dict[str, list] = defaultdict(list)
    for b in recorded.blocks:
        by_tag[b.tag].append(b)
    assert len(by_tag) == 5  # lathe-01, vmc-01..03, test-01
    for blocks in by_tag.values():
        assert all(b.rate_hz == 1000 and len(b.values) == 100 for b in blocks)
        starts = [b.start_ns for b in blocks]
        assert np.all(np.diff(starts) == 100_000_000)
        assert len(blocks) == MINUTES * 60 * 10
    running = [
        b
        for b in recorded.blocks
        if b.quality is Quality.GOOD and float(np.sqrt(np.mean(b.values**2))) > 0.2
    ]
    assert running  # spindles turn: acceleration well above the noise floor


def test_values_are_plausible(recorded: Recorder) -> None:
    s = _series(recorded)
    vmc = "suzhou/machining/line1/milling/vmc-01"
    states = {STATE_BY_CODE[int(x)] for x in _numbers(s[f"{vmc}/state"])}
    assert states
    speeds = [x for x in _numbers(s[f"{vmc}/spindle_speed"]) if x]
    assert speeds and all(4400 < x < 6100 for x in speeds)
    for tag in ("energy", "part_count"):
        values = _numbers(s[f"{vmc}/{tag}"])
        assert values == sorted(values)
    meter = "suzhou/machining/line1/utilities/meter-l1"
    assert 5 < float(np.mean(_numbers(s[f"{meter}/active_power"]))) < 150
    volts = _numbers(s[f"{meter}/voltage_l1"])
    assert min(volts) > 220 and max(volts) < 240
    battery = _numbers(s["suzhou/machining/line1/handling/agv-01/battery"])
    assert battery and all(0 <= b <= 100 for b in battery)
    temps = _numbers(s[f"{vmc}/spindle_temp"])
    assert min(temps) > 15 and max(temps) < 70


def test_sensors_drop_out_with_bad_quality() -> None:
    text = resources.files("shopfloor.plant.examples").joinpath("demo.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    vmc1 = doc["areas"][0]["lines"][0]["cells"][1]["equipment"][0]
    vmc1["sim"] = {"dropouts": {"per_h": 600, "mean_s": 20}}
    rec = Recorder()
    run_virtual(parse_plant(doc), 0.05, 2, outlet=rec)
    rms = [v for v in rec.values if v.tag.endswith("vmc-01/vibration_rms")]
    bad = [v for v in rms if v.quality is Quality.BAD]
    assert bad and all(v.value is None for v in bad)
    assert len(bad) < len(rms)
    blocks = [b for b in rec.blocks if b.tag.endswith("vmc-01/vibration")]
    assert any(b.quality is Quality.BAD and np.isnan(b.values).all() for b in blocks)
    assert not any(v.quality is Quality.BAD for v in rec.values if "/vmc-02/" in v.tag)
