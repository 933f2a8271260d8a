"""The plant model: example plants, validation errors by path, and the plant CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from shopfloor.cli import main
from shopfloor.errors import NotFound, ValidationFailed
from shopfloor.plant import Connectivity, PackMLState, TimeElement, example_names, load_plant
from shopfloor.plant.loader import parse_plant
from shopfloor.plant.states import PBT_ELEMENTS, TIME_ELEMENT

MINIMAL = {
    "schema": "shopfloor.plant/v1",
    "enterprise": {"id": "acme"},
    "site": {"id": "s1"},
    "areas": [
        {
            "id": "a1",
            "lines": [
                {
                    "id": "l1",
                    "cells": [
                        {
                            "id": "c1",
                            "equipment": [
                                {
                                    "id": "m1",
                                    "name": "Mill",
                                    "class": "cnc_machining_centre",
                                    "tags": [{"name": "speed", "unit": "/min", "rate_hz": 10}],
                                },
                            ],
                        }
                    ],
                }
            ],
        }
    ],
}


def _doc(**changes: object) -> dict:
    doc = json.loads(json.dumps(MINIMAL))
    doc.update(changes)
    return doc


def _errors(doc: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        parse_plant(doc)
    return exc.value.errors


def test_examples_ship_with_the_package() -> None:
    assert {"demo", "smt"} <= set(example_names())
    for name in example_names():
        plant = load_plant(name)
        assert plant.walk(), name


def test_demo_plant_has_what_the_platform_needs() -> None:
    plant = load_plant("demo")
    eqs = [e for *_p, e in plant.walk()]
    assert len(eqs) >= 15
    assert len(plant.tag_ids()) >= 200
    assert len(plant.lines()) == 2
    assert any(t.rate_hz == 1000 for e in eqs for t in e.tags)
    assert {e.connectivity for e in eqs} == set(Connectivity)
    gateway = [e for e in eqs if e.connectivity is Connectivity.GATEWAY]
    assert gateway and all(t.modbus is not None for e in gateway for t in e.tags)
    assert {e.endpoint.unit_id for e in gateway} == {1, 2, 3}
    for _path, line in plant.lines():
        assert line.energy_meter is not None
        assert plant.equipment(line.energy_meter).cls.value == "energy_meter"
    assert all(plant.routing_by_id[p.routing] for p in plant.products)


def test_paths_and_tag_ids_are_canonical() -> None:
    plant = load_plant("demo")
    path = plant.resolve("vmc-01")
    assert path == "suzhou/machining/line1/milling/vmc-01"
    assert plant.line_of[path] == "suzhou/machining/line1"
    assert f"{path}/vibration" in plant.tag_ids()
    assert plant.equipment(path).tag("vibration").high_rate


def test_every_error_is_listed_with_its_path() -> None:
    doc = _doc()
    eq = doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0]
    eq["tags"][0]["rate_hz"] = 0
    eq["tags"].append({"name": "Bad Name"})
    eq["colour"] = "red"
    errs = dict(_errors(doc))
    base = "areas[0].lines[0].cells[0].equipment[0]"
    assert errs[f"{base}.tags[0].rate_hz"] == "must be > 0"
    assert "a-z" in errs[f"{base}.tags[1].name"]
    assert errs[f"{base}.colour"] == "unknown field"


def test_rates_above_1khz_are_refused() -> None:
    doc = _doc()
    doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0]["tags"][0]["rate_hz"] = 2000
    [(path, msg)] = _errors(doc)
    assert path.endswith("tags[0].rate_hz") and "1 kHz" in msg


def test_an_engineering_range_is_low_then_high() -> None:
    doc = _doc()
    tag = doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0]["tags"][0]
    tag["eu_range"] = [0, 400]
    eq = doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0]
    assert parse_plant(doc).equipment(eq["id"]).tag(tag["name"]).eu_range == (0.0, 400.0)
    tag["eu_range"] = [400, 0]
    [(path, msg)] = _errors(doc)
    assert path.endswith("tags[0].eu_range") and "low < high" in msg


def test_cross_references_are_checked() -> None:
    doc = _doc(
        products=[{"id": "p1", "unit_value": 10, "routing": "nope"}],
        routings=[
            {
                "id": "r1",
                "operations": [{"seq": 10, "id": "op", "eligible": ["m9"], "standard_time_s": 5}],
            }
        ],
    )
    errs = dict(_errors(doc))
    assert errs["products[0].routing"] == "unknown routing 'nope'"
    assert errs["routings[0].operations[0].eligible[0]"] == "unknown equipment 'm9'"


def test_modbus_equipment_needs_non_overlapping_registers() -> None:
    doc = _doc()
    eq = doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0]
    eq.update(connectivity="gateway", protocol="modbus")
    eq["tags"] = [
        {"name": "a", "modbus": {"address": 0, "type": "float32"}},
        {"name": "b", "modbus": {"address": 1, "type": "uint16"}},
    ]
    [(path, msg)] = _errors(doc)
    assert path == "areas[0].lines[0].cells[0].equipment[0]"
    assert "overlap at register 1" in msg


def test_not_networked_equipment_has_no_protocol() -> None:
    doc = _doc()
    eq = doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0]
    eq["connectivity"] = "none"
    [(_path, msg)] = _errors(doc)
    assert "protocol 'none'" in msg


def test_templates_supply_fields_and_tags() -> None:
    doc = _doc(
        templates={
            "mill": {
                "class": "cnc_machining_centre",
                "cnc": True,
                "tags": [{"name": "speed", "rate_hz": 1}, {"name": "load", "rate_hz": 1}],
            }
        }
    )
    doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0] = {
        "id": "m1",
        "name": "Mill",
        "template": "mill",
        "tags": [{"name": "speed", "rate_hz": 5}],
    }
    plant = parse_plant(doc)
    eq = plant.equipment("m1")
    assert eq.cnc and eq.tag("speed").rate_hz == 5 and eq.tag("load").rate_hz == 1
    doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0]["template"] = "lathe"
    assert dict(_errors(doc)) == {
        "areas[0].lines[0].cells[0].equipment[0].template": "unknown template 'lathe'"
    }


def test_unknown_example_and_missing_file() -> None:
    with pytest.raises(NotFound, match="choose one of"):
        load_plant("atlantis")
    with pytest.raises(NotFound, match="does not exist"):
        load_plant("/nonexistent/plant.yaml")


def test_state_table_covers_every_packml_state() -> None:
    assert set(TIME_ELEMENT) == set(PackMLState)
    assert TIME_ELEMENT[PackMLState.EXECUTE] is TimeElement.APT
    assert TIME_ELEMENT[PackMLState.STOPPED] not in PBT_ELEMENTS


def test_cli_validate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(MINIMAL))
    assert main(["plant", "validate", str(good)]) == 0
    bad = _doc()
    bad["areas"][0]["lines"][0]["cells"][0]["equipment"][0]["tags"][0]["rate_hz"] = -1
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(yaml.safe_dump(bad))
    capsys.readouterr()
    assert main(["plant", "validate", str(bad_file)]) == 2
    err = capsys.readouterr().err
    assert "areas[0].lines[0].cells[0].equipment[0].tags[0].rate_hz: must be > 0" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("areas: [\n")
    assert main(["plant", "validate", str(broken)]) == 2
    assert "not valid YAML (line" in capsys.readouterr().err


def test_cli_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plant", "show", "--plant", "demo", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    eqs = [
        e for a in data["areas"] for ln in a["lines"] for c in ln["cells"] for e in c["equipment"]
    ]
    vmc = next(e for e in eqs if e["id"] == "vmc-01")
    assert vmc["path"] == "suzhou/machining/line1/milling/vmc-01"
    assert vmc["class"] == "cnc_machining_centre" and vmc["networked"] is True
    assert any(t["id"].endswith("/vibration") and t["rate_hz"] == 1000 for t in vmc["tags"])
    assert main(["plant", "show", "--plant", "smt"]) == 0
    assert "SMT line 1" in capsys.readouterr().out


def test_names_by_language() -> None:
    doc = _doc()
    eq = doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0]
    eq["name"] = {"en": "Lathe", "zh": "车床"}
    got = parse_plant(doc).equipment(eq["id"])
    assert (got.name, got.names) == ("Lathe", {"en": "Lathe", "zh": "车床"})
    eq["name"] = {"zh": "车床"}  # no English: the first is the default
    assert parse_plant(doc).equipment(eq["id"]).name == "车床"
    eq["name"] = {"zh": 3}
    [(where, msg)] = _errors(doc)
    assert where.endswith("equipment[0]") and "texts by language code" in msg
