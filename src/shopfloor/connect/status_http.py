"""A tiny HTTP endpoint for connector status: ``GET /metrics`` (Prometheus) and ``GET /status``.

:class:`MetricsServer` is a :class:`~shopfloor.service.Service` on the standard library's asyncio
streams (the platform's API server comes later; this one has no dependency). It answers
HTTP/1.0 and 1.1 requests, one per connection:

- ``GET /metrics``: :func:`~shopfloor.connect.status.render_prometheus` of a fresh snapshot,
  ``text/plain; version=0.0.4``;
- ``GET /status``: the snapshot as JSON;
- ``HEAD`` of either: the headers only; another path: 404; another method: 405; a request that
  is not HTTP: 400.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from shopfloor.connect.status import ConnectorStatus, render_prometheus
from shopfloor.errors import ConfigError
from shopfloor.service import Health

log = logging.getLogger(__name__)

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
#: Longest request head accepted (request line and headers).
MAX_HEAD = 16 * 1024


class MetricsServer:
    """Serves ``status`` on ``host:port`` (port 0: the OS picks; see :attr:`port`)."""

    def __init__(
        self,
        status: ConnectorStatus,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        name: str = "connector-metrics",
        timeout_s: float = 10.0,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ConfigError(f"metrics port {port} must be 0-65535", field="port")
        self.status, self.host, self.name = status, host, name
        self._want_port = port
        self._timeout_s = timeout_s
        self._server: asyncio.Server | None = None
        self.requests = 0

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._server is None or not self._server.sockets:
            raise ConfigError("the metrics server is not running")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, self.host, self._want_port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    def health(self) -> Health:
        running = self._server is not None
        detail = f"serving {self.url}" if running else "stopped"
        return Health(ok=running, detail=detail, metrics={"requests": self.requests})

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self._timeout_s)
            status, content_type, body, method = self._answer(head)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            status, content_type, body, method = 400, "text/plain", b"bad request\n", "GET"
        except ConnectionError:
            writer.close()
            return
        self.requests += 1
        lines = [
            f"HTTP/1.1 {status} {_REASONS[status]}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            "Connection: close",
            "",
            "",
        ]
        writer.write("\r\n".join(lines).encode("latin-1") + (b"" if method == "HEAD" else body))
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    def _answer(self, head: bytes) -> tuple[int, str, bytes, str]:
        if len(head) > MAX_HEAD:
            return 400, "text/plain", b"request head too long\n", "GET"
        parts = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return 400, "text/plain", b"not an HTTP/1.x request\n", "GET"
        method, target = parts[0], parts[1].split("?", 1)[0]
        if target not in ("/metrics", "/status"):
            return 404, "text/plain", b"not found: try /metrics or /status\n", method
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"only GET and HEAD\n", method
        snapshot = self.status.snapshot()
        if target == "/metrics":
            return 200, PROMETHEUS_TYPE, render_prometheus(snapshot).encode(), method
        return 200, "application/json", json.dumps(snapshot).encode(), method
