"""Remaining-useful-life models on a few C-MAPSS units (tiny models: shape, not accuracy)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from shopfloor.maintenance.catalogue import make_rul_model
from shopfloor.maintenance.data import RunData, read_cmapss
from shopfloor.maintenance.errors import DataError, MissingExtra, SchemaMismatch, UnknownModel
from shopfloor.maintenance.features import FeatureSpec, window_features
from shopfloor.maintenance.metrics import phm08_score, rmse
from shopfloor.maintenance.rul import unit_folds
from shopfloor.maintenance.trees import TreeRul

FAST = {"objective": "l2", "learning_rate": 0.2, "num_leaves": 7, "min_child_samples": 20}


@pytest.fixture(scope="module")
def fd001(shared_data: Path) -> tuple[RunData, RunData]:
    train = read_cmapss(shared_data / "cmapss" / "train_FD001.txt.gz")
    test = read_cmapss(shared_data / "cmapss" / "test_FD001.txt.gz")
    return train.subset(list(range(1, 13))).with_failure_at_end(), test.subset([1, 2, 3, 4])


def test_metrics() -> None:
    assert rmse(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(np.sqrt(2.0))
    late = phm08_score(np.array([10.0]), np.array([0.0]))
    early = phm08_score(np.array([0.0]), np.array([10.0]))
    assert late == pytest.approx(np.e - 1.0) and early == pytest.approx(np.exp(10 / 13) - 1.0)
    assert late > early  # predicting failure too late costs more


def test_window_features_use_only_the_past() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 2))
    units = np.repeat([1, 2], 25)
    time = np.tile(np.arange(1, 26), 2).astype(float)
    spec = FeatureSpec()
    full = window_features(z, units, time, spec)
    cut = window_features(z[:40], units[:40], time[:40], spec)
    assert np.allclose(full[:40], cut)  # later rows never change earlier features
    assert full.shape[1] == len(spec.names(("a", "b")))
    assert full[25, 0] == 1.0  # age restarts with each unit


def test_unit_folds_split_by_unit() -> None:
    units = np.repeat(np.arange(10), 7)
    folds = unit_folds(units, 3, seed=1)
    assert sorted(np.concatenate(folds).tolist()) == list(range(10))
    with pytest.raises(DataError, match="at least 3"):
        unit_folds(np.array([1, 1, 2]), 3, seed=0)


@pytest.fixture(scope="module")
def tree(fd001: tuple[RunData, RunData]) -> TreeRul:
    return TreeRul(folds=3, params=FAST, rounds=80, patience=10).fit(fd001[0])


def test_tree_model_predicts_last_cycle_with_intervals(
    fd001: tuple[RunData, RunData], tree: TreeRul
) -> None:
    train, test = fd001
    model = tree
    pred = model.predict(test)
    assert pred.units == [1, 2, 3, 4]
    assert np.all((pred.rul >= 0) & (pred.rul <= 125))
    assert np.all(pred.lower <= pred.rul) and np.all(pred.rul <= pred.upper)
    assert 0.5 < model.summary["validation_coverage"] <= 1.0
    assert model.summary["regimes"] == 1
    assert "sensor_1" not in model.summary["sensors_kept"]  # constant in FD001
    again = TreeRul(folds=3, params=FAST, rounds=80, patience=10).fit(train).predict(test)
    assert np.array_equal(pred.rul, again.rul)  # seeded


def test_schema_mismatch_is_refused(fd001: tuple[RunData, RunData], tree: TreeRul) -> None:
    test = fd001[1]
    model = tree
    renamed = RunData(
        test.frame.rename(columns={"sensor_4": "sensor_x"}),
        test.settings,
        tuple("sensor_x" if s == "sensor_4" else s for s in test.sensors),
    )
    with pytest.raises(SchemaMismatch, match=r"missing: sensor_4.*sensor_x"):
        model.predict(renamed)


def test_catalogue_errors() -> None:
    with pytest.raises(UnknownModel, match="choose one of gbm"):
        make_rul_model("xgb")
    with pytest.raises(DataError, match="cap must be positive"):
        make_rul_model("gbm", cap=0)


def test_deep_model_names_the_extra(
    fd001: tuple[RunData, RunData], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    with pytest.raises(MissingExtra, match=r"shopfloor\[deep\]"):
        make_rul_model("cnn").fit(fd001[0])


def test_deep_model_trains_when_torch_is_installed(fd001: tuple[RunData, RunData]) -> None:
    pytest.importorskip("torch")
    from shopfloor.maintenance.deep import CnnRul

    train, test = fd001
    model = CnnRul(folds=2, epochs=2, window=10, hidden=4).fit(train)
    pred = model.predict(test)
    assert pred.rul.shape == (4,) and np.all((pred.rul >= 0) & (pred.rul <= 125))
    assert all(m["epochs"] >= 1 for m in model.summary["members"])


def test_blend_averages_its_parts(fd001: tuple[RunData, RunData]) -> None:
    pytest.importorskip("torch")
    from shopfloor.maintenance.blend import BlendRul
    from shopfloor.maintenance.deep import CnnRul

    train, test = fd001
    parts = [
        TreeRul(folds=2, params=FAST, rounds=30, patience=5),
        CnnRul(folds=2, epochs=1, window=8, hidden=4),
    ]
    blend = BlendRul(parts).fit(train)
    pred = blend.predict(test)
    rows = np.flatnonzero(test.frame.groupby("unit").cumcount(ascending=False).to_numpy() == 0)
    mean = np.mean([p.predict_at(test, rows) for p in parts], axis=0)
    assert np.allclose(pred.rul, mean)
    assert np.all(pred.lower <= pred.rul) and np.all(pred.rul <= pred.upper)
