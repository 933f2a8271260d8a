"""The system architecture diagram (SVG), drawn from the plant model and what ran.

Four bands, top to bottom: enterprise systems (from the settings' ``systems``), platform
services (each coloured by its proof in this assessment: live, available, missing),
connectivity (one box per protocol with the devices it reaches and how many passed the
interconnection test) and the shop floor (one box per line with its equipment per protocol).
The SVG is plain text written here; the HTML report inlines it and the PDF renders it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from shopfloor.assess.i18n import Texts
from shopfloor.connect.registry import registry, title
from shopfloor.plant.model import Plant, Protocol

WIDTH = 1000
BAND_H = 130
PAD = 14
COLOURS = {
    "live": ("#d8f0dc", "#2e7d32"),
    "available": ("#fff4d6", "#a67c00"),
    "missing": ("#eeeeee", "#888888"),
    "neutral": ("#e3ecf7", "#34568b"),
}


@dataclass(frozen=True)
class Box:
    title: str
    lines: tuple[str, ...] = ()
    status: str = "neutral"


class _Svg:
    def __init__(self, height: int, font: str) -> None:
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="{escape(font)}, sans-serif">'
        ]

    def text(self, x: float, y: float, s: str, size: int = 12, weight: str = "normal") -> None:
        self.parts.append(
            f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" font-weight="{weight}">'
            f"{escape(s)}</text>"
        )

    def rect(self, x: float, y: float, w: float, h: float, fill: str, stroke: str) -> None:
        self.parts.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.parts.append(
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
            'stroke="#555" stroke-width="1.2" stroke-dasharray="4 3"/>'
        )

    def done(self) -> str:
        return "".join([*self.parts, "</svg>"])


def _em(ch: str) -> float:
    """Estimated advance of a character in em (CJK full width, Latin about half)."""
    return 1.0 if ord(ch) > 0x2E7F else 0.58


def fit(text: str, width: float, size: int, lines: int = 1) -> list[str]:
    """``text`` wrapped into at most ``lines`` lines of ``width`` px; the last one clipped."""
    out: list[str] = []
    current, used = "", 0.0
    for ch in text:
        w = _em(ch) * size
        if used + w > width:
            out.append(current)
            if len(out) == lines:
                out[-1] = out[-1][:-1] + "…"
                return out
            current, used = "", 0.0
        current += ch
        used += w
    out.append(current)
    return out


def _band(svg: _Svg, y: float, label: str, boxes: Sequence[Box]) -> list[float]:
    """Draw one band; returns the centre x of each box."""
    svg.rect(4, y, WIDTH - 8, BAND_H - 8, "#fafafa", "#bbbbbb")
    svg.text(PAD, y + 18, label, 13, "bold")
    n = max(1, len(boxes))
    w = (WIDTH - 2 * PAD - (n - 1) * 10) / n
    centres = []
    for i, b in enumerate(boxes):
        x = PAD + i * (w + 10)
        fill, stroke = COLOURS.get(b.status, COLOURS["neutral"])
        svg.rect(x, y + 26, w, BAND_H - 44, fill, stroke)
        title = fit(b.title, w - 12, 12, 2)
        for k, ln in enumerate(title):
            svg.text(x + 6, y + 42 + 14 * k, ln, 12, "bold")
        body = [part for ln in b.lines for part in fit(ln, w - 12, 10, 2)]
        top = y + 46 + 14 * len(title)
        for k, ln in enumerate(body[: 5 - len(title)]):
            svg.text(x + 6, top + 13 * k, ln, 10)
        centres.append(x + w / 2)
    return centres


def architecture_svg(
    plant: Plant,
    tx: Texts,
    systems: Sequence[tuple[str, str]],
    services: Sequence[tuple[str, str, str]],
    probe_passed: dict[str, tuple[int, int]] | None,
    font: str,
) -> str:
    """``systems``: (name, kind); ``services``: (name, status, detail);
    ``probe_passed``: protocol -> (passed, tested)."""
    svg = _Svg(4 * BAND_H + 10, font)
    top = [Box(name, (kind,)) for name, kind in systems] or [Box(tx("arch.no_systems"))]
    xs_top = _band(svg, 4, tx("arch.enterprise"), top)
    platform = [Box(name, (detail,), status) for name, status, detail in services]
    xs_plat = _band(svg, 4 + BAND_H, tx("arch.platform"), platform)
    counts: Counter[Protocol] = Counter(e.protocol for *_r, e in plant.walk())
    conn = []
    for name in registry():
        proto = Protocol(name) if name in {p.value for p in Protocol} else None
        if proto is None or not counts[proto]:
            continue
        lines = [tx("arch.devices", n=counts[proto])]
        status = "neutral"
        if probe_passed and proto.value in probe_passed:
            ok, n = probe_passed[proto.value]
            lines.append(tx("arch.passed", ok=ok, n=n))
            status = "live" if ok == n else "available"
        conn.append(Box(title(name), tuple(lines), status))
    if counts[Protocol.NONE]:
        conn.append(
            Box(tx("arch.not_networked"), (tx("arch.devices", n=counts[Protocol.NONE]),), "missing")
        )
    xs_conn = _band(svg, 4 + 2 * BAND_H, tx("arch.connectivity"), conn)
    floor = []
    for path, line in plant.lines():
        eqs = [e for p, *_r, e in plant.walk() if p.startswith(path + "/")]
        per = Counter(
            title(e.protocol.value) if e.networked else tx("arch.not_networked") for e in eqs
        )
        floor.append(Box(line.name or line.id, tuple(f"{k}: {v}" for k, v in sorted(per.items()))))
    xs_floor = _band(svg, 4 + 3 * BAND_H, tx("arch.shop_floor"), floor)
    for upper, lower, y in ((xs_top, xs_plat, BAND_H), (xs_plat, xs_conn, 2 * BAND_H),
                            (xs_conn, xs_floor, 3 * BAND_H)):  # fmt: skip
        mid = sum(upper) / len(upper) if upper else WIDTH / 2
        for x in lower:
            svg.line(mid, y - 14, x, y + 30)
    return svg.done()
