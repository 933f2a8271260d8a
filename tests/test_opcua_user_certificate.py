"""A certificate user identity (X509IdentityToken) against an asyncua server that admits users
by certificate (asyncua's CertificateUserManager): the connector's session reads as that user;
an unknown user certificate is refused with the server's reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from asyncua import Server, ua
from asyncua.server.user_managers import CertificateUserManager

from shopfloor.connect.opcua.client import OpcUaClient
from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.pki import ensure_certificate
from shopfloor.connect.opcua.servers import opcua_servers
from shopfloor.errors import ConfigError, ShopfloorError
from shopfloor.plant import parse_plant
from tests.conftest import free_port

URI = "urn:test:cert-users"


async def _server(tmp: Path, operator_cert: Path) -> tuple[Server, str, ua.NodeId]:
    users = CertificateUserManager()
    await users.add_user(operator_cert, name="operator")
    server = Server(user_manager=users)
    await server.init()
    url = f"opc.tcp://127.0.0.1:{free_port()}/"
    server.set_endpoint(url)
    server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
    server.set_identity_tokens([ua.X509IdentityToken])  # users prove themselves by certificate
    own = ensure_certificate(tmp / "server", "urn:test:server", "test server")
    await server.load_certificate(str(own.cert))
    await server.load_private_key(str(own.key))
    ns = await server.register_namespace(URI)
    var = await server.nodes.objects.add_variable(ua.NodeId("Temp", ns), "Temp", 21.5)
    await server.start()
    return server, url, var.nodeid


def _config(url: str, tmp: Path, cert: Path, key: Path) -> OpcUaClientConfig:
    return OpcUaClientConfig(
        url, security="Basic256Sha256", mode="SignAndEncrypt", pki_dir=tmp / "client",
        server_trust="any", user_certificate=cert, user_key=key,
    ).validate()  # fmt: skip


async def test_a_user_certificate_opens_the_session_an_unknown_one_is_refused(
    tmp_path: Path,
) -> None:
    operator = ensure_certificate(tmp_path / "operator", "urn:test:operator", "operator")
    stranger = ensure_certificate(tmp_path / "stranger", "urn:test:stranger", "stranger")
    server, url, temp = await _server(tmp_path, operator.cert)
    try:
        channel = ensure_certificate(tmp_path / "client", "urn:test:client", "client")
        client = OpcUaClient(
            _config(url, tmp_path, operator.cert, operator.key), "urn:test:client", channel
        )
        await client.connect()
        try:
            (dv,) = await client.read([temp])
            assert dv.Value.Value == 21.5
        finally:
            await client.close()
        refused = OpcUaClient(
            _config(url, tmp_path, stranger.cert, stranger.key), "urn:test:client", channel
        )
        with pytest.raises(ShopfloorError) as err:
            await refused.connect()
        assert "Bad" in err.value.message, err.value.message  # the server names the refusal
        await refused.close()
    finally:
        await server.stop()


def test_a_plant_endpoint_names_the_identity_files_and_they_must_exist(tmp_path: Path) -> None:
    def plant(endpoint: dict[str, str]) -> object:
        return parse_plant({
            "enterprise": {"id": "x"}, "site": {"id": "s"},
            "areas": [{"id": "a", "lines": [{"id": "l", "cells": [{"id": "c", "equipment": [
                {"id": "m", "name": "M", "class": "press", "endpoint": endpoint,
                 "tags": [{"name": "t", "opcua_node": "nsu=urn:x;s=t"}]},
            ]}]}]}],
        })  # fmt: skip

    cert, key = tmp_path / "op.pem", tmp_path / "op.key"
    ep = {"url": "opc.tcp://m:4840", "user_certificate": str(cert), "user_key": str(key)}
    (server,), _ = opcua_servers(plant(ep), None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"user_certificate: .*op\.pem is not a file"):
        server.client_config()
    cert.write_text("x")
    key.write_text("y")
    config = server.client_config()
    assert (config.user_certificate, config.user_key) == (cert, key)
    with pytest.raises(ShopfloorError, match="user_certificate and user_key go together"):
        plant({"url": "opc.tcp://m:4840", "user_certificate": str(cert)})
