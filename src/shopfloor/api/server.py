"""The API as a :class:`~shopfloor.service.Service`: uvicorn in a thread with its own loop.

The API gets an event loop of its own so that nothing else in the process (the paced virtual
plant steps in slices that hold its loop for up to 50 ms, protocol servers, connectors) delays
its answers; what it shares with them (live values, stores) is thread-safe.
:meth:`ApiServer.start` binds the socket first (a taken port fails at once, naming the setting;
port 0 takes any free port, see :attr:`ApiServer.port`) and returns once uvicorn accepts
connections. :meth:`ApiServer.stop` ends the live streams, then lets uvicorn finish the requests
in flight. The runtime, not uvicorn, owns SIGINT and SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator, Sequence

import uvicorn
from fastapi import FastAPI

from shopfloor.api.app import Extension, create_app
from shopfloor.api.context import ApiContext
from shopfloor.errors import ConfigError, ShopfloorError
from shopfloor.service import Health

START_TIMEOUT_S = 30.0
GRACE_S = 5

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers (the runtime has them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ApiServer:
    name = "api"

    def __init__(
        self,
        ctx: ApiContext,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        extensions: Sequence[Extension] = (),
        setting: str = "api_port (--port)",
    ) -> None:
        self.ctx = ctx
        self.host = host
        self.port = port
        self.setting = setting
        self.app: FastAPI = create_app(ctx, extensions)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP named: asyncio sets TCP_NODELAY on the accepted connections only then
        # (without it a small answer waits ~40 ms for the client's delayed ACK).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"{self.setting}: {self.host}:{self.port} is not available ({exc.strerror}); "
                "choose another port, or 0 for any free port"
            ) from None
        sock.listen(2048)
        sock.setblocking(False)
        return sock

    async def start(self) -> None:
        self._socket = self._bind()
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=GRACE_S,
            backlog=2048,
        )
        server = self._server = _Server(config)
        sockets = [self._socket]
        self._error = None

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=sockets))
            except BaseException as exc:  # reported by start() or logged by stop()
                self._error = exc

        self._thread = threading.Thread(target=run, name="shopfloor-api", daemon=True)
        self._thread.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT_S
        while not server.started:  # poll the condition, with a generous deadline
            if not self._thread.is_alive():
                self._socket.close()
                raise ShopfloorError(
                    f"the API server on {self.url} stopped while starting: {self._error!r}"
                )
            if loop.time() > deadline:
                await self.stop()
                raise ShopfloorError(f"the API server on {self.url} did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.ctx.live.close()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            await asyncio.to_thread(self._thread.join, GRACE_S * 4)
        if self._error is not None:
            log.error("the API server ended with %r", self._error)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def health(self) -> Health:
        up = self._server is not None and self._server.started
        return Health(up, self.url if up else "not started")
