"""Simulation defaults per equipment class: one row per class, overridden by ``sim:`` blocks.

A plant file without any ``sim:`` block runs on these rows. Figures are typical orders of
magnitude for the equipment class (power by state, failure rates in operating hours, wear life,
minor stops, tool life, defect rates), not data of a particular vendor.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shopfloor.plant.model import EquipmentClass as C
from shopfloor.plant.states import PackMLState as S


@dataclass(frozen=True)
class ClassDefaults:
    #: Active power (kW) in Execute, Idle, Stopped and Aborted; other states derive from these.
    execute_kw: float
    idle_kw: float
    stopped_kw: float
    aborted_kw: float
    #: Random (non-wear) failures: mean operating hours between them (None = none).
    mtbf_h: float | None = None
    mttr_min: float = 30.0
    random_modes: tuple[str, ...] = ("fault",)
    #: Wear-driven failure of one component (None = no wear model).
    wear_mode: str | None = None
    onset_h: float = 0.0
    life_h: float = 0.0
    wear_mttr_min: float = 180.0
    #: Minor stops (Held) per operating hour and their mean duration.
    minor_per_h: float = 0.0
    minor_mean_s: float = 90.0
    minor_reasons: tuple[str, ...] = ("part_misload", "sensor_blocked", "door_interlock")
    #: Tool life in parts (None = no tool model) and the tool change time.
    tool_life_parts: float | None = None
    tool_change_s: float = 180.0
    #: Actual cycle time / standard time (mean) and its coefficient of variation.
    speed_factor: float = 1.05
    cycle_cv: float = 0.04
    #: Quality: base defect probability, share of defects caught at the operation itself,
    #: defect probability added at full wear.
    base_defect: float = 0.005
    detect: float = 0.5
    wear_gain: float = 0.1
    input_buffer: int = 4
    #: Product process settings this class acts on (besides tags named like the setting).
    process_keys: tuple[str, ...] = ()
    #: Vibration velocity RMS (mm/s) while executing at nominal settings, new component.
    vibration_mm_s: float = 1.0


_CNC = ("spindle_speed", "feed_rate", "coolant_temp")

DEFAULTS: dict[C, ClassDefaults] = {
    C.CNC_MACHINING_CENTRE: ClassDefaults(
        11.0,
        2.8,
        0.4,
        1.2,
        mtbf_h=90,
        mttr_min=40,
        random_modes=("tool_breakage", "servo_fault", "coolant_pump", "controller_fault"),
        wear_mode="spindle_bearing",
        onset_h=35,
        life_h=55,
        wear_mttr_min=240,
        minor_per_h=0.6,
        minor_mean_s=150,
        minor_reasons=("chip_jam", "part_misload", "door_interlock", "sensor_blocked"),
        tool_life_parts=140,
        tool_change_s=240,
        speed_factor=1.06,
        base_defect=0.005,
        detect=0.5,
        wear_gain=0.12,
        process_keys=_CNC,
        vibration_mm_s=1.3,
    ),
    C.CNC_LATHE: ClassDefaults(
        9.0,
        2.2,
        0.3,
        1.0,
        mtbf_h=110,
        mttr_min=35,
        random_modes=("tool_breakage", "chuck_fault", "servo_fault", "hydraulic_leak"),
        wear_mode="spindle_bearing",
        onset_h=45,
        life_h=65,
        wear_mttr_min=200,
        minor_per_h=0.5,
        minor_mean_s=120,
        minor_reasons=("chip_jam", "bar_feed_jam", "door_interlock", "sensor_blocked"),
        tool_life_parts=180,
        tool_change_s=180,
        speed_factor=1.05,
        base_defect=0.004,
        detect=0.5,
        wear_gain=0.12,
        process_keys=_CNC,
        vibration_mm_s=1.1,
    ),
    C.INDUSTRIAL_ROBOT: ClassDefaults(
        3.5,
        0.9,
        0.15,
        0.4,
        mtbf_h=400,
        mttr_min=30,
        random_modes=("gripper_fault", "collision", "encoder_fault"),
        wear_mode="reducer",
        onset_h=300,
        life_h=400,
        wear_mttr_min=300,
        minor_per_h=0.3,
        minor_mean_s=60,
        minor_reasons=("gripper_retry", "part_misload", "safety_stop"),
        speed_factor=1.02,
        cycle_cv=0.02,
        base_defect=0.002,
        detect=0.3,
        wear_gain=0.03,
        vibration_mm_s=0.6,
    ),
    C.AGV: ClassDefaults(
        0.6,
        0.15,
        0.05,
        0.05,
        mtbf_h=300,
        mttr_min=20,
        random_modes=("navigation_lost", "battery_fault", "obstacle_timeout"),
        minor_per_h=0.4,
        minor_mean_s=45,
        minor_reasons=("obstacle", "path_blocked", "sensor_blocked"),
        speed_factor=1.0,
        cycle_cv=0.08,
    ),
    C.CONVEYOR: ClassDefaults(
        1.1,
        0.2,
        0.02,
        0.1,
        mtbf_h=600,
        mttr_min=25,
        random_modes=("belt_jam", "drive_fault"),
        minor_per_h=0.2,
        minor_mean_s=60,
        minor_reasons=("carrier_jam", "sensor_blocked"),
        speed_factor=1.0,
        cycle_cv=0.0,
    ),
    C.ASSEMBLY_STATION: ClassDefaults(
        2.5,
        0.8,
        0.1,
        0.3,
        mtbf_h=200,
        mttr_min=25,
        random_modes=("screwdriver_fault", "press_fault", "feeder_jam"),
        wear_mode="press_ram_guide",
        onset_h=150,
        life_h=200,
        wear_mttr_min=150,
        minor_per_h=1.0,
        minor_mean_s=60,
        minor_reasons=("feeder_empty", "part_misload", "light_curtain"),
        base_defect=0.012,
        detect=0.6,
        wear_gain=0.08,
        process_keys=("press_force", "screw_torque"),
        vibration_mm_s=0.8,
    ),
    C.INSPECTION_STATION: ClassDefaults(
        4.0,
        2.5,
        0.5,
        0.8,
        mtbf_h=300,
        mttr_min=35,
        random_modes=("probe_crash", "air_supply", "camera_fault"),
        minor_per_h=0.4,
        minor_mean_s=90,
        minor_reasons=("probe_retry", "part_misload", "sensor_blocked"),
        speed_factor=1.03,
        cycle_cv=0.03,
        base_defect=0.003,
        detect=0.97,
        wear_gain=0.0,
    ),
    C.TEST_BENCH: ClassDefaults(
        7.5,
        1.2,
        0.2,
        0.4,
        mtbf_h=250,
        mttr_min=30,
        random_modes=("sensor_fault", "leak_fixture", "motor_fault"),
        wear_mode="fixture_seal",
        onset_h=200,
        life_h=300,
        wear_mttr_min=90,
        minor_per_h=0.5,
        minor_mean_s=75,
        minor_reasons=("fixture_clamp", "part_misload", "sensor_blocked"),
        speed_factor=1.02,
        cycle_cv=0.03,
        base_defect=0.003,
        detect=0.98,
        wear_gain=0.05,
        vibration_mm_s=2.0,
    ),
    C.PACKAGING: ClassDefaults(
        0.4,
        0.1,
        0.02,
        0.05,
        mtbf_h=800,
        mttr_min=15,
        random_modes=("tape_dispenser",),
        minor_per_h=0.2,
        minor_mean_s=60,
        minor_reasons=("carton_jam", "label_missing"),
        speed_factor=1.1,
        cycle_cv=0.15,
        base_defect=0.001,
        detect=0.9,
        wear_gain=0.0,
    ),
    C.ENERGY_METER: ClassDefaults(0.005, 0.005, 0.005, 0.005),
    C.ENVIRONMENTAL_SENSOR: ClassDefaults(0.003, 0.003, 0.003, 0.003),
    C.PRINTER: ClassDefaults(
        2.2,
        0.8,
        0.1,
        0.3,
        mtbf_h=150,
        mttr_min=25,
        random_modes=("squeegee_fault", "stencil_clog", "vision_fault"),
        wear_mode="squeegee_blade",
        onset_h=60,
        life_h=120,
        wear_mttr_min=60,
        minor_per_h=0.8,
        minor_mean_s=60,
        minor_reasons=("board_stuck", "paste_low", "sensor_blocked"),
        tool_life_parts=300,
        tool_change_s=90,
        base_defect=0.01,
        detect=0.4,
        wear_gain=0.1,
        process_keys=("squeegee_pressure", "print_speed"),
        vibration_mm_s=0.5,
    ),
    C.PICK_AND_PLACE: ClassDefaults(
        4.5,
        1.6,
        0.2,
        0.5,
        mtbf_h=120,
        mttr_min=25,
        random_modes=("feeder_jam", "nozzle_clog", "vision_fault"),
        wear_mode="head_bearing",
        onset_h=80,
        life_h=120,
        wear_mttr_min=180,
        minor_per_h=1.2,
        minor_mean_s=45,
        minor_reasons=("feeder_empty", "pick_error_stop", "board_stuck"),
        tool_life_parts=2000,
        tool_change_s=120,
        base_defect=0.006,
        detect=0.3,
        wear_gain=0.1,
        vibration_mm_s=1.6,
    ),
    C.REFLOW_OVEN: ClassDefaults(
        32.0,
        28.0,
        2.0,
        4.0,
        mtbf_h=500,
        mttr_min=60,
        random_modes=("heater_fault", "conveyor_chain", "blower_fault"),
        wear_mode="blower_bearing",
        onset_h=300,
        life_h=400,
        wear_mttr_min=240,
        minor_per_h=0.2,
        minor_mean_s=90,
        minor_reasons=("board_stuck", "sensor_blocked"),
        speed_factor=1.0,
        cycle_cv=0.01,
        base_defect=0.004,
        detect=0.1,
        wear_gain=0.05,
        process_keys=("peak_temp", "conveyor_speed"),
        vibration_mm_s=2.2,
    ),
    C.PRESS: ClassDefaults(
        7.5,
        2.5,
        0.2,
        0.5,
        mtbf_h=180,
        mttr_min=30,
        random_modes=("hydraulic_leak", "valve_fault", "sensor_fault"),
        wear_mode="hydraulic_pump",
        onset_h=60,
        life_h=90,
        wear_mttr_min=180,
        minor_per_h=0.6,
        minor_mean_s=60,
        minor_reasons=("part_misload", "light_curtain", "sensor_blocked"),
        base_defect=0.006,
        detect=0.7,
        wear_gain=0.1,
        process_keys=("press_force",),
        vibration_mm_s=1.8,
    ),
    C.WASHER: ClassDefaults(
        18.0,
        9.0,
        0.5,
        1.0,
        mtbf_h=250,
        mttr_min=30,
        random_modes=("pump_fault", "nozzle_clog", "heater_fault"),
        wear_mode="spray_pump",
        onset_h=150,
        life_h=200,
        wear_mttr_min=120,
        minor_per_h=0.3,
        minor_mean_s=90,
        minor_reasons=("basket_jam", "level_low", "door_interlock"),
        speed_factor=1.0,
        cycle_cv=0.01,
        base_defect=0.002,
        detect=0.2,
        wear_gain=0.05,
        input_buffer=6,
        vibration_mm_s=2.5,
    ),
}


def class_defaults(cls: C, automated: bool) -> ClassDefaults:
    """The row for ``cls``; stations worked by hand (not automated) are slower and vary more."""
    row = DEFAULTS[cls]
    if automated or not cls.produces:
        return row
    return replace(
        row,
        execute_kw=min(row.execute_kw, 0.4),
        idle_kw=min(row.idle_kw, 0.1),
        mtbf_h=800.0,
        random_modes=("tool_fault",),
        wear_mode=None,
        minor_per_h=0.3,
        speed_factor=1.12,
        cycle_cv=0.15,
        detect=min(row.detect, 0.4),
        tool_life_parts=None,
    )


#: Power in each PackML state as (base state, factor): power = factor * power(base).
POWER_BASE: dict[S, tuple[S, float]] = {
    S.EXECUTE: (S.EXECUTE, 1.0),
    S.IDLE: (S.IDLE, 1.0),
    S.STOPPED: (S.STOPPED, 1.0),
    S.ABORTED: (S.ABORTED, 1.0),
    S.ABORTING: (S.ABORTED, 1.0),
    S.CLEARING: (S.ABORTED, 1.0),
    S.STARTING: (S.IDLE, 1.15),
    S.RESETTING: (S.IDLE, 1.0),
    S.HELD: (S.IDLE, 1.0),
    S.HOLDING: (S.IDLE, 1.0),
    S.UNHOLDING: (S.IDLE, 1.0),
    S.SUSPENDED: (S.IDLE, 1.0),
    S.SUSPENDING: (S.IDLE, 1.0),
    S.UNSUSPENDING: (S.IDLE, 1.0),
    S.COMPLETING: (S.IDLE, 1.0),
    S.COMPLETE: (S.IDLE, 1.0),
    S.STOPPING: (S.IDLE, 1.0),
}

#: Alarm codes: failure modes 1xxx (priority 800), minor stops and tool changes 2xxx (300).
ALARM_CODES: dict[str, int] = {}
for _i, _mode in enumerate(
    sorted(
        {m for r in DEFAULTS.values() for m in r.random_modes}
        | {r.wear_mode for r in DEFAULTS.values() if r.wear_mode}
        | {"tool_fault"}
    )
):
    ALARM_CODES[_mode] = 1001 + _i
_minor = sorted({m for r in DEFAULTS.values() for m in r.minor_reasons})
for _i, _mode in enumerate((*_minor, "tool_change")):
    ALARM_CODES[_mode] = 2001 + _i


def alarm_code(reason: str) -> int:
    """The alarm code of a failure mode or stop reason (other modes get 19xx)."""
    return ALARM_CODES.get(reason, 1900 + sum(reason.encode()) % 100)
