"""Tabular process data (AI4I 2020 style): one row per operation, a failure label, failure modes.

Headers are normalised (``"Air temperature [K]"`` -> ``air_temperature``). Identifier columns
(``udi``, ``product_id``) and failure-mode columns (``twf``, ``hdf``, ``pwf``, ``osf``, ``rnf``)
are never features: modes are targets of their own. Text columns (product type) are one-hot
encoded with the categories seen in training. Physics features are added when their inputs exist:

- ``power_w`` = torque [Nm] x rotational speed [rpm] x 2 pi / 60 (mechanical power, W);
- ``strain`` = tool wear [min] x torque [Nm] (the load the tool has taken, min.Nm);
- ``temp_diff`` = process temperature - air temperature (K; heat that must be dissipated);
- ``speed_per_torque`` = rotational speed / torque (operating point on the speed-torque curve).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shopfloor.maintenance.data import read_text
from shopfloor.maintenance.errors import DataError

LABELS = ("machine_failure", "failure", "target")
MODES = ("twf", "hdf", "pwf", "osf", "rnf")
IDENTIFIERS = ("udi", "product_id", "id")


def normalise_name(name: str) -> str:
    """``"Rotational speed [rpm]"`` -> ``rotational_speed``."""
    name = re.sub(r"\[.*?\]|\(.*?\)", "", name.strip().lstrip("\ufeff"))
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass(frozen=True)
class ProcessData:
    """Rows of process data: ``inputs`` (raw columns usable as features), ``label``, ``modes``."""

    inputs: pd.DataFrame
    label: np.ndarray | None
    modes: pd.DataFrame

    def __len__(self) -> int:
        return len(self.inputs)

    def subset(self, rows: np.ndarray) -> ProcessData:
        return ProcessData(
            self.inputs.iloc[rows].reset_index(drop=True),
            None if self.label is None else self.label[rows],
            self.modes.iloc[rows].reset_index(drop=True),
        )


def process_data(frame: pd.DataFrame, *, exclude: Sequence[str] = ()) -> ProcessData:
    """Split a table into inputs, failure label and failure modes (headers normalised)."""
    frame = frame.rename(columns={c: normalise_name(str(c)) for c in frame.columns})
    dup = frame.columns[frame.columns.duplicated()].tolist()
    if dup:
        raise DataError(f"columns {dup} appear twice after normalising the headers")
    label_col = next((c for c in LABELS if c in frame.columns), None)
    label = None
    if label_col is not None:
        values = frame[label_col]
        if not set(pd.unique(values)) <= {0, 1}:
            raise DataError(f"label column {label_col!r} must hold only 0 and 1")
        label = values.to_numpy(dtype=np.int64)
    modes = frame[[c for c in MODES if c in frame.columns]].astype(np.int64)
    dropped = {*IDENTIFIERS, *MODES, *(normalise_name(c) for c in exclude)}
    if label_col:
        dropped.add(label_col)
    inputs = frame[[c for c in frame.columns if c not in dropped]].reset_index(drop=True)
    if inputs.shape[1] == 0:
        raise DataError("no input columns left after removing identifiers, label and modes")
    for col in inputs.columns:
        if inputs[col].isna().any():
            raise DataError(
                f"column {col!r} has a missing value (row {int(inputs[col].isna().argmax())})"
            )
    return ProcessData(inputs, label, modes.reset_index(drop=True))


def read_process_csv(path: str | Path, *, exclude: Sequence[str] = ()) -> ProcessData:
    """Read an AI4I-style CSV (plain or gzip, BOM and CRLF tolerated) or Parquet file."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        frame = pd.read_parquet(path)
    else:
        try:
            frame = pd.read_csv(io.StringIO(read_text(path)))
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    return process_data(frame, exclude=exclude)


def _find(columns: Sequence[str], *words: str) -> str | None:
    return next((c for c in columns if all(w in c for w in words)), None)


@dataclass(frozen=True)
class ProcessFeatures:
    """The feature recipe learnt from training inputs: numeric columns and text categories."""

    numeric: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]

    @classmethod
    def fit(cls, inputs: pd.DataFrame) -> ProcessFeatures:
        numeric = tuple(c for c in inputs.columns if pd.api.types.is_numeric_dtype(inputs[c]))
        text = [c for c in inputs.columns if c not in numeric]
        cats = {c: tuple(sorted(str(v) for v in pd.unique(inputs[c]))) for c in text}
        return cls(numeric, cats)

    @property
    def columns(self) -> list[str]:
        """The raw input columns this recipe needs (the model's feature schema)."""
        return [*self.numeric, *self.categories]

    def transform(self, inputs: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.columns if c not in inputs.columns]
        if missing:
            raise DataError(f"process data lacks column(s) {', '.join(missing)}")
        out = inputs[list(self.numeric)].astype(float).reset_index(drop=True)
        for col, cats in self.categories.items():
            values = inputs[col].astype(str).to_numpy()
            unknown = sorted(set(values) - set(cats))
            if unknown:
                raise DataError(f"column {col!r} has unknown categories {unknown}; known {cats}")
            for cat in cats:
                out[f"{col}={cat}"] = (values == cat).astype(float)
        return _physics(out)


def _physics(x: pd.DataFrame) -> pd.DataFrame:
    cols = list(x.columns)
    torque, speed = _find(cols, "torque"), _find(cols, "speed")
    wear = _find(cols, "wear")
    process, air = _find(cols, "process", "temp"), _find(cols, "air", "temp")
    x = x.copy()
    if torque and speed:
        x["power_w"] = x[torque] * x[speed] * 2.0 * np.pi / 60.0
        x["speed_per_torque"] = x[speed] / x[torque].where(x[torque] != 0, np.nan)
    if torque and wear:
        x["strain"] = x[torque] * x[wear]
    if process and air:
        x["temp_diff"] = x[process] - x[air]
    return x
