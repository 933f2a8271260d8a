"""Statistical process control: control charts and process capability (pure functions).

Charts: X-bar/R (subgroups of 2..25), individuals and moving range (I-MR), p (fraction
defective, varying sample size) and u (defects per unit). Each chart gives its points, centre
line and per-point control limits, and the points as z-scores (distance from the centre in sigma
of that point) on which :mod:`shopfloor.mes.nelson` finds the rule violations.

Constants are the standard table (ASTM E2587, Montgomery, *Introduction to Statistical Quality
Control*, Appendix VI): d2 and d3 (mean and standard deviation of the range of n normal values),
A2 = 3 / (d2 sqrt n), D3 = max(0, 1 - 3 d3 / d2), D4 = 1 + 3 d3 / d2, E2 = 3 / d2 (for moving
ranges of two, n = 2), c4 for sample standard deviations.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from shopfloor.errors import BadInput

# n: (A2, d2, d3, D3, D4, c4)
CONSTANTS: dict[int, tuple[float, float, float, float, float, float]] = {
    2: (1.880, 1.128, 0.853, 0.0, 3.267, 0.7979),
    3: (1.023, 1.693, 0.888, 0.0, 2.574, 0.8862),
    4: (0.729, 2.059, 0.880, 0.0, 2.282, 0.9213),
    5: (0.577, 2.326, 0.864, 0.0, 2.114, 0.9400),
    6: (0.483, 2.534, 0.848, 0.0, 2.004, 0.9515),
    7: (0.419, 2.704, 0.833, 0.076, 1.924, 0.9594),
    8: (0.373, 2.847, 0.820, 0.136, 1.864, 0.9650),
    9: (0.337, 2.970, 0.808, 0.184, 1.816, 0.9693),
    10: (0.308, 3.078, 0.797, 0.223, 1.777, 0.9727),
    11: (0.285, 3.173, 0.787, 0.256, 1.744, 0.9754),
    12: (0.266, 3.258, 0.778, 0.283, 1.717, 0.9776),
    13: (0.249, 3.336, 0.770, 0.307, 1.693, 0.9794),
    14: (0.235, 3.407, 0.763, 0.328, 1.672, 0.9810),
    15: (0.223, 3.472, 0.756, 0.347, 1.653, 0.9823),
    16: (0.212, 3.532, 0.750, 0.363, 1.637, 0.9835),
    17: (0.203, 3.588, 0.744, 0.378, 1.622, 0.9845),
    18: (0.194, 3.640, 0.739, 0.391, 1.608, 0.9854),
    19: (0.187, 3.689, 0.734, 0.403, 1.597, 0.9862),
    20: (0.180, 3.735, 0.729, 0.415, 1.585, 0.9869),
    21: (0.173, 3.778, 0.724, 0.425, 1.575, 0.9876),
    22: (0.167, 3.819, 0.720, 0.434, 1.566, 0.9882),
    23: (0.162, 3.858, 0.716, 0.443, 1.557, 0.9887),
    24: (0.157, 3.895, 0.712, 0.451, 1.548, 0.9892),
    25: (0.153, 3.931, 0.708, 0.459, 1.541, 0.9896),
}


def _const(n: int) -> tuple[float, float, float, float, float, float]:
    if n not in CONSTANTS:
        raise BadInput(f"subgroup size: must be 2..25, got {n}")
    return CONSTANTS[n]


def A2(n: int) -> float:
    return _const(n)[0]


def d2(n: int) -> float:
    return _const(n)[1]


def d3(n: int) -> float:
    return _const(n)[2]


def D3(n: int) -> float:
    return _const(n)[3]


def D4(n: int) -> float:
    return _const(n)[4]


def c4(n: int) -> float:
    return _const(n)[5]


#: E2 for individuals charts (moving ranges of two): 3 / d2(2).
E2 = 2.660


@dataclass(frozen=True)
class Chart:
    """A control chart: points, centre line and per-point control limits."""

    kind: str  # xbar, r, i, mr, p, u
    points: tuple[float, ...]
    center: float
    ucl: tuple[float, ...]
    lcl: tuple[float, ...]
    #: Sigma of each point (for zone rules); 0 when the process shows no variation.
    sigma: tuple[float, ...]

    def zscores(self) -> list[float]:
        """Each point's distance from the centre in its own sigma (0 when sigma is 0)."""
        return [
            (x - self.center) / s if s > 0 else 0.0
            for x, s in zip(self.points, self.sigma, strict=True)
        ]

    def out_of_limits(self) -> list[int]:
        return [i for i, x in enumerate(self.points) if x > self.ucl[i] or x < self.lcl[i]]

    def to_dict(self) -> dict[str, object]:
        same = len(set(self.ucl)) <= 1 and len(set(self.lcl)) <= 1
        return {
            "kind": self.kind,
            "center": self.center,
            "ucl": self.ucl[0] if same and self.ucl else list(self.ucl),
            "lcl": self.lcl[0] if same and self.lcl else list(self.lcl),
            "points": list(self.points),
        }


def _flat(
    kind: str, points: Sequence[float], center: float, ucl: float, lcl: float, sigma: float
) -> Chart:
    n = len(points)
    return Chart(kind, tuple(points), center, (ucl,) * n, (lcl,) * n, (sigma,) * n)


def _finite(name: str, values: Sequence[float]) -> list[float]:
    out = [float(v) for v in values]
    bad = [i for i, v in enumerate(out) if not math.isfinite(v)]
    if bad:
        raise BadInput(f"{name}[{bad[0]}]: must be a finite number, got {out[bad[0]]}")
    return out


