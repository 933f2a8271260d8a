"""``shopfloor mes ...`` and ``shopfloor trace``: JSON output and exit codes (2 = bad input)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shopfloor.cli import main
from shopfloor.events import EventKind, MachineEvent
from tests.test_mes_support import DEMO


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mes.sqlite'}"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    try:
        data = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        data = out
    return code, data, err


def test_order_commands(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, o, _ = run(
        capsys,
        "mes",
        "order",
        "create",
        "--product",
        "pump-a",
        "--quantity",
        "4",
        "--due",
        "2025-01-10T00:00:00Z",
        "--priority",
        "2",
        "--db",
        db,
        "--json",
    )
    assert code == 0 and o["id"] == "JO-000001" and o["due"] == "2025-01-10T00:00:00Z"
    code, _, err = run(capsys, "mes", "order", "complete", "JO-000001", "--db", db)
    assert code == 2 and "never released" in err and "mes.illegal_transition" in err
    code, o, _ = run(capsys, "mes", "order", "release", "JO-000001", "--db", db, "--json")
    assert code == 0 and o["status"] == "released" and len(o["operations"]) == 6
    code, rows, _ = run(capsys, "mes", "order", "list", "--db", db, "--json")
    assert [r["id"] for r in rows] == ["JO-000001"]
    code, text, _ = run(capsys, "mes", "order", "show", "JO-000001", "--db", db)
    assert code == 0 and "assemble" in text and "status: released" in text
    code, _, err = run(capsys, "mes", "order", "hold", "JO-000001", "--db", db)
    assert code == 2 and "hold needs a reason" in err
    code, o, _ = run(
        capsys, "mes", "order", "hold", "JO-000001", "--reason", "no seals", "--db", db, "--json"
    )
    assert code == 0 and o["status"] == "held"
    code, _, err = run(capsys, "mes", "order", "show", "JO-999", "--db", db)
    assert code == 2 and "no job order 'JO-999'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["order", "create", "--product", "nope", "--quantity", "1"], "unknown product 'nope'"),
        (["order", "create", "--product", "pump-a", "--quantity", "x"], "quantity"),
        (
            ["order", "create", "--product", "pump-a", "--quantity", "1", "--due", "tomorrow"],
            "--due: 'tomorrow' is not an ISO 8601 instant",
        ),
        (["dispatch", "list", "--equipment", "ghost"], "unknown equipment 'ghost'"),
        (["dispatch", "set", "--equipment", "asm-02", "JO-1"], "must be ORDER:OPERATION"),
        (["report", "--equipment", "asm-01", "--good", "1"], "asm-01 is networked"),
        (
            ["downtime", "--equipment", "pack-01", "--from", "2025-01-06T06:00:00Z"],
            "--to: required",
        ),
        (["alarms", "ack", "5", "--by", "li"], "no alarm 5"),
        (["spec", "load", "/nonexistent.yaml"], "does not exist"),
        (["spc", "--product", "pump-a", "--characteristic", "flow_rate"], "0 result(s)"),
        (["ncr", "disposition", "1", "--as", "melt", "--by", "qa"], "'melt' is not one of"),
    ],
)
def test_bad_input_exits_2_naming_what_is_wrong(
    capsys: pytest.CaptureFixture[str], db: str, args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "mes", *args, "--db", db)
    assert code == 2, err
    assert message in err


def test_floor_commands(capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path) -> None:
    assert (
        run(
            capsys,
            "mes",
            "order",
            "create",
            "--product",
            "pump-a",
            "--quantity",
            "3",
            "--id",
            "P1",
            "--db",
            db,
        )[0]
        == 0
    )
    assert run(capsys, "mes", "order", "release", "P1", "--db", db)[0] == 0
    code, rows, _ = run(
        capsys, "mes", "dispatch", "set", "--equipment", "asm-02", "P1:20", "--db", db, "--json"
    )
    assert code == 0 and [(r["order_id"], r["seq"]) for r in rows] == [("P1", 20)]
    code, rep, _ = run(
        capsys,
        "mes",
        "report",
        "--equipment",
        "asm-02",
        "--good",
        "2",
        "--scrap",
        "1",
        "--by",
        "li",
        "--db",
        db,
        "--json",
    )
    assert code == 0 and (rep["order_id"], rep["good"], rep["scrap"]) == ("P1", 2, 1)
    code, row, _ = run(
        capsys,
        "mes",
        "downtime",
        "--equipment",
        "pack-01",
        "--from",
        "2025-01-06T06:00:00Z",
        "--to",
        "2025-01-06T06:20:00Z",
        "--reason",
        "unplanned.material_shortage",
        "--by",
        "li",
        "--db",
        db,
        "--json",
    )
    assert code == 0 and row["reason"] == "unplanned.material_shortage"
    assert row["start"] == "2025-01-06T06:00:00Z"
    code, rows, _ = run(capsys, "mes", "downtime", "list", "--db", db, "--json")
    assert code == 0 and len(rows) == 1
    events = tmp_path / "events.jsonl"
    p = DEMO.path_of["vmc-01"]
    lines = [
        MachineEvent(
            EventKind.ALARM,
            p,
            1_736_143_200_000_000_000,
            payload={"code": 9, "text": "door open", "priority": 600, "active": True},
            seq=1,
        ),
        MachineEvent(
            EventKind.STATE_CHANGE,
            p,
            1_736_143_200_000_000_000,
            payload={"state": "Held", "reason": "door"},
            seq=2,
        ),
    ]
    events.write_text("\n".join(e.to_bytes().decode() for e in lines * 2) + "\n")
    code, res, _ = run(capsys, "mes", "apply", str(events), "--db", db, "--json")
    assert code == 0 and (res["applied"], res["duplicates"]) == (2, 2)
    code, alarms, _ = run(capsys, "mes", "alarms", "list", "--db", db, "--json")
    assert code == 0 and [a["code"] for a in alarms] == ["9"]
    aid = str(alarms[0]["id"])
    code, _, err = run(capsys, "mes", "alarms", "ack", aid, "--db", db)
    assert code == 2 and "--by" in err
    assert run(capsys, "mes", "alarms", "ack", aid, "--by", "zhang", "--db", db)[0] == 0
    code, a, _ = run(
        capsys,
        "mes",
        "alarms",
        "shelve",
        aid,
        "--for",
        "600",
        "--by",
        "zhang",
        "--db",
        db,
        "--json",
    )
    assert code == 0 and a["shelved_until"] is not None
    code, hist, _ = run(capsys, "mes", "alarms", "history", aid, "--db", db, "--json")
    assert [h["action"] for h in hist] == ["raise", "ack", "shelve"]
    code, states, _ = run(capsys, "mes", "state", "--db", db, "--json")
    assert [(s["state"], s["element"]) for s in states] == [("Held", "ADET")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "state_change"}\n')
    code, _, err = run(capsys, "mes", "apply", str(bad), "--db", db)
    assert code == 2 and "bad.jsonl:1" in err and "'equipment' is missing" in err


def test_trace_command(capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path) -> None:
    assert (
        run(
            capsys,
            "mes",
            "lot",
            "create",
            "CA-9",
            "--material",
            "casting-a",
            "--quantity",
            "100",
            "--db",
            db,
        )[0]
        == 0
    )
    assert (
        run(
            capsys,
            "mes",
            "lot",
            "load",
            "CA-9",
            "--equipment",
            "lathe-01",
            "--material",
            "casting-a",
            "--db",
            db,
        )[0]
        == 0
    )
    p = DEMO.path_of["lathe-01"]
    ev = MachineEvent(
        EventKind.PART_COMPLETE,
        p,
        1_736_143_200_000_000_000,
        "HA-1",
        None,
        {"product": "housing-a", "operation": "turn", "good": True},
        seq=1,
    )
    (tmp_path / "e.jsonl").write_text(ev.to_bytes().decode() + "\n")
    assert run(capsys, "mes", "apply", str(tmp_path / "e.jsonl"), "--db", db)[0] == 0
    code, back, _ = run(capsys, "trace", "HA-1", "--backward", "--json", "--db", db)
    assert code == 0 and [x["lot"] for x in back["lots"]] == ["CA-9"]
    assert back["units"][0]["operations"][0]["equipment"] == p
    code, fwd, _ = run(capsys, "trace", "CA-9", "--forward", "--json", "--db", db)
    assert code == 0 and fwd["finished"] == ["HA-1"]
    code, text, _ = run(capsys, "trace", "CA-9", "--forward", "--db", db)
    assert code == 0 and "HA-1" in text
    code, _, err = run(capsys, "trace", "CA-9", "--forward", "--backward", "--db", db)
    assert code == 2 and "choose one" in err
    code, _, err = run(capsys, "trace", "XX-0", "--db", db)
    assert code == 2 and "neither a known serial nor a known lot" in err


def test_reasons_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, rows, _ = run(capsys, "mes", "reasons", "--json")
    assert (
        code == 0
        and {
            "code": "unplanned.breakdown.hydraulic",
            "name": "Hydraulic",
            "names": {"en": "Hydraulic", "zh": "液压故障"},
            "planned": False,
            "leaf": True,
        }
        in rows
    )
    bad = tmp_path / "r.yaml"
    bad.write_text("schema: shopfloor.mes.reasons/v1\nreasons: []\n")
    code, _, err = run(capsys, "mes", "reasons", "--file", str(bad))
    assert code == 2 and "reasons: must be a non-empty list" in err


def test_text_output_shows_records_as_tables_not_json(capsys: pytest.CaptureFixture[str]) -> None:
    from shopfloor.mes.cli_common import emit

    emit({"id": "NCR-1", "status": "open", "totals": {"good": 3, "scrap": 1},
          "eligible": ["lathe-01", "lathe-02"],
          "items": [{"serial": "S1", "result": "fail"}, {"serial": "S2", "result": "pass"}]},
         False)  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == ["id: NCR-1", "status: open", "totals: good=3, scrap=1",
                         "eligible: lathe-01,lathe-02"]  # fmt: skip
    assert lines[5] == "items (2):" and lines[6].split() == ["serial", "result"]
    assert lines[7].split() == ["S1", "fail"]
    assert not any("{" in line for line in lines)  # no JSON dumped at people
