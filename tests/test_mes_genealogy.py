"""Genealogy: the consumption rule, sub-assemblies, backward and forward trace on a small tree."""

from __future__ import annotations

import pytest

from shopfloor.clock import VirtualClock
from shopfloor.errors import BadInput
from shopfloor.events import EventKind
from shopfloor.mes import MesNotFound, MesService
from tests.test_mes_support import (  # noqa: F401 - fixtures
    Events,
    clock_fixture,
    db_url_fixture,
    mes_fixture,
    path,
    pg_database_fixture,
    sqlite_template_fixture,
)


def _build_tree(mes: MesService, clock: VirtualClock) -> None:
    """Two housings (casting lot CA-1) built into two pumps; bearings from two lots."""
    ev = Events(clock)
    m = mes.material
    for lot, material in [
        ("CA-1", "casting-a"),
        ("BR-1", "bearing"),
        ("BR-2", "bearing"),
        ("SH-1", "shaft"),
        ("IM-1", "impeller"),
        ("SE-1", "seal"),
    ]:
        m.create_lot(lot, material, 500, supplier="ACME Foundry" if lot == "CA-1" else "")
    m.load_lot("lathe-01", "casting-a", "CA-1", who="wang")
    mes.orders.create("housing-a", 2, order_id="H1")
    mes.orders.release("H1")
    events = []
    for serial in ("H-1", "H-2"):
        events += ev.part(
            "lathe-01",
            serial,
            "H1",
            "housing-a",
            "turn",
            10,
            process={"spindle_speed": 6010.0},
            operator="wang",
        )
    mes.apply_many(events)
    mes.orders.create("pump-a", 2, order_id="P1")
    mes.orders.release("P1")
    m.load_lot("press-01", "bearing", "BR-1")
    m.load_lot("press-01", "shaft", "SH-1")
    mes.apply_many(
        ev.part("press-01", "P-1", "P1", "pump-a", "press", 10, process={"press_force": 12.2})
    )
    m.load_lot("press-01", "bearing", "BR-2")  # BR-1 is unloaded by loading BR-2
    mes.apply_many(ev.part("press-01", "P-2", "P1", "pump-a", "press", 10))
    m.load_lot("asm-01", "impeller", "IM-1")
    m.load_lot("asm-01", "seal", "SE-1")
    mes.apply_many(
        ev.part("asm-01", "P-1", "P1", "pump-a", "assemble", 20, components=["H-1"], operator="li")
    )
    # P-2 is assembled with no seal loaded: the gap shows on its operation
    m.unload_lot("asm-01", "seal")
    mes.apply_many(ev.part("asm-01", "P-2", "P1", "pump-a", "assemble", 20))
    mes.material.assemble("P-2", "H-2", equipment="asm-01", who="li")


def test_backward_trace_gives_lots_units_machines_operators_process(
    mes: MesService, clock: VirtualClock
) -> None:
    _build_tree(mes, clock)
    t = mes.trace.trace("P-1", direction="backward")
    assert t["kind"] == "serial"
    assert [(u["serial"], u["depth"], u["into"]) for u in t["units"]] == [
        ("P-1", 0, None),
        ("H-1", 1, "P-1"),
    ]
    lots = {(lot["lot"], lot["material"], lot["quantity"], lot["into"]) for lot in t["lots"]}
    assert lots == {
        ("BR-1", "bearing", 2.0, "P-1"),
        ("SH-1", "shaft", 1.0, "P-1"),
        ("IM-1", "impeller", 1.0, "P-1"),
        ("SE-1", "seal", 1.0, "P-1"),
        ("CA-1", "casting-a", 1.0, "H-1"),
    }
    assert next(x for x in t["lots"] if x["lot"] == "CA-1")["supplier"] == "ACME Foundry"
    assert t["machines"] == sorted([path("press-01"), path("asm-01"), path("lathe-01")])
    assert t["operators"] == ["li", "wang"]
    housing = t["units"][1]
    assert housing["operations"][0]["process"] == {"spindle_speed": 6010.0}
    assert housing["operations"][0]["equipment"] == path("lathe-01")


