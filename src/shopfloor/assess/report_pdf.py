"""``report.pdf``: the HTML report rendered by WeasyPrint, Chinese font embedded and subset.

The CJK font (settings ``pdf_font``, default Noto Sans CJK SC from Debian's ``fonts-noto-cjk``)
must be known to fontconfig, else the PDF would show missing-glyph boxes: that is an error
naming the font and the package. WeasyPrint embeds only the glyphs used (subsetting), so the
file stays small; a PDF above :data:`MAX_PDF_BYTES` (the 50 MB limit of the application
platform) is an error.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

from shopfloor.errors import ConfigError, ShopfloorError

MAX_PDF_BYTES = 50_000_000


@cache
def check_font(family: str) -> str:
    """The file fontconfig uses for ``family``; ConfigError when it is not installed."""
    fc = shutil.which("fc-list")
    if fc is None:
        raise ConfigError("fontconfig (fc-list) is missing: install fontconfig and fonts-noto-cjk")
    out = subprocess.run(
        [fc, f":family={family}", "file"], capture_output=True, text=True, check=False
    ).stdout
    files = sorted(line.split(":", 1)[0] for line in out.splitlines() if line.strip())
    if not files:
        raise ConfigError(
            f"pdf_font: the font {family!r} is not installed (Debian: apt-get install "
            "fonts-noto-cjk); without it Chinese text would print as empty boxes"
        )
    return files[0]


def render_pdf(html: str, font: str, limit: int = MAX_PDF_BYTES) -> bytes:
    """The PDF of ``html``; ShopfloorError when it exceeds ``limit`` bytes."""
    check_font(font)
    from weasyprint import HTML  # heavy: loaded only when a PDF is made

    pdf: bytes = HTML(string=html).write_pdf()
    if len(pdf) > limit:
        raise ShopfloorError(
            f"the PDF would be {len(pdf) / 1e6:.1f} MB, above the {limit / 1e6:.0f} MB limit",
            code="assess.pdf_too_large",
        )
    return pdf
