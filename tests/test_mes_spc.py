"""SPC (pure): control limits against textbook values, the constants table, Nelson and Western
Electric rules on constructed series, capability indices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shopfloor.errors import BadInput
from shopfloor.mes import nelson, spc

# ---- constants ----------------------------------------------------------------------------------


def _phi(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def _range_moments(n: int) -> tuple[float, float]:
    """d2 and d3: mean and standard deviation of the range of n standard normal values,
    integrating the density of the range f(w) = n (n-1) int phi(x) phi(x+w) (F(x+w)-F(x))^(n-2)
    on a grid of step h (x + w falls on the same grid, so F and phi are tabulated once)."""
    h, nx, nw = 0.01, 1601, 1201
    t = -8 + h * np.arange(nx + nw)
    cdf, pdf = _phi(t), np.exp(-(t**2) / 2) / math.sqrt(2 * math.pi)
    i, j = np.arange(nx)[:, None], np.arange(nw)[None, :]
    inner = pdf[i] * pdf[i + j] * (cdf[i + j] - cdf[i]) ** (n - 2)
    dens = n * (n - 1) * np.trapezoid(inner, dx=h, axis=0)
    w = h * np.arange(nw)
    mean = float(np.trapezoid(w * dens, w))
    return mean, math.sqrt(float(np.trapezoid(w**2 * dens, w)) - mean * mean)


@pytest.mark.parametrize("n", [2, 3, 5, 8, 10, 15, 25])
def test_constants_table_agrees_with_the_normal_range_distribution(n: int) -> None:
    d2, d3 = _range_moments(n)
    assert spc.d2(n) == pytest.approx(d2, abs=0.0015)
    assert spc.d3(n) == pytest.approx(d3, abs=0.003)
    assert spc.A2(n) == pytest.approx(3 / (d2 * math.sqrt(n)), abs=0.0015)
    assert spc.D4(n) == pytest.approx(1 + 3 * d3 / d2, abs=0.004)
    assert spc.D3(n) == pytest.approx(max(0.0, 1 - 3 * d3 / d2), abs=0.004)
    c4 = math.sqrt(2 / (n - 1)) * math.gamma(n / 2) / math.gamma((n - 1) / 2)
    assert spc.c4(n) == pytest.approx(c4, abs=0.0001)
    assert pytest.approx(3 / spc.d2(2), abs=0.001) == spc.E2


# ---- charts -------------------------------------------------------------------------------------


def test_xbar_r_limits_of_the_piston_ring_example() -> None:
    """Montgomery, Introduction to SQC, Example 6.1: n = 5, grand mean 74.001, R-bar 0.023
    give X-bar limits 73.988 / 74.014 and R limits 0 / 0.049."""
    means = [74.001 + 0.001 * ((k % 5) - 2) for k in range(25)]
    offsets = [-0.0115, -0.004, 0.0, 0.004, 0.0115]
    xbar, r = spc.xbar_r([[m + o for o in offsets] for m in means])
    assert xbar.center == pytest.approx(74.001, abs=1e-9)
    assert r.center == pytest.approx(0.023, abs=1e-9)
    assert round(xbar.ucl[0], 3) == 74.014 and round(xbar.lcl[0], 3) == 73.988
    assert round(r.ucl[0], 3) == 0.049 and r.lcl[0] == 0.0
    assert xbar.out_of_limits() == [] and r.out_of_limits() == []


def test_xbar_r_small_hand_example() -> None:
    xbar, r = spc.xbar_r([[1, 2, 3, 4], [2, 4, 6, 8], [3, 3, 3, 3]])
    # means 2.5, 5, 3 -> 3.5; ranges 3, 6, 0 -> 3; n = 4: A2 0.729, D4 2.282, D3 0
    assert xbar.points == (2.5, 5.0, 3.0) and r.points == (3.0, 6.0, 0.0)
    assert xbar.ucl[0] == pytest.approx(3.5 + 0.729 * 3)
    assert xbar.lcl[0] == pytest.approx(3.5 - 0.729 * 3)
    assert r.ucl[0] == pytest.approx(2.282 * 3) and r.lcl[0] == 0.0
    with pytest.raises(BadInput, match=r"subgroups\[1\]: has 3 values, the first has 4"):
        spc.xbar_r([[1, 2, 3, 4], [1, 2, 3]])
    with pytest.raises(BadInput, match=r"subgroup size: must be 2\.\.25"):
        spc.xbar_r([[1.0], [2.0]])


def test_individuals_and_moving_range() -> None:
    i, mr = spc.i_mr([10, 12, 11, 13, 12])
    assert mr.points == (2, 1, 2, 1) and mr.center == 1.5
    assert i.center == pytest.approx(11.6)
    assert i.ucl[0] == pytest.approx(11.6 + 2.66 * 1.5)
    assert i.lcl[0] == pytest.approx(11.6 - 2.66 * 1.5)
    assert mr.ucl[0] == pytest.approx(3.267 * 1.5)
    assert i.zscores()[3] == pytest.approx((13 - 11.6) / (1.5 / 1.128))
    with pytest.raises(BadInput, match=r"values\[1\]: must be a finite number"):
        spc.i_mr([1.0, float("nan")])


def test_p_chart_limits_vary_with_sample_size() -> None:
    p = spc.p_chart([2, 3, 1, 4], [50, 50, 50, 50])
    assert p.center == pytest.approx(0.05)
    assert p.ucl[0] == pytest.approx(0.05 + 3 * math.sqrt(0.05 * 0.95 / 50))
    assert p.lcl[0] == 0.0
    q = spc.p_chart([10, 2], [100, 25])
    assert q.center == pytest.approx(12 / 125)
    assert q.ucl[1] > q.ucl[0]  # the smaller sample has the wider limits
    with pytest.raises(BadInput, match="sample 0: need 0 <= defectives <= size"):
        spc.p_chart([6], [5])


def test_u_chart() -> None:
    u = spc.u_chart([3, 5, 4], [2, 2, 2])
    assert u.center == 2.0 and u.ucl[0] == pytest.approx(5.0) and u.lcl[0] == 0.0
    assert u.points == (1.5, 2.5, 2.0)


# ---- rules --------------------------------------------------------------------------------------

IN_WITHIN = [0.1, 0.3, -0.2, -0.1, 0.2] * 3  # 15 points within 1 sigma, no other pattern

CONSTRUCTED: dict[str, tuple[list[float], list[tuple[int, ...]]]] = {
    "N1": ([0.2, -0.3, 3.5, 0.1, -3.2], [(2,), (4,)]),
    "N2": ([0.5, 1.2, 0.3, 0.8, 0.4, 0.6, 0.2, 0.9, 0.7, -0.5], [tuple(range(9))]),
    "N3": ([-1.0, -0.6, -0.2, 0.2, 0.6, 1.0, 0.5], [tuple(range(6))]),
    "N4": ([0.5, -0.5] * 7, [tuple(range(14))]),
    "N5": ([0.1, 2.5, 2.4, 0.1, -2.1, 0.3, -2.6], [(1, 2), (4, 6)]),
    "N6": ([1.5, 1.2, 0.2, 1.3, 1.1, -0.2], [(0, 1, 3, 4)]),
    "N7": (IN_WITHIN, [tuple(range(15))]),
    "N8": ([1.5, -1.5, 1.2, -1.3, 1.4, -1.6, 1.1, -1.2], [tuple(range(8))]),
}


@pytest.mark.parametrize("rule", nelson.NELSON)
def test_each_nelson_rule_fires_on_its_constructed_series_and_only_it(rule: str) -> None:
    z, points = CONSTRUCTED[rule]
    found = nelson.check(z)
    assert {v.rule for v in found} == {rule}, [v.to_dict() for v in found]
    assert [v.points for v in found] == points
    assert found[0].name == nelson.RULES[rule]


def test_western_electric_rules() -> None:
    z = [0.5] * 8 + [3.4]
    found = nelson.check(z, nelson.WESTERN_ELECTRIC)
    assert [(v.rule, v.points) for v in found] == [("WE1", (8,)), ("WE4", tuple(range(9)))]
    assert nelson.check([0.5] * 8, ("N2",)) == []  # Nelson wants nine


IN_CONTROL = [
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
] * 3


def test_no_rule_fires_on_an_in_control_process() -> None:
    assert nelson.check(IN_CONTROL, nelson.NELSON + nelson.WESTERN_ELECTRIC) == []
    i, _mr = spc.i_mr([50 + 0.1 * z for z in IN_CONTROL])
    assert nelson.check(i.zscores()) == [] and i.out_of_limits() == []


def test_rules_on_a_chart_use_each_points_sigma() -> None:
    p = spc.p_chart([5, 5, 5, 5, 30], [100, 100, 100, 100, 100])
    found = nelson.check(p.zscores(), ("N1",))
    assert [v.points for v in found] == [(4,)]
    assert p.out_of_limits() == [4]


# ---- capability ---------------------------------------------------------------------------------


def test_capability_indices() -> None:
    values = [10.0, 12.0, 11.0, 11.0, 10.0, 12.0]  # mean 11
    c = spc.capability(values, lsl=8.0, usl=15.0, sigma_within=1.0)
    assert c.mean == pytest.approx(11.0)
    assert c.cp == pytest.approx(7 / 6)
    assert c.cpk == pytest.approx(min(4 / 3, 3 / 3))
    s = float(np.std(values, ddof=1))
    assert c.sigma_overall == pytest.approx(s)
    assert c.pp == pytest.approx(7 / (6 * s))
    assert c.ppk == pytest.approx(3 / (3 * s))
    mr = spc.capability(values, usl=15.0)
    assert mr.sigma_within == pytest.approx((2 + 1 + 0 + 1 + 2) / 5 / 1.128)
    assert mr.cp is None and mr.cpk == pytest.approx(4 / (3 * mr.sigma_within))
    flat = spc.capability([5.0, 5.0, 5.0], lsl=4.0, usl=6.0)
    assert flat.cp is None and flat.pp is None
    with pytest.raises(BadInput, match=r"usl \(1.0\) must be above lsl \(2.0\)"):
        spc.capability(values, lsl=2.0, usl=1.0)
    with pytest.raises(BadInput, match="need a lower or an upper"):
        spc.capability(values)
