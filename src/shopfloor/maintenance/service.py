"""Train models into the registry and score data with registered models.

These are the calls production code (the CLI, a live scorer fed from the historian, the API)
makes: train on data, store a version with its fingerprint, schema and metrics; load a version by
name, refuse data whose columns do not match its schema, predict.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shopfloor.maintenance.blend import BlendRul
from shopfloor.maintenance.catalogue import DEFAULT_RUL_MODEL, make_rul_model
from shopfloor.maintenance.classify import DEFAULT_PARAMS, FailureClassifier, cross_validate
from shopfloor.maintenance.data import RunData
from shopfloor.maintenance.errors import IntegrityError
from shopfloor.maintenance.pipeline import fingerprint, schema_of
from shopfloor.maintenance.process import ProcessData
from shopfloor.maintenance.registry import Manifest, Registry
from shopfloor.maintenance.rul import FoldEnsemble, RulPrediction


def _process_fingerprint(data: ProcessData) -> str:
    import hashlib

    import pandas as pd

    h = hashlib.sha256("\x1f".join(map(str, data.inputs.columns)).encode())
    h.update(pd.util.hash_pandas_object(data.inputs, index=False).to_numpy().tobytes())
    if data.label is not None:
        h.update(np.ascontiguousarray(data.label).tobytes())
    return h.hexdigest()


def train_rul(
    registry: Registry,
    name: str,
    data: RunData,
    *,
    model: str = DEFAULT_RUL_MODEL,
    seed: int = 0,
    cap: float = 125.0,
    n_jobs: int = 1,
) -> Manifest:
    """Train a RUL model (run-to-failure data if there is no ``rul`` column) and register it."""
    if not data.has_rul:
        data = data.with_failure_at_end()
    fitted = make_rul_model(model, cap=cap, seed=seed, n_jobs=n_jobs).fit(data)
    s = fitted.summary
    metrics = {
        "validation_rmse": float(s["validation_rmse"]),
        "validation_rmse_degrading": float(s["validation_rmse_degrading"]),
        "validation_coverage": float(s["validation_coverage"]),
        "train_s": float(s["train_s"]),
    }
    return registry.save(
        name,
        fitted,
        kind="rul",
        model=model,
        data_fingerprint=fingerprint(data),
        feature_schema=schema_of(data),
        metrics=metrics,
        params={"cap": cap, "seed": seed, "level": fitted.level, "regimes": s["regimes"]},
    )


def load_rul(
    registry: Registry, name: str, version: int | None = None
) -> tuple[FoldEnsemble | BlendRul, Manifest]:
    obj, manifest = registry.load(name, version)
    if manifest.kind != "rul" or not isinstance(obj, FoldEnsemble | BlendRul):
        raise IntegrityError(f"model {name} v{manifest.version} is not a RUL model")
    return obj, manifest


def predict_rul(
    registry: Registry, name: str, data: RunData, *, version: int | None = None
) -> tuple[RulPrediction, Manifest]:
    """RUL at the last row of each unit of ``data`` with a registered model."""
    model, manifest = load_rul(registry, name, version)
    manifest.check_schema(schema_of(data))
    return model.predict(data), manifest


def score_rul(
    registry: Registry, name: str, data: RunData, *, version: int | None = None
) -> dict[str, Any]:
    pred, manifest = predict_rul(registry, name, data, version=version)
    return {
        "name": manifest.name,
        "version": manifest.version,
        "interval_level": manifest.params.get("level"),
        "units": pred.records(),
    }


def train_failure(
    registry: Registry,
    name: str,
    data: ProcessData,
    *,
    seed: int = 0,
    folds: int = 5,
    params: dict[str, Any] | None = None,
) -> Manifest:
    """Cross-validate, then train the failure classifier on all rows and register it."""
    metrics = cross_validate(data, folds=folds, seed=seed, params=params)
    clf = FailureClassifier(seed=seed, params=dict(params or DEFAULT_PARAMS)).fit(data)
    columns = clf.features.columns if clf.features is not None else []
    return registry.save(
        name,
        clf,
        kind="failure",
        model="gbm-classifier",
        data_fingerprint=_process_fingerprint(data),
        feature_schema={"inputs": columns},
        metrics={k: float(v) for k, v in metrics.items()},
        params={"seed": seed, "threshold": clf.threshold, "modes": list(data.modes.columns)},
    )


def score_failure(
    registry: Registry, name: str, data: ProcessData, *, version: int | None = None
) -> dict[str, Any]:
    """Failure probability, decision and mode probabilities of every row."""
    clf, manifest = registry.load(name, version)
    if manifest.kind != "failure" or not isinstance(clf, FailureClassifier):
        raise IntegrityError(f"model {name} v{manifest.version} is not a failure classifier")
    manifest.check_schema({"inputs": list(data.inputs.columns)})
    proba = clf.predict_proba(data)
    modes = clf.predict_modes(data)
    rows = [
        {"failure_probability": float(p), "failure": int(p >= clf.threshold)}
        | {f"{m}_probability": float(modes[m].iloc[i]) for m in modes.columns}
        for i, p in enumerate(proba)
    ]
    return {"name": manifest.name, "version": manifest.version, "rows": rows}
