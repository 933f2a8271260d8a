"""Defect risk of each unit at each operation, learnt from the virtual plant's machine events.

A gradient-boosted tree model (LightGBM, classes weighted to balance) reads the rows of a
:class:`~shopfloor.maintenance.quality_data.QualityTable`. Its weighted odds are corrected
back by the training defect rate, so :meth:`DefectRiskModel.predict_proba` is a probability:
the risk that this operation rejects this unit. The decision threshold (flag the unit at this
operation) is the best-F1 point of out-of-fold predictions on the training data (folds by
simulation seed).

Process values enter as robust z-scores against the training median of their product (the
deviation from the usual setting, whatever the product's nominal value); ``process_dev`` sums
their squares per operation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shopfloor.maintenance.errors import DataError, IntegrityError
from shopfloor.maintenance.quality_data import QualityLayout, QualityTable
from shopfloor.maintenance.registry import Manifest, Registry

#: Shallow, strongly regularised trees: defects are rare and mostly random, so deep trees
#: learn the noise of a few hundred rejects (held-out ROC AUC 0.725 with 15 leaves, 0.748 here).
DEFAULT_PARAMS: dict[str, Any] = {
    "n_estimators": 200,
    "learning_rate": 0.03,
    "max_depth": 3,
    "num_leaves": 8,
    "min_child_samples": 300,
    "subsample": 0.7,
    "subsample_freq": 1,
    "colsample_bytree": 0.7,
    "reg_lambda": 10.0,
}
#: Fewest rejected units a training set must hold.
MIN_DEFECTS = 10


def _process_groups(layout: QualityLayout) -> dict[str, list[str]]:
    """Prefix ('' for the row's own operation, 'prev.<op>.') -> its process value columns."""
    groups = {"": [f"process.{k}" for k in layout.process_keys]}
    for op, (keys, _m) in layout.history.items():
        groups[f"prev.{op}."] = [f"prev.{op}.process.{k}" for k in keys]
    return groups


@dataclass
class QualityFeatures:
    """Per product, the median and robust spread of every process value in the training rows."""

    layout: QualityLayout
    center: dict[str, dict[str, float]] = field(default_factory=dict)
    scale: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def fit(cls, table: QualityTable) -> QualityFeatures:
        f = cls(table.layout)
        for cols in _process_groups(table.layout).values():
            for col in cols:
                by = table.frame.groupby("product")[col]
                med = by.median()
                mad = by.apply(lambda s: float((s - s.median()).abs().median()) * 1.4826)
                f.center[col] = {str(k): float(v) for k, v in med.dropna().items()}
                f.scale[col] = {
                    str(k): float(v) if v and v > 0 else 1.0 for k, v in mad.dropna().items()
                }
        return f

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        layout = self.layout
        x = frame[layout.numeric].astype(float).reset_index(drop=True)
        product = frame["product"].astype(str).reset_index(drop=True)
        for prefix, cols in _process_groups(layout).items():
            for col in cols:
                c = product.map(self.center.get(col, {})).astype(float)
                s = product.map(self.scale.get(col, {})).fillna(1.0).astype(float)
                x[col] = (x[col] - c) / s
            x[f"{prefix}process_dev"] = (x[cols] ** 2).sum(axis=1, min_count=1)
        onehot = {
            f"{col}={cat}": (frame[col].astype(str).to_numpy() == cat).astype(float)
            for col in layout.categorical
            for cat in layout.categories(col)
        }
        return pd.concat([x, pd.DataFrame(onehot)], axis=1)


def _booster(seed: int, n_jobs: int, params: dict[str, Any]) -> Any:
    from lightgbm import LGBMClassifier

    return LGBMClassifier(
        objective="binary",
        class_weight="balanced",
        random_state=seed,
        n_jobs=n_jobs,
        verbose=-1,
        **params,
    )


def require_defects(table: QualityTable, what: str, least: int = MIN_DEFECTS) -> None:
    """Raise :class:`DataError` naming ``what`` unless it has ``least`` rejected and good units."""
    y = table.label
    bad = int(y.sum())
    if bad < least or bad == len(y):
        raise DataError(
            f"{what}: {bad} rejected unit(s) in {table.unit_keys.nunique()} finished units, "
            f"need at least {least} and some good ones to learn from "
            "(simulate more hours with --hours or more seeds)"
        )


@dataclass
class DefectRiskModel:
    """Probability that an operation rejects a unit, from what the events carry."""

    seed: int = 0
    n_jobs: int = 1
    params: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    threshold: float = 0.5  # flag a unit at an operation when its risk there reaches this
    base_rate: float = 0.0  # share of rejecting rows in training
    features: QualityFeatures | None = None
    _booster: Any = None

    def fit(self, table: QualityTable) -> DefectRiskModel:
        require_defects(table, "training data", least=2)
        self.features = QualityFeatures.fit(table)
        x = self.features.transform(table.frame)
        self.base_rate = float(table.label.mean())
        self._booster = _booster(self.seed, self.n_jobs, self.params).fit(x, table.label)
        return self

    @property
    def columns(self) -> list[str]:
        """The table columns the model reads (its feature schema)."""
        if self.features is None:
            raise DataError("the defect-risk model is not trained")
        return self.features.layout.inputs

    def predict_proba(self, table: QualityTable) -> np.ndarray:
        """Risk that each row's operation rejects its unit (a probability, not a weighted one)."""
        if self.features is None or self._booster is None:
            raise DataError("the defect-risk model is not trained")
        pw = np.clip(self._booster.predict_proba(self.features.transform(table.frame))[:, 1], 0, 1)
        # balanced class weights multiply the odds by n_good / n_bad: undo that
        odds = pw / np.maximum(1.0 - pw, 1e-12) * self.base_rate / (1.0 - self.base_rate)
        return np.asarray(odds / (1.0 + odds))

    @property
    def n_features(self) -> int:
        return 0 if self._booster is None else int(self._booster.n_features_in_)

    def importances(self, top: int = 10) -> list[dict[str, Any]]:
        """The features with the largest share of the total split gain."""
        if self._booster is None:
            return []
        gain = self._booster.booster_.feature_importance(importance_type="gain")
        names = self._booster.booster_.feature_name()
        total = float(gain.sum()) or 1.0
        order = np.argsort(gain)[::-1][:top]
        return [
            {"feature": names[i], "gain_share": round(float(gain[i]) / total, 4)} for i in order
        ]


def best_threshold(y: np.ndarray, score: np.ndarray) -> float:
    """The score threshold with the best F1 of the positive class."""
    from sklearn.metrics import precision_recall_curve

    if y.sum() == 0:
        return float(np.max(score)) + 1.0
    precision, recall, thresholds = precision_recall_curve(y, score)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))])


