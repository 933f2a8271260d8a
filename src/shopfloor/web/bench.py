"""``shopfloor bench ui-latency``: from a state change in the virtual plant to the tile colour.

It runs the demo platform (virtual plant, OPC UA connector, API and dashboard) in this process
on loopback ports, logs in to the dashboard in headless Chromium (``--chromium``, driven by
Playwright), then holds and resumes one equipment ``--changes`` times with the plant's own
command interface. For each change it measures the wall time from the command to the moment the
browser paints the tile in its new state (a ``MutationObserver`` stamps ``Date.now()`` at the
next animation frame). Prints p50 / p95 / max in ms over all changes, and the changes that did
not show within 30 s (``missed``, by number and command).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import typer

from shopfloor.errors import BadInput
from shopfloor.web.harness import DemoPlatform, chromium, log_in

#: Arms ``window.__seen``: resolves when the tile is (held) or leaves (not held) Held.
WATCH = """([path, held]) => {
  window.__seen = new Promise((resolve) => {
    const tile = document.querySelector(`[data-equipment="${path}"]`);
    const obs = new MutationObserver(() => {
      if ((tile.dataset.state === "Held") !== held) return;
      obs.disconnect();
      requestAnimationFrame(() => resolve({ state: tile.dataset.state, at: Date.now() }));
    });
    obs.observe(tile, { attributes: true, attributeFilter: ["data-state"] });
  });
}"""


#: Waits for ``window.__seen`` at most ``ms`` (then null: the change never showed).
SEEN = """(ms) => Promise.race([
  window.__seen,
  new Promise((resolve) => setTimeout(() => resolve(null), ms)),
])"""
#: How long one change may take to show before it counts as missed.
MISS_MS = 30_000


def _quantile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def ui_latency(
    changes: int = typer.Option(10, "--changes", help="State changes to measure (>= 2)."),
    equipment: str = typer.Option(
        "suzhou/machining/line1/turning/lathe-01", "--equipment", help="Equipment to hold."
    ),
    chromium_path: str = typer.Option("/usr/bin/chromium", "--chromium", help="Chromium binary."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (always one object)."),
) -> None:
    """Delay from a state change in the virtual plant to the tile colour in the browser."""
    if changes < 2:
        raise BadInput(f"--changes: need at least 2, got {changes}")
    delays: list[float] = []
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, DemoPlatform(Path(tmp)) as demo:
        path = demo.ctx.equipment_path(equipment)
        with chromium(chromium_path) as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            log_in(page, demo)
            page.wait_for_selector(f'[data-equipment="{path}"]')
            for i in range(changes):
                command = "hold" if i % 2 == 0 else "unhold"
                page.evaluate(WATCH, [path, command == "hold"])
                t0 = time.time() * 1000
                result = demo.rt.plant.command(path, command, {})
                if not result.ok:
                    raise BadInput(f"--equipment: {path} refused {command}: {result.message}")
                seen = page.evaluate(SEEN, MISS_MS)
                if seen is None:
                    missed.append(f"{i}:{command}")
                    continue
                delays.append(seen["at"] - t0)
    if not delays:
        raise BadInput(f"--equipment: no state change of {path} showed within {MISS_MS} ms")
    out = {
        "equipment": path,
        "changes": len(delays),
        "p50_ms": round(_quantile(delays, 0.5), 1),
        "p95_ms": round(_quantile(delays, 0.95), 1),
        "max_ms": round(max(delays), 1),
        "missed": missed,
        "target_ms": 2000,
    }
    typer.echo(json.dumps(out))


def register(app: typer.Typer) -> None:
    app.command("ui-latency")(ui_latency)
