"""``create_app(settings)``: the FastAPI app. No module-level state: everything hangs off the
app instance, so tests and the CLI can each build their own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from backstride import __version__
from backstride.config import Settings
from backstride.errors import BackstrideError, InputError, NotFoundError, StorageError
from backstride.web import auth, pages, security
from backstride.web.jobs import JobRunner
from backstride.web.routes_video import VideoResults


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:  # a previous server's unfinished jobs: marked lost, their uploads removed
        app.state.jobs.sweep()
    except BackstrideError as exc:  # the database may be down: pages will say so
        logging.getLogger(__name__).warning("lost jobs not swept: %s", exc)
    yield
    app.state.jobs.close()  # queued jobs: recorded lost, uploads removed
    app.state.video_results.close()  # the kept video results live in temp folders: delete them


# The cyclic garbage collector's thresholds for a serving process (CPython's are 700, 10, 10).
# A page after a write builds ~10^5 small objects (the trends of 1,500 runs); with the defaults
# the collector runs dozens of times inside that one request, and its slowest answers pay
# 100+ ms for it (bench_pages.py, first trends page after a write, 2 cores: p95 264 ms with
# the defaults, 115 ms with these). Reference counting frees those objects anyway; the
# collector is there for cycles, which it still collects, less often.
SERVING_GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc_for_serving() -> None:
    """Set :data:`SERVING_GC_THRESHOLDS` for this process (``backstride serve`` does)."""
    import gc

    gc.set_threshold(*SERVING_GC_THRESHOLDS)


def create_app(settings: Settings, *, hosts: tuple[str, ...] = (), team: bool = False
               ) -> FastAPI:
    """``hosts``: names besides the loopback ones the app answers to (the ``--host`` given).
    ``team``: logins, and each user sees only their runners (web.auth); without it the app
    is the single local runner's, with no logins."""
    # Who is asking comes first: the CSRF token is bound to the user and runner in team mode.
    app = FastAPI(title="backstride", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=_lifespan,
                  dependencies=[Depends(auth.authenticate), Depends(security.check_csrf)])
    app.state.settings = settings
    app.state.team = team
    app.state.login_throttle = auth.LoginThrottle()
    app.state.allowed_hosts = (*security.LOOPBACK_HOSTS, "testserver",
                               *(h.lower() for h in hosts))
    app.state.jobs = JobRunner(settings)
    app.state.video_results = VideoResults()  # the last few analysed videos (routes_video)
    app.state.cache = pages.PageCache()  # pages computed from the history, by its version
    # Run reports by what they are drawn from (any history version): a pain entry or another
    # run does not make the 0.5 s drawing of every report again.
    app.state.reports = pages.PageCache(max_entries=32)
    app.middleware("http")(security.security_middleware(auth.early_check))
    app.mount("/static", StaticFiles(packages=[("backstride.web", "static")]), name="static")

    @app.get("/static-lib/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        from plotly.offline import get_plotlyjs

        return Response(get_plotlyjs(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.exception_handler(auth.Redirect)
    async def redirect(_request: Request, exc: auth.Redirect) -> RedirectResponse:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> HTMLResponse:
        # Team mode: another runner's run and a missing one look the same, and 404 is what
        # "not there" means; the local app keeps its documented 422.
        return pages.render_error(request, status_code=404 if team else 422, message=str(exc))

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> HTMLResponse:
        return pages.render_error(request, status_code=422, message=str(exc))

    @app.exception_handler(StorageError)
    async def storage_error(request: Request, exc: StorageError) -> HTMLResponse:
        # The page's sentence names no path, host, port, database or user (the CLI's may).
        return pages.render_error(request, status_code=503, message=exc.public)

    @app.exception_handler(BackstrideError)
    async def backstride_error(request: Request, exc: BackstrideError) -> HTMLResponse:
        return pages.render_error(request, status_code=500, message=str(exc))

    @app.exception_handler(StarletteHTTPException)  # also Starlette's own 404 and 405
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        return pages.render_error(request, status_code=exc.status_code,
                                  message=str(exc.detail))

    from backstride.web import routes_care, routes_history, routes_runs, routes_team, routes_video

    for router in (routes_runs.router, routes_care.router, routes_history.router,
                   routes_team.router, routes_video.router):
        app.include_router(router)
    return app
