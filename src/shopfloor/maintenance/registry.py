"""A folder-based model registry: ``<root>/<name>/<version>/{model.joblib, manifest.json}``.

Each version is immutable once written. Its manifest records what the model is (kind, catalogue
model), what it was trained on (a fingerprint of the training data and the feature schema), how
good it was (metrics) and when it was made, plus the SHA-256 of the model file. A model file
whose hash does not match its manifest is never unpickled; data whose columns differ from the
model's feature schema is refused with the missing and unexpected columns named.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib

from shopfloor import __version__
from shopfloor.clock import Clock, WallClock, from_ns
from shopfloor.maintenance.errors import IntegrityError, SchemaMismatch, UnknownModel

MANIFEST = "manifest.json"
MODEL_FILE = "model.joblib"
FORMAT = 1
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Manifest:
    """What a registered model version is, what it was trained on, and how good it was."""

    name: str
    version: int
    kind: str
    model: str
    created: str
    data_fingerprint: str
    feature_schema: dict[str, list[str]]
    metrics: dict[str, float]
    sha256: str
    params: dict[str, Any] = field(default_factory=dict)
    shopfloor_version: str = __version__
    format: int = FORMAT

    def check_schema(self, schema: dict[str, list[str]]) -> None:
        """Raise :class:`SchemaMismatch` unless ``schema`` has exactly the model's columns."""
        require_schema(self.feature_schema, schema, f"model {self.name} v{self.version}")


def require_schema(expected: dict[str, list[str]], got: dict[str, list[str]], what: str) -> None:
    """Raise :class:`SchemaMismatch` naming the missing and unexpected columns of each role."""
    problems: list[str] = []
    for role, want in expected.items():
        have = got.get(role, [])
        missing = [c for c in want if c not in have]
        extra = [c for c in have if c not in want]
        if missing:
            problems.append(f"{role} missing: {', '.join(missing)}")
        if extra:
            problems.append(f"{role} not in the model: {', '.join(extra)}")
    if problems:
        raise SchemaMismatch(
            f"data does not match the feature schema of {what}: " + "; ".join(problems),
            problems=problems,
        )


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Registry:
    """Versioned models in a folder (by default ``<data_dir>/models``)."""

    def __init__(self, root: Path, clock: Clock | None = None) -> None:
        self.root = Path(root)
        self.clock: Clock = clock or WallClock()

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.versions(p.name))

    def versions(self, name: str) -> list[int]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        found = [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
        return sorted(v for v in found if (folder / str(v) / MANIFEST).is_file())

    def save(
        self,
        name: str,
        obj: object,
        *,
        kind: str,
        model: str,
        data_fingerprint: str,
        feature_schema: dict[str, list[str]],
        metrics: dict[str, float],
        params: dict[str, Any] | None = None,
    ) -> Manifest:
        """Store ``obj`` as the next version of ``name`` and return its manifest."""
        if not _NAME.match(name):
            raise UnknownModel(f"model name {name!r} must match {_NAME.pattern}")
        version = max(self.versions(name), default=0) + 1
        folder = self.root / name / str(version)
        folder.mkdir(parents=True, exist_ok=False)
        path = folder / MODEL_FILE
        joblib.dump(obj, path)
        manifest = Manifest(
            name=name,
            version=version,
            kind=kind,
            model=model,
            created=from_ns(self.clock.now_ns()).isoformat(),
            data_fingerprint=data_fingerprint,
            feature_schema=feature_schema,
            metrics=metrics,
            sha256=file_sha256(path),
            params=params or {},
        )
        tmp = folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(asdict(manifest), indent=2, sort_keys=True), "utf-8")
        tmp.replace(folder / MANIFEST)
        return manifest

    def manifest(self, name: str, version: int | None = None) -> Manifest:
        """The manifest of ``name`` at ``version`` (latest when None)."""
        versions = self.versions(name)
        if not versions:
            known = ", ".join(self.names()) or "none"
            raise UnknownModel(
                f"no model named {name!r} in {self.root} (known: {known}); train it first: "
                f"`shopfloor pdm quality-train --name {name}` (defect risk on the virtual "
                f"plant) or `shopfloor pdm train --data FILE --name {name}` (RUL, failure)"
            )
        version = versions[-1] if version is None else version
        if version not in versions:
            raise UnknownModel(f"model {name!r} has no version {version} (has {versions})")
        raw = json.loads((self.root / name / str(version) / MANIFEST).read_text("utf-8"))
        try:
            return Manifest(**raw)
        except TypeError as exc:
            raise IntegrityError(f"manifest of {name} v{version} is malformed: {exc}") from None

    def load(self, name: str, version: int | None = None) -> tuple[Any, Manifest]:
        """The stored object and its manifest, after checking the file's hash."""
        manifest = self.manifest(name, version)
        path = self.root / name / str(manifest.version) / MODEL_FILE
        if not path.is_file():
            raise IntegrityError(f"model file of {name} v{manifest.version} is missing: {path}")
        digest = file_sha256(path)
        if digest != manifest.sha256:
            raise IntegrityError(
                f"model file {path} has SHA-256 {digest[:12]}..., its manifest records "
                f"{manifest.sha256[:12]}...: refusing to load it",
                model=name,
                version=manifest.version,
            )
        return joblib.load(path), manifest
