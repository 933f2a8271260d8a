"""Tag-to-event rules: how a real machine's tags become machine events.

A machine that only publishes tags (a state code, counters, a program name, an alarm word, a kWh
meter) says nothing about states, parts or alarms by itself. An equipment's ``rules:`` section in
the plant file says how its tags map onto the platform's :class:`~shopfloor.events.MachineEvent`
kinds, so MES and the KPIs read a real machine exactly as they read the virtual plant:

``state``
    from one state tag with a value map (``map: {6: Execute, 11: Held}``; keys are the tag's
    values, numbers or strings such as ``ACTIVE`` / ``FEED_HOLD``; ``map: packml`` is the PackML
    state-code table, 1 Clearing ... 17 Complete), or from boolean ``signals``
    taken in priority order (the first one whose tag equals ``when`` decides; none: ``default``).
    Targets are PackML states; the fixed table in :mod:`shopfloor.plant.states` maps them to ISO
    22400 time elements. ``reason_tag`` (with ``reasons``, code -> reason id) names why a stop
    happened; a stop shorter than ``short_stop_s`` is reported as a minor stop. Entering one of
    the ``failure_states`` (default Aborting, Aborted, Clearing; ``[]`` for none) is a failure,
    leaving them its repair (MTBF, MTTR).
``counts``
    from counters (an increment is ``scale`` parts; a counter wraps after ``rollover``; a
    decrease that is not a wrap is a reset and counts nothing). Give two of ``total`` (all parts
    out, rejects included), ``good`` and ``reject``, or one of ``total`` / ``good`` alone, or an
    ``inspection`` tag whose every new value is one part (good when it is in ``good_values``).
    ``infeed`` is recorded for yield, not counted as output. ``standard_time_s`` is the planned
    run time per unit (default: the routing's operation this equipment runs; without either,
    parts count and effectiveness stays undefined).
``product``
    from an active-program or recipe tag, mapped to the plant's product ids by ``map`` (a value
    that already is a product id needs no row).
``alarms``
    from alarm ``words`` (each word tag's bits, numbered from the least significant, name an
    alarm) and alarm ``codes`` (a tag holding the active alarm's number, ``0`` for none, with
    optional ``texts`` per number).
``energy``
    from a meter's cumulative ``kwh`` counter or a ``kw`` power tag (integrated), with ``scale``;
    one event at most every ``every_s`` (default 60 s) and one at each state change.

``preset: packml`` (OPC 30050 / ISA-TR88 names) or ``preset: machine_tools`` (OPC 40501) adds
the tags and rules of a compliant machine, found by browse path under the equipment's
``endpoint.node``; what the equipment writes itself wins. A rule naming a tag the equipment does
not have, or a tag of the wrong type, is refused when the plant file loads, by its path.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shopfloor.plant.states import PACKML_CODES, PackMLState


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def value_key(value: Any) -> str:
    """The map key of a tag value: integral numbers without a decimal point, text as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


#: PackML state codes (OPC 30050 ``Status.StateCurrent``) -> states; ``map: packml`` names it.
PACKML_MAP = {str(code): state.value for state, code in PACKML_CODES.items()}
#: Code tables a state rule's ``map`` may name instead of listing its values.
STATE_TABLES: dict[str, dict[str, str]] = {"packml": PACKML_MAP}


def _state_map(v: Any) -> Any:
    if isinstance(v, str):
        if v not in STATE_TABLES:
            raise ValueError(f"unknown state code table {v!r} (known: {', '.join(STATE_TABLES)})")
        return dict(STATE_TABLES[v])
    return _keys(v)


def _keys(v: Any) -> Any:
    if isinstance(v, dict):
        return {value_key(k): x for k, x in v.items()}
    return v


class StateSignal(_Rule):
    tag: str
    state: PackMLState
    #: The value of the tag that makes this signal true.
    when: bool = True


class StateRule(_Rule):
    tag: str | None = None
    map: dict[str, PackMLState] = Field(default_factory=dict)
    signals: tuple[StateSignal, ...] = ()
    #: State for an unmapped value (state tag) or when no signal is true (booleans);
    #: None: an unmapped value is counted and ignored.
    default: PackMLState | None = None
    short_stop_s: float = Field(default=0.0, ge=0)
    #: States that mean the machine failed (PackML: Aborting, Aborted, Clearing): entering one
    #: is a failure and leaving them its repair, for MTBF and MTTR. Empty: no failures counted.
    failure_states: tuple[PackMLState, ...] = (
        PackMLState.ABORTING,
        PackMLState.ABORTED,
        PackMLState.CLEARING,
    )
    reason_tag: str | None = None
    reasons: dict[str, str] = Field(default_factory=dict)

    _map = field_validator("map", mode="before")(lambda cls, v: _state_map(v))
    _reasons = field_validator("reasons", mode="before")(lambda cls, v: _keys(v))

    @model_validator(mode="after")
    def _one_source(self) -> StateRule:
        if (self.tag is None) == (not self.signals):
            raise ValueError("give either a state 'tag' with a 'map' or boolean 'signals'")
        if self.tag is not None and not self.map:
            raise ValueError("a state tag needs a 'map' from its values to PackML states")
        if self.signals and self.default is None:
            raise ValueError("boolean signals need a 'default' state for when none is true")
        return self


