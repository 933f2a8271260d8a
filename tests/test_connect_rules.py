"""Tag-to-event rules: plant-file validation by path, and the events a plain device's tags give."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shopfloor.connect.rules import RuleSink
from shopfloor.connect.sink import SampleBatch
from shopfloor.errors import ValidationFailed
from shopfloor.events import EventKind
from shopfloor.kpi import KpiBook
from shopfloor.plant.loader import parse_plant
from shopfloor.samples import Quality, Sample

S = 1_000_000_000

PLANT = """
schema: shopfloor.plant/v1
enterprise: {id: acme}
site: {id: works}
areas:
  - id: pack
    lines:
      - id: line-1
        cells:
          - id: c
            equipment:
              - id: filler-01
                name: Filler
                class: packaging
                preset: packml
                endpoint: {url: "opc.tcp://127.0.0.1:4840", node: "nsu=urn:fixture;s=Filler"}
                rules:
                  counts:
                    total: {tag: prod_processed_count}
                    reject: {tag: prod_defective_count}
                    standard_time_s: 2.0
              - id: press-01
                name: Press
                class: press
                connectivity: gateway
                protocol: modbus
                endpoint: {url: "modbus+tcp://127.0.0.1:5020", unit_id: 1}
                tags:
                  - {name: running, data_type: bool, modbus: {address: 0, type: uint16}}
                  - {name: faulted, data_type: bool, modbus: {address: 1, type: uint16}}
                  - {name: strokes, data_type: int, modbus: {address: 2, type: uint16}}
                  - {name: alarms, data_type: int, modbus: {address: 3, type: uint16}}
                  - {name: kwh, data_type: double, modbus: {address: 4, type: float32}}
                rules:
                  state:
                    signals: [{tag: faulted, state: Aborted}, {tag: running, state: Execute}]
                    default: Idle
                    short_stop_s: 30
                  counts: {total: {tag: strokes, scale: 2, rollover: 65535}, standard_time_s: 1}
                  alarms: {words: [{tag: alarms, bits: {0: {code: E-STOP}, 3: {code: DOOR}}}]}
                  energy: {tag: kwh}
