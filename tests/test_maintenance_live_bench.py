"""Smoke run of ``shopfloor bench pdm-live`` on a tiny horizon (the figures are not judged)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shopfloor.bench.cli import app


def test_pdm_live_bench_prints_its_figures() -> None:
    args = ["pdm-live", "--weeks", "0.15", "--seeds", "1", "--train-hours", "60"]
    result = CliRunner().invoke(app, [*args, "--train-seeds", "2", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["train_seeds"] == [1, 2] and out["judge_seeds"] == [101]
    r = out["result"]
    assert r["wear_failures"] == r["predicted"] + r["missed"]
    assert r["alarms"] == r["true_alarms"] + r["false_alarms"] + r["pending_alarms"]
    assert set(out["targets"]) == {
        "predicted_share_ge_0.9",
        "false_alarms_per_mw_le_1",
        "wear_failures_ge_30",
    }
    assert "cnc_machining_centre" in out["models"]
