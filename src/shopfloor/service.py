"""The Service protocol: what ``runtime`` composes for ``demo``, ``serve`` and ``run``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass
class Health:
    ok: bool
    detail: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Service(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def health(self) -> Health: ...
