"""Importing: schedules become job orders, definitions become plant master data, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shopfloor.clock import VirtualClock, parse_instant, to_ns
from shopfloor.erp import (
    ImportOptions,
    PlantOutput,
    commit_import,
    plan_import,
    read_b2mml,
    read_plant_source,
    run_import,
)
from shopfloor.erp.csvorders import read_orders_csv
from shopfloor.erp.planning import LotSpec, OrderSpec
from shopfloor.erp.refs import RefStore
from shopfloor.errors import BadInput, ValidationFailed
from shopfloor.mes import MesNotFound, open_mes
from shopfloor.mes.db import make_engine
from shopfloor.plant import load_plant
from tests.test_erp_support import (
    EXAMPLES,
    NS6,
    NS7,
    SCHEMAS,
    Request,
    Segment,
    Step,
    materials,
    mes_template_fixture,
    mes_url_fixture,
    v0600_product,
    v0600_schedule,
    v0701_product,
    v0701_schedule,
)

__all__ = ["mes_template_fixture", "mes_url_fixture"]
DEMO = read_plant_source("demo")
SCHEDULES: dict[str, Callable[[str, list[Request]], bytes]] = {
    "V0600": v0600_schedule,
    "V0701": v0701_schedule,
}
PRODUCTS = {"V0600": v0600_product, "V0701": v0701_product}
STEPS = [
    Step("HC-10", "turn", "Turn flange", "PT3M", ("lathe-01",), (), (("CAST-C", 1),)),
    Step("HC-20", "mill", "Mill faces", "PT7M30S", (), ("CNC machining centre",)),
]


def refs(url: str, kind: str) -> dict[str, tuple[str, dict[str, Any]]]:
    engine = make_engine(url)
    try:
        return {k: (v.erp_id, v.data) for k, v in RefStore(engine).of_kind(kind).items()}
    finally:
        engine.dispose()


@pytest.mark.parametrize("version", ["V0600", "V0701"])
def test_a_schedule_becomes_job_orders_keeping_the_erp_ids(mes_url: str, version: str) -> None:
    requests = [
        Request(
            "PR-1001",
            "HOUSING-A",
            2,
            priority=7,
            segments=[
                Segment("PR-1001-10", "turn", ("lathe-01",), "PT10M"),
                Segment("PR-1001-20", "mill", ("vmc-01", "vmc-02"), None, "2025-01-08T12:00:00Z"),
            ],
            consumed=[("casting-a", 2)],
        ),
        Request(
            "PR-1002",
            "housing-b",
            5,
            due=None,
            priority=None,
            segments=[Segment("PR-1002-10", "turn", (), None, "2025-01-09T08:00:00Z")],
        ),
    ]
    doc = read_b2mml(SCHEDULES[version]("SCH-7", requests), "sched.xml", SCHEMAS)
    result = run_import(doc, DEMO, mes_url, clock=VirtualClock())
    assert (result.version, result.orders, result.changes) == (version, ["PR-1001", "PR-1002"], [])
    assert result.plant_file is None
    with open_mes(mes_url, plant="demo") as mes:
        a, b = mes.orders.get("PR-1001"), mes.orders.get("PR-1002")
    assert (a.product, a.quantity, a.priority, a.status) == ("housing-a", 2, 7, "created")
    assert a.due_ns == to_ns(parse_instant("2025-01-08T14:00:00Z"))
    assert (b.product, b.quantity, b.priority) == ("housing-b", 5, 0)
    assert b.due_ns == to_ns(parse_instant("2025-01-09T08:00:00Z"))  # latest LatestEndTime
    erp_id, data = refs(mes_url, "order")["PR-1001"]
    assert erp_id == "PR-1001"
    assert data["schedule"] == "SCH-7" and data["product"] == "HOUSING-A"
    assert [(s["id"], s["seq"]) for s in data["segments"]] == [
        ("PR-1001-10", 10),
        ("PR-1001-20", 20),
    ]


@pytest.mark.parametrize("version", ["V0600", "V0701"])
def test_product_definitions_become_plant_master_data(
    mes_url: str, version: str, tmp_path: Path
) -> None:
    ns = NS6 if version == "V0600" else NS7
    definition = read_b2mml(PRODUCTS[version]("HOUSING-C", "Housing C", STEPS), "def.xml", SCHEMAS)
    with pytest.raises(ValidationFailed) as err:  # the casting is not known yet
        run_import(definition, DEMO, mes_url, output=PlantOutput(DEMO, out=tmp_path / "x.yaml"))
    assert err.value.code == "erp.unknown_reference"
    assert "unknown material 'CAST-C'" in err.value.message
    assert not (tmp_path / "x.yaml").exists()

    mats = read_b2mml(materials(ns, [("CAST-C", "Casting C", "pcs")], []), "m.xml", SCHEMAS)
    step1 = tmp_path / "plant1.yaml"
    run_import(mats, DEMO, mes_url, output=PlantOutput(DEMO, out=step1))
    source = read_plant_source(step1)
    with pytest.raises(BadInput, match=r"give --out NEW\.yaml .* or --in-place"):
        run_import(definition, source, mes_url)
    result = run_import(
        definition, source, mes_url, output=PlantOutput(source, out=tmp_path / "plant2.yaml")
    )
    assert result.changes == ["product housing-c created (routing housing-c: turn, mill)"]
    plant = load_plant(tmp_path / "plant2.yaml")
    product = plant.product_by_id["housing-c"]
    assert (product.name, product.unit_value, product.routing) == ("Housing C", 0.0, "housing-c")
    turn, mill = plant.routing_by_id["housing-c"].operations
    assert (turn.seq, turn.id, turn.name, turn.eligible, turn.standard_time_s) == (
        10,
        "turn",
        "Turn flange",
        ("lathe-01",),
        180.0,
    )
    assert (mill.eligible, mill.standard_time_s) == (("vmc-01", "vmc-02", "vmc-03"), 450.0)
    assert [(b.material, b.quantity, b.operation) for b in product.bom] == [("cast-c", 1.0, 10)]
    assert {m.id: m.unit for m in plant.materials}["cast-c"] == "pcs"
    assert refs(mes_url, "product")["housing-c"][0] == "HOUSING-C"
    assert refs(mes_url, "material")["cast-c"][0] == "CAST-C"
    assert len(plant.products) == len(DEMO.plant().products) + 1


def test_updating_in_place_keeps_a_backup(mes_url: str, tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text(_demo_text())
    source = read_plant_source(path)
    doc = read_b2mml(
        v0600_product("housing-a", "Pump housing A (rev B)", [STEPS[1]]), "d.xml", SCHEMAS
    )
    result = run_import(doc, source, mes_url, output=PlantOutput(source, in_place=True))
    assert result.backup == tmp_path / "plant.yaml.bak"
    assert result.backup.read_text() == _demo_text()
    plant = load_plant(path)
    housing = plant.product_by_id["housing-a"]
    assert (housing.name, housing.unit_value) == ("Pump housing A (rev B)", 380.0)  # value kept
    assert [o.id for o in plant.routing_by_id[housing.routing].operations] == ["mill"]
    assert plant.routing_by_id[housing.routing].operations[0].setup_time_s == 1200.0  # kept
    again = run_import(
        doc,
        read_plant_source(path),
        mes_url,
        output=PlantOutput(read_plant_source(path), in_place=True),
    )
    assert again.backup == tmp_path / "plant.yaml.bak.1"


def _demo_text() -> str:
    from importlib import resources

    return resources.files("shopfloor.plant.examples").joinpath("demo.yaml").read_text("utf-8")


def test_unknown_references_are_refused_naming_each(mes_url: str) -> None:
    requests = [
        Request("PR-1", "NOPE-1", 2, segments=[Segment("PR-1-10", "turn", ("lathe-99",))]),
        Request(
            "PR-2",
            "housing-a",
            2,
            scope="hall-9",
            segments=[Segment("PR-2-10", "turn", ("robot-77",))],
        ),
    ]
    data = v0600_schedule("S1", requests)
    doc = read_b2mml(data, "s.xml", SCHEMAS)
    with pytest.raises(ValidationFailed) as err:
        run_import(doc, DEMO, mes_url)
    text = data.decode().splitlines()
    msg = err.value.message
    assert err.value.code == "erp.unknown_reference" and err.value.bad_input
    for needle in ("NOPE-1", "lathe-99", "robot-77", "hall-9"):
        lines = [i for i, t in enumerate(text, 1) if f">{needle}<" in t]
        assert any(f"line {n}: request PR-" in msg for n in lines) and f"'{needle}'" in msg
    assert "unknown product 'NOPE-1'" in msg and "--create-missing" in msg
    with open_mes(mes_url, plant="demo") as mes:
        assert mes.orders.list() == []


def test_create_missing_makes_the_product_from_the_request(mes_url: str, tmp_path: Path) -> None:
    requests = [
        Request(
            "PR-9",
            "BRACKET-9",
            4,
            consumed=[("STEEL-S235", 4)],
            segments=[Segment("PR-9-10", "turn", ("lathe-01",), "PT20M")],
        )
    ]
    doc = read_b2mml(v0600_schedule("S9", requests), "s.xml", SCHEMAS)
    out = tmp_path / "plant.yaml"
    result = run_import(
        doc,
        DEMO,
        mes_url,
        options=ImportOptions(create_missing=True),
        output=PlantOutput(DEMO, out=out),
    )
    assert result.orders == ["PR-9"]
    assert "product bracket-9 created (--create-missing, routing bracket-9)" in result.changes
    plant = load_plant(out)
    (op,) = plant.routing_by_id["bracket-9"].operations
    assert (op.id, op.eligible, op.standard_time_s) == ("turn", ("lathe-01",), 300.0)
    assert "steel-s235" in {m.id for m in plant.materials}
    with open_mes(mes_url, plant=out) as mes:
        assert mes.orders.get("PR-9").product == "bracket-9"
    bad = [Request("PR-10", "BRACKET-10", 1, segments=[Segment("s", "turn", ("lathe-99",))])]
    with pytest.raises(ValidationFailed, match="unknown equipment 'lathe-99'"):
        run_import(
            read_b2mml(v0600_schedule("S", bad), "b.xml", SCHEMAS),
            DEMO,
            mes_url,
            options=ImportOptions(create_missing=True),
            output=PlantOutput(DEMO, out=tmp_path / "never.yaml"),
        )
    assert not (tmp_path / "never.yaml").exists()


def test_a_document_is_imported_whole_or_not_at_all(mes_url: str, tmp_path: Path) -> None:
    first = read_b2mml(v0600_schedule("S1", [Request("PR-1", "housing-a", 1)]), "a.xml", SCHEMAS)
    run_import(first, DEMO, mes_url)
    both = [Request("PR-2", "housing-a", 1), Request("PR-1", "housing-b", 3)]
    doc = read_b2mml(v0600_schedule("S2", both), "b.xml", SCHEMAS)
    with pytest.raises(ValidationFailed, match="job order PR-1 exists already") as err:
        run_import(doc, DEMO, mes_url)
    assert err.value.code == "erp.conflict"
    # A failure inside the transaction (after the plant file was written) undoes everything.
    mats = read_b2mml(
        materials(NS6, [("CAST-Z", "Casting Z", "pcs")], [("LOT-Z1", "CAST-Z", 9)]),
        "m.xml",
        SCHEMAS,
    )
    plan = plan_import(mats, DEMO)
    plan.orders.append(OrderSpec("PR-3", "housing-a", 2, None, 0))
    plan.orders.append(OrderSpec("PR-4", "housing-a", 0, None, 0))  # MES refuses quantity 0
    out = PlantOutput(DEMO, out=tmp_path / "plant.yaml")
    with open_mes(mes_url, plant=plan.plant) as mes, pytest.raises(BadInput, match="quantity"):
        commit_import(plan, mes, out)
    assert not (tmp_path / "plant.yaml").exists()
    with open_mes(mes_url, plant=plan.plant) as mes:
        assert [o.id for o in mes.orders.list()] == ["PR-1"]
        with pytest.raises(MesNotFound):
            mes.material.lot("LOT-Z1")
    assert "cast-z" not in refs(mes_url, "material")


def test_in_place_failure_puts_the_plant_file_back(mes_url: str, tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text(_demo_text())
    source = read_plant_source(path)
    plan = plan_import(
        read_b2mml(materials(NS7, [("CAST-Z", "Z", "pcs")], []), "m.xml", SCHEMAS), source
    )
    plan.lots.append(LotSpec("LOT-9", "no-such-material", 5.0))
    with open_mes(mes_url, plant=plan.plant) as mes, pytest.raises(BadInput, match="no-such"):
        commit_import(plan, mes, PlantOutput(source, in_place=True))
    assert path.read_text() == _demo_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mes.sqlite", "plant.yaml"]


def test_material_lots_become_mes_lots(mes_url: str) -> None:
    doc = read_b2mml(materials(NS7, [], [("CAST-L7", "casting-a", 120)]), "m.xml", SCHEMAS)
    result = run_import(doc, DEMO, mes_url)
    assert (result.lots, result.changes) == (["CAST-L7"], [])
    with open_mes(mes_url, plant="demo") as mes:
        lot = mes.material.lot("CAST-L7")
    assert (lot.material, lot.quantity, lot.supplier) == ("casting-a", 120.0, "erp")


def test_csv_orders(mes_url: str) -> None:
    good = b"order_id;product;quantity;due;priority\nSO-1;housing-a;40;2025-01-08T14:00:00Z;2\n"
    result = run_import(read_orders_csv(good, "o.csv"), DEMO, mes_url)
    assert result.orders == ["SO-1"]
    bad = b"Order_ID,Product,Quantity,Due\nSO-2,housing-a,x,\nSO-3,housing-b,3,tomorrow\nSO-4,,0,\n"
    with pytest.raises(ValidationFailed) as err:
        read_orders_csv(bad, "bad.csv")
    msg = err.value.message
    assert "line 2: quantity: 'x' is not a whole number" in msg
    assert "line 3: due: 'tomorrow' is not an ISO 8601" in msg
    assert "line 4: product is empty" in msg and "line 4: quantity: 0 must be >= 1" in msg
    with pytest.raises(BadInput, match=r"line 1: unknown column.*colour"):
        read_orders_csv(b"order_id,product,quantity,colour\n", "c.csv")


def test_third_party_product_definition_imports_as_product_and_routing(
    mes_url: str, tmp_path: Path
) -> None:
    name = "mtconnect-b2mml-gateway_assets_M16-10391.xml"
    doc = read_b2mml((EXAMPLES / name).read_bytes(), name, SCHEMAS)
    with pytest.raises(ValidationFailed, match="names no equipment; give --equipment"):
        run_import(doc, DEMO, mes_url, output=PlantOutput(DEMO, out=tmp_path / "p.yaml"))
    options = ImportOptions(equipment=("vmc-01", "vmc-02"), standard_time_s=240)
    run_import(
        doc, DEMO, mes_url, options=options, output=PlantOutput(DEMO, out=tmp_path / "p.yaml")
    )
    plant = load_plant(tmp_path / "p.yaml")
    sprocket = plant.product_by_id["37431-00"]
    (op,) = plant.routing_by_id[sprocket.routing].operations
    assert (op.id, op.eligible, op.standard_time_s) == ("37431", ("vmc-01", "vmc-02"), 240.0)
    assert refs(mes_url, "product")["37431-00"] == (
        "37431-00",
        {"segments": {"37431": {"id": "37431", "process": None}}},
    )
    # A schedule from the ERP can now name the product by the ERP's id.
    req = [Request("WO-1", "37431-00", 10)]
    run_import(
        read_b2mml(v0600_schedule("S", req), "s.xml", SCHEMAS),
        read_plant_source(tmp_path / "p.yaml"),
        mes_url,
    )
