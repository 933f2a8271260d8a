"""The demo's own quality specifications: loaded at start when MES has none, so the Quality
page has SPC from the first inspections (the demo never loaded its example specs).

An example plant may ship specs as ``shopfloor/mes/examples/<plant name>-quality.yaml``
(``demo-quality.yaml`` for the demo plant); a plant's own specs are loaded with ``shopfloor mes
spec load`` and are never replaced here.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from shopfloor.mes import MesService
from shopfloor.service import Health

log = logging.getLogger(__name__)


def example_specs(plant_name: str) -> Path | None:
    """The shipped spec file of example plant ``plant_name``, if there is one."""
    found = resources.files("shopfloor.mes").joinpath(f"examples/{plant_name}-quality.yaml")
    return Path(str(found)) if found.is_file() else None


class ExampleSpecs:
    """Loads the example plant's quality specs into an MES that has none."""

    name = "example-specs"

    def __init__(self, mes: MesService, plant_name: str) -> None:
        self.mes, self.plant_name = mes, plant_name
        self.loaded = 0

    async def start(self) -> None:
        path = example_specs(self.plant_name)
        if path is None or self.mes.quality.specs():
            return
        self.loaded = len(self.mes.quality.load_specs(path))
        log.info("loaded %d quality specs of the %s plant from %s", self.loaded,
                 self.plant_name, path)  # fmt: skip

    async def stop(self) -> None:
        return None

    def health(self) -> Health:
        return Health(True, f"{self.loaded} example quality specs loaded")
