"""Application instance certificates for OPC UA security (server and client alike).

A PKI folder holds ``own/cert.pem`` and ``own/private/key.pem`` (RSA 2048, SHA-256, self-signed)
plus the trust lists of :mod:`shopfloor.connect.opcua.trust` (``trusted/``, ``rejected/``).
:func:`ensure_certificate` creates the pair when it is missing, with what OPC 10000-6 (6.2.2)
asks of an application instance certificate: the application URI as a URI in the
SubjectAlternativeName (peers compare it with the application description), host names and
addresses, key usages digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment and
keyCertSign (self-signed), extended key usages serverAuth and clientAuth, ``cA`` false.

An existing pair is reused only if it still fits: same application URI, not expired, key matching
the certificate; otherwise :class:`ConfigError` names the file and what is wrong (delete the pair
to have it generated again).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shopfloor.errors import ConfigError

KEY_BITS = 2048
VALID_DAYS = 3650


@dataclass(frozen=True, slots=True)
class CertificatePair:
    cert: Path  # PEM
    key: Path  # PEM, unencrypted, mode 0600
    application_uri: str

    @property
    def certificate(self) -> x509.Certificate:
        return load_certificate(self.cert)

    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def pair_paths(pki_dir: Path) -> tuple[Path, Path]:
    return pki_dir / "own" / "cert.pem", pki_dir / "own" / "private" / "key.pem"


def ensure_certificate(
    pki_dir: Path,
    application_uri: str,
    common_name: str,
    *,
    organization: str = "shopfloor",
    hostnames: tuple[str, ...] = (),
) -> CertificatePair:
    """The certificate and key in ``pki_dir``, created when missing (see the module doc)."""
    cert_path, key_path = pair_paths(pki_dir)
    if cert_path.exists() or key_path.exists():
        _check_existing(cert_path, key_path, application_uri)
        return CertificatePair(cert_path, key_path, application_uri)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    cert = _self_signed(key, application_uri, common_name, organization, hostnames)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.parent.chmod(0o700)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return CertificatePair(cert_path, key_path, application_uri)


def load_certificate(path: Path) -> x509.Certificate:
    """A PEM or DER certificate file; :class:`ConfigError` naming the file if unreadable."""
    try:
        data = path.read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"certificate {path} cannot be read: {exc}") from None


def certificate_uris(cert: x509.Certificate) -> list[str]:
    """The URIs in a certificate's SubjectAlternativeName (the application URI is one)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return list(san.get_values_for_type(x509.UniformResourceIdentifier))


def thumbprint(cert: x509.Certificate) -> str:
    """SHA-1 of the DER form, hex: the thumbprint OPC UA uses to name certificates."""
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _self_signed(
    key: rsa.RSAPrivateKey,
    application_uri: str,
    common_name: str,
    organization: str,
    hostnames: tuple[str, ...],
) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]),
        ]
    )
    alt: list[x509.GeneralName] = [x509.UniformResourceIdentifier(application_uri)]
    for host in dict.fromkeys((*hostnames, socket.gethostname(), "localhost")):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def _check_existing(cert_path: Path, key_path: Path, application_uri: str) -> None:
    for path in (cert_path, key_path):
        if not path.exists():
            raise ConfigError(
                f"{path} is missing but its pair exists; delete {cert_path.parent} to regenerate"
            )
    cert = load_certificate(cert_path)
    uris = certificate_uris(cert)
    if application_uri not in uris:
        raise ConfigError(
            f"certificate {cert_path} is for {', '.join(uris) or 'no application URI'}, "
            f"not {application_uri}; use another PKI folder or delete the pair to regenerate"
        )
    if cert.not_valid_after_utc <= datetime.now(UTC):
        raise ConfigError(
            f"certificate {cert_path} expired on {cert.not_valid_after_utc:%Y-%m-%d}; "
            "delete the pair to regenerate"
        )
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"private key {key_path} cannot be read: {exc}") from None
    public = cert.public_key()
    if (
        not isinstance(key, rsa.RSAPrivateKey)
        or not isinstance(public, rsa.RSAPublicKey)
        or key.public_key().public_numbers() != public.public_numbers()
    ):
        raise ConfigError(f"private key {key_path} does not belong to certificate {cert_path}")
