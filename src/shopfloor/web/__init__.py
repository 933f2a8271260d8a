"""The dashboard: a browser app served by the API process as an API extension.

``create_app(ctx, [shopfloor.web.extension])`` (what ``shopfloor demo`` does) serves the
dashboard at ``/`` with its scripts, styles and catalogues under ``/ui/``. Everything it needs is
in this package (no CDN): vanilla JavaScript modules, our own SVG charts, system fonts. Every
string it shows comes from the catalogues ``i18n/en.json`` and ``i18n/zh.json``. The pages read
the REST API under ``/api/v1`` with the web session of ``POST /api/v1/auth/login`` and follow
live values over Server-Sent Events (``/api/v1/live/stream``). See ``docs/web.md``.
"""

from __future__ import annotations

from shopfloor.web.app import extension

__all__ = ["extension"]
