"""OPC UA security: certificates, client trust, and Basic256Sha256 sessions with asyncua."""

from __future__ import annotations

import asyncio
import shutil
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from asyncua import Client, ua
from asyncua.common.utils import ServiceError
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from shopfloor.connect.opcua import CertificateTrust, ClientTrust, ensure_certificate
from shopfloor.connect.opcua.pki import CertificatePair, certificate_uris, pair_paths, thumbprint
from shopfloor.errors import ConfigError
from shopfloor.sim.outlet import Command, TagValue
from tests.test_opcua_server import (
    DEADLINE_S,
    LATHE,
    NS,
    T0,
    Changes,
    Served,
    node_of,
    read_good,
    start_served,
)

MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")
CLIENT_URI = "urn:shopfloor:test:asyncua-client"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    s = await start_served(tmp_path_factory.mktemp("opcua-sec"), trust="trusted")
    try:
        yield s
    finally:
        await s.server.stop()


def client_pair(folder: Path, uri: str = CLIENT_URI) -> CertificatePair:
    return ensure_certificate(folder, uri, "shopfloor test client")


async def secure_client(
    served: Served, pair: CertificatePair, mode: ua.MessageSecurityMode
) -> Client:
    client = Client(served.server.endpoint, timeout=10)
    client.application_uri = pair.application_uri
    await client.set_security(
        SecurityPolicyBasic256Sha256, str(pair.cert), str(pair.key), mode=mode
    )
    return client


@MODULE_LOOP
async def test_sign_and_encrypt_session_with_a_trusted_client_certificate(
    served: Served, tmp_path: Path
) -> None:
    pair = client_pair(tmp_path / "client")
    (served.pki / "trusted").mkdir(parents=True, exist_ok=True)
    shutil.copy(pair.cert, served.pki / "trusted" / "test-client.pem")  # the admin's step
    assert served.server.trust is not None
    accepted = served.server.trust.accepted
    client = await secure_client(served, pair, ua.MessageSecurityMode.SignAndEncrypt)
    async with client:
        assert client.security_policy.Mode == ua.MessageSecurityMode.SignAndEncrypt
        ident = await node_of(client, f"{LATHE}/Identification/SerialNumber")
        assert await ident.read_value() == "MZK-250-10231"
        changes = Changes()
        sub = await client.create_subscription(20, changes)
        await sub.subscribe_data_change(await node_of(client, f"{LATHE}/spindle_speed"))
        got: list[float] = []
        async with asyncio.timeout(DEADLINE_S):
            while len(got) < 3:
                served.server.on_values(
                    [TagValue(f"{LATHE}/spindle_speed", T0 + len(got), 1000.0 + len(got))]
                )
                dv = await changes.values.get()
                if dv.StatusCode.is_good() and dv.Value.Value not in got:
                    got.append(dv.Value.Value)
        assert got == [1000.0, 1001.0, 1002.0]
        lathe = await node_of(client, LATHE)
        served.control.calls.clear()
        await lathe.call_method(await node_of(client, f"{LATHE}/Start"))
        await lathe.call_method(
            await node_of(client, f"{LATHE}/ReceiveJob"),
            "o-1",
            "housing-b",
            ua.Variant(3, ua.VariantType.UInt32),
        )
        assert served.control.calls == [
            (LATHE, Command.START, {}),
            (LATHE, Command.JOB, {"order_id": "o-1", "product": "housing-b", "quantity": 3}),
        ]
    assert served.server.trust.accepted == accepted + 1


@MODULE_LOOP
async def test_sign_only_session(served: Served, tmp_path: Path) -> None:
    pair = client_pair(tmp_path / "client")
    assert served.server.trust is not None
    served.server.trust.trust(pair.certificate)
    client = await secure_client(served, pair, ua.MessageSecurityMode.Sign)
    async with client:
        assert client.security_policy.Mode == ua.MessageSecurityMode.Sign
        served.server.on_values([TagValue(f"{LATHE}/program", T0, "O9000")])
        assert (await read_good(await node_of(client, f"{LATHE}/program"))).Value.Value == "O9000"
        assert await client.get_namespace_index(NS) >= 2


