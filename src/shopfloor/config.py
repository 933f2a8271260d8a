"""One typed Settings object, loaded once.

Order of precedence: environment variables ``SHOPFLOOR_<KEY>`` (nested keys with ``__``), then
the settings file (``SHOPFLOOR_CONFIG``, or ``./shopfloor.toml`` / ``./shopfloor.yaml``, or the
user's ``$XDG_CONFIG_HOME/shopfloor/shopfloor.toml``, ``~/.config`` by default), then the
defaults below. A missing or ill-typed value fails at start with the key in the message.

The default ``data_dir`` is the user's data folder (``$XDG_DATA_HOME/shopfloor``,
``~/.local/share/shopfloor`` by default), the same whatever folder a command runs from, so
``shopfloor query``, ``trace`` and ``mes`` find the stores and the running service of
``shopfloor demo`` or ``serve`` started elsewhere.
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shopfloor.clock import DEFAULT_EPOCH
from shopfloor.errors import ConfigError


def _xdg(variable: str, fallback: str) -> Path:
    given = os.environ.get(variable)
    return Path(given) if given and Path(given).is_absolute() else Path.home() / fallback


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/shopfloor``, else ``~/.local/share/shopfloor``."""
    return _xdg("XDG_DATA_HOME", ".local/share") / "shopfloor"


def user_config_file() -> Path:
    """``$XDG_CONFIG_HOME/shopfloor/shopfloor.toml``, else ``~/.config/shopfloor/...``."""
    return _xdg("XDG_CONFIG_HOME", ".config") / "shopfloor" / "shopfloor.toml"


class Settings(BaseSettings):
    """Every setting of the platform, with its default and help."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPFLOOR_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    plant: str = Field("demo", description="Example plant name or path to a plant YAML file")
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where stores, buffers and logs live (the same for every folder a command "
        "runs from)",
    )
    historian_url: str | None = Field(
        None,
        description="Historian store: a DuckDB file or a postgresql:// URL; none = "
        "data_dir/historian.duckdb",
    )
    mes_url: str | None = Field(
        None,
        description="MES database: sqlite:///FILE or postgresql://...; none = data_dir/mes.sqlite",
    )
    auth_url: str | None = Field(
        None,
        description="Users, tokens and audit database: sqlite:///FILE or postgresql://...; "
        "none = data_dir/auth.sqlite",
    )
    broker_url: str | None = Field(
        None, description="MQTT broker URL (mqtt://host:port); none = start the embedded broker"
    )
    host: str = Field("127.0.0.1", description="Address the servers bind to")
    opcua_url: str | None = Field(
        None,
        description="serve: OPC UA server (opc.tcp://host:port) of equipment whose endpoint "
        "names none",
    )
    modbus_url: str | None = Field(
        None,
        description="serve: Modbus TCP server or gateway (modbus+tcp://host:port) of modbus "
        "equipment whose endpoint names none",
    )
    modbus_poll_s: float = Field(
        1.0, gt=0, description="Seconds between two polls of every Modbus device"
    )
    opcua_port: int = Field(4840, ge=0, le=65535, description="OPC UA server port (0 = any free)")
    modbus_port: int = Field(5020, ge=0, le=65535, description="Modbus TCP server port")
    mqtt_port: int = Field(
        11883, ge=0, le=65535, description="Embedded MQTT broker port (when no broker_url)"
    )
    api_port: int = Field(8000, ge=0, le=65535, description="HTTP API and dashboard port")
    speed: float = Field(1.0, gt=0, description="Virtual plant speed factor against wall time")
    seed: int = Field(1, description="Random seed of the virtual plant")
    sim_start: datetime = Field(DEFAULT_EPOCH, description="Virtual time start instant (UTC)")
    sparkplug_primary_host: str | None = Field(
        None,
        description="sim serve: the Sparkplug primary host id the virtual edge nodes wait for "
        "and keep data for while it is offline (serve's is shopfloor-ingest); none = no "
        "primary host",
    )
    plant_clock: Path | None = Field(
        None,
        description="serve: the clock file of a plant that keeps its own time (shopfloor sim "
        "serve writes data_dir/plant-clock.json); none = the wall clock",
    )
    b2mml_schema_dir: Path | None = Field(
        None, description="Folder holding the official B2MML XSDs (your copy)"
    )
    pki_dir: Path | None = Field(None, description="Certificates for OPC UA security (generated)")
    assess_config: Path | None = Field(
        None,
        description="Assessment settings YAML (gates, weights, money, systems) for the "
        "server's assessment runs; none = the shipped defaults",
    )
    log_level: str = Field("INFO", description="Logging level")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _FileSource(settings_cls))


class _FileSource(PydanticBaseSettingsSource):
    """Reads the settings file named by ``SHOPFLOOR_CONFIG`` or found in the working folder."""

    def _path(self) -> Path | None:
        named = os.environ.get("SHOPFLOOR_CONFIG")
        if named:
            p = Path(named)
            if not p.exists():
                raise ConfigError(f"SHOPFLOOR_CONFIG: settings file {p} does not exist")
            return p
        for candidate in (Path("shopfloor.toml"), Path("shopfloor.yaml"), user_config_file()):
            if candidate.exists():
                return candidate
        return None

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        p = self._path()
        if p is None:
            return {}
        try:
            data = (
                tomllib.loads(p.read_text("utf-8"))
                if p.suffix == ".toml"
                else yaml.safe_load(p.read_text("utf-8"))
            )
        except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"settings file {p} cannot be read: {exc}") from None
        data = data or {}
        if not isinstance(data, dict):
            raise ConfigError(f"settings file {p} must hold a table of settings")
        return data.get("shopfloor", data)


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; a bad value raises :class:`ConfigError` naming every bad key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        keys = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])} (env SHOPFLOOR_"
            f"{'__'.join(str(x) for x in e['loc']).upper()}): {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"bad settings: {keys}") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings, loaded once."""
    return load_settings()


def settings_markdown() -> str:
    """The settings reference (``docs/settings.md``), generated from :class:`Settings`."""
    rows = [
        "# Settings",
        "",
        "Generated from `shopfloor.config.Settings` (a test keeps this page in step).",
        "Environment variable first, then the settings file, then the default.",
        "",
        "| key | environment variable | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        if field.default_factory is default_data_dir:
            shown = "`$XDG_DATA_HOME/shopfloor` (`~/.local/share/shopfloor`)"
        else:
            shown = "none" if default is None else f"`{default}`"
        rows.append(
            f"| `{name}` | `SHOPFLOOR_{name.upper()}` | {shown} | {field.description or ''} |"
        )
    return "\n".join(rows) + "\n"
