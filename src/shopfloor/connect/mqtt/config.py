"""Settings of the UNS connector: what to listen to and how to judge it.

:meth:`UnsConfig.validate` returns the object or raises :class:`~shopfloor.errors.ConfigError`
naming every bad field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shopfloor import ids
from shopfloor.bus.topics import TopicKind, subscription_filter
from shopfloor.errors import BadInput, ConfigError


@dataclass(frozen=True)
class UnsConfig:
    """Which UNS topics the connector reads and how it batches and checks them."""

    #: ISA-95 path prefix to read below (``site``, ``site/area`` ... or an equipment); "" = all.
    under: str = ""
    #: What to read: single JSON samples (``.../tag/<tag>``), binary batches (``.../batch``) and
    #: events (``.../event/<kind>``).
    kinds: tuple[TopicKind, ...] = (TopicKind.TAG, TopicKind.BATCH, TopicKind.EVENT)
    #: Subscription QoS (samples are published at 0, batches and events at 1).
    qos: int = 1
    #: Read as one member of a shared subscription group (``$share/<group>/...``), so that
    #: several ingest workers split the load.
    share_group: str | None = None
    #: Samples go to the sink at least this often (seconds) or when this many rows are ready.
    flush_interval_s: float = 0.1
    max_batch_rows: int = 50_000
    #: Sample and event times beyond now + future_tolerance_s or before now - past_tolerance_s
    #: are parked.
    future_tolerance_s: float = 3600.0
    past_tolerance_s: float = 30 * 86400.0

    def validate(self) -> UnsConfig:
        errors: list[str] = []
        if self.under:
            try:
                parts = ids.split(self.under)
                if len(parts) > ids.EQUIPMENT_DEPTH:
                    errors.append(f"under {self.under!r} is deeper than an equipment path")
            except BadInput as exc:
                errors.append(f"under: {exc.message}")
        if not self.kinds or any(not isinstance(k, TopicKind) for k in self.kinds):
            errors.append(f"kinds must name one or more of tag, batch, event; got {self.kinds!r}")
        if self.qos not in (0, 1) or isinstance(self.qos, bool):
            errors.append(f"qos must be 0 or 1, got {self.qos!r}")
        if self.share_group is not None and (
            not self.share_group or any(c in self.share_group for c in "/+#")
        ):
            errors.append(f"share_group {self.share_group!r} must be a name without / + #")
        for name in ("flush_interval_s", "future_tolerance_s", "past_tolerance_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                errors.append(f"{name} must be a positive number of seconds, got {value!r}")
        if not isinstance(self.max_batch_rows, int) or self.max_batch_rows < 1:
            errors.append(f"max_batch_rows must be at least 1, got {self.max_batch_rows!r}")
        if errors:
            raise ConfigError("UNS connector settings: " + "; ".join(errors), errors=errors)
        return self

    def filters(self) -> list[str]:
        """The topic filters to subscribe to, one per kind."""
        out = [subscription_filter(k, self.under) for k in self.kinds]
        if self.share_group is not None:
            out = [f"$share/{self.share_group}/{f}" for f in out]
        return out
