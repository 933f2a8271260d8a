"""The ISA-95 plant model: hierarchy, equipment, tags and master data.

One plant file describes one site: enterprise > site > area > line > work cell > equipment,
plus the master data the rest of the platform reads here (products, routings, bills of
material, shift calendars, planned downtime). Models are frozen pydantic models; unknown keys
are refused so that a typo in a plant file is an error, not a silent default.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from shopfloor.ids import SEGMENT_RE
from shopfloor.plant.rules import EventRules, expand_preset

PLANT_SCHEMA = "shopfloor.plant/v1"
MAX_RATE_HZ = 1000.0


def _check_id(v: str) -> str:
    if not SEGMENT_RE.match(v) or len(v) > 64:
        raise ValueError(
            "must be 1-64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit"
        )
    return v


SegId = Annotated[str, AfterValidator(_check_id)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class _Labelled(_Model):
    """Something people read the name of: ``name`` is a text, or one per language
    (``name: {en: Turning cell, zh: 车削单元}``); then ``name`` is the English one (else the first)
    and ``names`` holds them all, for a user interface to show in its language."""

    names: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _languages(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("name"), dict):
            given = data["name"]
            bad = [k for k, v in given.items() if not isinstance(k, str) or not isinstance(v, str)]
            if bad or not given:
                raise ValueError(
                    "name: give a text, or texts by language code ({en: ..., zh: ...})"
                )
            data = {**data, "name": given.get("en") or next(iter(given.values())),
                    "names": dict(given)}  # fmt: skip
        return data


class EquipmentClass(StrEnum):
    CNC_MACHINING_CENTRE = "cnc_machining_centre"
    CNC_LATHE = "cnc_lathe"
    INDUSTRIAL_ROBOT = "industrial_robot"
    AGV = "agv"
    CONVEYOR = "conveyor"
    ASSEMBLY_STATION = "assembly_station"
    INSPECTION_STATION = "inspection_station"
    TEST_BENCH = "test_bench"
    PACKAGING = "packaging"
    ENERGY_METER = "energy_meter"
    ENVIRONMENTAL_SENSOR = "environmental_sensor"
    PRINTER = "printer"  # e.g. SMT solder-paste printer
    PICK_AND_PLACE = "pick_and_place"
    REFLOW_OVEN = "reflow_oven"
    PRESS = "press"
    WASHER = "washer"

    @property
    def produces(self) -> bool:
        """Work units that process parts (and so have OEE)."""
        return self not in {
            EquipmentClass.AGV,
            EquipmentClass.CONVEYOR,
            EquipmentClass.ENERGY_METER,
            EquipmentClass.ENVIRONMENTAL_SENSOR,
        }


class Connectivity(StrEnum):
    NATIVE = "native"  # speaks a protocol itself (OPC UA, Sparkplug B)
    GATEWAY = "gateway"  # legacy equipment behind a protocol gateway (Modbus TCP)
    NONE = "none"  # not networked: reported by operators only


class Protocol(StrEnum):
    """The protocols shipped, and any other a connector package registers (entry point group
    ``shopfloor.connectors``): ``Protocol("s7")`` is a member once a row named ``s7`` is
    registered (see :mod:`shopfloor.connect.registry`)."""

    OPCUA = "opcua"
    SPARKPLUG = "sparkplug"
    MODBUS = "modbus"
    NONE = "none"

    @classmethod
    def _missing_(cls, value: object) -> Protocol | None:
        if not isinstance(value, str) or value not in registered_protocols():
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        cls._value2member_map_[value] = member
        return member


def registered_protocols() -> list[str]:
    """Every protocol a plant file may name: the registered connectors' and ``none``."""
    from shopfloor.connect.registry import registry  # (the registry imports this module)

    return [*registry(), Protocol.NONE.value]


def _protocol(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Protocol):
        known = registered_protocols()
        if value not in known:
            raise ValueError(
                f"{value!r} is not a registered protocol (known: {', '.join(known)}; a "
                "connector package adds one through the shopfloor.connectors entry point)"
            )
    return value


