"""The schema of ``sim:`` blocks in a plant file (plant level and per equipment).

Every field is optional: what a block leaves out comes from the equipment class's row in
:mod:`shopfloor.sim.defaults`. Unknown keys are errors, so a typo in a ``sim:`` block is
reported with its path instead of being ignored. :func:`shopfloor.sim.resolve.sim_params`
validates a whole plant and resolves every equipment's parameters.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shopfloor.plant.states import PackMLState


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FailureSim(_M):
    """Random (not wear-driven) failures, counted in operating (Execute) hours."""

    enabled: bool = True
    mtbf_h: float | None = Field(default=None, gt=0)
    mttr_min: float | None = Field(default=None, gt=0)
    modes: tuple[str, ...] | None = Field(default=None, min_length=1)


class WearSim(_M):
    """One wearing component: onset, life after onset and failure threshold vary per unit."""

    enabled: bool = True
    mode: str | None = None
    onset_h: float | None = Field(default=None, ge=0)
    life_h: float | None = Field(default=None, gt=0)
    onset_cv: float = Field(default=0.5, ge=0, le=2)
    life_cv: float = Field(default=0.35, ge=0, le=2)
    threshold_sd: float = Field(default=0.12, ge=0, le=0.5)
    mttr_min: float | None = Field(default=None, gt=0)


class MinorStopSim(_M):
    per_h: float | None = Field(default=None, ge=0)
    mean_s: float | None = Field(default=None, gt=0)
    reasons: tuple[str, ...] | None = Field(default=None, min_length=1)


class ToolSim(_M):
    enabled: bool = True
    life_parts: float | None = Field(default=None, gt=0)
    change_s: float | None = Field(default=None, gt=0)


class QualitySim(_M):
    base_defect: float | None = Field(default=None, ge=0, lt=1)
    detect: float | None = Field(default=None, ge=0, le=1)
    wear_gain: float | None = Field(default=None, ge=0, le=1)
    #: Extra defect probability per (deviation / tolerance)^2 of a process setting.
    sensitivity: dict[str, float] = Field(default_factory=dict)

    @field_validator("sensitivity")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, x in v.items() if not x >= 0]
        if bad:
            raise ValueError(f"sensitivity must be >= 0 for {', '.join(sorted(bad))}")
        return v


class SignalSim(_M):
    """Override of how one tag is simulated (needed for signals the simulator does not know)."""

    nominal: float | None = None
    noise: float | None = Field(default=None, ge=0)
    tolerance: float | None = Field(default=None, gt=0)


class DropoutSim(_M):
    """Sensor dropouts of analog tags: value None, quality BAD for a while."""

    per_h: float = Field(default=0.03, ge=0)
    mean_s: float = Field(default=90.0, gt=0)


class EquipmentSim(_M):
    calendar: str | None = None
    position: tuple[float, float] | None = None
    speed_factor: float | None = Field(default=None, gt=0, le=5)
    cycle_cv: float | None = Field(default=None, ge=0, le=1)
    input_buffer: int | None = Field(default=None, ge=1, le=10000)
    power_kw: dict[str, float] = Field(default_factory=dict)
    failures: FailureSim = Field(default_factory=FailureSim)
    wear: WearSim = Field(default_factory=WearSim)
    minor_stops: MinorStopSim = Field(default_factory=MinorStopSim)
    tool: ToolSim = Field(default_factory=ToolSim)
    quality: QualitySim = Field(default_factory=QualitySim)
    process_keys: tuple[str, ...] = ()
    #: Robots only: equipment this robot loads and unloads (machine tending).
    tends: tuple[str, ...] = ()
    load_s: float = Field(default=12.0, gt=0)
    #: AGVs only: travel speed. Conveyors only: belt speed.
    travel_speed_m_s: float | None = Field(default=None, gt=0, le=5)
    belt_speed_m_s: float | None = Field(default=None, gt=0, le=5)
    vibration_mm_s: float | None = Field(default=None, gt=0)
    signals: dict[str, SignalSim] = Field(default_factory=dict)
    dropouts: DropoutSim = Field(default_factory=DropoutSim)

    @field_validator("power_kw")
    @classmethod
    def _states(cls, v: dict[str, float]) -> dict[str, float]:
        names = {s.value for s in PackMLState}
        unknown = sorted(k for k in v if k not in names)
        if unknown:
            raise ValueError(
                f"unknown PackML state {', '.join(unknown)}; use one of {', '.join(sorted(names))}"
            )
        neg = sorted(k for k, x in v.items() if not x >= 0)
        if neg:
            raise ValueError(f"power must be >= 0 kW for {', '.join(neg)}")
        return v


class OrdersSim(_M):
    """The order mix the plant runs on its own (when no MES dispatches)."""

    mix: dict[str, float] = Field(default_factory=dict)
    size: tuple[int, int] = (10, 40)
    #: Target utilisation of each line's bottleneck by arriving orders.
    load: float = Field(default=0.9, gt=0, le=2)
    max_open_per_line: int = Field(default=3, ge=1)
    initial_per_line: int = Field(default=2, ge=0)

    @model_validator(mode="after")
    def _check(self) -> OrdersSim:
        lo, hi = self.size
        if lo < 1 or hi < lo:
            raise ValueError("size must be [min, max] with 1 <= min <= max")
        bad = sorted(k for k, w in self.mix.items() if not w > 0)
        if bad:
            raise ValueError(f"mix weights must be > 0 for {', '.join(bad)}")
        return self


class AmbientSim(_M):
    temperature_c: float = 22.0
    daily_swing_c: float = Field(default=3.0, ge=0)
    humidity_pct: float = Field(default=45.0, ge=0, le=100)


class ProductSim(_M):
    """How a product loads the equipment: wear rate and vibration baseline multipliers."""

    wear_factor: float = Field(default=1.0, gt=0)
    vibration_factor: float = Field(default=1.0, gt=0)


class PlantSim(_M):
    calendar: str | None = None
    orders: OrdersSim = Field(default_factory=OrdersSim)
    #: Operators per line (line id): needed by manual stations and for setups.
    operators: dict[str, int] = Field(default_factory=dict)
    technicians: int = Field(default=2, ge=1)
    transport: dict[str, Literal["agv", "conveyor", "direct"]] = Field(default_factory=dict)
    #: Transfer time between cells of a line without AGVs or conveyor.
    transfer_s: float = Field(default=30.0, ge=0)
    energy_event_s: float = Field(default=60.0, gt=0)
    condition_period_s: float = Field(default=600.0, gt=0)
    ambient: AmbientSim = Field(default_factory=AmbientSim)
    products: dict[str, ProductSim] = Field(default_factory=dict)

    @field_validator("operators")
    @classmethod
    def _operators(cls, v: dict[str, int]) -> dict[str, int]:
        bad = sorted(k for k, n in v.items() if n < 0)
        if bad:
            raise ValueError(f"operator counts must be >= 0 for {', '.join(bad)}")
        return v