def test_forward_trace_finds_finished_units_through_subassemblies(
    mes: MesService, clock: VirtualClock
) -> None:
    _build_tree(mes, clock)
    t = mes.trace.trace("CA-1", direction="forward")
    assert t["kind"] == "lot"
    got = {(u["serial"], u["depth"], u["via"], u["finished"]) for u in t["units"]}
    assert got == {
        ("H-1", 1, "CA-1", False),
        ("H-2", 1, "CA-1", False),
        ("P-1", 2, "H-1", True),
        ("P-2", 2, "H-2", True),
    }
    assert sorted(t["finished"]) == ["P-1", "P-2"]
    assert [u["serial"] for u in mes.trace.trace("BR-1", direction="forward")["units"]] == ["P-1"]
    assert [u["serial"] for u in mes.trace.trace("BR-2", direction="forward")["units"]] == ["P-2"]
    assert mes.trace.trace("H-2", direction="forward")["finished"] == ["P-2"]


def test_consumption_rule_records_gaps_and_lot_usage(mes: MesService, clock: VirtualClock) -> None:
    _build_tree(mes, clock)
    p2 = mes.material.unit("P-2")
    assert p2["operations"][1]["missing"] == ["seal"]
    assert mes.material.lot("CA-1").consumed == 2.0
    assert mes.material.lot("BR-1").consumed == 2.0
    back = mes.trace.trace("P-2")
    assert {x["lot"] for x in back["lots"]} == {"BR-2", "SH-1", "IM-1", "CA-1"}
    assert {u["serial"] for u in back["units"]} == {"P-2", "H-2"}
    assert [x.lot_id for x in mes.material.loaded("asm-01")] == ["IM-1"]


def test_lot_and_trace_errors_name_the_problem(mes: MesService) -> None:
    with pytest.raises(BadInput, match="unknown material 'unobtainium'"):
        mes.material.create_lot("X-1", "unobtainium", 10)
    with pytest.raises(BadInput, match="positive quantity"):
        mes.material.create_lot("X-1", "seal", 0)
    mes.material.create_lot("X-1", "seal", 10)
    with pytest.raises(BadInput, match="lot X-1 is seal, not bearing"):
        mes.material.load_lot("asm-01", "bearing", "X-1")
    with pytest.raises(MesNotFound, match="no lot 'X-2'"):
        mes.material.load_lot("asm-01", "seal", "X-2")
    with pytest.raises(MesNotFound, match="no lot of seal is loaded"):
        mes.material.unload_lot("asm-01", "seal")
    with pytest.raises(MesNotFound, match="neither a known serial nor a known lot"):
        mes.trace.trace("nothing")


def test_part_events_without_an_mes_order_still_build_genealogy(
    mes: MesService, clock: VirtualClock
) -> None:
    """Units of orders MES does not know (the plant's own orders) are traced from the plant BOM."""
    mes.material.create_lot("CB-7", "casting-b", 100)
    mes.material.load_lot("lathe-02", "casting-b", "CB-7")
    ev = Events(clock)
    mes.apply_many(ev.part("lathe-02", "HB-1", "SIM-1", "housing-b", "turn", 10))
    assert [u["serial"] for u in mes.trace.trace("CB-7", direction="forward")["units"]] == ["HB-1"]
    assert mes.material.unit("HB-1")["order_id"] == "SIM-1"
    assert (
        mes.apply(
            ev(
                EventKind.PART_SCRAP,
                "lathe-02",
                "HB-1",
                "SIM-1",
                product="housing-b",
                defect="porosity",
            )
        )
        == "applied"
    )
    assert mes.material.unit("HB-1")["defect"] == "porosity"
