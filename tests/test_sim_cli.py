"""``shopfloor sim run``: virtual time, JSON summary, clear errors for bad input."""

from __future__ import annotations

import json

import pytest

from shopfloor.cli import main


def test_sim_run_prints_a_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "run", "--plant", "demo", "--hours", "2", "--seed", "4", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["problems"] == []
    assert summary["seed"] == 4 and summary["horizon_h"] == pytest.approx(2)
    line = summary["lines"]["suzhou/assembly/line2"]
    assert line["good"] + line["scrap"] == line["produced"] > 0
    eq = summary["equipment"]["suzhou/machining/line1/turning/lathe-01"]
    assert eq["produced"] == eq["good"] + eq["scrap"] > 0
    assert sum(eq["states_s"].values()) == pytest.approx(7200)
    assert eq["energy_kwh"] > 0 and isinstance(eq["failures"], list)


def test_sim_run_is_deterministic_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "sim",
        "run",
        "--hours",
        "1",
        "--seed",
        "9",
        "--json",
        "--start",
        "2025-01-07T06:00:00Z",
    ]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)
    first.pop("wall_s"), second.pop("wall_s")
    assert first == second
    assert first["start_ns"] == 1736229600 * 10**9


def test_sim_run_prints_text_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "run", "--hours", "1"]) == 0
    out = capsys.readouterr().out
    assert "line suzhou/machining/line1" in out and "lathe-01" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--start", "2025-01-06T06:00:00"], "--start"),
        (["--hours", "-1"], "hours must be > 0"),
        (["--plant", "atlantis"], "no example plant 'atlantis'"),
    ],
)
def test_bad_input_exits_2(args: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "run", *args]) == 2
    assert words in capsys.readouterr().err