class DataType(StrEnum):
    FLOAT = "float"
    DOUBLE = "double"
    INT = "int"
    BOOL = "bool"
    STRING = "string"


class ModbusType(StrEnum):
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"
    FLOAT64 = "float64"

    @property
    def words(self) -> int:
        return {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2, "float64": 4}[
            self.value
        ]


#: Modbus data tables: holding registers (function 3), input registers (4), coils (1) and
#: discrete inputs (2). Coils and discrete inputs carry one bit each.
ModbusTable = Literal["holding", "input", "coil", "discrete"]
BIT_TABLES = ("coil", "discrete")
_TABLE_NAMES = {
    "holding": "register",
    "input": "input register",
    "coil": "coil",
    "discrete": "discrete input",
}


class ModbusRegister(_Model):
    """A Modbus address (0-based) in one of the four data tables, with its encoding.

    ``table`` defaults to holding registers; ``coil`` and ``discrete`` (discrete input) are one
    bit each, for ``bool`` tags, and take no ``type``, word order, scale or offset."""

    address: int = Field(ge=0, le=65535)
    table: ModbusTable = "holding"
    type: ModbusType = ModbusType.FLOAT32
    word_order: Literal["big", "little"] = "big"
    scale: float = 1.0
    offset: float = 0.0

    @property
    def bit(self) -> bool:
        return self.table in BIT_TABLES

    @property
    def size(self) -> int:
        """Addresses the value takes in its table: 1 for a bit, else its register words."""
        return 1 if self.bit else self.type.words

    @model_validator(mode="after")
    def _fits(self) -> ModbusRegister:
        if self.bit:
            if self.scale != 1 or self.offset != 0:
                raise ValueError(f"a {self.table} is one bit: scale and offset do not apply")
            return self
        if self.address + self.type.words > 65536:
            raise ValueError(f"register {self.address} + {self.type.words} words exceeds 65535")
        if self.scale == 0:
            raise ValueError("scale must not be 0")
        return self


