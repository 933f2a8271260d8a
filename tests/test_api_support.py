"""Fixtures shared by the API tests (imported by each ``test_api_*`` module).

``platform`` is a full :class:`~shopfloor.api.ApiContext` in the test's tmp folder: the demo
plant, MES on SQLite, a DuckDB historian holding one hour of a few tags, the live cache, the
event log, and an auth store with one user and one API token per role. The MES and auth
databases are copies of files made once per session (migrations and argon2 hashing are slow).
``server`` serves it with :class:`~shopfloor.api.ApiServer` on a free loopback port and
``client`` is an ``httpx.AsyncClient`` on it.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest

from shopfloor.api import ApiContext, ApiServer, EventLog, LiveValues
from shopfloor.auth import AuthStore, Role, open_auth
from shopfloor.auth.principal import system
from shopfloor.clock import DEFAULT_EPOCH, NS_PER_S, to_ns
from shopfloor.connect.sink import SampleBatch
from shopfloor.connect.status import ConnectorStatus
from shopfloor.historian import Historian, open_store
from shopfloor.mes import open_mes
from shopfloor.mes.db import make_engine, migrate
from shopfloor.plant import load_plant
from shopfloor.samples import Sample

DEMO = load_plant("demo")
T0 = to_ns(DEFAULT_EPOCH)
TAG = "suzhou/machining/line1/turning/lathe-01/spindle_temp"
LATHE = "suzhou/machining/line1/turning/lathe-01"
API = "/api/v1"


@dataclass
class Templates:
    mes: Path
    auth: Path
    tokens: dict[str, str]
    passwords: dict[str, str]


@dataclass
class Platform:
    ctx: ApiContext
    tokens: dict[str, str]
    passwords: dict[str, str]

    @property
    def auth(self) -> AuthStore:
        return self.ctx.auth

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def audit_count(self) -> int:
        return len(self.auth.audit.query(limit=10_000))


def password_of(role: Role) -> str:
    return f"{role.label}-secret-pw"


@pytest.fixture(scope="session", name="templates")
def templates_fixture(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    folder = tmp_path_factory.mktemp("api-templates")
    engine = make_engine(f"sqlite:///{folder / 'mes.sqlite'}")
    migrate(engine)
    engine.dispose()
    tokens: dict[str, str] = {}
    with open_auth(f"sqlite:///{folder / 'auth.sqlite'}") as auth:
        for role in Role:
            auth.users.add(role.label, role, password_of(role), by=system())
            tokens[role.label], _row = auth.tokens.create(role.label, "tests", by=system())
    return Templates(
        folder / "mes.sqlite",
        folder / "auth.sqlite",
        tokens,
        {r.label: password_of(r) for r in Role},
    )


def _history(folder: Path) -> Historian:
    store = open_store(folder / "historian.duckdb")
    store.registry.register_plant(DEMO)
    store.write_samples(
        [Sample(TAG, T0 + i * NS_PER_S, 20.0 + (i % 60)) for i in range(3600)]
        + [Sample(f"{LATHE}/spindle_speed", T0 + i * 10 * NS_PER_S, 1000.0) for i in range(360)]
    )
    return store


@pytest.fixture(name="platform")
def platform_fixture(tmp_path: Path, templates: Templates) -> Iterator[Platform]:
    shutil.copy(templates.mes, tmp_path / "mes.sqlite")
    shutil.copy(templates.auth, tmp_path / "auth.sqlite")
    mes = open_mes(f"sqlite:///{tmp_path / 'mes.sqlite'}", plant=DEMO)
    auth = open_auth(f"sqlite:///{tmp_path / 'auth.sqlite'}")
    store = _history(tmp_path)
    events = EventLog()
    ctx = ApiContext(
        plant=DEMO,
        auth=auth,
        live=LiveValues(events),
        historian=store,
        mes=mes,
        events=events,
        status=ConnectorStatus(mes.ctx.clock),
    )
    yield Platform(ctx, dict(templates.tokens), dict(templates.passwords))
    mes.close()
    auth.close()
    store.close()


@pytest.fixture(name="server")
async def server_fixture(platform: Platform) -> AsyncIterator[ApiServer]:
    server = ApiServer(platform.ctx, host="127.0.0.1", port=0)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(name="client")
async def client_fixture(server: ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


def batch(values: dict[str, float], ts_ns: int) -> SampleBatch:
    tags = tuple(values)
    n = len(tags)
    return SampleBatch(
        tags,
        np.arange(n, dtype=np.int32),
        np.full(n, ts_ns, dtype=np.int64),
        np.array([values[t] for t in tags], dtype=np.float64),
        np.zeros(n, dtype=np.uint8),
    )


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body: dict[str, object] = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert response.headers.get("x-request-id")
    return body
