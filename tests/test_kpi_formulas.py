"""KPI formulas on hand-computed baskets, the loss breakdown, and the registry."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from shopfloor.errors import BadInput, ConfigError
from shopfloor.kpi import Basket, Kpi, Trend, evaluate, get, loss_breakdown, register, registry
from shopfloor.kpi.registry import load_entry_points, unregister
from shopfloor.plant.states import TimeElement as E

S = 1_000_000_000


def basket(**seconds: float) -> Basket:
    b = Basket()
    for name, s in seconds.items():
        b.element_ns[E(name.upper())] = round(s * S)
    return b


@pytest.fixture
def b() -> Basket:
    """8 h planned busy: 6 h producing, 0.5 h setup, 1 h failures, 0.5 h starved; 1 h off."""
    b = basket(apt=6 * 3600, asut=1800, adet=3600, adot=1800, pdot=3600)
    b.pq, b.gq, b.sq = 100, 95, 5
    b.pru_s = 100 * 180.0  # 100 units of 3 min standard time = 5 h earned
    b.ip, b.gp = 40, 38
    b.failures, b.repairs, b.ttr_s = 2, 2, 2 * 1800.0
    b.kwh, b.co2e_kg, b.value = 250.0, 134.15, 95 * 400.0
    return b


def test_iso22400_formulas_by_hand(b: Basket) -> None:
    k: dict[str, Any] = evaluate(b)
    assert k["availability"] == pytest.approx(6 / 8)
    assert k["effectiveness"] == pytest.approx(5 / 6)
    assert k["quality_ratio"] == pytest.approx(0.95)
    assert k["oee"] == k["availability"] * k["effectiveness"] * k["quality_ratio"]
    assert k["oee"] == pytest.approx(0.75 * 5 / 6 * 0.95)
    assert k["nee"] == pytest.approx(6.5 / 8 * 5 / 6 * 0.95)
    assert k["technical_efficiency"] == pytest.approx(6 / 7)
    assert k["allocation_efficiency"] == pytest.approx(7.5 / 8)
    assert k["utilisation_efficiency"] == pytest.approx(6 / 7.5)
    assert k["setup_rate"] == pytest.approx(0.5 / 6.5)
    assert k["scrap_ratio"] == pytest.approx(0.05)
    assert k["rework_ratio"] == 0.0
    assert k["first_pass_yield"] == pytest.approx(0.95)
    assert k["output_rate"] == pytest.approx(100 / 8)
    assert k["throughput_rate"] is None  # no AOET for an equipment
    assert k["mtbf"] == pytest.approx(6.5 / 2)  # hours of AUPT per failure
    assert k["mttr"] == pytest.approx(30.0)  # minutes
    assert k["kwh_per_unit"] == pytest.approx(2.5)
    assert k["kwh_per_good_unit"] == pytest.approx(250 / 95)
    assert k["kwh_per_value"] == pytest.approx(250 / 38000)
    assert k["co2e_per_unit"] == pytest.approx(1.3415)
    b.aoet_s = 4 * 3600.0
    assert evaluate(b)["throughput_rate"] == pytest.approx(25.0)


def test_zero_denominators_give_none_not_errors() -> None:
    k = evaluate(Basket())
    assert all(v is None for v in k.values()), k
    idle = basket(adot=3600)
    k = evaluate(idle)
    assert k["availability"] == 0.0 and k["effectiveness"] is None and k["oee"] is None
    assert k["kwh_per_unit"] is None  # not metered is not zero energy


def test_loss_breakdown_adds_up_to_pbt(b: Basket) -> None:
    losses = loss_breakdown(b)
    s = losses.to_dict()["seconds"]
    assert s["availability_adet"] == 3600 and s["availability_adot"] == 1800
    assert s["availability_asut"] == 1800 and s["availability"] == 7200
    assert s["performance"] == pytest.approx(3600)  # 6 h producing, 5 h earned
    assert s["quality"] == pytest.approx(18000 * 0.05)
    f = losses.fractions()
    parts = ("availability", "performance", "quality", "productive")
    assert sum(f[p] or 0 for p in parts) == pytest.approx(1.0)
    assert f["productive"] == pytest.approx(evaluate(b)["oee"])
    assert all(v is None for v in loss_breakdown(Basket()).fractions().values())


def test_basket_add_sums_and_keeps_none() -> None:
    a, c = basket(apt=10), basket(apt=5, adot=5)
    a.pq, c.pq, c.kwh = 1, 2, 3.0
    a.add(c)
    assert a.element_ns[E.APT] == 15 * S and a.pbt == 20 and a.pq == 3 and a.kwh == 3.0
    assert a.co2e_kg is None


def test_registry_rows_are_complete_and_unique() -> None:
    reg = registry()
    assert {"iso22400.oee", "iso22400.availability", "iso22400.mtbf"} <= set(reg)
    keys = [k.key for k in reg.values()]
    assert len(keys) == len(set(keys))
    for k in reg.values():
        assert k.name and k.name_zh and k.formula and k.unit and k.reference
        assert isinstance(k.trend, Trend)
    assert get("oee") is get("iso22400.oee")
    with pytest.raises(BadInput, match="unknown KPI 'nope'"):
        get("nope")


def _kpi(kpi_id: str) -> Kpi:
    return Kpi(
        kpi_id, "Good share", "合格占比", "GQ / PQ", "1", Trend.HIGHER, "test", lambda b: 1.0
    )


def test_a_third_party_kpi_registers_like_a_builtin(b: Basket) -> None:
    register(_kpi("acme.good_share"))
    try:
        assert evaluate(b)["good_share"] == 1.0
        with pytest.raises(BadInput, match="registered already"):
            register(_kpi("acme.good_share"))
        with pytest.raises(BadInput, match=r"key 'oee' is taken by iso22400\.oee"):
            register(_kpi("acme.oee"))
    finally:
        unregister("acme.good_share")
    with pytest.raises(BadInput, match=r"'namespace\.key'"):
        register(_kpi("NoDot"))
    assert "good_share" not in evaluate(b)


def test_entry_points_of_an_installed_package_are_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "acme_kpis.py").write_text(
        textwrap.dedent(
            """
            from shopfloor.kpi import Kpi, Trend

            KPIS = [Kpi("acme.scrap_per_hour", "Scrap per hour", "每小时废品", "SQ / PBT",
                        "1/h", Trend.LOWER, "acme", lambda b: None)]
            NOT_A_KPI = 42
            """
        )
    )
    dist = tmp_path / "acme_kpis-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-kpis\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[test.kpi.ok]\nacme = acme_kpis:KPIS\n\n[test.kpi.bad]\nacme = acme_kpis:NOT_A_KPI\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert load_entry_points("test.kpi.ok") == ["acme.scrap_per_hour"]
        assert get("scrap_per_hour").reference == "acme"
        with pytest.raises(ConfigError, match="gives a int, not a Kpi"):
            load_entry_points("test.kpi.bad")
    finally:
        unregister("acme.scrap_per_hour")
        sys.modules.pop("acme_kpis", None)
