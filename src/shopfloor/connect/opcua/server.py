"""The virtual plant's OPC UA server: a :class:`PlantOutlet` and a :class:`Service`.

The paced simulation pushes values, blocks and events from its own thread; ``on_values``,
``on_block`` and ``on_event`` only file them under a lock (last value wins per tag, events in
order) and wake the server's event loop once per write cycle, where one flusher task writes
everything that is pending. So a producer never waits for the network and a slow cycle
coalesces values instead of queueing them. What arrives before :meth:`start` is served once the
server runs: the last value per tag and the last state per equipment (events themselves are only
notified while clients can be subscribed, i.e. while the server runs).

Address space: :mod:`.address_space`; methods: :mod:`.methods`; events: :mod:`.events`;
security: :mod:`.security`, :mod:`.pki`, :mod:`.trust`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from asyncua import Server, ua

from shopfloor.clock import Clock, WallClock
from shopfloor.errors import ConnectorError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant.model import Plant
from shopfloor.service import Health
from shopfloor.sim.outlet import PlantControl, TagBlock, TagValue

from . import deadband
from .address_space import build_address_space
from .config import OpcUaServerConfig
from .events import EventPublisher
from .nodeids import application_uri
from .pki import CertificatePair, ensure_certificate
from .points import PointTable, point_table
from .security import server_policy_types
from .trust import CertificateTrust, ClientTrust
from .writer import NodeWriter

log = logging.getLogger(__name__)


class OpcUaServer:
    """Serves the OPC UA equipment of ``plant`` (or ``equipment``, ids or paths) on ``host:port``.

    ``port`` 0 picks a free port; :attr:`endpoint` tells which once started. ``pki_dir`` holds
    the server certificate (created when missing) and the client trust lists of ``trust``
    (``any``, ``tofu`` or ``trusted``, see :mod:`.trust`). Commands from method calls go to
    ``control``; server timestamps come from ``clock``.
    """

    def __init__(
        self,
        plant: Plant,
        control: PlantControl,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        pki_dir: Path | None = None,
        security: Sequence[str] = ("None", "Basic256Sha256"),
        trust: str = ClientTrust.TOFU.value,
        equipment: Iterable[str] | None = None,
        clock: Clock | None = None,
        name: str = "opcua-server",
        event_history: int = OpcUaServerConfig.event_history,
    ) -> None:
        config = OpcUaServerConfig(
            host, port, pki_dir, tuple(security), str(trust), event_history=event_history
        )
        self.config = config.validate()
        self.name = name
        self.plant = plant
        self.control = control
        self.clock: Clock = clock or WallClock()
        self.points: PointTable = point_table(plant, equipment)
        self.stats: Counter[str] = Counter()
        self.trust: CertificateTrust | None = None
        self._served = set(self.points.equipment())
        self._lock = threading.Lock()
        self._values: dict[str, TagValue] = {}
        self._blocks: dict[str, TagBlock] = {}
        self._events: list[MachineEvent] = []
        self._states: dict[str, MachineEvent] = {}  # last state change while not serving
        self._armed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._server: Server | None = None
        self._writer: NodeWriter | None = None
        self._port: int | None = None

    @classmethod
    def from_config(
        cls,
        plant: Plant,
        control: PlantControl,
        config: OpcUaServerConfig,
        *,
        equipment: Iterable[str] | None = None,
        clock: Clock | None = None,
    ) -> OpcUaServer:
        c = config.validate()
        return cls(
            plant,
            control,
            host=c.host,
            port=c.port,
            pki_dir=c.pki_dir,
            security=c.security,
            trust=c.trust,
            equipment=equipment,
            clock=clock,
        )

    @property
    def endpoint(self) -> str:
        """``opc.tcp://host:port/shopfloor`` with the actual port (known once started)."""
        if self._port is None:
            if self.config.port == 0:
                raise ConnectorError(f"{self.name}: the port is chosen at start; start it first")
            return self.config.endpoint_url(self.config.port)
        return self.config.endpoint_url(self._port)

    # ---- Service ------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._server is not None:
            return
        deadband.install()
        # Certificates first: a bad PKI folder fails before the standard address space loads.
        pair = await asyncio.to_thread(self._certificate)
        if pair is not None and self.config.pki_dir is not None:
            self.trust = CertificateTrust(self.config.pki_dir, self.config.client_trust)
        server = Server(user_manager=self.trust)
        await server.init()
        try:
            await self._configure(server, pair)
            index = {uri: await server.register_namespace(uri) for uri in self.points.namespaces()}
            nodes = await build_address_space(
                server, self.plant, self.points, self.control, self.stats, index
            )
            events = await EventPublisher.create(
                server, index[self.points.namespace], nodes.equipment
            )
            await server.start()
            if self.config.event_history:  # HistoryRead of events on the Server object
                # kept by count, not age: asyncua ages events against the wall clock, which
                # a plant on its own clock is not on (its storage takes None: no age limit)
                await server.historize_node_event(
                    server.nodes.server,
                    period=None,  # type: ignore[arg-type]
                    count=self.config.event_history,
                )
        except OSError as exc:
            raise ConnectorError(
                f"{self.name}: cannot listen on {self.config.host}:{self.config.port}: {exc}"
            ) from exc
        assert server.bserver is not None
        self._port = int(server.bserver.port)
        self._server = server
        self._writer = NodeWriter(server, nodes, events, self.points, self.stats, self.clock)
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._flusher = asyncio.create_task(self._flush_forever(), name=f"{self.name}-flush")
        with self._lock:
            self._armed = True
        self._wake.set()
        log.info(
            "%s serving %d equipment, %d tags on %s",
            self.name,
            len(self._served),
            len(self.points),
            self.endpoint,
        )

    async def stop(self) -> None:
        with self._lock:
            self._loop = None
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
            self._flusher = None
        if self._server is not None:
            await self._server.stop()
            self._server = None
            self._writer = None

    def health(self) -> Health:
        running = self._server is not None
        if running and (self._flusher is None or self._flusher.done()):
            return Health(ok=False, detail="write cycle stopped", metrics=dict(self.stats))
        metrics: dict[str, object] = dict(self.stats)
        metrics["equipment"] = len(self._served)
        metrics["tags"] = len(self.points)
        if self.trust is not None:
            metrics["certificates_accepted"] = self.trust.accepted
            metrics["certificates_rejected"] = self.trust.rejected
        if running:
            metrics["endpoint"] = self.endpoint
        return Health(ok=running, detail="serving" if running else "stopped", metrics=metrics)

    def _certificate(self) -> CertificatePair | None:
        cfg = self.config
        if cfg.pki_dir is None:
            return None
        return ensure_certificate(
            cfg.pki_dir,
            application_uri(self.plant),
            f"shopfloor {self.plant.site.id}",
            organization=self.plant.enterprise.name or "shopfloor",
            hostnames=(cfg.host,),
        )

    async def _configure(self, server: Server, pair: CertificatePair | None) -> None:
        cfg = self.config
        server.set_endpoint(cfg.endpoint_url(cfg.port))
        server.set_server_name(
            f"shopfloor virtual plant {self.plant.site.name or self.plant.site.id}"
        )
        server.manufacturer_name = "shopfloor"
        server.product_uri = "urn:shopfloor"
        server.application_type = ua.ApplicationType.Server
        await server.set_application_uri(application_uri(self.plant))
        server.allow_remote_admin(False)
        server.set_identity_tokens([ua.AnonymousIdentityToken])
        server.set_security_policy(server_policy_types(cfg.policies))
        if pair is not None:
            await server.load_certificate(str(pair.cert))
            await server.load_private_key(str(pair.key))
        if self.trust is not None:
            server.set_certificate_validator(self.trust)

    # ---- PlantOutlet (any thread) ------------------------------------------------------------

    def on_values(self, values: Sequence[TagValue]) -> None:
        by_tag = self.points.by_tag
        with self._lock:
            for v in values:
                if v.tag in by_tag:
                    self._values[v.tag] = v
            self._arm()

    def on_block(self, block: TagBlock) -> None:
        point = self.points.by_tag.get(block.tag)
        if point is None or point.block is None:
            return
        with self._lock:
            self._blocks[block.tag] = block
            self._arm()

    def on_event(self, event: MachineEvent) -> None:
        if event.equipment not in self._served:
            return
        with self._lock:
            if self._loop is not None:
                self._events.append(event)
                self._arm()
            elif event.kind is EventKind.STATE_CHANGE:
                self._states[event.equipment] = event

    def _arm(self) -> None:
        """Wake the flusher once per cycle (caller holds the lock)."""
        if self._armed or self._loop is None or self._wake is None:
            return
        self._armed = True
        try:
            self._loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop closed under us: the server is going away
            self._armed = False

    # ---- the write cycle (server loop) -------------------------------------------------------

    async def _flush_forever(self) -> None:
        assert self._wake is not None and self._writer is not None
        wake, writer = self._wake, self._writer
        while True:
            await wake.wait()
            wake.clear()
            with self._lock:
                values, self._values = self._values, {}
                blocks, self._blocks = self._blocks, {}
                events, self._events = self._events, []
                states, self._states = self._states, {}
                self._armed = False
            try:
                for state in states.values():
                    await writer.write_state(state)
                await writer.write_values(values.values())
                await writer.write_blocks(blocks.values())
                for event in events:
                    await writer.publish(event)
            except Exception:
                log.exception("%s: write cycle failed", self.name)
                self.stats["cycles_failed"] += 1
            self.stats["cycles"] += 1
