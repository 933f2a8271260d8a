"""Validate a plant's ``sim:`` blocks and resolve every equipment's simulation parameters.

Errors carry their path in the plant file, like the plant loader's
(``areas[0].lines[0].cells[1].equipment[2].sim.wear.life_h: ...``), and are raised together as
one :class:`~shopfloor.errors.ValidationFailed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from shopfloor.errors import ValidationFailed
from shopfloor.plant.loader import format_loc
from shopfloor.plant.model import Calendar, Equipment, EquipmentClass, Plant
from shopfloor.plant.states import PackMLState
from shopfloor.sim.defaults import POWER_BASE, class_defaults
from shopfloor.sim.params import EquipmentSim, PlantSim, SignalSim
from shopfloor.sim.signal_specs import CHARACTERISTICS, KNOWN_SIGNALS


@dataclass(frozen=True)
class EquipmentParams:
    """Everything the simulator needs about one equipment, defaults filled in."""

    path: str
    equipment: Equipment
    line: str
    cell: str
    calendar: Calendar | None
    position: tuple[float, float]
    power_kw: Mapping[PackMLState, float]
    mtbf_h: float | None
    mttr_min: float
    random_modes: tuple[str, ...]
    wear_mode: str | None
    onset_h: float
    life_h: float
    onset_cv: float
    life_cv: float
    threshold_sd: float
    wear_mttr_min: float
    minor_per_h: float
    minor_mean_s: float
    minor_reasons: tuple[str, ...]
    tool_life_parts: float | None
    tool_change_s: float
    speed_factor: float
    cycle_cv: float
    base_defect: float
    detect: float
    wear_gain: float
    sensitivity: Mapping[str, float]
    input_buffer: int
    process_keys: frozenset[str]
    tends: tuple[str, ...]
    load_s: float
    travel_speed_m_s: float
    belt_speed_m_s: float
    vibration_mm_s: float
    signals: Mapping[str, SignalSim]
    dropout_per_h: float
    dropout_mean_s: float

    @property
    def manual(self) -> bool:
        return self.equipment.cls.produces and not self.equipment.automated


@dataclass(frozen=True)
class SimParams:
    plant: Plant
    sim: PlantSim
    calendar: Calendar | None
    equipment: Mapping[str, EquipmentParams]
    transport: Mapping[str, str]  # line path -> agv | conveyor | direct
    operators: Mapping[str, int]  # line path -> operators on shift
    mix: Mapping[str, float]  # product id -> weight


def _parse(model: type[BaseModel], doc: Any, where: str, errors: list[tuple[str, str]]) -> Any:
    try:
        return model.model_validate(doc or {})
    except ValidationError as exc:
        for e in exc.errors():
            loc = format_loc(tuple(e["loc"]))
            msg = "unknown field" if e["type"] == "extra_forbidden" else str(e["msg"])
            errors.append((f"{where}.{loc}" if loc else where, msg.removeprefix("Value error, ")))
        return None


def _line_ref(plant: Plant, ref: str) -> str | None:
    for path, ln in plant.lines():
        if ref in (ln.id, path):
            return path
    return None


def sim_params(plant: Plant) -> SimParams:
    """Validate and resolve the plant's simulation parameters (raises ValidationFailed)."""
    errors: list[tuple[str, str]] = []
    psim = _parse(PlantSim, plant.sim, "sim", errors)
    cals = {c.id: c for c in plant.calendars}
    calendar: Calendar | None = None
    if psim is not None:
        if psim.calendar is not None and psim.calendar not in cals:
            errors.append(("sim.calendar", f"unknown calendar {psim.calendar!r}"))
        calendar = cals.get(psim.calendar or "") or (
            plant.calendars[0] if psim.calendar is None and len(plant.calendars) == 1 else None
        )
        _check_plant(plant, psim, errors)
    eq_params: dict[str, EquipmentParams] = {}
    for i, a in enumerate(plant.areas):
        for j, ln in enumerate(a.lines):
            line_path = f"{plant.site.id}/{a.id}/{ln.id}"
            for k, c in enumerate(ln.cells):
                for m, e in enumerate(c.equipment):
                    where = f"areas[{i}].lines[{j}].cells[{k}].equipment[{m}].sim"
                    esim = _parse(EquipmentSim, e.sim, where, errors)
                    if esim is None:
                        continue
                    _check_equipment(plant, e, esim, where, cals, errors)
                    pos = esim.position or (6.0 + 14.0 * k, 8.0 + 3.0 * m + 40.0 * (i + j))
                    eq_params[f"{line_path}/{c.id}/{e.id}"] = _resolve(
                        plant,
                        f"{line_path}/{c.id}/{e.id}",
                        e,
                        esim,
                        line_path,
                        c.id,
                        cals.get(esim.calendar or "", calendar),
                        pos,
                    )
    if errors or psim is None:
        raise ValidationFailed(f"sim parameters of plant {plant.name or plant.site.id!r}", errors)
    return SimParams(
        plant=plant,
        sim=psim,
        calendar=calendar,
        equipment=eq_params,
        transport=_transport(plant, psim),
        operators=_operators(plant, psim, eq_params),
        mix=dict(psim.orders.mix) or {p.id: 1.0 for p in plant.products},
    )


