"""Benchmarks of the maintenance models, mounted under ``shopfloor bench``.

``pdm-cmapss`` trains and scores RUL models on every C-MAPSS set found in a folder (files
``train_FDxxx``, ``test_FDxxx``, ``RUL_FDxxx``, plain or ``.gz``) over several seeds and prints
the mean, spread and time per set (``--six-conditions`` first spreads each set over six
operating conditions); ``pdm-ai4i`` cross-validates the failure classifier; ``pdm-quality``
judges the defect-risk model on held-out seeds of the virtual plant.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import typer

from shopfloor.maintenance.data import RunData
from shopfloor.maintenance.errors import DataError


def find_cmapss_sets(folder: Path) -> dict[str, tuple[Path, Path, Path]]:
    """``{"FD001": (train, test, rul), ...}`` for every complete set in ``folder``."""
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.iterdir()):
        m = re.fullmatch(r"(train|test|RUL)_(FD\d+)\.txt(\.gz)?", path.name)
        if m:
            found.setdefault(m.group(2), {})[m.group(1)] = path
    sets = {
        k: (v["train"], v["test"], v["RUL"])
        for k, v in sorted(found.items())
        if {"train", "test", "RUL"} <= v.keys()
    }
    if not sets:
        raise DataError(f"{folder}: no complete C-MAPSS set (train_FDxxx, test_FDxxx, RUL_FDxxx)")
    return sets


#: Operating points of the C-MAPSS six-condition sets (altitude kft, Mach, throttle angle).
SIX_CONDITIONS = np.array(
    [
        [0, 0, 100],
        [10, 0.25, 100],
        [20, 0.7, 100],
        [25, 0.62, 60],
        [35, 0.84, 100],
        [42, 0.84, 100],
    ],
    dtype=float,
)


def spread_over_conditions(data: RunData, seed: int) -> RunData:
    """The same histories as if flown under six operating conditions drawn per row.

    Each row gets one of :data:`SIX_CONDITIONS` as its settings (plus small noise), and every
    sensor reading x becomes a * x + b with a and b fixed per condition and sensor (the same
    for any data given the same ``seed``), so only per-regime normalisation can recover the
    health signal.
    """
    rng = np.random.default_rng(seed)
    shift = rng.normal(0.0, 50.0, (len(SIX_CONDITIONS), len(data.sensors)))
    scale = rng.uniform(0.5, 2.0, (len(SIX_CONDITIONS), len(data.sensors)))
    rows = np.random.default_rng([seed, len(data.frame)]).integers(0, 6, len(data.frame))
    frame = data.frame.copy()
    raw = frame[list(data.sensors)].to_numpy(dtype=float)
    frame[list(data.sensors)] = shift[rows] + scale[rows] * raw
    noise = np.random.default_rng([seed, 1, len(data.frame)]).normal(0, 1e-3, (len(rows), 3))
    settings = SIX_CONDITIONS[rows] + noise
    for i, col in enumerate(data.settings[:3]):
        frame[col] = settings[:, i]
    return RunData(frame, data.settings, data.sensors)


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
    }


def cmapss_benchmark(
    folder: Path, models: list[str], seeds: list[int], n_jobs: int = 1, six: bool = False
) -> dict[str, Any]:
    """Per set and model: mean, spread and range over ``seeds`` of RMSE, score, coverage, time.

    With ``six``, every set is first spread over six operating conditions
    (:func:`spread_over_conditions`), a check of the regime handling at full scale.
    """
    from shopfloor.maintenance.data import read_cmapss, read_rul_file
    from shopfloor.maintenance.evaluate import evaluate_rul

    out: dict[str, Any] = {"seeds": seeds, "six_conditions": six, "sets": {}}
    for name, (train_path, test_path, rul_path) in find_cmapss_sets(folder).items():
        train, test = read_cmapss(train_path), read_cmapss(test_path)
        if six:
            train, test = spread_over_conditions(train, 0), spread_over_conditions(test, 0)
        rul = read_rul_file(rul_path)
        per_model: dict[str, Any] = {}
        for model in models:
            runs = [
                evaluate_rul(train, test, rul, model=model, seed=s, n_jobs=n_jobs) for s in seeds
            ]
            per_model[model] = {
                key: _spread([float(r[key]) for r in runs])
                for key in ("rmse", "score", "rmse_uncapped", "coverage", "train_s")
            } | {"rmse_by_seed": [r["rmse"] for r in runs], "regimes": runs[0]["regimes"]}
        out["sets"][name] = per_model
    return out


def register(app: typer.Typer) -> None:
    """Add the maintenance benchmarks to ``shopfloor bench``."""

    @app.command("pdm-cmapss")
    def pdm_cmapss(
        data: Path = typer.Option(
            Path("../shared/data/cmapss"), "--data", help="Folder of C-MAPSS sets."
        ),
        models: str = typer.Option("gbm", "--models", help="Comma-separated RUL models."),
        seeds: int = typer.Option(5, "--seeds", min=1, help="Seeds 0..N-1."),
        jobs: int = typer.Option(1, "--jobs", min=1, max=2, help="Threads for training."),
        six: bool = typer.Option(
            False, "--six-conditions", help="Spread each set over six operating conditions first."
        ),
        as_json: bool = typer.Option(True, "--json/--no-json", help="Print JSON."),
    ) -> None:
        """RMSE, PHM08 score, interval coverage and training time of RUL models on C-MAPSS."""
        names = [m.strip() for m in models.split(",") if m.strip()]
        result = cmapss_benchmark(data, names, list(range(seeds)), n_jobs=jobs, six=six)
        typer.echo(json.dumps(result, indent=None if as_json else 2))

    @app.command("pdm-ai4i")
    def pdm_ai4i(
        data: Path = typer.Option(
            Path("../shared/data/ai4i2020/ai4i2020.csv.gz"), "--data", help="AI4I 2020 CSV."
        ),
        seeds: int = typer.Option(3, "--seeds", min=1, help="Fold shuffles 0..N-1."),
    ) -> None:
        """Stratified 5-fold scores of the failure classifier over several fold shuffles."""
        from shopfloor.maintenance.classify import cross_validate
        from shopfloor.maintenance.process import read_process_csv

        table = read_process_csv(data)
        runs = [cross_validate(table, seed=s) for s in range(seeds)]
        keys = ("accuracy", "precision", "recall", "f1", "roc_auc")
        typer.echo(json.dumps({k: _spread([r[k] for r in runs]) for k in keys}))

    @app.command("pdm-quality")
    def pdm_quality(
        plant: str = typer.Option("demo", "--plant", help="Example plant name or plant file."),
        train_seeds: str = typer.Option("1-4", "--train-seeds", help="Seeds to train on."),
        test_seeds: str = typer.Option("101-102", "--test-seeds", help="Held-out seeds."),
        hours: float = typer.Option(168.0, "--hours", help="Simulated hours per seed."),
        as_json: bool = typer.Option(True, "--json/--no-json", help="Print JSON."),
    ) -> None:
        """Defect risk per unit and operation on the virtual plant, beside baselines."""
        from shopfloor.maintenance.quality_data import parse_seeds
        from shopfloor.maintenance.quality_eval import quality_eval

        result = quality_eval(
            plant,
            train_seeds=parse_seeds(train_seeds, "--train-seeds"),
            test_seeds=parse_seeds(test_seeds, "--test-seeds"),
            hours=hours,
        )
        typer.echo(json.dumps(result, indent=None if as_json else 2))
