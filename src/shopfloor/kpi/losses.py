"""Where the planned busy time went: the OEE loss breakdown, in seconds and fractions of PBT.

The planned busy time splits without remainder into

    PBT = ADET + ADOT + ASUT            availability loss (delays, down time, setup)
        + (APT - PRU x PQ)              performance loss (slower than standard, small stops)
        + PRU x PQ x (1 - GQ / PQ)      quality loss (standard time spent on scrap)
        + PRU x PQ x GQ / PQ            fully productive time = OEE x PBT

so the fractions of PBT add up to 1 with the OEE. A unit faster than standard makes the
performance loss negative; it is reported as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shopfloor.kpi.basket import Basket


@dataclass(frozen=True)
class Losses:
    pbt_s: float
    adet_s: float
    adot_s: float
    asut_s: float
    performance_s: float
    quality_s: float
    productive_s: float

    @property
    def availability_s(self) -> float:
        return self.adet_s + self.adot_s + self.asut_s

    def fractions(self) -> dict[str, float | None]:
        """Each loss as a fraction of PBT (None without planned busy time)."""
        parts = {
            "availability": self.availability_s,
            "availability_adet": self.adet_s,
            "availability_adot": self.adot_s,
            "availability_asut": self.asut_s,
            "performance": self.performance_s,
            "quality": self.quality_s,
            "productive": self.productive_s,
        }
        if self.pbt_s <= 0:
            return dict.fromkeys(parts)
        return {k: v / self.pbt_s for k, v in parts.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "seconds": {
                "pbt": self.pbt_s,
                "availability": self.availability_s,
                "availability_adet": self.adet_s,
                "availability_adot": self.adot_s,
                "availability_asut": self.asut_s,
                "performance": self.performance_s,
                "quality": self.quality_s,
                "productive": self.productive_s,
            },
            "fractions_of_pbt": self.fractions(),
        }


def loss_breakdown(b: Basket) -> Losses:
    earned = b.pru_s
    good_share = b.gq / b.pq if b.pq else 0.0
    return Losses(
        pbt_s=b.pbt,
        adet_s=b.adet,
        adot_s=b.adot,
        asut_s=b.asut,
        performance_s=b.apt - earned,
        quality_s=earned * (1 - good_share),
        productive_s=earned * good_share,
    )
