"""A lean HTTP/1.1 keep-alive GET client for the API benchmark's load generator.

The load generator must cost much less per request than the server it measures: on a 2-core
machine, a general-purpose client spends as much CPU per request as the server it measures and
so caps the rate it can offer. :class:`ConnectionPool` keeps at most ``size`` persistent
connections, each carrying one request at a time (no pipelining); a request waits for an idle
connection when all are busy, which the open-loop latency then includes. Answers are read by
``Content-Length`` or chunked transfer encoding; the body is read in full and returned.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlencode, urlsplit

from shopfloor.errors import BadInput, ShopfloorError

MAX_HEADER_LINES = 100


class HttpError(ShopfloorError):
    """The connection failed or the answer was not HTTP/1.1."""

    code = "bench.http"


class _Closed(HttpError):
    """The server had closed a kept connection before the request (safe to send again)."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.closed = False

    async def get(self, request: bytes) -> tuple[int, bytes]:
        """Status and body; :class:`_Closed` when the server had closed the connection, or
        :class:`HttpError` (the connection closed) when the exchange failed."""
        try:
            return await self._exchange(request)
        except _Closed:
            raise
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            self.close()
            raise HttpError(f"GET failed: {exc!r}") from exc
        except BaseException:  # cancelled mid-answer: the connection is of no further use
            self.close()
            raise

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        line = await self.reader.readline()
        if not line:
            raise _Closed("the server had closed the connection")
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"not an HTTP/1.1 status line: {line[:80]!r}")
        status = int(parts[1])
        length, chunked, close = 0, False, False
        for _ in range(MAX_HEADER_LINES):
            header = await self.reader.readline()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _sep, value = header.partition(b":")
            key = name.strip().lower()
            if key == b"content-length":
                length = int(value)
            elif key == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif key == b"connection":
                close = b"close" in value.lower()
        else:
            raise HttpError(f"more than {MAX_HEADER_LINES} header lines")
        body = await self._chunked() if chunked else await self.reader.readexactly(length)
        if close:  # the answer is whole, but the connection ends with it
            self.close()
        return status, body

    async def _chunked(self) -> bytes:
        out = bytearray()
        while True:
            size = int((await self.reader.readline()).split(b";", 1)[0], 16)
            if size == 0:
                await self.reader.readline()
                return bytes(out)
            out += await self.reader.readexactly(size)
            await self.reader.readline()

    def close(self) -> None:
        self.closed = True
        self.writer.close()


class ConnectionPool:
    """At most ``size`` keep-alive connections to ``base_url`` (``http://host:port``)."""

    def __init__(self, base_url: str, size: int, headers: dict[str, str] | None = None) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname or url.port is None:
            raise BadInput(f"bench client: need http://host:port, not {base_url!r}")
        if size < 1:
            raise BadInput(f"bench client: size must be >= 1, not {size}")
        self.host, self.port, self.size = url.hostname, url.port, size
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Connection] = []

    def request(self, path: str, params: dict[str, object] | None = None) -> bytes:
        """The bytes of ``GET path?params`` (made once, sent many times)."""
        target = f"{path}?{urlencode(params)}" if params else path
        host = f"{self.host}:{self.port}"
        return f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{self.headers}\r\n".encode("latin-1")

    async def get(self, request: bytes) -> tuple[int, bytes]:
        """Send ``request`` on an idle connection (a new one when none is idle); waits while
        ``size`` requests are in flight. A connection that failed or was cancelled is closed."""
        async with self._slots:
            while self._idle:  # a kept connection the server closed meanwhile: the next one
                conn = self._idle.pop()
                try:
                    answer = await conn.get(request)
                except _Closed:
                    conn.close()
                    continue
                return self._keep(conn, answer)
            try:
                conn = _Connection(*await asyncio.open_connection(self.host, self.port))
            except OSError as exc:
                raise HttpError(f"connect to {self.host}:{self.port}: {exc}") from exc
            return self._keep(conn, await conn.get(request))

    def _keep(self, conn: _Connection, answer: tuple[int, bytes]) -> tuple[int, bytes]:
        if not conn.closed:
            self._idle.append(conn)
        return answer

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
            with contextlib.suppress(OSError):
                await conn.writer.wait_closed()
