"""The one place that talks to an OPC UA server, and translates asyncua's errors into ours.

:class:`OpcUaClient` is one session with one server: connect (with ``None`` or
``Basic256Sha256`` security), browse, read, write, call and subscribe, each as one batched
service request. Every failure leaves here as a :class:`~shopfloor.errors.ConnectorError`:

- no route, a refused or dropped connection, a timeout, or a status saying the channel or
  session is gone (``BadConnectionClosed``, ``BadSessionIdInvalid``, ``BadServerHalted``...)
  -> :class:`~shopfloor.errors.ConnectorUnavailable` (the connector reconnects);
- any other bad status of a request (``BadNotWritable``, ``BadNodeIdUnknown``...)
  -> :class:`~shopfloor.errors.ConnectorError` with ``details["status"]`` its name;
- every failure to connect, a refused certificate included, is ``ConnectorUnavailable`` naming
  the status (``BadCertificateUntrusted``): the connector keeps trying and says why.

A session that dies on its own (the server stops, the watchdog's probe fails) sets
:attr:`OpcUaClient.lost`; a new session is a new :class:`OpcUaClient.connect`. The server's
certificate is checked with :class:`~shopfloor.connect.opcua.trust.CertificateTrust` against the
client's own PKI folder (``trusted/``, ``rejected/``), as the server checks its clients.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, cast

from asyncua import Client, ua
from asyncua.client.ua_client import UaClientState
from asyncua.common.subscription import OverflowPolicy, Subscription
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from shopfloor.errors import (
    ConfigError,
    ConnectorError,
    ConnectorUnavailable,
    NotFound,
    ShopfloorError,
)

from .client_config import OpcUaClientConfig
from .nodeids import NodeRef
from .pki import CertificatePair
from .security import policy_class
from .trust import CertificateTrust
from .uatypes import node_id

#: Status codes meaning the channel or the session is gone: reconnect, do not blame the request.
LOST: frozenset[int] = frozenset(
    {
        ua.StatusCodes.BadConnectionClosed,
        ua.StatusCodes.BadConnectionRejected,
        ua.StatusCodes.BadCommunicationError,
        ua.StatusCodes.BadNotConnected,
        ua.StatusCodes.BadServerNotConnected,
        ua.StatusCodes.BadServerHalted,
        ua.StatusCodes.BadShutdown,
        ua.StatusCodes.BadTimeout,
        ua.StatusCodes.BadRequestTimeout,
        ua.StatusCodes.BadSecureChannelClosed,
        ua.StatusCodes.BadSecureChannelIdInvalid,
        ua.StatusCodes.BadSessionClosed,
        ua.StatusCodes.BadSessionIdInvalid,
        ua.StatusCodes.BadSessionNotActivated,
        ua.StatusCodes.BadTcpInternalError,
        ua.StatusCodes.BadTooManySessions,
    }
)
#: How long the server keeps a session whose client went silent.
SESSION_TIMEOUT_MS = 60_000
#: asyncua's iterator queue per subscription; far above one publish response's notifications.
QUEUE_MAXSIZE = 200_000
MAX_NOTIFICATIONS_PER_PUBLISH = 20_000


def status_name(code: int) -> str:
    return ua.StatusCode(cast(Any, code)).name


class OpcUaClient:
    """One session with the server at ``config.endpoint`` (see the module doc)."""

    def __init__(
        self,
        config: OpcUaClientConfig,
        application_uri: str,
        certificate: CertificatePair | None = None,
        server_trust: CertificateTrust | None = None,
    ) -> None:
        self.config = config.validate()
        self.endpoint = self.config.endpoint
        self.application_uri = application_uri
        self.certificate = certificate
        self.server_trust = server_trust
        if self.config.policy.secure and certificate is None:
            raise ConfigError(f"{self.endpoint}: Basic256Sha256 needs a client certificate")
        self.lost = asyncio.Event()
        self.lost_reason = ""
        self._client: Client | None = None
        self._index: dict[str, int] = {}
        self._uris: list[str] = []

    @property
    def connected(self) -> bool:
        return self._client is not None and not self.lost.is_set()

    # ---- session ------------------------------------------------------------------------------

    async def connect(self) -> None:
        """A new secure channel and session; ConnectorUnavailable when the server is not there."""
        await self.close()
        cfg = self.config
        client = Client(cfg.endpoint, timeout=cfg.timeout_s, watchdog_intervall=cfg.watchdog_s)
        client.application_uri = self.application_uri
        client.name = client.description = "shopfloor OPC UA connector"
        client.product_uri = "urn:shopfloor"
        client.session_timeout = SESSION_TIMEOUT_MS
        if cfg.username:
            client.set_user(cfg.username)
            client.set_password(cfg.password or "")
        elif cfg.user_certificate is not None and cfg.user_key is not None:
            try:
                await client.load_client_certificate(str(cfg.user_certificate))
                await client.load_private_key(cfg.user_key)
            except (OSError, ValueError) as exc:
                raise ConnectorError(
                    f"OPC UA server {cfg.endpoint}: the user certificate "
                    f"{cfg.user_certificate} or key {cfg.user_key} cannot be read: {exc}",
                    code="connect.opcua_user_certificate",
                ) from None
        lost = self.lost = asyncio.Event()
        self.lost_reason = ""

        async def on_lost(exc: Exception) -> None:  # this session's, not a later one's
            if lost is self.lost and not lost.is_set():
                self.lost_reason = str(exc) or type(exc).__name__
            lost.set()

        client.connection_lost_callback = on_lost
        try:
            async with self._guard("connect", unavailable=True):
                if self.certificate is not None and cfg.policy.secure:
                    client.certificate_validator = self._check_server
                    await client.set_security(
                        policy_class(cfg.policy),
                        str(self.certificate.cert),
                        str(self.certificate.key),
                        mode=cfg.security_mode.ua_mode,
                    )
                await client.connect()
                self._client = client
                self._uris = list(await client.get_namespace_array())
        except ShopfloorError:
            self._client = None
            await self._drop(client)
            raise
        self._index = {uri: i for i, uri in enumerate(self._uris)}

    async def close(self) -> None:
        """End the session (if the server still listens) and drop the connection."""
        client, self._client = self._client, None
        self.lost.set()
        if client is not None:
            await self._drop(client)

    async def _drop(self, client: Client) -> None:
        """Close the session if the server is still there, else just the socket; never raise."""
        if client.uaclient.state is UaClientState.CONNECTED:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), self.config.timeout_s)
                return
        with contextlib.suppress(Exception):
            await client.close_session()
        with contextlib.suppress(Exception):
            client.disconnect_socket()

    async def _check_server(self, cert: x509.Certificate, app: ua.ApplicationDescription) -> None:
        """The server's certificate: valid now, names the server's URI, and is trusted."""
        if self.server_trust is None:
            return
        await self.server_trust(cert, app)
        self.server_trust.get_user(None, certificate=cert.public_bytes(serialization.Encoding.DER))

    @contextlib.asynccontextmanager
    async def _guard(self, what: str, unavailable: bool = False) -> AsyncIterator[None]:
        """Translate what asyncua raises during ``what``; ``unavailable``: every failure is."""
        try:
            yield
        except ShopfloorError:
            raise
        except (ConnectionError, OSError, TimeoutError) as exc:
            self.lost.set()
            reason = str(exc) or type(exc).__name__
            raise ConnectorUnavailable(
                f"OPC UA server {self.endpoint}: {what} failed: {reason}"
            ) from None
        except ua.UaError as exc:
            code = getattr(exc, "code", None)
            name = status_name(code) if isinstance(code, int) else str(exc)
            lost = unavailable or (isinstance(code, int) and code in LOST)
            if lost:
                self.lost.set()
            error = ConnectorUnavailable if lost else ConnectorError
            raise error(
                f"OPC UA server {self.endpoint}: {what} failed: {name}",
                code=None if lost else "connect.opcua_status",
                status=name,
            ) from None

    def _live(self) -> Client:
        if self._client is None or self.lost.is_set():
            raise ConnectorUnavailable(f"not connected to OPC UA server {self.endpoint}")
        return self._client

    # ---- node ids -----------------------------------------------------------------------------

    def node_id(self, ref: NodeRef) -> ua.NodeId:
        """The node id of ``ref`` on this server; NotFound if its namespace is not there."""
        self._live()
        return ref.node_id(self._index)

    def ref(self, nid: ua.NodeId) -> NodeRef:
        """The stable (namespace URI) form of a node id of this server."""
        ns = int(nid.NamespaceIndex)
        if not 0 <= ns < len(self._uris):
            raise NotFound(f"namespace index {ns} is not on OPC UA server {self.endpoint}")
        return NodeRef(self._uris[ns], nid.Identifier)

    def has_namespace(self, uri: str) -> bool:
        return uri in self._index

    def namespace_index(self, uri: str) -> int:
        """The index of namespace ``uri`` on this server; NotFound if it is not there."""
        self._live()
        try:
            return self._index[uri]
        except KeyError:
            raise NotFound(f"namespace {uri!r} is not on OPC UA server {self.endpoint}") from None

    # ---- services -----------------------------------------------------------------------------

    async def browse(self, nodes: Sequence[ua.NodeId]) -> list[list[ua.ReferenceDescription]]:
        """Hierarchical forward references of each node (objects, variables, methods)."""
        client = self._live()
        descriptions = []
        for nid in nodes:
            desc = ua.BrowseDescription()
            desc.NodeId = nid
            desc.BrowseDirection = ua.BrowseDirection.Forward
            desc.ReferenceTypeId = node_id(ua.ObjectIds.HierarchicalReferences)
            desc.IncludeSubtypes = True
            desc.NodeClassMask = cast(
                Any, ua.NodeClass.Object | ua.NodeClass.Variable | ua.NodeClass.Method
            )
            desc.ResultMask = cast(Any, ua.BrowseResultMask.All)
            descriptions.append(desc)
        params = ua.BrowseParameters()
        params.NodesToBrowse = descriptions
        out: list[list[ua.ReferenceDescription]] = []
        async with self._guard("browse"):
            for nid, result in zip(nodes, await client.uaclient.browse(params), strict=True):
                self._check(result.StatusCode, f"browse of {nid.to_string()}")
                refs = list(result.References)
                point = result.ContinuationPoint
                while point:
                    more = ua.BrowseNextParameters()
                    more.ContinuationPoints = [point]
                    (nxt,) = await client.uaclient.browse_next(more)
                    self._check(nxt.StatusCode, f"browse of {nid.to_string()}")
                    refs += nxt.References
                    point = nxt.ContinuationPoint
                out.append(refs)
        return out

    async def resolve_path(self, root: NodeRef, path: Sequence[str]) -> ua.NodeId:
        """The node at browse ``path`` (browse names, ``*`` = any one child, the first in browse
        order) below ``root``; NotFound naming the first step that is not there."""
        nodes = [self.node_id(root)]
        for depth, name in enumerate(path):
            found: list[ua.NodeId] = []
            for refs in await self.browse(nodes):
                found += [r.NodeId for r in refs if name == "*" or r.BrowseName.Name == name]
            if not found:
                where = "/".join(path[:depth]) or "."
                raise NotFound(
                    f"OPC UA {self.endpoint}: no child {name!r} below {root}/{where} "
                    f"(browse path {'/'.join(path)})"
                )
            nodes = found if name == "*" else found[:1]
        return nodes[0]

    async def read(
        self, nodes: Sequence[ua.NodeId], attribute: ua.AttributeIds = ua.AttributeIds.Value
    ) -> list[ua.DataValue]:
        """One attribute of each node, with status and timestamps (bad statuses are returned)."""
        client = self._live()
        params = ua.ReadParameters()
        params.TimestampsToReturn = ua.TimestampsToReturn.Both
        for nid in nodes:
            rv = ua.ReadValueId()
            rv.NodeId = nid
            rv.AttributeId = attribute
            params.NodesToRead.append(rv)
        async with self._guard(f"read of {len(nodes)} nodes"):
            return list(await client.uaclient.read(params))

    async def write(self, nid: ua.NodeId, value: ua.Variant, what: str) -> None:
        """Write the Value attribute; ConnectorError naming ``what`` and the refusal."""
        client = self._live()
        attr = ua.WriteValue()
        attr.NodeId = nid
        attr.AttributeId = ua.AttributeIds.Value
        attr.Value = ua.DataValue(value)
        params = ua.WriteParameters()
        params.NodesToWrite = [attr]
        async with self._guard(f"write to {what}"):
            (result,) = await client.uaclient.write(params)
        read_only = result.value in {
            ua.StatusCodes.BadNotWritable,
            ua.StatusCodes.BadUserAccessDenied,
        }
        self._check(result, f"write to {what}", " (the variable is read-only)" if read_only else "")

    async def call(
        self, obj: ua.NodeId, method: ua.NodeId, args: Sequence[ua.Variant], what: str
    ) -> ua.CallMethodResult:
        """Call ``method`` on ``obj``; the raw result (its status is the caller's to judge)."""
        client = self._live()
        request = ua.CallMethodRequest(ObjectId=obj, MethodId=method, InputArguments=list(args))
        async with self._guard(f"call of {what}"):
            (result,) = await client.uaclient.call([request])
        return result

    async def subscribe(
        self, publishing_interval_ms: float, items: Sequence[ua.MonitoredItemCreateRequest]
    ) -> tuple[Subscription, list[ua.StatusCode | None]]:
        """A subscription (iterator mode) with ``items``; per item None or why it was refused."""
        client = self._live()
        params = ua.CreateSubscriptionParameters()
        params.RequestedPublishingInterval = publishing_interval_ms
        keepalive = client.get_keepalive_count(publishing_interval_ms)
        params.RequestedMaxKeepAliveCount = keepalive
        params.RequestedLifetimeCount = max(10_000, 3 * keepalive + 1)
        params.MaxNotificationsPerPublish = MAX_NOTIFICATIONS_PER_PUBLISH
        params.PublishingEnabled = True
        async with self._guard("create subscription"):
            sub = await client.create_subscription(
                params, None, queue_maxsize=QUEUE_MAXSIZE, overflow=OverflowPolicy.DISCONNECT
            )
            results = await sub.create_monitored_items(items) if items else []
        return sub, [r if isinstance(r, ua.StatusCode) else None for r in results]

    async def event_history(
        self, node: ua.NodeId, start: datetime, event_filter: ua.EventFilter, limit: int
    ) -> list[list[ua.Variant]]:
        """The events ``node`` notified since ``start`` (HistoryRead of events, continuation
        points followed), each as its selected fields; at most ``limit``."""
        client = self._live()
        details = ua.ReadEventDetails()
        details.StartTime = start
        details.EndTime = ua.get_win_epoch()  # open: up to now
        details.NumValuesPerNode = 0
        details.Filter = event_filter
        out: list[list[ua.Variant]] = []
        cont: bytes | None = None
        while len(out) < limit:
            params = ua.HistoryReadParameters()
            params.HistoryReadDetails = details
            params.TimestampsToReturn = ua.TimestampsToReturn.Both
            params.NodesToRead = [ua.HistoryReadValueId(NodeId=node, ContinuationPoint=cont)]
            async with self._guard("history read of events"):
                (result,) = await client.uaclient.history_read(params)
            self._check(result.StatusCode, "history read of events")
            events = result.HistoryData.Events if result.HistoryData is not None else []
            out.extend(list(e.EventFields) for e in events or [])
            cont = result.ContinuationPoint
            if not cont or not events:
                break
        return out[:limit]

    def _check(self, code: ua.StatusCode, what: str, hint: str = "") -> None:
        if code.is_good():
            return
        name = code.name
        if code.value in LOST:
            self.lost.set()
            raise ConnectorUnavailable(f"OPC UA server {self.endpoint}: {what}: {name}")
        raise ConnectorError(
            f"OPC UA server {self.endpoint}: {what} refused: {name}{hint}",
            code="connect.opcua_status",
            status=name,
        )
