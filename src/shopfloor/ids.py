"""Canonical ids: the ISA-95 path.

An equipment id is its path ``site/area/line/cell/equipment`` (segments ``[a-z0-9_-]``); a tag id
is ``equipment_path/tag``. Paths are what topics, historian keys and API URLs are derived from.
"""

from __future__ import annotations

import re

from shopfloor.errors import BadInput

SEGMENT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: Path depth of an equipment below the enterprise: site, area, line, cell, equipment.
EQUIPMENT_DEPTH = 5


def check_segment(segment: str) -> str:
    """Return ``segment`` if it is a valid id segment, else raise :class:`BadInput`."""
    if not SEGMENT_RE.match(segment) or len(segment) > 64:
        raise BadInput(
            f"invalid id segment {segment!r}: use 1-64 characters of a-z, 0-9, '_' and '-', "
            "starting with a letter or digit"
        )
    return segment


def join(*segments: str) -> str:
    return "/".join(check_segment(s) for s in segments)


def split(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    for p in parts:
        check_segment(p)
    return parts


def tag_id(equipment_path: str, tag: str) -> str:
    return f"{equipment_path}/{check_segment(tag)}"


def split_tag_id(tid: str) -> tuple[str, str]:
    """``site/area/line/cell/eq/tag`` -> (equipment path, tag name)."""
    parts = split(tid)
    if len(parts) != EQUIPMENT_DEPTH + 1:
        raise BadInput(f"tag id {tid!r} must have {EQUIPMENT_DEPTH + 1} segments, has {len(parts)}")
    return "/".join(parts[:-1]), parts[-1]
