"""``serve`` on PostgreSQL: the historian, MES and auth URLs of the settings are used."""

from __future__ import annotations

from pathlib import Path

from shopfloor.config import load_settings
from shopfloor.runtime.serve import compose_serve


async def test_serve_opens_its_stores_at_the_urls_the_settings_give(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = load_settings(
        plant="demo", data_dir=tmp_path, api_port=0, opcua_url="opc.tcp://127.0.0.1:1/",
        historian_url=postgres_url, mes_url=postgres_url, auth_url=postgres_url,
    )  # fmt: skip
    _runtime, built = compose_serve(settings)
    try:
        assert built.ingest.historian.url.startswith("postgresql")
        assert built.ctx.need_mes().ctx.db.engine.dialect.name == "postgresql"
        assert built.ctx.auth.db.engine.dialect.name == "postgresql"
        assert not (tmp_path / "mes.sqlite").exists() and not (tmp_path / "auth.sqlite").exists()
        assert not (tmp_path / "historian.duckdb").exists()
    finally:
        built.ctx.need_mes().close()
        built.ingest.historian.close()
        built.ctx.auth.close()
