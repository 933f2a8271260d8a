"""Write imported master data into a plant file, never over one silently.

The plant file owns products, routings, bills of material and materials, so importing product
definitions changes a plant file: the raw YAML document is updated (products, routings and
materials are added or replaced by id, everything else is kept as written, templates included),
validated as a whole with :func:`~shopfloor.plant.parse_plant`, and written either to a new file
(``--out``, which must not exist) or in place with the previous file kept as ``FILE.bak``
(``FILE.bak.1``... when that exists). YAML comments of the original are not carried over; the
backup keeps them.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shopfloor.errors import BadInput, NotFound, PlantError
from shopfloor.plant.loader import EXAMPLES_PACKAGE, example_names, parse_plant
from shopfloor.plant.model import Plant

#: libyaml's safe loader and dumper when PyYAML has them (ten times faster), else PyYAML's.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass
class PlantSource:
    """A plant file as written (``doc``), where it came from, and the plant it validates to."""

    doc: dict[str, Any]
    label: str
    path: Path | None = None

    def plant(self) -> Plant:
        return parse_plant(copy.deepcopy(self.doc), self.label)


def read_plant_source(name_or_path: str | Path) -> PlantSource:
    """The raw plant document of a plant file or an example plant (``demo``)."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.is_file():
            raise NotFound(f"plant file {path} does not exist")
        text, label, where = path.read_text("utf-8"), str(path), path
    else:
        name = str(name_or_path)
        if name not in example_names():
            raise NotFound(f"no example plant {name!r}; give a plant YAML file")
        text = resources.files(EXAMPLES_PACKAGE).joinpath(f"{name}.yaml").read_text("utf-8")
        label, where = f"example:{name}", None
    try:
        doc = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise PlantError(f"plant file {label} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise PlantError(f"plant file {label} must be a YAML mapping")
    return PlantSource(doc, label, where)


def upsert(doc: dict[str, Any], section: str, item: dict[str, Any]) -> bool:
    """Put ``item`` into the list ``section`` by its ``id``; True when it replaced one."""
    items = doc.get(section)
    if not isinstance(items, list):
        items = doc[section] = []
    for i, old in enumerate(items):
        if isinstance(old, dict) and old.get("id") == item["id"]:
            items[i] = item
            return True
    items.append(item)
    return False


def render(doc: dict[str, Any], note: str) -> str:
    head = f"# {note}\n" if note else ""
    return head + yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100)


@dataclass
class PlantOutput:
    """Where an import puts the changed plant file: ``out`` (new file) or in place."""

    source: PlantSource
    out: Path | None = None
    in_place: bool = False
    written: Path | None = field(default=None, init=False)
    backup: Path | None = field(default=None, init=False)

    def target(self) -> Path:
        """The file that will be written; :class:`BadInput` saying what to give if unclear."""
        if self.out is not None and self.in_place:
            raise BadInput("give either --out FILE or --in-place, not both")
        if self.out is not None:
            if self.out.exists():
                raise BadInput(
                    f"--out {self.out} exists already; choose a new file or use --in-place"
                )
            return self.out
        if self.in_place:
            if self.source.path is None:
                raise BadInput(
                    f"--in-place: the plant {self.source.label} is an example inside the "
                    "package; write the result with --out FILE"
                )
            return self.source.path
        raise BadInput(
            f"this document changes master data of the plant {self.source.label}: give "
            "--out NEW.yaml (a new plant file) or --in-place (keeps a .bak copy)"
        )

    def write(self, text: str) -> Path:
        target = self.target()
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.in_place:
            self.backup = _free_backup(target)
            shutil.copy2(target, self.backup)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.written = target
        return target

    def undo(self) -> None:
        """Put things back as they were before :meth:`write` (the import failed after it)."""
        if self.written is None:
            return
        if self.backup is not None:
            os.replace(self.backup, self.written)
        else:
            self.written.unlink(missing_ok=True)
        self.written = self.backup = None


def _free_backup(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    n = 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.bak.{n}")
    return candidate


def stamp_note(source: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"master data imported from {source} by shopfloor erp import at {now}"