@MODULE_LOOP
async def test_an_untrusted_client_certificate_is_refused(served: Served, tmp_path: Path) -> None:
    pair = client_pair(tmp_path / "stranger", "urn:shopfloor:test:stranger")
    assert served.server.trust is not None
    rejected = served.server.trust.rejected
    client = await secure_client(served, pair, ua.MessageSecurityMode.SignAndEncrypt)
    with pytest.raises(ua.UaStatusCodeError) as info:
        await client.connect()
    await client.disconnect()
    assert info.value.code == ua.StatusCodes.BadCertificateUntrusted
    assert served.server.trust.rejected == rejected + 1
    assert (served.pki / "rejected" / f"{thumbprint(pair.certificate)}.der").exists()


def test_generated_certificate_has_what_opc_ua_asks(tmp_path: Path) -> None:
    pair = ensure_certificate(tmp_path, "urn:x:y", "x", hostnames=("127.0.0.1", "plant-host"))
    cert = pair.certificate
    assert certificate_uris(cert) == ["urn:x:y"]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "plant-host" in san.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment and ku.key_encipherment
    assert ku.data_encipherment and ku.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH} <= set(eku)
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert stat.S_IMODE(pair.key.stat().st_mode) == 0o600
    again = ensure_certificate(tmp_path, "urn:x:y", "x")
    assert thumbprint(again.certificate) == thumbprint(cert)  # reused, not regenerated


def test_an_unfit_certificate_pair_is_refused_with_the_reason(tmp_path: Path) -> None:
    ensure_certificate(tmp_path / "a", "urn:a", "a")
    with pytest.raises(ConfigError, match=r"is for urn:a, not urn:b"):
        ensure_certificate(tmp_path / "a", "urn:b", "b")
    ensure_certificate(tmp_path / "b", "urn:a", "b")
    _, key_a = pair_paths(tmp_path / "a")
    _, key_b = pair_paths(tmp_path / "b")
    shutil.copy(key_b, key_a)
    with pytest.raises(ConfigError, match="does not belong to certificate"):
        ensure_certificate(tmp_path / "a", "urn:a", "a")
    key_a.unlink()
    with pytest.raises(ConfigError, match="is missing but its pair exists"):
        ensure_certificate(tmp_path / "a", "urn:a", "a")


def test_trust_on_first_use_pins_the_first_proven_certificate(tmp_path: Path) -> None:
    first = client_pair(tmp_path / "first", "urn:plant:mes").certificate
    second = client_pair(tmp_path / "second", "urn:plant:mes").certificate
    other = client_pair(tmp_path / "other", "urn:plant:erp").certificate
    tofu = CertificateTrust(tmp_path / "pki", ClientTrust.TOFU)

    def activate(trust: CertificateTrust, cert: x509.Certificate) -> int:
        """The channel certificate at ActivateSession, as asyncua passes it (DER)."""
        try:
            trust.get_user(None, certificate=cert.public_bytes(serialization.Encoding.DER))
        except ServiceError as exc:
            return int(exc.code)
        return ua.StatusCodes.Good

    assert activate(tofu, first) == ua.StatusCodes.Good
    assert (tmp_path / "pki" / "trusted" / f"{thumbprint(first)}.der").exists()
    assert activate(tofu, first) == ua.StatusCodes.Good
    assert activate(tofu, second) == ua.StatusCodes.BadCertificateUntrusted
    assert (tmp_path / "pki" / "rejected" / f"{thumbprint(second)}.der").exists()
    assert activate(tofu, other) == ua.StatusCodes.Good
    assert (tofu.accepted, tofu.rejected) == (3, 1)
    assert tofu.get_user(None, certificate=None) is not None  # a None channel proves nothing
    anyone = CertificateTrust(tmp_path / "pki-any", ClientTrust.ANY)
    assert activate(anyone, second) == ua.StatusCodes.Good
    strict = CertificateTrust(tmp_path / "pki", ClientTrust.TRUSTED)
    assert activate(strict, first) == ua.StatusCodes.Good
    assert activate(strict, second) == ua.StatusCodes.BadCertificateUntrusted


async def test_the_claimed_certificate_must_name_the_claimed_application(tmp_path: Path) -> None:
    cert = client_pair(tmp_path / "c", "urn:plant:mes").certificate
    trust = CertificateTrust(tmp_path / "pki", ClientTrust.TRUSTED)
    await trust(cert, ua.ApplicationDescription(ApplicationUri="urn:plant:mes"))
    with pytest.raises(ServiceError) as info:
        await trust(cert, ua.ApplicationDescription(ApplicationUri="urn:plant:erp"))
    assert info.value.code == ua.StatusCodes.BadCertificateUriInvalid
