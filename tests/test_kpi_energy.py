"""Energy: baselines, EnPI, carbon with its source, energy per unit from a line meter."""

from __future__ import annotations

import pytest

from shopfloor.errors import BadInput
from shopfloor.events import EventKind as K
from shopfloor.events import MachineEvent
from shopfloor.kpi import (
    CN_GRID_2022,
    EmissionFactor,
    EnergySettings,
    KpiBook,
    Window,
    enpi,
    evaluate,
    fit_linear,
    fit_ratio,
)
from shopfloor.plant import load_plant
from shopfloor.samples import Quality, Sample

DEMO = load_plant("demo")
LINE2 = "suzhou/assembly/line2"
METER = f"{LINE2}/utilities/meter-l2"
PACK = f"{LINE2}/packing/pack-01"
M = 60_000_000_000


def test_ratio_baseline_and_enpi() -> None:
    base = fit_ratio([(100, 250.0), (50, 130.0)])
    assert base.kwh_per_unit == pytest.approx(380 / 150)
    e = enpi(240.0, 100, base)
    assert e.expected_kwh == pytest.approx(253.333333)
    assert e.ratio == pytest.approx(240 / 253.333333)
    assert e.savings_kwh == pytest.approx(13.333333)
    with pytest.raises(BadInput, match="produced nothing"):
        fit_ratio([(0, 10.0)])


def test_linear_baseline_separates_fixed_load_from_energy_per_unit() -> None:
    points = [(u, 40.0 + 2.5 * u) for u in (0, 10, 30, 60)]  # 40 kWh base load, 2.5 kWh/unit
    base = fit_linear(points)
    assert (base.a, base.b, base.r2, base.n) == (pytest.approx(40), pytest.approx(2.5), 1.0, 4)
    assert enpi(120.0, 40, base).ratio == pytest.approx(120 / 140)
    noisy = fit_linear([(10, 70.0), (20, 85.0), (30, 125.0)])
    assert noisy.b == pytest.approx(2.75) and 0 < (noisy.r2 or 0) < 1
    with pytest.raises(BadInput, match="two periods with different output"):
        fit_linear([(10, 70.0), (10, 75.0)])
    with pytest.raises(BadInput, match="point 1: kwh must be >= 0"):
        fit_linear([(10, 70.0), (20, -1.0)])


def test_emission_factor_says_where_it_comes_from() -> None:
    assert CN_GRID_2022.kg_per_kwh == 0.5366 and CN_GRID_2022.year == 2022
    assert "2022" in CN_GRID_2022.source and CN_GRID_2022.co2e_kg(1000) == pytest.approx(536.6)
    with pytest.raises(BadInput, match="kg CO2e per kWh >= 0"):
        EmissionFactor(-0.1, "nowhere")
    with pytest.raises(BadInput, match="source must name"):
        EmissionFactor(0.5, " ")


def _line2_events() -> list[MachineEvent]:
    """Line 2's meter and its packing table (no meter of its own) over one hour."""
    t0 = 1_736_143_200_000_000_000

    def meter(minute: int, kwh: float) -> MachineEvent:
        return MachineEvent(
            K.ENERGY,
            METER,
            t0 + minute * M,
            payload={"kwh": 0.0, "kw": 0.0, "line": LINE2, "line_kwh": kwh, "line_kw": 30.0},
        )

    def packed(minute: int, serial: str, good: bool) -> MachineEvent:
        return MachineEvent(
            K.PART_COMPLETE,
            PACK,
            t0 + minute * M,
            serial,
            "O-7",
            {"product": "pump-a", "operation": "pack", "good": good, "standard_time_s": 40.0},
        )

    return [
        MachineEvent(K.STATE_CHANGE, PACK, t0, payload={"state": "Execute"}),
        meter(0, 1000.0),
        packed(10, "P1", True),
        meter(20, 1010.0),
        packed(30, "P2", True),
        packed(40, "P3", False),
        meter(60, 1030.0),
    ]


def test_line_energy_per_unit_and_carbon_from_the_line_meter() -> None:
    factor = EmissionFactor(0.6, "contract with the utility", 2024)
    book = KpiBook(DEMO, energy=EnergySettings(factor))
    assert book.feed_many(_line2_events()) == 0
    r = book.report()
    line = r.lines[LINE2]
    assert r.line_kwh_source[LINE2] == "meter"
    assert (line.pq, line.gq, line.kwh) == (3, 2, pytest.approx(30.0))
    k = evaluate(line)
    assert k["kwh_per_unit"] == pytest.approx(10.0)
    assert k["kwh_per_good_unit"] == pytest.approx(15.0)
    assert k["kwh_per_value"] == pytest.approx(30.0 / (2 * 1450))
    assert k["co2e_per_unit"] == pytest.approx(10.0 * 0.6)
    assert r.to_json()["emission_factor"]["source"] == "contract with the utility"
    assert r.orders["O-7"].pq == 3 and r.equipment[PACK].kwh is None
    half = KpiBook(DEMO, Window(None, 1_736_143_200_000_000_000 + 30 * M))
    half.feed_many(_line2_events())
    assert half.report().lines[LINE2].kwh == pytest.approx(10.0 + 5.0)  # clipped at 30 min


def test_a_line_meter_reporting_as_a_tag_feeds_line_energy() -> None:
    t0 = 1_736_143_200_000_000_000
    tag = f"{METER}/energy"
    book = KpiBook(DEMO)
    book.feed_many(e for e in _line2_events() if e.equipment != METER)
    fed = [
        book.feed_sample(Sample(tag, t0, 500.0)),
        book.feed_sample(Sample(tag, t0 + 30 * M, 512.0)),
        book.feed_sample(Sample(tag, t0 + 45 * M, None, Quality.BAD)),  # a dropout: skipped
        book.feed_sample(Sample(f"{METER}/voltage_l1", t0 + 50 * M, 230.0)),  # not energy
        book.feed_sample(Sample(tag, t0 + 60 * M, 524.0)),
        book.feed_sample(Sample(tag, t0 + 59 * M, 523.0)),  # out of time order
        book.feed_sample(Sample(tag, t0 + 61 * M, "n/a")),
    ]
    assert fed == [True, True, False, False, True, False, False]
    assert book.rejected_count == 2
    assert "older than the line meter's last reading" in book.rejected[0][1]
    r = book.report()
    assert r.line_kwh_source[LINE2] == "meter" and r.lines[LINE2].kwh == pytest.approx(24.0)
    assert evaluate(r.lines[LINE2])["kwh_per_unit"] == pytest.approx(8.0)
