"""Typed settings of the OPC UA client connector, with a ``validate()``.

One :class:`OpcUaClientConfig` describes one server: where it is, how the session is secured,
how the subscription is paced and how reconnection backs off. Times in the OPC UA services are
milliseconds (as the specification counts them); the connector's own waits are seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

from shopfloor.errors import ConfigError

from .security import SecurityMode, SecurityPolicy
from .trust import ClientTrust

CLIENT_URI_SUFFIX = ":opcua-client"


@dataclass(frozen=True)
class OpcUaClientConfig:
    """How the connector reaches one OPC UA server.

    ``security`` is ``None`` or ``Basic256Sha256``; with the latter ``mode`` is ``Sign`` or
    ``SignAndEncrypt`` and ``pki_dir`` holds the client certificate (generated when missing)
    and the trust list of server certificates (``server_trust``: ``any``, ``tofu`` or
    ``trusted``, as in :mod:`.trust`). ``application_uri`` defaults to the plant namespace
    followed by ``:opcua-client``.

    ``sampling_interval_ms`` None samples each tag at its own rate (1000 / ``rate_hz``);
    ``queue_size`` is the server-side queue of every monitored item. Reconnection waits
    ``backoff_initial_s``, doubling up to ``backoff_max_s``, each wait spread by
    +/- ``backoff_jitter`` (a fraction) so many clients do not retry in step.
    """

    endpoint: str
    security: str = SecurityPolicy.NONE.value
    mode: str = SecurityMode.SIGN_AND_ENCRYPT.value
    pki_dir: Path | None = None
    server_trust: str = ClientTrust.TOFU.value
    application_uri: str | None = None
    timeout_s: float = 5.0
    watchdog_s: float = 1.0
    publishing_interval_ms: float = 100.0
    sampling_interval_ms: float | None = None
    queue_size: int = 10
    max_batch: int = 5000
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    backoff_jitter: float = 0.2
    events: bool = True
    #: User name token for the session (None: anonymous) and its password (never logged).
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: X.509 user identity instead (OPC 10000-4, X509IdentityToken): the user's certificate
    #: and private key files (PEM or DER); the key signs the server's nonce at activation.
    user_certificate: Path | None = None
    user_key: Path | None = None

    @property
    def policy(self) -> SecurityPolicy:
        return SecurityPolicy(self.security)

    @property
    def security_mode(self) -> SecurityMode:
        """The message security mode actually used (``None`` without a secure policy)."""
        return SecurityMode(self.mode) if self.policy.secure else SecurityMode.NONE

    @property
    def trust_mode(self) -> ClientTrust:
        return ClientTrust(self.server_trust)

    def validate(self) -> OpcUaClientConfig:
        """This config with normalised values; :class:`ConfigError` naming every bad field."""
        errors: list[str] = []
        endpoint = self.endpoint.strip() if isinstance(self.endpoint, str) else ""
        url = urlparse(endpoint)
        if url.scheme != "opc.tcp" or not url.hostname:
            errors.append(f"endpoint: {self.endpoint!r} is not an opc.tcp://host:port/path URL")
        else:
            try:
                _ = url.port
            except ValueError:
                errors.append(f"endpoint: {self.endpoint!r} has a bad port")
        errors += _choice("security", self.security, SecurityPolicy)
        errors += _choice("mode", self.mode, SecurityMode)
        errors += _choice("server_trust", self.server_trust, ClientTrust)
        secure = self.security == SecurityPolicy.BASIC256SHA256.value
        if secure and self.mode == SecurityMode.NONE.value:
            errors.append("mode: Basic256Sha256 needs Sign or SignAndEncrypt, not None")
        if secure and self.pki_dir is None:
            errors.append("pki_dir: needed for the Basic256Sha256 policy (certificates live there)")
        if self.password is not None and not self.username:
            errors.append("password: given without a username")
        if self.username is not None and not self.username.strip():
            errors.append("username: empty (None is anonymous)")
        if (self.user_certificate is None) != (self.user_key is None):
            errors.append("user_certificate, user_key: a certificate identity needs both files")
        elif self.user_certificate is not None:
            if self.username is not None:
                errors.append("user_certificate: give a user name or a certificate, not both")
            for name in ("user_certificate", "user_key"):
                path = getattr(self, name)
                if not Path(path).is_file():
                    errors.append(f"{name}: {path} is not a file")
        if self.application_uri is not None and ":" not in self.application_uri:
            errors.append(f"application_uri: {self.application_uri!r} is not a URI")
        for name in ("timeout_s", "watchdog_s", "publishing_interval_ms", "backoff_initial_s"):
            errors += _positive(name, getattr(self, name))
        errors += _positive("backoff_max_s", self.backoff_max_s)
        if self.sampling_interval_ms is not None:
            errors += _positive("sampling_interval_ms", self.sampling_interval_ms, zero=True)
        if (
            _number(self.backoff_initial_s)
            and _number(self.backoff_max_s)
            and self.backoff_max_s < self.backoff_initial_s
        ):
            errors.append(
                f"backoff_max_s: {self.backoff_max_s} is below backoff_initial_s "
                f"({self.backoff_initial_s})"
            )
        if not _number(self.backoff_jitter) or not 0 <= self.backoff_jitter < 1:
            errors.append(f"backoff_jitter: {self.backoff_jitter!r} is not a fraction in [0, 1)")
        for name, low in (("queue_size", 1), ("max_batch", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                errors.append(f"{name}: {value!r} is not an integer >= {low}")
        if errors:
            raise ConfigError("bad OPC UA client config: " + "; ".join(errors), errors=errors)
        return replace(
            self,
            endpoint=endpoint,
            pki_dir=Path(self.pki_dir) if self.pki_dir is not None else None,
        )

    def client_uri(self, plant_namespace: str) -> str:
        return self.application_uri or plant_namespace + CLIENT_URI_SUFFIX


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive(name: str, value: object, zero: bool = False) -> list[str]:
    if not _number(value) or value < 0 or (value == 0 and not zero):  # type: ignore[operator]
        what = "a number >= 0" if zero else "a positive number"
        return [f"{name}: {value!r} is not {what}"]
    return []


def _choice(
    name: str, value: str, kind: type[SecurityPolicy | SecurityMode | ClientTrust]
) -> list[str]:
    known = [k.value for k in kind]
    if value not in known:
        return [f"{name}: unknown value {value!r} (use {', '.join(known)})"]
    return []
