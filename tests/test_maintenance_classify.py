"""Failure classification of AI4I-style process data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopfloor.maintenance.classify import FailureClassifier, cross_validate
from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.process import ProcessData, normalise_name, read_process_csv

SMALL = {
    "n_estimators": 60,
    "learning_rate": 0.1,
    "num_leaves": 7,
    "min_child_samples": 3,
    "max_bin": 1023,
    "min_data_in_bin": 1,
}


@pytest.fixture(scope="module")
def ai4i(shared_data: Path) -> ProcessData:
    data = read_process_csv(shared_data / "ai4i2020" / "ai4i2020.csv.gz")
    assert data.label is not None
    rng = np.random.default_rng(0)
    fail = np.flatnonzero(data.label == 1)
    ok = rng.choice(np.flatnonzero(data.label == 0), 1200, replace=False)
    return data.subset(np.sort(np.r_[fail, ok]))


def test_headers_identifiers_and_modes(ai4i: ProcessData) -> None:
    assert normalise_name("\ufeffRotational speed [rpm]") == "rotational_speed"
    cols = list(ai4i.inputs.columns)
    assert cols == [
        "type",
        "air_temperature",
        "process_temperature",
        "rotational_speed",
        "torque",
        "tool_wear",
    ]
    assert list(ai4i.modes.columns) == ["twf", "hdf", "pwf", "osf", "rnf"]


def test_features_are_physical_and_exclude_ids(ai4i: ProcessData) -> None:
    clf = FailureClassifier(params=SMALL).fit(ai4i)
    assert clf.features is not None
    x = clf.features.transform(ai4i.inputs)
    for name in ("power_w", "strain", "temp_diff", "type=L", "type=M", "type=H"):
        assert name in x.columns
    assert not {"udi", "product_id", "twf", "hdf", "pwf", "osf", "rnf"} & set(x.columns)
    row = ai4i.inputs.iloc[0]
    assert x["power_w"].iloc[0] == pytest.approx(row.torque * row.rotational_speed * 2 * np.pi / 60)
    modes = clf.predict_modes(ai4i)
    assert list(modes.columns) == ["twf", "hdf", "pwf", "osf", "rnf"]
    # power failures are a clean threshold: the mode model finds them on its training rows
    pwf = ai4i.modes["pwf"].to_numpy() == 1
    assert modes["pwf"].to_numpy()[pwf].mean() > 0.8


def test_cross_validation_on_a_subsample(ai4i: ProcessData) -> None:
    scores = cross_validate(ai4i, folds=3, params=SMALL)
    assert set(scores) >= {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert scores["rows"] == len(ai4i)
    assert scores["f1"] > 0.7 and scores["roc_auc"] > 0.9


def test_unknown_category_and_missing_label(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "UDI": [1, 2, 3, 4],
            "Type": ["L", "M", "L", "M"],
            "Torque [Nm]": [40.0, 50.0, 60.0, 30.0],
            "Machine failure": [0, 1, 0, 1],
        }
    )
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    clf = FailureClassifier(params=SMALL | {"min_child_samples": 1}).fit(read_process_csv(path))
    frame.assign(Type=["X", "L", "L", "M"]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"'type' has unknown categories \['X'\]"):
        clf.predict_proba(read_process_csv(path))
    frame.drop(columns="Machine failure").to_csv(path, index=False)
    with pytest.raises(DataError, match="no failure label"):
        FailureClassifier().fit(read_process_csv(path))