def xbar_r(subgroups: Sequence[Sequence[float]]) -> tuple[Chart, Chart]:
    """X-bar and R charts of equal-size subgroups (n = 2..25)."""
    if len(subgroups) < 2:
        raise BadInput(f"subgroups: need at least 2, got {len(subgroups)}")
    n = len(subgroups[0])
    groups = [_finite(f"subgroups[{i}]", g) for i, g in enumerate(subgroups)]
    for i, g in enumerate(groups):
        if len(g) != n:
            raise BadInput(f"subgroups[{i}]: has {len(g)} values, the first has {n}")
    a2, dd2, _d3, dd3, dd4, _c4 = _const(n)
    means = [sum(g) / n for g in groups]
    ranges = [max(g) - min(g) for g in groups]
    xbb = sum(means) / len(means)
    rbar = sum(ranges) / len(ranges)
    sigma_mean = rbar / dd2 / math.sqrt(n)
    xbar = _flat("xbar", means, xbb, xbb + a2 * rbar, xbb - a2 * rbar, sigma_mean)
    r = _flat("r", ranges, rbar, dd4 * rbar, dd3 * rbar, (dd4 - 1) * rbar / 3)
    return xbar, r


def i_mr(values: Sequence[float]) -> tuple[Chart, Chart]:
    """Individuals and moving-range charts (moving ranges of two)."""
    x = _finite("values", values)
    if len(x) < 2:
        raise BadInput(f"values: need at least 2, got {len(x)}")
    mr = [abs(b - a) for a, b in itertools.pairwise(x)]
    mrbar = sum(mr) / len(mr)
    mean = sum(x) / len(x)
    i = _flat("i", x, mean, mean + E2 * mrbar, mean - E2 * mrbar, mrbar / d2(2))
    m = _flat("mr", mr, mrbar, D4(2) * mrbar, 0.0, (D4(2) - 1) * mrbar / 3)
    return i, m


def p_chart(defectives: Sequence[int], sizes: Sequence[int]) -> Chart:
    """Fraction defective per sample; limits vary with each sample's size."""
    if len(defectives) != len(sizes) or not sizes:
        raise BadInput("defectives and sizes: need one size per sample, and at least one sample")
    for i, (d, n) in enumerate(zip(defectives, sizes, strict=True)):
        if n <= 0 or d < 0 or d > n:
            raise BadInput(f"sample {i}: need 0 <= defectives <= size and size > 0, got {d}/{n}")
    pbar = sum(defectives) / sum(sizes)
    sig = [math.sqrt(pbar * (1 - pbar) / n) for n in sizes]
    return Chart(
        "p",
        tuple(d / n for d, n in zip(defectives, sizes, strict=True)),
        pbar,
        tuple(min(1.0, pbar + 3 * s) for s in sig),
        tuple(max(0.0, pbar - 3 * s) for s in sig),
        tuple(sig),
    )


def u_chart(defects: Sequence[int], units: Sequence[float]) -> Chart:
    """Defects per unit per sample; limits vary with each sample's number of units."""
    if len(defects) != len(units) or not units:
        raise BadInput("defects and units: need one unit count per sample, and at least one")
    for i, (c, n) in enumerate(zip(defects, units, strict=True)):
        if n <= 0 or c < 0:
            raise BadInput(f"sample {i}: need defects >= 0 and units > 0, got {c}/{n}")
    ubar = sum(defects) / sum(units)
    sig = [math.sqrt(ubar / n) for n in units]
    return Chart(
        "u",
        tuple(c / n for c, n in zip(defects, units, strict=True)),
        ubar,
        tuple(ubar + 3 * s for s in sig),
        tuple(max(0.0, ubar - 3 * s) for s in sig),
        tuple(sig),
    )


@dataclass(frozen=True)
class Capability:
    """Process capability (within sigma: Cp, Cpk) and performance (overall sigma: Pp, Ppk).

    An index is None when it cannot be computed (one-sided specification, no variation).
    """

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    cp: float | None
    cpk: float | None
    pp: float | None
    ppk: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return dict(self.__dict__)


def _indices(
    mean: float, sigma: float, lsl: float | None, usl: float | None
) -> tuple[float | None, float | None]:
    if sigma <= 0:
        return None, None
    spread = (usl - lsl) / (6 * sigma) if lsl is not None and usl is not None else None
    sides = [
        x
        for x in (
            (usl - mean) / (3 * sigma) if usl is not None else None,
            (mean - lsl) / (3 * sigma) if lsl is not None else None,
        )
        if x is not None
    ]
    return spread, min(sides) if sides else None


def capability(
    values: Sequence[float],
    lsl: float | None = None,
    usl: float | None = None,
    *,
    sigma_within: float | None = None,
) -> Capability:
    """Cp, Cpk, Pp and Ppk of ``values`` against the specification limits.

    Sigma within is the average moving range over d2(2) unless given (e.g. R-bar / d2(n) from
    subgroups); sigma overall is the sample standard deviation.
    """
    x = _finite("values", values)
    if len(x) < 2:
        raise BadInput(f"values: need at least 2, got {len(x)}")
    if lsl is None and usl is None:
        raise BadInput("specification: need a lower or an upper specification limit")
    if lsl is not None and usl is not None and not usl > lsl:
        raise BadInput(f"specification: usl ({usl}) must be above lsl ({lsl})")
    mean = sum(x) / len(x)
    overall = math.sqrt(sum((v - mean) ** 2 for v in x) / (len(x) - 1))
    if sigma_within is None:
        mr = [abs(b - a) for a, b in itertools.pairwise(x)]
        sigma_within = sum(mr) / len(mr) / d2(2)
    cp, cpk = _indices(mean, sigma_within, lsl, usl)
    pp, ppk = _indices(mean, overall, lsl, usl)
    return Capability(len(x), mean, sigma_within, overall, lsl, usl, cp, cpk, pp, ppk)
