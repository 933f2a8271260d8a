"""Settings: precedence, errors naming the key, and the generated reference page."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.config import load_settings, settings_markdown
from shopfloor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_env_beats_file_beats_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("SHOPFLOOR_SPEED", "SHOPFLOOR_SEED", "SHOPFLOOR_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    assert load_settings().speed == 1.0
    (tmp_path / "shopfloor.toml").write_text("speed = 5.0\nseed = 3\n")
    assert load_settings().speed == 5.0
    monkeypatch.setenv("SHOPFLOOR_SPEED", "7.5")
    s = load_settings()
    assert (s.speed, s.seed) == (7.5, 3)


def test_bad_values_name_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHOPFLOOR_SPEED", "fast")
    with pytest.raises(ConfigError, match="SHOPFLOOR_SPEED"):
        load_settings()
    monkeypatch.delenv("SHOPFLOOR_SPEED")
    (tmp_path / "shopfloor.toml").write_text("sped = 2\n")
    with pytest.raises(ConfigError, match="sped"):
        load_settings()
    monkeypatch.setenv("SHOPFLOOR_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_settings_page_is_generated_from_the_model() -> None:
    assert (REPO / "docs" / "settings.md").read_text() == settings_markdown()


def test_data_dir_and_user_settings_are_the_same_from_every_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``query``, ``trace`` and ``mes`` worked only from the project folder: the default data
    folder was ``./.shopfloor``. It is the user's data folder now, and the user's settings file
    is read wherever a command runs."""
    for key in ("SHOPFLOOR_DATA_DIR", "SHOPFLOOR_CONFIG", "SHOPFLOOR_SPEED"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    seen = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        seen.append(load_settings().data_dir)
    assert seen == [tmp_path / "data" / "shopfloor"] * 2
    user = tmp_path / "config" / "shopfloor" / "shopfloor.toml"
    user.parent.mkdir(parents=True)
    user.write_text("speed = 4.0\n")
    assert load_settings().speed == 4.0
    (tmp_path / "b" / "shopfloor.toml").write_text("speed = 2.0\n")  # the folder's file wins
    assert load_settings().speed == 2.0
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_settings().data_dir == tmp_path / "home" / ".local" / "share" / "shopfloor"