def _check_plant(plant: Plant, psim: PlantSim, errors: list[tuple[str, str]]) -> None:
    for pid in psim.orders.mix:
        if pid not in plant.product_by_id:
            errors.append((f"sim.orders.mix.{pid}", f"unknown product {pid!r}"))
    for pid in psim.products:
        if pid not in plant.product_by_id:
            errors.append((f"sim.products.{pid}", f"unknown product {pid!r}"))
    for ref in psim.operators:
        if _line_ref(plant, ref) is None:
            errors.append((f"sim.operators.{ref}", f"unknown line {ref!r}"))
    for ref, mode in psim.transport.items():
        path = _line_ref(plant, ref)
        if path is None:
            errors.append((f"sim.transport.{ref}", f"unknown line {ref!r}"))
            continue
        need = {"agv": EquipmentClass.AGV, "conveyor": EquipmentClass.CONVEYOR}.get(mode)
        if need and not any(
            e.cls is need and plant.line_of[p] == path for p, *_r, e in plant.walk()
        ):
            errors.append((f"sim.transport.{ref}", f"line {ref!r} has no {need.value} equipment"))


def _check_equipment(
    plant: Plant,
    e: Equipment,
    s: EquipmentSim,
    where: str,
    cals: Mapping[str, Calendar],
    errors: list[tuple[str, str]],
) -> None:
    if s.calendar is not None and s.calendar not in cals:
        errors.append((f"{where}.calendar", f"unknown calendar {s.calendar!r}"))
    if s.tends and e.cls is not EquipmentClass.INDUSTRIAL_ROBOT:
        errors.append((f"{where}.tends", "only industrial robots tend machines"))
    elif s.tends and any(
        e.id in o.eligible or plant.path_of[e.id] in o.eligible
        for r in plant.routings
        for o in r.operations
    ):
        errors.append((f"{where}.tends", f"{e.id!r} runs operations; it cannot also tend machines"))
    for n, ref in enumerate(s.tends):
        try:
            target = plant.equipment(ref)
        except KeyError:
            errors.append((f"{where}.tends[{n}]", f"unknown equipment {ref!r}"))
            continue
        if not target.cls.produces or target.cls is EquipmentClass.INDUSTRIAL_ROBOT:
            errors.append((f"{where}.tends[{n}]", f"{ref!r} is not a machine to load"))
    if s.travel_speed_m_s is not None and e.cls is not EquipmentClass.AGV:
        errors.append((f"{where}.travel_speed_m_s", "only AGVs travel"))
    if s.belt_speed_m_s is not None and e.cls is not EquipmentClass.CONVEYOR:
        errors.append((f"{where}.belt_speed_m_s", "only conveyors have a belt"))
    names = [t.name for t in e.tags]
    for tag in s.signals:
        if tag not in names:
            errors.append((f"{where}.signals.{tag}", f"equipment {e.id!r} has no tag {tag!r}"))
    tags_where = where.removesuffix(".sim") + ".tags"
    for n, t in enumerate(e.tags):
        own = s.signals.get(t.name)
        if t.signal == "measurement":
            if t.name not in CHARACTERISTICS and (
                own is None or own.nominal is None or own.tolerance is None
            ):
                errors.append(
                    (
                        f"{tags_where}[{n}].signal",
                        f"no characteristic {t.name!r} known to the simulator; give "
                        f"sim.signals.{t.name}.nominal and .tolerance",
                    )
                )
        elif t.signal not in KNOWN_SIGNALS and (own is None or own.nominal is None):
            errors.append(
                (
                    f"{tags_where}[{n}].signal",
                    f"no simulator behaviour for signal {t.signal!r}; give "
                    f"sim.signals.{t.name}.nominal",
                )
            )


