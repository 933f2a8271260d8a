"""Which client certificates a shopfloor OPC UA server accepts.

Two checks, at the two places a client shows a certificate:

- CreateSession (the certificate the client *claims*): it must be valid now and its
  SubjectAlternativeName must carry the application URI the client announces, else
  ``BadCertificateTimeInvalid`` / ``BadCertificateUriInvalid``.
- ActivateSession on a signed channel (the certificate the client *proved* by signing the
  channel and the activation with its key): the trust decision below. Deciding here, not at
  CreateSession, means a client cannot borrow a trusted certificate it holds no key for. A client
  on a ``None`` channel proves nothing, so nothing is pinned or refused for it.

Trust modes (:class:`ClientTrust`):

- ``any``: accept every proven certificate. For loopback demos and tests: encryption still
  protects the channel, but any client that reaches the port may connect.
- ``tofu`` (trust on first use): the first certificate proven for an application URI is pinned
  (a copy is written to ``<pki>/trusted/``); a *different* certificate for that URI later is
  refused with ``BadCertificateUntrusted`` and copied to ``<pki>/rejected/``. To let a client
  change its certificate, delete its old one from ``trusted/``.
- ``trusted``: only certificates present in ``<pki>/trusted/`` (DER or PEM, exact match) are
  accepted; any other is refused and copied to ``<pki>/rejected/``, from where an administrator
  moves it to ``trusted/`` to accept it. CA-issued chains are not evaluated: trust is per
  certificate.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.crypto.uacrypto import x509_from_der
from asyncua.server.user_managers import UserManager
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from shopfloor.errors import ConfigError

from .pki import certificate_uris, load_certificate, thumbprint

log = logging.getLogger(__name__)


class ClientTrust(StrEnum):
    ANY = "any"
    TOFU = "tofu"
    TRUSTED = "trusted"


class CertificateTrust(UserManager):
    """A server's certificate validator (CreateSession) and user manager (ActivateSession)."""

    def __init__(self, pki_dir: Path, mode: ClientTrust) -> None:
        self.mode = mode
        self.trusted_dir = pki_dir / "trusted"
        self.rejected_dir = pki_dir / "rejected"
        self.accepted = 0
        self.rejected = 0

    def trust(self, cert: x509.Certificate) -> Path:
        """Add ``cert`` to the trusted list (what an administrator does by copying the file)."""
        return self._store(self.trusted_dir, cert)

    def trusted(self) -> list[x509.Certificate]:
        if not self.trusted_dir.is_dir():
            return []
        try:
            return [
                load_certificate(p)
                for p in sorted(self.trusted_dir.iterdir())
                if p.suffix in {".der", ".pem", ".crt"}
            ]
        except ConfigError as exc:
            log.error("trusted list: %s", exc.message)
            raise ServiceError(ua.StatusCodes.BadCertificateInvalid) from None

    async def __call__(self, cert: x509.Certificate, app: ua.ApplicationDescription) -> None:
        """CreateSession: the claimed certificate fits the claimed application."""
        uri = app.ApplicationUri or ""
        self._check_time(cert, uri)
        if uri not in certificate_uris(cert):
            self._refuse(
                cert,
                uri,
                "does not carry the application URI",
                ua.StatusCodes.BadCertificateUriInvalid,
            )

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User:
        """ActivateSession: ``certificate`` is the channel's, proven by the client's signatures."""
        if certificate:
            cert = x509_from_der(certificate)
            uris = certificate_uris(cert)
            uri = uris[0] if uris else ""
            self._check_time(cert, uri)
            if self.mode is not ClientTrust.ANY:
                self._check_lists(cert, uris)
            self.accepted += 1
        return User(role=UserRole.User)

    def _check_time(self, cert: x509.Certificate, uri: str) -> None:
        now = datetime.now(UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            self._refuse(cert, uri, "is not valid now", ua.StatusCodes.BadCertificateTimeInvalid)

    def _check_lists(self, cert: x509.Certificate, uris: list[str]) -> None:
        thumb = thumbprint(cert)
        known = self.trusted()
        if any(thumbprint(c) == thumb for c in known):
            return
        uri = uris[0] if uris else ""
        if self.mode is ClientTrust.TOFU:
            if not uris:
                why = "carries no application URI to pin it under"
            elif not any(set(uris) & set(certificate_uris(c)) for c in known):
                path = self.trust(cert)
                log.info("trust on first use: pinned %s for %s in %s", thumb, uri, path)
                return
            else:
                why = "differs from the certificate pinned for this application URI"
        else:
            why = "is not in the trusted list"
        self._store(self.rejected_dir, cert)
        self._refuse(cert, uri, why, ua.StatusCodes.BadCertificateUntrusted)

    def _refuse(self, cert: x509.Certificate, uri: str, why: str, status: int) -> None:
        self.rejected += 1
        log.warning("refused client certificate %s of %r: it %s", thumbprint(cert), uri, why)
        raise ServiceError(status)

    @staticmethod
    def _store(folder: Path, cert: x509.Certificate) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{thumbprint(cert)}.der"
        path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
        return path