def within_operation_auc(y: np.ndarray, score: np.ndarray, operations: np.ndarray | None) -> float:
    """ROC AUC inside each operation, averaged weighted by its rejected rows (nan if none):
    what a score knows about a unit beyond where defects are usually found."""
    from sklearn.metrics import roc_auc_score

    if operations is None:
        return float("nan")
    total = weight = 0.0
    for op in np.unique(operations):
        m = operations == op
        bad = float(y[m].sum())
        if 0 < bad < m.sum():
            total += bad * float(roc_auc_score(y[m], score[m]))
            weight += bad
    return total / weight if weight else float("nan")


def scores(
    y: np.ndarray, score: np.ndarray, threshold: float, operations: np.ndarray | None = None
) -> dict[str, float]:
    """Accuracy, precision, recall, F1, ROC AUC, PR AUC, confusion counts (and, given each
    row's operation, the ROC AUC within operations)."""
    from sklearn.metrics import average_precision_score

    from shopfloor.maintenance.metrics import binary_scores

    pred = (score >= threshold).astype(np.int64)
    out = binary_scores(y, pred, score)
    out["pr_auc"] = float(average_precision_score(y, score))
    out["roc_auc_within_operation"] = within_operation_auc(y, score, operations)
    out |= {
        "tp": float(((pred == 1) & (y == 1)).sum()),
        "fp": float(((pred == 1) & (y == 0)).sum()),
        "tn": float(((pred == 0) & (y == 0)).sum()),
        "fn": float(((pred == 0) & (y == 1)).sum()),
    }
    out = {k: round(v, 4) for k, v in out.items() if v == v}
    out["threshold"] = float(f"{threshold:.4g}")
    return out


