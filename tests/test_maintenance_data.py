"""Readers of run-to-failure data: C-MAPSS text, RUL files and long CSV/Parquet tables."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopfloor.maintenance.data import read_cmapss, read_long, read_rul_file
from shopfloor.maintenance.errors import DataError


def _row(unit: int, cycle: int, base: float = 1.0) -> str:
    return " ".join(
        [str(unit), str(cycle), "0.001", "-0.0002", "100.0"] + [f"{base + i}" for i in range(21)]
    )


def test_reads_shared_cmapss_file(shared_data: Path) -> None:
    data = read_cmapss(shared_data / "cmapss" / "test_FD001.txt.gz")
    assert len(data.units) == 100
    assert data.units[:3] == [1, 2, 3]
    assert len(data.settings) == 3 and len(data.sensors) == 21
    assert len(data.frame) == 13096
    rul = read_rul_file(shared_data / "cmapss" / "RUL_FD001.txt.gz")
    assert rul.shape == (100,) and rul[0] == 112


def test_cmapss_plain_and_gzip_read_alike(tmp_path: Path) -> None:
    text = "\n".join(_row(u, c) for u in (2, 1) for c in (1, 2, 3)) + "\n"
    (tmp_path / "a.txt").write_text(text)
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(text.encode()))
    plain, packed = read_cmapss(tmp_path / "a.txt"), read_cmapss(tmp_path / "a.txt.gz")
    pd.testing.assert_frame_equal(plain.frame, packed.frame)
    assert plain.units == [2, 1]  # order of first appearance is kept


def test_cmapss_bad_row_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(_row(1, 1) + "\n" + "1 2 3\n")
    with pytest.raises(DataError, match=r"bad.txt:2: 3 fields"):
        read_cmapss(path)
    path.write_text(_row(1, 1).replace("100.0", "abc") + "\n")
    with pytest.raises(DataError, match=r"'abc' is not a number"):
        read_cmapss(path)


def test_cmapss_duplicate_time_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.txt"
    path.write_text(_row(1, 1) + "\n" + _row(1, 1) + "\n")
    with pytest.raises(DataError, match=r"time 1.0 twice"):
        read_cmapss(path)


def test_rul_targets(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("\n".join(_row(u, c) for u in (1, 2) for c in (1, 2, 3)) + "\n")
    data = read_cmapss(path)
    assert data.with_failure_at_end().frame["rul"].tolist() == [2, 1, 0, 2, 1, 0]
    final = data.with_final_rul([10, 0]).frame["rul"].tolist()
    assert final == [12, 11, 10, 2, 1, 0]
    with pytest.raises(DataError, match="one value per unit"):
        data.with_final_rul([1])
    (tmp_path / "rul.txt").write_text("5\n-1\n")
    with pytest.raises(DataError, match=r"rul.txt:2"):
        read_rul_file(tmp_path / "rul.txt")


def _long_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [
        {
            "engine": f"e{u}",
            "cycle": c,
            "load": 1.0,
            "temp": rng.normal(),
            "vib": rng.normal(),
            "life": 5 - c,
        }
        for u in (1, 2)
        for c in (3, 1, 2)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_long_format(tmp_path: Path, suffix: str) -> None:
    frame = _long_frame()
    path = tmp_path / f"runs{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    data = read_long(path, unit="engine", time="cycle", settings=["load"], rul="life")
    assert data.sensors == ("temp", "vib")
    assert data.settings == ("load",)
    assert data.frame["time"].tolist() == [1, 2, 3, 1, 2, 3]  # sorted within unit
    assert data.frame["rul"].tolist() == [4, 3, 2, 4, 3, 2]


def test_long_format_errors(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    frame = _long_frame()
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"no column.*unit"):
        read_long(path)
    frame.assign(note="x").to_csv(path, index=False)
    with pytest.raises(DataError, match=r"note.*not numeric"):
        read_long(path, unit="engine", time="cycle")
    frame.assign(temp=[1.0, None, 2.0, 3.0, 4.0, 5.0]).to_csv(path, index=False)
    with pytest.raises(DataError, match="'temp' has a missing value"):
        read_long(path, unit="engine", time="cycle")
    with pytest.raises(DataError, match="no such file"):
        read_long(tmp_path / "nope.csv")
