"""Health models in the model registry: stored with their feature schema, refused on mismatch."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from shopfloor.maintenance.errors import IntegrityError, SchemaMismatch
from shopfloor.maintenance.health import HealthModels
from shopfloor.maintenance.live_state import FEATURES
from shopfloor.maintenance.registry import Manifest, Registry

KIND = "health"


def save_health_models(
    registry: Registry, name: str, models: HealthModels, *, trained_on: dict[str, Any]
) -> Manifest:
    """Store ``models`` as the next version of ``name``; ``trained_on`` describes the data
    (plant, seeds, hours) and is fingerprinted."""
    digest = hashlib.sha256(json.dumps(trained_on, sort_keys=True).encode()).hexdigest()
    metrics = {
        f"{cls}.{k}": float(v)
        for cls, info in models.info.items()
        if isinstance(info, dict)
        for k, v in info.items()
        if isinstance(v, int | float)
    }
    return registry.save(
        name,
        models,
        kind=KIND,
        model="health-gbm",
        data_fingerprint=digest,
        feature_schema={"features": list(FEATURES)},
        metrics=metrics,
        params={"classes": sorted(models.classes), "cap_h": models.cap_h} | trained_on,
    )


def load_health_models(
    registry: Registry, name: str, version: int | None = None
) -> tuple[HealthModels, Manifest]:
    """Load health models; refuse another kind of model or another feature schema."""
    obj, manifest = registry.load(name, version)
    if manifest.kind != KIND or not isinstance(obj, HealthModels):
        raise IntegrityError(f"model {name} v{manifest.version} is not a health model")
    stored = manifest.feature_schema.get("features")
    if stored != list(FEATURES):
        raise SchemaMismatch(
            f"model {name} v{manifest.version} was trained on features {stored}, "
            f"this version computes {list(FEATURES)}"
        )
    return obj, manifest
