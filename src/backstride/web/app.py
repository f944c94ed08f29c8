"""``create_app(settings)``: the FastAPI app. No module-level state: everything hangs off the
app instance, so tests and the CLI can each build their own."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from backstride import __version__
from backstride.config import Settings
from backstride.errors import BackstrideError, InputError
from backstride.web import pages, security
from backstride.web.jobs import JobRunner


def create_app(settings: Settings, *, hosts: tuple[str, ...] = ()) -> FastAPI:
    """``hosts``: names besides the loopback ones the app answers to (the ``--host`` given)."""
    app = FastAPI(title="backstride", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None, dependencies=[Depends(security.check_csrf)])
    app.state.settings = settings
    app.state.allowed_hosts = (*security.LOOPBACK_HOSTS, "testserver",
                               *(h.lower() for h in hosts))
    app.state.jobs = JobRunner()
    app.state.cache = {}  # pages computed from the whole history, by history version
    app.state.cache_lock = threading.Lock()
    app.middleware("http")(security.security_headers)
    app.mount("/static", StaticFiles(packages=[("backstride.web", "static")]), name="static")

    @app.get("/static-lib/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        from plotly.offline import get_plotlyjs

        return Response(get_plotlyjs(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> HTMLResponse:
        return pages.render(request, "error.html.j2", status_code=422, message=str(exc))

    @app.exception_handler(BackstrideError)
    async def backstride_error(request: Request, exc: BackstrideError) -> HTMLResponse:
        return pages.render(request, "error.html.j2", status_code=500, message=str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Any:
        return pages.render(request, "error.html.j2", status_code=exc.status_code,
                            message=str(exc.detail))

    from backstride.web import routes_care, routes_history, routes_runs

    for router in (routes_runs.router, routes_care.router, routes_history.router):
        app.include_router(router)
    return app
