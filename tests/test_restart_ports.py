"""An immediate restart on fixed ports: connections a stopped server left in TIME_WAIT do not
keep the port check from passing; a port another process listens on is still refused."""

from __future__ import annotations

import socket

import pytest

from shopfloor.errors import ConfigError
from shopfloor.runtime.virtual import _check_port


def test_a_port_in_time_wait_is_free_for_a_restart() -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end waits in TIME_WAIT
    client.close()
    server.close()
    with socket.socket() as plain, pytest.raises(OSError):  # what the old check did
        plain.bind(("127.0.0.1", port))
    _check_port("127.0.0.1", port, "opcua_port (--opcua-port)")


def test_a_port_someone_listens_on_is_refused_naming_the_setting() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"opcua_port \(--opcua-port\): 127.0.0.1:{port}"):
            _check_port("127.0.0.1", port, "opcua_port (--opcua-port)")
