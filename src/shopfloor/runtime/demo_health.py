"""Live equipment health in ``shopfloor demo``: models from the registry, or trained at start.

The live health service (:class:`~shopfloor.maintenance.live.LiveHealthService`) needs health
models of the plant's equipment classes. The demo keeps them in the model registry under
``<data_dir>/models`` as ``health-<plant>``. When no version is there, it trains them on the
plant's own simulation (seeds 1-10, one week each: the same as ``shopfloor bench pdm-live``)
in a child process, so the paced plant and the API keep their event loop, and saves them
(``shopfloor demo --no-train-health`` only loads them).
Then it starts the service on the ingest stream: health index, anomaly score and RUL per
equipment, with an MES alarm and maintenance work order when RUL falls under the threshold or
an anomaly persists. Until the models are ready the service's health says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
from pathlib import Path
from typing import Any

from shopfloor.clock import Clock
from shopfloor.maintenance.errors import UnknownModel
from shopfloor.maintenance.health_store import load_health_models, save_health_models
from shopfloor.maintenance.live import LiveHealthService
from shopfloor.maintenance.registry import Registry
from shopfloor.mes import MesService
from shopfloor.plant.model import Plant
from shopfloor.runtime.ingest import IngestService
from shopfloor.service import Health

log = logging.getLogger(__name__)

TRAIN_SEEDS = range(1, 11)
TRAIN_HOURS = 168.0


def model_name(plant: Plant) -> str:
    """The registry name of the plant's health models (``health-<plant>``, registry-safe)."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", plant.name.lower()).strip("-_") or "plant"
    return f"health-{slug}"[:64]


def train_and_save(plant_ref: str, root: str) -> int:
    """Train health models on the plant's simulation and store them; the version saved
    (``python -m shopfloor.runtime.demo_health PLANT MODELS_DIR`` runs it in a child process)."""
    from shopfloor.maintenance.live_bench import train_from_simulation
    from shopfloor.plant.loader import load_plant

    plant = load_plant(plant_ref)
    models = train_from_simulation(plant, TRAIN_SEEDS, TRAIN_HOURS)
    trained_on: dict[str, Any] = {
        "plant": plant.name,
        "seeds": [TRAIN_SEEDS.start, TRAIN_SEEDS.stop - 1],
        "hours": TRAIN_HOURS,
        "source": "simulation",
    }
    manifest = save_health_models(
        Registry(Path(root)), model_name(plant), models, trained_on=trained_on
    )
    return manifest.version


class DemoHealth:
    """Loads or trains the health models, then runs the live health service on ``ingest``."""

    name = "maintenance-live"

    def __init__(
        self,
        plant: Plant,
        plant_ref: str,
        clock: Clock,
        mes: MesService,
        ingest: IngestService,
        models_dir: Path,
        *,
        train: bool = True,
    ) -> None:
        self.plant, self.plant_ref, self.clock = plant, plant_ref, clock
        self.mes, self.ingest, self.models_dir = mes, ingest, models_dir
        self.train = train
        self.service: LiveHealthService | None = None
        self.state = "not started"
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None

    async def start(self) -> None:
        self.state = "loading models"
        self._task = asyncio.create_task(self._run(), name="maintenance-live-start")

    async def _run(self) -> None:
        registry = Registry(self.models_dir)
        name = model_name(self.plant)
        try:
            try:
                models, manifest = load_health_models(registry, name)
            except UnknownModel:
                if not self.train:  # asked not to train: off, and says how to turn it on
                    self.state = (
                        f"off: no model {name!r} in {self.models_dir} "
                        "(start without --no-train-health to train it)"
                    )
                    return
                self.state = f"training health models for {self.plant.name} (seeds 1-10)"
                log.warning("maintenance: %s, about a minute", self.state)
                await self._train()
                models, manifest = load_health_models(registry, name)
        except Exception as exc:  # reported through health(), the demo goes on without it
            self.state = f"no health models: {exc}"
            log.error("maintenance: %s", self.state)
            return
        service = LiveHealthService(self.plant, self.clock, models=models, mes=self.mes)
        await service.start()
        self.service = service
        self._unsubscribe = self.ingest.subscribe(service)
        self.state = f"scoring with {name} v{manifest.version}"

    async def _train(self) -> None:
        """Train in a child process (killed if the demo stops first)."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", __name__, self.plant_ref, str(self.models_dir),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            _out, err = await proc.communicate()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        if proc.returncode != 0:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"training exited with {proc.returncode}: {tail[0]}")

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.service is not None:
            await self.service.stop()

    def status(self) -> tuple[str, dict[str, dict[str, Any]]]:
        """The state and the latest health per monitored equipment (none while models load),
        for ``GET /api/v1/maintenance/health``."""
        return self.state, (self.service.status() if self.service is not None else {})

    def live_models(self) -> dict[str, str]:
        """Equipment path -> the registry model scoring it live (for the assessment's
        predictive-maintenance coverage); empty until the models run."""
        if self.service is None:
            return {}
        name = model_name(self.plant)
        return dict.fromkeys(self.service.status(), name)

    def health(self) -> Health:
        if self.service is not None:
            inner = self.service.health()
            return Health(inner.ok, self.state, inner.metrics)
        ok = not self.state.startswith("no health models")
        return Health(ok, self.state)


if __name__ == "__main__":
    print(train_and_save(sys.argv[1], sys.argv[2]))