class CounterRule(_Rule):
    tag: str
    #: Parts per increment (e.g. 4 parts per press stroke).
    scale: float = Field(default=1.0, gt=0)
    #: The counter's maximum; after it the counter wraps to 0.
    rollover: int | None = Field(default=None, gt=0)


class InspectionRule(_Rule):
    tag: str
    #: Values of the tag that mean a good part (every other new value is a bad one).
    good_values: tuple[str, ...] = ("true", "1", "OK", "GOOD")

    _good = field_validator("good_values", mode="before")(
        lambda cls, v: tuple(value_key(x) for x in v) if isinstance(v, list | tuple) else v
    )


class CountRule(_Rule):
    total: CounterRule | None = None
    good: CounterRule | None = None
    reject: CounterRule | None = None
    infeed: CounterRule | None = None
    inspection: InspectionRule | None = None
    standard_time_s: float | None = Field(default=None, gt=0)
    #: Operation id reported with the parts (default: the routing's operation here).
    operation: str | None = None

    @model_validator(mode="after")
    def _enough(self) -> CountRule:
        given = [n for n in ("total", "good", "reject") if getattr(self, n) is not None]
        if self.inspection is not None:
            if given:
                raise ValueError("count from an 'inspection' tag or from counters, not both")
            return self
        if len(given) == 3:
            raise ValueError("give two of total, good and reject (the third follows)")
        if given == ["reject"]:
            raise ValueError("a reject counter needs a total or a good counter beside it")
        if not given:
            raise ValueError("counts need a total, good or reject counter, or an inspection tag")
        return self


class ProductRule(_Rule):
    tag: str
    map: dict[str, str] = Field(default_factory=dict)

    _map = field_validator("map", mode="before")(lambda cls, v: _keys(v))


class OrderRule(_Rule):
    """The job order the machine runs, from a tag holding the order id (empty: none)."""

    tag: str


class AlarmBit(_Rule):
    code: str = Field(min_length=1)
    text: str = ""
    priority: int = Field(default=500, ge=1, le=1000)


class AlarmWord(_Rule):
    tag: str
    bits: dict[int, AlarmBit] = Field(min_length=1)

    @field_validator("bits")
    @classmethod
    def _bits(cls, v: dict[int, AlarmBit]) -> dict[int, AlarmBit]:
        bad = [b for b in v if not 0 <= b <= 63]
        if bad:
            raise ValueError(f"bit numbers must be 0-63, not {bad}")
        return v


class AlarmCode(_Rule):
    """A tag holding the number of the active alarm (legacy controls behind a gateway)."""

    tag: str
    #: Texts of known alarm numbers (an unknown number is raised with an empty text).
    texts: dict[str, str] = Field(default_factory=dict)
    priority: int = Field(default=500, ge=1, le=1000)
    #: Values that mean no alarm is active.
    none: tuple[str, ...] = ("0", "")

    _texts = field_validator("texts", mode="before")(lambda cls, v: _keys(v))
    _none = field_validator("none", mode="before")(
        lambda cls, v: tuple(value_key(x) for x in v) if isinstance(v, list | tuple) else v
    )


class AlarmRule(_Rule):
    words: tuple[AlarmWord, ...] = ()
    codes: tuple[AlarmCode, ...] = ()

    @model_validator(mode="after")
    def _some(self) -> AlarmRule:
        if not self.words and not self.codes:
            raise ValueError("alarms need alarm 'words' (bit tables) or alarm 'codes' tags")
        return self


class EnergyRule(_Rule):
    tag: str
    kind: Literal["kwh", "kw"] = "kwh"
    #: Multiplies the tag's value into kWh (or kW), e.g. 0.001 for a Wh counter.
    scale: float = Field(default=1.0, gt=0)
    rollover: float | None = Field(default=None, gt=0)
    #: An energy event at most every ``every_s`` of device time, and one at each state change
    #: (the reading carries the cumulative kWh, so nothing is lost between two).
    every_s: float = Field(default=60.0, ge=0)


