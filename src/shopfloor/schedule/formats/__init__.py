"""Readers for standard instance files: OR-Library / Taillard job shop and flexible ``.fjs``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from shopfloor.errors import BadInput
from shopfloor.schedule.formats.fjs import parse_fjs
from shopfloor.schedule.formats.jobshop import parse_orlib, parse_taillard
from shopfloor.schedule.formats.text import InstanceFormatError, numeric_lines, read_text
from shopfloor.schedule.model import Problem

Format = Literal["orlib", "taillard", "fjs"]

#: Format name -> parser(text, source, name). Adding a format is adding a row.
PARSERS: dict[str, Callable[[str, str, str], Problem]] = {
    "orlib": parse_orlib,
    "taillard": parse_taillard,
    "fjs": parse_fjs,
}


def detect_format(text: str, source: str) -> str:
    """``fjs`` by extension, else OR-Library when job lines hold pairs, Taillard when not."""
    if source.lower().endswith(".fjs"):
        return "fjs"
    lines = numeric_lines(text, source, skip_text=True)
    if len(lines) >= 2 and len(lines[0].values) >= 2:
        m = lines[0].values[1]
        if len(lines[0].values) == 2 and len(lines[1].values) == 2 * m:
            return "orlib"
        if len(lines[1].values) == m:
            return "taillard"
    raise InstanceFormatError(f"{source}: cannot tell the format; pass one of {', '.join(PARSERS)}")


def parse_instance(
    text: str, source: str = "<text>", fmt: str | None = None, name: str = ""
) -> Problem:
    fmt = fmt or detect_format(text, source)
    parser = PARSERS.get(fmt)
    if parser is None:
        raise BadInput(
            f"unknown instance format {fmt!r}; known: {', '.join(PARSERS)}",
            code="schedule.unknown_format",
        )
    return parser(text, source, name)


def read_instance(path: str | Path, fmt: str | None = None) -> Problem:
    """Read an instance file; the problem is named after the file (``ta01.txt`` -> ``ta01``)."""
    text, source = read_text(path)
    return parse_instance(text, source, fmt, name=Path(path).stem)


__all__ = [
    "PARSERS",
    "Format",
    "InstanceFormatError",
    "detect_format",
    "parse_instance",
    "read_instance",
]
