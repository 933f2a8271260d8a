"""Live health in the demo: off without models when asked not to train; a failed training is
reported through health, not fatal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from shopfloor.clock import VirtualClock
from shopfloor.mes import open_mes
from shopfloor.plant import load_plant
from shopfloor.runtime.demo_health import DemoHealth, model_name


async def until_settled(h: DemoHealth) -> None:
    async with asyncio.timeout(120):
        while h._task is not None and not h._task.done():
            await asyncio.sleep(0.05)


async def test_without_models_and_training_it_is_off_and_says_how(tmp_path: Path) -> None:
    plant = load_plant("demo")
    with open_mes(f"sqlite:///{tmp_path / 'mes.db'}", plant=plant, clock=VirtualClock()) as mes:
        h = DemoHealth(plant, "demo", VirtualClock(), mes, cast(Any, None), tmp_path, train=False)
        await h.start()
        await until_settled(h)
        health = h.health()
        await h.stop()
    assert health.ok and h.service is None
    assert model_name(plant) in health.detail and "--no-train-health" in health.detail


async def test_failed_training_is_reported_not_fatal(tmp_path: Path) -> None:
    plant = load_plant("demo")
    with open_mes(f"sqlite:///{tmp_path / 'mes.db'}", plant=plant, clock=VirtualClock()) as mes:
        bad_ref = str(tmp_path / "no-such-plant.yaml")
        h = DemoHealth(plant, bad_ref, VirtualClock(), mes, cast(Any, None), tmp_path / "m")
        await h.start()
        await until_settled(h)
        health = h.health()
        await h.stop()
    assert not health.ok and h.service is None
    assert "training exited with" in health.detail and "no-such-plant" in health.detail


def test_model_name_is_registry_safe() -> None:
    plant = load_plant("demo")
    assert model_name(plant) == "health-demo"