class EventRules(_Rule):
    state: StateRule | None = None
    counts: CountRule | None = None
    product: ProductRule | None = None
    order: OrderRule | None = None
    alarms: AlarmRule | None = None
    energy: EnergyRule | None = None

    def tag_refs(self) -> list[tuple[str, str, str]]:
        """``(path in rules, tag name, kind)`` of every tag a rule reads; kind is ``number``,
        ``bool``, ``text`` or ``any``."""
        out: list[tuple[str, str, str]] = []
        if self.state is not None:
            if self.state.tag is not None:
                out.append(("state.tag", self.state.tag, "any"))
            for i, s in enumerate(self.state.signals):
                out.append((f"state.signals[{i}].tag", s.tag, "bool"))
            if self.state.reason_tag is not None:
                out.append(("state.reason_tag", self.state.reason_tag, "any"))
        if self.counts is not None:
            for name in ("total", "good", "reject", "infeed"):
                c = getattr(self.counts, name)
                if c is not None:
                    out.append((f"counts.{name}.tag", c.tag, "number"))
            if self.counts.inspection is not None:
                out.append(("counts.inspection.tag", self.counts.inspection.tag, "any"))
        if self.product is not None:
            out.append(("product.tag", self.product.tag, "any"))
        if self.order is not None:
            out.append(("order.tag", self.order.tag, "any"))
        if self.alarms is not None:
            for i, w in enumerate(self.alarms.words):
                out.append((f"alarms.words[{i}].tag", w.tag, "number"))
            for i, c in enumerate(self.alarms.codes):
                out.append((f"alarms.codes[{i}].tag", c.tag, "any"))
        if self.energy is not None:
            out.append(("energy.tag", self.energy.tag, "number"))
        return out


# ---- presets ---------------------------------------------------------------------------------

#: OPC 40501 ProductionStateMachineType state numbers -> PackML states (what the time counts as).
#: The numbers follow the state machine's declared order (Initializing, Running, Ended,
#: Interrupted, Aborted) — inferred: true, check them against your machine's nodeset.
MACHINE_TOOLS_MAP = {
    "0": PackMLState.STARTING.value,  # Initializing
    "1": PackMLState.EXECUTE.value,  # Running
    "2": PackMLState.COMPLETE.value,  # Ended
    "3": PackMLState.HELD.value,  # Interrupted
    "4": PackMLState.ABORTED.value,  # Aborted
}

PRESETS: dict[str, dict[str, Any]] = {
    "packml": {
        "tags": [
            {
                "name": "state_current",
                "data_type": "int",
                "unit": "1",
                "description": "PackML state (Status.StateCurrent)",
                "opcua_path": "Status/StateCurrent",
            },
            {
                "name": "prod_processed_count",
                "data_type": "int",
                "unit": "1",
                "description": "Parts processed (Admin.ProdProcessedCount)",
                "opcua_path": "Admin/ProdProcessedCount",
            },
            {
                "name": "prod_defective_count",
                "data_type": "int",
                "unit": "1",
                "description": "Defective parts (Admin.ProdDefectiveCount)",
                "opcua_path": "Admin/ProdDefectiveCount",
            },
            {
                "name": "stop_reason",
                "data_type": "int",
                "unit": "1",
                "description": "Stop reason id (Admin.StopReason.ID)",
                "opcua_path": "Admin/StopReason/ID",
            },
        ],
        "rules": {
            "state": {"tag": "state_current", "map": PACKML_MAP, "reason_tag": "stop_reason"},
            "counts": {
                "total": {"tag": "prod_processed_count"},
                "reject": {"tag": "prod_defective_count"},
            },
        },
    },
    "machine_tools": {
        "tags": [
            {
                "name": "program_state",
                "data_type": "int",
                "unit": "1",
                "description": "Active program state number (Production.ActiveProgram.State)",
                "opcua_path": "Production/ActiveProgram/State/CurrentState/Number",
            },
            {
                "name": "program_name",
                "data_type": "string",
                "description": "Active program (Production.ActiveProgram.Name)",
                "opcua_path": "Production/ActiveProgram/Name",
            },
            {
                "name": "parts_completed",
                "data_type": "int",
                "unit": "1",
                "description": "Parts completed (ProductionPlan/*/PartSets/*/PartsCompletedPerRun)",
                "opcua_path": "Production/ProductionPlan/*/PartSets/*/PartsCompletedPerRun",
            },
        ],
        "rules": {
            "state": {"tag": "program_state", "map": MACHINE_TOOLS_MAP},
            "counts": {"total": {"tag": "parts_completed"}},
            "product": {"tag": "program_name"},
        },
    },
}


def expand_preset(eq: dict[str, Any]) -> dict[str, Any]:
    """An equipment document with its preset's tags and rules added (its own win)."""
    name = eq.get("preset")
    if name is None:
        return eq
    if name not in PRESETS:
        raise ValueError(f"preset: unknown preset {name!r} (known: {', '.join(PRESETS)})")
    preset = PRESETS[name]
    out = dict(eq)
    own = {t.get("name"): t for t in out.get("tags") or [] if isinstance(t, dict)}
    out["tags"] = [t for t in preset["tags"] if t["name"] not in own] + list(out.get("tags") or [])
    rules = dict(preset["rules"])
    rules.update(out.get("rules") or {})
    out["rules"] = rules
    return out
