"""A throwaway PostgreSQL cluster on a free loopback port (benchmarks and tests).

``initdb`` into a temporary folder, ``pg_ctl start`` listening on 127.0.0.1 only with its unix
socket inside the same folder, and on exit ``pg_ctl stop`` and delete everything. PostgreSQL
refuses to run as root: when the caller is root, the cluster runs as the ``postgres`` system
user (created by Debian's ``postgresql`` package). It never touches the system's own cluster.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from shopfloor.historian.backend import HistorianError

_TIMEOUT_S = 120


def find_bin(name: str) -> str:
    """Path of a PostgreSQL server program (PATH first, then Debian's versioned folders)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise HistorianError(
            f"PostgreSQL server program {name!r} not found: install the postgresql package"
        )
    return candidates[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempPostgres:
    """``with TempPostgres({"fsync": "off"}) as pg: pg.url`` -> a superuser URL."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.settings = dict(settings or {})
        self.port = 0
        self.dir: Path | None = None
        self._run_as: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def __enter__(self) -> TempPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="shopfloor-pg-"))
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise HistorianError(
                    "running as root and there is no 'postgres' user to run PostgreSQL as"
                ) from None
            os.chown(self.dir, account.pw_uid, account.pw_gid)
            self._run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        data = self.dir / "data"
        self._run(
            [
                find_bin("initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ]
        )
        last_error = ""
        for _attempt in range(3):
            self.port = free_port()
            options = {
                "listen_addresses": "127.0.0.1",
                "port": str(self.port),
                "unix_socket_directories": str(self.dir),
                **self.settings,
            }
            opts = " ".join(f"-c {k}={v}" for k, v in options.items())
            log = self.dir / "server.log"
            done = self._run(
                [
                    find_bin("pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    str(_TIMEOUT_S),
                    "-o",
                    opts,
                    "start",
                ],
                check=False,
            )
            if done.returncode == 0:
                return
            last_error = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        self.stop()
        raise HistorianError(f"temporary PostgreSQL did not start: {last_error}")

    def stop(self) -> None:
        if self.dir is None:
            return
        data = self.dir / "data"
        if (data / "postmaster.pid").exists():
            self._run(
                [find_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], check=False
            )
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def _run(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S + 30,
            cwd=self.dir,
            check=False,
            **self._run_as,
        )
        if check and done.returncode != 0:
            raise HistorianError(f"{Path(cmd[0]).name} failed: {done.stderr.strip()[-2000:]}")
        return done