def _resolve(
    plant: Plant,
    path: str,
    e: Equipment,
    s: EquipmentSim,
    line: str,
    cell: str,
    calendar: Calendar | None,
    pos: tuple[float, float],
) -> EquipmentParams:
    d = class_defaults(e.cls, e.automated)
    base = {
        PackMLState.EXECUTE: d.execute_kw,
        PackMLState.IDLE: d.idle_kw,
        PackMLState.STOPPED: d.stopped_kw,
        PackMLState.ABORTED: d.aborted_kw,
    }
    for name, kw in s.power_kw.items():
        if PackMLState(name) in base:
            base[PackMLState(name)] = kw
    power = {st: base[b] * f for st, (b, f) in POWER_BASE.items()}
    power.update({PackMLState(n): kw for n, kw in s.power_kw.items()})
    tag_keys = {t.name for t in e.tags} | {t.signal for t in e.tags}
    product_keys = {k for p in plant.products for k in p.process}
    wear_on = s.wear.enabled and (s.wear.mode or d.wear_mode) is not None
    return EquipmentParams(
        path=path,
        equipment=e,
        line=line,
        cell=cell,
        calendar=calendar,
        position=pos,
        power_kw=power,
        mtbf_h=(s.failures.mtbf_h or d.mtbf_h) if s.failures.enabled else None,
        mttr_min=s.failures.mttr_min or d.mttr_min,
        random_modes=s.failures.modes or d.random_modes,
        wear_mode=(s.wear.mode or d.wear_mode) if wear_on else None,
        onset_h=s.wear.onset_h if s.wear.onset_h is not None else d.onset_h,
        life_h=s.wear.life_h or d.life_h or 100.0,
        onset_cv=s.wear.onset_cv,
        life_cv=s.wear.life_cv,
        threshold_sd=s.wear.threshold_sd,
        wear_mttr_min=s.wear.mttr_min or d.wear_mttr_min,
        minor_per_h=s.minor_stops.per_h if s.minor_stops.per_h is not None else d.minor_per_h,
        minor_mean_s=s.minor_stops.mean_s or d.minor_mean_s,
        minor_reasons=s.minor_stops.reasons or d.minor_reasons,
        tool_life_parts=(s.tool.life_parts or d.tool_life_parts) if s.tool.enabled else None,
        tool_change_s=s.tool.change_s or d.tool_change_s,
        speed_factor=s.speed_factor or d.speed_factor,
        cycle_cv=s.cycle_cv if s.cycle_cv is not None else d.cycle_cv,
        base_defect=s.quality.base_defect if s.quality.base_defect is not None else d.base_defect,
        detect=s.quality.detect if s.quality.detect is not None else d.detect,
        wear_gain=s.quality.wear_gain if s.quality.wear_gain is not None else d.wear_gain,
        sensitivity=dict(s.quality.sensitivity),
        input_buffer=s.input_buffer or d.input_buffer,
        process_keys=frozenset(d.process_keys)
        | frozenset(s.process_keys)
        | (tag_keys & product_keys),
        tends=tuple(plant.resolve(r) for r in s.tends),
        load_s=s.load_s,
        travel_speed_m_s=s.travel_speed_m_s or 1.0,
        belt_speed_m_s=s.belt_speed_m_s or 0.25,
        vibration_mm_s=s.vibration_mm_s or d.vibration_mm_s,
        signals=dict(s.signals),
        dropout_per_h=s.dropouts.per_h,
        dropout_mean_s=s.dropouts.mean_s,
    )


def _transport(plant: Plant, psim: PlantSim) -> dict[str, str]:
    out: dict[str, str] = {}
    for path, _ln in plant.lines():
        classes = {e.cls for p, *_r, e in plant.walk() if plant.line_of[p] == path}
        out[path] = (
            "agv"
            if EquipmentClass.AGV in classes
            else "conveyor"
            if EquipmentClass.CONVEYOR in classes
            else "direct"
        )
    for ref, mode in psim.transport.items():
        line = _line_ref(plant, ref)
        if line is not None:
            out[line] = mode
    return out


def _operators(plant: Plant, psim: PlantSim, eqp: Mapping[str, EquipmentParams]) -> dict[str, int]:
    out = {
        path: 1 + sum(1 for p in eqp.values() if p.line == path and p.manual)
        for path, _ln in plant.lines()
    }
    for ref, n in psim.operators.items():
        line = _line_ref(plant, ref)
        if line is not None:
            out[line] = n
    return out
