"""The query endpoint of a process that holds a DuckDB historian file.

DuckDB lets one process own a file, so the ingest service answers ``shopfloor query`` for the
others: :class:`QueryEndpoint` listens on a loopback port the OS picks and writes
``<store>.endpoint`` (JSON: pid, host, port, a random token, the store; mode 0600, replaced
atomically) for :func:`shopfloor.historian.cli.query_history` to find. The token keeps other
users' processes out: only who can read the file can ask. The file is removed at stop; a file
left by a crashed process names a dead pid and is ignored by readers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections import Counter

from shopfloor.errors import BadInput
from shopfloor.historian.cli import Endpoint, answer, endpoint_path
from shopfloor.historian.store import Historian
from shopfloor.service import Health

log = logging.getLogger(__name__)

#: Longest request line accepted (bytes).
MAX_REQUEST = 64 * 1024


class QueryEndpoint:
    """Serves historian queries on loopback and advertises itself next to the store."""

    name = "historian-query"

    def __init__(self, historian: Historian, host: str = "127.0.0.1") -> None:
        self.historian, self.host = historian, host
        self.path = endpoint_path(historian.url)
        self.endpoint: Endpoint | None = None
        self.stats: Counter[str] = Counter()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0, limit=MAX_REQUEST)
        port = int(self._server.sockets[0].getsockname()[1])
        self.endpoint = Endpoint(
            os.getpid(), self.host, port, secrets.token_hex(16), self.historian.url
        )
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.endpoint.to_json())
        os.replace(tmp, self.path)
        log.info("historian queries served on %s:%d (%s)", self.host, port, self.path)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        try:
            mine = json.loads(self.path.read_text()).get("pid") == os.getpid()
        except (OSError, ValueError):
            mine = False
        if mine:
            self.path.unlink(missing_ok=True)

    def health(self) -> Health:
        where = f"{self.host}:{self.endpoint.port}" if self.endpoint else "not started"
        return Health(self._server is not None, f"queries on {where}", dict(self.stats))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            header, body = await self._answer(reader)
            writer.write(json.dumps(header).encode() + b"\n" + body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            self.stats["dropped"] += 1
        finally:
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[dict[str, object], bytes]:
        try:
            line = await reader.readline()
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("not a JSON object")
        except (ValueError, asyncio.LimitOverrunError) as exc:
            self.stats["bad_requests"] += 1
            error = BadInput(f"query request is not one JSON object line: {exc}")
            return dict(ok=False, code=error.code, message=error.message, bad_input=True), b""
        assert self.endpoint is not None
        if not secrets.compare_digest(str(request.get("token", "")), self.endpoint.token):
            self.stats["refused"] += 1
            message = f"query refused: wrong token (read it from {self.path})"
            return dict(ok=False, code="auth.denied", message=message, bad_input=True), b""
        self.stats["queries"] += 1
        try:
            return await asyncio.to_thread(answer, self.historian, request)
        except Exception as exc:  # the store failed: say so to the client, keep serving
            self.stats["failed"] += 1
            log.exception("historian query failed")
            message = f"the historian failed: {type(exc).__name__}: {exc}"
            return dict(ok=False, code="historian.error", message=message, bad_input=False), b""
