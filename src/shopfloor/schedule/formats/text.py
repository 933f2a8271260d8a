"""Reading integer tables from instance files, with errors that name the file, line and column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shopfloor.errors import BadInput, NotFound


class InstanceFormatError(BadInput):
    """An instance file does not follow its format; the message names the line."""

    code = "schedule.format"


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based, as an editor shows it
    values: tuple[int, ...]


def read_text(path: str | Path) -> tuple[str, str]:
    """The file's text and a display name; a missing file is a NotFound error."""
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"instance file {str(p)!r} does not exist", path=str(p))
    try:
        return p.read_text(encoding="utf-8"), p.name
    except UnicodeDecodeError as exc:
        raise InstanceFormatError(
            f"{p.name}: not a text file (byte {exc.start} is not UTF-8)", path=str(p)
        ) from None


def numeric_lines(text: str, source: str, *, skip_text: bool = False) -> list[Line]:
    """Lines made only of integers (blank lines and ``#`` comments dropped).

    Leading lines that are not all integers (a title, ``+++`` rulers, ``instance ft06``) are
    skipped until the first numeric line. After that, a line of words ends the table (OR-Library
    files put several instances one after another) unless ``skip_text`` (Taillard files label
    their ``Times`` and ``Machines`` tables); a line mixing numbers and other tokens is an error.
    """
    out: list[Line] = []
    started = False
    for n, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.split("#", 1)[0].strip()
        if not stripped:
            continue
        parts = stripped.split()
        if all(_is_int(p) for p in parts):
            started = True
            out.append(Line(n, tuple(int(p) for p in parts)))
        elif started:
            if any(_is_number(p) for p in parts) or skip_text:
                if not any(_is_number(p) for p in parts):
                    continue
                bad = next(p for p in parts if not _is_int(p))
                raise InstanceFormatError(
                    f"{source}: line {n}: {bad!r} is not an integer", line=n, token=bad
                )
            break
    if not out:
        raise InstanceFormatError(f"{source}: no numeric data found")
    return out


def _is_int(token: str) -> bool:
    return token.lstrip("+-").isdigit()


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return token[:1].isdigit()
    return True


def fail(source: str, line: int, message: str) -> InstanceFormatError:
    return InstanceFormatError(f"{source}: line {line}: {message}", line=line)