class Tag(_Model):
    name: SegId
    description: str = ""
    unit: str = ""  # UCUM-style
    data_type: DataType = DataType.DOUBLE
    rate_hz: float = 1.0
    #: What the signal means to the simulator and to analytics (e.g. ``spindle_vibration``).
    signal: str = ""
    opcua_node: str | None = None
    #: Browse path below the equipment's ``endpoint.node`` (``Status/StateCurrent``; ``*`` is
    #: any one child), resolved by browse names on the server when the session opens.
    opcua_path: str | None = None
    sparkplug_metric: str | None = None
    modbus: ModbusRegister | None = None
    #: Deadband (absolute, in the tag's unit) used when publishing changes.
    deadband: float = Field(default=0.0, ge=0)
    #: ``[low, high]``: the values the instrument can give, in the tag's unit (OPC UA EURange).
    eu_range: tuple[float, float] | None = None

    @field_validator("eu_range")
    @classmethod
    def _range(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not (math.isfinite(v[0]) and math.isfinite(v[1]) and v[0] < v[1]):
            raise ValueError(f"must be [low, high] with low < high, got {list(v)}")
        return v

    @field_validator("rate_hz")
    @classmethod
    def _rate(cls, v: float) -> float:
        if not v > 0:
            raise ValueError("must be > 0")
        if v > MAX_RATE_HZ:
            raise ValueError(f"must be <= {MAX_RATE_HZ:g} (1 kHz)")
        return v

    @field_validator("opcua_path")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        if v is not None and (not v.strip("/") or any(not p for p in v.strip("/").split("/"))):
            raise ValueError("must be browse names separated by '/' (e.g. Status/StateCurrent)")
        return v.strip("/") if v is not None else None

    @model_validator(mode="after")
    def _one_node(self) -> Tag:
        if self.opcua_node is not None and self.opcua_path is not None:
            raise ValueError("give opcua_node or opcua_path, not both")
        return self

    @property
    def high_rate(self) -> bool:
        """Tags above 10 Hz travel as arrays (batches), never one message per sample."""
        return self.rate_hz > 10


class Endpoint(_Model):
    """Where a device is reached. Omitted fields are filled by the virtual plant / settings."""

    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    #: Modbus unit id (slave id): required behind a gateway, default 1 for a device of its own.
    unit_id: int | None = Field(default=None, ge=0, le=255)
    #: Sparkplug group / edge node / device id for MQTT devices (device id defaults to the
    #: equipment id).
    group: str | None = None
    edge_node: str | None = None
    device: str | None = None
    security: Literal["None", "Basic256Sha256"] | None = None
    #: Full address of the device (``opc.tcp://host:4840``, ``modbus+tcp://host:502``,
    #: ``mqtt://broker:1883``); host and port above are the short form.
    url: str | None = None
    #: OPC UA: the machine's object node (``nsu=<uri>;s=<id>``), root of its tags' browse paths.
    node: str | None = None
    #: OPC UA: ``Sign`` or ``SignAndEncrypt`` with a secure policy.
    mode: Literal["Sign", "SignAndEncrypt"] | None = None
    #: User name, and the environment variable that holds the password (never the password).
    username: str | None = None
    password_env: str | None = None
    #: OPC UA: a certificate user identity instead of a user name: the certificate and private
    #: key files (PEM or DER), relative to the working folder.
    user_certificate: str | None = None
    user_key: str | None = None

    @model_validator(mode="after")
    def _identity(self) -> Endpoint:
        if (self.user_certificate is None) != (self.user_key is None):
            raise ValueError("user_certificate and user_key go together")
        if self.user_certificate is not None and self.username is not None:
            raise ValueError("give username or user_certificate, not both")
        return self

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and "://" not in v:
            raise ValueError(f"{v!r} is not a URL (scheme://host:port)")
        return v


class Equipment(_Labelled):
    id: SegId
    name: str
    cls: EquipmentClass = Field(alias="class")
    vendor: str = ""
    model: str = ""
    serial: str = ""
    commissioned: date | None = None
    cnc: bool = False
    automated: bool = False
    key: bool = False
    connectivity: Connectivity = Connectivity.NATIVE
    protocol: Annotated[Protocol, BeforeValidator(_protocol)] = Protocol.OPCUA
    endpoint: Endpoint = Field(default_factory=Endpoint)
    tags: tuple[Tag, ...] = ()
    #: A companion-spec preset (``packml``, ``machine_tools``) that adds tags and rules.
    preset: Literal["packml", "machine_tools"] | None = None
    #: How the tags become machine events (see :mod:`shopfloor.plant.rules`).
    rules: EventRules | None = None
    #: Simulation parameters (validated by ``sim/``, opaque here).
    sim: dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        return expand_preset(data) if isinstance(data, dict) else data

    @property
    def networked(self) -> bool:
        return self.connectivity is not Connectivity.NONE

    @model_validator(mode="after")
    def _consistent(self) -> Equipment:
        names = [t.name for t in self.tags]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate tag names: {', '.join(dup)}")
        if self.connectivity is Connectivity.NONE and self.protocol is not Protocol.NONE:
            raise ValueError("connectivity 'none' needs protocol 'none' (operators report it)")
        if self.connectivity is not Connectivity.NONE and self.protocol is Protocol.NONE:
            raise ValueError(f"connectivity '{self.connectivity}' needs a protocol")
        if self.connectivity is Connectivity.GATEWAY and self.protocol is not Protocol.MODBUS:
            raise ValueError("gateway equipment is reached through Modbus TCP (protocol 'modbus')")
        if self.protocol is Protocol.MODBUS:
            missing = [t.name for t in self.tags if t.modbus is None]
            if missing:
                raise ValueError(
                    f"modbus equipment needs a register for tags: {', '.join(missing)}"
                )
            used: dict[tuple[str, int], str] = {}
            for t in self.tags:
                m = t.modbus
                assert m is not None
                if m.bit and t.data_type is not DataType.BOOL:
                    raise ValueError(f"tag {t.name} is a {m.table}: its data_type must be bool")
                if self.connectivity is Connectivity.GATEWAY and m.table != "holding":
                    raise ValueError(
                        f"tag {t.name}: gateway equipment is served in holding registers only "
                        f"(a device on its own endpoint is 'connectivity: native')"
                    )
                for r in range(m.address, m.address + m.size):
                    if (m.table, r) in used:
                        raise ValueError(
                            f"tags {used[m.table, r]} and {t.name} overlap at "
                            f"{_TABLE_NAMES[m.table]} {r}"
                        )
                    used[m.table, r] = t.name
        if self.rules is not None:
            self._check_rules(self.rules)
        if any(t.opcua_path for t in self.tags):
            if self.protocol is not Protocol.OPCUA:
                raise ValueError("tags with an opcua_path need protocol 'opcua'")
            if self.endpoint.node is None:
                raise ValueError(
                    "tags with an opcua_path need endpoint.node, the machine's object node "
                    "(shopfloor plant discover finds it)"
                )
        return self

    def _check_rules(self, rules: EventRules) -> None:
        by_name = {t.name: t for t in self.tags}
        errors = []
        for where, name, kind in rules.tag_refs():
            tag = by_name.get(name)
            if tag is None:
                errors.append(f"rules.{where}: equipment has no tag {name!r}")
            elif kind == "number" and tag.data_type in (DataType.STRING, DataType.BOOL):
                errors.append(f"rules.{where}: tag {name!r} is {tag.data_type}, needs a number")
            elif (
                kind == "bool"
                and tag.data_type is not DataType.BOOL
                and tag.data_type is not (DataType.INT)
            ):
                errors.append(f"rules.{where}: tag {name!r} is {tag.data_type}, needs bool")
        if errors:
            raise ValueError("; ".join(errors))

    def tag(self, name: str) -> Tag:
        for t in self.tags:
            if t.name == name:
                return t
        raise KeyError(f"equipment {self.id!r} has no tag {name!r}")


class Cell(_Labelled):
    id: SegId
    name: str = ""
    equipment: tuple[Equipment, ...] = ()


class Line(_Labelled):
    id: SegId
    name: str = ""
    kind: Literal["discrete", "process", "batch"] = "discrete"
    cells: tuple[Cell, ...] = ()
    #: Equipment id of the line's main energy meter (for energy per unit).
    energy_meter: str | None = None


class Area(_Labelled):
    id: SegId
    name: str = ""
    lines: tuple[Line, ...] = ()


class Named(_Labelled):
    id: SegId
    name: str = ""


class Site(Named):
    timezone: str = "UTC"
    country: str = ""


class BomItem(_Model):
    material: str
    quantity: float = Field(gt=0)
    unit: str = "1"
    #: Operation (its ``seq``) that consumes it; None = the first.
    operation: int | None = None
    lot_tracked: bool = True


class Product(_Labelled):
    id: SegId
    name: str = ""
    unit_value: float = Field(ge=0, description="value of one good unit, in currency")
    currency: str = "CNY"
    routing: str
    bom: tuple[BomItem, ...] = ()
    #: Nominal process settings (e.g. spindle speed, feed) used by the twin's quality model.
    process: dict[str, float] = Field(default_factory=dict)


class Operation(_Model):
    seq: int = Field(ge=0)
    id: SegId
    name: str = ""
    #: Equipment ids (or full paths) that can run this operation.
    eligible: tuple[str, ...] = Field(min_length=1)
    standard_time_s: float = Field(gt=0, description="planned run time per unit (PRU)")
    setup_time_s: float = Field(default=0.0, ge=0, description="changeover time to this product")
    #: Inspection characteristics measured at this operation (for SPC).
    inspect: tuple[str, ...] = ()


class Routing(_Model):
    id: SegId
    operations: tuple[Operation, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Routing:
        seqs = [o.seq for o in self.operations]
        if seqs != sorted(set(seqs)):
            raise ValueError("operations must have strictly increasing seq numbers")
        return self


class Material(_Model):
    id: SegId
    name: str = ""
    unit: str = "1"
    unit_cost: float = Field(default=0.0, ge=0)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Shift(_Model):
    name: str
    start: time
    end: time  # may be earlier than start: the shift crosses midnight
    days: tuple[Weekday, ...] = WEEKDAYS
    breaks_min: float = Field(default=0.0, ge=0)

    @property
    def duration_s(self) -> float:
        s = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        e = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        return float((e - s) % 86400 or 86400)


class Calendar(_Model):
    id: SegId
    timezone: str = "UTC"
    shifts: tuple[Shift, ...] = Field(min_length=1)


class PlannedDowntime(_Model):
    #: Equipment id, line id or full path the downtime applies to.
    target: str
    start: datetime
    end: datetime
    reason: str = "planned_maintenance"

    @model_validator(mode="after")
    def _span(self) -> PlannedDowntime:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a time zone (e.g. 2025-01-06T06:00:00Z)")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Enterprise(Named):
    pass


class Plant(_Model):
    """A validated plant file. Build it with :func:`shopfloor.plant.load_plant`."""

    schema_: str = Field(default=PLANT_SCHEMA, alias="schema")
    name: str = ""
    description: str = ""
    enterprise: Enterprise
    site: Site
    areas: tuple[Area, ...] = Field(min_length=1)
    materials: tuple[Material, ...] = ()
    products: tuple[Product, ...] = ()
    routings: tuple[Routing, ...] = ()
    calendars: tuple[Calendar, ...] = ()
    planned_downtime: tuple[PlannedDowntime, ...] = ()
    #: Simulation settings for the plant as a whole (order mix, AGV fleet...), opaque here.
    sim: dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("schema_")
    @classmethod
    def _schema(cls, v: str) -> str:
        if v != PLANT_SCHEMA:
            raise ValueError(f"unsupported plant schema {v!r}; this version reads {PLANT_SCHEMA!r}")
        return v

    # ---- navigation -------------------------------------------------------------------------

    def walk(self) -> list[tuple[str, Area, Line, Cell, Equipment]]:
        """Every equipment with its path, in file order."""
        out = []
        for a in self.areas:
            for ln in a.lines:
                for c in ln.cells:
                    for e in c.equipment:
                        path = f"{self.site.id}/{a.id}/{ln.id}/{c.id}/{e.id}"
                        out.append((path, a, ln, c, e))
        return out

    @cached_property
    def equipment_by_path(self) -> dict[str, Equipment]:
        return {p: e for p, _a, _l, _c, e in self.walk()}

    @cached_property
    def path_of(self) -> dict[str, str]:
        """Equipment id -> path (ids are unique in a plant)."""
        return {e.id: p for p, _a, _l, _c, e in self.walk()}

    @cached_property
    def line_of(self) -> dict[str, str]:
        """Equipment path -> line path."""
        return {p: p.rsplit("/", 2)[0] for p, *_ in self.walk()}

    def lines(self) -> list[tuple[str, Line]]:
        return [(f"{self.site.id}/{a.id}/{ln.id}", ln) for a in self.areas for ln in a.lines]

    def resolve(self, ref: str) -> str:
        """An equipment id or path -> its path."""
        if ref in self.equipment_by_path:
            return ref
        if ref in self.path_of:
            return self.path_of[ref]
        raise KeyError(f"unknown equipment {ref!r}")

    def equipment(self, ref: str) -> Equipment:
        return self.equipment_by_path[self.resolve(ref)]

    def tag_ids(self) -> list[str]:
        return [f"{p}/{t.name}" for p, *_r, e in self.walk() for t in e.tags]

    @cached_property
    def product_by_id(self) -> dict[str, Product]:
        return {p.id: p for p in self.products}

    @cached_property
    def routing_by_id(self) -> dict[str, Routing]:
        return {r.id: r for r in self.routings}

    # ---- cross-reference checks -------------------------------------------------------------

    @model_validator(mode="after")
    def _references(self) -> Plant:
        errors: list[str] = []
        seen: dict[str, str] = {}
        for path, *_r, e in self.walk():
            if e.id in seen:
                errors.append(f"equipment id {e.id!r} is used twice ({seen[e.id]} and {path})")
            seen[e.id] = path
        for kind, items in (
            ("area", [a.id for a in self.areas]),
            ("line", [ln.id for a in self.areas for ln in a.lines]),
            ("product", [p.id for p in self.products]),
            ("routing", [r.id for r in self.routings]),
            ("material", [m.id for m in self.materials]),
            ("calendar", [c.id for c in self.calendars]),
        ):
            dup = sorted({i for i in items if items.count(i) > 1})
            if dup:
                errors.append(f"duplicate {kind} ids: {', '.join(dup)}")
        if errors:
            raise ValueError("; ".join(errors))
        return self


def plant_reference_errors(plant: Plant) -> list[tuple[str, str]]:
    """Errors in references between sections, each with its path in the file."""
    errs: list[tuple[str, str]] = []
    eq_ids = set(plant.path_of) | set(plant.equipment_by_path)
    routings = {r.id: r for r in plant.routings}
    materials = {m.id for m in plant.materials}
    line_ids = {ln.id for _p, ln in plant.lines()} | {p for p, _ln in plant.lines()}
    for i, a in enumerate(plant.areas):
        for j, ln in enumerate(a.lines):
            if ln.energy_meter is not None and ln.energy_meter not in eq_ids:
                errs.append(
                    (
                        f"areas[{i}].lines[{j}].energy_meter",
                        f"unknown equipment {ln.energy_meter!r}",
                    )
                )
    for i, p in enumerate(plant.products):
        if p.routing not in routings:
            errs.append((f"products[{i}].routing", f"unknown routing {p.routing!r}"))
        for k, b in enumerate(p.bom):
            if b.material not in materials:
                errs.append(
                    (f"products[{i}].bom[{k}].material", f"unknown material {b.material!r}")
                )
            if (
                b.operation is not None
                and p.routing in routings
                and b.operation not in {o.seq for o in routings[p.routing].operations}
            ):
                errs.append(
                    (
                        f"products[{i}].bom[{k}].operation",
                        f"routing {p.routing!r} has no operation {b.operation}",
                    )
                )
    for i, r in enumerate(plant.routings):
        for j, op in enumerate(r.operations):
            for k, ref in enumerate(op.eligible):
                if ref not in eq_ids:
                    errs.append(
                        (
                            f"routings[{i}].operations[{j}].eligible[{k}]",
                            f"unknown equipment {ref!r}",
                        )
                    )
                elif not plant.equipment(ref).cls.produces:
                    errs.append(
                        (
                            f"routings[{i}].operations[{j}].eligible[{k}]",
                            f"equipment {ref!r} ({plant.equipment(ref).cls}) cannot run operations",
                        )
                    )
    for i, a in enumerate(plant.areas):
        for j, ln in enumerate(a.lines):
            for k, cell in enumerate(ln.cells):
                for m, e in enumerate(cell.equipment):
                    where = f"areas[{i}].lines[{j}].cells[{k}].equipment[{m}]"
                    rules = e.rules
                    if rules is None:
                        continue
                    if rules.product is not None:
                        for code, product in rules.product.map.items():
                            if product not in plant.product_by_id:
                                errs.append(
                                    (
                                        f"{where}.rules.product.map.{code}",
                                        f"unknown product {product!r}",
                                    )
                                )
    for i, d in enumerate(plant.planned_downtime):
        if d.target not in eq_ids and d.target not in line_ids:
            errs.append(
                (f"planned_downtime[{i}].target", f"unknown equipment or line {d.target!r}")
            )
    return errs
