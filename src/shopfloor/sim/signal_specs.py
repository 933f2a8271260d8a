"""What the simulator knows about each tag ``signal``: declarative rows, no behaviour.

Simple analog signals are rows of :class:`Analog` (a level per machine condition, noise and a
first-order lag); the others are computed by functions in :mod:`shopfloor.sim.signals` and
:mod:`shopfloor.sim.signals_plant`. Measured characteristics (``signal: measurement``) are rows
of :class:`Characteristic`, found by tag name. A plant may use other signals if it gives their
``nominal`` in the equipment's ``sim.signals`` block.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Analog:
    run: float  # while executing
    ready: float  # powered but not executing (Idle, Suspended, Held, Starting, ...)
    off: float  # Stopped or Aborted
    noise: float  # standard deviation, in the tag's unit
    lag_s: float = 0.0  # first-order time constant (temperatures)
    #: Levels are added to the hall temperature.
    above_ambient: bool = False
    #: When a product's process settings have this key (or the tag's name), run = setting.
    process_key: str | None = None
    dropout: bool = True
    #: Physical lower bound (None: the signal may go negative, e.g. vacuum).
    floor: float | None = 0.0


ANALOG: dict[str, Analog] = {
    "coolant_temperature": Analog(
        0.0, 0.0, 0.0, 0.25, 600, above_ambient=True, process_key="coolant_temp"
    ),
    "bath_temperature": Analog(60.0, 60.0, 45.0, 0.4, 1800),
    "oil_temperature": Analog(24.0, 18.0, 4.0, 0.3, 1200, above_ambient=True),
    "motor_temperature": Analog(22.0, 12.0, 2.0, 0.4, 900, above_ambient=True),
    "zone_temperature": Analog(220.0, 220.0, 60.0, 0.8, 900),
    "pressure": Analog(3.5, 0.2, 0.0, 0.05),
    "vacuum": Analog(-68.0, -8.0, 0.0, 0.8, floor=None),
    "oxygen": Analog(750.0, 800.0, 5000.0, 40.0, 300),
    "feed_rate": Analog(1000.0, 0.0, 0.0, 0.0, process_key="feed_rate", dropout=False),
    "feed_override": Analog(100.0, 100.0, 100.0, 0.0, dropout=False),
    "placement_rate": Analog(42000.0, 0.0, 0.0, 600.0, dropout=False),
    "voltage": Analog(230.0, 230.5, 231.0, 0.8, dropout=False),
    "frequency": Analog(50.0, 50.0, 50.0, 0.012, dropout=False),
}

#: Signals computed by functions (state, counters, condition, motion, energy, plant).
COMPUTED: frozenset[str] = frozenset(
    {
        "packml_state",
        "program",
        "program_number",
        "order_id",
        "part_count",
        "good_count",
        "scrap_count",
        "spindle_speed",
        "spindle_load",
        "bearing_temperature",
        "spindle_vibration",
        "vibration_rms",
        "axis_position",
        "tool_wear",
        "tool_number",
        "power",
        "energy",
        "alarm_code",
        "door_open",
        "joint_torque",
        "gripper",
        "battery",
        "agv_position",
        "agv_speed",
        "agv_loaded",
        "line_power",
        "line_energy",
        "current",
        "power_factor",
        "ambient_temperature",
        "ambient_humidity",
        "particulates",
        "noise",
        "screw_torque",
        "press_force",
        "measurement",
        "occupancy",
        "belt_speed",
        "cycle_time",
        "conductivity",
        "coolant_level",
        "pick_errors",
        "counter",
    }
)

KNOWN_SIGNALS: frozenset[str] = frozenset(ANALOG) | COMPUTED


@dataclass(frozen=True)
class Characteristic:
    """A measured characteristic: nominal value and tolerance (half-width, or upper limit)."""

    nominal: float
    tolerance: float
    one_sided: bool = False  # only the upper limit matters (flatness, roughness, leak)


CHARACTERISTICS: dict[str, Characteristic] = {
    "bore_diameter": Characteristic(52.0, 0.015),
    "flatness": Characteristic(8.0, 12.0, one_sided=True),
    "surface_roughness": Characteristic(0.8, 0.8, one_sided=True),
    "flow_rate": Characteristic(120.0, 6.0),
    "outlet_pressure": Characteristic(4.5, 0.3),
    "leak_rate": Characteristic(0.5, 1.5, one_sided=True),
    "solder_volume": Characteristic(100.0, 25.0),
    "offset_x": Characteristic(0.0, 40.0),
}