"""


def _plant(text: str = PLANT):
    return parse_plant(yaml.safe_load(text))


def test_preset_adds_tags_and_rules_and_own_rules_win() -> None:
    eq = _plant().equipment("filler-01")
    assert [t.name for t in eq.tags][:3] == [
        "state_current", "prod_processed_count", "prod_defective_count",
    ]  # fmt: skip
    assert eq.tag("state_current").opcua_path == "Status/StateCurrent"
    assert eq.rules is not None and eq.rules.state is not None
    assert eq.rules.state.map["6"].value == "Execute"
    assert eq.rules.counts is not None and eq.rules.counts.standard_time_s == 2.0


def test_a_rule_that_does_not_fit_its_tags_is_refused_by_path() -> None:
    bad = PLANT.replace("total: {tag: strokes", "total: {tag: stroke")
    with pytest.raises(ValidationFailed) as err:
        _plant(bad)
    ((where, why),) = err.value.errors
    assert where == "areas[0].lines[0].cells[0].equipment[1]"
    assert why == "rules.counts.total.tag: equipment has no tag 'stroke'"
    no_node = PLANT.replace(', node: "nsu=urn:fixture;s=Filler"', "")
    with pytest.raises(ValidationFailed, match=r"endpoint\.node"):
        _plant(no_node)


async def _run(plant, rows):
    got = []

    class Inner:
        async def on_samples(self, batch):
            return None

        async def on_events(self, events):
            got.extend(events)

    sink = RuleSink(plant, Inner())
    for ts, tag, value in rows:
        await sink.on_samples(SampleBatch.from_samples([Sample(tag, ts, value, Quality.GOOD)]))
    return got


async def test_packml_script_gives_states_counts_and_oee() -> None:
    plant = _plant()
    f = "works/pack/line-1/c/filler-01"
    rows = [(0, f"{f}/state_current", 6), (0, f"{f}/prod_processed_count", 1000),
            (0, f"{f}/prod_defective_count", 50)]  # fmt: skip
    # 240 s Execute making 100 parts (4 of them rejects), then 60 s Held
    for i in range(1, 101):
        rows.append((i * 2 * S, f"{f}/prod_processed_count", 1000 + i))
        if i % 25 == 0:
            rows.append((i * 2 * S, f"{f}/prod_defective_count", 50 + i // 25))
    rows += [(240 * S, f"{f}/state_current", 11), (300 * S, f"{f}/state_current", 6)]
    events = await _run(plant, rows)
    parts = [e for e in events if e.kind is EventKind.PART_COMPLETE]
    moved = sum(bool(e.payload.get("reclassified")) for e in parts)
    assert moved == 4  # each reject came after its part, which was first counted good
    assert len(parts) - moved == 100  # produced
    assert sum(e.payload["good"] for e in parts) - moved == 96
    assert sum(not e.payload["good"] for e in parts) == 4
    states = [(e.ts_ns, e.payload["state"]) for e in events if e.kind is EventKind.STATE_CHANGE]
    assert states == [(0, "Execute"), (240 * S, "Held"), (300 * S, "Execute")]
    (down,) = [e for e in events if e.kind is EventKind.DOWNTIME]
    assert (down.payload["start_ns"], down.payload["end_ns"]) == (240 * S, 300 * S)
    assert down.payload["category"] == "stop"
    book = KpiBook(plant)
    assert book.feed_many(events) == 0
    kpi = book.report(until_ns=300 * S).to_json()["equipment"][f]["kpi"]
    assert kpi["availability"] == pytest.approx(240 / 300)
    assert kpi["quality_ratio"] == pytest.approx(0.96)
    assert kpi["effectiveness"] == pytest.approx(100 * 2.0 / 240)


def _docs_plant_text() -> str:
    text = (Path(__file__).parents[1] / "docs" / "connect.md").read_text(encoding="utf-8")
    return text.split("```yaml\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize(
    ("source", "p"),
    [("test", "works/pack/line-1/c/press-01"), ("docs", "works/pack/line-1/c1/press-01")],
)
async def test_booleans_rollover_reset_alarms_and_energy(source: str, p: str) -> None:
    """The same script on this file's press and on docs/connect.md's example press."""
    plant = _plant(PLANT if source == "test" else _docs_plant_text())
    rows = [
        (0, f"{p}/running", True), (0, f"{p}/strokes", 65534), (0, f"{p}/kwh", 10.0),
        (1 * S, f"{p}/strokes", 1),  # wrapped: 65534 -> 65535 -> 0 -> 1 is 3 strokes = 6 parts
        (2 * S, f"{p}/faulted", True), (2 * S, f"{p}/alarms", 0b1001),
        (12 * S, f"{p}/faulted", False), (12 * S, f"{p}/alarms", 0b1000),
        (13 * S, f"{p}/strokes", 0),  # reset by the operator: no parts
        (14 * S, f"{p}/strokes", 3), (14 * S, f"{p}/kwh", 12.5),
    ]  # fmt: skip
    events = await _run(plant, rows)
    states = [e.payload["state"] for e in events if e.kind is EventKind.STATE_CHANGE]
    assert states == ["Execute", "Aborted", "Execute"]
    assert sum(e.kind is EventKind.PART_COMPLETE for e in events) == 6 + 6
    (down,) = [e for e in events if e.kind is EventKind.DOWNTIME]
    assert down.payload["category"] == "minor_stop"  # 10 s < short_stop_s 30
    alarms = [(e.payload["code"], e.payload["active"]) for e in events if e.kind is EventKind.ALARM]
    assert alarms == [("E-STOP", True), ("DOOR", True), ("E-STOP", False)]
    energy = [e.payload["kwh"] for e in events if e.kind is EventKind.ENERGY]
    assert energy == [0.0, pytest.approx(2.5)]  # the baseline, then 12.5 - 10 kWh


def test_docs_example_plant_loads() -> None:
    plant = _plant(_docs_plant_text())
    rules = {e.id: e.rules for *_r, e in plant.walk()}
    assert set(rules) == {"filler-01", "capper-01", "press-01"}
    assert all(r is not None for r in rules.values())
    filler = plant.equipment("filler-01")
    assert filler.tag("prod_defective_count").opcua_path == "Admin/ProdDefectiveCount"


async def test_counts_without_a_standard_time_leave_effectiveness_undefined() -> None:
    """A machine read before anyone gave its standard time: states and counts as usual, and
    effectiveness (so OEE) undefined rather than 0."""
    text = PLANT.replace(", standard_time_s: 1}", "}")
    if "routings:" in text:  # the press must run no routing operation for this check
        assert "press-01" not in text.split("routings:", 1)[1]
    plant = _plant(text)
    p = "works/pack/line-1/c/press-01"
    rows = [(0, f"{p}/running", True), (0, f"{p}/strokes", 10), (5 * S, f"{p}/strokes", 13)]
    events = await _run(plant, rows)
    parts = [e for e in events if e.kind is EventKind.PART_COMPLETE]
    assert len(parts) == 6 and all("standard_time_s" not in e.payload for e in parts)
    book = KpiBook(plant)
    assert book.feed_many(events) == 0
    entry = book.report(until_ns=10 * S).to_json()["equipment"][p]
    assert (entry["basket"]["pq"], entry["basket"]["unrated"]) == (6, 6)
    assert entry["kpi"]["availability"] == pytest.approx(1.0)
    assert entry["kpi"]["effectiveness"] is None and entry["kpi"]["oee"] is None
    assert entry["kpi"]["quality_ratio"] == pytest.approx(1.0)


JOBS = """
schema: shopfloor.plant/v1
enterprise: {id: acme}
site: {id: works}
areas:
  - id: pack
    lines:
      - id: line-1
        cells:
          - id: c
            equipment:
              - id: cell-01
                name: Cell
                class: assembly_station
                endpoint: {url: "opc.tcp://127.0.0.1:4840"}
                tags:
                  - {name: running, data_type: bool, opcua_node: "nsu=urn:x;s=running"}
                  - {name: strokes, data_type: int, opcua_node: "nsu=urn:x;s=strokes"}
                  - {name: order, data_type: string, opcua_node: "nsu=urn:x;s=order"}
                  - {name: program, data_type: string, opcua_node: "nsu=urn:x;s=program"}
                rules:
                  state: {signals: [{tag: running, state: Execute}], default: Idle}
                  counts: {total: {tag: strokes}, standard_time_s: 1}
                  order: {tag: order}
                  product: {tag: program, map: {P-7: jar}}
