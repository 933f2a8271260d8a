"""The demo platform with the dashboard in a thread of its own, and a headless browser on it.

Used by ``shopfloor bench ui-latency`` and by the browser tests: :class:`DemoPlatform` composes
``shopfloor demo`` (virtual plant, servers, stores, OPC UA feed, API with the dashboard) on
loopback ports the OS picks, under a data folder of the caller's, and runs it on an asyncio loop
in a background thread; :func:`chromium` launches a system Chromium through Playwright (no
browser download: ``executable_path``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from shopfloor.api import ApiContext
from shopfloor.config import load_settings
from shopfloor.errors import ConfigError
from shopfloor.runtime.demo import compose
from shopfloor.web.app import extension

START_TIMEOUT_S = 120.0
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class DemoPlatform:
    """``shopfloor demo`` under ``data_dir`` on free loopback ports, as a context manager."""

    def __init__(self, data_dir: Path, speed: float = 1.0) -> None:
        self.data_dir = data_dir
        settings = load_settings(
            data_dir=data_dir,
            host="127.0.0.1",
            opcua_port=0,
            modbus_port=0,
            mqtt_port=0,
            api_port=0,
            speed=speed,
        )
        self.rt, self.api, self.credential = compose(settings, [extension], train_health=False)
        self.ctx: ApiContext = self.api.ctx
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="demo", daemon=True)

    @property
    def url(self) -> str:
        return self.api.url

    def __enter__(self) -> DemoPlatform:
        self._thread.start()
        with contextlib.redirect_stdout(io.StringIO()):  # the demo's banner
            future = asyncio.run_coroutine_threadsafe(self.rt.runtime.start(), self._loop)
            future.result(START_TIMEOUT_S)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            future = asyncio.run_coroutine_threadsafe(self.rt.runtime.stop(), self._loop)
            future.result(START_TIMEOUT_S)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT_S)


@contextlib.contextmanager
def chromium(executable: str = "/usr/bin/chromium") -> Iterator[Any]:
    """A headless system Chromium driven by Playwright (sync API)."""
    if not Path(executable).exists():
        raise ConfigError(f"chromium: no browser at {executable!r} (give --chromium PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, demo: DemoPlatform, lang: str = "en") -> None:
    """Open the dashboard in ``lang`` and sign in as the demo's first admin."""
    page.add_init_script(f"localStorage.setItem('shopfloor-lang', '{lang}')")
    page.goto(demo.url + "/#/overview")
    page.fill("#login input[name=username]", demo.credential.username)
    page.fill("#login input[name=password]", demo.credential.password)
    page.click("#login button[type=submit]")
    page.wait_for_selector("[data-page=overview] .tile")
