"""Measures of remaining-useful-life predictions and of failure classifiers.

``phm08_score`` is the asymmetric score of the 2008 PHM data challenge (Saxena et al.): with
d = predicted - true, each unit adds exp(-d/13) - 1 when early (d < 0) and exp(d/10) - 1 when
late, so predicting failure too late costs more than too early.
"""

from __future__ import annotations

import numpy as np


def rmse(pred: np.ndarray, true: np.ndarray) -> float:
    """Root mean squared error."""
    d = np.asarray(pred, dtype=float) - np.asarray(true, dtype=float)
    return float(np.sqrt(np.mean(d * d)))


def phm08_score(pred: np.ndarray, true: np.ndarray) -> float:
    """The PHM08 asymmetric score (lower is better, 0 is perfect)."""
    d = np.asarray(pred, dtype=float) - np.asarray(true, dtype=float)
    return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1.0, np.exp(d / 10.0) - 1.0)))


def coverage(lower: np.ndarray, upper: np.ndarray, true: np.ndarray) -> float:
    """Share of true values inside their [lower, upper] interval."""
    t = np.asarray(true, dtype=float)
    return float(np.mean((t >= lower) & (t <= upper)))


def binary_scores(y: np.ndarray, pred: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Accuracy, precision, recall, F1 and ROC AUC of the positive (failure) class."""
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    return {
        "accuracy": float(accuracy_score(y, pred)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(y, proba)),
    }