def out_of_fold(
    table: QualityTable, *, folds: int, seed: int, n_jobs: int, params: dict[str, Any]
) -> np.ndarray:
    """Risk of every training row from a model that did not see its seed (or its unit)."""
    from sklearn.model_selection import GroupKFold

    groups = table.frame["seed"] if table.frame["seed"].nunique() >= 2 else table.unit_keys
    k = min(folds, int(groups.nunique()))
    risk = np.zeros(len(table))
    for train, test in GroupKFold(n_splits=k).split(np.zeros(len(table)), groups=groups):
        part = table.subset(train)
        require_defects(part, "a training fold", least=2)
        model = DefectRiskModel(seed=seed, n_jobs=n_jobs, params=params).fit(part)
        risk[test] = model.predict_proba(table.subset(test))
    return risk


def fit_quality(
    table: QualityTable,
    *,
    folds: int = 3,
    seed: int = 0,
    n_jobs: int = 1,
    params: dict[str, Any] | None = None,
) -> tuple[DefectRiskModel, dict[str, float]]:
    """Choose thresholds out of fold, train on every row; the model and its out-of-fold scores."""
    require_defects(table, "training data")
    p = dict(params or DEFAULT_PARAMS)
    oof = out_of_fold(table, folds=folds, seed=seed, n_jobs=n_jobs, params=p)
    model = DefectRiskModel(seed=seed, n_jobs=n_jobs, params=p)
    model.threshold = best_threshold(table.label, oof)
    model.fit(table)
    ops = table.frame["operation"].to_numpy()
    return model, {f"oof_{k}": v for k, v in scores(table.label, oof, model.threshold, ops).items()}


def fingerprint(table: QualityTable) -> str:
    """SHA-256 over the input columns, their values and the labels."""
    h = hashlib.sha256("\x1f".join(table.layout.inputs).encode())
    h.update(pd.util.hash_pandas_object(table.inputs, index=False).to_numpy().tobytes())
    h.update(np.ascontiguousarray(table.label).tobytes())
    return h.hexdigest()


def train_quality(
    registry: Registry,
    name: str,
    table: QualityTable,
    *,
    seed: int = 0,
    folds: int = 3,
    params: dict[str, Any] | None = None,
    info: dict[str, Any] | None = None,
) -> Manifest:
    """Train the defect-risk model on ``table`` and store it as the next version of ``name``."""
    model, metrics = fit_quality(table, folds=folds, seed=seed, params=params)
    return registry.save(
        name,
        model,
        kind="quality",
        model="gbm-defect-risk",
        data_fingerprint=fingerprint(table),
        feature_schema={"inputs": model.columns},
        metrics=metrics,
        params={
            "seed": seed,
            "threshold": model.threshold,
            "base_rate": model.base_rate,
            **(info or {}),
        },
    )


def load_quality(
    registry: Registry, name: str, version: int | None = None
) -> tuple[DefectRiskModel, Manifest]:
    obj, manifest = registry.load(name, version)
    if manifest.kind != "quality" or not isinstance(obj, DefectRiskModel):
        raise IntegrityError(f"model {name} v{manifest.version} is not a defect-risk model")
    return obj, manifest


def score_quality(
    registry: Registry, name: str, table: QualityTable, *, version: int | None = None
) -> dict[str, Any]:
    """Risk of every row (unit and operation) with a registered model, and its flag."""
    model, manifest = load_quality(registry, name, version)
    manifest.check_schema({"inputs": list(table.inputs.columns)})
    risk = model.predict_proba(table)
    f = table.frame
    return {
        "name": manifest.name,
        "version": manifest.version,
        "threshold": model.threshold,
        "rows": [
            {"serial": s, "operation": o, "risk": float(r), "flag": bool(r >= model.threshold)}
            for s, o, r in zip(f["serial"], f["operation"], risk, strict=True)
        ],
    }
