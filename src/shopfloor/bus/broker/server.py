"""The embedded MQTT broker: a :class:`~shopfloor.service.Service` listening on one TCP port.

It speaks MQTT 3.1.1 (and 3.1) with QoS 0, 1 and 2, retained messages, wills, keep-alive,
persistent sessions, session takeover and shared subscriptions; see :mod:`.connection` for the
wire side and :mod:`.router` for the routing rules. With a ``data_dir`` the retained messages and
persistent sessions are saved there every ``autosave_s`` seconds and on stop, and loaded on start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter
from pathlib import Path

from shopfloor.bus.broker import store
from shopfloor.bus.broker.codec import SUBSCRIBE_FAILURE
from shopfloor.bus.broker.connection import Connection
from shopfloor.bus.broker.router import Message, Router
from shopfloor.bus.broker.session import Session
from shopfloor.errors import BadInput, BusError
from shopfloor.service import Health

log = logging.getLogger(__name__)


class Broker:
    """``Broker(host, port=0)``; after :meth:`start`, :attr:`port` is the port actually bound."""

    name = "broker"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        data_dir: Path | None = None,
        max_inflight: int = 1000,
        max_queued: int = 100_000,
        max_packet_size: int = 32 * 1024 * 1024,
        connect_timeout: float = 10.0,
        autosave_s: float = 30.0,
    ) -> None:
        if not 0 <= port <= 65535:
            raise BusError(f"broker port {port} is not in 0..65535")
        if not 1 <= max_inflight <= 65535:
            raise BusError(f"max_inflight {max_inflight} is not in 1..65535")
        self.host = host
        self.port = port
        self.data_dir = data_dir
        self.max_inflight = max_inflight
        self.max_queued = max_queued
        self.max_packet_size = max_packet_size
        self.connect_timeout = connect_timeout
        self.autosave_s = autosave_s
        self.router = Router()
        self.sessions: dict[str, Session] = {}
        self.stats: Counter[str] = Counter()
        self._live: dict[str, Connection] = {}
        self._connections: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self._autosave: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def state_file(self) -> Path | None:
        return None if self.data_dir is None else self.data_dir / store.STATE_FILE

    # -- Service ----------------------------------------------------------------------------
    async def start(self) -> None:
        if self._server is not None:
            raise BusError("broker already started")
        self._load()
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: Connection(self), self.host, self.port, reuse_address=True
            )
        except OSError as exc:
            raise BusError(f"broker cannot listen on {self.host}:{self.port}: {exc}") from None
        sock = self._server.sockets[0]
        self.port = int(sock.getsockname()[1])
        if self.state_file is not None and self.autosave_s > 0:
            self._autosave = asyncio.create_task(self._autosave_loop())
        log.info("embedded MQTT broker listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        if self._autosave is not None:
            self._autosave.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._autosave
            self._autosave = None
        conns = list(self._connections)
        for conn in conns:
            conn.will = None
            conn.terminate("broker stopping")
        self._save()
        if conns:
            await asyncio.wait([c.lost for c in conns], timeout=5.0)
        await server.wait_closed()

    def health(self) -> Health:
        running = self._server is not None
        return Health(
            ok=running,
            detail=f"listening on {self.host}:{self.port}" if running else "stopped",
            metrics={
                "clients": len(self._live),
                "sessions": len(self.sessions),
                "subscriptions": self.router.subscription_count,
                "retained": self.router.retained_count,
                "queued": sum(len(s.queue) for s in self.sessions.values()),
                "dropped": sum(s.dropped for s in self.sessions.values()),
                **self.stats,
            },
        )

    # -- called by connections -------------------------------------------------------------
    def connection_opened(self, conn: Connection) -> None:
        self._connections.add(conn)
        transport = conn.transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_closed(self, conn: Connection) -> None:
        self._connections.discard(conn)

    def attach(self, conn: Connection, client_id: str, clean: bool) -> tuple[Session, bool]:
        """Bind ``client_id`` to ``conn``: take over a live session, resume or start one."""
        old_conn = self._live.get(client_id)
        if old_conn is not None:
            self.stats["takeovers"] += 1
            log.info("client %s: session taken over by %s", client_id, conn.peer)
            old_conn.terminate("session taken over by a new connection")
        self.stats["connects"] += 1
        old = self.sessions.get(client_id)
        if old is not None and (clean or not old.persistent):
            self._discard(old)
            old = None
        self._live[client_id] = conn
        if old is not None:
            return old, True
        session = Session(client_id, not clean, self.max_inflight, self.max_queued)
        self.sessions[client_id] = session
        return session, False

    def detach(self, conn: Connection, session: Session) -> None:
        if self._live.get(session.client_id) is conn:
            del self._live[session.client_id]
        if session.link is conn:
            session.detach()
        if not session.persistent:
            self._discard(session)

    def _discard(self, session: Session) -> None:
        self.router.drop(session)
        if self.sessions.get(session.client_id) is session:
            del self.sessions[session.client_id]

    def subscribe(
        self, session: Session, items: list[tuple[str, int]]
    ) -> tuple[list[int], list[tuple[Message, int]]]:
        """SUBACK codes for ``items`` and the retained messages to send after the SUBACK."""
        codes: list[int] = []
        retained: list[tuple[Message, int]] = []
        for topic_filter, requested in items:
            try:
                found = self.router.subscribe(session, topic_filter, requested)
            except BadInput as exc:
                log.info(
                    "client %s: refused filter %r: %s", session.client_id, topic_filter, exc.message
                )
                codes.append(SUBSCRIBE_FAILURE)
                continue
            codes.append(requested)
            retained.extend((m, min(m.qos, requested)) for m in found)
        return codes, retained

    def publish(self, message: Message) -> None:
        self.stats["received"] += 1
        self.router.publish(message)

    # -- persistence ---------------------------------------------------------------------------
    def _load(self) -> None:
        path = self.state_file
        if path is None:
            return
        retained, saved = store.load_state(path, self.max_inflight, self.max_queued)
        for message in retained:
            self.router.retain(message)
        for item in saved:
            self.sessions[item.session.client_id] = item.session
            for topic_filter, qos in item.subscriptions.items():
                self.router.subscribe(item.session, topic_filter, qos)
        if retained or saved:
            log.info(
                "broker state loaded from %s: %d retained, %d sessions",
                path,
                len(retained),
                len(saved),
            )

    def _save(self) -> None:
        path = self.state_file
        if path is None:
            return
        try:
            store.save_state(
                path,
                self.router.retained(),
                [(s, self.router.subscriptions(s)) for s in self.sessions.values()],
            )
        except OSError as exc:
            log.error("broker state cannot be saved to %s: %s", path, exc)

    async def _autosave_loop(self) -> None:
        while True:
            await asyncio.sleep(self.autosave_s)
            self._save()
