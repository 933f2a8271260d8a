"""The dashboard's extension of the API app: the page, its static files and catalogues.

``/`` and ``/ui/`` answer the one HTML page (the app routes by URL fragment, ``#/overview``...);
``/ui/static/...`` the scripts and styles; ``/ui/i18n/<lang>.json`` a catalogue. Nothing here
needs a login: the page itself asks the API for the session and shows the login form when there
is none. Static answers carry ``Cache-Control: no-cache`` so an upgrade is picked up at once.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from shopfloor.api.context import ApiContext
from shopfloor.web.catalogue import STATIC, load

UI_PREFIX = "/ui"
NO_CACHE = {"Cache-Control": "no-cache"}


class _Static(StaticFiles):
    """Static files that the browser revalidates (ETag) instead of keeping stale copies."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers.update(NO_CACHE)
        return response


def extension(app: FastAPI, ctx: ApiContext) -> None:
    """Serve the dashboard from ``app`` (an :data:`shopfloor.api.app.Extension`)."""
    index = STATIC / "index.html"

    def page() -> FileResponse:
        return FileResponse(index, media_type="text/html", headers=NO_CACHE)

    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
    app.add_api_route(UI_PREFIX + "/", page, methods=["GET"], include_in_schema=False)

    def catalogue(lang: str) -> JSONResponse:
        return JSONResponse(load(lang), headers=NO_CACHE)

    app.add_api_route(
        UI_PREFIX + "/i18n/{lang}.json", catalogue, methods=["GET"], include_in_schema=False
    )
    app.mount(UI_PREFIX + "/static", _Static(directory=STATIC), name="ui-static")
