"""The folder-based model registry: versions, manifests, integrity and schema checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopfloor.clock import VirtualClock
from shopfloor.maintenance.errors import IntegrityError, SchemaMismatch, UnknownModel
from shopfloor.maintenance.registry import Registry

SCHEMA = {"settings": ["s1"], "sensors": ["temp", "flow"]}


def _save(reg: Registry, name: str = "pump", obj: object = None) -> int:
    manifest = reg.save(
        name,
        obj if obj is not None else {"weights": [1, 2, 3]},
        kind="rul",
        model="gbm",
        data_fingerprint="abc123",
        feature_schema=SCHEMA,
        metrics={"validation_rmse": 9.5},
    )
    return manifest.version


def test_versions_and_manifest(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models", clock=VirtualClock())
    assert _save(reg) == 1
    assert _save(reg, obj={"weights": [4]}) == 2
    assert reg.names() == ["pump"] and reg.versions("pump") == [1, 2]
    latest, manifest = reg.load("pump")
    assert latest == {"weights": [4]} and manifest.version == 2
    first, _ = reg.load("pump", 1)
    assert first == {"weights": [1, 2, 3]}
    raw = json.loads((tmp_path / "models" / "pump" / "1" / "manifest.json").read_text())
    assert raw["data_fingerprint"] == "abc123"
    assert raw["feature_schema"] == SCHEMA
    assert raw["metrics"] == {"validation_rmse": 9.5}
    assert datetime.fromisoformat(raw["created"]) == datetime(2025, 1, 6, 6, tzinfo=UTC)
    assert len(raw["sha256"]) == 64


def test_tampered_model_file_is_never_loaded(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    _save(reg)
    path = tmp_path / "pump" / "1" / "model.joblib"
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(IntegrityError, match="refusing to load"):
        reg.load("pump")


def test_schema_mismatch_names_the_columns(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    _save(reg)
    manifest = reg.manifest("pump")
    manifest.check_schema(dict(SCHEMA))
    with pytest.raises(SchemaMismatch, match=r"sensors missing: flow.*not in the model: speed"):
        manifest.check_schema({"settings": ["s1"], "sensors": ["temp", "speed"]})


def test_unknown_names_and_versions(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    first = r"no model named 'pump' .*train it first: .*quality-train --name pump"
    with pytest.raises(UnknownModel, match=first):
        reg.load("pump")
    _save(reg)
    with pytest.raises(UnknownModel, match="no version 7"):
        reg.load("pump", 7)
    with pytest.raises(UnknownModel, match="must match"):
        _save(reg, name="Bad Name")