products:
  - {id: jar, name: Jar, routing: r, unit_value: 1}
  - {id: lid, name: Lid, routing: r, unit_value: 1}
routings:
  - id: r
    operations: [{seq: 10, id: op, name: Op, eligible: [cell-01], standard_time_s: 2}]
"""


async def test_order_and_product_from_tags_a_part_counted_at_the_change_is_the_old_jobs() -> None:
    plant = _plant(JOBS)
    p = "works/pack/line-1/c/cell-01"
    rows = [
        (0, f"{p}/running", True), (0, f"{p}/order", "JO-1"), (0, f"{p}/program", "P-7"),
        (0, f"{p}/strokes", 10),
        (5 * S, f"{p}/strokes", 12),  # 2 parts of JO-1
        (9 * S, f"{p}/order", "JO-2"), (9 * S, f"{p}/program", "lid"),
        (9 * S, f"{p}/strokes", 13),  # the last of JO-1, counted with the change
        (12 * S, f"{p}/strokes", 14),  # JO-2's first
        (14 * S, f"{p}/order", ""),  # no job
        (15 * S, f"{p}/strokes", 15),
    ]  # fmt: skip
    events = await _run(plant, rows)
    parts = [
        (e.order_id, e.payload["product"]) for e in events if e.kind is EventKind.PART_COMPLETE
    ]
    assert parts == [("JO-1", "jar")] * 3 + [("JO-2", "lid"), (None, "lid")]


async def test_a_fault_is_a_failure_and_its_repair_and_one_stop_lasts_through_its_states() -> None:
    """The filler's PackML state codes: Held, then Aborted for 120 s, then Execute again: one
    stop from the hold (category failure), one failure and its repair, and MTBF / MTTR from
    them; a fault shorter than the short-stop threshold is a minor stop and no failure."""
    state = "state: {tag: state_current, map: packml, short_stop_s: 30}"
    text = PLANT.replace("standard_time_s: 2.0", "standard_time_s: 2.0\n" + " " * 18 + state)
    plant = _plant(text)
    f = "works/pack/line-1/c/filler-01"
    tag = f"{f}/state_current"
    rows = [
        (0, tag, 6), (100 * S, tag, 11), (110 * S, tag, 9), (230 * S, tag, 6),  # held, failed
        (300 * S, tag, 9), (310 * S, tag, 6),  # a 10 s fault: below short_stop_s 30
    ]  # fmt: skip
    events = await _run(plant, rows)
    kinds = [(e.kind, e.ts_ns // S) for e in events if e.kind is not EventKind.STATE_CHANGE]
    assert kinds == [
        (EventKind.FAILURE, 110), (EventKind.REPAIR, 230), (EventKind.DOWNTIME, 230),
        (EventKind.DOWNTIME, 310),
    ]  # fmt: skip
    (repair,) = [e for e in events if e.kind is EventKind.REPAIR]
    assert repair.payload["duration_s"] == pytest.approx(120.0)
    stop, short = [e.payload for e in events if e.kind is EventKind.DOWNTIME]
    assert (stop["start_ns"], stop["end_ns"], stop["category"]) == (100 * S, 230 * S, "failure")
    assert (short["start_ns"], short["category"]) == (300 * S, "minor_stop")
    book = KpiBook(plant)
    assert book.feed_many(events) == 0
    kpi = book.report(until_ns=400 * S).to_json()["equipment"][f]["kpi"]
    assert kpi["mttr"] == pytest.approx(2.0)  # minutes
    assert kpi["mtbf"] == pytest.approx((400 - 130 - 10) / 3600)  # operating hours per failure
