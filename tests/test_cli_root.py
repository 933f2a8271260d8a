"""The root command: ``shopfloor --version`` works without a command, from any folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor import __version__
from shopfloor.cli import main


def test_version_needs_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"shopfloor {__version__}"


def test_version_from_another_folder(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from shopfloor.cli import main; raise SystemExit(main())",
         "--version"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == f"shopfloor {__version__}"
