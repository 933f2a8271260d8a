"""The FastAPI application: ``create_app(ctx, extensions)``.

Every router of the API is mounted under :data:`API_PREFIX` (``/api/v1``); the OpenAPI document
is at ``/openapi.json`` and its browsable form at ``/api/docs``. Other packages add their routes
and static files through ``extensions``: callables ``(app, ctx) -> None`` run after the API's
routers are in place (the dashboard is ``shopfloor.web``'s extension). ``/`` redirects to the API
docs unless an extension serves it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from shopfloor import __version__
from shopfloor.api import errors
from shopfloor.api.context import ApiContext
from shopfloor.api.requestid import RequestIdMiddleware
from shopfloor.api.routes import (
    alarms,
    assessment,
    auth,
    history,
    kpi,
    live,
    maintenance,
    orders,
    plant,
    production,
    quality,
    schedules,
    system,
    users,
)
from shopfloor.api.security import permission_of
from shopfloor.auth.roles import Permission

API_PREFIX = "/api/v1"
DOCS_URL = "/api/docs"

#: Adds routes, mounts or middleware to the app (e.g. the dashboard).
Extension = Callable[[FastAPI, ApiContext], None]

ROUTERS = (
    system,
    auth,
    users,
    plant,
    history,
    live,
    orders,
    alarms,
    quality,
    production,
    kpi,
    maintenance,
    schedules,
    assessment,
)

DESCRIPTION = """\
The shopfloor platform over HTTP: plant, tags and history, live values (Server-Sent Events),
orders and dispatch lists, genealogy, quality and SPC, alarms, downtime, KPIs and energy,
equipment health and maintenance work orders, schedules of the open orders, the maturity
self-assessment (answers, runs, evidence pack).

Authenticate with an API token (`Authorization: Bearer sft_...`) or a web session
(`POST /api/v1/auth/login`; writes with the session cookie need the `X-CSRF-Token` header).
Errors are `{"code", "message", "details"}` with a stable `code`. Every response carries
`X-Request-ID` (yours when you send one).
"""


def endpoints() -> list[tuple[str, str, Permission | None, str]]:
    """(method, path, permission, summary) of every API route, in router order."""
    out = []
    for module in ROUTERS:
        for route in module.router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                for method in sorted(route.methods or ()):
                    summary = (route.description or route.name).strip().split("\n")[0]
                    out.append((method, API_PREFIX + route.path, permission_of(route), summary))
    return out


def endpoint_table() -> str:
    """The routes with the permission each requires, as Markdown (``docs/api.md``)."""
    rows = ["| method | path | permission | what |", "|---|---|---|---|"]
    for method, path, permission, summary in endpoints():
        need = f"`{permission.value}`" if permission is not None else "public"
        rows.append(f"| {method} | `{path}` | {need} | {summary.rstrip('.')} |")
    return "\n".join(rows) + "\n"


def create_app(ctx: ApiContext, extensions: Sequence[Extension] = ()) -> FastAPI:
    """The API over ``ctx``, with ``extensions`` applied in order."""
    app = FastAPI(
        title="shopfloor",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=DOCS_URL,
        redoc_url=None,
    )
    app.state.ctx = ctx
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router, prefix=API_PREFIX)
    for extend in extensions:
        extend(app, ctx)

    @app.get("/", include_in_schema=False)  # last: an extension's "/" comes first and wins
    def root() -> RedirectResponse:
        return RedirectResponse(DOCS_URL)

    app.add_middleware(RequestIdMiddleware)
    return app
