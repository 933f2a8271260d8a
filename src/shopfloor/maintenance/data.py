"""Run-to-failure data: one table of (unit, time, settings..., sensors..., optional target).

:class:`RunData` is what every remaining-useful-life model takes. Readers build it from the NASA
C-MAPSS text format (:func:`read_cmapss`) or from a generic long table in CSV or Parquet
(:func:`read_long`); the live scorer builds it from historian rows the same way. Rows are sorted
by unit then time; units keep the order in which they first appear in the source.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shopfloor.maintenance.errors import DataError

UNIT = "unit"
TIME = "time"
RUL = "rul"

#: The C-MAPSS columns: unit, cycle, three operational settings, 21 sensor measurements.
CMAPSS_SETTINGS = tuple(f"setting_{i}" for i in range(1, 4))
CMAPSS_SENSORS = tuple(f"sensor_{i}" for i in range(1, 22))
CMAPSS_COLUMNS = (UNIT, TIME, *CMAPSS_SETTINGS, *CMAPSS_SENSORS)


@dataclass(frozen=True)
class RunData:
    """Histories of several units: ``frame`` holds ``unit``, ``time``, settings and sensors.

    ``settings`` are the operating-condition columns (used to find regimes, never as health
    signals); ``sensors`` are the measured signals. ``frame`` may hold a ``rul`` column (remaining
    useful life at each row, in time units).
    """

    frame: pd.DataFrame
    settings: tuple[str, ...]
    sensors: tuple[str, ...]

    def __post_init__(self) -> None:
        _validate(self.frame, self.settings, self.sensors)

    @property
    def units(self) -> list[object]:
        """Unit ids in the order of the data."""
        return list(pd.unique(self.frame[UNIT]))

    @property
    def has_rul(self) -> bool:
        return RUL in self.frame.columns

    def with_failure_at_end(self) -> RunData:
        """The same histories with ``rul`` = last time of the unit - time (run-to-failure data)."""
        frame = self.frame.copy()
        last = frame.groupby(UNIT, sort=False)[TIME].transform("max")
        frame[RUL] = (last - frame[TIME]).astype(float)
        return RunData(frame, self.settings, self.sensors)

    def with_final_rul(self, final_rul: Sequence[float]) -> RunData:
        """Truncated histories whose remaining life after the last row is ``final_rul`` (per unit,
        in unit order), as in the C-MAPSS ``RUL_*`` files."""
        units = self.units
        if len(final_rul) != len(units):
            raise DataError(
                f"{len(final_rul)} RUL values for {len(units)} units: one value per unit is needed"
            )
        frame = self.frame.copy()
        offset = pd.Series(np.asarray(final_rul, dtype=float), index=pd.Index(units))
        last = frame.groupby(UNIT, sort=False)[TIME].transform("max")
        frame[RUL] = (last - frame[TIME]) + frame[UNIT].map(offset).to_numpy(dtype=float)
        return RunData(frame, self.settings, self.sensors)

    def subset(self, units: Sequence[object]) -> RunData:
        """Only the given units (in the data's order)."""
        frame = self.frame[self.frame[UNIT].isin(list(units))].reset_index(drop=True)
        return RunData(frame, self.settings, self.sensors)

    def last_rows(self) -> pd.DataFrame:
        """The last row of each unit, in unit order."""
        return self.frame.groupby(UNIT, sort=False).tail(1).reset_index(drop=True)


def _validate(frame: pd.DataFrame, settings: tuple[str, ...], sensors: tuple[str, ...]) -> None:
    missing = [c for c in (UNIT, TIME, *settings, *sensors) if c not in frame.columns]
    if missing:
        raise DataError(f"run data lacks column(s) {', '.join(missing)}")
    if not sensors:
        raise DataError("run data needs at least one sensor column")
    if frame.empty:
        raise DataError("run data has no rows")
    for col in (TIME, *settings, *sensors):
        if not pd.api.types.is_numeric_dtype(frame[col]):
            raise DataError(f"column {col!r} must be numeric, found {frame[col].dtype}")
        bad = frame[col].isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"column {col!r} has a missing value (row {row})")
    order = frame[[UNIT, TIME]]
    same_unit = order[UNIT].to_numpy()[1:] == order[UNIT].to_numpy()[:-1]
    rising = np.diff(order[TIME].to_numpy(dtype=float)) > 0
    if not np.all(rising | ~same_unit):
        row = int(np.flatnonzero(same_unit & ~rising)[0]) + 1
        raise DataError(f"time must increase within each unit (row {row})")


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by unit (first-appearance order), time ascending; duplicates are an error."""
    dup = frame.duplicated([UNIT, TIME]).to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise DataError(f"unit {frame[UNIT].iloc[row]!r} has time {frame[TIME].iloc[row]} twice")
    rank = pd.Series(range(frame[UNIT].nunique()), index=pd.unique(frame[UNIT]))
    key = frame[UNIT].map(rank)
    frame = frame.assign(_k=key).sort_values(["_k", TIME], kind="stable")
    return frame.drop(columns="_k").reset_index(drop=True)


def read_text(path: Path) -> str:
    """The text of a file, plain or gzip-compressed, UTF-8 with or without a BOM."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def read_cmapss(path: str | Path) -> RunData:
    """Read a C-MAPSS ``train_*``/``test_*`` file (plain or gzip): 26 numbers per line."""
    path = Path(path)
    rows: list[list[float]] = []
    for lineno, line in enumerate(read_text(path).splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != len(CMAPSS_COLUMNS):
            raise DataError(
                f"{path}:{lineno}: {len(parts)} fields, a C-MAPSS row has {len(CMAPSS_COLUMNS)}"
            )
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            bad = next(p for p in parts if not _is_float(p))
            raise DataError(f"{path}:{lineno}: {bad!r} is not a number") from None
    if not rows:
        raise DataError(f"{path}: no data rows")
    frame = pd.DataFrame(rows, columns=list(CMAPSS_COLUMNS))
    frame[UNIT] = frame[UNIT].astype(np.int64)
    return RunData(_sorted(frame), CMAPSS_SETTINGS, CMAPSS_SENSORS)


def read_rul_file(path: str | Path) -> np.ndarray:
    """Read a C-MAPSS ``RUL_*`` file: one remaining life per test unit, in unit order."""
    path = Path(path)
    values: list[float] = []
    for lineno, line in enumerate(read_text(path).splitlines(), start=1):
        text = line.strip()
        if not text:
            continue
        if not _is_float(text) or float(text) < 0:
            raise DataError(f"{path}:{lineno}: {text!r} is not a non-negative number")
        values.append(float(text))
    if not values:
        raise DataError(f"{path}: no RUL values")
    return np.asarray(values)


def read_long(
    path: str | Path,
    *,
    unit: str = UNIT,
    time: str = TIME,
    settings: Sequence[str] = (),
    rul: str | None = None,
    exclude: Sequence[str] = (),
) -> RunData:
    """Read a long table (CSV, optionally gzip, or Parquet): one row per unit and time.

    Every numeric column other than ``unit``, ``time``, ``settings``, ``rul`` and ``exclude`` is a
    sensor. ``rul``, when given, names the remaining-useful-life column.
    """
    path = Path(path)
    frame = _read_table(path)
    named = [unit, time, *settings, *([rul] if rul else []), *exclude]
    missing = [c for c in named if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: no column(s) {', '.join(missing)}; has {list(frame.columns)}")
    frame = frame.rename(columns={unit: UNIT, time: TIME, **({rul: RUL} if rul else {})})
    taken = {UNIT, TIME, RUL, *settings, *exclude}
    sensors = tuple(c for c in frame.columns if c not in taken)
    text = [c for c in sensors if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise DataError(f"{path}: column(s) {', '.join(text)} are not numeric (exclude them)")
    if RUL in frame.columns and not pd.api.types.is_numeric_dtype(frame[RUL]):
        raise DataError(f"{path}: RUL column {rul!r} is not numeric")
    keep = [UNIT, TIME, *settings, *sensors, *([RUL] if RUL in frame.columns else [])]
    return RunData(_sorted(frame[keep]), tuple(settings), sensors)


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    try:
        return pd.read_csv(io.StringIO(read_text(path)))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
