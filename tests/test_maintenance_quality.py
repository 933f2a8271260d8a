"""Defect-risk prediction on the virtual plant: the table, leakage, evaluation, registry, CLI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pytest

from shopfloor.assess.catalog import features, scenarios
from shopfloor.assess.metrics import quality_models
from shopfloor.assess.periods import PeriodResult
from shopfloor.assess.proofs import AVAILABLE, LIVE, EvidenceContext, prove
from shopfloor.cli import main
from shopfloor.events import EventKind, MachineEvent
from shopfloor.maintenance.errors import DataError, SchemaMismatch
from shopfloor.maintenance.quality import (
    DefectRiskModel,
    QualityFeatures,
    load_quality,
    score_quality,
    train_quality,
)
from shopfloor.maintenance.quality_data import (
    QualityTable,
    parse_seeds,
    read_events,
    simulate_table,
    table_from_events,
)
from shopfloor.maintenance.quality_eval import evaluate_quality
from shopfloor.maintenance.registry import Registry
from shopfloor.plant.loader import load_plant
from shopfloor.plant.model import Plant

SMALL = {
    "n_estimators": 40,
    "learning_rate": 0.1,
    "max_depth": 3,
    "num_leaves": 8,
    "min_child_samples": 50,
}
NOT_FEATURES = {"scrap", "defect", "serial", "order_id", "ts_ns", "seed", "good", "last"}


@pytest.fixture(scope="module")
def plant() -> Plant:
    return load_plant("demo")


@pytest.fixture(scope="module")
def run_events(plant: Plant) -> list[MachineEvent]:
    from shopfloor.sim import Recorder, run_virtual

    rec = Recorder(values=False)
    run_virtual(plant, 12.0, 1, outlet=rec, emit_values=False)
    return rec.events


@pytest.fixture(scope="module")
def train(plant: Plant) -> QualityTable:
    return simulate_table(plant, [1, 2], 12.0)


@pytest.fixture(scope="module")
def test_table(plant: Plant) -> QualityTable:
    return simulate_table(plant, [101], 12.0)


def test_one_row_per_unit_and_operation_of_finished_units(
    plant: Plant, run_events: list[MachineEvent]
) -> None:
    table = table_from_events(run_events, plant, seed=1)
    done = [e for e in run_events if e.kind is EventKind.PART_COMPLETE and e.serial]
    finished = {str(e.serial) for e in done if not e.payload["good"] or e.payload["last"]}
    scrap = {e.serial: e.payload["defect"] for e in run_events if e.kind is EventKind.PART_SCRAP}
    units = table.units()
    assert sorted(units["serial"]) == sorted(finished)  # one row per finished unit
    assert len(table) == sum(1 for e in done if e.serial in finished)
    per_unit = table.frame.groupby("serial")
    assert (per_unit["scrap"].sum() <= 1).all()
    last = per_unit.tail(1).set_index("serial")["scrap"]
    assert per_unit["scrap"].sum().equals(last.sort_index())  # the reject is the unit's last row
    assert int(table.label.sum()) == len(set(scrap) & finished) > 0
    rejected = table.frame[table.frame["scrap"] == 1]
    assert all(scrap[s] == d for s, d in zip(rejected["serial"], rejected["defect"], strict=True))
    # a unit's history is the rows before: the CMM row carries its own lathe row's tool wear
    row = table.frame[table.frame["operation"] == "measure"].iloc[0]
    turn = table.frame[(table.frame["serial"] == row["serial"]) & (table.frame.operation == "turn")]
    assert row["prev.turn.tool_wear"] == turn["tool_wear"].iloc[0]
    assert row["prev.turn.equipment"] == turn["equipment"].iloc[0]


def test_no_label_leakage(plant: Plant, run_events: list[MachineEvent]) -> None:
    table = table_from_events(run_events, plant, seed=1)
    inputs = set(table.layout.inputs)
    assert not inputs & NOT_FEATURES
    # measurements only from earlier operations: the own ones are the inspection's verdict
    measured = {m for _k, ms in table.layout.history.values() for m in ms}
    for col in inputs:
        assert col.startswith("prev.") or col.split(".")[-1] not in measured, col
    features = QualityFeatures.fit(table)
    x = features.transform(table.frame)
    assert not {c.split("=")[0] for c in x.columns} & NOT_FEATURES
    # scrambling the label, defect and identifiers changes no feature value
    rng = np.random.default_rng(0)
    scrambled = table.frame.copy()
    for col in ("scrap", "defect", "serial", "order_id", "ts_ns"):
        scrambled[col] = rng.permutation(scrambled[col].to_numpy())
    pd.testing.assert_frame_equal(x, features.transform(scrambled))


def test_small_run_scores_are_consistent(train: QualityTable, test_table: QualityTable) -> None:
    out = evaluate_quality(train, test_table, params=SMALL, folds=2)
    rows = len(test_table)
    rejected = int(test_table.label.sum())
    assert out["data"]["test"]["rows"] == rows
    assert out["base_defect_rate"]["rows"] == pytest.approx(rejected / rows, abs=1e-5)
    for name, s in out["result"].items():
        for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc"):
            assert 0.0 <= s[key] <= 1.0, (name, key)
        assert s["tp"] + s["fp"] + s["tn"] + s["fn"] == rows, name
        assert s["tp"] + s["fn"] == rejected, name
        assert s["accuracy"] == pytest.approx((s["tp"] + s["tn"]) / rows, abs=1e-4)
    majority = out["result"]["majority"]
    assert majority["roc_auc"] == 0.5 and majority["tp"] + majority["fp"] == 0
    units = out["units"]
    assert units["rejected_units"] == rejected
    assert units["flagged_at_rejection"] == out["result"]["model"]["tp"]
    assert sum(d["units"] for d in units["by_defect"].values()) == rejected
    assert sum(d["units"] for d in units["by_rejecting_operation"].values()) == rejected
    top = [f["feature"] for f in out["top_features"]]
    assert top and not {t.split("=")[0] for t in top} & NOT_FEATURES


def test_registry_round_trip_and_schema_refusal(
    train: QualityTable, test_table: QualityTable, tmp_path: Path
) -> None:
    reg = Registry(tmp_path / "models")
    manifest = train_quality(reg, "defects", train, params=SMALL, folds=2)
    assert manifest.kind == "quality"
    assert manifest.feature_schema == {"inputs": train.layout.inputs}
    assert 0.0 <= manifest.metrics["oof_roc_auc"] <= 1.0
    model, _m = load_quality(reg, "defects")
    assert isinstance(model, DefectRiskModel)
    scored = score_quality(reg, "defects", test_table)
    risk = np.array([r["risk"] for r in scored["rows"]])
    assert len(risk) == len(test_table) and ((risk >= 0) & (risk <= 1)).all()
    np.testing.assert_allclose(risk, model.predict_proba(test_table))
    # a table laid out for another plant (one more process setting) is refused, column named
    layout = dataclasses.replace(
        test_table.layout, process_keys=(*test_table.layout.process_keys, "laser_power")
    )
    other = QualityTable(test_table.frame.assign(**{"process.laser_power": 1.0}), layout)
    with pytest.raises(SchemaMismatch, match=r"process\.laser_power"):
        score_quality(reg, "defects", other)


def test_too_few_defects_and_bad_seeds(train: QualityTable) -> None:
    one_unit = train.subset(np.flatnonzero(train.unit_keys == train.unit_keys.iloc[0]))
    with pytest.raises(DataError, match="rejected unit"):
        evaluate_quality(one_unit, one_unit, params=SMALL)
    assert parse_seeds("1-3,7", "--train-seeds") == [1, 2, 3, 7]
    for bad in ("3-1", "a", "1,1", ""):
        with pytest.raises(DataError, match="--train-seeds"):
            parse_seeds(bad, "--train-seeds")


def test_cli_quality_eval_and_train(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = ["--train-seeds", "1-2", "--test-seeds", "101", "--hours", "12"]
    assert main(["pdm", "quality-eval", *small, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["train_seeds"] == [1, 2] and out["test_seeds"] == [101]
    assert set(out["result"]) == {"model", "majority", "tool_wear_rule", "operation_prior"}
    assert 0.0 <= out["result"]["model"]["roc_auc"] <= 1.0
    reg = str(tmp_path / "models")
    args = ["pdm", "quality-train", "--name", "defects", "--train-seeds", "1-2", "--hours", "12"]
    assert main([*args, "--registry", reg, "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["name"] == "defects" and made["version"] == 1
    # score a run's events with it: sim run --events, then pdm score
    events = tmp_path / "events.jsonl"
    assert main(["sim", "run", "--hours", "6", "--seed", "7", "--events", str(events)]) == 0
    capsys.readouterr()
    assert main(["pdm", "score", "--name", "defects", "--data", str(events), "--registry", reg,
                 "--json"]) == 0  # fmt: skip
    scored = json.loads(capsys.readouterr().out)
    rows = table_from_events(read_events(events), load_plant("demo"))
    assert len(scored["rows"]) == len(rows) > 0
    assert all(0.0 <= r["risk"] <= 1.0 for r in scored["rows"])
    events.write_text(events.read_text("utf-8") + "{not json\n", "utf-8")
    code = main(["pdm", "score", "--name", "defects", "--data", str(events), "--registry", reg])
    bad_line = len(events.read_text("utf-8").splitlines())
    assert code == 2 and f"line {bad_line}: not a machine event" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--train-seeds", "4-1"], "--train-seeds"),
        (["--test-seeds", "1"], "--test-seeds"),
        (["--plant", "no-such-plant"], "--plant"),
        (["--hours", "0"], "--hours"),
        (["--train-seeds", "1", "--test-seeds", "101", "--hours", "1"], "--train-seeds"),
    ],
)
def test_cli_bad_input_names_the_option(
    args: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pdm", "quality-eval", "--train-seeds", "1-2", *args, "--json"]) == 2
    assert named in capsys.readouterr().err


def test_a_registered_defect_risk_model_proves_the_ai_inspection_scenarios(
    plant: Plant, train: QualityTable, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    ctx = EvidenceContext(plant, cast(PeriodResult, None), {})
    assert prove(features()["ai_quality"], ctx).status == AVAILABLE  # nothing registered yet
    assert quality_models(root) == []
    train_quality(Registry(root), "defects", train, params=SMALL, folds=2)
    (found,) = quality_models(root)
    assert found["model"] == "defects" and found["version"] == 1
    assert 0.0 <= found["metrics"]["oof_roc_auc"] <= 1.0
    ctx = EvidenceContext(plant, cast(PeriodResult, None), {}, quality_models=[found])
    proof = prove(features()["ai_quality"], ctx)
    assert proof.status == LIVE and "defects v1" in proof.detail
    inspection = [s for s in scenarios().scenarios if "ai_quality" in s.features]
    assert {s.n for s in inspection} == {24, 26}
