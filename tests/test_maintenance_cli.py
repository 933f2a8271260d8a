"""``shopfloor pdm``: JSON shapes of evaluate, classify-eval, train, score and models."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from shopfloor.cli import main
from shopfloor.maintenance.cli import app


def _run(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def _subset(src: Path, dst: Path, units: int) -> Path:
    lines = gzip.decompress(src.read_bytes()).decode().splitlines()
    dst.write_text("\n".join(ln for ln in lines if int(ln.split()[0]) <= units) + "\n")
    return dst


@pytest.fixture
def small_cmapss(shared_data: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    src = shared_data / "cmapss"
    train = _subset(src / "train_FD001.txt.gz", tmp_path / "train.txt", 6)
    test = _subset(src / "test_FD001.txt.gz", tmp_path / "test.txt", 5)
    rul = tmp_path / "rul.txt"
    rul.write_text(
        "\n".join(gzip.decompress((src / "RUL_FD001.txt.gz").read_bytes()).decode().split()[:5])
    )
    return train, test, rul


def test_evaluate_json(small_cmapss: tuple[Path, Path, Path]) -> None:
    train, test, rul = small_cmapss
    out = _run("evaluate", "--train", str(train), "--test", str(test), "--rul", str(rul), "--json")
    for key in (
        "rmse",
        "score",
        "rmse_uncapped",
        "score_uncapped",
        "n_units",
        "train_s",
        "model",
        "predictions",
        "coverage",
    ):
        assert key in out
    assert out["n_units"] == 5 and len(out["predictions"]) == 5 and out["model"] == "gbm"
    truth = np.array([float(v) for v in rul.read_text().split()])
    pred = np.array(out["predictions"])
    assert out["rmse"] == pytest.approx(np.sqrt(np.mean((pred - np.minimum(truth, 125)) ** 2)))
    assert out["rmse_uncapped"] == pytest.approx(np.sqrt(np.mean((pred - truth) ** 2)))


def test_classify_eval_json(shared_data: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(shared_data / "ai4i2020" / "ai4i2020.csv.gz")
    small = pd.concat(
        [frame[frame["Machine_failure"] == 1], frame[frame["Machine_failure"] == 0].head(600)]
    )
    path = tmp_path / "small.csv"
    small.to_csv(path, index=False)
    out = _run("classify-eval", "--data", str(path), "--folds", "3", "--json")
    assert {"accuracy", "precision", "recall", "f1", "roc_auc"} <= set(out)
    assert all(0.0 <= out[k] <= 1.0 for k in ("accuracy", "precision", "recall", "f1", "roc_auc"))


def test_train_score_and_refusal(
    small_cmapss: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train, test, _ = small_cmapss
    reg = str(tmp_path / "models")
    made = _run("train", "--data", str(train), "--name", "engine", "--registry", reg, "--json")
    assert made["version"] == 1 and "validation_rmse" in made
    scored = _run("score", "--data", str(test), "--name", "engine", "--registry", reg, "--json")
    assert [u["unit"] for u in scored["units"]] == [1, 2, 3, 4, 5]
    assert all(u["lower"] <= u["rul"] <= u["upper"] for u in scored["units"])
    listed = _run("models", "--registry", reg, "--json")
    assert listed["models"]["engine"][0]["version"] == 1

    # a long table with other columns is refused with exit code 2 and the columns named
    frame = pd.read_csv(test, sep=r"\s+", header=None).iloc[:, :8]
    frame.columns = ["unit", "time", "s1", "s2", "s3", "a", "b", "c"]
    other = tmp_path / "other.csv"
    frame.to_csv(other, index=False)
    code = main(
        [
            "pdm",
            "score",
            "--data",
            str(other),
            "--format",
            "long",
            "--settings",
            "s1,s2,s3",
            "--name",
            "engine",
            "--registry",
            reg,
            "--json",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "maintenance.schema_mismatch" in err and "sensor_1" in err


def test_failure_model_scores_rows(shared_data: Path, tmp_path: Path) -> None:
    from shopfloor.maintenance.process import read_process_csv
    from shopfloor.maintenance.registry import Registry
    from shopfloor.maintenance.service import train_failure

    frame = pd.read_csv(shared_data / "ai4i2020" / "ai4i2020.csv.gz")
    small = pd.concat(
        [frame[frame["Machine_failure"] == 1], frame[frame["Machine_failure"] == 0].head(400)]
    )
    path = tmp_path / "small.csv"
    small.to_csv(path, index=False)
    params = {"n_estimators": 40, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 3}
    manifest = train_failure(
        Registry(tmp_path / "models"), "mill", read_process_csv(path), params=params
    )
    assert manifest.kind == "failure" and "udi" not in manifest.feature_schema["inputs"]
    assert manifest.metrics["f1"] > 0.5
    head = tmp_path / "head.csv"
    small.head(3).to_csv(head, index=False)
    reg = str(tmp_path / "models")
    out = _run("score", "--data", str(head), "--name", "mill", "--registry", reg, "--json")
    assert len(out["rows"]) == 3
    assert {"failure_probability", "failure", "pwf_probability"} <= set(out["rows"][0])
    small.head(3).drop(columns=["Torque [Nm]"]).to_csv(head, index=False)
    code = main(["pdm", "score", "--data", str(head), "--name", "mill", "--registry", reg])
    assert code == 2


def test_text_output_is_for_people_json_for_machines() -> None:
    from shopfloor.maintenance.cli import _text

    rows = [{"unit": i, "rul": 100.0 - i * 0.5} for i in range(25)]
    lines = _text("rows", rows)
    assert lines[0] == "rows (25):" and lines[1].split() == ["unit", "rul"]
    assert lines[2].split() == ["0", "100"] and len(lines) == 2 + 20 + 1
    assert lines[-1] == "  ... 5 more (--json prints all)"
    (summary,) = _text("scores", [0.5, 0.25, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    assert summary.startswith("scores: 9 values (0.5, 0.25, 1, 2, 3, ...; min 0.25, max 7")
    assert _text("metrics", {"rmse": 9.7012, "n": 3}) == ["metrics.rmse: 9.701", "metrics.n: 3"]
