"""``shopfloor pdm``: evaluate, train and score predictive-maintenance models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from shopfloor.maintenance.catalogue import DEFAULT_RUL_MODEL, RUL_MODELS
from shopfloor.maintenance.errors import DataError
from shopfloor.textgrid import align

if TYPE_CHECKING:
    from shopfloor.maintenance.data import RunData
    from shopfloor.maintenance.registry import Registry

app = typer.Typer(no_args_is_help=True)

_MODEL_HELP = "RUL model: " + "; ".join(f"{k} = {v[1]}" for k, v in RUL_MODELS.items())


#: Rows of a list shown as text (``--json`` prints all).
TEXT_ROWS = 20


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)


def _text(key: str, value: Any) -> list[str]:
    """Lines for people: scalars as ``key: value``, a list of records as an aligned table
    (the first :data:`TEXT_ROWS`), a long list of numbers summarised."""
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _text(f"{key}.{k}", v)]
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        cols = list(dict.fromkeys(k for r in value for k in r))
        rows = [[_cell(r.get(c)) for c in cols] for r in value[:TEXT_ROWS]]
        lines = [f"{key} ({len(value)}):", *align(cols, rows, indent="  ")]
        if len(value) > TEXT_ROWS:
            lines.append(f"  ... {len(value) - TEXT_ROWS} more (--json prints all)")
        return lines
    if isinstance(value, list) and len(value) > 8:
        nums = [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
        head = ", ".join(_cell(v) for v in value[:5])
        span = f"; min {_cell(min(nums))}, max {_cell(max(nums))}" if nums else ""
        return [f"{key}: {len(value)} values ({head}, ...{span}; --json prints all)"]
    if isinstance(value, list):
        return [f"{key}: {', '.join(_cell(v) for v in value)}"]
    return [f"{key}: {_cell(value)}"]


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        for line in _text(key, value):
            typer.echo(line)


def _registry(path: Path | None) -> Registry:
    from shopfloor.maintenance.registry import Registry

    if path is not None:
        return Registry(path)
    from shopfloor.config import settings

    return Registry(settings().data_dir / "models")


def _settings_list(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def read_runs(
    path: Path, fmt: str, unit: str, time: str, settings: str, rul: str | None
) -> RunData:
    """Run data from a C-MAPSS file or a long CSV/Parquet table."""
    from shopfloor.maintenance.data import read_cmapss, read_long

    if fmt == "cmapss":
        return read_cmapss(path)
    if fmt == "long":
        return read_long(path, unit=unit, time=time, settings=_settings_list(settings), rul=rul)
    raise DataError(f"--format must be 'cmapss' or 'long', got {fmt!r}")


_FORMAT = typer.Option("cmapss", "--format", help="cmapss (NASA text) or long (CSV/Parquet).")
_UNIT = typer.Option("unit", "--unit-col", help="Long format: the unit id column.")
_TIME = typer.Option("time", "--time-col", help="Long format: the time (cycle) column.")
_SETTINGS = typer.Option("", "--settings", help="Long format: operating-setting columns, a,b,c.")
_RUL = typer.Option(None, "--rul-col", help="Long format: RUL column (else: run to failure).")
_JSON = typer.Option(False, "--json", help="Print one JSON object.")
_REGISTRY = typer.Option(None, "--registry", help="Registry folder (default <data_dir>/models).")


@app.command("evaluate")
def evaluate(
    train: Path = typer.Option(..., "--train", help="C-MAPSS training file (run to failure)."),
    test: Path = typer.Option(..., "--test", help="C-MAPSS test file (truncated runs)."),
    rul: Path = typer.Option(..., "--rul", help="C-MAPSS RUL file: true RUL per test unit."),
    model: str = typer.Option(DEFAULT_RUL_MODEL, "--model", help=_MODEL_HELP),
    seed: int = typer.Option(0, "--seed", help="Random seed (folds, trees, networks)."),
    cap: float = typer.Option(125.0, "--cap", help="Cap of the piece-wise linear RUL target."),
    jobs: int = typer.Option(1, "--jobs", min=1, max=2, help="Threads for training."),
    as_json: bool = _JSON,
) -> None:
    """Train on --train, predict RUL at the last cycle of each --test unit, score vs --rul."""
    from shopfloor.maintenance.evaluate import evaluate_cmapss_files

    _emit(
        evaluate_cmapss_files(train, test, rul, model=model, seed=seed, cap=cap, n_jobs=jobs),
        as_json,
    )


@app.command("classify-eval")
def classify_eval(
    data: Path = typer.Option(..., "--data", help="AI4I-style process CSV (or Parquet)."),
    folds: int = typer.Option(5, "--folds", min=2, help="Stratified folds."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    as_json: bool = _JSON,
) -> None:
    """Stratified k-fold accuracy, precision, recall, F1 and ROC AUC of the failure class."""
    from shopfloor.maintenance.classify import cross_validate
    from shopfloor.maintenance.process import read_process_csv

    _emit(cross_validate(read_process_csv(data), folds=folds, seed=seed), as_json)


_PLANT = typer.Option("demo", "--plant", help="Example plant name or plant file.")
_TRAIN_SEEDS = typer.Option("1-4", "--train-seeds", help="Simulation seeds to train on: 1-4, 1,3.")
_HOURS = typer.Option(168.0, "--hours", help="Simulated hours per seed (virtual time).")


@app.command("quality-eval")
def quality_eval(
    plant: str = _PLANT,
    train_seeds: str = _TRAIN_SEEDS,
    test_seeds: str = typer.Option("101-102", "--test-seeds", help="Held-out seeds to judge."),
    hours: float = _HOURS,
    seed: int = typer.Option(0, "--seed", help="Random seed of the model."),
    jobs: int = typer.Option(1, "--jobs", min=1, max=2, help="Threads for training."),
    as_json: bool = _JSON,
) -> None:
    """Defect risk per unit and operation on the virtual plant: train on --train-seeds, judge
    on --test-seeds (accuracy, precision, recall, F1, ROC and PR AUC, baselines)."""
    from shopfloor.maintenance.quality_data import parse_seeds
    from shopfloor.maintenance.quality_eval import quality_eval as run

    result = run(
        plant,
        train_seeds=parse_seeds(train_seeds, "--train-seeds"),
        test_seeds=parse_seeds(test_seeds, "--test-seeds"),
        hours=hours,
        seed=seed,
        n_jobs=jobs,
    )
    _emit(result, as_json)


@app.command("quality-train")
def quality_train(
    name: str = typer.Option(..., "--name", help="Registry name of the model ([a-z0-9_-])."),
    plant: str = _PLANT,
    train_seeds: str = _TRAIN_SEEDS,
    hours: float = _HOURS,
    seed: int = typer.Option(0, "--seed", help="Random seed of the model."),
    registry: Path | None = _REGISTRY,
    as_json: bool = _JSON,
) -> None:
    """Train the defect-risk model on simulated seeds and store it as the next version of
    --name (metrics: out-of-fold by seed)."""
    from shopfloor.maintenance.quality import require_defects, train_quality
    from shopfloor.maintenance.quality_data import parse_seeds, simulate_table
    from shopfloor.maintenance.quality_eval import check_options, load_plant_option

    seeds = parse_seeds(train_seeds, "--train-seeds")
    check_options(seeds, hours)
    reg = _registry(registry)
    table = simulate_table(load_plant_option(plant), seeds, hours)
    require_defects(table, "--train-seeds")
    info = {"plant": plant, "train_seeds": seeds, "hours_per_seed": hours}
    manifest = train_quality(reg, name, table, seed=seed, info=info)
    _emit({"name": manifest.name, "version": manifest.version, **manifest.metrics}, as_json)


@app.command("train")
def train(
    data: Path = typer.Option(..., "--data", help="Training data file."),
    name: str = typer.Option(..., "--name", help="Registry name of the model ([a-z0-9_-])."),
    task: str = typer.Option("rul", "--task", help="rul (run-to-failure) or failure (AI4I)."),
    model: str = typer.Option(DEFAULT_RUL_MODEL, "--model", help=_MODEL_HELP),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    cap: float = typer.Option(125.0, "--cap", help="RUL target cap."),
    fmt: str = _FORMAT,
    unit: str = _UNIT,
    time: str = _TIME,
    settings: str = _SETTINGS,
    rul: str | None = _RUL,
    registry: Path | None = _REGISTRY,
    as_json: bool = _JSON,
) -> None:
    """Train a model and store it as the next version of --name in the registry."""
    from shopfloor.maintenance.service import train_failure, train_rul

    reg = _registry(registry)
    if task == "rul":
        runs = read_runs(data, fmt, unit, time, settings, rul)
        manifest = train_rul(reg, name, runs, model=model, seed=seed, cap=cap)
    elif task == "failure":
        from shopfloor.maintenance.process import read_process_csv

        manifest = train_failure(reg, name, read_process_csv(data), seed=seed)
    else:
        raise DataError(f"--task must be 'rul' or 'failure', got {task!r}")
    _emit({"name": manifest.name, "version": manifest.version, **manifest.metrics}, as_json)


@app.command("score")
def score(
    data: Path = typer.Option(..., "--data", help="Data to score (same columns as training)."),
    name: str = typer.Option(..., "--name", help="Registry name of the model."),
    version: int | None = typer.Option(None, "--version", help="Version (default: latest)."),
    fmt: str = _FORMAT,
    unit: str = _UNIT,
    time: str = _TIME,
    settings: str = _SETTINGS,
    plant: str = typer.Option(
        "demo", "--plant", help="Plant of the events (defect-risk models; name or file)."
    ),
    registry: Path | None = _REGISTRY,
    as_json: bool = _JSON,
) -> None:
    """Score data with a registered model: RUL per unit, failure probability per row, or
    defect risk per unit and operation (--data: machine events as JSON lines, such as
    ``shopfloor sim run --events`` writes)."""
    from shopfloor.maintenance.service import score_failure, score_rul

    reg = _registry(registry)
    manifest = reg.manifest(name, version)
    if manifest.kind == "quality":
        from shopfloor.maintenance.quality import score_quality
        from shopfloor.maintenance.quality_data import read_events, table_from_events
        from shopfloor.maintenance.quality_eval import load_plant_option

        the_plant = load_plant_option(plant)
        table = table_from_events(read_events(data), the_plant)
        _emit(score_quality(reg, name, table, version=version), as_json)
        return
    if manifest.kind == "rul":
        runs = read_runs(data, fmt, unit, time, settings, None)
        result = score_rul(reg, name, runs, version=version)
    else:
        from shopfloor.maintenance.process import read_process_csv

        result = score_failure(reg, name, read_process_csv(data), version=version)
    _emit(result, as_json)


@app.command("models")
def models(registry: Path | None = _REGISTRY, as_json: bool = _JSON) -> None:
    """List registered models with their versions and metrics."""
    reg = _registry(registry)
    out = {
        n: [
            {"version": m.version, "kind": m.kind, "model": m.model, "created": m.created}
            for m in (reg.manifest(n, v) for v in reg.versions(n))
        ]
        for n in reg.names()
    }
    _emit({"models": out}, as_json)
